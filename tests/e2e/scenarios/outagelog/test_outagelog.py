"""Log lines per failed request during a memcached outage, native cfg
written with the mc_<name> functions vs the drop-in PVs (the problem: a PV
assignment that fails makes Kamailio core log two ERROR lines per
assignment, unthrottled; the module's own lines are rate-limited).

Each case: a fresh Kamailio (module defaults: breaker on, failure_limit 1,
retry_time 2; timeout 100 ms), memcached stopped (connection refused) or
silent (a server that accepts and never answers), N requests, each doing a
counter increment, a set with expiry and a read back; then the ERROR lines
its log gained, split into Kamailio core's and the module's.

The measurement (doc/memcached.md, section 9.4):
    MC_MODULE_SO=$PWD/build/kemi/memcached.so /usr/bin/python3 -m pytest \\
        -q -s tests/e2e/scenarios/outagelog -k native
prints one line per case: "outagelog <style> <outage>: N requests, C core
+ M module ERROR lines = X per request".
"""

import os
import time

import pytest

from harness import servers
from harness.fakes import SilentServer
from harness.servers import Memcached

SCENARIO_DIR = os.path.dirname(os.path.abspath(__file__))
N = 3000
TIMEOUT_MS = 100
RETRY_S = 2  # the module's default retry_time
WORKERS = 2
RESULTS = {}


@pytest.fixture(scope="module", params=["native"])
def engine(request):
    return request.param


@pytest.fixture
def outage(request, workdir):
    """The port of a memcached that is down the way request.param says."""
    if request.param == "stopped":
        m = Memcached(workdir)  # a free port, never started
        yield m.port
        return
    p = SilentServer()
    yield p.port
    p.close()


def error_lines(text):
    core = mod = 0
    for line in text.splitlines():
        if " ERROR: " not in line:
            continue
        if " ERROR: <core>" in line:
            core += 1
        else:
            mod += 1
    return core, mod


@pytest.mark.parametrize("outage", ["stopped", "silent"], indirect=True)
@pytest.mark.parametrize("style", ["fn", "pv"])
def test_outage_log_lines_per_request(engine, workdir, outage, style,
                                      request):
    servers.check_prerequisites(engine)
    kind = request.node.callspec.params["outage"]
    k = servers.start_kamailio(
        workdir, engine, SCENARIO_DIR, outage,
        name=f"outagelog-{style}-{kind}", children=WORKERS,
        modparams={"expire": 0, "timeout": TIMEOUT_MS,
                   "retry_time": RETRY_S})
    try:
        before = len(k.log_text())
        sip = k.client(timeout=10)
        t0 = time.monotonic()
        try:
            for i in range(N):
                r = sip.send("MESSAGE", headers=[("X-Style", style)],
                             body=b"x", from_user=f"u{i % 10}")
                assert r.code == 500, r  # every request saw the outage
        finally:
            sip.close()
        elapsed = time.monotonic() - t0
        assert k.alive(), k.log_tail()
        core, mod = error_lines(k.log_text()[before:])
    finally:
        k.stop()
    RESULTS[(style, kind)] = (core, mod)
    print(f"\noutagelog {style} {kind}: {N} requests, {core} core + {mod} "
          f"module ERROR lines = {(core + mod) / N:.3f} per request "
          f"({elapsed:.1f} s)")
    if style == "fn":
        # the functions fail through their return code: no core line
        assert core == 0, core
        # the module's lines: per worker, one outage line per 10 s window
        # and a breaker line each time it opens (at most once per
        # retry_time), each +1 for the window under way
        bound = WORKERS * (2 * (elapsed / RETRY_S + 1) + elapsed / 10 + 1)
        assert mod <= bound, (mod, bound)
