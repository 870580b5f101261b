#!/usr/bin/env bash
# Installs what the build, the tests and the benchmarks need, and fetches the
# source of the *installed* Kamailio from Debian's source package so the module
# is compiled against exactly the headers of the binary that will load it.
# Idempotent: a second run installs nothing and downloads nothing.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
DEPS="$ROOT/.deps"
mkdir -p "$DEPS"

PKGS=(
	build-essential cmake pkg-config git ca-certificates dpkg-dev
	kamailio kamailio-lua-modules kamailio-python3-modules
	kamailio-memcached-modules kamailio-redis-modules
	memcached libmemcached-dev libmemcached-tools libcmocka-dev
	liblua5.4-dev lua5.4 python3-dev python3-pytest sip-tester
	redis-server bison flex sasl2-bin libsasl2-dev libsasl2-modules
	clang libclang-rt-14-dev valgrind linux-perf
)

SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"

missing=()
for p in "${PKGS[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" \
		|| missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
	echo "bootstrap: installing ${missing[*]}"
	export DEBIAN_FRONTEND=noninteractive
	$SUDO apt-get update -qq
	$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# Debian starts these on install; the tests start their own on ports they
# pick, so the system-wide daemons are not needed. They are left as they are:
# stopping system services is not this script's business.

KVER=$(dpkg-query -W -f='${Version}' kamailio)
KUP=${KVER%-*}           # upstream version, e.g. 5.6.3
KSRC="$DEPS/kamailio-$KUP"
if [ ! -f "$KSRC/src/core/sr_module.h" ]; then
	echo "bootstrap: fetching Debian source of kamailio $KVER"
	APT="$DEPS/apt"
	mkdir -p "$APT/lists/partial" "$APT/src"
	cat >"$APT/sources.list" <<SRC
deb-src [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian bookworm main
deb-src [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian-security bookworm-security main
deb-src [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian bookworm-updates main
SRC
	OPTS=(-o "Dir::Etc::SourceList=$APT/sources.list"
		-o "Dir::Etc::SourceParts=/dev/null"
		-o "Dir::State::Lists=$APT/lists"
		-o "Dir::Cache=$APT/cache")
	mkdir -p "$APT/cache/archives/partial"
	apt-get "${OPTS[@]}" update -qq
	(cd "$APT/src" && apt-get "${OPTS[@]}" source --download-only "kamailio=$KVER")
	tar -C "$DEPS" -xf "$APT/src/kamailio_${KUP}.orig.tar.gz"
	[ -d "$KSRC" ] || { echo "bootstrap: $KSRC not found after unpack" >&2; exit 1; }
fi
echo "bootstrap: kamailio source at $KSRC"

# app_lua built against Lua 5.4, so the e2e suite runs the Lua scenarios on
# both Lua 5.1 (Debian's app_lua) and 5.4.
"$ROOT/scripts/build-app-lua54.sh"
