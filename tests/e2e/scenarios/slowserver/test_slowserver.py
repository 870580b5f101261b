"""A slow or silent memcached, through a TCP proxy, per engine,
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
from harness.fakes import SlowProxy
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
    took = []
    try:
        for i in range(6):
            t0 = time.monotonic()
            r = call(sip, "get", f"{key}-{i}")
            took.append(time.monotonic() - t0)
            assert r.type == "nil", r
            assert r.status == -2, r
    finally:
        sip.close()
    # connect, write and read are each bounded by the timeout: 3 of them at
    # most; the median, so a request a loaded machine delays cannot fail
    # it (the shipped module took ~5 s each)
    assert sorted(took)[3] < 3 * TIMEOUT_MS / 1000, took


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
    """Each operation against a silent server waits one timeout, not two
    (a regression guard: an early harness retransmitted SIP requests after
    500 ms, which made it look like two). The lower bound is the design's
    (the module waits the whole timeout, load only adds); the upper one is
    two timeouts, on the median of 5, so requests delayed by a loaded
    machine cannot fail it."""
    proxy.blackhole = True
    sip = kam.client(timeout=10)
    took = []
    try:
        for i in range(5):
            t0 = time.monotonic()
            r = call(sip, "get", f"{key}-{i}")
            took.append(time.monotonic() - t0)
            assert r.type == "nil", r
    finally:
        sip.close()
    t = TIMEOUT_MS / 1000
    assert min(took) >= 0.9 * t, took
    assert sorted(took)[2] < 2 * t, took


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


def test_default_breaker_one_timeout_then_skips(engine, workdir, proxy, key):
    """The defaults (timeout 500 ms, failure_limit 1, retry_time 2 s; the
    harness otherwise forces retry_time 0) against a silent server: the
    first call waits one timeout and trips the breaker, the calls of the
    next 2 s fail at once without waiting, then one probe waits again.
    Counted by the module's statistics, not by the clock: the number of
    timeouts is at most one per 2 s the calls span, however slow the
    machine. When the server answers again, service resumes by itself."""
    servers.check_prerequisites(engine)
    k = servers.start_kamailio(
        workdir, engine, SCENARIO_DIR, proxy.port, name=f"brk-{engine}",
        children=1, extra_modules=("kex.so",),
        modparams={"expire": 0, "retry_time": None})
    sip = k.client(timeout=10)
    try:
        proxy.blackhole = True
        t0 = time.monotonic()
        for i in range(20):
            r = call(sip, "get", f"{key}-{i}")
            assert r.type == "nil", r
            assert r.status == -2, r
        span = time.monotonic() - t0
        st = k.stats()
        assert st["errors"] == 20, st
        assert 1 <= st["timeouts"] <= 1 + int(span // 2), (span, st)
        assert st["breaker_trips"] == st["timeouts"], st
        assert "disabled after 1 consecutive failures" in k.log_text()
        assert "retried in 2 s" in k.log_text()
        proxy.blackhole = False
        wait_until(lambda: call(sip, "sets", key, "back").type != "nil"
                   and call(sip, "get", key).value == "back", 15,
                   "service to resume after the default retry_time")
    finally:
        sip.close()
        alive = k.alive()
        k.stop()
    assert alive, k.log_tail()
