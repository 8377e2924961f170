#!/usr/bin/env bash
# Backs up a PostgreSQL database of SIZE MiB (default 3072) with `backupd run-now` and with
# `pg_dump -Fc | aws s3 cp -` against the same server and the same local S3 (radosgw), and prints
# wall time, peak RSS and CPU of each, and backupd's own CPU share.
#
#   bench/pg-dump.sh [SIZE_MIB]
#
# Uses the servers of BACKUPD_TEST_PG_* / BACKUPD_TEST_S3_* when set, else starts throw-away ones
# with scripts/testenv (needs root for radosgw). Peak RSS is /usr/bin/time's: the largest single
# process of the measured tree (backupd itself; aws for the baseline). backupd's own CPU is its
# total (which includes its reaped pg_dump) minus a separate `pg_dump -Fc -Z0 > /dev/null` run.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
size_mib=${1:-3072}
say() { echo "pg-dump.sh: $*" >&2; }

swift build -c release --product backupd >&2
backupd=$root/.build/release/backupd

tmp=$(mktemp -d "${TMPDIR:-/tmp}/backupd-bench.XXXXXX")
chmod 0711 "$tmp"
started=()
cleanup() {
  for s in "${started[@]}"; do scripts/testenv/$s.sh stop "$tmp/$s" >/dev/null 2>&1 || true; done
  rm -rf "$tmp"
}
trap cleanup EXIT
if [[ -z "${BACKUPD_TEST_PG_PORT:-}" ]]; then
  say "starting PostgreSQL"; eval "$(scripts/testenv/postgres.sh start "$tmp/postgres")"; started+=(postgres)
fi
if [[ -z "${BACKUPD_TEST_S3_ENDPOINT:-}" ]]; then
  say "starting radosgw"; eval "$(scripts/testenv/s3.sh start "$tmp/s3")"; started+=(s3)
fi
export PGPASSWORD=$BACKUPD_TEST_PG_PASSWORD AWS_ACCESS_KEY_ID=$BACKUPD_TEST_S3_ACCESS_KEY \
  AWS_SECRET_ACCESS_KEY=$BACKUPD_TEST_S3_SECRET_KEY AWS_EC2_METADATA_DISABLED=true \
  AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null
pg=(-h "$BACKUPD_TEST_PG_HOST" -p "$BACKUPD_TEST_PG_PORT" -U "$BACKUPD_TEST_PG_USER")
aws=(aws --endpoint-url "$BACKUPD_TEST_S3_ENDPOINT" --region "$BACKUPD_TEST_S3_REGION")
db=bench_$$
bucket=bench-$$-$RANDOM

# Rows of ~250 bytes of hex text (compresses about 2:1, like typical table data).
rows=$(( size_mib * 1024 * 1024 / 250 ))
say "seeding $db with $rows rows (~$size_mib MiB)"
psql -X -q "${pg[@]}" -d postgres -c "CREATE DATABASE $db"
trap 'psql -X -q "${pg[@]}" -d postgres -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null 2>&1 || true; cleanup' EXIT
psql -X -q "${pg[@]}" -d "$db" -c "CREATE TABLE big (id bigint PRIMARY KEY, a text, b text)"
batch=1000000
for (( from = 1; from <= rows; from += batch )); do
  to=$(( from + batch - 1 < rows ? from + batch - 1 : rows ))
  psql -X -q "${pg[@]}" -d "$db" -c "INSERT INTO big SELECT g, md5(g::text) || md5((g*3)::text) || md5((g*5)::text), md5((g*7)::text) || md5((g*11)::text) || md5((g*13)::text) || md5((g*17)::text) FROM generate_series($from, $to) g"
done
psql -X -q "${pg[@]}" -d "$db" -c "VACUUM ANALYZE big"
say "database size: $(psql -X -At "${pg[@]}" -d "$db" -c "SELECT pg_size_pretty(pg_database_size('$db'))")"
"${aws[@]}" s3 mb "s3://$bucket" >/dev/null

cat > "$tmp/config.json" <<JSON
{
  "stateDirectory": "$tmp/state",
  "destinations": [{"name": "local", "endpoint": "$BACKUPD_TEST_S3_ENDPOINT", "region": "$BACKUPD_TEST_S3_REGION",
    "bucket": "$bucket", "accessKeyId": {"env": "AWS_ACCESS_KEY_ID"}, "secretAccessKey": {"env": "AWS_SECRET_ACCESS_KEY"}}],
  "jobs": [{"name": "bench", "engine": "postgres", "schedule": "0 3 * * *", "destination": "local", "prefix": "bench",
    "connection": {"host": "$BACKUPD_TEST_PG_HOST", "port": $BACKUPD_TEST_PG_PORT, "username": "$BACKUPD_TEST_PG_USER",
      "password": {"env": "PGPASSWORD"}, "database": "$db"}},
    {"name": "bench-raw", "engine": "command", "schedule": "0 3 * * *", "destination": "local", "prefix": "raw",
     "compression": "none",
     "connection": {"argv": ["pg_dump", "-Fc", "-Z0", "-h", "$BACKUPD_TEST_PG_HOST", "-p", "$BACKUPD_TEST_PG_PORT",
                             "-U", "$BACKUPD_TEST_PG_USER", "-d", "$db"],
                    "environment": {"PGPASSWORD": {"env": "PGPASSWORD"}}, "extension": "dump"}}]
}
JSON

# Runs a command under /usr/bin/time -v; prints "wall_s user_s sys_s maxrss_kib".
measure() {
  local out=$tmp/time.$RANDOM
  /usr/bin/time -v -o "$out" "$@" >"$tmp/cmd.out" 2>"$tmp/cmd.err" || { cat "$tmp/cmd.err" >&2; return 1; }
  awk -F': ' '
    /Elapsed \(wall clock\)/ { n = split($2, p, ":"); w = 0; for (i = 1; i <= n; i++) w = w * 60 + p[i] }
    /User time/ { u = $2 } /System time/ { s = $2 } /Maximum resident/ { r = $2 }
    END { printf "%.2f %.2f %.2f %d\n", w, u, s, r }' "$out"
}

say "pg_dump -Fc -Z0 > /dev/null (the tool alone)"
read -r tool_wall tool_user tool_sys tool_rss < <(measure bash -c "pg_dump -Fc -Z0 ${pg[*]} -d $db > /dev/null")
say "backupd run-now (zstd level 3)"
read -r bd_wall bd_user bd_sys bd_rss < <(measure "$backupd" run-now bench --config "$tmp/config.json")
cat "$tmp/cmd.out" >&2
say "backupd run-now of pg_dump -Fc -Z0 as a command job, no compression (pipe, SHA-256, upload only)"
read -r raw_wall raw_user raw_sys raw_rss < <(measure "$backupd" run-now bench-raw --config "$tmp/config.json")
say "pg_dump -Fc | aws s3 cp -"
read -r base_wall base_user base_sys base_rss < <(measure bash -c "pg_dump -Fc ${pg[*]} -d $db | ${aws[*]} s3 cp - s3://$bucket/baseline.dump")
stored=$("${aws[@]}" s3 ls "s3://$bucket/bench/" | awk '{s += $3} END {print s}')
raw_stored=$("${aws[@]}" s3 ls "s3://$bucket/raw/" | awk '{s += $3} END {print s}')
base_stored=$("${aws[@]}" s3 ls "s3://$bucket/baseline.dump" | awk '{print $3}')

awk -v size="$size_mib" -v tw="$tool_wall" -v tu="$tool_user" -v ts="$tool_sys" \
    -v bw="$bd_wall" -v bu="$bd_user" -v bs="$bd_sys" -v br="$bd_rss" -v bst="$stored" \
    -v rw="$raw_wall" -v ru="$raw_user" -v rs="$raw_sys" -v rr="$raw_rss" -v rst="$raw_stored" \
    -v xw="$base_wall" -v xu="$base_user" -v xs="$base_sys" -v xr="$base_rss" -v xst="$base_stored" 'BEGIN {
  own = (bu + bs) - (tu + ts); if (own < 0) own = 0
  printf "\ndatabase ~%d MiB; pg_dump -Fc -Z0 alone: %.1f s wall, %.1f CPU-s\n\n", size, tw, tu + ts
  printf "%-28s %9s %11s %9s %12s\n", "", "wall (s)", "CPU (s)", "RSS (MB)", "stored (MB)"
  printf "%-28s %9.1f %11.1f %9.1f %12.1f\n", "backupd run-now (zstd 3)", bw, bu + bs, br / 1024, bst / 1048576
  printf "%-28s %9.1f %11.1f %9.1f %12.1f\n", "backupd run-now (none)", rw, ru + rs, rr / 1024, rst / 1048576
  printf "%-28s %9.1f %11.1f %9.1f %12.1f\n", "pg_dump -Fc | aws s3 cp -", xw, xu + xs, xr / 1024, xst / 1048576
  printf "\nbackupd own CPU (total minus pg_dump alone): %.1f CPU-s = %.0f%% of the run (%.2f CPU-s per GiB dumped)\n",
    own, 100 * own / (bu + bs), own / (size / 1024)
  rown = (ru + rs) - (tu + ts); if (rown < 0) rown = 0
  printf "without compression: %.1f CPU-s (%.2f CPU-s per GiB): the rest is zstd\n", rown, rown / (size / 1024)
}'
