#!/usr/bin/env bash
# Checks contrib/: the Prometheus alert rules (`promtool check rules`), their unit tests on
# synthetic series (`promtool test rules`), and the Grafana dashboard (valid JSON, every panel
# with a query). That every metric they use is exported by a real daemon is checked by
# Tests/SystemdTests/test_package.py, which scrapes the packaged daemon. scripts/test.sh runs this.
set -euo pipefail
cd "$(dirname "$0")/.."
say() { echo "check-contrib: $*" >&2; }
command -v promtool >/dev/null || { say "promtool not found (Debian's prometheus package; run scripts/install-deps.sh)"; exit 1; }

promtool check rules contrib/prometheus/backupd-alerts.yml >&2
(cd contrib/prometheus && promtool test rules backupd-alerts.test.yml) >&2
python3 - contrib/grafana/backupd.json <<'PY'
import json, sys
path = sys.argv[1]
with open(path) as f:
    dashboard = json.load(f)
panels = dashboard.get("panels") or []
assert panels, f"{path}: no panels"
for panel in panels:
    exprs = [t.get("expr", "") for t in panel.get("targets") or []]
    assert exprs and all(exprs), f"{path}: panel {panel.get('title')!r} has no query"
print(f"check-contrib: {path}: {len(panels)} panels, valid", file=sys.stderr)
PY
say "ok"
