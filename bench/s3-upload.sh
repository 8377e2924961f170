#!/bin/sh
# Streams N GiB (default: 1 and 4) of generated data through backupd's multipart uploader to the
# local radosgw, then the same stream through `aws s3 cp -`, and prints throughput, CPU seconds and
# peak RSS of each. Starts its own radosgw (scripts/testenv/s3.sh) unless BACKUPD_TEST_S3_ENDPOINT is set.
# Usage: bench/s3-upload.sh [GIB...]
set -eu
cd "$(dirname "$0")/.."
swift build -c release --product s3-bench >&2
bin=.build/release/s3-bench

if [ -z "${BACKUPD_TEST_S3_ENDPOINT:-}" ]; then
  dir=$(mktemp -d /tmp/s3-bench.XXXXXX)
  trap 'scripts/testenv/s3.sh stop "$dir"; rm -rf "$dir"' EXIT
  eval "$(scripts/testenv/s3.sh start "$dir")"
fi
export AWS_ACCESS_KEY_ID="$BACKUPD_TEST_S3_ACCESS_KEY" AWS_SECRET_ACCESS_KEY="$BACKUPD_TEST_S3_SECRET_KEY"
export AWS_EC2_METADATA_DISABLED=true
aws="aws --endpoint-url $BACKUPD_TEST_S3_ENDPOINT --region $BACKUPD_TEST_S3_REGION"
bucket="s3-bench-$$"
$aws s3 mb "s3://$bucket" >/dev/null

$bin --sha --gib 1
for gib in ${*:-1 4}; do
  echo "== $gib GiB"
  /usr/bin/time -f "backupd uploader: wall %e s, CPU %U+%S s, peak RSS %M KiB" \
    $bin --gib "$gib" --bucket "$bucket" --key "backupd-$gib" --delete
  /usr/bin/time -f "generator alone:  wall %e s, CPU %U+%S s" $bin --generate --gib "$gib" >/dev/null
  /usr/bin/time -f "aws s3 cp -:      wall %e s, CPU %U+%S s (generator included), peak RSS %M KiB (largest process)" \
    sh -c "$bin --generate --gib $gib | $aws s3 cp - s3://$bucket/aws-$gib --quiet"
  $aws s3 rm "s3://$bucket/aws-$gib" >/dev/null
done
$aws s3 rb "s3://$bucket" --force >/dev/null
