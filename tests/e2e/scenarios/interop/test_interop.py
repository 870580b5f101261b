"""Interop with Kamailio's shipped memcached module: data written by it
($mct in its own Kamailio instance) reads back identically through ours (PVs
and KEMI) in another instance, and vice-versa. Both share one memcached.

The routing scripts follow the api scenario's convention: native.cfg here
(the PVs only, which both modules have), the api scenario's script.py for
KEMI; only the loaded module differs."""

import hashlib
import os

import pytest

from harness import servers
from harness.ops import call

API = os.path.join(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))), "api")
PV_ONLY = os.path.dirname(os.path.abspath(__file__))

# ids deliberately avoid the engine names ctest selects with -k
OURS = {"ours-pv": "native", "ours-kemi": "python"}


@pytest.fixture(scope="module")
def shipped(workdir, memcached):
    k = servers.start_kamailio(workdir, "native", PV_ONLY, memcached.port,
                               name="shipped", module=servers.SHIPPED_MODULE,
                               modparams={"expire": 0})
    yield k
    alive = k.alive()
    k.stop()
    assert alive, "the shipped module's kamailio died:\n" + k.log_tail()


@pytest.fixture(scope="module", params=list(OURS))
def ours(request, workdir, memcached):
    engine = OURS[request.param]
    servers.check_prerequisites(engine)
    k = servers.start_kamailio(workdir, engine,
                               PV_ONLY if engine == "native" else API,
                               memcached.port, name=request.param,
                               modparams={"expire": 0})
    k.engine = engine
    yield k
    alive = k.alive()
    k.stop()
    assert alive, f"our kamailio ({engine}) died:\n" + k.log_tail()


@pytest.fixture
def clients(shipped, ours, memcached):
    if not memcached.running():
        memcached.start()
    a, b = shipped.client(), ours.client()
    yield a, b
    a.close()
    b.close()


LONG = "L" * 150 + "-long-key-" + "x" * 140  # 300 bytes


def wire_key(key):
    """What both modules send: keys of 250+ bytes become the hex MD5 of the
    trimmed key."""
    return hashlib.md5(key.strip().encode()).hexdigest() if len(
        key) >= 250 else key


def cases(key):
    return [
        ("int", key + "-int", 42, ("int", 42)),
        ("str", key + "-str", "hello world", ("str", "hello world")),
        ("digits-str", key + "-dstr", "123", ("str", "123")),
        ("long-key", LONG + key[-6:], "via a long key",
         ("str", "via a long key")),
    ]


def write(sip, kind, k, v):
    op = "seti" if kind == "int" else "sets"
    call(sip, op, k, v)


def test_interop_shipped_writes_ours_reads(clients, mc, key):
    shipped_sip, ours_sip = clients
    for kind, k, v, expected in cases(key):
        write(shipped_sip, kind, k, v)
        stored = mc.get(wire_key(k))
        assert stored is not None, f"{kind}: shipped stored nothing"
        r = call(ours_sip, "get", k)
        assert (r.type, r.value) == expected, (kind, r)
        # and both modules read the same thing
        r2 = call(shipped_sip, "get", k)
        assert (r2.type, r2.value) == expected, (kind, "shipped", r2)


def test_interop_ours_writes_shipped_reads(clients, mc, key):
    shipped_sip, ours_sip = clients
    for kind, k, v, expected in cases(key):
        write(ours_sip, kind, k, v)
        stored = mc.get(wire_key(k))
        assert stored is not None, f"{kind}: ours stored under another key"
        data, flags = stored
        assert data == str(v).encode()
        assert flags & 1 == (0 if kind == "int" else 1)
        r = call(shipped_sip, "get", k)
        assert (r.type, r.value) == expected, (kind, r)


def test_interop_same_bytes_on_the_wire(clients, mc, key):
    """Both modules leave byte-identical items (value and flags)."""
    shipped_sip, ours_sip = clients
    for kind, k, v, _ in cases(key):
        write(shipped_sip, kind, k, v)
        by_shipped = mc.get(wire_key(k))
        mc.delete(wire_key(k))
        write(ours_sip, kind, k, v)
        by_ours = mc.get(wire_key(k))
        assert by_ours == by_shipped, kind


def test_interop_counter_through_both(clients, mc, key):
    shipped_sip, ours_sip = clients
    mc.set_int(key, 100)
    call(shipped_sip, "inc", key, delta=5)
    r = call(ours_sip, "inc", key, delta=5)
    assert (r.type, r.value) == ("int", 110), r
    r = call(shipped_sip, "get", key)
    assert (r.type, r.value) == ("int", 110), r
