#!/usr/bin/env bash
# Builds Kamailio's app_lua against Lua 5.4 (Debian's links Lua 5.1) so the
# e2e suite can run the Lua scenarios on both. The result loads into the
# *installed* Kamailio: same source (Debian's orig tarball + Debian's patches,
# in a separate copy, never .deps/kamailio-<ver> which the module build uses)
# and the same `make cfg` arguments as debian/rules, so the version string
# and the compile flags match `kamailio -I`.
#
# Output: .deps/app_lua54/app_lua.so (not committed). Idempotent: a second
# run with an up-to-date output does nothing.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
DEPS="$ROOT/.deps"
KVER=$(dpkg-query -W -f='${Version}' kamailio)
KUP=${KVER%-*}
SRC="$DEPS/kamailio-lua54"
OUT="$DEPS/app_lua54"
SO="$OUT/app_lua.so"
. /etc/os-release
APTSRC="$DEPS/apt-$VERSION_CODENAME/src"
ORIG="$APTSRC/kamailio_${KUP}.orig.tar.gz"
DEBTAR="$APTSRC/kamailio_${KVER}.debian.tar.xz"
MODDIR=/usr/lib/x86_64-linux-gnu/kamailio/modules

# Checks that the built module loads into the installed Kamailio and links
# Lua 5.4; exits non-zero otherwise.
verify() {
	local d libs
	# not `ldd | grep -q`: with pipefail, grep -q quitting early can SIGPIPE
	# ldd and fail the check at random
	libs=$(ldd "$SO")
	case "$libs" in
	*liblua5.4*) ;;
	*) echo "build-app-lua54: $SO does not link liblua5.4" >&2; return 1 ;;
	esac
	d=$(mktemp -d)
	cat >"$d/check.cfg" <<CFG
#!KAMAILIO
mpath="$MODDIR"
loadmodule "$SO"
loadmodule "sl.so"
modparam("app_lua", "load", "$d/check.lua")
cfgengine "lua"
CFG
	echo 'function ksr_request_route() end' >"$d/check.lua"
	if ! kamailio -c -f "$d/check.cfg" >"$d/log" 2>&1; then
		cat "$d/log" >&2
		rm -rf "$d"
		echo "build-app-lua54: $SO does not load into $(command -v kamailio)" >&2
		return 1
	fi
	rm -rf "$d"
}

# .deps may be shared by several worktrees running this at once: one at a
# time, and the result is moved into place whole.
mkdir -p "$OUT"
exec 9>"$OUT/.lock"
flock 9

if [ -f "$SO" ] && verify 2>/dev/null; then
	echo "build-app-lua54: $SO is up to date"
	exit 0
fi

[ -f "$ORIG" ] && [ -f "$DEBTAR" ] \
	|| { echo "build-app-lua54: $ORIG or $DEBTAR missing (run bootstrap.sh)" >&2; exit 1; }
pkg-config --exists lua5.4 \
	|| { echo "build-app-lua54: liblua5.4-dev missing" >&2; exit 1; }

if [ ! -f "$SRC/.patched" ]; then
	echo "build-app-lua54: unpacking kamailio $KVER into $SRC"
	rm -rf "$SRC"
	mkdir -p "$SRC"
	tar -C "$SRC" --strip-components=1 -xf "$ORIG"
	tar -C "$SRC" -xf "$DEBTAR"
	# Debian's patches, in Debian's order (none touches app_lua or a header,
	# applied anyway so this is the source Debian built).
	grep -v '^\s*#' "$SRC/debian/patches/series" | while read -r p; do
		[ -n "$p" ] || continue
		patch -s -d "$SRC" -p1 <"$SRC/debian/patches/$p"
	done
	touch "$SRC/.patched"
fi

# What debian/rules hands to `make cfg` (configure-stamp).
export DEB_BUILD_MAINT_OPTIONS=hardening=+all
CC_EXTRA_OPTS="$(dpkg-buildflags --get CPPFLAGS) $(dpkg-buildflags --get CFLAGS) -DVERSION_NODATE"
LD_EXTRA_OPTS="$(dpkg-buildflags --get LDFLAGS)"

cd "$SRC"
if [ ! -f src/config.mak ]; then
	echo "build-app-lua54: make cfg"
	make cfg \
		quiet=verbose \
		prefix=/usr \
		cfg_prefix="$SRC/debian/kamailio" \
		cfg_target=/etc/kamailio/ \
		FLAVOUR=kamailio \
		BASEDIR="$SRC/debian/kamailio" \
		LIBDIR=lib/x86_64-linux-gnu \
		CC_EXTRA_OPTS="$CC_EXTRA_OPTS" \
		LD_EXTRA_OPTS="$LD_EXTRA_OPTS" \
		group_include="kstandard" >"$SRC/cfg.log" 2>&1 \
		|| { cat "$SRC/cfg.log" >&2; exit 1; }
fi

# LUALIB on the command line wins over the Makefile's pkg-config probe, so the
# module is built with `pkg-config --cflags/--libs lua5.4` (+ LUA_COMPAT_MODULE).
echo "build-app-lua54: building app_lua against lua5.4"
make -C src/modules/app_lua LUALIB=lua5.4 quiet=verbose \
	>"$SRC/app_lua54.log" 2>&1 \
	|| { tail -50 "$SRC/app_lua54.log" >&2; exit 1; }

cp src/modules/app_lua/app_lua.so "$SO.tmp.$$"
mv -f "$SO.tmp.$$" "$SO"
verify
echo "build-app-lua54: built $SO"
