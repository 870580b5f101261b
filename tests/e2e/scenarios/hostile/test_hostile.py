"""Hostile input end to end: keys and values a remote party
controls, taken from SIP headers and bodies, through every engine (the api
scenario's scripts). For each: no crash, no hang, no command injected into
memcached (a sentinel key survives every attempt at flush_all), and the
documented result:

- a key with a space or a control character (CR, LF, NUL...) is sent as the
  hex MD5 of the key (mc_key.h), so it is stored and read back, never raw;
- keys of 250 bytes or more are sent as the MD5 of the trimmed key, shorter
  ones as they are;
- an empty key is bad input: -2 / nil, status -2;
- values are length-prefixed on the wire: any bytes are stored intact
  (engines permitting: app_python3 before 5.8 refuses a string with a
  NUL, since 5.8 passes it whole; app_jsdt cuts string parameters at the
  first NUL, so a JS key with a NUL is the key before it and collides with
  it, and a JS value ends at its first NUL; Lua and native cfg pass them);
- native cfg runs the same through the mc_<name> functions (a key or
  value passed as one variable has no size limit); the $mct PV name is
  printed into Kamailio's PV buffer (8 KB in 5.6, 32 KB since 5.8), so a
  longer one is refused by Kamailio before the module sees it
  (test_pv_name_beyond_pv_buffer);
- a value above max_value_size (1 MB by default) is refused: -2;
- inc on a non-number: nil, status -2; negative delta: nil, status -2;
- expiry 0 is never, up to 30 days is relative, above 30 days memcached
  reads a unix time (2592001 is in 1970: the item is gone at once), a
  negative expiry is -2.
"""

import hashlib
import os
import time

import pytest

from harness import servers
from harness.ops import call
from harness.servers import (PV_PRINT_BUFFER, python_passes_nul,
                             script_int_max)

PY_PASSES_NUL = python_passes_nul()

SCENARIO_DIR = os.path.join(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))), "api")
SENTINEL = "hostile-sentinel"
THIRTY_DAYS = 2592000


def md5(b):
    return hashlib.md5(b if isinstance(b, bytes) else b.encode()).hexdigest()


def wire(k):
    """The key the module sends (core/mc_key.h)."""
    b = k if isinstance(k, bytes) else k.encode()
    if len(b) >= 250:
        return md5(b.strip(b" \t\r\n\v\f"))
    if any(c <= 0x20 or c == 0x7f for c in b):
        return md5(b)
    return b.decode()


@pytest.fixture
def guard(engine, sip, mc, kamailio):
    """A sentinel key that any injected flush_all/delete would remove; after
    the test it must be there, and Kamailio must still serve a normal op."""
    mc.set_str(SENTINEL, "alive")
    yield
    assert mc.get(SENTINEL) == (b"alive", 1), "sentinel lost: injection"
    assert kamailio.alive(), kamailio.log_tail()
    k = "hostile-after-" + os.urandom(3).hex()
    assert call(sip, "sets", k, "ok").value in (1, "1")
    assert call(sip, "get", k).value == "ok"


def kemi(engine):
    return engine != "native"


@pytest.mark.parametrize("raw", [
    "a b", " lead", "tab\there", "x" * 10 + " " + "y" * 10,
])
def test_key_with_space_from_header(engine, sip, mc, key, guard, raw):
    k = key + raw
    call(sip, "sets", k, "v")
    assert mc.get(md5(k)) == (b"v", 1)
    assert call(sip, "get", k).value == "v"
    call(sip, "delete", k)
    assert mc.get(md5(k)) is None


@pytest.mark.parametrize("raw", [
    b"\r\nflush_all\r\n", b"k\r\nflush_all\r\nset x 0 0 1\r\nx",
    b"nul\x00byte", b"lf\nonly", b"del\x7f",
])
def test_key_with_control_chars_from_body(engine, sip, mc, key, guard, raw):
    k = key.encode() + raw
    r = call(sip, "sets", key_body=k, val="v", expect=None)
    if engine == "python" and b"\x00" in raw and not PY_PASSES_NUL:
        # app_python3 before 5.8 refuses strings with a NUL: a script
        # error, no call (since 5.8 the key arrives whole, as from Lua)
        assert r.code == 500, r
        return
    assert r.code == 200, r
    assert r.value == 1, r
    if engine == "jsdt" and b"\x00" in raw:
        # app_jsdt measures string params with strlen: the module is handed
        # the key cut at the NUL, so the write lands on that shorter key
        # (keys differing after a NUL collide, as doc/memcached.md says)
        cut = k.split(b"\x00")[0]
        assert mc.get(wire(k)) is None
        assert mc.get(wire(cut)) == (b"v", 1)
        r = call(sip, "get", cut.decode())
        assert (r.type, r.value) == ("str", "v"), r
        return
    assert mc.get(wire(k)) == (b"v", 1)
    r = call(sip, "get", key_body=k)
    assert (r.type, r.value) == ("str", "v"), r


@pytest.mark.parametrize("value", [
    b"\r\nflush_all\r\n", b"END\r\nVALUE x 0 1\r\n", b"a\x00b\x00c",
    b"\r\n", b" ",
])
def test_hostile_value_stored_intact(engine, sip, mc, key, guard, value):
    r = call(sip, "sets", key, body=value, expect=None)
    if engine == "python" and b"\x00" in value and not PY_PASSES_NUL:
        assert r.code == 500, r
        assert mc.get(key) is None
        return
    assert r.code == 200, r
    if engine == "jsdt" and b"\x00" in value:
        # app_jsdt measures string params with strlen: the module is handed
        # the value cut at its first NUL, and stores exactly that
        assert mc.get(key) == (value.split(b"\x00")[0], 1) == (b"a", 1)
        r = call(sip, "get", key)
        assert (r.type, r.value) == ("str", "a"), r
        return
    assert mc.get(key) == (value, 1)
    r = call(sip, "get", key, reply_body=True)
    assert r.type == "str", r
    if kemi(engine):
        assert r.resp.body == value
    else:
        assert r.resp["X-Md5"] == md5(value)


@pytest.mark.parametrize("n", [249, 250, 251, 10000, 40000])
def test_long_keys(engine, sip, mc, key, guard, n):
    k = (key + "-" + "k" * n)[:n]
    call(sip, "sets", k, "long")
    wire = k if n < 250 else md5(k.strip())
    assert mc.get(wire) == (b"long", 1)
    assert call(sip, "get", k).value == "long"
    assert call(sip, "exists", k).value == 1
    assert call(sip, "delete", k).value == 1


@pytest.mark.native_only
def test_pv_name_beyond_pv_buffer(engine, sip, mc, key, guard):
    """A $mct name is printed into Kamailio's PV buffer (8 KB in 5.6, 32 KB
    since 5.8): a longer one is refused before the module sees it; nothing
    stored, $null read."""
    n = PV_PRINT_BUFFER + 1000
    k = (key + "-" + "k" * n)[:n]
    pv = [("X-Style", "pv")]
    call(sip, "sets", k, "long", headers=pv)
    assert mc.get(md5(k.strip())) is None
    assert call(sip, "get", k, headers=pv).type == "nil"


def test_empty_key_is_bad_input(engine, sip, mc, guard, kamailio):
    log_before = len(kamailio.log_text())
    r = call(sip, "sets", "", "v", expect=None)
    assert r.code == 200, r
    assert (r.value, r.status) == (-2, -2), r
    r = call(sip, "get", "")
    assert (r.type, r.status) == ("nil", -2), r
    r = call(sip, "inc", "", delta=1)
    assert (r.type, r.status) == ("nil", -2), r
    # refused by the module, before any I/O, and said so ($mct() too)
    log = kamailio.log_text()[log_before:]
    assert "set: empty key (give a non-empty key)" in log, log
    assert "get: empty key (give a non-empty key)" in log, log


def test_value_of_2mb_refused(engine, sip, mc, key, guard):
    chunk = os.urandom(16384).hex().encode()  # 32 KB of hex
    r = call(sip, "sets", key, body=chunk, double=6)  # 2 MB
    assert (r.value, r.status) == (-2, -2), r
    assert mc.get(key) is None


def test_value_just_under_1mb_stored(engine, sip, mc, key, guard):
    chunk = b"v" * 60000
    r = call(sip, "sets", key, body=chunk, double=4)  # 960000 bytes
    assert (r.value, r.status) == (1, 1), r
    assert mc.get(key) == (chunk * 16, 1)


def test_inc_on_non_number(engine, sip, mc, key, guard):
    mc.set_int(key, "12abc")  # integer-flagged but not a number
    r = call(sip, "inc", key, delta=1)
    assert (r.type, r.status) == ("nil", -2), r
    r = call(sip, "get", key)
    assert (r.type, r.value) == ("str", "12abc"), r
    assert mc.get(key) == (b"12abc", 0)


@pytest.mark.parametrize("delta", [-1, -2147483648, 2147483647])
def test_extreme_deltas(engine, sip, mc, key, guard, delta):
    mc.set_int(key, 5)
    r = call(sip, "inc", key, delta=delta)
    if delta < 0:
        assert (r.type, r.status) == ("nil", -2), r
        assert mc.get(key) == (b"5", 0)
    elif 5 + delta > script_int_max(engine):
        # beyond the script's int (32-bit in 5.6): the digits as a string
        assert (r.type, r.value) == ("str", str(5 + delta)), r
        assert mc.get(key) == (str(5 + delta).encode(), 0)
    else:
        assert (r.type, r.value) == ("int", 5 + delta), r
        assert mc.get(key) == (str(5 + delta).encode(), 0)


# What each engine makes of 2**40 passed where KEMI takes a 32-bit int
# param (every version): app_lua casts to int (the delta wraps to 0),
# app_jsdt's duk_to_int clamps to INT32_MAX; app_python3 refuses the call
# before 5.8 (SystemError: a script error) and casts to int since (wraps to
# 0). Native's $(hdr(X-Delta){s.int}) is 0 on 5.6; since 5.7 it is the long
# 2**40, which mc_inc refuses as not a 32-bit number (-2). Never a crash.
LONG_INTS = servers.KAMAILIO_VERSION >= (5, 7, 0)
BEYOND_32BIT = {"lua51": ("int", 5), "lua54": ("int", 5),
                "jsdt": ("str", 5 + 2147483647),
                "python": ("int", 5) if PY_PASSES_NUL else None,
                "native": ("nil", None) if LONG_INTS else ("int", 5)}


def test_delta_beyond_32bit_from_script(engine, sip, mc, key, guard):
    mc.set_int(key, 5)
    want = BEYOND_32BIT[engine]
    r = call(sip, "inc", key, delta=2 ** 40, expect=None)
    if want is None:
        assert r.code == 500 and "SystemError" in r.resp["X-Error"], r
        assert mc.get(key) == (b"5", 0)
        return
    assert r.code == 200, r
    typ, n = want
    if typ == "nil":
        assert (r.type, r.status) == ("nil", -2), r
        assert mc.get(key) == (b"5", 0)
        return
    # 5 + INT32_MAX is an int where the engine keeps 64-bit ints
    if typ == "str" and n <= servers.script_int_max(engine):
        typ = "int"
    assert (r.type, r.value) == (typ, n if typ == "int" else str(n)), r
    assert mc.get(key)[0].strip() == str(n).encode()


@pytest.mark.parametrize("exp,ttl", [
    (0, -1), (THIRTY_DAYS, THIRTY_DAYS), (60, 60),
])
def test_expiry_relative(engine, sip, mc, key, guard, exp, ttl):
    call(sip, "setxs", key, "v", exp=exp)
    got = mc.ttl(key)
    if ttl == -1:
        assert got == -1
    else:
        assert ttl - 10 <= got <= ttl


def test_expiry_above_30_days_is_unix_time(engine, sip, mc, key, guard):
    # 30 days + 1 s is read as 1970-01-31: expired at once
    r = call(sip, "setxs", key, "v", exp=THIRTY_DAYS + 1)
    assert r.value == 1, r
    assert mc.get(key) is None
    # a real unix time 100 s ahead works as an absolute expiry
    call(sip, "setxs", key, "v", exp=int(time.time()) + 100)
    assert 90 <= mc.ttl(key) <= 101


def test_negative_expiry_refused(engine, sip, mc, key, guard):
    r = call(sip, "setxs", key, "v", exp=-1)
    assert (r.value, r.status) == (-2, -2), r
    assert mc.get(key) is None


def test_hostile_key_cannot_forge_log_lines(engine, sip, kamailio,
                                            memcached):
    """Keys are logged (refusals, outages) with control bytes escaped: a
    key cannot start a forged log line or carry terminal escapes. The
    hostile bytes come first, inside what is logged (the module quotes 64
    bytes of a key, core 48), and each line is found in its escaped form,
    so the test fails if either escaping is removed."""
    tag = os.urandom(4).hex()
    evil = (b"\r\nFORGED " + tag.encode() + b"\x1b[31mred")
    assert len(evil) < 48
    log_before = len(open(kamailio.log, "rb").read())
    # refused before any I/O: logged by the module (bytes as \xHH)
    r = call(sip, "setxs", key_body=evil, val="v", exp=-1)
    assert (r.value, r.status) == (-2, -2), r
    memcached.stop()
    try:
        # an outage: logged by core (bytes as \xHH); both workers, so
        # each logs its first outage line
        for _ in range(4):
            r = call(sip, "get", key_body=evil)
            assert r.type == "nil", r
    finally:
        memcached.start()
    log = open(kamailio.log, "rb").read()[log_before:]
    assert b"\nFORGED" not in log and b"\rFORGED" not in log
    assert b"\x1b[31m" not in log
    assert (b"set '\\x0d\\x0aFORGED " + tag.encode()
            + b"\\x1b[31mred' refused" in log), log
    assert (b"get '\\x0d\\x0aFORGED " + tag.encode() + b"\\x1b[31mred'"
            in log), log
