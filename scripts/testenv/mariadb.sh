#!/usr/bin/env bash
# A throw-away MariaDB server for tests: datadir, socket and logs under DIR/mariadb, TCP on
# 127.0.0.1 at a free port, a password-protected superuser `backupd_test` (root is left with socket
# access only, now also password-protected).
#
#   scripts/testenv/mariadb.sh start DIR   # prints `export BACKUPD_TEST_MYSQL_...` on stdout
#   scripts/testenv/mariadb.sh stop DIR
#
# The server runs as the invoking user (`--user=root` when that is root, which mariadbd requires
# to be said explicitly). A second `start` on a running server prints its exports again; on a
# stopped one it restarts the existing datadir. Durability is relaxed: the data is thrown away.
set -euo pipefail
TESTENV_NAME=mariadb.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

cmd=${1:-}; dir=${2:-}
[[ -n "$cmd" && -n "$dir" ]] || { echo "usage: $0 start|stop DIR" >&2; exit 2; }

dir=$(testenv_abs_dir "$dir")
my=$dir/mariadb
data=$my/data
pidfile=$my/mariadbd.pid

if [[ "$cmd" == stop ]]; then
  testenv_stop_pidfile "$pidfile" 30
  exit 0
fi
[[ "$cmd" == start ]] || { echo "unknown command $cmd" >&2; exit 2; }

server=$(command -v mariadbd || command -v mysqld || ls /usr/sbin/mariadbd 2>/dev/null || true)
[[ -n "$server" ]] || testenv_die "mariadbd not found (run scripts/install-deps.sh)"
command -v mariadb-install-db >/dev/null || testenv_die "mariadb-install-db not found (run scripts/install-deps.sh)"
command -v mariadb >/dev/null || testenv_die "the mariadb client is missing (run scripts/install-deps.sh)"

if testenv_pidfile_alive "$pidfile" && testenv_saved_env "$my"; then
  testenv_log "already running"
  exit 0
fi

mkdir -p "$my"
chmod 0700 "$my"
run_user=$(id -un)
fresh=0
if [[ ! -d "$data/mysql" ]]; then
  rm -rf "$data"
  mariadb-install-db --no-defaults --user="$run_user" --datadir="$data" --skip-test-db \
    --auth-root-authentication-method=normal --skip-name-resolve >"$my/install-db.log" 2>&1 \
    || testenv_die "mariadb-install-db failed; see $my/install-db.log"
  fresh=1
fi

socket=$my/mariadb.sock
port=$(cat "$my/port" 2>/dev/null || true)
started=0
for attempt in 1 2 3 4 5; do
  if [[ -z "$port" ]] || testenv_port_open "$port"; then port=$(testenv_free_port); fi
  rm -f "$pidfile"
  "$server" --no-defaults --user="$run_user" --datadir="$data" --socket="$socket" --port="$port" \
    --bind-address=127.0.0.1 --pid-file="$pidfile" --log-error="$my/error.log" \
    --skip-name-resolve --skip-log-bin --max-connections=300 --innodb-buffer-pool-size=128M \
    --innodb-flush-log-at-trx-commit=0 --innodb-doublewrite=0 --character-set-server=utf8mb4 \
    </dev/null >>"$my/stdout.log" 2>&1 &
  pid=$!
  if testenv_wait_port "$port" 60 "$pid"; then
    # `ping` succeeds once the server answers, even with "access denied" (root may have a password).
    for i in $(seq 1 100); do
      mariadb-admin --no-defaults --socket="$socket" ping >/dev/null 2>&1 && break
      sleep 0.1
    done
    started=1; break
  fi
  testenv_log "start on port $port failed (attempt $attempt), retrying on another port"
  kill "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  port=
done
(( started )) || testenv_die "MariaDB did not start; see $my/error.log"
echo "$port" >"$my/port"

user=backupd_test
if (( fresh )) || [[ ! -s "$my/password" ]]; then
  password=$(testenv_password)
  # Through stdin, not argv: the password never shows in `ps`.
  mariadb --no-defaults --socket="$socket" -u root <<SQL || testenv_die "could not create the test user; see $my/error.log"
CREATE USER '$user'@'%' IDENTIFIED BY '$password';
GRANT ALL PRIVILEGES ON *.* TO '$user'@'%' WITH GRANT OPTION;
ALTER USER 'root'@'localhost' IDENTIFIED BY '$password';
FLUSH PRIVILEGES;
SQL
  (umask 077; printf '%s\n' "$password" >"$my/password")
fi
password=$(head -n1 "$my/password")

line="export BACKUPD_TEST_MYSQL_HOST=127.0.0.1 BACKUPD_TEST_MYSQL_PORT=$port BACKUPD_TEST_MYSQL_USER=$user BACKUPD_TEST_MYSQL_PASSWORD=$password"
testenv_save_env "$my" "$line"
echo "$line"
