"""scripts/examples/calllimit: concurrent calls per account, +1 on INVITE,
-1 on BYE/CANCEL, across servers."""

import os

EXAMPLE = "calllimit"
LIMIT, TTL = 5, 7200


def invite(sip, acc, ci, **kw):
    return sip.send("INVITE", from_user=acc, call_id=ci, **kw)


def bye(sip, acc, ci, method="BYE"):
    return sip.send(method, from_user=acc, call_id=ci)


def count(mc, acc):
    v = mc.get("cl:acc:" + acc)
    return None if v is None else int(v[0].strip())


def test_calllimit_limit_across_servers(engine, sips, mc, key):
    a, b = sips
    acc = key
    calls = [f"{key}-call-{i}" for i in range(LIMIT + 1)]
    for i, ci in enumerate(calls[:LIMIT]):
        r = invite(a if i % 2 else b, acc, ci)
        assert r.code == 200, (i, r)
    assert count(mc, acc) == LIMIT
    assert mc.get("cl:call:" + calls[0]) == (acc.encode(), 1)
    assert TTL - 10 <= mc.ttl("cl:acc:" + acc) <= TTL
    r = invite(a, acc, calls[LIMIT])
    assert (r.code, r.reason) == (486, "Too Many Calls"), r
    assert count(mc, acc) == LIMIT
    assert mc.get("cl:call:" + calls[LIMIT]) is None
    # one call ends through the other server: a slot frees up
    assert bye(b, acc, calls[0]).code == 200
    assert count(mc, acc) == LIMIT - 1
    assert mc.get("cl:call:" + calls[0]) is None
    assert invite(a, acc, calls[LIMIT]).code == 200
    assert count(mc, acc) == LIMIT


def test_calllimit_invite_retransmission_counted_once(engine, sips, mc, key):
    a, b = sips
    ci = key + "-c"
    for sip in (a, a, b):
        assert invite(sip, key, ci, cseq=1).code == 200
    assert count(mc, key) == 1


def test_calllimit_bye_twice_gives_back_once(engine, sips, mc, key):
    a, b = sips
    invite(a, key, key + "-1")
    invite(a, key, key + "-2")
    assert count(mc, key) == 2
    assert bye(a, key, key + "-1").code == 200
    assert bye(b, key, key + "-1").code == 200
    assert count(mc, key) == 1


def test_calllimit_cancel_gives_back(engine, sips, mc, key):
    a, b = sips
    invite(a, key, key + "-1")
    assert bye(b, key, key + "-1", method="CANCEL").code == 200
    assert count(mc, key) == 0


def test_calllimit_accounts_are_independent(engine, sips, mc, key):
    a, _ = sips
    for i in range(LIMIT):
        invite(a, key + "x", f"{key}-x{i}")
    assert invite(a, key + "x", key + "-x-over").code == 486
    assert invite(a, key + "y", key + "-y0").code == 200


def test_calllimit_fails_open_when_memcached_down(engine, sips, memcached,
                                                  key):
    a, b = sips
    memcached.stop()
    try:
        for i in range(LIMIT + 2):
            r = invite(a if i % 2 else b, key, f"{key}-{i}-{os.getpid()}")
            assert r.code == 200, (i, r)
        assert bye(a, key, f"{key}-0-{os.getpid()}").code == 200
    finally:
        memcached.start()
