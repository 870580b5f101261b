#!/usr/bin/env bash
# Makes (once) a Debian trixie root from Debian's packages, with Debian's own
# Kamailio 6.0 binary and modules and what the build and the tests need, in a
# cache outside the clone, and prints its path:
#
#   scripts/matrix/trixie-root.sh    ->  /var/cache/kamailio-memcached/trixie-root-<key>
#
# The apt sources of the root are this system's own Debian sources with the
# suite changed (scripts/lib/debian-sources.sh): no package-server host is
# named here, and a local mirror keeps being used (its keyring is copied in).
# The key is a hash of this script (so of the package list) and of those
# sources; a complete root is marked by .complete, written last, a lock keeps
# two runs from making it at once, and older roots that no run holds are
# removed once a new one is complete. The apt lists are kept, so the package test can reinstall
# Debian's memcached module in the root. The module is built and tested
# inside it through scripts/matrix/in-root.sh.
#
# Environment: MC_CACHE_DIR (default /var/cache/kamailio-memcached).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
CACHE=${MC_CACHE_DIR:-/var/cache/kamailio-memcached}
SUITE=trixie
# Everything scripts/bootstrap.sh installs with MC_TEST_SCOPE=matrix, so a
# test run never changes the cached root by installing into it.
PKGS=(
	kamailio kamailio-lua-modules kamailio-python3-modules
	kamailio-memcached-modules
	memcached libmemcached-dev libmemcached-tools libcmocka-dev
	build-essential cmake pkg-config dpkg-dev ca-certificates git file
	python3 python3-dev python3-pytest sip-tester bison flex
	sasl2-bin libsasl2-dev libsasl2-modules valgrind binutils procps
)
# $(...) and not mapfile < <(...): a failure here must stop the script, or
# mmdebstrap would fall back to its built-in default mirror.
sources=$("$ROOT/scripts/lib/debian-sources.sh" deb "$SUITE")
mapfile -t SOURCES <<<"$sources"
KEY=$( (cat "$0"; echo "${PKGS[*]}"; echo "$sources") | sha256sum | cut -c1-12)
TARGET="$CACHE/$SUITE-root-$KEY"
. "$ROOT/scripts/lib/cache-lock.sh"
cache_lock "$TARGET"
if [ -f "$TARGET/.complete" ]; then
	echo "$TARGET"
	exit 0
fi

"$ROOT/scripts/lib/apt-install.sh" mmdebstrap debian-archive-keyring >&2
# Keyrings of the sources that are not Debian's own (a local mirror's) must
# be inside the root too, where apt looks for them later.
HOOKS=()
while read -r key; do
	case "$key" in
	/usr/share/keyrings/debian-archive-*) ;;
	/*) HOOKS+=(--setup-hook="mkdir -p \"\$1$(dirname "$key")\""
		--setup-hook="copy-in $key $(dirname "$key")") ;;
	esac
done < <(grep -o 'signed-by=[^] ]*' <<<"$sources" | cut -d= -f2 | tr ',' '\n' | sort -u)
cache_clear "$TARGET"
echo "trixie-root: making $TARGET from ${#SOURCES[@]} Debian sources" >&2
mmdebstrap --variant=minbase --include="$(IFS=,; echo "${PKGS[*]}")" \
	--skip=cleanup/apt/lists "${HOOKS[@]}" \
	"$SUITE" "$TARGET" "${SOURCES[@]}" >"$TARGET.log" 2>&1 \
	|| { tail -40 "$TARGET.log" >&2; exit 1; }
chroot "$TARGET" /usr/sbin/kamailio -v >&2
touch "$TARGET/.complete"
# Older roots (another package list or sources), unless in use.
cache_prune "$TARGET" "$CACHE/$SUITE-root-"*
echo "$TARGET"
