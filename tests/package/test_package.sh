#!/usr/bin/env bash
# Builds the .deb with CPack, installs it with dpkg, proves Kamailio loads
# the module by name (no path) and that it is ours (our KEMI table and
# params), then reinstalls Debian's kamailio-memcached-modules.
set -euo pipefail
BUILD=$1
WORK=$(mktemp -d /tmp/mc-package.XXXXXX)
MODDIR=/usr/lib/$(dpkg-architecture -qDEB_HOST_MULTIARCH)/kamailio/modules

restore() {
	dpkg -r kamailio-memcached-kemi >/dev/null 2>&1 || true
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
		kamailio-memcached-modules >/dev/null 2>&1 \
		|| echo "test_package: could not reinstall kamailio-memcached-modules" >&2
	rm -rf "$WORK"
}
trap restore EXIT

(cd "$WORK" && cpack -G DEB --config "$BUILD/CPackConfig.cmake" >cpack.log) \
	|| { cat "$WORK/cpack.log"; exit 1; }
DEB=$(ls "$WORK"/kamailio-memcached-kemi_*.deb)
echo "test_package: built $(basename "$DEB")"

fields=$(dpkg-deb -f "$DEB" Package Conflicts Replaces Depends)
echo "$fields"
grep -q '^Conflicts: kamailio-memcached-modules' <<<"$fields"
grep -q '^Replaces: kamailio-memcached-modules' <<<"$fields"
# Depends on exactly the installed Kamailio release (its Debian revisions),
# and the file name says which distribution the package is for.
kver=$(dpkg-query -W -f='${Version}' kamailio)
kup=${kver%%-*}
IFS=. read -r kmaj kmin kpat <<<"$kup"
grep -qF "kamailio (>= $kup)" <<<"$fields"
grep -qF "kamailio (<< $kmaj.$kmin.$((kpat + 1))~)" <<<"$fields"
. /etc/os-release
case "$(basename "$DEB")" in
*"+$VERSION_CODENAME"_*.deb) ;;
*) echo "test_package: $(basename "$DEB") does not name $VERSION_CODENAME" >&2; exit 1 ;;
esac
# grep -q would close the pipe early and kill dpkg-deb (pipefail).
contents=$(dpkg-deb -c "$DEB")
grep -q "\./usr/lib/.*/kamailio/modules/memcached.so$" <<<"$contents"

# dpkg refuses to install over a conflicting package; remove it first, as an
# operator switching modules would (apt does this by itself).
dpkg -r kamailio-memcached-modules >/dev/null 2>&1 || true
dpkg -i "$DEB" >"$WORK/dpkg.log" 2>&1 || { cat "$WORK/dpkg.log"; exit 1; }
cmp "$MODDIR/memcached.so" "$BUILD/kemi/memcached.so" \
	|| { echo "test_package: installed module differs from the build" >&2; exit 1; }

cat >"$WORK/k.cfg" <<CFG
#!KAMAILIO
listen=udp:127.0.0.1:5999
mpath="$MODDIR/"
loadmodule "memcached.so"
loadmodule "sl.so"
modparam("memcached", "servers", "127.0.0.1:11211")
modparam("memcached", "failure_limit", 3)
request_route { sl_send_reply("200", "OK"); }
CFG
# failure_limit exists only in ours: the shipped module would fail this check
# with an unknown-parameter error.
if ! /usr/sbin/kamailio -c -f "$WORK/k.cfg" >"$WORK/check.log" 2>&1; then
	cat "$WORK/check.log"
	echo "test_package: installed module does not load by name" >&2
	exit 1
fi
echo "test_package: installed package loads by name"
