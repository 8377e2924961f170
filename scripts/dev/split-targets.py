#!/usr/bin/env python3
"""Re-applies the mechanical part of issue 17's "walls" (BackupKit split into targets by layer).

Run from the package root, on a tree whose Package.swift already declares the targets below:

    python3 scripts/dev/split-targets.py            # moves + imports + `package` loop (builds)
    python3 scripts/dev/split-targets.py --no-build # moves + imports + static `package` pass only
    python3 scripts/dev/split-targets.py --graph    # prints the target graph from Package.swift

Steps (each is idempotent, so the script can run again after merging other branches):
1. moves every folder of Sources/BackupKit named in FOLDERS to Sources/<Target>/<folder> (git mv;
   files that arrived in an old folder after a first run are moved one by one), and the test
   doubles in TEST_SUPPORT_FILES to Sources/BackupTestSupport;
2. adds the `import`s each file needs (a type or global declared in another of these targets),
   `@testable import` of every split module where a test has `@testable import BackupKit`, and
   `import BackupTestSupport` where a test uses one of its doubles;
3. marks `package` every internal top-level declaration used from another target, then builds
   (`swift build --build-tests`) and, until the build is clean or nothing more can be fixed, adds
   `package` where the compiler says "is inaccessible due to 'internal' protection level" (at the
   "declared here" note), "cannot find ... in scope" (at the declaration, plus the import), or "must
   be declared package because it matches a requirement".
Before building it checks the walls: a file of a lower target that uses a name declared in a
target it may not depend on (e.g. a History extension taking a `JobConfig`) is printed as a "wall
violation" and the script stops (exit 2). Fix it by hand as phase 1 did: move the declaration down
to the layer it belongs to (a value type to BackupCore), or move the using code up into a
`Type+Concern.swift` extension file in Sources/BackupKit (e.g. Reports/, Destinations/). What the
loop cannot fix (a `public` signature over a `package` type, ...) it prints; fix by hand, run again.
"""
import os
import re
import subprocess
import sys
from collections import defaultdict

SRC = "Sources"
OLD = os.path.join(SRC, "BackupKit")
# Folder of Sources/BackupKit -> target. Folders not named stay in BackupKit (the domain).
FOLDERS = {
    "System": "BackupCore", "Storage": "BackupCore", "Streams": "BackupCore", "Check": "BackupCore",
    "S3": "S3Kit",
    "Config": "ConfigKit",
    "History": "BackupHistory",
    "Engines": "BackupEngines",
}
# Test doubles that lived in the product: file name -> folder inside Sources/BackupTestSupport.
TEST_SUPPORT_FILES = {
    "MemoryObjectStore.swift": "Storage", "MemoryObjectStore+Prune.swift": "Storage",
    "ManualWallClock.swift": "System",
}
LOWER = ["BackupCore", "S3Kit", "ConfigKit", "BackupHistory", "BackupEngines"]
# What each split target may import (must match Package.swift; SwiftPM enforces it anyway).
DEPENDS = {
    "BackupCore": [],
    "S3Kit": ["BackupCore"],
    "ConfigKit": ["BackupCore", "S3Kit"],
    "BackupHistory": ["BackupCore"],
    "BackupEngines": ["BackupCore", "ConfigKit"],
    "BackupKit": LOWER,
    "BackupTestSupport": LOWER + ["BackupKit"],
}
CONSUMERS = ["backupd", "history-bench", "scheduler-bench", "malloc-probe", "s3-bench"]
TESTS = ["Tests/BackupKitTests", "Tests/IntegrationTests"]

DECL = re.compile(
    r"^((?:@\w+(?:\([^)]*\))?\s+)*)((?:(?:public|package|internal|private|fileprivate|open|final|indirect|nonisolated(?:\(unsafe\))?)\s+)*)"
    r"(struct|class|enum|protocol|actor|typealias|func|let|var)\s+([A-Za-z_]\w*)", re.M)
TOKEN = re.compile(r"\b[A-Za-z_]\w*\b")


def sh(*args, check=True):
    return subprocess.run(args, check=check, text=True, capture_output=True)


def git_mv(src, dst):
    os.makedirs(os.path.dirname(dst), exist_ok=True)
    if sh("git", "mv", src, dst, check=False).returncode != 0:
        os.rename(src, dst)


def move():
    for folder, target in FOLDERS.items():
        src, dst = os.path.join(OLD, folder), os.path.join(SRC, target, folder)
        if not os.path.isdir(src):
            continue
        if not os.path.exists(dst):
            git_mv(src, dst)
            continue
        for dirpath, _, names in os.walk(src):
            for name in names:
                path = os.path.join(dirpath, name)
                git_mv(path, os.path.join(dst, os.path.relpath(path, src)))
    for dirpath, _, names in os.walk(SRC):
        if dirpath.startswith(os.path.join(SRC, "BackupTestSupport")):
            continue
        for name in names:
            if name in TEST_SUPPORT_FILES:
                git_mv(os.path.join(dirpath, name), os.path.join(SRC, "BackupTestSupport", TEST_SUPPORT_FILES[name], name))


def swift_files(root):
    for dirpath, _, names in os.walk(root):
        for name in sorted(names):
            if name.endswith(".swift"):
                yield os.path.join(dirpath, name)


def strip(text):
    text = re.sub(r"//[^\n]*", "", text)
    return re.sub(r'"(?:[^"\\\n]|\\.)*"', '""', text)


def declarations():
    """Top-level names declared in each split target: name -> (target, path, line, is_internal)."""
    owners = {}
    for target in LOWER + ["BackupKit", "BackupTestSupport"]:
        for path in swift_files(os.path.join(SRC, target)):
            text = open(path).read()
            for m in DECL.finditer(text):
                mods = m.group(2)
                if "private" in mods.split() or "fileprivate" in mods.split():
                    continue
                line = text.count("\n", 0, m.start()) + 1
                internal = not re.search(r"\b(public|package|open)\b", mods)
                owners.setdefault(m.group(4), (target, path, line, internal))
    return owners


def add_imports(path, modules, testable=False):
    text = open(path).read()
    lines = text.split("\n")
    have = {m.group(2) for m in re.finditer(r"^(@testable |@preconcurrency )?import (\w+)", text, re.M)}
    new = [m for m in sorted(modules) if m not in have]
    if not new:
        return False
    at = 0
    for i, line in enumerate(lines):
        if re.match(r"^(@testable |@preconcurrency )?import \w+", line):
            at = i + 1
    prefix = "@testable import " if testable else "import "
    lines[at:at] = [prefix + m for m in new]
    if at == 0:
        lines.insert(len(new), "")
    open(path, "w").write("\n".join(tidy_imports(lines)))
    return True


def tidy_imports(lines):
    """Sorts the file's leading block of imports: plain imports by name, then `@testable` ones
    (BackupKit first). Left alone when the block holds anything but imports."""
    idx = [i for i, l in enumerate(lines) if re.match(r"^(@testable |@preconcurrency )?import \w+", l)]
    if not idx:
        return lines
    first, last = idx[0], idx[-1]
    block = lines[first:last + 1]
    if any(l.strip() and not re.match(r"^(@testable |@preconcurrency )?import \w+", l) for l in block):
        return lines
    block = [l for l in block if l.strip()]
    plain = sorted((l for l in block if not l.startswith("@testable")), key=lambda l: l.split()[-1])
    testable = sorted((l for l in block if l.startswith("@testable")), key=lambda l: (l.split()[-1] != "BackupKit", l.split()[-1]))
    return lines[:first] + plain + testable + lines[last + 1:]


def target_of(path):
    parts = path.split(os.sep)
    return parts[1] if parts[0] == SRC else None


ANY_DECL = re.compile(r"\b(?:struct|class|enum|protocol|actor|typealias)\s+([A-Za-z_]\w*)")


def local_names(target):
    """Every type name declared in `target` at any depth and access (a private `Engine` in S3Kit is
    not ConfigKit's `Engine`)."""
    names = set()
    for path in swift_files(os.path.join(SRC, target)):
        names |= set(ANY_DECL.findall(strip(open(path).read())))
    return names


def walls(owners):
    """Files of a split target that use a name of a target it may not depend on: each needs a
    hand edit (move the declaration to the layer it belongs to, or the use up to the domain)."""
    found = []
    for target in LOWER:
        mine = local_names(target)
        for path in swift_files(os.path.join(SRC, target)):
            used = set(TOKEN.findall(strip(open(path).read()))) - mine
            bad = sorted(f"{t} ({owners[t][0]})" for t in used
                         if t in owners and owners[t][0] not in DEPENDS[target] + [target])
            if bad:
                found.append(f"{path} uses {', '.join(bad)}, which {target} may not import")
    return found


def imports(owners):
    for target in LOWER + ["BackupKit", "BackupTestSupport"] + CONSUMERS:
        allowed = DEPENDS.get(target, LOWER + ["BackupKit"])
        mine = local_names(target) if target in DEPENDS else set()
        for path in swift_files(os.path.join(SRC, target)):
            used = set(TOKEN.findall(strip(open(path).read()))) - mine
            need = {owners[t][0] for t in used if t in owners and owners[t][0] != target and owners[t][0] in allowed}
            add_imports(path, need)
    doubles = {t for t, o in owners.items() if o[0] == "BackupTestSupport"}
    for root in TESTS:
        for path in swift_files(root):
            text = open(path).read()
            if re.search(r"^@testable import BackupKit", text, re.M):
                add_imports(path, LOWER, testable=True)
            elif re.search(r"^import BackupKit", text, re.M):
                used = set(TOKEN.findall(strip(text)))
                add_imports(path, {owners[t][0] for t in used if t in owners and owners[t][0] in LOWER})
            if doubles & set(TOKEN.findall(strip(text))):
                add_imports(path, ["BackupTestSupport"])


KEYWORD = re.compile(r"\b(func|var|let|init|subscript|struct|class|enum|protocol|typealias|actor|case|static|final|override|"
                     r"mutating|nonmutating|convenience|required|lazy|nonisolated|indirect|private\(set\)|fileprivate\(set\))\b")


def enclosing(lines, index):
    """The line index of the declaration enclosing line `index` (by indentation), or None."""
    indent = len(lines[index]) - len(lines[index].lstrip())
    for i in range(index - 1, -1, -1):
        line = lines[i]
        if line.strip() and len(line) - len(line.lstrip()) < indent and not line.lstrip().startswith(("//", "///", "@", "}")):
            return i
    return None


def mark_package(path, line_no, public=False):
    """Gives the declaration at `line_no` `package` (or `public`) access. Returns True when it changed."""
    lines = open(path).read().split("\n")
    i = line_no - 1
    line = lines[i]
    body = line.lstrip()
    # Requirements and cases take the access of their protocol or enum.
    if body.startswith("case ") or _in_protocol(lines, i):
        outer = enclosing(lines, i)
        return outer is not None and mark_package(path, outer + 1, public)
    word = "public" if public else "package"
    if re.search(r"\b(public|open)\b", line.split("{")[0]) or (not public and re.search(r"\bpackage\b", line.split("{")[0])):
        return False
    if re.search(r"\binternal\b", line.split("{")[0]):
        lines[i] = re.sub(r"\binternal\b", word, line, count=1)
    elif public and re.search(r"\bpackage\b", line):
        lines[i] = re.sub(r"\bpackage\b", word, line, count=1)
    else:
        m = re.match(r"^(\s*(?:@\w+(?:\([^)]*\))?\s+)*)", line)
        head = m.group(1)
        rest = line[len(head):]
        if not KEYWORD.match(rest) and not re.match(r"(func|var|let|init|extension)\b", rest):
            return False
        if rest.startswith("extension"):
            return False
        lines[i] = head + word + " " + rest
    open(path, "w").write("\n".join(lines))
    return True


def _in_protocol(lines, i):
    outer = enclosing(lines, i)
    return outer is not None and re.search(r"\bprotocol\s+\w+", lines[outer]) is not None


def static_package(owners):
    """`package` on internal top-level names of a split target used from another target."""
    uses = defaultdict(set)
    for target in LOWER + ["BackupKit", "BackupTestSupport"] + CONSUMERS:
        for path in swift_files(os.path.join(SRC, target)):
            for t in set(TOKEN.findall(strip(open(path).read()))):
                if t in owners and owners[t][0] != target:
                    uses[t].add(target)
    changed = 0
    for name, (target, path, line, internal) in sorted(owners.items()):
        if internal and uses.get(name):
            changed += mark_package(path, line)
    return changed


def type_files(type_name, owners):
    """Files of the split targets that declare or extend `type_name`."""
    found = []
    for target in LOWER + ["BackupKit"]:
        for path in swift_files(os.path.join(SRC, target)):
            base = os.path.basename(path)
            if base == type_name + ".swift" or base.startswith(type_name + "+"):
                found.append(path)
            elif re.search(r"^extension " + re.escape(type_name) + r"\b", open(path).read(), re.M):
                found.append(path)
    return found


def hidden_member(rel, line_no, msg, owners):
    """An internal member of another target hidden behind overload resolution ("extra argument
    'from' in call", "extraneous argument label", "has no member"): marks the internal
    declarations of the types named on the failing line that match. None when the rule does not apply."""
    label = re.search(r"extraneous argument labels? '(\w+):|extra argument '(\w+)' in call|incorrect argument label in call \(have '(\w+):", msg)
    member = re.search(r"(?:value of type|type) '([\w.]+)' has no member '(\w+)'", msg)
    if not label and not member:
        return None
    line = open(rel).read().split("\n")[line_no - 1]
    mine = target_of(rel)
    if member:
        types = [member.group(1).split(".")[-1]]
        pattern = re.compile(r"^\s*(?:@\w+(?:\([^)]*\))?\s+)*(?:(?:static|final|override|mutating|lazy|nonisolated|convenience|class)\s+)*(?:func|var|let|case)\s+" + member.group(2) + r"\b")
    else:
        name = next(g for g in label.groups() if g)
        types = [t for t in set(TOKEN.findall(line)) if t in owners and owners[t][0] != mine]
        pattern = re.compile(r"^\s*(?:@\w+(?:\([^)]*\))?\s+)*(?:(?:static|final|override|mutating|nonisolated|convenience|required)\s+)*(?:init|func\s+\w+)\s*(?:<[^>]*>)?\((?:[^)]*[,(]\s*)?" + name + r"\b")
    changed = 0
    for t in types:
        for path in type_files(t, owners):
            if target_of(path) == mine:
                continue
            for i, text in enumerate(open(path).read().split("\n")):
                if pattern.match(text) and not re.search(r"\b(public|package|open|private|fileprivate)\b", text.split("{")[0]):
                    changed += mark_package(path, i + 1)
    return changed


def memberwise_init(type_name, log):
    """Writes a `package` memberwise initialiser for a struct of another target whose implicit
    one (always internal) is called across targets. True when it wrote one."""
    m = re.search(r"^(\w+)\." + type_name + r"\.init:\d+:\d+: note:", log, re.M)
    if not m or m.group(1) not in LOWER + ["BackupKit"]:
        return False
    for path in swift_files(os.path.join(SRC, m.group(1))):
        lines = open(path).read().split("\n")
        start = next((i for i, l in enumerate(lines) if re.match(r"^(\s*)(?:public |package )?struct " + type_name + r"\b", l)), None)
        if start is None:
            continue
        indent = re.match(r"^(\s*)", lines[start]).group(1) + "    "
        if any(re.match(r"^" + indent + r"(?:public |package )?init\(", l) for l in lines[start:]):
            return False
        props, last = [], start
        depth = 0
        for i in range(start, len(lines)):
            l = lines[i]
            if i > start and depth == 1:
                p = re.match(r"^" + indent + r"(?:@\w+\s+)?(?:public |package |private\(set\) |public private\(set\) )*(var|let) (\w+): ([^={]+?)(?:\s*=\s*(.+))?$", l)
                if p:
                    kind, name, typ, default = p.group(1), p.group(2), p.group(3).strip(), p.group(4)
                    if not (kind == "let" and default):
                        if default is None and kind == "var" and typ.endswith("?"):
                            default = "nil"
                        props.append((name, typ, default))
                    last = i
            depth += l.count("{") - l.count("}")
            if depth == 0 and i > start:
                break
        if not props:
            return False
        params = ", ".join(f"{n}: {t}" + (f" = {d}" if d else "") for n, t, d in props)
        body = [indent + "/// The memberwise initialiser, for the package's other targets.",
                indent + f"package init({params}) {{"]
        body += [indent + f"    self.{n} = {n}" for n, _, _ in props] + [indent + "}"]
        lines[last + 1:last + 1] = [""] + body
        open(path, "w").write("\n".join(lines))
        return True
    return False


ERR = re.compile(r"^(/[^:]+\.swift):(\d+):(\d+): (error|note): (.*)$")


def loop(max_rounds=15):
    for round_no in range(1, max_rounds + 1):
        print(f"round {round_no}: swift build --build-tests", flush=True)
        out = subprocess.run(["swift", "build", "--build-tests"], text=True, capture_output=True)
        log = out.stdout + out.stderr
        open("/tmp/split-targets.log", "w").write(log)
        if out.returncode == 0:
            print("build clean")
            return True
        owners = declarations()
        fixes, unknown = 0, []
        entries = [ERR.match(l) for l in log.split("\n")]
        entries = [m for m in entries if m]
        for k, m in enumerate(entries):
            path, line, kind, msg = m.group(1), int(m.group(2)), m.group(4), m.group(5)
            if kind != "error":
                continue
            rel = os.path.relpath(path)
            synthesized = re.match(r"'(\w+)' initializer is inaccessible due to 'internal' protection level", msg)
            if synthesized and memberwise_init(synthesized.group(1), log):
                fixes += 1
                continue
            if "is inaccessible due to 'internal' protection level" in msg:
                note = next((n for n in entries[k + 1:k + 4] if n.group(4) == "note" and "declared here" in n.group(5)), None)
                if note:
                    fixes += mark_package(os.path.relpath(note.group(1)), int(note.group(2)))
                    continue
            c = re.search(r"cannot find (?:type )?'(\w+)' in scope", msg)
            if c and c.group(1) in owners:
                target, dpath, dline, internal = owners[c.group(1)]
                mine = target_of(rel)
                if internal:
                    fixes += mark_package(dpath, dline)
                if mine in DEPENDS and target not in DEPENDS[mine]:
                    unknown.append(f"{rel}:{line}: wall: {c.group(1)} is in {target}, which {mine} may not import")
                    continue
                if mine != target:
                    testable = re.search(r"^@testable import BackupKit", open(rel).read(), re.M) is not None
                    fixes += add_imports(rel, [target], testable=testable and target != "BackupTestSupport")
                continue
            if re.search(r"must be declared (package|public) because it matches a requirement", msg):
                fixes += mark_package(rel, line, public="declared public" in msg)
                continue
            hidden = hidden_member(rel, line, msg, owners)
            if hidden is not None:
                fixes += hidden
                continue
            unknown.append(f"{rel}:{line}: {msg}")
        for u in sorted(set(unknown))[:40]:
            print("  unfixed:", u)
        if not fixes:
            print("nothing more to fix by rule; see /tmp/split-targets.log")
            return False
        print(f"  {fixes} fixes", flush=True)
    return False


def graph():
    text = open("Package.swift").read()
    for m in re.finditer(r"\.(target|executableTarget|testTarget)\(\s*name:\s*\"([\w-]+)\"(.*?)\)\s*,\s*(?=\.|//|\])", text, re.S):
        deps = re.findall(r"\"([\w-]+)\"", m.group(3).split("dependencies:")[1]) if "dependencies:" in m.group(3) else []
        deps = [d for d in deps if not d.startswith("swift-")]
        print(f"{m.group(2)} -> {', '.join(deps) if deps else '(none)'}")


def main():
    if "--graph" in sys.argv:
        graph()
        return
    move()
    owners = declarations()
    violations = walls(owners)
    for v in violations:
        print("wall violation:", v)
    if violations:
        print("fix these by hand (see the docstring), then run again")
        sys.exit(2)
    imports(owners)
    print(f"static pass: {static_package(owners)} declarations made package")
    if "--no-build" not in sys.argv:
        sys.exit(0 if loop() else 1)


if __name__ == "__main__":
    main()
