#!/usr/bin/env bash
# The whole test suite, from a fresh clone on a clean machine: installs what the tests need, builds,
# starts every server the integration tests use (S3/radosgw, PostgreSQL, MariaDB, Redis) as
# throw-away processes on free loopback ports under one temporary directory, runs `swift test`,
# and always stops the servers and removes the directory. The exit status is the tests'.
#
#   scripts/test.sh                      # everything (this is what .ci/run does)
#   scripts/test.sh --filter TestServers # extra arguments go to `swift test`
#
# After `swift test`, the systemd stage: the release binary built as the README installs it, booted
# with the repo's unit under a real systemd 252 (scripts/testenv/systemd.sh, needs root) and tested
# by Tests/SystemdTests (pytest); and the Debian package made from that binary
# (scripts/package-deb.sh: dist/backupd_VERSION_amd64.deb, lintian-checked, plus the same binary as
# a newer version for the upgrade test) installed, upgraded, removed and purged on a second, clean
# machine (`systemd.sh start-clean`). It runs when no arguments are given (CI);
# BACKUPD_SYSTEMD_TESTS=1 forces it, BACKUPD_SYSTEMD_TESTS=0 skips it.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
started_at=$(date +%s)
say() { echo "test.sh: $*" >&2; }
elapsed() { echo "$(( $(date +%s) - started_at ))s"; }

command -v swift >/dev/null || { say "the Swift 6 toolchain is not on PATH"; exit 1; }
scripts/install-deps.sh

servers=()
[[ -x scripts/testenv/s3.sh ]] && servers+=(s3) || say "scripts/testenv/s3.sh is missing: no S3 server, S3 tests will fail"
servers+=(postgres mariadb redis)
systemd_tests=${BACKUPD_SYSTEMD_TESTS:-$(( $# == 0 ))}
if (( systemd_tests )) && (( EUID != 0 )); then
  say "the systemd tests boot systemd in namespaces and need root (BACKUPD_SYSTEMD_TESTS=0 skips them)"; exit 1
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/backupd-test.XXXXXX")
# Traversable (not listable) so that PostgreSQL, which runs as the postgres user, reaches its dir.
chmod 0711 "$tmp"
cleanup() {
  local status=$?
  local s pids=()
  if [[ -n "${image_pid:-}" ]] && kill -0 "$image_pid" 2>/dev/null; then
    kill "$image_pid" 2>/dev/null || true
  fi
  if [[ -n "${release_pid:-}" ]] && kill -0 "$release_pid" 2>/dev/null; then
    kill -- -"$release_pid" 2>/dev/null || kill "$release_pid" 2>/dev/null || true
  fi
  if [[ -n "${clean_image_pid:-}" ]] && kill -0 "$clean_image_pid" 2>/dev/null; then
    kill "$clean_image_pid" 2>/dev/null || true
  fi
  if [[ -n "${test_pid:-}" ]] && kill -0 "$test_pid" 2>/dev/null; then
    kill -KILL -- -"$test_pid" 2>/dev/null || true
  fi
  local m
  for m in systemd package; do
    if [[ -s "$tmp/$m/systemd/cgroup" ]]; then
      timeout -k 5 60 scripts/testenv/systemd.sh stop "$tmp/$m" >>"$tmp/$m.log" 2>&1 || say "stopping the $m machine failed (see $tmp/$m.log)"
    fi
  done
  for s in "${servers[@]}"; do
    scripts/testenv/$s.sh stop "$tmp/$s" >>"$tmp/$s.log" 2>&1 & pids+=($!)
  done
  wait "${pids[@]}" 2>/dev/null || true
  if (( status != 0 )) && [[ -n "${KEEP_TEST_LOGS:-}" ]]; then
    say "kept $tmp for inspection"
  else
    rm -rf "$tmp"
  fi
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# The servers start while Swift builds: radosgw alone takes about 20 seconds. A start that hangs
# is cut off (its leftovers are stopped by the cleanup), so CI never waits forever.
declare -A server_pid
for s in "${servers[@]}"; do
  limit=120; [[ $s == s3 ]] && limit=300
  timeout -k 10 "$limit" scripts/testenv/$s.sh start "$tmp/$s" >"$tmp/$s.env" 2>"$tmp/$s.log" &
  server_pid[$s]=$!
done

if (( systemd_tests )); then
  # The machine's Debian root (debootstrap, about a minute, then cached) is made while Swift builds.
  timeout -k 10 900 scripts/testenv/systemd.sh image >/dev/null 2>"$tmp/systemd-image.log" &
  image_pid=$!
  # And the clean root the package is installed on (made after the first: they share a lock).
  timeout -k 10 900 scripts/testenv/systemd.sh image clean >/dev/null 2>"$tmp/package-image.log" &
  clean_image_pid=$!
fi

# The alert rules and dashboard in contrib/ (promtool; seconds).
contrib_status=0
scripts/check-contrib.sh || contrib_status=$?

say "building (swift build --build-tests)"
build_status=0
swift build --build-tests || build_status=$?

failed=0
for s in "${servers[@]}"; do
  status=0
  wait "${server_pid[$s]}" || status=$?
  if (( status != 0 )); then
    (( status == 124 )) && say "$s server start timed out"
    say "$s server did not start (status $status):"; sed 's/^/    /' "$tmp/$s.log" >&2; failed=1
  fi
done
(( build_status == 0 )) || { say "build failed"; exit "$build_status"; }
if (( systemd_tests )); then
  # The README's install command (the machine has no Swift runtime), in a scratch directory of its
  # own so that it builds, at low priority, while `swift test` runs (SwiftPM locks its .build).
  release=(swift build -c release --product backupd --static-swift-stdlib --scratch-path "$root/.build-release")
  say "building the release binary in the background (${release[*]})"
  setsid --wait nice -n 19 "${release[@]}" >"$tmp/release-build.log" 2>&1 </dev/null &
  release_pid=$!
fi
(( failed == 0 )) || { say "a test server failed to start (logs above, state under $tmp/)"; exit 1; }

for s in "${servers[@]}"; do
  # shellcheck disable=SC1090
  source "$tmp/$s.env"
done
say "servers up after $(elapsed), state under $tmp:"
[[ " ${servers[*]} " == *" s3 "* ]] && say "  S3 (radosgw)  $BACKUPD_TEST_S3_ENDPOINT region $BACKUPD_TEST_S3_REGION"
say "  PostgreSQL    $BACKUPD_TEST_PG_HOST:$BACKUPD_TEST_PG_PORT user $BACKUPD_TEST_PG_USER"
say "  MariaDB       $BACKUPD_TEST_MYSQL_HOST:$BACKUPD_TEST_MYSQL_PORT user $BACKUPD_TEST_MYSQL_USER"
say "  Redis         $BACKUPD_TEST_REDIS_HOST:$BACKUPD_TEST_REDIS_PORT"

# One phase of `swift test`, bounded: a run that outlives `limit` seconds is hung (CI's whole run
# takes about 10 minutes), so every thread of the test process is printed (gdb) to show where it
# waits, and the run is killed. CI then fails in minutes with the evidence, not after its timeout.
# Test bodies run on threads of their own (Tests/TestThreads), not on Swift's two cooperative
# threads; BACKUPD_TEST_WIDTH bounds how many run at once, so that the servers are not swamped.
bounded_swift_test() {
  local limit=$1; shift
  SWT_EXPERIMENTAL_MAXIMUM_PARALLELIZATION_WIDTH=${BACKUPD_TEST_WIDTH:-8} setsid swift test --skip-build "$@" &
  test_pid=$!
  local pid=$test_pid waited=0 status=0
  while kill -0 "$pid" 2>/dev/null && (( waited < limit )); do sleep 5; waited=$(( waited + 5 )); done
  if kill -0 "$pid" 2>/dev/null; then
    say "swift test $* still runs after ${limit}s: it is hung; every thread of the test process follows"
    local runner family=("$pid") index=0
    while (( index < ${#family[@]} )); do
      family+=($(pgrep -P "${family[index]}" || true)); index=$(( index + 1 ))
    done
    for runner in "${family[@]}"; do
      [[ $(tr '\0' ' ' </proc/"$runner"/cmdline 2>/dev/null) == *PackageTests.xctest* ]] || continue
      say "threads of pid $runner ($(tr '\0' ' ' </proc/"$runner"/cmdline 2>/dev/null | cut -c1-200))"
      timeout -k 5 120 gdb -p "$runner" -batch -nx -ex 'set pagination off' -ex 'thread apply all bt 30' 2>&1 \
        | grep -v '^\[New LWP\|^warning: \|^Downloading' >&2 || true
    done
    kill -- -"$pid" "${family[@]}" 2>/dev/null || true
    sleep 2
    kill -KILL -- -"$pid" "${family[@]}" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
    return 124
  fi
  wait "$pid" || status=$?
  return "$status"
}

test_status=0
if (( $# == 0 )); then
  # The unit targets first, each on its own (the cron engine's property tests keep both cores busy): their few real-time checks (a timer fires within a second
  # of its due time, a cancelled listener stops) then do not share two cores with the integration
  # tests' servers and processes. Then the integration tests.
  bounded_swift_test 900 --filter '^BackupKitTests\.' || test_status=$?
  bounded_swift_test 600 --filter '^(CronTests|SigV4Tests)\.' || test_status=$?
  bounded_swift_test 1500 --filter '^IntegrationTests\.' || test_status=$?
else
  bounded_swift_test "${BACKUPD_TEST_LIMIT:-2400}" "$@" || test_status=$?
fi
say "tests finished with status $test_status after $(elapsed)"

if (( systemd_tests )); then
  systemd_status=0
  image_status=0
  release_status=0
  wait "$release_pid" || release_status=$?
  release_pid=
  wait "$image_pid" || image_status=$?
  image_pid=
  wait "$clean_image_pid" || { (( image_status != 0 )) || image_status=$?; cat "$tmp/package-image.log" >>"$tmp/systemd-image.log"; }
  clean_image_pid=
  binary=$("${release[@]}" --show-bin-path)/backupd
  if (( release_status != 0 )); then
    say "the release build failed (status $release_status):"; tail -n 40 "$tmp/release-build.log" | sed 's/^/    /' >&2
    systemd_status=1
  elif (( image_status != 0 )); then
    say "making the systemd machine's root failed (status $image_status):"; sed 's/^/    /' "$tmp/systemd-image.log" >&2
    systemd_status=1
  elif ! deb=$(scripts/package-deb.sh --binary "$binary" 2>"$tmp/package-deb.log") \
      || ! deb_upgrade=$(scripts/package-deb.sh --binary "$binary" --no-lintian --fast --output "$tmp/deb-upgrade" \
        --version "$("$binary" --version | awk '{print $1}')+ci1" 2>>"$tmp/package-deb.log"); then
    say "packaging failed:"; sed 's/^/    /' "$tmp/package-deb.log" >&2
    systemd_status=1
  elif ! timeout -k 10 120 scripts/testenv/systemd.sh start "$tmp/systemd" "$binary" >"$tmp/systemd.env" 2>"$tmp/systemd.log"; then
    say "the systemd machine did not boot:"; sed 's/^/    /' "$tmp/systemd.log" >&2
    systemd_status=1
  elif ! timeout -k 10 120 scripts/testenv/systemd.sh start-clean "$tmp/package" >"$tmp/package.env" 2>"$tmp/package.log"; then
    say "the clean machine for the package did not boot:"; sed 's/^/    /' "$tmp/package.log" >&2
    systemd_status=1
  else
    say "packaged $deb (lintian-clean) and $deb_upgrade"
    export BACKUPD_DEB=$deb BACKUPD_DEB_UPGRADE=$deb_upgrade
    # shellcheck disable=SC1090
    source "$tmp/systemd.env"
    # shellcheck disable=SC1090
    source "$tmp/package.env"
    say "systemd tests (Tests/SystemdTests) on systemd pid $BACKUPD_SYSTEMD_PID1"
    BACKUPD_SYSTEMD_REQUIRED=1 PYTHONDONTWRITEBYTECODE=1 timeout -k 10 420 \
      python3 -m pytest Tests/SystemdTests -p no:cacheprovider -v -rs --durations=10 || systemd_status=$?
  fi
  say "systemd tests finished with status $systemd_status after $(elapsed)"
  (( test_status != 0 )) || test_status=$systemd_status
fi
if (( contrib_status != 0 )); then
  say "scripts/check-contrib.sh failed (status $contrib_status, output above)"
  (( test_status != 0 )) || test_status=$contrib_status
fi
exit "$test_status"
