#!/usr/bin/env bash
# Builds one upstream Kamailio release from its source tarball, the way its
# users get it, into a cache outside the clone, and prints where it is:
#
#   scripts/matrix/build-kamailio.sh VERSION   ->  prints the stage directory
#
# 6.x is built with Kamailio's CMake build (as Kamailio's own 6.1 packages:
# `dh --buildsystem=cmake` with CMake's defaults), 5.x with make (`make cfg`).
# Only core and the modules the tests load are built. The stage holds:
#   src/        the unpacked source tree (what the module is compiled against)
#   sbin/kamailio, sbin/kamcmd
#   modules/    the built modules, flat (loadmodule "sl.so" with mpath there)
#   build.env   BUILD_SYSTEM, VERSION, SHA256 of the tarball
# The cache is keyed by version, the tarball's sha256 and this script (its
# module list and build options), so a changed tarball or recipe never
# reuses an old build; a complete stage is marked by build.env, written
# last, and a lock keeps two runs from building it at once. A second run
# prints the path at once.
#
# Environment: MC_CACHE_DIR (default /var/cache/kamailio-memcached),
# KAMAILIO_TARBALLS (default ../shared/kamailio-src beside the clone).
set -euo pipefail

VERSION=${1:?usage: build-kamailio.sh VERSION}
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
TARBALLS=${KAMAILIO_TARBALLS:-"$ROOT/../shared/kamailio-src"}
CACHE=${MC_CACHE_DIR:-/var/cache/kamailio-memcached}
TARBALL="$TARBALLS/kamailio-$VERSION.tar.gz"
# The modules the tests load, and Kamailio's own memcached module (the peer
# of the interop tests).
MODULES=(sl pv xlog textops siputils ctl kex tm cfgutils rtimer
	app_lua app_python3 app_jsdt memcached)

log() { echo "build-kamailio $VERSION: $*" >&2; }
[ -f "$TARBALL" ] || { log "no tarball $TARBALL (set KAMAILIO_TARBALLS)"; exit 1; }
KEY=$( (sha256sum <"$TARBALL"; cat "$0") | sha256sum | cut -c1-12)
STAGE="$CACHE/kamailio-$VERSION-$KEY"
. "$ROOT/scripts/lib/cache-lock.sh"
cache_lock "$STAGE"
if [ -f "$STAGE/build.env" ]; then
	echo "$STAGE"
	exit 0
fi

# Build tools and the libraries of the modules above (Debian's packages).
# Both Luas: app_lua's make build takes 5.1, the CMake build 5.4 when it is
# there (as on a machine with Kamailio's 6.1 packages' build deps).
"$ROOT/scripts/lib/apt-install.sh" bison flex pkg-config cmake make gcc \
	liblua5.1-0-dev liblua5.4-dev python3-dev libmemcached-dev >&2

cache_clear "$STAGE"
mkdir -p "$STAGE/sbin" "$STAGE/modules"
log "unpacking into $STAGE/src"
mkdir -p "$STAGE/unpack"
tar -C "$STAGE/unpack" -xzf "$TARBALL"
mv "$STAGE/unpack"/kamailio-* "$STAGE/src"
rmdir "$STAGE/unpack"
SRC="$STAGE/src"
JOBS=$(nproc)

if [ -f "$SRC/CMakeLists.txt" ] && [ "${VERSION%%.*}" -ge 6 ]; then
	BUILD_SYSTEM=cmake
	B="$STAGE/cmake-build"
	log "configuring with CMake (defaults, as Kamailio's packages)"
	cmake -S "$SRC" -B "$B" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
		-DCMAKE_INSTALL_PREFIX="$STAGE" -DBUILD_DOC=OFF -DUSE_GIT=OFF \
		-DINCLUDE_MODULES="${MODULES[*]}" >"$STAGE/configure.log" 2>&1 \
		|| { tail -40 "$STAGE/configure.log" >&2; exit 1; }
	log "building core, kamcmd and ${#MODULES[@]} modules"
	cmake --build "$B" -j"$JOBS" -t kamailio kamcmd "${MODULES[@]}" \
		>"$STAGE/build.log" 2>&1 || { tail -40 "$STAGE/build.log" >&2; exit 1; }
	cp "$B/src/kamailio" "$STAGE/sbin/"
	cp "$(find "$B/utils/kamcmd" -name kamcmd -type f -perm -u+x | head -1)" \
		"$STAGE/sbin/"
	for m in "${MODULES[@]}"; do
		cp "$B/src/modules/$m/$m.so" "$STAGE/modules/"
	done
else
	BUILD_SYSTEM=make
	log "configuring with make cfg"
	make -C "$SRC" cfg prefix="$STAGE" \
		include_modules="${MODULES[*]}" >"$STAGE/configure.log" 2>&1 \
		|| { tail -40 "$STAGE/configure.log" >&2; exit 1; }
	log "building core, kamcmd and ${#MODULES[@]} modules"
	{
		make -C "$SRC/src" -j"$JOBS" kamailio
		for m in "${MODULES[@]}"; do
			make -C "$SRC/src" -j"$JOBS" modules="modules/$m" modules
		done
		make -C "$SRC/utils/kamcmd" -j"$JOBS"
	} >"$STAGE/build.log" 2>&1 || { tail -40 "$STAGE/build.log" >&2; exit 1; }
	cp "$SRC/src/kamailio" "$SRC/utils/kamcmd/kamcmd" "$STAGE/sbin/"
	for m in "${MODULES[@]}"; do
		cp "$SRC/src/modules/$m/$m.so" "$STAGE/modules/"
	done
fi

"$STAGE/sbin/kamailio" -v >&2
LUA=$(ldd "$STAGE/modules/app_lua.so" | grep -o 'liblua5\.[0-9]' | head -1)
printf 'BUILD_SYSTEM=%s\nVERSION=%s\nSHA256=%s\nAPP_LUA=%s\n' "$BUILD_SYSTEM" \
	"$VERSION" "$(sha256sum "$TARBALL" | cut -d' ' -f1)" "$LUA" >"$STAGE/build.env"
# Older builds of this version (another tarball or recipe), unless in use.
cache_prune "$STAGE" "$CACHE/kamailio-$VERSION"-*
log "done"
echo "$STAGE"
