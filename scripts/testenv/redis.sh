#!/usr/bin/env bash
# A throw-away Redis server for tests: config, data (dump.rdb) and log under DIR/redis, TCP on
# 127.0.0.1 at a free port, protected by `requirepass`.
#
#   scripts/testenv/redis.sh start DIR   # prints `export BACKUPD_TEST_REDIS_...` on stdout
#   scripts/testenv/redis.sh stop DIR
#
# A second `start` on a running server prints its exports again; on a stopped one it restarts with
# the same password and an empty dataset (no persistence: `save ""`).
set -euo pipefail
TESTENV_NAME=redis.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

cmd=${1:-}; dir=${2:-}
[[ -n "$cmd" && -n "$dir" ]] || { echo "usage: $0 start|stop DIR" >&2; exit 2; }

dir=$(testenv_abs_dir "$dir")
rd=$dir/redis
pidfile=$rd/redis.pid

if [[ "$cmd" == stop ]]; then
  testenv_stop_pidfile "$pidfile" 30
  exit 0
fi
[[ "$cmd" == start ]] || { echo "unknown command $cmd" >&2; exit 2; }

command -v redis-server >/dev/null || testenv_die "redis-server not found (run scripts/install-deps.sh)"
command -v redis-cli >/dev/null || testenv_die "redis-cli not found (run scripts/install-deps.sh)"

if testenv_pidfile_alive "$pidfile" && testenv_saved_env "$rd"; then
  testenv_log "already running"
  exit 0
fi

mkdir -p "$rd"
chmod 0700 "$rd"
if [[ ! -s "$rd/password" ]]; then
  (umask 077; testenv_password >"$rd/password"; echo >>"$rd/password")
fi
password=$(head -n1 "$rd/password")

port=$(cat "$rd/port" 2>/dev/null || true)
started=0
for attempt in 1 2 3 4 5; do
  if [[ -z "$port" ]] || testenv_port_open "$port"; then port=$(testenv_free_port); fi
  # The password lives in the 0600 config file, never on a command line.
  (umask 077; cat >"$rd/redis.conf" <<CONF
bind 127.0.0.1
port $port
requirepass $password
dir $rd
dbfilename dump.rdb
pidfile $pidfile
logfile $rd/redis.log
daemonize no
appendonly no
save ""
databases 64
CONF
)
  redis-server "$rd/redis.conf" </dev/null >>"$rd/stdout.log" 2>&1 &
  pid=$!
  if testenv_wait_port "$port" 30 "$pid" \
     && REDISCLI_AUTH=$password redis-cli -h 127.0.0.1 -p "$port" ping 2>/dev/null | grep -q PONG; then
    echo "$pid" >"$pidfile"
    started=1; break
  fi
  testenv_log "start on port $port failed (attempt $attempt), retrying on another port"
  kill "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  port=
done
(( started )) || testenv_die "Redis did not start; see $rd/redis.log"
echo "$port" >"$rd/port"

line="export BACKUPD_TEST_REDIS_HOST=127.0.0.1 BACKUPD_TEST_REDIS_PORT=$port BACKUPD_TEST_REDIS_PASSWORD=$password"
testenv_save_env "$rd" "$line"
echo "$line"
