"""The harness against another suite running beside it: free_port binds
port 0 and releases it, so another suite's server can take the port before
ours binds it. Then start() must neither fail nor mistake the other server
for ours: memcached must answer `stats` with our pid, Kamailio must hold
the SIP socket itself; otherwise they move to another port.

Proved by squatting the port free_port hands out first, with a TCP listener
(for memcached) and a UDP socket that answers every SIP request with a 200
(for Kamailio: an impostor the readiness ping alone would accept)."""

import os
import socket
import threading

import pytest

from harness import servers
from harness.ops import call

API = os.path.join(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))), "api")


@pytest.fixture(scope="module", params=["native"])
def engine(request):
    return request.param


@pytest.fixture
def squatted(monkeypatch):
    """A port held by someone else (TCP listening, UDP answering SIP) that
    free_port hands out once, first; then the real free_port."""
    tcp = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    tcp.bind(("127.0.0.1", 0))
    tcp.listen(8)
    port = tcp.getsockname()[1]
    udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    udp.bind(("127.0.0.1", port))
    udp.settimeout(0.2)
    stop = threading.Event()

    def impostor():
        while not stop.is_set():
            try:
                data, peer = udp.recvfrom(65535)
            except (socket.timeout, OSError):
                continue
            head = data.split(b"\r\n\r\n")[0].split(b"\r\n")
            keep = [h for h in head[1:] if h.split(b":")[0].lower() in (
                b"via", b"from", b"to", b"call-id", b"cseq")]
            udp.sendto(b"\r\n".join([b"SIP/2.0 200 impostor"] + keep
                                    + [b"Content-Length: 0", b"", b""]),
                       peer)

    t = threading.Thread(target=impostor, daemon=True)
    t.start()
    real = servers.free_port
    handed = []

    def first_the_squatted(kind=socket.SOCK_STREAM):
        if not handed:
            handed.append(port)
            return port
        return real(kind)

    monkeypatch.setattr(servers, "free_port", first_the_squatted)
    yield port
    stop.set()
    t.join(2)
    tcp.close()
    udp.close()


def test_memcached_moves_off_a_taken_port(engine, workdir, squatted):
    m = servers.Memcached(workdir).start()
    try:
        assert m.port != squatted
        c = m.client()
        assert c.stat("pid") == str(m.proc.pid)
        c.close()
    finally:
        m.stop()


def test_kamailio_moves_off_a_port_an_impostor_answers_on(
        engine, workdir, memcached, squatted, key):
    """The impostor answers the readiness ping; the harness must still
    wait for our Kamailio, which cannot bind the port, and move."""
    sip_imp = servers.SipClient("127.0.0.1", squatted)
    assert sip_imp.send("OPTIONS").reason == "impostor"
    sip_imp.close()
    k = servers.start_kamailio(workdir, engine, API, memcached.port,
                               name="harness-ports")
    try:
        assert k.port != squatted
        sip = k.client()
        r = sip.send("OPTIONS")
        assert r.get("X-Engine") == "native", r
        call(sip, "sets", key, "mine")
        assert call(sip, "get", key).value == "mine"
        sip.close()
    finally:
        k.stop()
