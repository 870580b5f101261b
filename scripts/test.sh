#!/usr/bin/env bash
# The test command: installs what is missing, builds, and runs every test
# (unit, module load, end-to-end) through ctest.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
"$ROOT/scripts/bootstrap.sh"
BUILD=${BUILD_DIR:-"$ROOT/build"}
cmake -S "$ROOT" -B "$BUILD" -DCMAKE_BUILD_TYPE=RelWithDebInfo "$@"
cmake --build "$BUILD" -j"$(nproc)"
ctest --test-dir "$BUILD" --output-on-failure --timeout 1200
