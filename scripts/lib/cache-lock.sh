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

# cache_prune KEEP PATTERN...: removes the other entries matching PATTERN
# that nothing holds (their lock taken without waiting): an entry in use by
# another run, of another branch say, stays.
cache_prune() {
	local keep=$1 old
	shift
	for old in "$@"; do
		[ -d "$old" ] && [ "$old" != "$keep" ] || continue
		(
			exec 7>"$old.lock"
			flock -n 7 || exit 0
			cache_clear "$old"
			rm -f "$old.log"
		)
	done
}

cache_clear() {
	[ -e "$1" ] || return 0
	umount -R "$1" 2>/dev/null || true
	rm -rf --one-file-system "$1"
}
