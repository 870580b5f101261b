#!/usr/bin/env bash
# The test command: installs what is missing, builds, and runs every test
# (unit, module load, end-to-end, package, soak, sanitizer) through ctest,
# against the installed Kamailio (Debian's).
#
#   scripts/test.sh [--matrix | --target NAME] [CMAKE_ARG...]
#
#   --matrix       then every other Kamailio version the module supports, each
#                  built against that version's own source and flags and
#                  tested with the whole end-to-end suite (scripts/matrix/;
#                  what CI runs)
#   --target NAME  one target of the matrix only (scripts/matrix/targets.sh)
#   CMAKE_ARG      passed to every configure (CI passes -DMC_WERROR=ON)
#
# Environment: BUILD_DIR (default build/), MC_TEST_SCOPE (full or matrix:
# set by scripts/matrix/ for the other versions), MC_CACHE_DIR (where the
# matrix keeps its Kamailio builds and the trixie root).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)

case "${1:-}" in
--matrix)
	shift
	exec "$ROOT/scripts/matrix/test-all.sh" "$@"
	;;
--target)
	[ $# -ge 2 ] || { echo "usage: $0 --target NAME [CMAKE_ARG...]" >&2; exit 2; }
	name=$2
	shift 2
	exec "$ROOT/scripts/matrix/test-target.sh" "$name" "$@"
	;;
esac

"$ROOT/scripts/bootstrap.sh"
SCOPE=${MC_TEST_SCOPE:-full}
BUILD=${BUILD_DIR:-"$ROOT/build"}
LUA54=ON
[ "$SCOPE" = full ] || LUA54=OFF
cmake -S "$ROOT" -B "$BUILD" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
	-DMC_TEST_SCOPE="$SCOPE" -DMC_TEST_LUA54="$LUA54" "$@"
cmake --build "$BUILD" -j"$(nproc)"
ctest --test-dir "$BUILD" --output-on-failure --timeout 1200
