# Sourced by the scripts that fill the matrix cache (build-kamailio.sh,
# trixie-root.sh). cache_lock PATH: holds an exclusive lock on PATH.lock
# until the script exits, so two runs (two CI jobs, two worktrees) never
# build into the same entry at once; the second waits, then finds it done.
# cache_clear PATH: removes a half-made entry, unmounting first what an
# interrupted mmdebstrap may have left mounted inside it.
cache_lock() {
	mkdir -p "$(dirname "$1")"
	exec 8>"$1.lock"
	flock 8
}

cache_clear() {
	[ -e "$1" ] || return 0
	umount -R "$1" 2>/dev/null || true
	rm -rf --one-file-system "$1"
}
