# Helpers of bench/compare.sh (sourced; uses its variables: tmp, pg, aws, bucket, results, backupd).

# One destination object of the config.
destination() {  # NAME ENDPOINT [EXTRA_JSON]
  printf '{"name": "%s", "endpoint": "%s", "region": "%s", "bucket": "%s", %s
    "accessKeyId": {"env": "AWS_ACCESS_KEY_ID"}, "secretAccessKey": {"env": "AWS_SECRET_ACCESS_KEY"}}' \
    "$1" "$2" "$BACKUPD_TEST_S3_REGION" "$bucket" "${3:-}"
}

# A postgres job on database DB, default compression unless EXTRA sets one.
pg_job() {  # NAME DB EXTRA
  printf '{"name": "%s", "engine": "postgres", "schedule": "0 3 * * *", "destination": "plain", "prefix": "%s"%s,
    "connection": {"host": "%s", "port": %s, "username": "%s", "password": {"env": "PGPASSWORD"}, "database": "%s"}}' \
    "$1" "$1" "$3" "$BACKUPD_TEST_PG_HOST" "$BACKUPD_TEST_PG_PORT" "$BACKUPD_TEST_PG_USER" "$2"
}

# nginx terminating TLS in front of radosgw on a free port (sets tls; bench/tls-proxy.sh).
start_tls_proxy() {
  . "$(dirname "${BASH_SOURCE[0]}")/tls-proxy.sh"
  tls_proxy "$tmp" "${plain#http://}"
}

# bench/throttle-relay.py in front of radosgw (sets slow and relay_pid).
start_relay() {
  python3 bench/throttle-relay.py "${plain#http://}" "$THROTTLE_MIBPS" "$tmp/relay.port" &
  relay_pid=$!
  for _ in $(seq 100); do [[ -f "$tmp/relay.port" ]] && break; sleep 0.1; done
  slow="http://127.0.0.1:$(cat "$tmp/relay.port")"
}

# Seeds database DB (cmp_pgbench_sN: pgbench -i -s N; cmp_hex_Nm: N MiB of md5 hex rows, about
# 2:1 compressible), unless a complete earlier seed is there; writes the size of its
# `pg_dump -Fc -Z0` to $tmp/raw-DB.
seed() {
  local db=$1 done
  done=$(psql -X -At "${pg[@]}" -d postgres -c "SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = '$db'")
  [[ -n "${KEEP_DB:-}" ]] || dbs+=("$db")
  if [[ "$done" != seeded ]]; then
    psql -X -q "${pg[@]}" -d postgres -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" -c "CREATE DATABASE $db"
    case $db in
      cmp_pgbench_s*)
        say "seeding $db: pgbench -i -s ${db#cmp_pgbench_s}"
        pgbench -i -q -s "${db#cmp_pgbench_s}" "${pg[@]}" "$db" 2>&1 | tail -n 1 >&2;;
      cmp_hex_*)
        local mib=${db#cmp_hex_}; mib=${mib%m}
        say "seeding $db: $mib MiB of md5 hex text"
        psql -X -q "${pg[@]}" -d "$db" -c "CREATE TABLE big (id bigint PRIMARY KEY, a text, b text)" \
          -c "INSERT INTO big SELECT g, md5(g::text) || md5((g*3)::text) || md5((g*5)::text), md5((g*7)::text) || md5((g*11)::text) || md5((g*13)::text) || md5((g*17)::text) FROM generate_series(1, $(( mib * 1048576 / 250 ))) g" \
          -c "VACUUM ANALYZE big";;
    esac
    psql -X -q "${pg[@]}" -d postgres -c "COMMENT ON DATABASE $db IS 'seeded'"
  fi
  pg_dump -Fc -Z0 "${pg[@]}" -d "$db" | wc -c > "$tmp/raw-$db"
  say "$db: $(psql -X -At "${pg[@]}" -d postgres -c "SELECT pg_size_pretty(pg_database_size('$db'))"), pg_dump -Fc -Z0 $(( $(cat "$tmp/raw-$db") / 1048576 )) MiB"
}

# CPU seconds used so far by the servers on this host, as "PG RGW": the PostgreSQL server's
# postmaster (with what it reaped from ended backends) and its live processes, found through its
# checkpointer (0 when the server is not local); every radosgw process. Other users of shared
# servers count too: the figures are a bound, not an attribution.
server_cpu() {
  python3 - "${postmaster:-0}" <<'PY'
import os, sys
hz, postmaster = os.sysconf("SC_CLK_TCK"), sys.argv[1]
pg = rgw = 0
for pid in filter(str.isdigit, os.listdir("/proc")):
    try:
        with open(f"/proc/{pid}/stat") as f:
            stat = f.read()
    except OSError:
        continue
    name = stat[stat.index("(") + 1:stat.rindex(")")]
    fields = stat[stat.rindex(")") + 2:].split()
    if pid == postmaster:
        pg += sum(int(x) for x in fields[11:15])  # utime stime cutime cstime
    elif fields[1] == postmaster:
        pg += int(fields[11]) + int(fields[12])
    elif name == "radosgw":
        rgw += int(fields[11]) + int(fields[12])
print(f"{pg / hz:.2f} {rgw / hz:.2f}")
PY
}

# Runs a command under /usr/bin/time and appends a row to $results:
# GROUP LABEL BYTES RUN wall cpu peak-RSS-KiB load server-CPU rgw-CPU.
measure() {  # GROUP LABEL BYTES RUN COMMAND...
  local group=$1 label=$2 bytes=$3 run=$4
  shift 4
  say "$group, run $run: $label"
  local before after
  before=$(server_cpu)
  if ! /usr/bin/time -f "%e %U %S %M" -o "$tmp/time" "$@" >"$tmp/out" 2>"$tmp/err"; then
    cat "$tmp/out" "$tmp/err" >&2
    say "FAILED: $group: $label"
    exit 1
  fi
  after=$(server_cpu)
  read -r wall user sys rss < <(tail -n 1 "$tmp/time")
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$group" "$label" "$bytes" "$run" "$wall" \
    "$(awk -v u="$user" -v s="$sys" 'BEGIN {print u + s}')" "$rss" "$(cut -d' ' -f1 /proc/loadavg)" \
    "$(awk -v b="$before" -v a="$after" 'BEGIN {split(b, x, " "); split(a, y, " "); printf "%.2f\t%.2f", y[1] - x[1], y[2] - x[2]}')" >> "$results"
}

# Records the stored size of the objects under KEY (those whose name contains MATCH).
stored() {  # GROUP LABEL KEY MATCH
  local size
  size=$("${aws[@]}" s3 ls "s3://$bucket/$3" | awk -v m="$4" 'index($4, m) {s += $3} END {print s + 0}')
  printf 'stored\t%s\t%s\t%s\n' "$1" "$2" "$size" >> "$results"
}

# A fresh empty database to restore into (sets target).
fresh() {
  target=cmp_restore_$$_$RANDOM
  dbs+=("$target")
  psql -X -q "${pg[@]}" -d postgres -c "CREATE DATABASE $target"
}

# The restored database has the source's rows; then it is dropped.
check_restored() {  # SOURCE_DB TARGET_DB
  local table=big
  [[ $1 == cmp_pgbench_* ]] && table=pgbench_accounts
  local want got
  want=$(psql -X -At "${pg[@]}" -d "$1" -c "SELECT count(*) FROM $table")
  got=$(psql -X -At "${pg[@]}" -d "$2" -c "SELECT count(*) FROM $table")
  [[ "$want" == "$got" ]] || { say "restore of $1 into $2: $got rows in $table, expected $want"; exit 1; }
  psql -X -q "${pg[@]}" -d postgres -c "DROP DATABASE $2 WITH (FORCE)"
}
