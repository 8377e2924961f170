#!/usr/bin/env python3
"""Independent oracle for backupd's retention planner (used by Tests/BackupKitTests/Retention).

Reads restic `forget` semantics the other way round: instead of one newest-first pass with
counters, it groups backups into calendar buckets with Python's zoneinfo (the same system
tzdata), keeps the newest backup of each of the N newest buckets, and keeps the oldest backup
too when there are fewer than N buckets. keepWithin keeps backups after the newest backup not
dated after `now`, minus the window's calendar days and hours, as restic computes it with Go's
`latest.AddDate(0, 0, -days).Add(-hours)`: the shifted wall time is converted back as Go's
`time.Date` does (go_date below), which is neither fold=0 nor fold=1 in a gap or a fold.

stdin:  {"zone": "Europe/Berlin", "now": 1700000000, "policy": {"keepDaily": 7, "keepWithin": [2, 12]},
         "backups": [{"id": "a", "time": 1699990000}, ...]}
stdout: {"a": ["within 2d12h", "daily"], "b": [], ...}
A JSON array of such requests gives an array of answers.
"""
import json
import sys
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

RULES = [
    ("keepLast", "last", None),
    ("keepHourly", "hourly", lambda t: (t.year, t.month, t.day, t.hour)),
    ("keepDaily", "daily", lambda t: (t.year, t.month, t.day)),
    ("keepWeekly", "weekly", lambda t: tuple(t.date().isocalendar())[:2]),
    ("keepMonthly", "monthly", lambda t: (t.year, t.month)),
    ("keepYearly", "yearly", lambda t: (t.year,)),
]


def window_text(days, hours):
    return (f"{days}d" if days else "") + (f"{hours}h" if hours else "")


def offset_at(zone, ts):
    return int(datetime.fromtimestamp(ts, zone).utcoffset().total_seconds())


def go_date(wall, zone):
    """Go's time.Date for naive local `wall`: the offset at the wall time read as UTC, unless the
    instant it gives lies outside that offset's period; then the offset at that instant."""
    unix = int(wall.replace(tzinfo=timezone.utc).timestamp())
    return unix - offset_at(zone, unix - offset_at(zone, unix))


def plan(request):
    zone = ZoneInfo(request["zone"])
    policy = request["policy"]
    backups = sorted(request["backups"], key=lambda b: (b["time"], b["id"]), reverse=True)
    reasons = {b["id"]: [] for b in backups}
    if policy is None:
        return {b["id"]: ["no policy"] for b in backups}
    if "keepWithin" in policy:
        days, hours = policy["keepWithin"]
        past = [b["time"] for b in backups if b["time"] < request["now"]]
        if past:
            local = datetime.fromtimestamp(max(past), zone).replace(tzinfo=None) - timedelta(days=days)
            cutoff = go_date(local, zone) - hours * 3600
        else:
            cutoff = float("-inf")
        for b in backups:
            if b["time"] > cutoff:
                reasons[b["id"]].append("within " + window_text(days, hours))
    for key, name, bucket in RULES:
        count = policy.get(key)
        if not count:
            continue
        if bucket is None:
            groups = [[b] for b in backups]
        else:
            groups, seen = [], {}
            for b in backups:
                k = bucket(datetime.fromtimestamp(b["time"], zone))
                if k not in seen:
                    seen[k] = len(groups)
                    groups.append([])
                groups[seen[k]].append(b)
        for group in groups[:count]:
            reasons[group[0]["id"]].append(name)
        if len(groups) < count and backups and backups[-1] is not groups[-1][0]:
            reasons[backups[-1]["id"]].append("oldest " + name)
    order = ["within", "last", "hourly", "daily", "weekly", "monthly", "yearly"]
    for r in reasons.values():
        r.sort(key=lambda text: order.index(text.split()[-1] if text.startswith("oldest") else text.split()[0]))
    if backups and not reasons[backups[0]["id"]]:
        reasons[backups[0]["id"]].append("newest")
    return reasons


if __name__ == "__main__":
    request = json.load(sys.stdin)
    print(json.dumps([plan(r) for r in request] if isinstance(request, list) else plan(request)))
