"""The drop-in PVs in native kamailio.cfg: $mct(key), $mct(key=>expiry),
$mcinc, $mcdec, $mctex, $null deletes, keys built from other PVs, values
larger than Kamailio's 8 KB PV buffer, integer reads that stay valid."""

import hashlib

import pytest

from harness.servers import wait_until


@pytest.fixture(scope="module", params=["native"])
def engine(request):
    return request.param


@pytest.fixture(scope="module")
def modparams():
    return {"expire": 0}


def op(sip, name, from_user="alice", body=None, **hdrs):
    h = [("X-Op", name)] + [
        ("X-" + k.capitalize().replace("2", "2"), str(v))
        for k, v in hdrs.items()]
    r = sip.send("MESSAGE" if body is not None else "OPTIONS", headers=h,
                 body=body or b"", from_user=from_user)
    assert r.code == 200, r
    return r


def test_key_built_from_from_user(engine, sip, mc, key):
    user = key.replace("e2e-", "u")
    op(sip, "user-set", from_user=user, val="hello")
    assert mc.get("user_" + user) == (b"hello", 1)
    assert op(sip, "user-get", from_user=user)["X-Result"] == "hello"
    op(sip, "user-del", from_user=user)
    assert mc.get("user_" + user) is None
    assert op(sip, "user-get", from_user=user)["X-Result"] == "<null>"


def test_assigning_null_deletes(engine, sip, mc, key, kamailio):
    mc.set_str(key, "x")
    op(sip, "null", key=key)
    assert mc.get(key) is None
    # deleting a missing key is a miss: no error logged (the shipped module
    # logs one), nothing created; an error on the same key is seen by the
    # same filter (the key is short enough to be quoted whole)
    k = "null-" + key[-6:]
    log_before = len(kamailio.log_text())
    op(sip, "null", key=k)
    assert mc.get(k) is None
    mc.set_str(k, "abc")
    op(sip, "inc", key=k, delta=1)  # an error: logged
    errors = [line for line in kamailio.log_text()[log_before:].splitlines()
              if "ERROR" in line and k in line]
    assert len(errors) == 1 and "inc" in errors[0], errors


def test_key_arrow_expiry(engine, sip, mc, key):
    op(sip, "exp-set", key=key, exp=120, val="v")
    assert mc.get(key) == (b"v", 1)
    assert 110 <= mc.ttl(key) <= 120
    # memcached expires an item at a tick of its 1 s clock: 3 s leave 2 s
    # for the read back, and the expiry is waited for without a deadline
    # that could race it
    op(sip, "exp-seti", key=key + "i", exp=3, val=5)
    assert mc.get(key + "i") == (b"5", 0)
    assert 1 <= mc.ttl(key + "i") <= 3
    wait_until(lambda: mc.get(key + "i") is None, 15, "the key to expire")


def test_expire_param_zero_means_no_expiry(engine, sip, mc, key):
    op(sip, "user-set", from_user=key, val="v")
    assert mc.ttl("user_" + key) == -1


def test_mctex_touches(engine, sip, mc, key):
    mc.set_str(key, "v", exptime=5000)
    op(sip, "tex", key=key, exp=60)
    assert 50 <= mc.ttl(key) <= 60
    assert mc.get(key) == (b"v", 1)


def test_mcinc_mcdec(engine, sip, mc, key):
    mc.set_int(key, 10)
    assert op(sip, "inc", key=key, delta=5)["X-Result"] == "15"
    assert op(sip, "dec", key=key, delta=20)["X-Result"] == "0"
    assert op(sip, "inc-read", key=key)["X-Result"] == "0"
    assert mc.get(key)[0].strip() == b"0"


def test_value_larger_than_8k(engine, sip, mc, key):
    value = bytes((ord("a") + i % 26) for i in range(9000))
    op(sip, "body-set", key=key, body=value)
    assert mc.get(key) == (value, 1)
    r = op(sip, "body-get", key=key)
    assert r["X-Len"] == "9000"
    assert r["X-Md5"] == hashlib.md5(value).hexdigest()


def test_value_of_60k_round_trips(engine, sip, mc, key):
    value = b"0123456789abcdef" * 3750
    op(sip, "body-set", key=key, body=value)
    assert mc.get(key) == (value, 1)
    r = op(sip, "body-get", key=key)
    assert r["X-Len"] == str(len(value))
    assert r["X-Md5"] == hashlib.md5(value).hexdigest()


def test_two_integer_reads_in_one_expression_stay_valid(engine, sip, mc,
                                                        key):
    """The shipped module hands back freed memory for integers."""
    mc.set_int(key + "a", 11111)
    mc.set_int(key + "b", 22222)
    for _ in range(5):
        r = op(sip, "two-get", key=key + "a", key2=key + "b")
        assert r["X-Result"] == "11111 22222"


@pytest.mark.parametrize("sizes", [(10, 20), (9000, 20), (20, 9000),
                                   (9000, 12000)])
def test_two_reads_in_one_expression_stay_valid(engine, sip, mc, key,
                                                sizes):
    a = b"A" * sizes[0]
    b = b"B" * sizes[1]
    mc.set_str(key + "a", a)
    mc.set_str(key + "b", b)
    r = op(sip, "concat", key=key + "a", key2=key + "b")
    assert r["X-Len"] == str(len(a + b))
    assert r["X-Md5"] == hashlib.md5(a + b).hexdigest(), sizes


def test_integer_read_in_arithmetic(engine, sip, mc, key):
    mc.set_int(key, 41)
    assert op(sip, "int-add", key=key)["X-Result"] == "42"


# the api scenario's native cfg runs the PV form of an op with this header
PV = [("X-Style", "pv")]


@pytest.fixture
def api_native(workdir, memcached):
    """start(**modparams): the api scenario's native cfg in its own
    Kamailio, stopped after the test (its PV form: X-Style: pv)."""
    import os
    from harness import servers
    api = os.path.join(os.path.dirname(os.path.dirname(
        os.path.abspath(__file__))), "api")
    started = []

    def start(**mp):
        servers.check_prerequisites("native")
        k = servers.start_kamailio(workdir, "native", api, memcached.port,
                                   name=f"pv-params-{len(started)}",
                                   modparams=mp)
        started.append(k)
        return k

    yield start
    for k in started:
        assert k.alive(), k.log_tail()
        k.stop()


def test_stringify_param_reads_integers_as_strings(engine, api_native, mc,
                                                   key):
    from harness.ops import call
    mc.set_int(key, 42)
    k = api_native(stringify=1, expire=0)
    sip = k.client()
    r = call(sip, "get", key, headers=PV)
    assert (r.type, r.value) == ("str", "42"), r
    sip.close()


def test_mode_param_add_does_not_overwrite(engine, api_native, mc, key):
    from harness.ops import call
    mc.set_str(key, "first")
    k = api_native(mode=1, expire=0)
    sip = k.client()
    call(sip, "sets", key, "second", headers=PV)
    assert mc.get(key) == (b"first", 1)
    call(sip, "sets", key + "-new", "created", headers=PV)
    assert mc.get(key + "-new") == (b"created", 1)
    sip.close()


def test_prefix_param_namespaces_keys(engine, api_native, mc, key):
    from harness.ops import call
    k = api_native(prefix="tenant1:", expire=0)
    sip = k.client()
    call(sip, "sets", key, "v", headers=PV)
    assert mc.get("tenant1:" + key) == (b"v", 1)
    assert mc.get(key) is None
    assert call(sip, "get", key, headers=PV).value == "v"
    sip.close()


def test_pv_writes_while_memcached_down(engine, sip, memcached, mc, key,
                                        kamailio):
    """Every PV write with memcached stopped: the assignment fails, the
    route goes on (each request is answered 200 by the rest of the route),
    reads give $null, the failure is logged, and writes work again once
    memcached is back."""
    log_before = len(kamailio.log_text())
    memcached.stop()
    try:
        for _ in range(2):  # both workers
            op(sip, "user-set", from_user=key, val="v")
            op(sip, "exp-set", key=key, exp=60, val="v")
            op(sip, "exp-seti", key=key, exp=60, val=5)
            op(sip, "body-set", key=key, body=b"x" * 9000)
            op(sip, "null", key=key)
            op(sip, "tex", key=key, exp=60)
            assert op(sip, "inc", key=key, delta=1)["X-Result"] == "<null>"
            assert op(sip, "dec", key=key, delta=1)["X-Result"] == "<null>"
            assert op(sip, "user-get", from_user=key)["X-Result"] == "<null>"
    finally:
        memcached.start()
    log = kamailio.log_text()[log_before:]
    assert "connection failure (connection refused) talking to" in log, \
        log[-3000:]
    c = memcached.client()
    wait_until(lambda: op(sip, "user-set", from_user=key, val="back")
               and c.get("user_" + key) == (b"back", 1), 30,
               "PV writes to work again")
    c.close()
