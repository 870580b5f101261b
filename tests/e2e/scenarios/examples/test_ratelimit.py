"""scripts/examples/ratelimit: requests per user per fixed window, counted
across servers."""

EXAMPLE = "ratelimit"
NATIVE_MODPARAMS = {}
LIMIT, WINDOW = 10, 60


def msg(sip, user):
    return sip.send("MESSAGE", from_user=user, body=b"hi")


def test_ratelimit_counts_across_servers(engine, sips, mc, key):
    a, b = sips
    user = key
    for i in range(LIMIT):
        r = msg(a if i % 2 else b, user)
        assert r.code == 200, (i, r)
    for sip in (a, b):
        r = msg(sip, user)
        assert (r.code, r.reason) == (503, "Rate Limit Exceeded"), r
        assert r["Retry-After"] == str(WINDOW)
    assert mc.get("rl:" + user) == (str(LIMIT + 2).encode(), 0)
    assert WINDOW - 10 <= mc.ttl("rl:" + user) <= WINDOW


def test_ratelimit_users_are_independent(engine, sips, mc, key):
    a, _ = sips
    for i in range(LIMIT + 1):
        msg(a, key + "-x")
    assert msg(a, key + "-x").code == 503
    assert msg(a, key + "-y").code == 200


def test_ratelimit_new_window_after_expiry(engine, sips, mc, key):
    a, b = sips
    for _ in range(LIMIT + 1):
        msg(a, key)
    assert msg(b, key).code == 503
    mc.delete("rl:" + key)  # what the window's expiry does
    assert msg(b, key).code == 200
    assert mc.get("rl:" + key) == (b"1", 0)
    assert WINDOW - 10 <= mc.ttl("rl:" + key) <= WINDOW


def test_ratelimit_concurrent_exact(engine, pair, mc, key):
    """Many requests racing through both servers: exactly LIMIT pass
    (KEMI incx is exact; native may refuse early, never admit more)."""
    import threading
    codes, lock = [], threading.Lock()

    def worker(k):
        sip = k.client()
        try:
            for _ in range(8):
                r = msg(sip, key)
                with lock:
                    codes.append(r.code)
        finally:
            sip.close()

    ts = [threading.Thread(target=worker, args=(k,)) for k in pair
          for _ in range(2)]
    for t in ts:
        t.start()
    for t in ts:
        t.join(60)
    assert len(codes) == 32
    assert mc.get("rl:" + key) == (b"32", 0)
    if engine == "native":
        # $mcinc then a $mct read are two operations: a request whose worker
        # is descheduled between them reads the increments of any number
        # of later requests and is refused although its own increment was
        # within the limit. So native never admits more than LIMIT (the
        # promise), and how many fewer depends on scheduling, not on the
        # design: at least the first read (at most 4 increments, one per
        # client thread, precede it) is admitted.
        assert 1 <= codes.count(200) <= LIMIT, codes
    else:
        assert codes.count(200) == LIMIT, codes


def test_ratelimit_fails_open_when_memcached_down(engine, sips, memcached,
                                                  key):
    a, b = sips
    memcached.stop()
    try:
        for i in range(LIMIT + 3):
            r = msg(a if i % 2 else b, key)
            assert r.code == 200, (i, r)
    finally:
        memcached.start()
