#!/usr/bin/env python3
"""The walls between targets, measured (issue 17): run from the package root.

    python3 scripts/dev/target-deps.py

Prints the graph of the package's own Swift targets (as declared in Package.swift), then checks
that every `import` of a package target in Sources/<Target> names a declared direct dependency
(SwiftPM lets a target import what it reaches transitively, which would let a wall erode), and that
no two targets depend on each other, directly or through others. Exits 1 on a violation.
"""
import os
import re
import sys

text = open("Package.swift").read()
targets = {}
for m in re.finditer(r"\.(target|executableTarget|testTarget|systemLibrary)\(\s*name:\s*\"([\w-]+)\"", text):
    start = m.end()
    depth, i = 1, start
    while depth and i < len(text):
        depth += {"(": 1, ")": -1}.get(text[i], 0)
        i += 1
    body = text[start:i]
    deps = []
    if "dependencies:" in body:
        inner = body.split("dependencies:", 1)[1]
        inner = re.sub(r"\.product\([^)]*\)", "", inner)
        deps = re.findall(r"\"([\w-]+)\"", inner.split("]", 1)[0])
    targets[m.group(2)] = (m.group(1), deps)



def folder(name):
    kind = targets[name][0]
    return os.path.join("Tests" if kind == "testTarget" else "Sources", name)


def is_swift(name):
    for _, _, names in os.walk(folder(name)):
        if any(f.endswith(".swift") for f in names):
            return True
    return False


swift_targets = [n for n in targets if targets[n][0] != "systemLibrary" and is_swift(n)]

problems = []
for name in swift_targets:
    kind, deps = targets[name]
    root = folder(name)
    imported = set()
    for dirpath, _, names in os.walk(root):
        for f in names:
            if f.endswith(".swift"):
                for m in re.finditer(r"^(?:@testable |@preconcurrency )?import (\w+)", open(os.path.join(dirpath, f)).read(), re.M):
                    imported.add(m.group(1))
    undeclared = sorted(i for i in imported if i in targets and i not in deps and i != name)
    if undeclared:
        problems.append(f"{name} imports {', '.join(undeclared)} without declaring it")


def reach(start):
    seen, todo = set(), list(targets.get(start, ("", []))[1])
    while todo:
        d = todo.pop()
        if d not in seen:
            seen.add(d)
            todo += targets.get(d, ("", []))[1]
    return seen


for a in swift_targets:
    if a in reach(a):
        problems.append(f"{a} depends on itself through {sorted(d for d in reach(a) if a in reach(d))}")

print("Target graph (the package's Swift targets; C modules and other packages' products left out):")
for name in swift_targets:
    kind, deps = targets[name]
    shown = [d for d in deps if d in swift_targets]
    print(f"  {name:18} -> {', '.join(shown) if shown else '(none)'}")
two_way = sum(1 for a in swift_targets for b in swift_targets if a < b and b in reach(a) and a in reach(b))
print(f"two-way dependencies between targets: {two_way}")
for p in problems:
    print("violation:", p)
sys.exit(1 if problems else 0)
