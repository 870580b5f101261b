#!/usr/bin/env bash
# Makes (once) a Debian trixie root from Debian's packages, with Debian's own
# Kamailio 6.0 binary and modules and what the build and the tests need, in a
# cache outside the clone, and prints its path:
#
#   scripts/matrix/trixie-root.sh    ->  /var/cache/kamailio-memcached/trixie-root-<key>
#
# The apt sources of the root are this system's own Debian sources with the
# suite changed (scripts/lib/debian-sources.sh): no package-server host is
# named here. The key is a hash of this script and the package list, so a
# change of either makes a new root; a complete root is marked by .complete,
# written last. The module is built and tested inside it by
# scripts/matrix/in-root.sh.
#
# Environment: MC_CACHE_DIR (default /var/cache/kamailio-memcached).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
CACHE=${MC_CACHE_DIR:-/var/cache/kamailio-memcached}
SUITE=trixie
PKGS=(
	kamailio kamailio-lua-modules kamailio-python3-modules
	kamailio-memcached-modules
	memcached libmemcached-dev libmemcached-tools libcmocka-dev
	build-essential cmake pkg-config dpkg-dev ca-certificates git
	python3 python3-pytest sip-tester bison flex
	sasl2-bin libsasl2-dev libsasl2-modules valgrind binutils procps
)
KEY=$( (cat "$0"; echo "${PKGS[*]}") | sha256sum | cut -c1-12)
TARGET="$CACHE/$SUITE-root-$KEY"
if [ -f "$TARGET/.complete" ]; then
	echo "$TARGET"
	exit 0
fi

"$ROOT/scripts/lib/apt-install.sh" mmdebstrap debian-archive-keyring >&2
mapfile -t SOURCES < <("$ROOT/scripts/lib/debian-sources.sh" deb "$SUITE")
rm -rf "$TARGET"
mkdir -p "$CACHE"
echo "trixie-root: making $TARGET from ${#SOURCES[@]} Debian sources" >&2
# --skip=check/empty: the target directory exists (mkdir above is not needed
# by mmdebstrap, but a half-made root from an earlier run was removed).
mmdebstrap --variant=minbase --include="$(IFS=,; echo "${PKGS[*]}")" \
	"$SUITE" "$TARGET" "${SOURCES[@]}" >"$CACHE/$SUITE-root-$KEY.log" 2>&1 \
	|| { tail -40 "$CACHE/$SUITE-root-$KEY.log" >&2; exit 1; }
chroot "$TARGET" /usr/sbin/kamailio -v >&2
touch "$TARGET/.complete"
echo "$TARGET"
