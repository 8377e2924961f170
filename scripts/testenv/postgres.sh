#!/usr/bin/env bash
# A throw-away PostgreSQL server for tests: its cluster, socket and log under DIR/postgres, TCP on
# 127.0.0.1 at a free port, a password-protected superuser (scram-sha-256, also on the socket).
#
#   scripts/testenv/postgres.sh start DIR   # prints `export BACKUPD_TEST_PG_...` on stdout
#   scripts/testenv/postgres.sh stop DIR
#
# Started as root, the server runs as the `postgres` user (PostgreSQL refuses root), so DIR is made
# traversable for it. A second `start` on a running server prints its exports again; on a stopped
# one it restarts the existing cluster (same user and password), which quickstart relies on.
# Durability is off (fsync, synchronous_commit): the data is thrown away anyway.
set -euo pipefail
TESTENV_NAME=postgres.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

cmd=${1:-}; dir=${2:-}
[[ -n "$cmd" && -n "$dir" ]] || { echo "usage: $0 start|stop DIR" >&2; exit 2; }

bindir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n1 || true)
[[ -x "$bindir/postgres" ]] || testenv_die "no PostgreSQL server in /usr/lib/postgresql/*/bin (run scripts/install-deps.sh)"

dir=$(testenv_abs_dir "$dir")
pg=$dir/postgres
data=$pg/data

# Runs a command as the server's user, from a directory that user can enter.
as_server_user() {
  if (( EUID == 0 )); then
    (cd "$pg" && runuser -u postgres -- "$@")
  else
    (cd "$pg" && "$@")
  fi
}

if [[ "$cmd" == stop ]]; then
  if [[ -f "$data/postmaster.pid" ]]; then
    as_server_user "$bindir/pg_ctl" -D "$data" -m fast -w -t 30 stop >/dev/null 2>&1 \
      || testenv_log "pg_ctl stop failed; see $pg/postgres.log"
  fi
  exit 0
fi
[[ "$cmd" == start ]] || { echo "unknown command $cmd" >&2; exit 2; }

mkdir -p "$pg"
if (( EUID == 0 )); then
  id postgres >/dev/null 2>&1 || testenv_die "the postgres user is missing (install the postgresql package)"
  chown postgres: "$pg"
  chmod 0700 "$pg"
  # The server user must be able to reach DIR/postgres through DIR (traverse only, no listing).
  if ! runuser -u postgres -- test -x "$pg"; then
    chmod o+x "$dir"
    runuser -u postgres -- test -x "$pg" \
      || testenv_die "user postgres cannot reach $pg: make every parent directory of $dir traversable (o+x) or use a DIR under /tmp"
  fi
fi

if as_server_user "$bindir/pg_ctl" -D "$data" status >/dev/null 2>&1 && testenv_saved_env "$pg"; then
  testenv_log "already running"
  exit 0
fi

user=backupd_test
if [[ ! -f "$data/PG_VERSION" ]]; then
  rm -rf "$data"
  password=$(testenv_password)
  (umask 077; printf '%s\n' "$password" >"$pg/password")
  (( EUID == 0 )) && chown postgres: "$pg/password"
  as_server_user "$bindir/initdb" -D "$data" -U "$user" --pwfile="$pg/password" -A scram-sha-256 \
    -E UTF8 --locale=C.UTF-8 --no-sync >"$pg/initdb.log" 2>&1 \
    || testenv_die "initdb failed; see $pg/initdb.log"
  mkdir -p "$pg/socket"
  (( EUID == 0 )) && chown postgres: "$pg/socket"
  cat >>"$data/postgresql.conf" <<CONF
# backupd test server
listen_addresses = '127.0.0.1'
unix_socket_directories = '$pg/socket'
fsync = off
synchronous_commit = off
full_page_writes = off
max_connections = 200
shared_buffers = 64MB
log_min_messages = warning
CONF
fi
password=$(head -n1 "$pg/password")

port=$(cat "$pg/port" 2>/dev/null || true)
started=0
for attempt in 1 2 3 4 5; do
  if [[ -z "$port" ]] || testenv_port_open "$port"; then port=$(testenv_free_port); fi
  if as_server_user "$bindir/pg_ctl" -D "$data" -l "$pg/postgres.log" -w -t 60 -o "-p $port" start >/dev/null 2>&1; then
    started=1; break
  fi
  testenv_log "start on port $port failed (attempt $attempt), retrying on another port"
  port=
done
(( started )) || testenv_die "PostgreSQL did not start; see $pg/postgres.log"
echo "$port" >"$pg/port"

line="export BACKUPD_TEST_PG_HOST=127.0.0.1 BACKUPD_TEST_PG_PORT=$port BACKUPD_TEST_PG_USER=$user BACKUPD_TEST_PG_PASSWORD=$password"
testenv_save_env "$pg" "$line"
echo "$line"
