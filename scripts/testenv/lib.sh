# Shared helpers for scripts/testenv/*.sh (sourced, not run). Every server script has the same
# interface: `X.sh start DIR` starts a throw-away server with all its state and logs under DIR on a
# free loopback port and prints `export BACKUPD_TEST_...=...` on stdout; `X.sh stop DIR` stops it.
# Everything but that export line goes to stderr, so callers can `eval "$(X.sh start DIR)"`.

testenv_log() { echo "${TESTENV_NAME:-testenv}: $*" >&2; }
testenv_die() { testenv_log "$*"; exit 1; }

# A random TCP port in 20000-59999 that nothing listens on at 127.0.0.1 right now. Another process
# can still take it before our server binds it, so each script retries its start on a bind failure.
testenv_free_port() {
  local port i
  for i in $(seq 1 200); do
    port=$(( 20000 + (RANDOM * 32768 + RANDOM) % 40000 ))
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
      echo "$port"; return 0
    fi
  done
  testenv_die "no free loopback port found"
}

# Whether something accepts TCP connections on 127.0.0.1:PORT.
testenv_port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# Waits until 127.0.0.1:PORT accepts connections; fails after SECONDS or as soon as PID (if given)
# has exited, so a server that died on start-up is reported at once, not after the timeout.
testenv_wait_port() {
  local port=$1 seconds=$2 pid=${3:-} i
  for i in $(seq 1 $(( seconds * 10 ))); do
    testenv_port_open "$port" && return 0
    if [[ -n "$pid" ]] && ! kill -0 "$pid" 2>/dev/null; then return 1; fi
    sleep 0.1
  done
  return 1
}

# A random password of hex digits: safe in shell exports, config files and connection strings.
testenv_password() { head -c 18 /dev/urandom | od -An -tx1 | tr -d ' \n'; }

# Whether the process whose id is in FILE is alive.
testenv_pidfile_alive() {
  local file=$1
  [[ -s "$file" ]] && kill -0 "$(head -n1 "$file")" 2>/dev/null
}

# Sends TERM to the process in FILE, waits up to SECONDS for it to exit, then KILLs it.
testenv_stop_pidfile() {
  local file=$1 seconds=${2:-15} pid i
  [[ -s "$file" ]] || return 0
  pid=$(head -n1 "$file")
  if kill -0 "$pid" 2>/dev/null; then
    kill "$pid" 2>/dev/null || true
    for i in $(seq 1 $(( seconds * 10 ))); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    if kill -0 "$pid" 2>/dev/null; then
      testenv_log "process $pid did not stop in ${seconds}s, killing it"
      kill -9 "$pid" 2>/dev/null || true
    fi
  fi
  rm -f "$file"
}

# Makes DIR absolute and existing; prints it.
testenv_abs_dir() {
  mkdir -p "$1" && (cd "$1" && pwd)
}

# Prints the saved export line of a server whose state lives in STATE_DIR (written by
# testenv_save_env), so a second `start` on a running server just reports it again.
testenv_save_env() { umask 077; printf '%s\n' "$2" >"$1/env"; }
testenv_saved_env() { [[ -s "$1/env" ]] && cat "$1/env"; }
