"""scripts/examples/regcache: REGISTER caches the contact with its expiry;
INVITE/MESSAGE through any server redirect to it."""

from harness.servers import wait_until

EXAMPLE = "regcache"
MAX_EXPIRES = 3600


def register(sip, user, contact, expires):
    h = [("Contact", contact)]
    if expires is not None:
        h.append(("Expires", str(expires)))
    return sip.send("REGISTER", headers=h, from_user=user, to_user=user,
                    ruri=f"sip:{sip.host}:{sip.port}")


def lookup(sip, user, method="INVITE"):
    return sip.send(method, ruri=f"sip:{user}@{sip.host}:{sip.port}",
                    to_user=user)


def test_regcache_register_then_redirect_from_other_server(engine, sips, mc,
                                                           key):
    a, b = sips
    contact = f"<sip:{key}@192.0.2.10:5060>"
    r = register(a, key, contact, 60)
    assert r.code == 200, r
    assert r["Contact"] == contact + ";expires=60"
    assert mc.get("reg:" + key) == (contact.encode(), 1)
    assert 50 <= mc.ttl("reg:" + key) <= 60
    for method in ("INVITE", "MESSAGE"):
        r = lookup(b, key, method)
        assert (r.code, r["Contact"]) == (302, contact), r


def test_regcache_unknown_user_404(engine, sips, mc, key):
    assert lookup(sips[0], key).code == 404


def test_regcache_unregister(engine, sips, mc, key):
    a, b = sips
    register(a, key, f"<sip:{key}@192.0.2.10>", 60)
    assert register(b, key, "*", 0).code == 200
    assert mc.get("reg:" + key) is None
    assert lookup(a, key).code == 404
    register(a, key, f"<sip:{key}@192.0.2.10>", 60)
    assert register(b, key, f"<sip:{key}@192.0.2.10>", 0).code == 200
    assert mc.get("reg:" + key) is None


def test_regcache_registration_expires(engine, sips, mc, key):
    a, b = sips
    # 3 s: memcached expires at a tick of its 1 s clock, so 1 s could lapse
    # before the lookup; the lapse is waited for far past the expiry
    register(a, key, f"<sip:{key}@192.0.2.10>", 3)
    assert lookup(b, key).code == 302
    assert 1 <= mc.ttl("reg:" + key) <= 3
    wait_until(lambda: lookup(b, key).code == 404, 15,
               "the registration to lapse")


def test_regcache_expires_capped(engine, sips, mc, key):
    a, _ = sips
    r = register(a, key, f"<sip:{key}@192.0.2.10>", 999999)
    assert r["Contact"].endswith(f";expires={MAX_EXPIRES}")
    assert MAX_EXPIRES - 10 <= mc.ttl("reg:" + key) <= MAX_EXPIRES
    r = register(a, key + "d", f"<sip:{key}@192.0.2.10>", None)
    assert MAX_EXPIRES - 10 <= mc.ttl("reg:" + key + "d") <= MAX_EXPIRES


def test_regcache_memcached_down(engine, sips, memcached, key):
    a, b = sips
    memcached.stop()
    try:
        r = register(a, key, f"<sip:{key}@192.0.2.10>", 60)
        assert (r.code, r.reason) == (500, "Registrar Unavailable"), r
        r = lookup(b, key)
        # an outage is not a miss, on every engine
        assert (r.code, r.reason) == (500, "Location Service Unavailable"), r
    finally:
        memcached.start()
