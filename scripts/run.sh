#!/usr/bin/env bash
# The run command: installs what is missing, builds, then starts memcached and
# Kamailio (foreground, logs to stderr) with the example Lua routing script,
# both on loopback. Ctrl-C stops Kamailio; memcached is stopped by its pid.
#
#   SIP_PORT (default 5060) and MC_PORT (default 11311) pick the ports.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
SIP_PORT=${SIP_PORT:-5060}
MC_PORT=${MC_PORT:-11311}
BUILD=${BUILD_DIR:-"$ROOT/build"}

"$ROOT/scripts/bootstrap.sh"
cmake -S "$ROOT" -B "$BUILD" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$BUILD" -j"$(nproc)" --target mc_module

RUN=$(mktemp -d /tmp/kamailio-memcached-run.XXXXXX)
# memcached refuses to run as root without -u; Debian's package creates the
# "memcache" user.
MC_USER=()
[ "$(id -u)" -ne 0 ] || MC_USER=(-u memcache)
memcached "${MC_USER[@]}" -l 127.0.0.1 -p "$MC_PORT" -U 0 -m 64 &
MC_PID=$!
trap 'kill "$MC_PID" 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do
	(exec 3<>"/dev/tcp/127.0.0.1/$MC_PORT") 2>/dev/null && break
	kill -0 "$MC_PID" 2>/dev/null || { echo "run: memcached failed to start on port $MC_PORT" >&2; exit 1; }
	sleep 0.05
done

sed -e "s#@MODULE@#$BUILD/kemi/memcached.so#" \
	-e "s#@SIP_PORT@#$SIP_PORT#" -e "s#@MC_PORT@#$MC_PORT#" \
	-e "s#@SCRIPT@#$ROOT/scripts/run/route.lua#" \
	"$ROOT/scripts/run/kamailio.cfg.in" >"$RUN/kamailio.cfg"

cat <<MSG
run: memcached 127.0.0.1:$MC_PORT (pid $MC_PID), Kamailio on udp:127.0.0.1:$SIP_PORT
run: try   sipp -sn uac -m 1 127.0.0.1:$SIP_PORT     or send an OPTIONS request;
run:       replies carry X-Hits (a shared counter) and X-Last-Seen headers.
run: working dir $RUN; Ctrl-C stops.
MSG
/usr/sbin/kamailio -f "$RUN/kamailio.cfg" -DD -E -w "$RUN" -Y "$RUN" \
	-P "$RUN/kamailio.pid" -m 64 -M 16
