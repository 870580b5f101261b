"""Running the e2e harness's Kamailio with the sanitized module: Debian's
kamailio started through kamailio-asan.sh (ASan runtime preloaded), and
sanitizer reports found in Kamailio's log."""

import os
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "e2e"))

from harness import servers  # noqa: E402

WRAPPER = os.path.join(HERE, "kamailio-asan.sh")

# ASan/LSan: "==123==ERROR: AddressSanitizer: heap-buffer-overflow ...",
# ASan on a signal: "AddressSanitizer:DEADLYSIGNAL"; UBSan:
# "file.c:12:5: runtime error: signed integer overflow ..."; both end with a
# "SUMMARY: <Sanitizer>: ..." line. ASan does not see inside Kamailio's own
# pkg and shm pools (one big block each to ASan); there Kamailio's q_malloc,
# built with DBG_QM_MALLOC by Debian, checks fragment boundaries and double
# frees itself and logs "BUG: ..." from core/mem before aborting: those lines
# count as reports too.
REPORT = re.compile(
    r"^.*(==\d+==ERROR: \w+Sanitizer|\w+Sanitizer:DEADLYSIGNAL"
    r"|: runtime error: |SUMMARY: \w+Sanitizer"
    r"|core/mem/\w+\.c:\d+\]: .*BUG: ).*$", re.M)


def use_sanitized_kamailio():
    """Every Kamailio the harness starts from now on runs under the wrapper.
    The harness reads servers.KAMAILIO when it starts a process."""
    servers.KAMAILIO = WRAPPER


def reports(text):
    """The sanitizer report lines in a log (empty list: none)."""
    return [m.group(0) for m in REPORT.finditer(text)]


def report_excerpt(text, lines=60):
    """The log from the first report on, for a failure message."""
    m = REPORT.search(text)
    if not m:
        return ""
    return "\n".join(text[m.start():].splitlines()[:lines])


def asan_in_process(pid):
    """True when the ASan runtime is mapped into process pid."""
    try:
        with open(f"/proc/{pid}/maps") as f:
            return any(re.search(r"lib(asan|clang_rt\.asan)", line)
                       for line in f)
    except OSError:
        return False
