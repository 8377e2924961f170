#!/usr/bin/env python3
"""Writes backupd's man pages into OUTPUT:

- backupd.1 from the command definitions themselves: the binary's `--experimental-dump-help` JSON
  (swift-argument-parser's ToolInfo, the input of its generate-manual plugin), so every
  subcommand, argument, option, default and help text is the code's own;
- backupd.json.5 from the README's configuration reference (its `## Configuration` section and the
  sections that document the other config keys), so the tables of keys, types and defaults have
  one source: what the README says is what the man page says.

    scripts/gen-man.py --binary .build-release/release/backupd --version 0.1.0 --output DIR

Why not the plugin itself (`swift package plugin generate-manual`): it builds every product of the
package again in release mode, without --static-swift-stdlib and over the same binary path, which
would double CI's longest build; this reads the same JSON from the binary already built.
"""

import argparse
import datetime
import json
import os
import re
import subprocess
import sys

# README sections (level-2 headings) that document config keys, in the man page's order.
CONFIG_SECTIONS = ["Configuration", "Schedules", "Retention", "Notifications", "Metrics",
                   "Encryption", "Compression", "History"]


def roff_escape(text):
    """Text safe in a roff line: backslashes, and a leading dot or quote neutralised."""
    text = text.replace("\\", "\\e").replace("-", "\\-")
    if text.startswith((".", "'")):
        text = "\\&" + text
    return text


def inline(text):
    """Markdown inline markup (code, bold, links) to roff fonts, escaped."""
    out = []
    text = re.sub(r"\[([^\]]+)\]\([^)]*\)", r"\1", text)  # a link reads as its text
    # Then code spans: their contents are literal.
    for i, part in enumerate(re.split(r"(`[^`]*`)", text)):
        if i % 2 == 1:
            out.append("\\fB" + roff_escape(part[1:-1]) + "\\fR")
            continue
        part = roff_escape(part)
        part = re.sub(r"\*\*([^*]+)\*\*", r"\\fB\1\\fR", part)
        out.append(part)
    line = "".join(out)
    return "\\&" + line if line.startswith((".", "'")) else line


def th(name, section, version, title):
    day = datetime.datetime.fromtimestamp(int(os.environ.get("SOURCE_DATE_EPOCH", "0")) or
                                          datetime.datetime.now().timestamp(), datetime.timezone.utc)
    # Left-aligned: long paths and URLs cannot be spread over a justified line (groff warns).
    return [f'.TH "{name.upper()}" "{section}" "{day:%Y-%m-%d}" "backupd {version}" "{title}"', ".ad l"]


# ---------------------------------------------------------------------------------------------
# backupd(1)

def arg_names(arg):
    names = []
    for n in arg.get("names") or []:
        prefix = "--" if n["kind"] == "long" else "-"
        names.append(prefix + n["name"])
    return names


def arg_label(arg):
    value = arg.get("valueName") or "value"
    if arg["kind"] == "positional":
        return f"<{value}>"
    names = ", ".join(arg_names(arg))
    return names if arg["kind"] == "flag" else f"{names} <{value}>"


def synopsis(cmd, path):
    parts = [path]
    for arg in cmd.get("arguments") or []:
        if not arg.get("shouldDisplay", True):
            continue
        label = arg_label(arg) if arg["kind"] == "positional" else (
            (arg_names(arg)[0] if arg_names(arg) else "") + ("" if arg["kind"] == "flag" else f" <{arg.get('valueName') or 'value'}>"))
        if arg.get("isRepeating"):
            label += " ..."
        parts.append(f"[{label}]" if arg.get("isOptional") else label)
    return " ".join(parts)


def describe_arguments(cmd):
    lines = []
    for arg in cmd.get("arguments") or []:
        if not arg.get("shouldDisplay", True):
            continue
        lines += [".TP", "\\fB" + roff_escape(arg_label(arg)) + "\\fR"]
        text = arg.get("abstract") or ""
        if arg.get("discussion"):
            text += " " + arg["discussion"] if isinstance(arg["discussion"], str) else ""
        if arg.get("defaultValue") not in (None, ""):
            text += f" (default: {arg['defaultValue']})"
        lines.append(roff_escape(text.strip()) or "\\&")
    return lines


def command_pages(cmd, path, level):
    """The COMMANDS section's entries for cmd's subcommands, depth first."""
    lines = []
    for sub in cmd.get("subcommands") or []:
        if not sub.get("shouldDisplay", True):
            continue
        full = f"{path} {sub['commandName']}"
        lines += [".SS " + roff_escape(full.split(" ", 1)[1]), ".PP", roff_escape(sub.get("abstract") or "")]
        lines += [".PP", "\\fB" + roff_escape(synopsis(sub, full)) + "\\fR"]
        if sub.get("discussion"):
            for para in sub["discussion"].split("\n\n"):
                lines += [".PP", roff_escape(" ".join(para.split()))]
        lines += describe_arguments(sub)
        lines += command_pages(sub, full, level + 1)
    return lines


def backupd_1(info, version):
    cmd = info["command"]
    lines = th("backupd", 1, version, "backupd manual")
    lines += [".SH NAME", "backupd \\- " + roff_escape(cmd.get("abstract") or ""), ".SH SYNOPSIS",
              "\\fBbackupd\\fR \\fIsubcommand\\fR [\\fIoptions\\fR]", ".SH DESCRIPTION", ".PP"]
    lines.append(roff_escape(
        "backupd takes scheduled backups of databases (PostgreSQL, MySQL/MariaDB, MongoDB, Redis, or "
        "any command's output) and streams them into S3-compatible storage, recording every run in a "
        "SQLite history. backupd run is the daemon (the systemd unit backupd.service); the other "
        "subcommands inspect and drive it. The configuration is described in backupd.json(5)."))
    if cmd.get("discussion"):
        lines += [".PP", roff_escape(" ".join(cmd["discussion"].split()))]
    lines += [".SH OPTIONS"] + describe_arguments(cmd)
    lines += [".TP", "\\fB\\-\\-generate\\-completion\\-script <shell>\\fR",
              "Print the completion script for bash, zsh or fish (the package installs all three)."]
    lines += [".SH COMMANDS"] + command_pages(cmd, "backupd", 1)
    lines += [".SH FILES", ".TP", "\\fI/etc/backupd/config.json\\fR",
              "The configuration (see backupd.json(5)); the service is inactive until it exists.",
              ".TP", "\\fI/var/lib/backupd\\fR",
              "The state directory: the history (history.sqlite3), the state lock and the control socket.",
              ".TP", "\\fI/usr/share/doc/backupd/examples/config.example.json\\fR", "An example configuration."]
    lines += [".SH SEE ALSO", "backupd.json(5), systemctl(1), journalctl(1)"]
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------------------------------------
# backupd.json(5)

def readme_sections(readme, names):
    """{name: [lines]} of the README's level-2 sections in names (subsections included)."""
    found, current = {}, None
    fence = False
    for line in readme.splitlines():
        if line.startswith("```"):
            fence = not fence
        if not fence and line.startswith("## "):
            title = line[3:].strip()
            current = title if title in names else None
            if current:
                found[current] = []
            continue
        if current:
            found[current].append(line)
    missing = [n for n in names if n not in found]
    if missing:
        sys.exit(f"gen-man.py: the README has no section {', '.join('## ' + m for m in missing)}")
    return found


def markdown_to_roff(lines):
    out, para, i = [], [], 0

    def flush():
        if para:
            out.extend([".PP", inline(" ".join(para))])
            para.clear()

    while i < len(lines):
        line = lines[i]
        if line.startswith("```"):
            flush()
            out += [".PP", ".nf", ".RS 4"]
            i += 1
            while i < len(lines) and not lines[i].startswith("```"):
                out.append(roff_escape(lines[i]) if lines[i] else "\\&")
                i += 1
            out += [".RE", ".fi"]
        elif re.match(r"^#{3,4} ", line):
            flush()
            out.append(".SS " + inline(line.lstrip("#").strip()))
        elif line.startswith("|"):
            flush()
            rows = []
            while i < len(lines) and lines[i].startswith("|"):
                cells = [c.strip() for c in lines[i].strip().strip("|").split("|")]
                if not all(re.fullmatch(r":?-+:?", c) for c in cells):
                    rows.append(cells)
                i += 1
            i -= 1
            header, body = rows[0], rows[1:]
            for row in body:
                out += [".TP", inline(row[0])]
                details = [f"{h}: {c}" for h, c in zip(header[1:-1], row[1:-1]) if c]
                text = "; ".join(details)
                meaning = row[-1] if len(row) > 1 else ""
                out.append(inline((f"({text}) " if text else "") + meaning))
        elif line.startswith("- "):
            flush()
            item = [line[2:]]
            while i + 1 < len(lines) and lines[i + 1].startswith("  ") and lines[i + 1].strip():
                i += 1
                item.append(lines[i].strip())
            out += [".IP \\(bu 2", inline(" ".join(item))]
        elif not line.strip():
            flush()
        else:
            para.append(line.strip())
        i += 1
    flush()
    return out


def backupd_json_5(readme, version):
    sections = readme_sections(readme, CONFIG_SECTIONS)
    lines = th("backupd.json", 5, version, "backupd manual")
    lines += [".SH NAME", "backupd.json \\- the configuration file of backupd(1)", ".SH SYNOPSIS",
              "\\fI/etc/backupd/config.json\\fR", ".SH DESCRIPTION", ".PP",
              roff_escape("One JSON file describes the destinations (S3-compatible buckets) and the "
                          "backup jobs. backupd validate checks it (and backupd validate --no-secrets "
                          "without reading any secret); backupd run reads it at start and on SIGHUP "
                          "(systemctl reload backupd). This page is generated from the configuration "
                          "reference in backupd's README.")]
    for name in CONFIG_SECTIONS:
        lines.append(".SH " + roff_escape(name.upper()))
        lines += markdown_to_roff(sections[name])
    lines += [".SH FILES", ".TP", "\\fI/usr/share/doc/backupd/examples/config.example.json\\fR",
              "A complete example: two destinations and one job per engine.",
              ".SH SEE ALSO", "backupd(1)"]
    return "\n".join(lines) + "\n"


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--binary", required=True)
    parser.add_argument("--version", required=True)
    parser.add_argument("--output", required=True)
    parser.add_argument("--readme", default=os.path.join(os.path.dirname(__file__), "..", "README.md"))
    args = parser.parse_args()
    dump = subprocess.run([args.binary, "--experimental-dump-help"], capture_output=True, text=True,
                          check=True, timeout=60).stdout
    os.makedirs(args.output, exist_ok=True)
    with open(os.path.join(args.output, "backupd.1"), "w") as f:
        f.write(backupd_1(json.loads(dump), args.version))
    with open(args.readme, encoding="utf-8") as f:
        readme = f.read()
    with open(os.path.join(args.output, "backupd.json.5"), "w") as f:
        f.write(backupd_json_5(readme, args.version))


if __name__ == "__main__":
    main()
