#!/usr/bin/env bash
# Builds the Debian package dist/backupd_VERSION_amd64.deb from the release binary with a static
# Swift runtime (the build of scripts/test.sh's systemd stage, in the same scratch directory
# .build-release, so CI builds it once), then checks it with lintian (errors and warnings fail;
# each accepted tag is explained in packaging/deb/lintian-overrides).
#
#   scripts/package-deb.sh                          # build, package, lintian
#   scripts/package-deb.sh --version 0.1.0+ci1 --output DIR --no-lintian --fast
#   scripts/package-deb.sh --binary PATH            # package this binary instead of building
#
# The version is the binary's (`backupd --version`, i.e. BackupKit.version in
# Sources/BackupKit/BackupKit.swift); to release, bump it there and add its section to
# CHANGELOG.md, from which the package's Debian changelog is made. --version overrides it (the
# upgrade test packages the same binary as a newer version). --fast compresses with gzip -1
# instead of xz (seconds instead of half a CPU-minute), for packages that only a test installs.
#
# What goes where: /usr/bin/backupd; /lib/systemd/system/backupd.service (made from the repo's
# systemd/backupd.service: ExecStart=/usr/bin/backupd and ConditionPathExists= on the config);
# /usr/lib/sysusers.d/backupd.conf (the user); man pages backupd(1), backupd.json(5); completions
# for bash, zsh and fish; /usr/share/doc/backupd (README, changelog, copyright, the example config).
# Maintainer scripts: packaging/deb/{postinst,prerm,postrm}.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)
say() { echo "package-deb: $*" >&2; }
die() { say "$*"; exit 1; }

maintainer="backupd maintainers <maintainers@backupd.example.org>"
version= output=$repo/dist binary= lintian=1 compression=(-Zxz)
while (( $# > 0 )); do
  case "$1" in
    --version) version=${2:?--version needs a value}; shift 2 ;;
    --output) output=${2:?--output needs a directory}; shift 2 ;;
    --binary) binary=${2:?--binary needs a path}; shift 2 ;;
    --no-lintian) lintian=0; shift ;;
    --fast) compression=(-Zgzip -z1); shift ;;
    *) die "unknown argument $1 (see the top of $0)" ;;
  esac
done
for tool in dpkg-deb dpkg-shlibdeps python3 gzip strip; do
  command -v "$tool" >/dev/null || die "$tool not found (run scripts/install-deps.sh)"
done

if [[ -z "$binary" ]]; then
  release=(swift build -c release --product backupd --static-swift-stdlib --scratch-path "$repo/.build-release")
  say "building: ${release[*]}"
  nice -n 10 "${release[@]}" >&2
  binary=$("${release[@]}" --show-bin-path)/backupd
fi
[[ -x "$binary" ]] || die "no backupd binary at $binary"
if ldd "$binary" 2>/dev/null | grep -q libswiftCore; then
  die "$binary links the Swift runtime dynamically; build it with --static-swift-stdlib"
fi
binary_version=$("$binary" --version | awk '{print $1}')
# Package.swift reads the commit when SwiftPM evaluates it; a build directory reused across commits
# keeps the first one (a fresh clone, as in CI, is always right).
binary_commit=$("$binary" --version | sed -n 's/.*(commit \([^)]*\)).*/\1/p')
head_commit=$(git rev-parse --short=12 HEAD 2>/dev/null || echo unknown)
if [[ "${binary_commit%-dirty}" != "$head_commit" ]]; then
  say "warning: the binary names commit $binary_commit, the checkout is at $head_commit (touch Package.swift and rebuild to update it)"
fi
version=${version:-$binary_version}
[[ "$version" =~ ^[0-9][A-Za-z0-9.+~]*$ ]] || die "'$version' is not a Debian native version"
arch=$(dpkg --print-architecture)

stage=$(mktemp -d "${TMPDIR:-/tmp}/backupd-deb.XXXXXX")
trap 'rm -rf "$stage"' EXIT
root=$stage/backupd_${version}_$arch
umask 022
mkdir -p "$root/DEBIAN"
doc=$root/usr/share/doc/backupd

# The binary, stripped of its symbol table (Swift's reflection metadata are allocated sections
# and stay).
install -D -m 0755 "$binary" "$root/usr/bin/backupd"
strip --strip-unneeded --remove-section=.comment --remove-section=.note "$root/usr/bin/backupd"

# The unit: the repo's, with the packaged path, man pages, and inactive until a config exists.
unit=$root/lib/systemd/system/backupd.service
install -d "$(dirname "$unit")"
{
  echo "# backupd, installed by its Debian package. Configure /etc/backupd/config.json (see"
  echo "# backupd.json(5)), then \`systemctl enable --now backupd\`; override with \`systemctl edit backupd\`."
  sed -e '1,/^\[Unit\]/{/^\[Unit\]/!d}' \
      -e 's|^ExecStart=/usr/local/bin/backupd |ExecStart=/usr/bin/backupd |' \
      -e 's|^Description=.*|&\nDocumentation=man:backupd(1) man:backupd.json(5)\n# Inactive (not failed) until there is a config; `systemctl start` then does nothing.\nConditionPathExists=/etc/backupd/config.json|' \
      systemd/backupd.service
} >"$unit"
grep -q '^ExecStart=/usr/bin/backupd run ' "$unit" || die "systemd/backupd.service has no ExecStart=/usr/local/bin/backupd ... to rewrite"
grep -q '^ConditionPathExists=/etc/backupd/config.json$' "$unit" || die "could not add ConditionPathExists to the unit"
install -D -m 0644 packaging/deb/backupd.sysusers "$root/usr/lib/sysusers.d/backupd.conf"

# Man pages (from the command definitions and docs/config-reference.json) and completions (from
# the binary's own argument parser, with job names completed from the config).
install -d "$root/usr/share/man/man1" "$root/usr/share/man/man5"
if [[ -x scripts/gen-man.py ]]; then
  scripts/gen-man.py --binary "$binary" --version "$version" --output "$stage/man"
  for page in "$stage"/man/*.[15]; do
    gzip -9n -c "$page" >"$root/usr/share/man/man${page##*.}/$(basename "$page").gz"
  done
fi
install -d "$root/usr/share/bash-completion/completions" "$root/usr/share/zsh/vendor-completions" \
  "$root/usr/share/fish/vendor_completions.d"
# bash-completion sources its scripts: no #! line (lintian: bash-completion-with-hashbang).
"$binary" --generate-completion-script bash | sed '1{/^#!/d}' >"$root/usr/share/bash-completion/completions/backupd"
"$binary" --generate-completion-script zsh >"$root/usr/share/zsh/vendor-completions/_backupd"
"$binary" --generate-completion-script fish >"$root/usr/share/fish/vendor_completions.d/backupd.fish"

# Documentation: README, the Debian changelog made from CHANGELOG.md, the copyright, the example.
install -d "$doc/examples"
gzip -9n -c README.md >"$doc/README.md.gz"
gzip -9n -c CHANGELOG.md >"$doc/CHANGELOG.md.gz"
install -m 0644 packaging/deb/copyright "$doc/copyright"
install -m 0644 config.example.json "$doc/examples/config.example.json"
python3 packaging/deb/changelog.py CHANGELOG.md "$version" "$maintainer" | gzip -9n >"$doc/changelog.gz"
install -D -m 0644 packaging/deb/lintian-overrides "$root/usr/share/lintian/overrides/backupd"

# Depends from the libraries the binary links (dpkg-shlibdeps reads a debian/control of its own).
mkdir -p "$stage/shlibs/debian"
printf 'Source: backupd\n\nPackage: backupd\nArchitecture: any\n' >"$stage/shlibs/debian/control"
depends=$(cd "$stage/shlibs" && dpkg-shlibdeps -O -e"$root/usr/bin/backupd" 2>/dev/null | sed -n 's/^shlibs:Depends=//p')
[[ -n "$depends" ]] || die "dpkg-shlibdeps found no dependencies for the binary"

for script in postinst prerm postrm; do
  install -m 0755 "packaging/deb/$script" "$root/DEBIAN/$script"
done
cat >"$root/DEBIAN/control" <<CONTROL
Package: backupd
Version: $version
Architecture: $arch
Maintainer: $maintainer
Installed-Size: $(du -sk --exclude=DEBIAN "$root" | cut -f1)
Depends: $depends
Suggests: postgresql-client, default-mysql-client, redis-tools, zstd, age
Section: admin
Priority: optional
Description: database backups streamed to S3-compatible storage
 backupd is a daemon that takes scheduled backups of PostgreSQL, MySQL and
 MariaDB, MongoDB and Redis (or of any command's output) with the database's
 own dump tool and streams them, compressed and optionally encrypted with age,
 into S3-compatible buckets, recording every run in a SQLite history.
 .
 The service stays inactive until /etc/backupd/config.json exists: see
 backupd.json(5) and /usr/share/doc/backupd/examples/config.example.json.
CONTROL
(cd "$root" && find . -path ./DEBIAN -prune -o -type f -printf '%P\0' | sort -z | xargs -0 md5sum) >"$root/DEBIAN/md5sums"
chmod 0644 "$root/DEBIAN/control" "$root/DEBIAN/md5sums"

mkdir -p "$output"
deb=$output/backupd_${version}_$arch.deb
SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-$(git log -1 --format=%ct 2>/dev/null || date +%s)} \
  dpkg-deb --root-owner-group "${compression[@]}" --build "$root" "$deb" >&2
say "built $deb (Depends: $depends)"

if (( lintian )); then
  command -v lintian >/dev/null || die "lintian not found (run scripts/install-deps.sh)"
  say "lintian $deb"
  lintian --fail-on error,warning --display-info "$deb" >&2 || die "lintian found problems (above)"
fi
echo "$deb"
