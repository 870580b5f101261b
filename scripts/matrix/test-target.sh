#!/usr/bin/env bash
# Builds the module for one target of the matrix (scripts/matrix/targets.sh)
# against that Kamailio's own source and flags, and runs the tests there:
#
#   scripts/matrix/test-target.sh NAME [CMAKE_ARG...]
#
# Each target builds in build-NAME/ (the installed one in build/). The other
# versions run MC_TEST_SCOPE=matrix: unit, doc, load, end-to-end (every
# engine, PVs, RPC, statistics, hostile input, outages, cluster, interop,
# examples) and, where Kamailio is Debian's package, the Debian package test;
# soak, sanitizer, fuzz and valgrind runs are the installed target's.
set -euo pipefail
NAME=${1:?usage: test-target.sh NAME [CMAKE_ARG...]}
shift
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
line=$("$ROOT/scripts/matrix/targets.sh" | awk -v n="$NAME" '$1 == n')
[ -n "$line" ] || {
	echo "test-target: no target '$NAME'; targets:" >&2
	"$ROOT/scripts/matrix/targets.sh" | awk '{ print "  " $1 }' >&2
	exit 2
}
read -r _ KIND ARG <<<"$line"

case "$KIND" in
installed)
	exec "$ROOT/scripts/test.sh" "$@"
	;;
root)
	rootfs=$("$ROOT/$ARG")
	exec "$ROOT/scripts/matrix/in-root.sh" "$rootfs" /usr/bin/env \
		MC_TEST_SCOPE=matrix BUILD_DIR="$ROOT/build-$NAME" \
		"$ROOT/scripts/test.sh" "$@"
	;;
source)
	stage=$("$ROOT/scripts/matrix/build-kamailio.sh" "$ARG")
	# held (shared) while the tests use it: a build of another recipe
	# never removes a stage in use (scripts/lib/cache-lock.sh)
	exec 9>"$stage.lock"
	flock -s 9
	MC_TEST_SCOPE=matrix "$ROOT/scripts/bootstrap.sh"
	BUILD="$ROOT/build-$NAME"
	cmake -S "$ROOT" -B "$BUILD" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
		-DKAMAILIO_SRC_DIR="$stage/src" \
		-DKAMAILIO_BIN="$stage/sbin/kamailio" \
		-DKAMAILIO_MODULES_DIR="$stage/modules" \
		-DMC_TEST_SCOPE=matrix -DMC_TEST_LUA54=OFF "$@"
	cmake --build "$BUILD" -j"$(nproc)"
	exec ctest --test-dir "$BUILD" --output-on-failure --timeout 1200
	;;
*)
	echo "test-target: unknown kind '$KIND' of $NAME" >&2
	exit 2
	;;
esac
