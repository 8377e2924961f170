#!/usr/bin/env bash
# backupd against what people script, side by side, in one run: each variant RUNS times (default 3),
# the variants of a group interleaved, and the medians (with the range of wall times) and ratios
# printed at the end. All figures from `/usr/bin/time`: wall, CPU (user + sys of the whole process
# tree: backupd's includes its dump tool, the pipelines' every stage) and peak RSS (the largest
# single process of the tree). The database server's and radosgw's own CPU count in neither; they
# are printed apart ("server CPU": every postgres and radosgw process on the host, so other users
# of shared servers count too).
#
#   bench/compare.sh                 (QUICK=1 for a smoke run: small sizes, one run each)
#
# Groups (SECTIONS="upload pg restore" by default):
# - upload: `backupd run-now` of a command job (s3-bench --generate: GIB GiB of incompressible
#   bytes, compression none) against `s3-bench --generate | aws s3 cp -`, over HTTP to radosgw,
#   over TLS (nginx in front of radosgw, a throw-away CA), and through bench/throttle-relay.py
#   (THROTTLE_MIBPS MiB/s each way; it answers `Expect: 100-continue` itself).
# - pg: on a pgbench database (PGBENCH_SCALE) and on a table of md5 hex text that compresses about
#   2:1 (HEX_MIB MiB): `backupd run-now` of a postgres job at the default compression (and with
#   `"threads": N` for each N of ZSTD_THREADS, default "0 1", and `"level": L` for each L of
#   ZSTD_LEVELS, default 3) against `pg_dump -Fc -Z0 > /dev/null` (the tool
#   alone), `pg_dump -Fc | aws s3 cp -` and `pg_dump -Fc -Z0 | zstd | aws s3 cp -`.
# - restore: `backupd restore` of the newest backup of the pg group into a fresh database against
#   `aws s3 cp s3://… - | pg_restore` of the `pg_dump -Fc` object (same pg_restore options:
#   --single-transaction --exit-on-error --no-owner --no-privileges); row counts are checked.
#
# Servers: those of BACKUPD_TEST_PG_* / BACKUPD_TEST_S3_* when set (`source /tmp/shared-srv/all.env`),
# else throw-away ones from scripts/testenv (radosgw needs root). BACKUPD=path and S3BENCH=path use
# those binaries instead of a release build. KEEP_DB=1 keeps the seeded databases for the next run.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
if [[ -n "${QUICK:-}" ]]; then
  : "${RUNS:=1}" "${GIB:=0.25}" "${PGBENCH_SCALE:=5}" "${HEX_MIB:=64}" "${THROTTLE_MIBPS:=64}"
fi
RUNS=${RUNS:-3} GIB=${GIB:-1} PGBENCH_SCALE=${PGBENCH_SCALE:-50} HEX_MIB=${HEX_MIB:-512}
THROTTLE_MIBPS=${THROTTLE_MIBPS:-64} ZSTD_THREADS=${ZSTD_THREADS-0 1} ZSTD_LEVELS=${ZSTD_LEVELS-3} SECTIONS=${SECTIONS:-upload pg restore}
say() { echo "compare.sh: $*" >&2; }
has() { [[ " $SECTIONS " == *" $1 "* ]]; }

if [[ -z "${BACKUPD:-}" || -z "${S3BENCH:-}" ]]; then
  swift build -c release --product backupd >&2
  swift build -c release --product s3-bench >&2
fi
backupd=${BACKUPD:-$root/.build/release/backupd}
s3bench=${S3BENCH:-$root/.build/release/s3-bench}

tmp=$(mktemp -d "${TMPDIR:-/tmp}/backupd-compare.XXXXXX")
chmod 0711 "$tmp"
started=() dbs=() relay_pid=""
cleanup() {
  [[ -f "$tmp/nginx.pid" ]] && kill "$(cat "$tmp/nginx.pid")" 2>/dev/null || true
  [[ -n "$relay_pid" ]] && kill "$relay_pid" 2>/dev/null || true
  if [[ -n "${bucket:-}" ]]; then "${aws[@]}" s3 rb "s3://$bucket" --force >/dev/null 2>&1 || true; fi
  for db in "${dbs[@]}"; do psql -X -q "${pg[@]}" -d postgres -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null 2>&1 || true; done
  for s in "${started[@]}"; do scripts/testenv/$s.sh stop "$tmp/$s" >/dev/null 2>&1 || true; done
  rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM  # so that a stopped run still cleans up (the EXIT trap)
if has pg || has restore; then
  if [[ -z "${BACKUPD_TEST_PG_PORT:-}" ]]; then
    say "starting PostgreSQL"; eval "$(scripts/testenv/postgres.sh start "$tmp/postgres")"; started+=(postgres)
  fi
fi
if [[ -z "${BACKUPD_TEST_S3_ENDPOINT:-}" ]]; then
  say "starting radosgw"; eval "$(scripts/testenv/s3.sh start "$tmp/s3")"; started+=(s3)
fi
export AWS_ACCESS_KEY_ID=$BACKUPD_TEST_S3_ACCESS_KEY AWS_SECRET_ACCESS_KEY=$BACKUPD_TEST_S3_SECRET_KEY \
  AWS_EC2_METADATA_DISABLED=true AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null \
  AWS_REQUEST_CHECKSUM_CALCULATION=when_required AWS_RESPONSE_CHECKSUM_VALIDATION=when_required
# (The CLI's default flexible checksums send aws-chunked bodies without Content-Length, which
# radosgw behind nginx refuses: checksums only where required, as in bench/s3-upload.sh.)
export PGPASSWORD=${BACKUPD_TEST_PG_PASSWORD:-}
pg=(-h "${BACKUPD_TEST_PG_HOST:-}" -p "${BACKUPD_TEST_PG_PORT:-}" -U "${BACKUPD_TEST_PG_USER:-}")
plain=$BACKUPD_TEST_S3_ENDPOINT
aws=(aws --endpoint-url "$plain" --region "$BACKUPD_TEST_S3_REGION")
bucket=compare-$$-$RANDOM
"${aws[@]}" s3 mb "s3://$bucket" >/dev/null

source bench/compare-lib.sh
postmaster=$(psql -X -At "${pg[@]}" -d postgres -c "SELECT pid FROM pg_stat_activity WHERE backend_type = 'checkpointer'" 2>/dev/null || true)
postmaster=$(awk '{print $4}' "/proc/${postmaster:-0}/stat" 2>/dev/null || echo 0)

results=$tmp/results.tsv
: > "$results"
destinations="$(destination plain "$plain")"
jobs=""
if has upload; then
  start_tls_proxy
  start_relay
  destinations+=", $(destination tls "$tls" "\"caFile\": \"$tmp/ca.pem\",")"
  destinations+=", $(destination slow "$slow")"
  for d in plain tls slow; do
    jobs+="{\"name\": \"up-$d\", \"engine\": \"command\", \"schedule\": \"0 3 * * *\", \"destination\": \"$d\",
      \"prefix\": \"up-$d\", \"compression\": \"none\",
      \"connection\": {\"argv\": [\"$s3bench\", \"--generate\", \"--gib\", \"$GIB\"], \"extension\": \"bin\"}},"
  done
fi
datasets=()
if has pg || has restore; then
  datasets=("cmp_pgbench_s$PGBENCH_SCALE" "cmp_hex_${HEX_MIB}m")
  for ds in "${datasets[@]}"; do
    seed "$ds"
    jobs+="$(pg_job "pg-$ds" "$ds" ""),"
    for t in $ZSTD_THREADS; do jobs+="$(pg_job "pg-$ds-t$t" "$ds" ", \"compression\": {\"algorithm\": \"zstd\", \"threads\": $t}"),"; done
    for l in $ZSTD_LEVELS; do jobs+="$(pg_job "pg-$ds-l$l" "$ds" ", \"compression\": {\"algorithm\": \"zstd\", \"level\": $l}"),"; done
  done
fi
cat > "$tmp/config.json" <<JSON
{"stateDirectory": "$tmp/state", "destinations": [$destinations], "jobs": [${jobs%,}]}
JSON
chmod 600 "$tmp/config.json"
"$backupd" validate --config "$tmp/config.json" >/dev/null

if has upload; then
  bytes=$(awk -v g="$GIB" 'BEGIN {printf "%d", g * 1073741824}')
  for run in $(seq "$RUNS"); do
    for d in plain tls slow; do
      case $d in plain) ep=$plain cab=();; tls) ep=$tls cab=(--ca-bundle "$tmp/ca.pem");; slow) ep=$slow cab=();; esac
      measure "upload $d" "backupd run-now" "$bytes" "$run" "$backupd" run-now "up-$d" --config "$tmp/config.json"
      "${aws[@]}" s3 rm "s3://$bucket/up-$d/" --recursive --quiet
      measure "upload $d" "aws s3 cp -" "$bytes" "$run" bash -c \
        "'$s3bench' --generate --gib $GIB | aws --endpoint-url $ep --region $BACKUPD_TEST_S3_REGION ${cab[*]} s3 cp - s3://$bucket/aws-$d --quiet"
      "${aws[@]}" s3 rm "s3://$bucket/aws-$d" --quiet
    done
  done
fi

if has pg; then
  for run in $(seq "$RUNS"); do
    for ds in "${datasets[@]}"; do
      raw=$(cat "$tmp/raw-$ds")
      group="pg $ds"
      measure "$group" "pg_dump -Fc -Z0 > /dev/null" "$raw" "$run" bash -c "pg_dump -Fc -Z0 ${pg[*]} -d $ds > /dev/null"
      "${aws[@]}" s3 rm "s3://$bucket/pg-$ds/" --recursive --quiet
      measure "$group" "backupd run-now (zstd 1)" "$raw" "$run" "$backupd" run-now "pg-$ds" --config "$tmp/config.json"
      stored "$group" "backupd run-now (zstd 1)" "pg-$ds/" "dump.zst"
      for t in $ZSTD_THREADS; do
        "${aws[@]}" s3 rm "s3://$bucket/pg-$ds-t$t/" --recursive --quiet
        measure "$group" "backupd run-now (zstd 1, threads $t)" "$raw" "$run" "$backupd" run-now "pg-$ds-t$t" --config "$tmp/config.json"
        stored "$group" "backupd run-now (zstd 1, threads $t)" "pg-$ds-t$t/" "dump.zst"
        "${aws[@]}" s3 rm "s3://$bucket/pg-$ds-t$t/" --recursive --quiet
      done
      for l in $ZSTD_LEVELS; do
        "${aws[@]}" s3 rm "s3://$bucket/pg-$ds-l$l/" --recursive --quiet
        measure "$group" "backupd run-now (zstd $l)" "$raw" "$run" "$backupd" run-now "pg-$ds-l$l" --config "$tmp/config.json"
        stored "$group" "backupd run-now (zstd $l)" "pg-$ds-l$l/" "dump.zst"
        "${aws[@]}" s3 rm "s3://$bucket/pg-$ds-l$l/" --recursive --quiet
      done
      measure "$group" "pg_dump -Fc | aws s3 cp -" "$raw" "$run" bash -c \
        "pg_dump -Fc ${pg[*]} -d $ds | ${aws[*]} s3 cp - s3://$bucket/base-$ds.dump --quiet"
      stored "$group" "pg_dump -Fc | aws s3 cp -" "base-$ds.dump" ""
      measure "$group" "pg_dump -Fc -Z0 | zstd | aws s3 cp -" "$raw" "$run" bash -c \
        "set -o pipefail; pg_dump -Fc -Z0 ${pg[*]} -d $ds | zstd -q -c | ${aws[*]} s3 cp - s3://$bucket/zstd-$ds.dump.zst --quiet"
      stored "$group" "pg_dump -Fc -Z0 | zstd | aws s3 cp -" "zstd-$ds.dump.zst" ""
      "${aws[@]}" s3 rm "s3://$bucket/zstd-$ds.dump.zst" --quiet
    done
  done
fi

if has restore; then
  for ds in "${datasets[@]}"; do
    # What to restore: the pg group's last backups, else fresh ones (not timed).
    "${aws[@]}" s3 ls "s3://$bucket/pg-$ds/" | grep -q 'dump.zst' || "$backupd" run-now "pg-$ds" --config "$tmp/config.json" >/dev/null
    "${aws[@]}" s3 ls "s3://$bucket/base-$ds.dump" >/dev/null 2>&1 \
      || bash -c "pg_dump -Fc ${pg[*]} -d $ds | ${aws[*]} s3 cp - s3://$bucket/base-$ds.dump --quiet"
  done
  for run in $(seq "$RUNS"); do
    for ds in "${datasets[@]}"; do
      raw=$(cat "$tmp/raw-$ds")
      fresh
      measure "restore $ds" "backupd restore" "$raw" "$run" "$backupd" restore "pg-$ds" --to "$target" --config "$tmp/config.json"
      check_restored "$ds" "$target"
      fresh
      measure "restore $ds" "aws s3 cp - | pg_restore" "$raw" "$run" bash -c \
        "set -o pipefail; ${aws[*]} s3 cp s3://$bucket/base-$ds.dump - | pg_restore ${pg[*]} -d $target --single-transaction --exit-on-error --no-owner --no-privileges"
      check_restored "$ds" "$target"
    done
  done
fi

echo
echo "bench/compare.sh, $(date -u '+%Y-%m-%d %H:%M UTC'), commit $(git rev-parse --short HEAD 2>/dev/null || echo '?'), $(nproc) cores, RUNS=$RUNS GIB=$GIB PGBENCH_SCALE=$PGBENCH_SCALE HEX_MIB=$HEX_MIB THROTTLE_MIBPS=$THROTTLE_MIBPS"
python3 bench/compare-report.py "$results"
