#!/usr/bin/env python3
"""Gives every top-level test type of the BackupKitTests and IntegrationTests targets the
`.ownThreads` trait (Tests/TestThreads): `@Suite(...)` gets the trait appended, a top-level type
holding `@Test`s without `@Suite` gets `@Suite(.ownThreads)`. Nested suites inherit it (the trait is
recursive). Idempotent; prints the files it changed."""
import os, re, sys

ROOTS = ["Tests/BackupKitTests", "Tests/IntegrationTests"]
TYPE = re.compile(r'^(?:(?:public|internal|private|fileprivate|final|@MainActor)\s+)*(struct|class|enum|actor)\s+\w+')

def matching_paren(s, i):
    """Index of the ')' closing the '(' at i, skipping string literals."""
    depth, j, n = 0, i, len(s)
    while j < n:
        c = s[j]
        if c == '"':
            if s.startswith('"""', j):
                j = s.index('"""', j + 3) + 3
                continue
            j += 1
            while s[j] != '"':
                j += 2 if s[j] == '\\' else 1
        elif c == '(':
            depth += 1
        elif c == ')':
            depth -= 1
            if depth == 0:
                return j
        j += 1
    raise ValueError("unbalanced")

def body_extent(lines, start):
    """Last line index of the type declared at `start` (brace matching, strings ignored roughly)."""
    depth, seen = 0, False
    for k in range(start, len(lines)):
        text = re.sub(r'"(?:\\.|[^"\\])*"', '""', lines[k])
        depth += text.count('{') - text.count('}')
        seen = seen or '{' in text
        if seen and depth <= 0:
            return k
    return len(lines) - 1

def fix(path):
    src = open(path).read()
    if 'ownThreads' in src:
        return False
    lines = src.split('\n')
    out, changed, i = [], False, 0
    while i < len(lines):
        line = lines[i]
        if line.startswith('@Suite') or line.startswith('@Test'):
            # A top-level attribute: add the trait (handles multi-line argument lists).
            name = '@Suite' if line.startswith('@Suite') else '@Test'
            rest = '\n'.join(lines[i:])
            after = rest[len(name):]
            if after.startswith('('):
                close = len(name) + matching_paren(after, 0)
                inner = rest[len(name) + 1:close].strip()
                rest = rest[:close] + (', .ownThreads' if inner else '.ownThreads') + rest[close:]
            else:
                rest = name + '(.ownThreads)' + after
            lines = lines[:i] + rest.split('\n')
            changed = True
            # skip to the end of this declaration
            end = body_extent(lines, i)
            out.extend(lines[i:end + 1]); i = end + 1
            continue
        if TYPE.match(line):
            end = body_extent(lines, i)
            body = '\n'.join(lines[i:end + 1])
            prev = [l for l in out[-3:]]
            if '@Test' in body and not any(l.startswith('@Suite') for l in prev):
                out.append('@Suite(.ownThreads)')
                changed = True
            out.extend(lines[i:end + 1]); i = end + 1
            continue
        out.append(line); i += 1
    if changed:
        open(path, 'w').write('\n'.join(out))
        text = open(path).read()
        if 'import TestThreads' not in text:
            text = re.sub(r'^(import Testing\n)', r'\1import TestThreads\n', text, count=1, flags=re.M)
            open(path, 'w').write(text)
    return changed

for root in ROOTS:
    for d, _, files in os.walk(root):
        for f in sorted(files):
            if f.endswith('.swift'):
                p = os.path.join(d, f)
                if fix(p):
                    print(p)
