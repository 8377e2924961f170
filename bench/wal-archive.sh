#!/usr/bin/env bash
# WAL archiving throughput under pgbench: segments per second archived by a PostgreSQL cluster
# whose archive_command is `backupd wal-push` (through a running daemon), against the same
# cluster setup archiving with `aws s3 cp %p s3://…` (what people script), printed side by side,
# with how many segments each left waiting in pg_wal/archive_status at the end.
#
#   sudo -E bench/wal-archive.sh [SECONDS]     (default 60 per contender; BACKUPD=path uses that binary)
#
# Each contender gets its own cluster (initdb as postgres, wal_segment_size 16 MiB, fsync off) and
# bucket; pgbench runs SECONDS with 4 clients, then the archiver is given SECONDS/2 to catch up.
# Needs root (PostgreSQL runs as postgres, backupd's daemon as root), the PostgreSQL server and
# pgbench (Debian: postgresql, postgresql-contrib), the AWS CLI, and radosgw from BACKUPD_TEST_S3_*.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-60}
say() { echo "wal-archive.sh: $*" >&2; }
[[ $(id -u) == 0 ]] || { say "run as root (sudo -E)"; exit 2; }
: "${BACKUPD_TEST_S3_ENDPOINT:?source the environment of the test servers (BACKUPD_TEST_S3_*)}"
if [[ -z "${BACKUPD:-}" ]]; then
  swift build -c release --product backupd >&2
  BACKUPD=$(pwd)/.build/release/backupd
fi
bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
tmp=$(mktemp -d /tmp/backupd-walbench.XXXXXX)
chmod 711 "$tmp"
export AWS_ACCESS_KEY_ID=$BACKUPD_TEST_S3_ACCESS_KEY AWS_SECRET_ACCESS_KEY=$BACKUPD_TEST_S3_SECRET_KEY \
  AWS_EC2_METADATA_DISABLED=true AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null
aws=(aws --endpoint-url "$BACKUPD_TEST_S3_ENDPOINT" --region "${BACKUPD_TEST_S3_REGION:-us-east-1}")
daemon=
cleanup() {
  for d in "$tmp"/*/data; do [[ -d $d ]] && runuser -u postgres -- "$bin/pg_ctl" -D "$d" -m immediate stop >/dev/null 2>&1 || true; done
  [[ -n $daemon ]] && kill "$daemon" 2>/dev/null && wait "$daemon" 2>/dev/null || true
  rm -rf "$tmp"
}
trap cleanup EXIT

# cluster NAME ARCHIVE_COMMAND: a fresh cluster archiving with ARCHIVE_COMMAND; prints its port.
cluster() {
  local dir=$tmp/$1 port
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  install -d -o postgres -g postgres "$dir"
  runuser -u postgres -- "$bin/initdb" -D "$dir/data" -U postgres --auth=trust --no-sync >/dev/null
  cat >>"$dir/data/postgresql.conf" <<CONF
port = $port
listen_addresses = ''
unix_socket_directories = '$dir'
wal_level = replica
archive_mode = on
archive_command = '$2'
fsync = off
max_wal_size = 4GB
CONF
  runuser -u postgres -- "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w start >/dev/null
  echo "$port"
}

# measure NAME PORT: pgbench for $seconds, then up to $seconds/2 to catch up; prints "segments seconds waiting".
measure() {
  local dir=$tmp/$1 port=$2 before after waiting start end
  psql() { runuser -u postgres -- "$bin/psql" -X -A -t -h "$dir" -p "$port" -U postgres -d postgres -c "$1"; }
  runuser -u postgres -- "$bin/pgbench" -i -q -s 20 -h "$dir" -p "$port" -U postgres postgres >/dev/null 2>&1
  psql "SELECT pg_switch_wal()" >/dev/null
  sleep 2
  before=$(psql "SELECT archived_count FROM pg_stat_archiver")
  start=$(date +%s.%N)
  runuser -u postgres -- "$bin/pgbench" -c 4 -j 2 -T "$seconds" -h "$dir" -p "$port" -U postgres postgres >/dev/null 2>&1
  psql "SELECT pg_switch_wal()" >/dev/null
  for _ in $(seq 1 $(( seconds * 2 ))); do
    waiting=$(psql "SELECT count(*) FROM pg_ls_archive_statusdir() WHERE name LIKE '%.ready'")
    [[ $waiting == 0 ]] && break
    sleep 0.5
  done
  end=$(date +%s.%N)
  after=$(psql "SELECT archived_count FROM pg_stat_archiver")
  waiting=$(psql "SELECT count(*) FROM pg_ls_archive_statusdir() WHERE name LIKE '%.ready'")
  echo "$(( after - before )) $(echo "$end - $start" | bc) $waiting"
}

# backupd: a daemon with one PITR job; secrets by environment, so the config is readable by postgres.
bucket1=walbench-b-$$-$RANDOM
"${aws[@]}" s3 mb "s3://$bucket1" >/dev/null
install -d -m 711 "$tmp/backupd"
export BENCH_S3_KEY=$AWS_ACCESS_KEY_ID BENCH_S3_SECRET=$AWS_SECRET_ACCESS_KEY
cat >"$tmp/backupd/config.json" <<JSON
{"stateDirectory": "$tmp/backupd/state",
 "destinations": [{"name": "s3", "endpoint": "$BACKUPD_TEST_S3_ENDPOINT", "region": "${BACKUPD_TEST_S3_REGION:-us-east-1}",
   "bucket": "$bucket1", "pathStyle": true, "accessKeyId": {"env": "BENCH_S3_KEY"}, "secretAccessKey": {"env": "BENCH_S3_SECRET"}}],
 "jobs": [{"name": "bench", "engine": "postgres", "schedule": "0 3 * * *", "destination": "s3",
   "connection": {"host": "$tmp/pg-backupd", "port": 5432, "username": "postgres", "database": "postgres"},
   "pitr": {"archiveUser": "postgres"}}]}
JSON
chmod 644 "$tmp/backupd/config.json"
"$BACKUPD" run --config "$tmp/backupd/config.json" >"$tmp/backupd/daemon.log" 2>&1 &
daemon=$!
for _ in $(seq 1 100); do [[ -S $tmp/backupd/state/control.sock ]] && break; sleep 0.1; done
port=$(cluster pg-backupd "$BACKUPD wal-push --config $tmp/backupd/config.json bench %p")
read -r b_segments b_seconds b_waiting < <(measure pg-backupd "$port")

# aws s3 cp: the AWS CLI, its keys in a script only the server's user can read (not in argv).
bucket2=walbench-a-$$-$RANDOM
"${aws[@]}" s3 mb "s3://$bucket2" >/dev/null
aws_bin=$(python3 -c 'import shutil, os; print(os.path.realpath(shutil.which("aws")))')
[[ $aws_bin == /root/* ]] && aws_bin=$(pyenv which aws 2>/dev/null || echo "$aws_bin")
cat >"$tmp/aws-archive.sh" <<SH
#!/bin/sh
export AWS_ACCESS_KEY_ID='$AWS_ACCESS_KEY_ID' AWS_SECRET_ACCESS_KEY='$AWS_SECRET_ACCESS_KEY' AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null AWS_EC2_METADATA_DISABLED=true
exec "$aws_bin" --endpoint-url $BACKUPD_TEST_S3_ENDPOINT --region ${BACKUPD_TEST_S3_REGION:-us-east-1} --only-show-errors s3 cp "\$1" "s3://$bucket2/\$2"
SH
chown postgres "$tmp/aws-archive.sh"
chmod 700 "$tmp/aws-archive.sh"
if runuser -u postgres -- test -x "$aws_bin"; then
  port=$(cluster pg-aws "$tmp/aws-archive.sh %p %f")
  read -r a_segments a_seconds a_waiting < <(measure pg-aws "$port")
else
  say "the AWS CLI at $aws_bin cannot be run by postgres (install it system-wide, e.g. pip install awscli as root outside /root); its row stays empty"
  a_segments=0 a_seconds=1 a_waiting=n/a
fi

printf '%-22s %10s %10s %12s %10s\n' "archive_command" segments seconds "segments/s" waiting
printf '%-22s %10s %10.1f %12.2f %10s\n' "backupd wal-push" "$b_segments" "$b_seconds" "$(echo "$b_segments / $b_seconds" | bc -l)" "$b_waiting"
printf '%-22s %10s %10.1f %12.2f %10s\n' "aws s3 cp" "$a_segments" "$a_seconds" "$(echo "$a_segments / $a_seconds" | bc -l)" "$a_waiting"
