"""pytest plugin (-p pytest_sanitize) for running e2e scenarios against the
sanitized module: every Kamailio runs under kamailio-asan.sh, each Kamailio
is checked to have the ASan runtime mapped, and a sanitizer report in any
Kamailio's log fails the test during which it appeared (and the session)."""

import pytest

import mc_asan
from harness import servers

mc_asan.use_sanitized_kamailio()

_seen = {}  # log path -> number of report lines already charged to a test


def _new_reports():
    found = []
    for k in servers.STARTED:
        text = k.log_text()
        lines = mc_asan.reports(text)
        if len(lines) > _seen.get(k.log, 0):
            _seen[k.log] = len(lines)
            found.append(f"{k.log}:\n" + mc_asan.report_excerpt(text))
    return found


_checked_pids = set()


def _check_runtime():
    """A Kamailio that runs without the ASan runtime would prove nothing."""
    for k in servers.STARTED:
        if k.proc is not None and k.proc.pid not in _checked_pids:
            _checked_pids.add(k.proc.pid)
            if k.proc.poll() is None and not mc_asan.asan_in_process(
                    k.proc.pid):
                return f"{k.log}: ASan runtime not mapped in kamailio"
    return None


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    rep = outcome.get_result()
    if call.when == "call":
        problem = _check_runtime()
        if problem and not rep.failed:
            rep.outcome = "failed"
            rep.longrepr = problem
    found = _new_reports()
    if found and not rep.failed:
        rep.outcome = "failed"
        rep.longrepr = "sanitizer report in Kamailio's log:\n" + \
            "\n\n".join(found)


def pytest_sessionfinish(session, exitstatus):
    found = _new_reports()
    if found:
        print("\nsanitizer report in Kamailio's log (at shutdown):\n"
              + "\n\n".join(found))
        session.exitstatus = 1
