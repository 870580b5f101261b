"""Fewer round trips per SIP request, through real Kamailio and real SIP on
every engine (native: the mc_<name> cfg twins): quiet writes (setsq, setiq,
setxsq, setxiq: return 2, "queued") and the multi-get (mget + mval). Runs
the api scenario's scripts (their X-Op convention), with its own Kamailio."""

import os
import re

import pytest

from harness.ops import call
from harness.servers import check_prerequisites, start_kamailio, wait_until

HERE = os.path.dirname(os.path.abspath(__file__))


@pytest.fixture(scope="module")
def kamailio(workdir, engine, memcached):
    """The api scenario's Kamailio, plus kex for stats.get_statistics."""
    check_prerequisites(engine)
    k = start_kamailio(workdir, engine, HERE, memcached.port,
                       name=f"roundtrips-{engine}", extra_modules=("kex.so",))
    yield k
    alive = k.alive()
    k.stop()
    if not alive:
        pytest.fail(f"kamailio ({engine}) died during the scenario; log:\n"
                    + k.log_tail())


def stats(kamailio):
    """{name: int} of the memcached statistics (summed over processes)."""
    rc, out = kamailio.rpc("stats.get_statistics", "memcached:")
    assert rc == 0 and "memcached:errors" in out, out
    return {m.group(1): int(m.group(2))
            for m in re.finditer(r"memcached:(\w+) = (\d+)", out)}


def assert_queued(r):
    assert (r.type, r.value, r.status) == ("int", 2, 2), r


def recovered(sip, key):
    """After memcached restarted: a worker that did not see the outage still
    holds its old connection, and its first call fails on it (then it
    reconnects). Wait until calls succeed on every worker, so the next test
    starts clean."""
    def all_ok():
        return all(call(sip, "sets", key + "-back", "v").value == 1
                   for _ in range(4))
    wait_until(all_ok, 30, "every worker to reconnect")


def landed(mc, key):
    """What another client reads for key once the quiet write has landed:
    it was sent before the function returned, but memcached may apply it
    a moment after another connection's get (only the module's own
    connection is ordered)."""
    wait_until(lambda: mc.get(key) is not None, 5, f"{key} to land")
    return mc.get(key)


# --- quiet writes ---------------------------------------------------------

def test_setsq_is_queued_and_stored_as_string(engine, sip, mc, key):
    assert_queued(call(sip, "setsq", key, "hello world"))
    data, flags = landed(mc, key)
    assert (data, flags & 1) == (b"hello world", 1)


def test_setiq_stores_integer_flag(engine, sip, mc, key):
    assert_queued(call(sip, "setiq", key, "42"))
    data, flags = landed(mc, key)
    assert (data, flags & 1) == (b"42", 0)
    r = call(sip, "get", key)
    assert (r.type, r.value) == ("int", 42), r


def test_setxsq_setxiq_set_the_expiry(engine, sip, mc, key):
    assert_queued(call(sip, "setxsq", key, "v", exp=300))
    landed(mc, key)
    assert 280 <= mc.ttl(key) <= 300
    assert_queued(call(sip, "setxiq", key + "i", "7", exp=200))
    landed(mc, key + "i")
    assert 180 <= mc.ttl(key + "i") <= 200
    assert mc.get(key + "i")[0] == b"7"


def test_quiet_write_then_read_in_the_same_request(engine, sip, mc, key):
    """The read right after a quiet write, in the same request, sees it,
    request after request (both workers, values changing each time)."""
    for i in range(12):
        val = f"value {i} of {key}"
        r = call(sip, "setsq-get", key, val)
        assert (r.type, r.value, r.status) == ("str", val, 1), r


def test_setxsq_negative_expiry_is_refused(engine, sip, mc, key):
    r = call(sip, "setxsq", key, "v", exp=-1)
    assert (r.type, r.value, r.status) == ("int", -2, -2), r
    assert mc.get(key) is None


def test_quiet_write_counted_as_queued(engine, sip, mc, key, kamailio):
    before = stats(kamailio).get("queued", 0)
    for i in range(4):
        assert_queued(call(sip, "setsq", f"{key}{i}", "v"))
    assert stats(kamailio)["queued"] - before == 4


def test_quiet_write_to_dead_server_is_error_counted_and_logged(
        engine, sip, memcached, key, kamailio):
    """memcached stopped: a quiet write is never silently lost. Either its
    send fails (connection refused): -2, memcached:errors, an ERROR naming
    the key; or the kernel took it on the connection the server had closed
    ("queued", 2): the end of the request confirms it, finds the connection
    dead, counts it in memcached:quiet_lost and logs an ERROR naming the
    key and the server. Log lines are rate-limited per process."""
    before = stats(kamailio)
    memcached.stop()
    try:
        codes = [call(sip, "setsq", f"{key}-{i}", "v").value for i in range(4)]
    finally:
        memcached.start()
        recovered(sip, key)
    assert set(codes) <= {2, -2}, codes
    queued, failed = codes.count(2), codes.count(-2)
    # the confirmation runs after the reply was sent
    wait_until(lambda: stats(kamailio).get("quiet_lost", 0)
               - before.get("quiet_lost", 0) == queued
               and stats(kamailio)["errors"] - before["errors"]
               >= failed + queued, 10, "the losses to be counted")
    after = stats(kamailio)
    assert after["queued"] - before["queued"] == queued
    # log lines show the first 48 bytes of a key
    log = [ln for ln in kamailio.log_text().splitlines()
           if "ERROR" in ln and key[:40] in ln]
    assert log, kamailio.log_tail()
    assert all(f"127.0.0.1:{memcached.port}" in ln for ln in log), log
    if queued:
        assert any("quiet write(s) to" in ln and "lost" in ln for ln in log) \
            or failed, log


# --- multi-get ------------------------------------------------------------

def mget(sip, keys, sep=";", ask=None):
    """mget of keys joined by sep, then mval of each key of ask (default:
    keys): (mget's return code, [(type, status, value text)])."""
    ask = keys if ask is None else ask
    h = [("X-Keys", sep.join(keys)), ("X-Sep", sep)]
    h += [("X-K", k) for k in ask]
    r = call(sip, "mget", headers=h)
    vals = []
    for line in r.resp.all("X-V"):
        # an empty value: the header's trailing space is trimmed
        i, t, st, v = (line.split(" ", 3) + [""])[:4]
        vals.append((t, int(st), v))
    assert len(vals) == len(ask), r.resp.raw
    return r.value, vals


def test_mget_hits_misses_types(engine, sip, mc, key):
    mc.set_str(key + "a", "alpha")
    mc.set_int(key + "n", 42)
    mc.set_str(key + "e", "")
    rc, vals = mget(sip, [key + "a", key + "missing", key + "n", key + "e"])
    assert rc == 1
    assert vals == [("str", 1, "alpha"), ("nil", -1, "nil"),
                    ("int", 1, "42"), ("str", 1, "")]


def test_mget_maps_hashed_keys_back(engine, sip, mc, key):
    """A key of 250 bytes or more and a key with a space go to memcached
    hashed (MD5); the answers come back under the script's keys."""
    long_key = key + "L" * 300
    spaced = key + " with space"
    assert call(sip, "sets", long_key, "long one").value == 1
    assert call(sip, "sets", spaced, "spaced one").value == 1
    rc, vals = mget(sip, [spaced, key + "x", long_key], sep=",")
    assert rc == 1
    assert vals == [("str", 1, "spaced one"), ("nil", -1, "nil"),
                    ("str", 1, "long one")]


def test_mget_separator_of_several_bytes(engine, sip, mc, key):
    mc.set_str(key + "1", "one")
    mc.set_str(key + "2", "two")
    rc, vals = mget(sip, [key + "1", key + "2"], sep="<|>")
    assert rc == 1 and vals == [("str", 1, "one"), ("str", 1, "two")]


def test_mget_bad_keys_are_refused(engine, sip, mc, key, kamailio):
    """An empty key (two separators in a row), an empty separator or more
    than 32 keys: -2 before any I/O, logged; mval then finds nothing."""
    rc, vals = mget(sip, [key, "", key + "b"], ask=[key])
    assert rc == -2 and vals == [("nil", -2, "nil")]
    rc, vals = mget(sip, [key + str(i) for i in range(33)], ask=[key + "0"])
    assert rc == -2 and vals == [("nil", -2, "nil")]
    assert "more than 32 keys" in kamailio.log_text()
    r = call(sip, "mget", headers=[("X-Keys", key), ("X-Sep", "")])
    assert r.value == -2, r
    assert "empty separator" in kamailio.log_text()


def test_mval_of_key_not_in_mget_is_error(engine, sip, mc, key):
    mc.set_str(key, "v")
    rc, vals = mget(sip, [key], ask=[key, key + "other"])
    assert rc == 1
    assert vals == [("str", 1, "v"), ("nil", -2, "nil")]


def test_mget_results_do_not_outlive_the_request(engine, sip, mc, key):
    """A value read by an mget is never handed out in a later request."""
    mc.set_str(key, "v")
    for _ in range(4):  # each worker ran an mget of key
        assert mget(sip, [key])[1] == [("str", 1, "v")]
    for _ in range(4):
        r = call(sip, "mval", key)
        assert (r.type, r.status) == ("nil", -2), r


def test_mget_while_down_is_error_not_miss(engine, sip, memcached, key):
    memcached.stop()
    try:
        for _ in range(4):
            rc, vals = mget(sip, [key, key + "b"])
            assert rc == -2 and vals == [("nil", -2, "nil")] * 2
    finally:
        memcached.start()
        recovered(sip, key)


def test_mget_counts_hits_and_misses(engine, sip, mc, key, kamailio):
    mc.set_str(key + "a", "1")
    before = stats(kamailio)
    assert mget(sip, [key + "a", key + "b", key + "c"])[0] == 1
    after = stats(kamailio)
    assert after["hits"] - before["hits"] == 1
    assert after["misses"] - before["misses"] == 2
