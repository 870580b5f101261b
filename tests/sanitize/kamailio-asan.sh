#!/bin/sh
# Debian's (uninstrumented) kamailio with the AddressSanitizer runtime
# preloaded, so that a module built with -fsanitize=address,undefined can be
# dlopen'ed into it. Without the preload, loading the module stops Kamailio
# with "==PID==ASan runtime does not come first in initial library list; you
# should either link runtime to your application or manually preload it with
# LD_PRELOAD." The runtime is the one the module under test links (ldd), so
# gcc's libasan and clang's libclang_rt.asan both work.
#   MC_MODULE_SO     the sanitized module (required)
#   MC_KAMAILIO_BIN  the kamailio to run (default /usr/sbin/kamailio)
# Sanitizer options:
# - leak check at exit: it runs in the main process only (workers leave by
#   _exit(0) on SIGTERM, main.c sig_usr), with lsan.supp for the script
#   engines' interpreters, which Kamailio never frees;
# - stop the process at the first error (halt_on_error), which makes
#   Kamailio shut down;
# - exit rather than abort (abort_on_error=0): Kamailio raises the core size
#   limit itself, so an abort leaves a 100-150 MB core file per worker;
# - reports go to stderr, which the harness writes to the instance's
#   kamailio.log (-E); ASAN_OPTIONS etc. from the environment come last and
#   win.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
: "${MC_MODULE_SO:?MC_MODULE_SO: the sanitized module}"
rt=$(ldd "$MC_MODULE_SO" | awk '/lib(asan|clang_rt\.asan[^ ]*)\.so/ { print $3; exit }')
if [ -z "$rt" ] || [ ! -f "$rt" ]; then
	echo "kamailio-asan.sh: $MC_MODULE_SO links no ASan runtime" >&2
	exit 2
fi
export LD_PRELOAD="$rt${LD_PRELOAD:+ $LD_PRELOAD}"
export ASAN_OPTIONS="detect_leaks=1:halt_on_error=1:abort_on_error=0:${ASAN_OPTIONS:-}"
export LSAN_OPTIONS="suppressions=$here/lsan.supp:print_suppressions=0:${LSAN_OPTIONS:-}"
export UBSAN_OPTIONS="halt_on_error=1:abort_on_error=0:print_stacktrace=1:${UBSAN_OPTIONS:-}"
exec "${MC_KAMAILIO_BIN:-/usr/sbin/kamailio}" "$@"
