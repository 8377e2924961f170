#!/usr/bin/env bash
# A throw-away S3 server that verifies SigV4: Ceph's radosgw on a one-node cluster (one monitor,
# one OSD with the in-memory memstore backend), every file under DIR, on free loopback ports.
#
#   scripts/testenv/s3.sh start DIR   # prints `export BACKUPD_TEST_S3_...=...` lines on stdout
#   scripts/testenv/s3.sh stop DIR
#
# Logs go to DIR/log. Needs root (or a user that may run the ceph daemons) and the Debian
# packages ceph-mon, ceph-osd, radosgw.
set -euo pipefail

cmd=${1:-}; dir=${2:-}
if [[ -z "$cmd" || -z "$dir" ]]; then
  echo "usage: $0 start|stop DIR" >&2; exit 2
fi

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

stop() {
  local d=$1
  for name in client.rgw osd.0 mon.a; do
    local pidfile="$d/run/$name.pid"
    if [[ -f "$pidfile" ]]; then
      local pid; pid=$(cat "$pidfile")
      kill "$pid" 2>/dev/null || true
      for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
      kill -9 "$pid" 2>/dev/null || true
      rm -f "$pidfile"
    fi
  done
}

if [[ "$cmd" == stop ]]; then
  stop "$dir"; exit 0
fi
[[ "$cmd" == start ]] || { echo "unknown command $cmd" >&2; exit 2; }

mkdir -p "$dir"
dir=$(cd "$dir" && pwd)
mkdir -p "$dir/log" "$dir/run" "$dir/mon.a" "$dir/osd.0"
mon_port=$(free_port)
rgw_port=$(free_port)
fsid=$(python3 -c 'import uuid; print(uuid.uuid4())')
conf="$dir/ceph.conf"
access_key="BACKUPDTEST$(python3 -c 'import secrets; print(secrets.token_hex(6).upper())')"
secret_key=$(python3 -c 'import secrets; print(secrets.token_urlsafe(30))')

cat >"$conf" <<CONF
[global]
fsid = $fsid
mon host = v2:127.0.0.1:$mon_port
public network = 127.0.0.0/8
auth cluster required = none
auth service required = none
auth client required = none
auth supported = none
ms bind msgr1 = false
ms mon client mode = crc
ms client mode = crc
ms service mode = crc secure
ms cluster mode = crc secure
osd pool default size = 1
osd pool default min size = 1
mon allow pool size one = true
mon warn on pool no redundancy = false
osd pool default pg autoscale mode = off
osd pool default pg num = 8
osd pool default pgp num = 8
mon max pg per osd = 1000
osd objectstore = memstore
memstore device bytes = 12884901888
osd journal size = 100
client mount timeout = 20
run dir = $dir/run
admin socket = $dir/run/\$name.asok
log file = $dir/log/\$name.log
pid file = $dir/run/\$name.pid
crash dir = $dir/crash
keyring = $dir/keyring
mon data = $dir/mon.\$id
osd data = $dir/osd.\$id
mgr data = $dir/mgr.\$id
osd max object name len = 460
osd max object namespace len = 64
osd crush chooseleaf type = 0
err to stderr = false
log to stderr = false
debug ms = 0
[client.rgw]
rgw frontends = beast endpoint=127.0.0.1:$rgw_port
rgw dns name = 127.0.0.1
rgw thread pool size = 64
rgw enable usage log = false
rgw max chunk size = 4194304
rgw gc obj min wait = 5
rgw gc processor period = 5
rgw gc processor max time = 5
CONF
: >"$dir/keyring"

log() { echo "s3.sh: $*" >&2; }
fail() { log "$*; see $dir/log"; stop "$dir"; exit 1; }

monmaptool --create --fsid "$fsid" --addv a "[v2:127.0.0.1:$mon_port]" "$dir/monmap" >"$dir/log/setup.log" 2>&1 \
  || fail "monmaptool failed"
ceph-mon -c "$conf" --mkfs -i a --monmap "$dir/monmap" >>"$dir/log/setup.log" 2>&1 || fail "ceph-mon --mkfs failed"
ceph-mon -c "$conf" -i a >>"$dir/log/setup.log" 2>&1 || fail "ceph-mon did not start"

ceph() { command ceph -c "$conf" --connect-timeout 10 "$@"; }
ceph osd create >>"$dir/log/setup.log" 2>&1 || fail "ceph osd create failed"
ceph-osd -c "$conf" -i 0 --mkfs >>"$dir/log/setup.log" 2>&1 || fail "ceph-osd --mkfs failed"
ceph-osd -c "$conf" -i 0 >>"$dir/log/setup.log" 2>&1 || fail "ceph-osd did not start"

# Wait for the OSD to be up (a fresh OSD sometimes needs a second start).
up=0
for i in $(seq 1 300); do
  if ceph osd stat 2>/dev/null | grep -q "1 up"; then up=1; break; fi
  if (( i == 150 )); then
    log "OSD not up after 15 s, restarting it"
    [[ -f "$dir/run/osd.0.pid" ]] && kill "$(cat "$dir/run/osd.0.pid")" 2>/dev/null || true
    sleep 1
    ceph-osd -c "$conf" -i 0 >>"$dir/log/setup.log" 2>&1 || true
  fi
  sleep 0.1
done
(( up )) || fail "OSD never came up"

radosgw -c "$conf" -n client.rgw --no-mon-config >>"$dir/log/setup.log" 2>&1 || fail "radosgw did not start"
ok=0
for _ in $(seq 1 600); do
  if curl -s -o /dev/null "http://127.0.0.1:$rgw_port/"; then ok=1; break; fi
  sleep 0.1
done
(( ok )) || fail "radosgw did not answer on 127.0.0.1:$rgw_port"

# No bucket limit (radosgw's default is 1,000 per user): every test makes buckets of its own, and
# a server kept for several runs of the suite would otherwise refuse them with TooManyBuckets.
radosgw-admin -c "$conf" -n client.rgw user create --uid=backupd-test --display-name="backupd test" \
  --access-key="$access_key" --secret-key="$secret_key" --max-buckets=0 >>"$dir/log/setup.log" 2>&1 \
  || fail "radosgw-admin user create failed"
# A second user owning nothing: tests grant it a narrow bucket policy to see AccessDenied.
restricted_key="BACKUPDRO$(python3 -c 'import secrets; print(secrets.token_hex(6).upper())')"
restricted_secret=$(python3 -c 'import secrets; print(secrets.token_urlsafe(30))')
radosgw-admin -c "$conf" -n client.rgw user create --uid=backupd-restricted --display-name="backupd restricted" \
  --access-key="$restricted_key" --secret-key="$restricted_secret" >>"$dir/log/setup.log" 2>&1 \
  || fail "radosgw-admin user create (restricted) failed"
echo "$rgw_port" >"$dir/rgw.port"

cat <<OUT
export BACKUPD_TEST_S3_ENDPOINT=http://127.0.0.1:$rgw_port
export BACKUPD_TEST_S3_REGION=default
export BACKUPD_TEST_S3_ACCESS_KEY=$access_key
export BACKUPD_TEST_S3_SECRET_KEY=$secret_key
export BACKUPD_TEST_S3_RESTRICTED_USER=backupd-restricted
export BACKUPD_TEST_S3_RESTRICTED_ACCESS_KEY=$restricted_key
export BACKUPD_TEST_S3_RESTRICTED_SECRET_KEY=$restricted_secret
OUT
