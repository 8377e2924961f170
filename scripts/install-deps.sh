#!/usr/bin/env bash
# Installs every Debian package backupd's build, tests and quickstart need, plus the AWS CLI (the
# tests' second, independent S3 client). Idempotent: when everything is present it only checks
# (about a second) and installs nothing. Runs as root, or through sudo otherwise.
# The Swift toolchain itself is not installed here: it must already be on PATH.
set -euo pipefail

packages=(
  # build: system libraries behind the CCurl, CCrypto, CSQLite targets and the pipeline
  libcurl4-openssl-dev libzstd-dev libsqlite3-dev libssl-dev zlib1g-dev pkg-config
  # libxml2 behind FoundationXML (S3 responses are parsed by XMLParser; the static binary links it)
  libxml2-dev
  # database servers and their dump/restore tools
  postgresql postgresql-client mariadb-server mariadb-client redis-server redis-tools zstd
  # the S3 server of the tests and quickstart: Ceph's radosgw on a one-node cluster
  radosgw ceph-mon ceph-osd ceph-common
  # test helpers: the tzdata oracle and systemd-analyze (unit tests), curl, pip for awscli
  python3 python3-pip curl ca-certificates tzdata systemd openssl
  # the clock-step test compiles its LD_PRELOAD clock shim (scripts/clock-shim.c) with cc
  gcc libc6-dev
  # the benchmarks: /usr/bin/time for peak RSS and CPU seconds
  time
  # the WAL archiving benchmark (bench/wal-archive.sh): pgBackRest's archive-push as a contender,
  # and python3-venv for an AWS CLI the postgres user can run (/opt/backupd-awscli, below)
  pgbackrest python3-venv
  # the systemd test: a Debian 12 root booted under systemd 252 (scripts/testenv/systemd.sh);
  # util-linux gives unshare and nsenter
  debootstrap util-linux
  # the Debian package (scripts/package-deb.sh): dpkg-shlibdeps (dpkg-dev) and its checker
  dpkg-dev lintian
  # contrib/prometheus: promtool checks and unit-tests the alert rules
  prometheus
  # the HTTPS benchmark: nginx as the TLS proxy in front of radosgw
  nginx
  # client-side encryption of backups with age (age-keygen makes the tests' keys)
  age
  # the README's restore without backupd (scripts/restore-without-backupd.sh) reads manifests with
  # jq; `script` (bsdutils) gives the progress tests their pseudo-terminal
  jq bsdutils
  # scripts/test.sh's watchdog prints every thread's backtrace of a test run that hangs
  gdb
  # the fleet's partition test: hosts as network namespaces (ip netns, veth, a bridge) reaching
  # radosgw through a socat forwarder on the bridge
  iproute2 socat
)

log() { echo "install-deps: $*" >&2; }

if (( EUID == 0 )); then
  as_root() { "$@"; }
elif command -v sudo >/dev/null; then
  as_root() { sudo "$@"; }
else
  log "not root and no sudo: run this as root"; exit 1
fi

missing=()
for p in "${packages[@]}"; do
  if [[ "$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null)" != installed ]]; then
    missing+=("$p")
  fi
done

if (( ${#missing[@]} > 0 )); then
  log "installing ${missing[*]}"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
else
  log "all ${#packages[@]} Debian packages present"
fi

if ! command -v aws >/dev/null; then
  log "installing awscli from PyPI"
  # Debian 12 marks its Python as externally managed (PEP 668); pip then needs to be told.
  pip_install() { as_root python3 -m pip install --quiet --disable-pip-version-check "$@"; }
  pip_install awscli || pip_install --break-system-packages awscli
  command -v aws >/dev/null || { log "awscli installed but \`aws\` is not on PATH"; exit 1; }
fi

# The AWS CLI above may live where only root can run it (a pyenv under /root); the WAL archiving
# benchmark runs `aws s3 cp` as archive_command, as the postgres user: give it its own copy.
if [[ ! -x /opt/backupd-awscli/bin/aws ]]; then
  log "installing awscli into /opt/backupd-awscli (a venv the postgres user can run)"
  as_root /usr/bin/python3 -m venv /opt/backupd-awscli
  as_root /opt/backupd-awscli/bin/python -m pip install --quiet --disable-pip-version-check awscli
  /opt/backupd-awscli/bin/aws --version >/dev/null || { log "awscli in /opt/backupd-awscli does not run"; exit 1; }
fi

if ! python3 -c 'import pytest' 2>/dev/null; then
  log "installing pytest from PyPI (the systemd tests, Tests/SystemdTests)"
  pip_install() { as_root python3 -m pip install --quiet --disable-pip-version-check "$@"; }
  pip_install pytest || pip_install --break-system-packages pytest
  python3 -c 'import pytest' || { log "pytest installed but python3 cannot import it"; exit 1; }
fi

if ! python3 -c 'import prometheus_client' 2>/dev/null; then
  log "installing prometheus-client from PyPI (the tests read the metrics with its text parser)"
  pip_install() { as_root python3 -m pip install --quiet --disable-pip-version-check "$@"; }
  pip_install prometheus-client || pip_install --break-system-packages prometheus-client
fi

if ! python3 -c 'import jsonschema' 2>/dev/null; then
  log "installing jsonschema from PyPI (the tests validate every --json output against docs/schemas)"
  pip_install() { as_root python3 -m pip install --quiet --disable-pip-version-check "$@"; }
  pip_install jsonschema || pip_install --break-system-packages jsonschema
  python3 -c 'import jsonschema' || { log "jsonschema installed but python3 cannot import it"; exit 1; }
fi
