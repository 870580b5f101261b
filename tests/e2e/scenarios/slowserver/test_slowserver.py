"""A slow or silent memcached (issue 4), through a TCP proxy, per engine,
with the api scenario's scripts:

- a server that accepts and never answers costs each operation about the
  `timeout` (500 ms here), not the shipped module's ~5 s, and reports an
  error (-2 / nil);
- never a wrong value: when a reply arrives after the timeout, a later get
  of another key must not return it.
"""

import os
import time

import pytest

from harness import servers
from harness.ops import call
from harness.proxy import SlowProxy
from harness.servers import wait_until

SCENARIO_DIR = os.path.join(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))), "api")
TIMEOUT_MS = 500


@pytest.fixture
def proxy(memcached):
    if not memcached.running():
        memcached.start()
    p = SlowProxy(memcached.port)
    yield p
    p.close()


@pytest.fixture
def kam(request, workdir, engine, proxy):
    """Kamailio with one worker (so consecutive requests share a
    connection) talking to memcached through the proxy."""
    servers.check_prerequisites(engine)
    k = servers.start_kamailio(
        workdir, engine, SCENARIO_DIR, proxy.port,
        name=f"slow-{engine}", children=1,
        # breaker off: these tests are about each late reply, not skipping
        modparams={"expire": 0, "timeout": TIMEOUT_MS, "failure_limit": 0})
    yield k
    alive = k.alive()
    k.stop()
    assert alive, "kamailio died:\n" + k.log_tail()


def test_never_answering_server_fails_fast(engine, kam, proxy, key):
    proxy.blackhole = True
    sip = kam.client(timeout=10)
    try:
        for i in range(6):
            t0 = time.monotonic()
            r = call(sip, "get", f"{key}-{i}")
            took = time.monotonic() - t0
            assert r.type == "nil", r
            assert r.status == -2, r
            assert took < 3 * TIMEOUT_MS / 1000 + 0.5, (i, took)
    finally:
        sip.close()


def test_late_reply_is_never_another_keys_value(engine, kam, proxy, mc,
                                                key):
    sip = kam.client(timeout=10)
    try:
        for i in range(3):
            a, b = f"{key}-a{i}", f"{key}-b{i}"
            mc.set_str(a, "value-of-a")
            mc.set_str(b, "value-of-b")
            proxy.delay = 2 * TIMEOUT_MS / 1000  # A's reply comes late
            r = call(sip, "get", a)
            assert r.value != "value-of-a" or r.type == "nil", r
            late = r.type == "nil"
            proxy.delay = 0
            seen = []
            for _ in range(6):
                r = call(sip, "get", b)
                seen.append(r.value)
                assert r.value in ("value-of-b", None), (i, late, seen)
                if r.value == "value-of-b":
                    break
                time.sleep(0.2)
            # let the late reply drain, then the connection must be sane
            time.sleep(2 * TIMEOUT_MS / 1000)
            wait_until(lambda: call(sip, "get", b).value == "value-of-b",
                       15, "service to resume after the late reply")
            r = call(sip, "get", a)
            assert r.value == "value-of-a", r
    finally:
        sip.close()


def test_silent_server_costs_one_timeout_per_operation(engine, kam, proxy,
                                                       key):
    """Each operation against a silent server waits one timeout, not more
    (a regression guard: an early harness retransmitted SIP requests after
    500 ms, which made it look like two)."""
    proxy.blackhole = True
    sip = kam.client(timeout=10)
    try:
        for i in range(4):
            t0 = time.monotonic()
            call(sip, "get", f"{key}-{i}")
            took = time.monotonic() - t0
            assert took < 1.5 * TIMEOUT_MS / 1000, (i, took)
    finally:
        sip.close()


def test_timed_out_operation_runs_once(engine, kam, proxy, mc, key):
    """An inc (append) whose reply arrives after the timeout was executed
    by memcached once; nothing sends it again."""
    sip = kam.client(timeout=10)
    try:
        mc.set_int(key + "-ctr", 0)
        mc.set_str(key + "-s", "x")
        call(sip, "get", key + "-warm")
        proxy.delay = 2 * TIMEOUT_MS / 1000
        r = call(sip, "inc", key + "-ctr", delta=1)
        assert (r.type, r.status) == ("nil", -2), r  # timed out
        call(sip, "append", key + "-s", "y")
        proxy.delay = 0
        time.sleep(3 * TIMEOUT_MS / 1000)  # let everything land
        # memcached executed the inc (its reply was late, not lost): once
        assert mc.get(key + "-ctr") == (b"1", 0)
        assert mc.get(key + "-s") == (b"xy", 1)
    finally:
        proxy.delay = 0
        sip.close()
