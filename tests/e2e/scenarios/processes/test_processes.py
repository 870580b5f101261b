"""The module in every kind of process that can use it, per engine: UDP
workers, TCP workers (a TCP listener: the main TCP process is skipped by
child_init, its workers each create their client), and an rtimer process
(its own process, mode=1) running a route every second. Each must have
its own working client: the value written over TCP is read back in the
same request, and the timer's counter grows in memcached."""

import os
import socket

import pytest

from harness import servers
from harness.servers import wait_until
from harness.sip import SipClient, parse_response

HERE = os.path.dirname(os.path.abspath(__file__))


@pytest.fixture
def kam(workdir, engine, memcached, mc):
    servers.check_prerequisites(engine)
    mc.delete("processes_tick")
    mc.delete("processes_tick_q")
    route = "TICK" if engine == "native" else "ksr_tick"
    k = servers.start_kamailio(
        workdir, engine, HERE, memcached.port, name=f"proc-{engine}",
        modparams={"expire": 0}, extra_modules=("rtimer.so",),
        extra_cfg=("listen=tcp:127.0.0.1:{port}", "tcp_children=2",
                   'modparam("rtimer", "timer", "name=tk;interval=1;mode=1;")',
                   f'modparam("rtimer", "exec", "timer=tk;route={route};")'))
    yield k
    alive = k.alive()
    k.stop()
    assert alive, k.log_tail()


def sip_tcp(port, headers):
    """One request over a TCP connection of its own; the final response."""
    c = SipClient("127.0.0.1", port)
    msg, _, _ = c.build("OPTIONS", headers)
    c.close()
    msg = msg.replace(b"SIP/2.0/UDP", b"SIP/2.0/TCP", 1)
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        s.sendall(msg)
        data = b""
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
            head, sep, body = data.partition(b"\r\n\r\n")
            if sep:
                r = parse_response(data)
                if r.code >= 200 and len(body) >= int(
                        r.get("Content-Length", "0")):
                    return r
    raise AssertionError(f"no response over TCP: {data!r}")


def test_tcp_workers_use_the_module(engine, kam, mc, key):
    for i in range(6):  # spread over both TCP workers
        r = sip_tcp(kam.port, [("X-Key", f"{key}-{i}"), ("X-Val", f"t{i}")])
        assert r.code == 200, r
        assert r["X-Proto"] == "tcp", r
        assert r["X-Result"] == f"t{i}", r
        assert mc.get(f"{key}-{i}") == (f"t{i}".encode(), 1)
    sip = kam.client()
    r = sip.send("OPTIONS", headers=[("X-Key", key), ("X-Val", "u")])
    sip.close()
    assert (r["X-Proto"], r["X-Result"]) == ("udp", "u"), r
    assert "no client in this process" not in kam.log_text()


def test_timer_process_uses_the_module(engine, kam, mc):
    """The rtimer route runs every second in its own process: the counter
    it increments grows (polled, no fixed sleep)."""
    def ticks():
        v = mc.get("processes_tick")
        return int(v[0]) if v else 0
    wait_until(lambda: ticks() >= 3, 30, "the timer to count to 3")
    assert mc.get("processes_tick")[1] == 0  # an integer

    # Each tick ends with a quiet write of the new count. The end of the
    # route sends it (post-script callback), so between ticks memcached
    # holds the same count in both keys; were it left in the send buffer
    # for the next tick's increment to carry, it would always lag by one.
    def in_step():
        q = mc.get("processes_tick_q")
        return q is not None and int(q[0]) == ticks()
    wait_until(in_step, 30, "the quiet write to match the count")
    assert "no client in this process" not in kam.log_text()
