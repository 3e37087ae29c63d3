#!/bin/sh
# Installs an Airlock release for this user, without a network and without root (docs/install.md).
#
#   sh install.sh [--fingerprint "XXXX XXXX ..."] [--prefix DIR] [--bin DIR] [--allow-downgrade]
#
# Run it in the folder that holds the release files: airlock-VERSION-linux-x64.tar.gz, SHA256SUMS,
# SHA256SUMS.sig and airlock-release.pub. Nothing is unpacked before the signature and the
# checksum are verified. The first install trusts the release key whose fingerprint you give
# (compare it with the one the project publishes, out of band); later installs and
# `airlock upgrade` trust only that key.
set -eu

PREFIX="${HOME}/.local/lib/airlock"
BINDIR="${HOME}/.local/bin"
FINGERPRINT=""
DOWNGRADE=0
HERE=$(pwd)

fail() {
  printf 'error: %s\n' "$1" >&2
  [ -n "${2:-}" ] && printf 'hint: %s\n' "$2" >&2
  exit 1
}

while [ $# -gt 0 ]; do
  case "$1" in
    --fingerprint) [ $# -ge 2 ] || fail "--fingerprint needs a value"; FINGERPRINT="$2"; shift 2 ;;
    --prefix) [ $# -ge 2 ] || fail "--prefix needs a value"; PREFIX="$2"; shift 2 ;;
    --bin) [ $# -ge 2 ] || fail "--bin needs a value"; BINDIR="$2"; shift 2 ;;
    --allow-downgrade) DOWNGRADE=1; shift ;;
    -h|--help) sed -n '2,11p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) fail "unknown argument: $1" "sh install.sh --help" ;;
  esac
done

for f in SHA256SUMS SHA256SUMS.sig; do
  [ -f "$HERE/$f" ] || fail "$f is not in $HERE" "run install.sh in the folder that holds the release files"
done
command -v openssl >/dev/null 2>&1 || command -v signify-openbsd >/dev/null 2>&1 \
  || fail "neither openssl nor signify-openbsd is installed: the signature cannot be checked" "install one of them (Debian: apt-get install openssl)"

TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT INT TERM

# The trusted key: the one a previous install trusted, else the release's own, checked by fingerprint.
if [ -f "$PREFIX/airlock-release.pub" ]; then
  KEY="$PREFIX/airlock-release.pub"
else
  KEY="$HERE/airlock-release.pub"
  [ -f "$KEY" ] || fail "airlock-release.pub is not in $HERE" "copy it with the release files"
fi
# signify layout: comment line, then base64 of "Ed" || key number (8) || public key (32).
sed -n 2p "$KEY" | base64 -d > "$TMP/key.bin" 2>/dev/null || fail "the release key file is not a signify public key"
[ "$(wc -c < "$TMP/key.bin")" -eq 42 ] || fail "the release key file is not an Ed25519 signify public key"
KEYFP=$(tail -c 40 "$TMP/key.bin" | sha256sum | cut -c1-40 | tr 'a-f' 'A-F' | sed 's/..../& /g; s/ $//')
if [ "$KEY" = "$HERE/airlock-release.pub" ]; then
  printf 'release key fingerprint: %s\n' "$KEYFP"
  if [ -z "$FINGERPRINT" ]; then
    fail "the release key is not trusted yet" "compare the fingerprint above with the one the project publishes, then run: sh install.sh --fingerprint \"$KEYFP\""
  fi
  [ "$(printf '%s' "$FINGERPRINT" | tr -d ' ' | tr 'a-f' 'A-F')" = "$(printf '%s' "$KEYFP" | tr -d ' ')" ] \
    || fail "the release key's fingerprint is not the one you gave: do not install this release" "get the release files again from a source you trust"
fi

sed -n 2p "$HERE/SHA256SUMS.sig" | base64 -d > "$TMP/sig.bin" 2>/dev/null || fail "SHA256SUMS.sig is not a signify signature"
[ "$(wc -c < "$TMP/sig.bin")" -eq 74 ] || fail "SHA256SUMS.sig is not an Ed25519 signify signature"
[ "$(head -c 10 "$TMP/sig.bin" | od -An -tx1)" = "$(head -c 10 "$TMP/key.bin" | od -An -tx1)" ] \
  || fail "the release is signed with another key than the one trusted here" "get the release from the project, or see docs/install.md on release keys"
tail -c 64 "$TMP/sig.bin" > "$TMP/sig.raw"
if command -v openssl >/dev/null 2>&1; then
  # An Ed25519 SubjectPublicKeyInfo is a fixed 12-byte header and the 32-byte key.
  { printf '\060\052\060\005\006\003\053\145\160\003\041\000'; tail -c 32 "$TMP/key.bin"; } > "$TMP/key.der"
  openssl pkeyutl -verify -pubin -keyform DER -inkey "$TMP/key.der" -rawin -in "$HERE/SHA256SUMS" -sigfile "$TMP/sig.raw" >/dev/null 2>&1 \
    || fail "the release's signature does not match its SHA256SUMS: altered or damaged" "copy the release files again from a source you trust; do not install this one"
else
  signify-openbsd -V -q -p "$KEY" -x "$HERE/SHA256SUMS.sig" -m "$HERE/SHA256SUMS" \
    || fail "the release's signature does not match its SHA256SUMS: altered or damaged" "copy the release files again from a source you trust"
fi

TARBALL=$(sed -n 's/^[0-9a-f]\{64\}  \(airlock-[0-9]*\.[0-9]*\.[0-9]*-linux-x64\.tar\.gz\)$/\1/p' "$HERE/SHA256SUMS" | head -n 1)
[ -n "$TARBALL" ] || fail "SHA256SUMS names no release tarball"
[ -f "$HERE/$TARBALL" ] || fail "$TARBALL is not in $HERE" "copy it with SHA256SUMS"
WANT=$(grep "  $TARBALL\$" "$HERE/SHA256SUMS" | cut -c1-64)
GOT=$(sha256sum "$HERE/$TARBALL" | cut -c1-64)
[ "$WANT" = "$GOT" ] || fail "$TARBALL does not match SHA256SUMS: altered, truncated or damaged" "copy it again from the release folder"
VERSION=$(printf '%s' "$TARBALL" | sed 's/^airlock-\(.*\)-linux-x64\.tar\.gz$/\1/')

newer() { # is $1 > $2 (MAJOR.MINOR.PATCH)?
  [ "$1" != "$2" ] && [ "$(printf '%s\n%s\n' "$1" "$2" | sort -t. -k1,1n -k2,2n -k3,3n | tail -n 1)" = "$1" ]
}
if [ -f "$PREFIX/current/VERSION" ]; then
  CURRENT=$(cat "$PREFIX/current/VERSION")
  if [ "$CURRENT" = "$VERSION" ]; then printf 'airlock %s is already installed\n' "$VERSION"; exit 0; fi
  if ! newer "$VERSION" "$CURRENT" && [ "$DOWNGRADE" -eq 0 ]; then
    fail "airlock $VERSION is older than the installed $CURRENT" "a vault written by a newer release may not open with an older one; use --allow-downgrade only if you know it is safe"
  fi
fi

mkdir -p "$PREFIX/versions" "$BINDIR"
rm -rf "$PREFIX/versions/.unpack-$VERSION"
mkdir "$PREFIX/versions/.unpack-$VERSION"
tar -xzf "$HERE/$TARBALL" --no-same-owner -C "$PREFIX/versions/.unpack-$VERSION" || fail "$TARBALL could not be unpacked"
[ -x "$PREFIX/versions/.unpack-$VERSION/airlock-$VERSION-linux-x64/bin/airlock" ] || fail "$TARBALL does not hold an airlock release"
rm -rf "$PREFIX/versions/$VERSION"
mv "$PREFIX/versions/.unpack-$VERSION/airlock-$VERSION-linux-x64" "$PREFIX/versions/$VERSION"
rmdir "$PREFIX/versions/.unpack-$VERSION"
[ -f "$PREFIX/airlock-release.pub" ] || cp "$KEY" "$PREFIX/airlock-release.pub"

# Switch atomically: a rename over the old link; the one before stays for `airlock upgrade --rollback`.
if [ -L "$PREFIX/current" ]; then
  ln -sfn "$(readlink "$PREFIX/current")" "$PREFIX/previous.new" && mv -T "$PREFIX/previous.new" "$PREFIX/previous"
fi
ln -sfn "versions/$VERSION" "$PREFIX/current.new" && mv -T "$PREFIX/current.new" "$PREFIX/current"
for b in airlock airlock-courier; do
  ln -sfn "$PREFIX/current/bin/$b" "$BINDIR/$b.new" && mv -T "$BINDIR/$b.new" "$BINDIR/$b"
done
printf 'installed airlock %s in %s; commands in %s\n' "$VERSION" "$PREFIX/versions/$VERSION" "$BINDIR"
case ":$PATH:" in *":$BINDIR:"*) ;; *) printf 'add %s to your PATH, e.g. in ~/.profile: export PATH="%s:$PATH"\n' "$BINDIR" "$BINDIR" ;; esac
