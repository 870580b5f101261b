#!/usr/bin/env bash
# Installs what the build, the tests and the benchmarks need, and fetches the
# source of the *installed* Kamailio from Debian's source package so the module
# is compiled against exactly the headers of the binary that will load it.
# Idempotent: a second run installs nothing and downloads nothing.
#
# MC_TEST_SCOPE=matrix (set by scripts/matrix/ for the other Kamailio
# versions): only what the build and the matrix tests need (no benchmark,
# sanitizer or profiler packages, no app_lua for Lua 5.4).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
DEPS="$ROOT/.deps"
SCOPE=${MC_TEST_SCOPE:-full}
mkdir -p "$DEPS"

PKGS=(
	build-essential cmake pkg-config git ca-certificates dpkg-dev file
	kamailio kamailio-lua-modules kamailio-python3-modules
	kamailio-memcached-modules
	memcached libmemcached-dev libmemcached-tools libcmocka-dev
	python3-dev python3-pytest sip-tester
	bison flex sasl2-bin libsasl2-dev libsasl2-modules valgrind
)
if [ "$SCOPE" = full ]; then
	# benchmarks (Redis peer, perf), sanitizers and fuzzing (clang's
	# runtimes), Lua 5.4 for the second app_lua, the matrix's trixie root
	PKGS+=(kamailio-redis-modules redis-server liblua5.4-dev lua5.4
		clang libclang-rt-14-dev linux-perf mmdebstrap debian-archive-keyring)
fi
"$ROOT/scripts/lib/apt-install.sh" "${PKGS[@]}"

# Debian starts these on install; the tests start their own on ports they
# pick, so the system-wide daemons are not needed. They are left as they are:
# stopping system services is not this script's business.

KVER=$(dpkg-query -W -f='${Version}' kamailio)
KUP=${KVER%-*}           # upstream version, e.g. 5.6.3
KSRC="$DEPS/kamailio-$KUP"
. /etc/os-release
APT="$DEPS/apt-$VERSION_CODENAME"
if [ ! -f "$KSRC/src/core/sr_module.h" ]; then
	echo "bootstrap: fetching Debian source of kamailio $KVER"
	mkdir -p "$APT/lists/partial" "$APT/src" "$APT/cache/archives/partial"
	# deb-src entries made from this system's own apt sources (a private apt
	# state: the system's sources and lists are not touched).
	"$ROOT/scripts/lib/debian-sources.sh" deb-src "$VERSION_CODENAME" \
		>"$APT/sources.list"
	OPTS=(-o "Dir::Etc::SourceList=$APT/sources.list"
		-o "Dir::Etc::SourceParts=/dev/null"
		-o "Dir::State::Lists=$APT/lists"
		-o "Dir::Cache=$APT/cache")
	apt-get "${OPTS[@]}" update -qq
	(cd "$APT/src" && apt-get "${OPTS[@]}" source --download-only "kamailio=$KVER")
	tar -C "$DEPS" -xf "$APT/src/kamailio_${KUP}.orig.tar.gz"
	[ -d "$KSRC" ] || { echo "bootstrap: $KSRC not found after unpack" >&2; exit 1; }
fi
echo "bootstrap: kamailio source at $KSRC"

if [ "$SCOPE" = full ]; then
	# app_lua built against Lua 5.4, so the e2e suite runs the Lua scenarios
	# on both Lua 5.1 (Debian's app_lua) and 5.4.
	"$ROOT/scripts/build-app-lua54.sh"
fi
