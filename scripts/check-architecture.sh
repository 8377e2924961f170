#!/usr/bin/env bash
# Prints issue 17's architecture measures for the tree (Sources only):
#   - `@unchecked Sendable` count, each with file:line and whether it has a reason comment
#   - Thread / DispatchSemaphore / NSCondition / DispatchGroup / DispatchQueue.global() uses
#     outside Sources/BackupCore/System/BlockingBridge.swift
#   - destination fan-out branches (`fanOut` identifiers, `count > 1` on destinations/lanes)
#   - files over 300 lines
#   - blocks of >= 6 identical lines (whitespace-normalised, non-trivial) repeated in Sources
#   - the executable's walls: types of the layers below BackupKit named in Sources/backupd, and
#     dependencies it wires (arguments labelled stores:, launcher:, history:, client:, ...)
# Usage: scripts/check-architecture.sh [--strict] [ROOT]
#   --strict  exit 1 when a limit is exceeded (unchecked <= 4, threads only in the bridge,
#             no fan-out branches, files <= 300 lines, no repeated 6-line blocks, the
#             executable names no lower-layer type and wires nothing).
# Needs only bash and python3. Comments (// lines) are ignored by every measure but the first's
# reason check.
set -euo pipefail

strict=0
root=""
for argument in "$@"; do
    case "$argument" in
        --strict) strict=1 ;;
        -h|--help) sed -n '2,17p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        -*) echo "check-architecture.sh: unknown option $argument (valid: --strict, --help)" >&2; exit 2 ;;
        *) root="$argument" ;;
    esac
done
if [ -z "$root" ]; then root="$(cd "$(dirname "$0")/.." && pwd)"; fi
if [ ! -d "$root/Sources" ]; then
    echo "check-architecture.sh: no Sources directory under $root" >&2
    exit 2
fi

exec python3 - "$root" "$strict" <<'PYTHON'
import os
import re
import sys

root, strict = sys.argv[1], sys.argv[2] == "1"
sources = os.path.join(root, "Sources")
BRIDGE = "Sources/BackupCore/System/BlockingBridge.swift"
LIMITS = {"unchecked": 4, "file_lines": 300, "block": 6}

files = []
for directory, _, names in os.walk(sources):
    for name in sorted(names):
        if name.endswith(".swift"):
            path = os.path.join(directory, name)
            with open(path, encoding="utf-8", errors="replace") as handle:
                files.append((os.path.relpath(path, root), handle.read().split("\n")))
files.sort()


def code(line, keep_strings=False):
    """The line without a trailing // comment, and without string literals' contents unless
    `keep_strings` (a rough cut)."""
    stripped = line.strip()
    if stripped.startswith("//") or stripped.startswith("///") or stripped.startswith("*"):
        return ""
    out, in_string = [], False
    i = 0
    while i < len(line):
        c = line[i]
        if c == '"' and (i == 0 or line[i - 1] != "\\"):
            in_string = not in_string
        elif not in_string and line.startswith("//", i):
            break
        if not in_string or keep_strings:
            out.append(c)
        i += 1
    return "".join(out)


failures = []

# 1. @unchecked Sendable
unchecked = []
for path, lines in files:
    for number, line in enumerate(lines, 1):
        if "@unchecked Sendable" in code(line):
            here = line.split("@unchecked Sendable", 1)[1]
            above = lines[number - 2].strip() if number >= 2 else ""
            reason = re.search(r"//\s*\S", here) is not None or (above.startswith("//") and not above.startswith("///"))
            unchecked.append((path, number, reason))
print(f"@unchecked Sendable in Sources: {len(unchecked)} (limit {LIMITS['unchecked']})")
for path, number, reason in unchecked:
    print(f"  {path}:{number}{'' if reason else '  (no reason comment)'}")
if len(unchecked) > LIMITS["unchecked"]:
    failures.append(f"{len(unchecked)} @unchecked Sendable (limit {LIMITS['unchecked']})")
if any(not reason for _, _, reason in unchecked):
    failures.append("@unchecked Sendable without a one-line reason comment")

# 2. thread primitives outside the bridge
thread_pattern = re.compile(
    r"\bThread\s*(\{|\(|\.detachNewThread)|\bDispatchSemaphore\b|\bNSCondition\b|\bDispatchGroup\b"
    r"|DispatchQueue\.global\(\)|\.asyncAfter\(")
threads = []
for path, lines in files:
    if path == BRIDGE:
        continue
    for number, line in enumerate(lines, 1):
        match = thread_pattern.search(code(line))
        if match:
            threads.append((path, number, match.group(0).rstrip("({ ")))
print(f"\nThread/DispatchSemaphore/NSCondition/DispatchGroup/global queue outside {BRIDGE}: {len(threads)} (limit 0)")
for path, number, what in threads:
    print(f"  {path}:{number}  {what}")
if threads:
    failures.append(f"{len(threads)} thread primitive uses outside the bridge")

# 3. destination fan-out branches (heuristic)
fan_pattern = re.compile(r"\bfanOut\b|\bFanOut\w*|\bcopyDestinations\b|(destinations|lanes|copies)\w*\.count\s*>\s*1")
fan = []
for path, lines in files:
    for number, line in enumerate(lines, 1):
        text = code(line)
        if fan_pattern.search(text) and re.search(r"\bif\b|\bguard\b|\?|\bswitch\b|\bwhile\b|&&|\|\|", text):
            fan.append((path, number, line.strip()[:100]))
print(f"\nfan-out / count > 1 destination branches (heuristic): {len(fan)} (limit 0)")
for path, number, text in fan:
    print(f"  {path}:{number}  {text}")
if fan:
    failures.append(f"{len(fan)} fan-out branches")

# 4. long files
long_files = [(path, len(lines) - (1 if lines and lines[-1] == "" else 0)) for path, lines in files]
long_files = [(path, count) for path, count in long_files if count > LIMITS["file_lines"]]
print(f"\nfiles over {LIMITS['file_lines']} lines: {len(long_files)}")
for path, count in long_files:
    print(f"  {path}: {count}")
if long_files:
    failures.append(f"{len(long_files)} files over {LIMITS['file_lines']} lines")

# 5. repeated blocks of >= 6 identical, non-trivial lines
TRIVIAL = re.compile(r"^[\s{}()\[\],;]*$|^(import|@testable import) |^(case|default)\b.*:$|^(return|break|continue)$|^\} (else|catch)")
size = LIMITS["block"]
normalised = {}
for path, lines in files:
    rows = []
    for number, line in enumerate(lines, 1):
        # Strings kept: error enums whose cases differ only in their messages are not copies.
        text = " ".join(code(line, keep_strings=True).split())
        if text and not TRIVIAL.search(text):
            rows.append((text, number))
    normalised[path] = rows
seen = {}
for path, rows in normalised.items():
    for i in range(len(rows) - size + 1):
        key = tuple(text for text, _ in rows[i:i + size])
        seen.setdefault(key, []).append((path, rows[i][1]))
repeats = []
covered = set()
for key, places in seen.items():
    if len(places) < 2:
        continue
    # One report per run of overlapping windows: skip a window whose places all continue one reported.
    if all((path, line) in covered for path, line in places):
        continue
    repeats.append(places)
    for path, line in places:
        rows = normalised[path]
        index = next(i for i, (_, n) in enumerate(rows) if n == line)
        for _, n in rows[index:index + size + 8]:
            covered.add((path, n))
print(f"\nrepeated blocks of >= {size} identical lines: {len(repeats)} (limit 0)")
for places in repeats:
    print("  " + ", ".join(f"{path}:{line}" for path, line in places))
if repeats:
    failures.append(f"{len(repeats)} repeated {size}-line blocks")

# 6. the executable's walls: its commands parse arguments, call BackupKit and print. They name
# no type of a layer below BackupKit (the config model, ConfigKit, is what they read) and pass
# no dependency to anything (the composition is BackupKit's: Daemon.live, DaemonParts, UseCases/).
LOWER = ["BackupCore", "S3Kit", "BackupEngines", "BackupHistory", "Cron", "SigV4"]
# The signal lines of prune and a daemon-less run-now, until Task cancellation replaces them.
ALLOWED_LOWER: set[str] = set()
declaration = re.compile(r"^\s*(?:@\w+\s+)*public\s+(?:final\s+)?(?:struct|enum|class|protocol|actor|typealias)\s+(\w+)")
lower_types = {}
for path, lines in files:
    parts = path.split(os.sep)
    if len(parts) > 2 and parts[1] in LOWER:
        for line in lines:
            match = declaration.match(line)
            if match:
                lower_types.setdefault(match.group(1), parts[1])
wiring = re.compile(r"\b(stores|launcher|history|client|transport|executor|clock|abortLedger|observers|environment)\s*:\s*[^\s:]")
named, wired = [], []
for path, lines in files:
    if not path.startswith(os.path.join("Sources", "backupd") + os.sep):
        continue
    for number, line in enumerate(lines, 1):
        text = code(line)
        for name in sorted(set(re.findall(r"\b[A-Z]\w*", text))):
            if name in lower_types and name not in ALLOWED_LOWER:
                named.append((path, number, f"{name} ({lower_types[name]})"))
        if not re.match(r"\s*(let|var|func|init|static|private|case)\b", text):
            for match in wiring.finditer(text):
                wired.append((path, number, match.group(1) + ":"))
print(f"\nlower-layer types named in Sources/backupd ({', '.join(LOWER)}): {len(named)} (limit 0)")
for path, number, what in named:
    print(f"  {path}:{number}  {what}")
print(f"dependencies wired in Sources/backupd (stores:, launcher:, history:, client:, ... arguments): {len(wired)} (limit 0)")
for path, number, what in wired:
    print(f"  {path}:{number}  {what}")
if named:
    failures.append(f"{len(named)} lower-layer types named in the executable")
if wired:
    failures.append(f"{len(wired)} dependencies wired in the executable")

print()
if failures:
    print("over the limits: " + "; ".join(failures))
    sys.exit(1 if strict else 0)
print("within every limit")
PYTHON
