#!/bin/sh
# Soak: the daemon runs tiny command jobs on a seconds schedule (JOBS jobs, each every second)
# against the local radosgw until RUNS runs are recorded, and prints its RSS after WARMUP runs and
# at the end, with the growth per run in between (flat memory: about 0). RSS is the lowest of 20
# readings over 2 s, so that the buffers of the runs in flight at that moment do not count.
# Starts its own radosgw (scripts/testenv/s3.sh) unless BACKUPD_TEST_S3_ENDPOINT is set.
# Usage: bench/soak.sh [RUNS [WARMUP]]   (env: JOBS=4, BACKUPD_BIN=path to skip the release build,
#   KEEP_LAST=N for retention keepLast N, pruning after every run)
set -eu
cd "$(dirname "$0")/.."
runs=${1:-3000}
warmup=${2:-300}
jobs=${JOBS:-4}
retention=
[ -n "${KEEP_LAST:-}" ] && retention="\"retention\": {\"keepLast\": $KEEP_LAST},"
if [ -z "${BACKUPD_BIN:-}" ]; then
  swift build -c release --product backupd >&2
  BACKUPD_BIN=.build/release/backupd
fi

dir=$(mktemp -d /tmp/backupd-soak.XXXXXX)
pid=
cleanup() {
  [ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
  [ -n "${s3dir:-}" ] && scripts/testenv/s3.sh stop "$s3dir"
  rm -rf "$dir"
}
trap cleanup EXIT
if [ -z "${BACKUPD_TEST_S3_ENDPOINT:-}" ]; then
  s3dir="$dir/s3"
  eval "$(scripts/testenv/s3.sh start "$s3dir")"
fi
export AWS_ACCESS_KEY_ID="$BACKUPD_TEST_S3_ACCESS_KEY" AWS_SECRET_ACCESS_KEY="$BACKUPD_TEST_S3_SECRET_KEY"
export AWS_EC2_METADATA_DISABLED=true
bucket="soak-$$"
aws --endpoint-url "$BACKUPD_TEST_S3_ENDPOINT" --region "$BACKUPD_TEST_S3_REGION" s3 mb "s3://$bucket" >/dev/null

job_list=
i=1
while [ "$i" -le "$jobs" ]; do
  [ -n "$job_list" ] && job_list="$job_list,"
  job_list="$job_list{\"name\": \"soak$i\", \"engine\": \"command\", \"schedule\": \"* * * * * *\", \"destination\": \"local\",
    \"prefix\": \"soak/$i\", \"catchUp\": \"none\", \"connection\": {\"argv\": [\"head\", \"-c\", \"4096\", \"/dev/urandom\"], \"extension\": \".bin\"}}"
  i=$((i + 1))
done
cat >"$dir/config.json" <<JSON
{"stateDirectory": "$dir/state", "maxConcurrentJobs": $jobs, $retention
 "destinations": [{"name": "local", "endpoint": "$BACKUPD_TEST_S3_ENDPOINT", "region": "$BACKUPD_TEST_S3_REGION", "bucket": "$bucket",
                   "accessKeyId": {"env": "AWS_ACCESS_KEY_ID"}, "secretAccessKey": {"env": "AWS_SECRET_ACCESS_KEY"}}],
 "jobs": [$job_list]}
JSON
chmod 600 "$dir/config.json"

"$BACKUPD_BIN" run --config "$dir/config.json" --log-level warning 2>"$dir/daemon.log" &
pid=$!

count() {
  python3 -c "import sqlite3,sys; print(sqlite3.connect('file:$dir/state/history.sqlite3?mode=ro', uri=True).execute(\"SELECT count(*) FROM runs WHERE status = 'succeeded'\").fetchone()[0])" 2>/dev/null || echo 0
}
rss() {
  i=0 low=
  while [ "$i" -lt 20 ]; do
    now=$(awk '/^VmRSS/ {print $2}' "/proc/$pid/status")
    [ -z "$low" ] || [ "$now" -lt "$low" ] && low=$now
    i=$((i + 1))
    sleep 0.1
  done
  echo "$low"
}
wait_for() {
  while [ "$(count)" -lt "$1" ]; do
    kill -0 "$pid" 2>/dev/null || { echo "daemon died:" >&2; cat "$dir/daemon.log" >&2; exit 1; }
    sleep 2
  done
}

start=$(date +%s)
wait_for "$warmup"
warm_runs=$(count)
warm_rss=$(rss)
echo "after warm-up: $warm_runs runs, RSS $warm_rss KiB"
next=$((warm_runs + (runs - warm_runs) / 4))
while [ "$next" -lt "$runs" ]; do
  wait_for "$next"
  echo "  $(count) runs, RSS $(rss) KiB"
  next=$((next + (runs - warm_runs) / 4))
done
wait_for "$runs"
end_runs=$(count)
end_rss=$(rss)
failed=$(python3 -c "import sqlite3; print(sqlite3.connect('file:$dir/state/history.sqlite3?mode=ro', uri=True).execute(\"SELECT count(*) FROM runs WHERE status NOT IN ('succeeded', 'skipped', 'running')\").fetchone()[0])")
echo "at the end:    $end_runs runs, RSS $end_rss KiB ($(( $(date +%s) - start )) s; $failed runs failed or interrupted)"
echo "growth after warm-up: $((end_rss - warm_rss)) KiB over $((end_runs - warm_runs)) runs = $(( (end_rss - warm_rss) * 1024 / (end_runs - warm_runs) )) bytes/run"
kill "$pid" && wait "$pid" || true
pid=
aws --endpoint-url "$BACKUPD_TEST_S3_ENDPOINT" --region "$BACKUPD_TEST_S3_REGION" s3 rm "s3://$bucket" --recursive --quiet || true
aws --endpoint-url "$BACKUPD_TEST_S3_ENDPOINT" --region "$BACKUPD_TEST_S3_REGION" s3 rb "s3://$bucket" >/dev/null || true
