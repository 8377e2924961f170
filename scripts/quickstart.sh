#!/usr/bin/env bash
# The README's first command: from this checkout on a Debian 12 machine, install everything, build
# backupd and its Debian package (scripts/package-deb.sh) and install that with apt, as users
# install it (binary, unit, user, man pages, completions), start a local PostgreSQL with a demo database and a
# local S3 server (Ceph's radosgw), configure an every-minute backup of the demo database into a
# bucket, start the daemon, wait for its first scheduled backup and print `backupd history`.
#
# Idempotent: a second run reuses the servers, user, bucket and passwords it finds, rebuilds and
# reinstalls the package, rewrites the config and restarts the daemon.
#
# Where things go:
#   the package: /usr/bin/backupd, /lib/systemd/system/backupd.service, the system user `backupd`
#   /etc/backupd/config.json (0600, owned by backupd) and its secret files /etc/backupd/*.secret
#   /var/lib/backupd                 the daemon's history (stateDirectory)
#   /var/lib/backupd-quickstart      the demo PostgreSQL and radosgw (throw-away servers)
#   /var/log/backupd-quickstart.log  the daemon's log when systemd is not running
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)

if (( EUID != 0 )); then
  echo "quickstart: installing system-wide needs root; re-running through sudo" >&2
  exec sudo env "PATH=$PATH" "$repo/scripts/quickstart.sh" "$@"
fi

say() { printf '\n==> %s\n' "$*" >&2; }
die() { echo "quickstart: $*" >&2; exit 1; }

demo=/var/lib/backupd-quickstart
etc=/etc/backupd
config=$etc/config.json
state=/var/lib/backupd
log_file=/var/log/backupd-quickstart.log
pid_file=/run/backupd-quickstart.pid
bucket=backupd-quickstart
binary=/usr/bin/backupd

# ---------------------------------------------------------------------------------------------
say "Installing Debian packages and the AWS CLI (scripts/install-deps.sh)"
scripts/install-deps.sh
command -v swift >/dev/null || die "the Swift 6 toolchain is not on PATH (https://www.swift.org/install/linux/)"
[[ -x scripts/testenv/s3.sh ]] || die "scripts/testenv/s3.sh (the local S3 server) is missing from this checkout"

# ---------------------------------------------------------------------------------------------
say "Building backupd in release mode and its Debian package (a few minutes the first time)"
# A static Swift runtime: the package then depends only on Debian's libc, libcurl, libssl, libsqlite3, libxml2.
# (lintian runs in CI; here the package is only built.)
deb=$(scripts/package-deb.sh --no-lintian)
# An earlier quickstart installed backupd from source; its unit in /etc would shadow the package's.
if [[ -f /etc/systemd/system/backupd.service ]] && grep -q '^ExecStart=/usr/local/bin/backupd ' /etc/systemd/system/backupd.service; then
  echo "removing the from-source install of an earlier quickstart (/usr/local/bin/backupd and its unit)"
  rm -f /etc/systemd/system/backupd.service /usr/local/bin/backupd
fi
say "Installing $deb with apt"
# --reinstall: a rebuild of the same version replaces the installed one.
DEBIAN_FRONTEND=noninteractive apt-get install -y -q --reinstall "$deb" >&2
echo "installed $binary ($("$binary" --version))"
# The package made the user and /etc/backupd; the daemon's state directory is made by systemd on
# start, and here too for the runs without systemd.
install -d -m 0700 -o backupd -g backupd "$state"

# Runs backupd as its own user, as the service does, so files it creates belong to that user.
as_backupd() { setpriv --reuid=backupd --regid=backupd --init-groups -- "$binary" "$@"; }

# ---------------------------------------------------------------------------------------------
say "Starting the demo PostgreSQL under $demo"
install -d -m 0711 "$demo"
eval "$(scripts/testenv/postgres.sh start "$demo")"
pg_admin() {
  PGPASSWORD=$BACKUPD_TEST_PG_PASSWORD PGOPTIONS="-c client_min_messages=warning" psql -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 \
    -p "$BACKUPD_TEST_PG_PORT" -U "$BACKUPD_TEST_PG_USER" "$@"
}
secret() { # NAME: prints the secret file's contents, creating it with a random value first.
  local file=$etc/$1.secret
  if [[ ! -s "$file" ]]; then
    (umask 077; head -c 18 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$file")
  fi
  chown backupd:backupd "$file"; chmod 0600 "$file"
  cat "$file"
}
backup_password=$(secret postgres-password)
if [[ "$(pg_admin -At -d postgres -c "SELECT 1 FROM pg_database WHERE datname = 'demo'")" != 1 ]]; then
  pg_admin -d postgres -c "CREATE DATABASE demo"
  pg_admin -d demo <<'SQL'
CREATE TABLE customers (id serial PRIMARY KEY, name text NOT NULL, city text NOT NULL);
CREATE TABLE orders (id serial PRIMARY KEY, customer_id int REFERENCES customers, total numeric(10,2), placed_at timestamptz);
INSERT INTO customers (name, city)
  SELECT 'Kunde ' || i, (ARRAY['Zürich', 'Köln', 'São Paulo', '東京', 'Kraków'])[1 + i % 5]
  FROM generate_series(1, 1000) AS i;
INSERT INTO orders (customer_id, total, placed_at)
  SELECT 1 + i % 1000, (i % 500) + 0.99, now() - i * interval '1 hour' FROM generate_series(1, 20000) AS i;
CREATE VIEW revenue_by_city AS
  SELECT c.city, sum(o.total) AS revenue FROM orders o JOIN customers c ON c.id = o.customer_id GROUP BY c.city;
SQL
  echo "created database demo (1,000 customers, 20,000 orders, a view)"
fi
# A least-privilege login for backups: it may read everything and change nothing. The password goes
# through stdin, never a command line.
pg_admin -d postgres <<SQL
DO \$\$ BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'backup') THEN CREATE ROLE backup LOGIN; END IF;
END \$\$;
ALTER ROLE backup PASSWORD '$backup_password';
GRANT pg_read_all_data TO backup;
SQL
pg_port=$BACKUPD_TEST_PG_PORT

# ---------------------------------------------------------------------------------------------
say "Starting the local S3 server (radosgw) under $demo/s3"
s3_env=$demo/s3.env
s3_alive() {
  [[ -s "$s3_env" ]] || return 1
  # shellcheck disable=SC1090
  source "$s3_env"
  AWS_ACCESS_KEY_ID=$BACKUPD_TEST_S3_ACCESS_KEY AWS_SECRET_ACCESS_KEY=$BACKUPD_TEST_S3_SECRET_KEY \
    AWS_DEFAULT_REGION=$BACKUPD_TEST_S3_REGION aws --endpoint-url "$BACKUPD_TEST_S3_ENDPOINT" \
    s3api list-buckets >/dev/null 2>&1
}
if s3_alive; then
  echo "reusing the running radosgw at $BACKUPD_TEST_S3_ENDPOINT"
else
  # Its objects live in memory (memstore), so a stopped server cannot be resumed: start afresh.
  scripts/testenv/s3.sh stop "$demo/s3" >/dev/null 2>&1 || true
  rm -rf "$demo/s3"
  (umask 077; timeout -k 10 300 scripts/testenv/s3.sh start "$demo/s3" >"$s3_env.new") \
    || die "the S3 server did not start; see $demo/s3/log"
  mv "$s3_env.new" "$s3_env"
  s3_alive || die "the S3 server started but does not accept its credentials; see $demo/s3/log"
fi
aws_s3() {
  AWS_ACCESS_KEY_ID=$BACKUPD_TEST_S3_ACCESS_KEY AWS_SECRET_ACCESS_KEY=$BACKUPD_TEST_S3_SECRET_KEY \
    AWS_DEFAULT_REGION=$BACKUPD_TEST_S3_REGION aws --endpoint-url "$BACKUPD_TEST_S3_ENDPOINT" "$@"
}
aws_s3 s3api head-bucket --bucket "$bucket" >/dev/null 2>&1 || aws_s3 s3api create-bucket --bucket "$bucket" >/dev/null
echo "bucket $bucket at $BACKUPD_TEST_S3_ENDPOINT"
(umask 077; printf '%s' "$BACKUPD_TEST_S3_ACCESS_KEY" >"$etc/s3-access-key.secret"; printf '%s' "$BACKUPD_TEST_S3_SECRET_KEY" >"$etc/s3-secret-key.secret")
chown backupd:backupd "$etc/s3-access-key.secret" "$etc/s3-secret-key.secret"

# ---------------------------------------------------------------------------------------------
say "Writing $config"
(umask 077; cat >"$config.new" <<JSON
{
  "stateDirectory": "$state",
  "timeZone": "UTC",
  "shutdownGracePeriod": "30s",
  "destinations": [
    {
      "name": "local-s3",
      "endpoint": "$BACKUPD_TEST_S3_ENDPOINT",
      "region": "$BACKUPD_TEST_S3_REGION",
      "bucket": "$bucket",
      "accessKeyId": { "file": "$etc/s3-access-key.secret" },
      "secretAccessKey": { "file": "$etc/s3-secret-key.secret" }
    }
  ],
  "jobs": [
    {
      "name": "demo-postgres",
      "engine": "postgres",
      "schedule": "* * * * *",
      "destination": "local-s3",
      "prefix": "quickstart",
      "connection": {
        "host": "127.0.0.1",
        "port": $pg_port,
        "username": "backup",
        "password": { "file": "$etc/postgres-password.secret" },
        "database": "demo"
      },
      "compression": "zstd",
      "timeout": "10m",
      "retention": { "keepLast": 30 }
    }
  ]
}
JSON
)
chown backupd:backupd "$config.new"
mv "$config.new" "$config"
as_backupd validate --config "$config" || die "the config does not validate (see above)"

# ---------------------------------------------------------------------------------------------
started_at=$(date -u +%Y-%m-%dT%H:%M:%S.000Z)
if [[ -d /run/systemd/system && "$(ps -p 1 -o comm= 2>/dev/null)" == systemd ]]; then
  say "Starting backupd through systemd"
  systemctl daemon-reload
  systemctl enable backupd >/dev/null 2>&1
  # Type=notify: this returns once backupd has validated its config and opened its history.
  systemctl restart backupd || { journalctl -u backupd -n 30 --no-pager >&2 || true; die "backupd did not start (journal above)"; }
  daemon_alive() { systemctl is-active --quiet backupd; }
  logs_hint="journalctl -u backupd"
else
  say "systemd is not running here (PID 1 is $(ps -p 1 -o comm= 2>/dev/null || echo unknown)): starting backupd in the background as user backupd, logging to $log_file"
  if [[ -s "$pid_file" ]] && kill -0 "$(cat "$pid_file")" 2>/dev/null; then
    old=$(cat "$pid_file")
    echo "stopping the previous backupd (pid $old)"
    kill -TERM "$old"
    for _ in $(seq 1 400); do kill -0 "$old" 2>/dev/null || break; sleep 0.1; done
    kill -0 "$old" 2>/dev/null && die "the previous backupd (pid $old) did not stop in 40 s"
  fi
  touch "$log_file"
  # The same user, paths and clean environment the unit gives it.
  setsid env -i PATH=/usr/local/bin:/usr/bin:/bin LANG=C.UTF-8 HOME="$state" \
    setpriv --reuid=backupd --regid=backupd --init-groups -- \
    "$binary" run --config "$config" </dev/null >>"$log_file" 2>&1 &
  echo $! >"$pid_file"
  sleep 2
  kill -0 "$(cat "$pid_file")" 2>/dev/null || { tail -n 20 "$log_file" >&2; die "backupd exited at once (log above)"; }
  echo "backupd is running as pid $(cat "$pid_file")"
  daemon_alive() { kill -0 "$(cat "$pid_file")" 2>/dev/null; }
  logs_hint="tail $log_file"
fi

# ---------------------------------------------------------------------------------------------
say "Waiting for the first scheduled backup (the job runs at the start of every minute)"
finished=""
for _ in $(seq 1 60); do
  finished=$(as_backupd history --config "$config" --json --limit 20 2>/dev/null | python3 -c '
import json, sys
since = sys.argv[1]
try:
    runs = json.load(sys.stdin)
except ValueError:
    sys.exit(0)
for run in runs:
    if run["startedAt"] >= since and run["status"] != "running":
        print(run["status"]); break
' "$started_at" || true)
  [[ -n "$finished" ]] && break
  daemon_alive || die "backupd stopped while waiting for its first backup; see $logs_hint"
  sleep 5
done

say "backupd history"
as_backupd history --config "$config" --limit 10 || true

case "$finished" in
  succeeded)
    echo
    echo "The first backup is in s3://$bucket/quickstart/ on $BACKUPD_TEST_S3_ENDPOINT:"
    aws_s3 s3 ls "s3://$bucket/quickstart/" || true
    echo
    echo "backupd backs up the demo database every minute. Logs: $logs_hint. Config: $config."
    ;;
  "") die "no backup finished within 5 minutes; see $logs_hint" ;;
  *) die "the first backup finished as '$finished'; see the history above and $logs_hint" ;;
esac
