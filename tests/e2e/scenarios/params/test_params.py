"""Module params end to end, each in a Kamailio of its own running the api
scenario's scripts, per engine: what doc/memcached.md promises for
`prefix` from KEMI, `mode` and `stringify` (PVs only: KEMI and RPC ignore
them), a small `max_value_size`, `servers` as a libmemcached option string
and as an IPv6 address, and SASL (`username`/`password`, binary protocol)
with two servers and every kind of operation, the password in no log line.
(The PV side of mode, stringify and prefix: scenarios/pv.)"""

import hashlib
import os
import re
import shutil

import pytest

from harness import servers
from harness.ops import call
from harness.servers import Memcached

API = os.path.join(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))), "api")


# own (tests/e2e/conftest.py) starts Kamailio with SCENARIO_DIR's scripts.
SCENARIO_DIR = API


# native: the mc_<name> functions (PVs: scenarios/pv test_prefix_param_namespaces_keys)
def test_prefix_applies_to_every_kemi_function(engine, own, memcached, mc,
                                               key):
    k = own(memcached.port, prefix="tenant1:", expire=0)
    sip = k.client()
    p = "tenant1:" + key
    assert call(sip, "sets", key, "v").value == 1
    assert mc.get(p) == (b"v", 1) and mc.get(key) is None
    assert (call(sip, "get", key).value, call(sip, "exists", key).value) \
        == ("v", 1)
    assert call(sip, "append", key, "w").value == 1
    assert mc.get(p) == (b"vw", 1)
    assert call(sip, "add", key + "a", "x", exp=0).value == 1
    assert mc.get(p + "a") == (b"x", 1)
    assert call(sip, "incx", key + "n", delta=2, exp=100).value == 2
    assert call(sip, "inc", key + "n", delta=3).value == 5
    assert mc.get(p + "n") == (b"5", 0)
    assert call(sip, "touch", key + "n", exp=100).value == 1
    assert 90 <= mc.ttl(p + "n") <= 100
    assert call(sip, "delete", key).value == 1
    assert mc.get(p) is None
    # a long key is hashed together with its prefix (doc 8.1)
    long_key = key + "-" + "x" * 300
    assert call(sip, "sets", long_key, "long").value == 1
    assert mc.get(hashlib.md5(("tenant1:" + long_key).encode())
                  .hexdigest()) == (b"long", 1)
    sip.close()


# native: the mc_<name> functions, which ignore mode and stringify as KEMI does
def test_mode_and_stringify_leave_kemi_and_rpc_alone(engine, own, memcached,
                                                     mc, key):
    """mode=1 makes a PV assignment an add; sets stays a set, and the RPC
    set too. stringify=1 makes PV reads strings; KEMI reads stay typed by
    the flags."""
    k = own(memcached.port, mode=1, stringify=1, expire=0)
    sip = k.client()
    mc.set_str(key, "first")
    assert call(sip, "sets", key, "second").value == 1
    assert mc.get(key) == (b"second", 1)
    assert call(sip, "seti", key, 7).value == 1
    assert mc.get(key) == (b"7", 0)
    r = call(sip, "get", key)
    assert (r.type, r.value) == ("int", 7), r
    rc, out = k.rpc("memcached.set", key, "third")
    assert (rc, out.strip()) == (0, "stored"), out
    assert mc.get(key) == (b"third", 1)
    mc.set_int(key + "i", 42)
    rc, out = k.rpc("memcached.get", key + "i")
    assert rc == 0 and "value: 42" in out and "flags: 0" in out, out
    sip.close()


def test_small_max_value_size(engine, own, memcached, mc, key):
    """max_value_size=100: 100 bytes are stored, 101 refused before I/O
    with an ERROR naming the key, from scripts, PVs and RPC alike."""
    k = own(memcached.port, max_value_size=100, expire=0)
    sip = k.client()
    r = call(sip, "sets", key, body=b"a" * 100)
    assert (r.value, r.status) == (1, 1), r
    assert mc.get(key) == (b"a" * 100, 1)
    r = call(sip, "sets", key + "-big", body=b"b" * 101)
    assert (r.value, r.status) == (-2, -2), r
    assert mc.get(key + "-big") is None
    rc, out = k.rpc("memcached.set", key + "-rpc", "c" * 101)
    assert (f"error: 400 - set '{key}-rpc': value of 101 bytes is above the "
            "limit of 100") in out, out
    assert mc.get(key + "-rpc") is None
    log = k.log_text()
    assert (f"set '{key}-big': value of 101 bytes is above the limit of 100"
            in log), k.log_tail()
    sip.close()


def test_servers_as_libmemcached_option_string(engine, own, memcached, mc,
                                               key):
    """servers given as a libmemcached configuration string: loaded into
    Kamailio, used by every engine, and never echoed in the log."""
    spec = (f"--SERVER=127.0.0.1:{memcached.port} "
            "--DISTRIBUTION=consistent")
    k = own(None, servers=spec, expire=0)
    sip = k.client()
    r = call(sip, "sets", key, "via-option-string")
    assert r.value == 1, r
    assert mc.get(key) == (b"via-option-string", 1)
    assert call(sip, "get", key).value == "via-option-string"
    sip.close()
    assert "--SERVER" not in k.log_text(), k.log_tail()


def test_ipv6_server(engine, own, workdir, key):
    """A memcached on the IPv6 loopback, given as [::1]:port."""
    m = Memcached(workdir, extra=["-l", "::1"]).start()
    try:
        k = own(None, servers=f"[::1]:{m.port}", expire=0)
        sip = k.client()
        r = call(sip, "sets", key, "over-ipv6")
        assert r.value == 1, r
        assert call(sip, "get", key).value == "over-ipv6"
        sip.close()
        c = m.client()  # the same server over IPv4: the data is there
        assert c.get(key) == (b"over-ipv6", 1)
        c.close()
        rc, out = k.rpc("memcached.servers")
        assert rc == 0 and "::1" in out, out
    finally:
        m.stop()


SASL_USER, SASL_PASSWORD = "kam", "Pw-9f3e1c-never-logged"


@pytest.fixture
def sasl_pair(workdir):
    """Two memcached -S sharing one sasldb."""
    d = servers.make_sasl_dir(workdir, SASL_USER, SASL_PASSWORD)
    ms = []
    try:
        for _ in range(2):
            ms.append(Memcached(workdir, sasl_dir=d).start())
        yield ms
    finally:
        for m in ms:
            m.stop()
        shutil.rmtree(d, ignore_errors=True)


def test_sasl_two_servers_every_operation(engine, own, sasl_pair, key):
    """SASL over two servers: every operation of the engine works on keys
    spread over both, and the password appears in no log line, also when a
    server goes away and errors are logged."""
    a, b = sasl_pair
    k = own(None, servers=f"127.0.0.1:{a.port},127.0.0.1:{b.port}",
            binary=1, username=SASL_USER, password=SASL_PASSWORD, expire=0)
    sip = k.client()
    keys = [f"{key}-{i}" for i in range(12)]
    for kk in keys:
        r = call(sip, "sets", kk, "v-" + kk)
        assert r.value == 1, r
        assert call(sip, "get", kk).value == "v-" + kk
        r = call(sip, "inc", kk + "-n", delta=2)
        assert r.type == "nil", r  # inc does not create; incx does
        assert call(sip, "incx", kk + "-n", delta=2, exp=100).value == 2
        r = call(sip, "inc", kk + "-n", delta=3)
        assert (r.type, r.value) == ("int", 5), r
        r = call(sip, "dec", kk + "-n", delta=1)
        assert (r.type, r.value) == ("int", 4), r
        r = call(sip, "touch", kk, exp=100)
        assert r.value == 1, r
        assert call(sip, "add", kk, "x", exp=0).value == -1
        assert call(sip, "append", kk, "+").value == 1
        assert call(sip, "get", kk).value == "v-" + kk + "+"
        r = call(sip, "delete", kk)
        assert call(sip, "get", kk).type == "nil"
    rc, out = k.rpc("memcached.stats")
    assert rc == 0, out
    # the counters live on both servers: the keys were spread
    items = [int(x) for x in re.findall(
        r"curr_items: (\d+)", out)]
    assert len(items) == 2 and all(n > 0 for n in items), out
    b.stop()
    for kk in keys:
        call(sip, "get", kk + "-n")
    sip.close()
    rc, out = k.rpc("memcached.servers")
    assert SASL_PASSWORD not in out, out
    log = k.log_text()
    assert "ERROR" in log  # the outage was logged...
    assert SASL_PASSWORD not in log  # ...without the password
