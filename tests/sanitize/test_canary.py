"""Positive control of the sanitize tests: a module built with the same
sanitizer flags as ours (canary/asan_canary.c), loaded into Debian's Kamailio
through kamailio-asan.sh next to our sanitized module, must get its heap
overflow reported by ASan and its signed overflow by UBSan (and an overflow
of a pkg block, which ASan cannot see, by Kamailio's allocator); the report
must be in Kamailio's log where pytest_sanitize looks, and the worker must
stop (halt_on_error), taking Kamailio down. Without this, a clean sanitized e2e
run could just mean the sanitizers were not there."""

import os

import pytest

import mc_asan
from harness.servers import (Kamailio, Memcached, check_prerequisites,
                             free_port, render_cfg, wait_until)
from harness.sip import SipTimeout

HERE = os.path.dirname(os.path.abspath(__file__))
CANARY_DIR = os.path.join(HERE, "canary")


def canary_so():
    return os.environ.get("MC_CANARY_SO") or os.path.join(
        os.path.dirname(os.environ.get("MC_MODULE_SO", "")), os.pardir,
        "tests", "sanitize", "asan_canary.so")


@pytest.fixture
def memcached(tmp_path):
    m = Memcached(str(tmp_path)).start()
    yield m
    m.stop()


@pytest.mark.parametrize("bug,expected", [
    ("heap", "ERROR: AddressSanitizer: heap-buffer-overflow"),
    ("int", "runtime error: signed integer overflow"),
    ("pkg", "BUG: qm: fragm."),
])
def test_sanitizer_reports_a_bug_in_a_module(tmp_path, memcached, bug,
                                             expected):
    check_prerequisites("native")
    so = canary_so()
    assert os.path.isfile(so), f"canary module not built: {so}"
    port = free_port()
    k = Kamailio(str(tmp_path), "", port, name=f"canary-{bug}")
    with open(k.cfg, "w") as f:
        # no core file when Kamailio's allocator aborts (pkg case)
        f.write(render_cfg("native", CANARY_DIR, port, memcached.port,
                           extra_modules=[so]) + "disable_core_dump=yes\n")
    k.start()
    try:
        assert mc_asan.asan_in_process(k.proc.pid), \
            "ASan runtime not mapped into kamailio"
        assert mc_asan.reports(k.log_text()) == [], k.log_tail()
        sip = k.client(timeout=3)
        try:
            with pytest.raises(SipTimeout):  # the worker died on the bug
                sip.send("OPTIONS", headers=[("X-Canary", bug)])
        finally:
            sip.close()
        # The worker is gone when the main process notices it; Kamailio's
        # own shutdown after that may take long (a timer process sometimes
        # ignores SIGTERM until Kamailio's exit timeout), so k.stop() ends it.
        wait_until(lambda: not k.alive() or "terminating due to SIGCHLD"
                   in k.log_text(), 30,
                   "kamailio to notice its worker stopped on the report")
        text = k.log_text()
        found = mc_asan.reports(text)
        assert any(expected in line for line in found), text[-4000:]
        assert "asan_canary.c" in text, "report does not name the " \
            "module's source:\n" + mc_asan.report_excerpt(text)
    finally:
        k.stop()


def test_leak_sanitizer_runs_in_the_main_process(tmp_path, memcached):
    """LeakSanitizer runs when the main process exits (workers _exit): a
    block lost in the canary's mod_init must be reported at stop, while the
    engines' own leaks are suppressed (lsan.supp) and SIP still works."""
    check_prerequisites("native")
    so = canary_so()
    assert os.path.isfile(so), f"canary module not built: {so}"
    port = free_port()
    k = Kamailio(str(tmp_path), "", port, name="canary-leak")
    with open(k.cfg, "w") as f:
        f.write(render_cfg("native", CANARY_DIR, port, memcached.port,
                           extra_modules=[so]) +
                'modparam("asan_canary", "leak_at_init", 1)\n')
    k.start()
    try:
        sip = k.client(timeout=3)
        try:
            assert sip.send("OPTIONS").code == 200
        finally:
            sip.close()
        assert mc_asan.reports(k.log_text()) == [], k.log_tail()
    finally:
        k.stop()
    text = k.log_text()
    assert any("ERROR: LeakSanitizer: detected memory leaks" in line
               for line in mc_asan.reports(text)), text[-4000:]
    assert "mod_init" in mc_asan.report_excerpt(text) and \
        "asan_canary.c" in text, mc_asan.report_excerpt(text)
