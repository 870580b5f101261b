"""Kamailio's life around memcached's (outages), per engine, with
the api scenario's scripts and a Kamailio started by each test:

- memcached down when Kamailio starts: Kamailio starts and serves SIP,
  operations report errors (-2 / nil), and memcached is picked up when it
  comes back;
- memcached restarted under traffic: no crash, no hang (every request is
  answered, quickly), service resumes on its own;
- the `expire` default is the documented 10800 s.
"""

import os
import re
import threading
import time

import pytest

from harness import servers
from harness.ops import call
from harness.servers import Memcached, wait_until

SCENARIO_DIR = os.path.join(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))), "api")
RECOVERY_S = 30  # retry_time defaults to 2 s; room for a loaded machine
# A request during a restart costs at most connect + write + read, each
# bounded by the timeout (500 ms by default): 1.5 s by design. "Slow" (a
# hang) is well past that, with room for a loaded machine: 6 s.
SLOW_S = 6.0


def ok_set_get(sip, key, value):
    r = call(sip, "sets", key, value)
    if r.value != 1:
        return False
    g = call(sip, "get", key)
    return g.value == value


def test_starts_with_memcached_down_and_picks_it_up(engine, own, workdir,
                                                    key):
    m = Memcached(workdir)  # port chosen, not started
    k = own(m.port, expire=0)
    sip = k.client()
    try:
        for _ in range(4):  # both workers
            r = call(sip, "get", key)
            assert r.type == "nil", r
            assert r.status == -2, r
            assert call(sip, "sets", key, "v").value == -2
        m.start()
        try:
            wait_until(lambda: ok_set_get(sip, key, "up"), RECOVERY_S,
                       "the module to pick memcached up")
            # and every worker has it (requests spread over workers)
            for i in range(6):
                assert ok_set_get(sip, f"{key}-{i}", str(i))
            c = m.client()
            assert c.get(key) == (b"up", 1)
            c.close()
        finally:
            m.stop()
    finally:
        sip.close()


def test_memcached_restart_under_traffic(engine, own, workdir, key):
    m = Memcached(workdir).start()
    k = own(m.port, expire=0)
    stop = threading.Event()
    stats = {"sent": 0, "slow": 0, "errors": []}
    lock = threading.Lock()

    def traffic(n):
        sip = k.client(timeout=15)
        try:
            i = 0
            while not stop.is_set():
                i += 1
                t0 = time.monotonic()
                try:
                    call(sip, "incx", f"{key}-{n}", delta=1, exp=0)
                except Exception as e:  # noqa: BLE001 - asserted below
                    with lock:
                        stats["errors"].append(repr(e))
                    return
                with lock:
                    stats["sent"] += 1
                    if time.monotonic() - t0 > SLOW_S:
                        stats["slow"] += 1
        finally:
            sip.close()

    threads = [threading.Thread(target=traffic, args=(n,)) for n in range(3)]
    for t in threads:
        t.start()
    try:
        wait_until(lambda: stats["sent"] >= 30, 20, "traffic to flow")
        m.stop()
        before = stats["sent"]
        wait_until(lambda: stats["sent"] >= before + 30, 20,
                   "requests to keep being answered with memcached down")
        m.start()
        sip = k.client()
        try:
            wait_until(lambda: ok_set_get(sip, key, "back"), RECOVERY_S,
                       "service to resume after the restart")
        finally:
            sip.close()
        before = stats["sent"]
        wait_until(lambda: stats["sent"] >= before + 30, 20,
                   "traffic to flow again")
    finally:
        stop.set()
        for t in threads:
            t.join(30)
        m.stop()
    assert not stats["errors"], stats["errors"][:3]
    assert stats["slow"] == 0, stats
    assert k.alive(), k.log_tail()


def test_memcached_restart_costs_no_failed_call(engine, own, workdir, key):
    """A quick restart (nothing asked while memcached was down) with the
    default breaker (retry_time 2 s): each worker's next call finds its
    connection closed and is made again on a new one, so no call fails and
    no breaker trips. Regression: that call failed and tripped the breaker,
    and every worker failed each call for 2 s."""
    m = Memcached(workdir).start()
    k = own(m.port, expire=0, retry_time=None)
    sip = k.client()
    try:
        for i in range(8):  # both workers hold a connection
            assert call(sip, "sets", f"{key}-{i}", "v").value == 1
        log_before = len(k.log_text())
        m.stop()
        m.start()
        for i in range(8):
            r = call(sip, "incx", f"{key}-n", delta=1, exp=0)
            assert r.value == i + 1, (i, r, k.log_tail())
            assert call(sip, "get", f"{key}-{i}").status == -1  # gone
            assert call(sip, "sets", f"{key}-{i}", "w").value == 1
        log = k.log_text()[log_before:]
        assert "had closed the connection (restarted?)" in log, log[-3000:]
        assert "disabled after" not in log, log[-3000:]
        assert " ERROR: " not in log, log[-3000:]
    finally:
        sip.close()
        m.stop()


def test_expire_default_is_documented_10800(engine, own, workdir, key):
    m = Memcached(workdir).start()
    try:
        k = own(m.port)  # no expire modparam
        sip = k.client()
        call(sip, "sets", key, "v")
        c = m.client()
        assert 10790 <= c.ttl(key) <= 10800
        c.close()
        sip.close()
    finally:
        m.stop()


def test_outage_log_is_rate_limited(engine, own, workdir, key):
    """200 requests during an outage: per worker, one line from the breaker
    when it disables the server (once per outage, not per trip) and one
    outage line per 10 s window the requests span, not one per request (an
    hour of outage must not fill the disk). The windows are counted from
    the measured duration, so a slow machine cannot break the bound."""
    m = Memcached(workdir)  # never started: connection refused
    k = own(m.port, expire=0)
    sip = k.client()
    t0 = time.monotonic()
    try:
        for i in range(200):
            call(sip, "get", f"{key}-{i}")
    finally:
        sip.close()
    windows = 1 + int((time.monotonic() - t0) // 10) + 1
    lines = [line for line in k.log_text().splitlines()
             if "ERROR" in line and "memcached" in line]
    by_pid = {}
    for line in lines:
        pid = re.match(r"\s*\d+\((\d+)\)", line).group(1)
        by_pid.setdefault(pid, []).append(line)
    assert 1 <= len(by_pid) <= 2, lines  # children=2
    for pid, mine in by_pid.items():
        disabled = [x for x in mine if " disabled after " in x]
        outage = [x for x in mine if " disabled after " not in x]
        assert len(disabled) == 1, mine
        assert 1 <= len(outage) <= windows, (windows, mine)
        assert all("connection failure" in x for x in outage), mine
