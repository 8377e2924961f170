#!/usr/bin/env bash
# Restores a job's newest backup WITHOUT backupd, with only aws, jq, sha256sum, zstd or gzip, age
# and the database's own tools. The README's "Restore without backupd" quotes this file; CI runs
# it against backups made by backupd (RestoreWithoutBackupdTests).
#
#   restore-without-backupd.sh BUCKET PREFIX JOB WORKDIR TARGET
#
# TARGET: postgres and mysql/mariadb: an existing database to restore into; mongodb: a URI;
# redis: the path to write the RDB file to. The usual variables apply: AWS_ACCESS_KEY_ID,
# AWS_SECRET_ACCESS_KEY, AWS_DEFAULT_REGION, AWS_ENDPOINT_URL (any S3 but AWS); PGHOST, PGPORT,
# PGUSER, PGPASSWORD (postgres); MYSQL_DEFAULTS_FILE, a client option file with host, port, user
# and password (mysql); AGE_IDENTITY, the age identity file of an encrypted backup.
# WORKDIR holds the downloaded objects (the size of the backup, plus the decoded dump).
set -euo pipefail
bucket=$1 prefix=$2 job=$3 work=$4 target=$5
s3() { aws ${AWS_ENDPOINT_URL:+--endpoint-url "$AWS_ENDPOINT_URL"} s3api "$@"; }
fail() { echo "restore-without-backupd: $*" >&2; exit 1; }
mkdir -p "$work"
cd "$work"

# 1. The newest backup: a backup exists exactly when its manifest does. Manifests are named
#    PREFIX/JOB-YYYYMMDDTHHMMSSZ-TOKEN.manifest.json (UTC), so the last name in order is the
#    newest (names from before run tokens lack -TOKEN). The stamp right after JOB- keeps out
#    another job whose name starts with JOB (JOB-db-...).
start="${prefix:+$prefix/}${job}-"
manifest_key=$(s3 list-objects-v2 --bucket "$bucket" --prefix "$start" --output json | jq -r --arg s "$start" \
  '.Contents[]?.Key | select(startswith($s) and (ltrimstr($s) | test("^[0-9]{8}T[0-9]{6}Z(-[0-9a-f]{8})?\\.manifest\\.json$")))' \
  | LC_ALL=C sort | tail -n 1)
[ -n "$manifest_key" ] || fail "no manifest under s3://$bucket/$start"
s3 get-object --bucket "$bucket" --key "$manifest_key" manifest.json >/dev/null
case $(jq -r .formatVersion manifest.json) in 1|2) ;; *) fail "$manifest_key: unknown formatVersion" ;; esac
echo "backup $(jq -r .backupId manifest.json) of $(jq -r .startedAt manifest.json)" >&2

# 2. The dump object: its pieces are its "segments" in order, or the object itself when it has
#    none. Each piece's size and digests are of its bytes as stored (compressed, then encrypted):
#    its "sha256" (format 1), or (format 2) the size and sha256 of each of its "parts" in order.
jq -c '.objects[] | select(.role == "dump") | (if (.segments // []) == [] then [.] else .segments end)[] | {key, size, sha256, parts}' \
  manifest.json > pieces.jsonl
[ -s pieces.jsonl ] || fail "$manifest_key lists no dump object"
: > stream
while read -r piece; do
  key=$(jq -r .key <<<"$piece")
  s3 get-object --bucket "$bucket" --key "$key" piece >/dev/null
  [ "$(stat -c %s piece)" = "$(jq -r .size <<<"$piece")" ] || fail "$key: size differs from the manifest"
  if [ "$(jq -r '.parts // [] | length' <<<"$piece")" = 0 ]; then
    echo "$(jq -r .sha256 <<<"$piece")  piece" | sha256sum --check --quiet || fail "$key: SHA-256 differs from the manifest"
  else
    # The parts must cover the piece; each part's bytes (from offset, size long) must hash to its sha256.
    [ "$(jq '[.parts[].size] | add' <<<"$piece")" = "$(stat -c %s piece)" ] || fail "$key: its parts do not cover it"
    offset=0 number=0
    while read -r size sha; do
      number=$((number + 1))
      [ "$(tail -c +$((offset + 1)) piece | head -c "$size" | sha256sum | cut -d' ' -f1)" = "$sha" ] \
        || fail "$key: part $number (bytes $offset-$((offset + size - 1))) differs from the manifest"
      offset=$((offset + size))
    done < <(jq -r '.parts[] | "\(.size) \(.sha256)"' <<<"$piece")
  fi
  cat piece >> stream   # 3. join the segments in manifest order
  rm piece
done < pieces.jsonl
# Format 1: the object's own size and sha256 cover the whole joined stream (format 2: its parts did).
if [ "$(jq -r '.objects[] | select(.role == "dump") | .sha256 // "parts"' manifest.json)" != parts ]; then
  jq -r '.objects[] | select(.role == "dump") | "\(.sha256)  stream"' manifest.json | sha256sum --check --quiet \
    || fail "the joined stream's SHA-256 differs from the manifest"
fi
[ "$(stat -c %s stream)" = "$(jq -r '.objects[] | select(.role == "dump") | .size' manifest.json)" ] \
  || fail "the joined stream's size differs from the manifest"

# 4. Decrypt (age, applied last) and decompress ("compression": zstd, gzip or none).
decrypt() {
  if [ "$(jq -r '.encryption.scheme // "none"' manifest.json)" = age ]; then
    age -d -i "${AGE_IDENTITY:?the backup is encrypted: set AGE_IDENTITY}" "$1"
  else cat "$1"; fi
}
case $(jq -r .compression manifest.json) in
  zstd) decrypt stream | zstd -dc > dump ;;
  gzip) decrypt stream | gzip -dc > dump ;;
  none) decrypt stream > dump ;;
  *) fail "unknown compression $(jq -r .compression manifest.json)" ;;
esac
rm stream

# 5. Restore with the engine's own tool.
case $(jq -r .engine manifest.json) in
  postgres)  # a custom-format archive; owners and grants left out, all or nothing
    pg_restore --no-owner --no-privileges --single-transaction --exit-on-error --dbname "$target" dump ;;
  mysql)     # SQL for one database, without CREATE DATABASE or USE
    "$(command -v mariadb || echo mysql)" ${MYSQL_DEFAULTS_FILE:+--defaults-extra-file="$MYSQL_DEFAULTS_FILE"} "$target" < dump ;;
  mongodb)   # a mongodump archive (untested here: no mongorestore in CI)
    mongorestore --archive=dump --uri="$target" ;;
  redis)     # an RDB file: stop redis-server, put it at its dir/dbfilename (appendonly no), start it
    cp dump "$target" ;;
  *) fail "engine $(jq -r .engine manifest.json): restore $work/dump with the job's own tool" ;;
esac
rm dump
echo "restored $(jq -r .backupId manifest.json) into $target" >&2
