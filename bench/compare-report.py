#!/usr/bin/env python3
"""Prints bench/compare.sh's results: per group, the median of each variant's runs (wall with its
range, CPU, CPU-s per GiB, peak RSS, stored size), then each backupd variant's ratios to the others.

    compare-report.py RESULTS.tsv
"""
import statistics
import sys

GIB = 1 << 30
rows, stored, order = {}, {}, []
with open(sys.argv[1]) as f:
    for line in f:
        cols = line.rstrip("\n").split("\t")
        if cols[0] == "stored":
            stored.setdefault((cols[1], cols[2]), []).append(int(cols[3]))
            continue
        group, label, size, _run, wall, cpu, rss, load, pg, rgw = cols
        key = (group, label)
        if key not in rows:
            order.append(key)
            rows[key] = {"bytes": int(size), "wall": [], "cpu": [], "rss": [], "load": [], "pg": [], "rgw": []}
        for name, value in (("wall", wall), ("cpu", cpu), ("rss", rss), ("load", load), ("pg", pg), ("rgw", rgw)):
            rows[key][name].append(float(value))

groups = []
for group, _ in order:
    if group not in groups:
        groups.append(group)
for group in groups:
    labels = [label for g, label in order if g == group]
    first = rows[(group, labels[0])]
    runs = len(first["wall"])
    loads = [x for label in labels for x in rows[(group, label)]["load"]]
    print(f"\n## {group.replace('cmp_', '')}: {first['bytes'] / 1048576:.0f} MiB "
          f"{'uploaded' if group.startswith('upload') else 'of pg_dump -Fc -Z0 output'}, "
          f"median of {runs} run(s), load average {min(loads):.1f}-{max(loads):.1f}")
    print("| variant | wall s (range) | CPU s | CPU-s/GiB | peak RSS MiB | stored MiB | server CPU s: postgres, radosgw |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    med = {}
    for label in labels:
        r = rows[(group, label)]
        wall, cpu, rss = (statistics.median(r[n]) for n in ("wall", "cpu", "rss"))
        med[label] = (wall, cpu)
        size = stored.get((group, label))
        servers = f"{statistics.median(r['pg']):.1f}, {statistics.median(r['rgw']):.1f}"
        print(f"| {label.replace('|', chr(92) + '|')} | {wall:.2f} ({min(r['wall']):.2f}-{max(r['wall']):.2f}) | {cpu:.2f} | "
              f"{cpu / (r['bytes'] / GIB):.2f} | {rss / 1024:.0f} | "
              f"{statistics.median(size) / 1048576 if size else float('nan'):.1f} | {servers} |".replace("| nan |", "| |"))
    for mine in (l for l in labels if l.startswith("backupd")):
        for other in (l for l in labels if not l.startswith("backupd")):
            (w, c), (ow, oc) = med[mine], med[other]
            print(f"- {mine} ÷ {other}: wall {w / ow:.2f}, CPU {c / oc:.2f}")
