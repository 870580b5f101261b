#!/usr/bin/env bash
# Runs a command inside a Debian root made by scripts/matrix/trixie-root.sh,
# with this clone, /tmp, /proc, /dev and the host's resolver and hosts file
# bound into it at the same paths, in a private mount namespace (the binds
# vanish with the command; nothing is left mounted):
#
#   scripts/matrix/in-root.sh ROOTFS COMMAND [ARG...]
#
# The root shares the host's network and pids: servers it starts listen on
# the host's loopback, and the command's pid is the one the caller waits for.
#
# It shares the host's name too, so it must resolve that name as the host
# does: Cyrus SASL looks up its own host name (getaddrinfo, AI_CANONNAME) for
# every SASL connection, in the client and in memcached -S. The root's own
# /etc/hosts does not list it, so each lookup went to DNS, and the sandbox's
# resolver leaves about one in thirty unanswered for the 5 s resolver timeout:
# a memcached worker stuck there made SASL calls time out at random.
set -euo pipefail
ROOTFS=${1:?usage: in-root.sh ROOTFS COMMAND [ARG...]}
shift
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
[ -x "$ROOTFS/usr/sbin/kamailio" ] || { echo "in-root: $ROOTFS is no Kamailio root" >&2; exit 1; }
unshare --mount true 2>/dev/null || {
	echo "in-root: cannot make a mount namespace (needs root, outside an unprivileged container) to enter $ROOTFS" >&2
	exit 1
}
# One command at a time in a root: the package test swaps Debian's memcached
# module out and back with dpkg, which another run in the same root would
# see (or collide with on dpkg's lock). The lock is trixie-root.sh's, so a
# root is neither remade nor removed while a command runs in it; it is held
# (fd 9, inherited) until the command ends.
exec 9>"$ROOTFS.lock"
flock 9
exec unshare --mount --propagation private -- /bin/bash -euc '
	rootfs=$1 clone=$2
	shift 2
	for d in /proc /dev /tmp "$clone"; do
		mkdir -p "$rootfs$d"
		mount --rbind "$d" "$rootfs$d"
	done
	mount --bind /etc/resolv.conf "$rootfs/etc/resolv.conf" 2>/dev/null || true
	mount --bind /etc/hosts "$rootfs/etc/hosts"
	exec chroot "$rootfs" /usr/bin/env -C "$clone" "$@"
' in-root "$ROOTFS" "$ROOT" "$@"
