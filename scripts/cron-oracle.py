#!/usr/bin/env python3
"""Independent oracle for `backupd cron next` (development aid, see Tests/CronTests).

Implements shared/CRON.md's 5-field semantics by brute force (minute by minute over real
instants, Python's zoneinfo reading the same system tzdata) and compares with the binary's
output for random expressions started near DST transitions in many zones.

    scripts/cron-oracle.py .build/debug/backupd [cases] [seed]
"""
import random
import subprocess
import sys
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

MONTHS = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"]
DAYS = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"]
MACROS = {"@yearly": "0 0 1 1 *", "@annually": "0 0 1 1 *", "@monthly": "0 0 1 * *",
          "@weekly": "0 0 * * 0", "@daily": "0 0 * * *", "@midnight": "0 0 * * *", "@hourly": "0 * * * *"}
RANGES = [(0, 59), (0, 23), (1, 31), (1, 12), (0, 7)]


def value(text, field):
    names = MONTHS if field == 3 else DAYS if field == 4 else None
    if names and text.upper() in names:
        return names.index(text.upper()) + (1 if field == 3 else 0)
    return int(text)


def parse_field(text, field):
    lo, hi = RANGES[field]
    result = set()
    for item in text.split(","):
        base, _, step = item.partition("/")
        step = int(step) if step else 1
        if base == "*":
            a, b = lo, hi
        elif "-" in base:
            a, b = (value(x, field) for x in base.split("-"))
            if a > b:
                raise ValueError("reversed range")
        else:
            a = value(base, field)
            b = hi if step != 1 or "/" in item else a
        result.update(range(a, b + 1, step))
    if field == 4:
        result = {d % 7 for d in result}
    return result


class Cron:
    def __init__(self, expr):
        expr = MACROS.get(expr.strip(), expr)
        fields = expr.split()
        self.sets = [parse_field(f, i) for i, f in enumerate(fields)]
        self.use_and = fields[2].startswith("*") or fields[4].startswith("*")
        self.fixed = not fields[0].startswith("*") and not fields[1].startswith("*")

    def matches(self, local):
        minute, hour, dom, month, dow = self.sets
        if local.minute not in minute or local.hour not in hour or local.month not in month:
            return False
        d_ok = local.day in dom
        w_ok = (local.weekday() + 1) % 7 in dow
        return (d_ok and w_ok) if self.use_and else (d_ok or w_ok)


def offset(zone, t):
    return int(datetime.fromtimestamp(t, zone).utcoffset().total_seconds())


def wall(t, off):
    return datetime(1970, 1, 1) + timedelta(seconds=t + off)


def fires(cron, zone, start, end):
    """Fire instants in (start, end] by CRON.md's definition."""
    result = set()
    t0 = (start // 60 + 1) * 60
    offsets = {offset(zone, t) for t in range(t0 - 3 * 86400, end + 86400, 3600)}
    for t in range(t0, end + 1, 60):
        off = offset(zone, t)
        local = wall(t, off)
        if not cron.matches(local):
            continue
        if cron.fixed:
            w = t + off
            earlier = any(w - o < t and offset(zone, w - o) == o for o in offsets if o != off)
            if earlier:
                continue
        result.add(t)
    if cron.fixed:  # gap fires at the first instant after the gap
        for t in range(t0 - 86400, end + 1, 60):
            before, after = offset(zone, t - 60), offset(zone, t)
            if after > before and t > start:
                for w in range(t + before, t + after, 60):
                    if cron.matches(wall(w, 0)):
                        result.add(t)
                        break
    return sorted(x for x in result if start < x <= end)


def transitions(zone, year):
    found = []
    t = int(datetime(year, 1, 1, tzinfo=timezone.utc).timestamp())
    prev = offset(zone, t)
    for day in range(1, 367):
        u = t + day * 86400
        cur = offset(zone, u)
        if cur != prev:
            lo, hi = u - 86400, u
            while hi - lo > 60:
                mid = (lo + hi) // 2
                if offset(zone, mid) == prev:
                    lo = mid
                else:
                    hi = mid
            found.append(hi)
            prev = cur
    return found


def random_field(rng, field):
    lo, hi = RANGES[field]
    if field == 1:
        hot = [0, 1, 2, 3, 23]
        choices = ["*", f"*/{rng.randint(1, 12)}", str(rng.choice(hot)), f"{rng.choice(hot)}-{rng.randint(3, 5)}",
                   f"{rng.randint(0, 2)},{rng.randint(3, 23)}", f"{rng.choice(hot)}/{rng.randint(2, 5)}"]
    elif field == 0:
        choices = ["*", f"*/{rng.randint(1, 30)}", str(rng.randint(0, 59)), f"{rng.randint(0, 20)}-{rng.randint(30, 59)}/{rng.randint(5, 20)}",
                   "0,30", f"{rng.randint(0, 59):02d}", "15/15"]
    elif field == 2:
        choices = ["*", "*", "*", f"*/{rng.randint(1, 5)}", f"{rng.randint(1, 28)}-31", f"1-{rng.randint(1, 31)}/2", "13", "L".replace("L", "31")]
    elif field == 3:
        choices = ["*", "*", "*", f"{rng.choice(MONTHS).lower()}-DEC", "3,4,9,10,11", "*/2"]
    else:
        choices = ["*", "*", "*", f"{rng.choice(DAYS)}-SAT", "0", "7", "*/2", "1-5", f"{rng.randint(0, 6)}"]
    return rng.choice(choices)


def main():
    binary = sys.argv[1]
    cases = int(sys.argv[2]) if len(sys.argv) > 2 else 200
    rng = random.Random(int(sys.argv[3]) if len(sys.argv) > 3 else 1)
    zones = ["Europe/Berlin", "America/New_York", "Australia/Lord_Howe", "America/Santiago", "Asia/Gaza",
             "America/Nuuk", "Europe/Dublin", "America/Havana", "Pacific/Chatham", "Africa/Casablanca",
             "Antarctica/Troll", "Australia/Sydney", "America/St_Johns", "Asia/Jerusalem", "Europe/London",
             "America/Asuncion", "Pacific/Auckland", "UTC", "Asia/Kathmandu", "America/Godthab"]
    failures = 0
    for case in range(cases):
        name = rng.choice(zones)
        zone = ZoneInfo(name)
        year = rng.choice([2021, 2026, 2027, 2035, 2038, 2045, 2061, 2100, 2399])
        moments = transitions(zone, year) or [int(datetime(year, 6, 1, tzinfo=timezone.utc).timestamp())]
        start = rng.choice(moments) - rng.randint(0, 40 * 3600)
        if rng.random() < 0.2:
            start = (start // 1800) * 1800  # exactly on a possible fire time
        end = start + 3 * 86400
        if rng.random() < 0.15:
            expr = rng.choice(list(MACROS))
        else:
            expr = " ".join(random_field(rng, f) for f in range(5))
        try:
            cron = Cron(expr)
        except ValueError:
            continue
        expected = fires(cron, zone, start, end)
        iso = datetime.fromtimestamp(start, timezone.utc).isoformat()
        run = subprocess.run([binary, "cron", "next", "--tz", name, "--from", iso, "--count", "5000", "--", expr],
                             capture_output=True, text=True)
        if run.returncode != 0:
            print(f"FAIL {expr!r} {name} {iso}: exit {run.returncode} {run.stderr.strip()}")
            failures += 1
            continue
        got = [int(datetime.fromisoformat(line).timestamp()) for line in run.stdout.split()]
        got = [x for x in got if x <= end]
        if got != expected:
            failures += 1
            fmt = lambda xs: [datetime.fromtimestamp(x, zone).isoformat() for x in xs]
            missing, extra = sorted(set(expected) - set(got)), sorted(set(got) - set(expected))
            print(f"FAIL {expr!r} {name} from {iso}: missing {fmt(missing)[:6]} extra {fmt(extra)[:6]}")
    print(f"{cases} cases, {failures} failures")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
