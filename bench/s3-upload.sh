#!/bin/sh
# The uploader ALONE (s3-bench: no dump tool, no pipe, no run-now around it; for a real run's
# figures use bench/compare.sh).
# Streams N GiB (default: 1 and 4) of generated data through backupd's multipart uploader to the
# local radosgw, then the same stream through `aws s3 cp -`, and prints wall time, CPU seconds and
# peak RSS of each; then downloads each object back (backupd's restore path: parallel ranged GETs)
# against `aws s3 cp s3://... -`. Everything runs twice: over plain HTTP, and over HTTPS through
# nginx (Debian's) as a TLS proxy in front of radosgw with a throw-away CA.
# Starts its own radosgw (scripts/testenv/s3.sh) unless BACKUPD_TEST_S3_ENDPOINT is set.
# Usage: bench/s3-upload.sh [GIB...]   (BACKUPD_BENCH_ONLY=http or https runs one transport)
set -eu
cd "$(dirname "$0")/.."
swift build -c release --product s3-bench >&2
bin=$(pwd)/.build/release/s3-bench

work=$(mktemp -d /tmp/s3-bench.XXXXXX)
cleanup() {
  [ -f "$work/nginx.pid" ] && kill "$(cat "$work/nginx.pid")" 2>/dev/null || true
  [ -n "${own_rgw:-}" ] && scripts/testenv/s3.sh stop "$work/rgw"
  rm -rf "$work"
}
trap cleanup EXIT
if [ -z "${BACKUPD_TEST_S3_ENDPOINT:-}" ]; then
  own_rgw=1
  mkdir -p "$work/rgw"
  eval "$(scripts/testenv/s3.sh start "$work/rgw")"
fi
export AWS_ACCESS_KEY_ID="$BACKUPD_TEST_S3_ACCESS_KEY" AWS_SECRET_ACCESS_KEY="$BACKUPD_TEST_S3_SECRET_KEY"
export AWS_EC2_METADATA_DISABLED=true AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null
# The CLI's default flexible checksums send uploads as aws-chunked bodies without Content-Length,
# which nginx forwards chunked and radosgw refuses (MissingContentLength): checksums only when required.
export AWS_REQUEST_CHECKSUM_CALCULATION=when_required AWS_RESPONSE_CHECKSUM_VALIDATION=when_required
plain="$BACKUPD_TEST_S3_ENDPOINT"

# nginx terminating TLS on a free port in front of radosgw (sets tls).
. bench/tls-proxy.sh
tls_proxy "$work" "${plain#http://}"

bucket="s3-bench-$$"
aws --endpoint-url "$plain" --region "$BACKUPD_TEST_S3_REGION" s3 mb "s3://$bucket" >/dev/null
$bin --sha --gib 1

case "${BACKUPD_BENCH_ONLY:-}" in http) endpoints="$plain";; https) endpoints="$tls";; *) endpoints="$plain $tls";; esac
for endpoint in $endpoints; do
  case "$endpoint" in https:*) export BACKUPD_BENCH_CA_FILE="$work/ca.pem"; cab="--ca-bundle $work/ca.pem";; *) unset BACKUPD_BENCH_CA_FILE || true; cab="";; esac
  export BACKUPD_TEST_S3_ENDPOINT="$endpoint"
  aws="aws --endpoint-url $endpoint --region $BACKUPD_TEST_S3_REGION $cab"
  for gib in ${*:-1 4}; do
    echo "== $gib GiB over $endpoint"
    /usr/bin/time -f "backupd upload:   wall %e s, CPU %U+%S s, peak RSS %M KiB" \
      $bin --gib "$gib" --bucket "$bucket" --key "backupd-$gib"
    /usr/bin/time -f "generator alone:  wall %e s, CPU %U+%S s" $bin --generate --gib "$gib" >/dev/null
    /usr/bin/time -f "aws s3 cp -:      wall %e s, CPU %U+%S s (generator included), peak RSS %M KiB (largest process)" \
      sh -c "$bin --generate --gib $gib | $aws s3 cp - s3://$bucket/aws-$gib --quiet"
    /usr/bin/time -f "backupd restore:  wall %e s, CPU %U+%S s, peak RSS %M KiB" \
      $bin --download --bucket "$bucket" --key "backupd-$gib"
    /usr/bin/time -f "aws s3 cp s3:// -: wall %e s, CPU %U+%S s, peak RSS %M KiB" \
      sh -c "$aws s3 cp s3://$bucket/aws-$gib - --quiet >/dev/null"
    $aws s3 rm "s3://$bucket/aws-$gib" >/dev/null || true
    $aws s3 rm "s3://$bucket/backupd-$gib" >/dev/null || true
  done
done
aws --endpoint-url "$plain" --region "$BACKUPD_TEST_S3_REGION" s3 rb "s3://$bucket" --force >/dev/null || true
