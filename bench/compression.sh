#!/usr/bin/env bash
# Measures compression settings on the PostgreSQL benchmark data (the md5 hex table of bench/compare.sh):
# for each setting, `backupd run-now` of the database, its CPU seconds per GiB of dump (backupd's
# own: total minus a `pg_dump -Fc -Z0 > /dev/null` run), wall time, and the ratio of the
# uncompressed dump to the stored object.
#
#   bench/compression.sh [SIZE_MIB]      (default 512; BACKUPD=path uses that binary instead of a release build)
#
# SKIP=LABEL leaves out the settings whose label starts so (e.g. SKIP="zstd 19", the slowest).
# DATA=hex (default) seeds bench/compare.sh's table of md5 hex digits, whose only redundancy is
# the 16-letter alphabet; DATA=orders seeds an order table (ids, timestamps, a few status words,
# customer names, amounts, a small JSON document), closer to typical application data.
#
# Uses the servers of BACKUPD_TEST_PG_* / BACKUPD_TEST_S3_* (source /tmp/shared-srv/all.env or start
# them with scripts/testenv). One run per setting, not interleaved: for side-by-side figures with
# medians use bench/compare.sh (its ZSTD_THREADS adds worker-count variants).
set -euo pipefail
cd "$(dirname "$0")/.."
size_mib=${1:-512}
say() { echo "compression.sh: $*" >&2; }
: "${BACKUPD_TEST_PG_PORT:?start PostgreSQL with scripts/testenv/postgres.sh and export its variables}"
: "${BACKUPD_TEST_S3_ENDPOINT:?start radosgw with scripts/testenv/s3.sh and export its variables}"
if [[ -z "${BACKUPD:-}" ]]; then
  swift build -c release --product backupd >&2
  BACKUPD=$(pwd)/.build/release/backupd
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/backupd-zbench.XXXXXX")
export PGPASSWORD=$BACKUPD_TEST_PG_PASSWORD AWS_ACCESS_KEY_ID=$BACKUPD_TEST_S3_ACCESS_KEY \
  AWS_SECRET_ACCESS_KEY=$BACKUPD_TEST_S3_SECRET_KEY AWS_EC2_METADATA_DISABLED=true \
  AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null
pg=(-h "$BACKUPD_TEST_PG_HOST" -p "$BACKUPD_TEST_PG_PORT" -U "$BACKUPD_TEST_PG_USER")
aws=(aws --endpoint-url "$BACKUPD_TEST_S3_ENDPOINT" --region "$BACKUPD_TEST_S3_REGION")
db=zbench_$$
bucket=zbench-$$-$RANDOM
trap 'psql -X -q "${pg[@]}" -d postgres -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null 2>&1 || true; rm -rf "$tmp"' EXIT

psql -X -q "${pg[@]}" -d postgres -c "CREATE DATABASE $db"
if [[ "${DATA:-hex}" == orders ]]; then
  rows=$(( size_mib * 1024 * 1024 / 130 ))
  say "seeding $db with $rows order rows (~$size_mib MiB)"
  psql -X -q "${pg[@]}" -d "$db" -c "CREATE TABLE orders (id bigint PRIMARY KEY, placed timestamptz, status text, customer text, amount numeric(10,2), detail text)"
  psql -X -q "${pg[@]}" -d "$db" -c "INSERT INTO orders SELECT g, timestamptz '2026-01-01' + g * interval '7 seconds', (ARRAY['new','paid','shipped','delivered','returned'])[1 + g % 5], 'customer-' || (g * 7919 % 50000), (g * 104729 % 100000) / 100.0, '{\"sku\": \"SKU-' || (g * 31 % 9973) || '\", \"qty\": ' || (1 + g % 7) || ', \"gift\": ' || (g % 11 = 0) || ', \"note\": \"' || repeat('x', (g % 17)::int) || '\"}' FROM generate_series(1::bigint, $rows) g"
else
  rows=$(( size_mib * 1024 * 1024 / 250 ))
  say "seeding $db with $rows rows (~$size_mib MiB)"
  psql -X -q "${pg[@]}" -d "$db" -c "CREATE TABLE big (id bigint PRIMARY KEY, a text, b text)"
  psql -X -q "${pg[@]}" -d "$db" -c "INSERT INTO big SELECT g, md5(g::text) || md5((g*3)::text) || md5((g*5)::text), md5((g*7)::text) || md5((g*11)::text) || md5((g*13)::text) || md5((g*17)::text) FROM generate_series(1, $rows) g"
fi
"${aws[@]}" s3 mb "s3://$bucket" >/dev/null

settings=(
  '"zstd"|zstd 1 (default)'
  '{"algorithm": "zstd", "threads": 0}|zstd 1, no workers'
  '{"algorithm": "zstd", "level": 3}|zstd 3'
  '{"algorithm": "zstd", "level": 9}|zstd 9'
  '{"algorithm": "zstd", "level": 19}|zstd 19'
  '{"algorithm": "zstd", "level": 3, "threads": 0}|zstd 3, no workers'
  '{"algorithm": "gzip", "level": 1}|gzip 1'
  '"gzip"|gzip 6 (default)'
  '{"algorithm": "gzip", "level": 9}|gzip 9'
)
jobs=""
for i in "${!settings[@]}"; do
  [[ -n "$jobs" ]] && jobs+=","
  jobs+="{\"name\": \"z$i\", \"engine\": \"postgres\", \"schedule\": \"0 3 * * *\", \"destination\": \"local\", \"prefix\": \"z$i\",
    \"compression\": ${settings[$i]%%|*},
    \"connection\": {\"host\": \"$BACKUPD_TEST_PG_HOST\", \"port\": $BACKUPD_TEST_PG_PORT, \"username\": \"$BACKUPD_TEST_PG_USER\",
      \"password\": {\"env\": \"PGPASSWORD\"}, \"database\": \"$db\"}}"
done
cat > "$tmp/config.json" <<JSON
{"stateDirectory": "$tmp/state",
 "destinations": [{"name": "local", "endpoint": "$BACKUPD_TEST_S3_ENDPOINT", "region": "$BACKUPD_TEST_S3_REGION",
   "bucket": "$bucket", "accessKeyId": {"env": "AWS_ACCESS_KEY_ID"}, "secretAccessKey": {"env": "AWS_SECRET_ACCESS_KEY"}}],
 "jobs": [$jobs]}
JSON
chmod 600 "$tmp/config.json"

cpu() {  # user+sys CPU seconds and wall seconds of a command, its output discarded
  /usr/bin/time -f "%U %S %e" -o "$tmp/t" "$@" >/dev/null 2>"$tmp/err" || { cat "$tmp/err" >&2; return 1; }
  awk '{printf "%.2f %.2f\n", $1 + $2, $3}' "$tmp/t"
}
raw_bytes=$(pg_dump -Fc -Z0 "${pg[@]}" -d "$db" | wc -c)
read -r tool_cpu _ < <(cpu bash -c "pg_dump -Fc -Z0 ${pg[*]} -d $db > /dev/null")
gib=$(awk -v b="$raw_bytes" 'BEGIN {print b / 1073741824}')
printf "\nPostgreSQL ~%d MiB; pg_dump -Fc -Z0 output %.0f MiB, %.1f CPU-s alone\n\n" "$size_mib" "$(awk -v b="$raw_bytes" 'BEGIN {print b / 1048576}')" "$tool_cpu"
printf "%-22s %10s %14s %10s %12s %7s\n" "setting" "wall (s)" "CPU-s per GiB" "CPU (s)" "stored (MB)" "ratio"
for i in "${!settings[@]}"; do
  [[ -n "${SKIP:-}" && "${settings[$i]#*|}" == $SKIP* ]] && continue
  read -r total wall < <(cpu "$BACKUPD" run-now "z$i" --config "$tmp/config.json")
  stored=$("${aws[@]}" s3 ls "s3://$bucket/z$i/" | awk '{s += $3} END {print s}')
  awk -v n="${settings[$i]#*|}" -v t="$total" -v tool="$tool_cpu" -v w="$wall" -v g="$gib" -v s="$stored" -v r="$raw_bytes" 'BEGIN {
    own = t - tool; if (own < 0) own = 0
    printf "%-22s %10.1f %14.2f %10.1f %12.1f %7.2f\n", n, w, own / g, t, s / 1048576, r / s }'
done
