#!/usr/bin/env python3
"""Prints the Debian changelog (debian/changelog format) of the backupd package, made from
CHANGELOG.md (Keep a Changelog): one entry per released `## [X.Y.Z] - YYYY-MM-DD` section, newest
first, each bullet of its subsections an item. A package VERSION that is not a released section
(a test rebuild) gets an entry of its own on top.

    changelog.py CHANGELOG.md VERSION "Name <address>"
"""

import email.utils
import re
import sys
import textwrap
import time
from datetime import datetime, timezone


def sections(text):
    """[(version, date, [items])] of the released sections, in file order."""
    out = []
    current = None
    kind = None
    for line in text.splitlines():
        heading = re.match(r"^## \[([^\]]+)\](?: - (\d{4}-\d{2}-\d{2}))?", line)
        if heading:
            current, kind = None, None
            if heading.group(1) != "Unreleased" and heading.group(2):
                current = (heading.group(1), heading.group(2), [])
                out.append(current)
            continue
        if current is None:
            continue
        subsection = re.match(r"^### (\w+)", line)
        if subsection:
            kind = subsection.group(1)
        elif line.startswith("- "):
            current[2].append([f"{kind}: " if kind else "", line[2:].strip()])
        elif line.startswith("  ") and current[2]:
            current[2][-1].append(line.strip())
    return out


def entry(version, when, items, maintainer):
    lines = [f"backupd ({version}) unstable; urgency=medium", ""]
    for item in items:
        body = " ".join(part.strip() for part in item if part.strip())
        wrapped = textwrap.wrap(body, width=76)
        lines.append("  * " + wrapped[0])
        lines += ["    " + rest for rest in wrapped[1:]]
    stamp = email.utils.format_datetime(when)
    lines += ["", f" -- {maintainer}  {stamp}", ""]
    return "\n".join(lines)


def main():
    path, version, maintainer = sys.argv[1:4]
    with open(path, encoding="utf-8") as f:
        released = sections(f.read())
    if not released:
        sys.exit(f"{path}: no released section (## [X.Y.Z] - YYYY-MM-DD)")
    entries = []
    if version not in [v for v, _, _ in released]:
        now = datetime.fromtimestamp(int(time.time()), tz=timezone.utc)
        entries.append(entry(version, now, [[f"Rebuild of {released[0][0]} as {version}."]], maintainer))
    for v, day, items in released:
        when = datetime.strptime(day, "%Y-%m-%d").replace(hour=12, tzinfo=timezone.utc)
        entries.append(entry(v, when, items or [["Released."]], maintainer))
    sys.stdout.write("\n".join(entries))


if __name__ == "__main__":
    main()
