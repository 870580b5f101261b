"""Only a "=>" written in the config's PV name sets the expiry.
The shipped module, and this one before, split the printed name: with
`$mct(k:$hdr(X))` and a header `v=>0` the key became `k:v` with expiry 0.
A "=>" that comes from a SIP message is part of the key."""

import pytest


@pytest.fixture(scope="module", params=["native"])
def engine(request):
    return request.param


@pytest.fixture(scope="module")
def modparams():
    return {"expire": 300}


def op(sip, name, **hdrs):
    h = [("X-Op", name)] + [("X-" + k.upper(), str(v))
                            for k, v in hdrs.items()]
    r = sip.send("OPTIONS", headers=h)
    assert r.code == 200, r
    return r


def test_arrow_from_a_header_is_part_of_the_key(engine, sip, mc, key):
    v = key + "=>0"
    op(sip, "hdr-key", v=v)
    assert mc.get("k:" + v) == (b"from-header", 1)
    assert mc.get("k:" + key) is None
    assert 290 <= mc.ttl("k:" + v) <= 300  # the expire param, not 0
    r = op(sip, "hdr-get", v=v)
    assert r.get("X-Result") == "from-header", r


def test_arrow_with_text_from_a_header_is_no_error(engine, sip, mc, key):
    """'=>abc' from a message used to be a bad expiry: the write failed."""
    v = key + "=>abc"
    op(sip, "hdr-key", v=v)
    assert mc.get("k:" + v) == (b"from-header", 1)


def test_arrow_from_a_variable_is_part_of_the_key(engine, sip, mc, key):
    v = key + "=>5"
    op(sip, "var-key", v=v)
    assert mc.get(v) == (b"from-var", 1)
    assert mc.get(key) is None


def test_arrow_in_the_config_still_sets_the_expiry(engine, sip, mc, key):
    op(sip, "hdr-key-exp", v=key, t=120)
    assert mc.get("k:" + key) == (b"with-expiry", 1)
    assert 110 <= mc.ttl("k:" + key) <= 120


def test_counter_key_from_a_header_keeps_its_arrow(engine, sip, mc, key):
    v = key + "=>1"
    op(sip, "hdr-inc", v=v)
    op(sip, "hdr-inc", v=v)
    assert mc.get("c:" + v) == (b"2", 0)
    assert mc.get("c:" + key) is None
