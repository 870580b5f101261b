#!/usr/bin/env bash
# Runs a command inside a Debian root made by scripts/matrix/trixie-root.sh,
# with this clone, /tmp, /proc, /dev and the host's resolver bound into it at
# the same paths, in a private mount namespace (the binds vanish with the
# command; nothing is left mounted):
#
#   scripts/matrix/in-root.sh ROOTFS COMMAND [ARG...]
#
# The root shares the host's network and pids: servers it starts listen on
# the host's loopback, and the command's pid is the one the caller waits for.
set -euo pipefail
ROOTFS=${1:?usage: in-root.sh ROOTFS COMMAND [ARG...]}
shift
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
[ -x "$ROOTFS/usr/sbin/kamailio" ] || { echo "in-root: $ROOTFS is no Kamailio root" >&2; exit 1; }
exec unshare --mount --propagation private -- /bin/bash -euc '
	rootfs=$1 clone=$2
	shift 2
	for d in /proc /dev /tmp "$clone"; do
		mkdir -p "$rootfs$d"
		mount --rbind "$d" "$rootfs$d"
	done
	mount --bind /etc/resolv.conf "$rootfs/etc/resolv.conf" 2>/dev/null || true
	exec chroot "$rootfs" /usr/bin/env -C "$clone" "$@"
' in-root "$ROOTFS" "$ROOT" "$@"
