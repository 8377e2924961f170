#!/usr/bin/env bash
# WAL archiving throughput: segments per second that PostgreSQL archives with three
# archive_commands writing to the same radosgw, printed side by side:
#   backupd wal-push   (through a running daemon; zstd level 1, the default; the next segment
#                       waiting is sent ahead, see WALAheadStores)
#   aws s3 cp %p       (what people script; the AWS CLI, stored as is)
#   pgbackrest         (archive-push, synchronous as by default; compress-type zst level 1 like
#                       backupd's; over TLS through a local socat terminator: pgBackRest speaks
#                       only HTTPS to S3)
#
#   sudo -E bench/wal-archive.sh [SECONDS] [BACKLOG]   (defaults 30 and 48; BACKUPD=path uses that binary)
#
# Each contender gets its own cluster (initdb as postgres, 16 MiB segments, fsync off, pgbench
# scale 5) and bucket, both removed before the next contender starts:
#  1. steady: pgbench (4 clients) for SECONDS while archiving; the most segments left waiting in
#     pg_wal/archive_status at any second, and at the end, say whether archiving keeps up;
#  2. drain: archiving paused (archive_command = ''), bulk inserts write until BACKLOG segments wait,
#     then archiving resumes and the time until none waits gives the segments/s the command can
#     archive (the column that compares the commands; the steady phase is bounded by pgbench).
# Needs root, the PostgreSQL server and pgbench, pgbackrest, socat and openssl, an AWS CLI that
# postgres can run (/opt/backupd-awscli from scripts/install-deps.sh, else `aws` on PATH), and
# radosgw from BACKUPD_TEST_S3_*.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-30}
backlog=${2:-48}
say() { echo "wal-archive.sh: $*" >&2; }
[[ $(id -u) == 0 ]] || { say "run as root (sudo -E)"; exit 2; }
: "${BACKUPD_TEST_S3_ENDPOINT:?source the environment of the test servers (BACKUPD_TEST_S3_*)}"
if [[ -z "${BACKUPD:-}" ]]; then
  swift build -c release --product backupd >&2
  BACKUPD=$(pwd)/.build/release/backupd
fi
region=${BACKUPD_TEST_S3_REGION:-us-east-1}
s3_port=$(python3 -c 'import sys, urllib.parse; print(urllib.parse.urlparse(sys.argv[1]).port or 80)' "$BACKUPD_TEST_S3_ENDPOINT")
bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
tmp=$(mktemp -d /tmp/backupd-walbench.XXXXXX)
chmod 711 "$tmp"
export AWS_ACCESS_KEY_ID=$BACKUPD_TEST_S3_ACCESS_KEY AWS_SECRET_ACCESS_KEY=$BACKUPD_TEST_S3_SECRET_KEY \
  AWS_EC2_METADATA_DISABLED=true AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null
aws_bin=/opt/backupd-awscli/bin/aws
[[ -x $aws_bin ]] || aws_bin=$(command -v aws)
aws=("$aws_bin" --endpoint-url "$BACKUPD_TEST_S3_ENDPOINT" --region "$region")
pids=()
buckets=()
cleanup() {
  for d in "$tmp"/*/data; do [[ -d $d ]] && runuser -u postgres -- "$bin/pg_ctl" -D "$d" -m immediate stop >/dev/null 2>&1 || true; done
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null && wait "$p" 2>/dev/null || true; done
  # The daemon's log (one line per archived file) outlives the run, for a look at where time went.
  [[ -f $tmp/backupd/daemon.log ]] && cp "$tmp/backupd/daemon.log" /tmp/wal-archive-bench-daemon.log
  # The buckets go too: a radosgw on memstore keeps every byte in RAM.
  for b in "${buckets[@]}"; do timeout 300 "${aws[@]}" s3 rb --force "s3://$b" >/dev/null 2>&1 || say "could not remove bucket $b"; done
  rm -rf "$tmp"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

# cluster NAME ARCHIVE_COMMAND: a fresh cluster archiving with ARCHIVE_COMMAND; prints its port.
cluster() {
  local dir=$tmp/$1 port
  port=$(free_port)
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

# measure NAME PORT: prints "steady_segments steady_seconds max_waiting end_waiting drained drain_seconds".
measure() {
  local dir=$tmp/$1 port=$2 before after waiting most=0 start end bench
  psql() { runuser -u postgres -- "$bin/psql" -X -A -t -h "$dir" -p "$port" -U postgres -d postgres -c "$1"; }
  ready() { psql "SELECT count(*) FROM pg_ls_archive_statusdir() WHERE name LIKE '%.ready'"; }
  pgbench() { runuser -u postgres -- "$bin/pgbench" -h "$dir" -p "$port" -U postgres "$@" postgres >/dev/null 2>&1; }
  pgbench -i -q -s 5
  psql "SELECT pg_switch_wal()" >/dev/null
  for _ in $(seq 1 240); do [[ $(ready) == 0 ]] && break; sleep 0.5; done

  # 1. steady
  before=$(psql "SELECT archived_count FROM pg_stat_archiver")
  start=$(date +%s.%N)
  pgbench -c 4 -j 2 -T "$seconds" &
  bench=$!
  while kill -0 "$bench" 2>/dev/null; do
    waiting=$(ready)
    (( waiting > most )) && most=$waiting
    sleep 1
  done
  wait "$bench" || true
  end=$(date +%s.%N)
  after=$(psql "SELECT archived_count FROM pg_stat_archiver")
  waiting=$(ready)
  local steady="$(( after - before )) $(echo "$end - $start" | bc) $most $waiting"
  for _ in $(seq 1 $(( seconds * 4 ))); do [[ $(ready) == 0 ]] && break; sleep 0.5; done

  # 2. drain
  psql "ALTER SYSTEM SET archive_command = ''" >/dev/null
  psql "SELECT pg_reload_conf()" >/dev/null
  sleep 1
  # Bulk inserts (two md5s a row: about half compressible) fill segments faster than pgbench.
  psql "CREATE TABLE IF NOT EXISTS filler (id int, t text)" >/dev/null
  for _ in $(seq 1 200); do
    (( $(ready) >= backlog )) && break
    psql "INSERT INTO filler SELECT g, md5(g::text) || md5(random()::text) FROM generate_series(1, 300000) g" >/dev/null
  done
  psql "SELECT pg_switch_wal()" >/dev/null
  waiting=$(ready)
  before=$(psql "SELECT archived_count FROM pg_stat_archiver")
  start=$(date +%s.%N)
  psql "ALTER SYSTEM RESET archive_command" >/dev/null
  psql "SELECT pg_reload_conf()" >/dev/null
  for _ in $(seq 1 6000); do [[ $(ready) == 0 ]] && break; sleep 0.1; done
  end=$(date +%s.%N)
  after=$(psql "SELECT archived_count FROM pg_stat_archiver")
  echo "$steady $(( after - before )) $(echo "$end - $start" | bc)"
}

# drop NAME PORT BUCKET: stops the contender's cluster and removes its bucket at once, so that a
# memstore radosgw holds one contender's WAL at a time.
drop() {
  runuser -u postgres -- "$bin/pg_ctl" -D "$tmp/$1/data" -m fast stop >/dev/null 2>&1 || true
  timeout 300 "${aws[@]}" s3 rb --force "s3://$3" >/dev/null 2>&1 || { say "could not remove bucket $3"; return; }
  local kept=() b
  for b in "${buckets[@]}"; do [[ $b == "$3" ]] || kept+=("$b"); done
  buckets=("${kept[@]}")
}

# bucket LETTER: makes a bucket and sets $bucket_name (not in a subshell, so cleanup knows it).
bucket() {
  bucket_name=walbench-$1-$$-$RANDOM
  "${aws[@]}" s3 mb "s3://$bucket_name" >/dev/null
  buckets+=("$bucket_name")
}

timeout 30 "${aws[@]}" s3 ls >/dev/null || { say "radosgw at $BACKUPD_TEST_S3_ENDPOINT does not answer a bucket listing within 30 s"; exit 1; }

# backupd: a daemon with one PITR job; secrets by environment, so the config is readable by postgres.
bucket b; bucket1=$bucket_name
install -d -m 711 "$tmp/backupd"
export BENCH_S3_KEY=$AWS_ACCESS_KEY_ID BENCH_S3_SECRET=$AWS_SECRET_ACCESS_KEY
cat >"$tmp/backupd/config.json" <<JSON
{"stateDirectory": "$tmp/backupd/state",
 "destinations": [{"name": "s3", "endpoint": "$BACKUPD_TEST_S3_ENDPOINT", "region": "$region",
   "bucket": "$bucket1", "pathStyle": true, "accessKeyId": {"env": "BENCH_S3_KEY"}, "secretAccessKey": {"env": "BENCH_S3_SECRET"}}],
 "jobs": [{"name": "bench", "engine": "postgres", "schedule": "0 3 * * *", "destination": "s3",
   "connection": {"host": "$tmp/pg-backupd", "port": 5432, "username": "postgres", "database": "postgres"},
   "pitr": {"archiveUser": "postgres"}}]}
JSON
chmod 644 "$tmp/backupd/config.json"
"$BACKUPD" run --config "$tmp/backupd/config.json" >"$tmp/backupd/daemon.log" 2>&1 &
pids+=($!)
for _ in $(seq 1 100); do [[ -S $tmp/backupd/state/control.sock ]] && break; sleep 0.1; done
port=$(cluster pg-backupd "$BACKUPD wal-push --config $tmp/backupd/config.json bench %p")
say "backupd wal-push ..."
read -r b_steady b_steady_s b_most b_end b_drained b_drain_s < <(measure pg-backupd "$port")
drop pg-backupd "$port" "$bucket1"

# aws s3 cp: the AWS CLI, its keys in a script only the server's user can read (not in argv).
bucket a; bucket2=$bucket_name
cat >"$tmp/aws-archive.sh" <<SH
#!/bin/sh
export AWS_ACCESS_KEY_ID='$AWS_ACCESS_KEY_ID' AWS_SECRET_ACCESS_KEY='$AWS_SECRET_ACCESS_KEY' AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null AWS_EC2_METADATA_DISABLED=true
exec "$aws_bin" --endpoint-url $BACKUPD_TEST_S3_ENDPOINT --region $region --only-show-errors s3 cp "\$1" "s3://$bucket2/\$2"
SH
chown postgres "$tmp/aws-archive.sh"
chmod 700 "$tmp/aws-archive.sh"
if runuser -u postgres -- "$aws_bin" --version >/dev/null 2>&1; then
  port=$(cluster pg-aws "$tmp/aws-archive.sh %p %f")
  say "aws s3 cp ..."
  read -r a_steady a_steady_s a_most a_end a_drained a_drain_s < <(measure pg-aws "$port")
  drop pg-aws "$port" "$bucket2"
else
  say "the AWS CLI at $aws_bin cannot be run by postgres (scripts/install-deps.sh installs /opt/backupd-awscli); its row stays empty"
  a_steady=0 a_steady_s=1 a_most=n/a a_end=n/a a_drained=0 a_drain_s=1
fi

# pgBackRest: archive-push to its own bucket through a TLS terminator (socat) in front of radosgw.
if command -v pgbackrest >/dev/null; then
  bucket r; bucket3=$bucket_name
  install -d -o postgres -g postgres -m 700 "$tmp/pgbackrest"
  openssl req -x509 -newkey rsa:2048 -nodes -subj /CN=127.0.0.1 -days 1 -keyout "$tmp/tls.key" -out "$tmp/tls.crt" 2>/dev/null
  cat "$tmp/tls.key" "$tmp/tls.crt" >"$tmp/tls.pem"
  tls_port=$(free_port)
  socat "OPENSSL-LISTEN:$tls_port,bind=127.0.0.1,reuseaddr,fork,cert=$tmp/tls.pem,verify=0" "TCP:127.0.0.1:$s3_port" &
  pids+=($!)
  conf=$tmp/pgbackrest/pgbackrest.conf
  # Archiving fails (and PostgreSQL retries) until the stanza below exists.
  pgbr_port=$(cluster pg-pgbackrest "pgbackrest --config=$conf --stanza=bench archive-push %p")
  cat >"$conf" <<CONF
[global]
repo1-type=s3
repo1-path=/pgbackrest
repo1-s3-bucket=$bucket3
repo1-s3-endpoint=127.0.0.1
repo1-storage-port=$tls_port
repo1-storage-verify-tls=n
repo1-s3-region=$region
repo1-s3-key=$AWS_ACCESS_KEY_ID
repo1-s3-key-secret=$AWS_SECRET_ACCESS_KEY
repo1-s3-uri-style=path
compress-type=zst
compress-level=1
log-path=$tmp/pgbackrest/log
lock-path=$tmp/pgbackrest/lock
spool-path=$tmp/pgbackrest/spool
log-level-console=warn
log-level-file=off

[bench]
pg1-path=$tmp/pg-pgbackrest/data
pg1-socket-path=$tmp/pg-pgbackrest
pg1-port=$pgbr_port
pg1-user=postgres
CONF
  chown postgres "$conf"
  chmod 600 "$conf"
  runuser -u postgres -- pgbackrest --config="$conf" --stanza=bench stanza-create >&2
  say "pgbackrest archive-push ..."
  read -r r_steady r_steady_s r_most r_end r_drained r_drain_s < <(measure pg-pgbackrest "$pgbr_port")
  drop pg-pgbackrest "$pgbr_port" "$bucket3"
else
  say "pgbackrest is not installed (apt-get install pgbackrest); its row stays empty"
  r_steady=0 r_steady_s=1 r_most=n/a r_end=n/a r_drained=0 r_drain_s=1
fi

rate() { echo "$1 / $2" | bc -l; }
printf '%-26s %16s %14s %14s %18s\n' "archive_command" "drain segments/s" "drained (s)" "steady seg/s" "waiting max/end"
row() { printf '%-26s %16.2f %14s %14.2f %18s\n' "$1" "$(rate "$2" "$3")" "$2 in $(printf '%.1f' "$3")" "$(rate "$4" "$5")" "$6/$7"; }
row "backupd wal-push" "$b_drained" "$b_drain_s" "$b_steady" "$b_steady_s" "$b_most" "$b_end"
row "aws s3 cp" "$a_drained" "$a_drain_s" "$a_steady" "$a_steady_s" "$a_most" "$a_end"
row "pgbackrest archive-push" "$r_drained" "$r_drain_s" "$r_steady" "$r_steady_s" "$r_most" "$r_end"
say "drain: $backlog segments queued with archiving paused, then the time until none waits; steady: pgbench -c 4 for ${seconds}s (bounded by pgbench's WAL rate); $(date -u +%FT%TZ), $(nproc) cores"
