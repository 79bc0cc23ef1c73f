#!/bin/sh
# Prepares the MockPass FAPI 2.0 peer for idconnect's interoperability tests.
#
# It reads the peer from $IDCONNECT_PEERS_DIR/mockpass-fapi (default: the
# folder "shared/peers" beside the repository, i.e. <repo>/../shared/peers; a
# relative IDCONNECT_PEERS_DIR is taken relative to the repository root),
# checks the sha256 of the tarball and of the userinfo overlay patch, unpacks
# the tarball into interop/mockpassfapi/.peer/, applies the patch with
# `patch -p1` and runs `npm ci --omit=dev --ignore-scripts`. A finished
# install is marked by .peer/mockpass-8887619/.idconnect-stamp (the two
# sha256 sums); when the stamp matches, nothing is done. Any missing piece is
# an error (exit 1), never a skip.
#
# Called by `make interop`, and by the Go launcher (harness_test.go) when the
# stamp is missing or stale.
set -eu

NAME=mockpass-8887619
TARBALL=$NAME.tar.gz
PATCH=pr833-userinfo-overlay.patch
TARBALL_SHA256=c5366df39ee8cec241289b065aaab6fbd56dd7bfe6ca32ee10700c76464f4dfd
PATCH_SHA256=5ec1cebfbe1fb9d4f1ec9626a77ceb0857c1cd25b20ddac9d69e6377f8d4c6c4

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
peers=${IDCONNECT_PEERS_DIR:-../shared/peers}
case $peers in
/*) ;;
*) peers=$root/$peers ;;
esac
src=$peers/mockpass-fapi
cache=$here/.peer
dest=$cache/$NAME
stamp=$dest/.idconnect-stamp
want="$TARBALL_SHA256 $PATCH_SHA256"

fail() {
	echo "mockpassfapi: $*" >&2
	exit 1
}

for f in "$src/$TARBALL" "$src/$PATCH"; do
	[ -f "$f" ] || fail "missing $f: set IDCONNECT_PEERS_DIR to the folder holding mockpass-fapi/ (now ${IDCONNECT_PEERS_DIR:-unset, default <repo>/../shared/peers})"
done
command -v node >/dev/null 2>&1 || fail "node (Node 20+) is required on PATH"
command -v npm >/dev/null 2>&1 || fail "npm is required on PATH"
command -v patch >/dev/null 2>&1 || fail "patch is required on PATH"
command -v sha256sum >/dev/null 2>&1 || fail "sha256sum is required on PATH"

sum() { sha256sum "$1" | cut -d' ' -f1; }
got=$(sum "$src/$TARBALL")
[ "$got" = "$TARBALL_SHA256" ] || fail "$src/$TARBALL has sha256 $got, want $TARBALL_SHA256"
got=$(sum "$src/$PATCH")
[ "$got" = "$PATCH_SHA256" ] || fail "$src/$PATCH has sha256 $got, want $PATCH_SHA256"

if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ] && [ -d "$dest/node_modules" ]; then
	exit 0
fi

echo "mockpassfapi: installing $NAME (+ $PATCH) into $dest"
mkdir -p "$cache"
tmp=$(mktemp -d "$cache/tmp.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
tar -xzf "$src/$TARBALL" -C "$tmp"
[ -f "$tmp/$NAME/app.js" ] || fail "$src/$TARBALL does not hold $NAME/app.js"
(cd "$tmp/$NAME" && patch -p1 --batch --quiet <"$src/$PATCH") || fail "applying $PATCH failed"
(cd "$tmp/$NAME" && npm ci --omit=dev --ignore-scripts --no-audit --no-fund --loglevel=error) ||
	fail "npm ci --omit=dev --ignore-scripts failed in $tmp/$NAME"
echo "$want" >"$tmp/$NAME/.idconnect-stamp"
rm -rf "$dest"
mv "$tmp/$NAME" "$dest"
