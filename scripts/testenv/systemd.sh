#!/usr/bin/env bash
# A throw-away Debian 12 machine with systemd 252 as its PID 1, for testing backupd's unit for real
# on a host whose own PID 1 is not systemd (CI). The root is made once with debootstrap (about a
# minute) and cached under /var/cache/backupd-ci; each start lays an overlay over it under DIR,
# installs the backupd binary and the repo's systemd/backupd.service into it, creates the
# `backupd` user and /etc/backupd, and boots systemd in new pid, mount, uts, ipc and cgroup
# namespaces (the network namespace is the host's, so servers on 127.0.0.1 are reachable), inside
# a cgroup of its own. The unit is installed but not started: the tests start it.
#
#   scripts/testenv/systemd.sh start DIR [BINARY]  # prints `export BACKUPD_SYSTEMD_...` on stdout
#   scripts/testenv/systemd.sh start-clean DIR     # prints `export BACKUPD_PACKAGE_...` on stdout
#   scripts/testenv/systemd.sh stop DIR            # powers off, kills what is left, removes the cgroup
#   scripts/testenv/systemd.sh image [clean]       # only makes (or finds) the cached root; prints its path
#
# `start-clean` boots a CLEAN root for the Debian package test: a root of its own (cached as well)
# with only what systemd needs plus man-db and bash-completion, none of backupd's libraries, no
# backupd user, binary or unit, and the host's resolv.conf, so `apt-get install ./backupd_*.deb`
# inside it resolves the package's Depends from the Debian mirror.
#
# BINARY defaults to the release build with a static Swift runtime, as the README installs it
# (`swift build -c release --product backupd --static-swift-stdlib`): the root has no Swift runtime.
# Drive the machine with `nsenter -t "$BACKUPD_SYSTEMD_PID1" -a -r -w systemctl ...` (-r -w: its root); its files are
# under "$BACKUPD_SYSTEMD_ROOT" (/proc/PID1/root). BACKUPD_CI_CACHE overrides the cache directory.
set -euo pipefail
TESTENV_NAME=systemd.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
self=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/$(basename "${BASH_SOURCE[0]}")
repo=$(cd "$(dirname "$self")/../.." && pwd)

cache_root=${BACKUPD_CI_CACHE:-/var/cache/backupd-ci}
suite=bookworm
# What backupd's binary links (libcurl, SQLite, OpenSSL, zstd, zlib, libxml2 behind FoundationXML),
# the dump tool the tests use, and what systemd needs to boot and reload the unit (`/bin/kill` is in procps).
image_packages=systemd,systemd-sysv,dbus,procps,libcurl4,libsqlite3-0,libssl3,libzstd1,zlib1g,libxml2,postgresql-client-15
# The clean root: systemd, and what an administrator reads the package's man pages and uses its
# completions with.
clean_image_packages=systemd,systemd-sysv,dbus,procps,man-db,bash-completion

# The first Debian (not security) mirror of the host's own apt sources, else deb.debian.org.
mirror() {
  local uri=
  if [[ -r /etc/apt/sources.list.d/debian.sources ]]; then
    uri=$(awk '/^URIs:/ { for (i = 2; i <= NF; i++) if ($i !~ /security/) { print $i; exit } }' \
      /etc/apt/sources.list.d/debian.sources)
  fi
  if [[ -z "$uri" && -r /etc/apt/sources.list ]]; then
    uri=$(awk '$1 == "deb" && $0 !~ /security/ { for (i = 2; i <= NF; i++) if ($i ~ /^https?:/) { print $i; exit } }' \
      /etc/apt/sources.list)
  fi
  echo "${uri:-http://deb.debian.org/debian}"
}

# Removes DIR, first unmounting whatever a killed debootstrap left mounted in it (its proc, sys),
# and never crossing into another file system.
remove_tree() {
  local dir=$1 target
  [[ -e "$dir" ]] || return 0
  while read -r target; do
    umount -l "$target" 2>/dev/null || true
  done < <(awk -v d="$dir" 'index($5, d "/") == 1 { print $5 }' /proc/self/mountinfo | sort -r)
  rm -rf --one-file-system "$dir"
}

# Makes the cached root (the clean one with `clean`) if it is missing (one builder at a time,
# under a lock) and prints its path.
image() {
  command -v debootstrap >/dev/null || testenv_die "debootstrap not found (run scripts/install-deps.sh)"
  local url key dir image_packages=$image_packages
  [[ "${1:-}" == clean ]] && image_packages=$clean_image_packages
  url=$(mirror)
  key=$(printf '%s %s %s v1' "$suite" "$image_packages" "$url" | sha256sum | cut -c1-12)
  dir=$cache_root/debian12-$key
  mkdir -p "$cache_root"
  exec 9>"$cache_root/.lock"
  flock -w 900 9 || testenv_die "another build of $cache_root holds its lock for 15 minutes"
  if [[ ! -e "$dir/complete" ]]; then
    testenv_log "making a Debian 12 root with debootstrap from $url (about a minute, cached in $dir)"
    remove_tree "$dir.tmp"
    mkdir -p "$dir.tmp"
    # In a mount namespace of its own: the proc and sys it mounts in the root vanish with it.
    if ! timeout -k 10 900 unshare --mount --propagation private debootstrap --variant=minbase --include="$image_packages" \
        "$suite" "$dir.tmp/root" "$url" >"$dir.tmp/debootstrap.log" 2>&1; then
      tail -n 30 "$dir.tmp/debootstrap.log" >&2
      remove_tree "$dir.tmp"
      testenv_die "debootstrap failed (the last lines of its log are above)"
    fi
    local r=$dir.tmp/root
    chroot "$r" apt-get clean
    # A container boots without consoles or a network to configure: these only fail or wait.
    for unit in console-getty.service getty@.service systemd-networkd-wait-online.service \
                systemd-timesyncd.service apt-daily.timer apt-daily-upgrade.timer dpkg-db-backup.timer; do
      ln -sf /dev/null "$r/etc/systemd/system/$unit"
    done
    ln -sf /lib/systemd/system/multi-user.target "$r/etc/systemd/system/default.target"
    : >"$r/etc/machine-id"
    mv "$dir.tmp/debootstrap.log" "$dir.tmp/root.log"
    remove_tree "$dir"
    mv "$dir.tmp" "$dir"
    touch "$dir/complete"
  fi
  exec 9>&-
  echo "$dir/root"
}

# Runs as PID 1 of the new namespaces (mount namespace private): lays out the root, then becomes
# systemd. Its output is the machine's console log.
boot() {
  local lower=$1 sd=$2 binary=$3 root=$2/root
  if ! mount -t overlay overlay -o "lowerdir=$lower,upperdir=$sd/upper,workdir=$sd/work" "$root" 2>/dev/null; then
    # DIR on a file system that cannot hold an overlay's upper layer (e.g. itself an overlay): copy.
    cp -a "$lower/." "$root/"
    mount --bind "$root" "$root"
  fi
  if [[ "$binary" == clean ]]; then
    # apt inside resolves names as the host does (the network namespace is the host's).
    cp /etc/resolv.conf "$root/etc/resolv.conf"
  else
    install -D -m 0755 "$binary" "$root/usr/local/bin/backupd"
    install -D -m 0644 "$repo/systemd/backupd.service" "$root/etc/systemd/system/backupd.service"
    chroot "$root" /bin/sh -c 'id backupd >/dev/null 2>&1 || useradd --system --home-dir /var/lib/backupd --no-create-home --shell /usr/sbin/nologin backupd'
    install -d -m 0750 -o root -g "$(chroot "$root" id -g backupd)" "$root/etc/backupd"
  fi
  head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$root/etc/machine-id"
  echo >>"$root/etc/machine-id"

  mount -t proc proc "$root/proc"
  mount -t sysfs -o ro,nosuid,nodev,noexec sysfs "$root/sys"
  mount -t cgroup2 -o nosuid,nodev,noexec cgroup2 "$root/sys/fs/cgroup"
  mount -t tmpfs -o mode=0755,nosuid,size=64m tmpfs "$root/dev"
  local d
  for d in null zero full random urandom tty; do
    touch "$root/dev/$d"
    mount --bind "/dev/$d" "$root/dev/$d"
  done
  mkdir -p "$root/dev/pts" "$root/dev/shm"
  mount -t devpts -o newinstance,ptmxmode=0666,mode=0620,gid=5 devpts "$root/dev/pts"
  ln -s pts/ptmx "$root/dev/ptmx"
  mount -t tmpfs -o mode=1777,nosuid,nodev tmpfs "$root/dev/shm"
  ln -s /proc/self/fd "$root/dev/fd"
  ln -s /proc/self/fd/0 "$root/dev/stdin"
  ln -s /proc/self/fd/1 "$root/dev/stdout"
  ln -s /proc/self/fd/2 "$root/dev/stderr"
  mount -t tmpfs -o mode=0755,nosuid,nodev tmpfs "$root/run"
  mount -t tmpfs -o mode=1777,nosuid,nodev tmpfs "$root/tmp"
  hostname backupd-ci
  exec chroot "$root" /usr/bin/env -i container=unshare /lib/systemd/systemd --system
}

# Runs COMMAND inside the machine with a clean environment (bounded: a wedged machine never hangs us).
in_machine() {
  local pid1=$1 seconds=$2; shift 2
  timeout -k 5 "$seconds" nsenter -t "$pid1" -a -r -w /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin "$@"
}

# Where cgroup2 is mounted on the host (/sys/fs/cgroup, or /sys/fs/cgroup/unified on a hybrid host).
cgroup2_root() {
  findmnt -n -t cgroup2 -o TARGET | head -n1
}

# Kills every process left in the cgroup CG and removes it with its children, deepest first.
remove_cgroup() {
  local cg=$1 i pid
  [[ -d "$cg" ]] || return 0
  for i in $(seq 1 100); do
    if [[ -w "$cg/cgroup.kill" ]]; then
      echo 1 >"$cg/cgroup.kill" 2>/dev/null || true
    else
      while read -r pid; do kill -9 "$pid" 2>/dev/null || true; done < <(find "$cg" -name cgroup.procs -exec cat {} + 2>/dev/null)
    fi
    find "$cg" -depth -type d -exec rmdir {} \; 2>/dev/null || true
    [[ -d "$cg" ]] || return 0
    sleep 0.1
  done
  testenv_log "could not remove the cgroup $cg"
  return 1
}

# Whether PID is alive and one of the machine's processes (in its cgroup CG), not a reused pid.
machine_pid() {
  local pid=$1 cg=$2
  [[ -n "$pid" && -n "$cg" ]] && kill -0 "$pid" 2>/dev/null \
    && grep -q "::/${cg##*/}\(/\|\$\)" "/proc/$pid/cgroup" 2>/dev/null
}

# Powers the machine whose state is under SD off (SIGRTMIN+4 if systemctl does not answer), kills it
# after 30 s, and removes its cgroup. Safe to call on a machine that never booted.
stop_machine() {
  local sd=$1 pid1 launcher cg i
  pid1=$(cat "$sd/pid1" 2>/dev/null || true)
  launcher=$(cat "$sd/launcher" 2>/dev/null || true)
  cg=$(cat "$sd/cgroup" 2>/dev/null || true)
  if machine_pid "$pid1" "$cg"; then
    in_machine "$pid1" 10 systemctl poweroff --no-block >/dev/null 2>&1 || kill -s RTMIN+4 "$pid1" 2>/dev/null || true
    for i in $(seq 1 300); do machine_pid "$pid1" "$cg" || break; sleep 0.1; done
    if machine_pid "$pid1" "$cg"; then
      testenv_log "systemd (pid $pid1) did not power off in 30 s, killing it"
      kill -9 "$pid1" 2>/dev/null || true
    fi
  fi
  for i in $(seq 1 100); do machine_pid "$launcher" "$cg" || break; sleep 0.1; done
  if machine_pid "$launcher" "$cg"; then kill -9 "$launcher" 2>/dev/null || true; fi
  [[ -z "$cg" ]] || remove_cgroup "$cg"
  rm -f "$sd/pid1" "$sd/launcher" "$sd/env"
}

cmd=${1:-}
case "$cmd" in
  __boot) shift; boot "$@" ;;
  image) image "${2:-}"; exit 0 ;;
  start|start-clean|stop) ;;
  *) echo "usage: $0 start DIR [BINARY] | start-clean DIR | stop DIR | image [clean]" >&2; exit 2 ;;
esac
dir=${2:-}
[[ -n "$dir" ]] || { echo "usage: $0 start DIR [BINARY] | start-clean DIR | stop DIR" >&2; exit 2; }
(( EUID == 0 )) || testenv_die "booting systemd in namespaces needs root"
dir=$(testenv_abs_dir "$dir")
sd=$dir/systemd

if [[ "$cmd" == stop ]]; then
  stop_machine "$sd"
  exit 0
fi

if machine_pid "$(cat "$sd/pid1" 2>/dev/null)" "$(cat "$sd/cgroup" 2>/dev/null)" && testenv_saved_env "$sd"; then
  testenv_log "already running"
  exit 0
fi

if [[ "$cmd" == start-clean ]]; then
  binary=clean variant=clean prefix=BACKUPD_PACKAGE
else
  variant= prefix=BACKUPD_SYSTEMD
  binary=${3:-$repo/.build/release/backupd}
  [[ -x "$binary" ]] || testenv_die "no backupd binary at $binary: build it with \`swift build -c release --product backupd --static-swift-stdlib\`"
  binary=$(cd "$(dirname "$binary")" && pwd)/$(basename "$binary")
  if ldd "$binary" 2>/dev/null | grep -q libswiftCore; then
    testenv_die "$binary links the Swift runtime dynamically; the machine has none: build with --static-swift-stdlib"
  fi
fi
for tool in unshare nsenter chroot findmnt flock; do
  command -v "$tool" >/dev/null || testenv_die "$tool not found (run scripts/install-deps.sh)"
done
cgroot=$(cgroup2_root)
[[ -n "$cgroot" ]] || testenv_die "no cgroup2 hierarchy is mounted on this host (systemd 252 needs one)"

lower=$(image "$variant")

stop_machine "$sd" 2>/dev/null || true
remove_tree "$sd"
mkdir -p "$sd/upper" "$sd/work" "$sd/root"
chmod 0700 "$sd"
cg=$cgroot/backupd-ci-$(printf '%s' "$sd" | sha256sum | cut -c1-8)-$$
mkdir "$cg"
echo "$cg" >"$sd/cgroup"
# Whatever goes wrong from here on, no machine, mount namespace or cgroup is left behind.
trap 'status=$?; if (( status != 0 )); then stop_machine "$sd" 2>/dev/null || true; fi' EXIT
trap 'exit 143' TERM INT

(
  echo "$BASHPID" >"$cg/cgroup.procs"
  exec setsid unshare --pid --fork --mount --uts --ipc --cgroup --propagation private \
    "$self" __boot "$lower" "$sd" "$binary"
) </dev/null >"$sd/console.log" 2>&1 &
launcher=$!
echo "$launcher" >"$sd/launcher"

# The machine's PID 1 is the child unshare forks; it becomes systemd once the root is laid out.
pid1=
for i in $(seq 1 300); do
  kill -0 "$launcher" 2>/dev/null || break
  pid1=$(cat "/proc/$launcher/task/$launcher/children" 2>/dev/null | awk '{print $1}' || true)
  if [[ -n "$pid1" && "$(cat "/proc/$pid1/comm" 2>/dev/null)" == systemd ]]; then break; fi
  sleep 0.1
done
if [[ -z "$pid1" || "$(cat "/proc/$pid1/comm" 2>/dev/null)" != systemd ]]; then
  sed 's/^/    /' "$sd/console.log" >&2
  testenv_die "systemd did not start as PID 1 within 30 s (console log above)"
fi
echo "$pid1" >"$sd/pid1"

# `is-system-running` says `offline` until systemd's own socket exists, and then `starting`.
state=
for i in $(seq 1 600); do
  kill -0 "$pid1" 2>/dev/null || break
  state=$(in_machine "$pid1" 10 systemctl is-system-running 2>/dev/null || true)
  [[ "$state" == running || "$state" == degraded ]] && break
  sleep 0.1
done
case "$state" in
  running) ;;
  degraded)
    testenv_log "booted degraded; failed units:"
    in_machine "$pid1" 10 systemctl --failed --no-legend >&2 || true ;;
  *)
    sed 's/^/    /' "$sd/console.log" >&2
    testenv_die "systemd did not reach running within 60 s (state: ${state:-none}; console log above)" ;;
esac
testenv_log "systemd $(in_machine "$pid1" 10 systemctl --version | awk 'NR == 1 {print $2}') is running as pid $pid1 (cgroup $cg)"

line="export ${prefix}_PID1=$pid1 ${prefix}_ROOT=/proc/$pid1/root ${prefix}_DIR=$sd"
testenv_save_env "$sd" "$line"
echo "$line"
