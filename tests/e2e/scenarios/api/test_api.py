"""Every KSR.memcached function through real Kamailio and real SIP, once per
engine (Lua 5.1, Lua 5.4, Python, JS; native cfg through its mc_<name>
twin) and per protocol (text, binary: the modparams fixture), asserting
each value, its type, each return code, status() (native: $rc after the
call), and the state left in memcached read back with a raw client. The
native_only tests drive the drop-in PVs ($mct, $mcinc, ...) with
X-Style: pv."""

import hashlib
import os
import re

import pytest

from harness.ops import call
from harness import servers
from harness.servers import wait_until


def is_kemi(engine):
    return engine != "native"


def assert_rc(engine, r, rc, status=None):
    """An int-returning function's return code (and status(); native: $rc,
    which is the same code)."""
    assert (r.type, r.value) == ("int", rc), r
    if status is not None:
        assert r.status == status, r


def assert_status(engine, r, status):
    assert r.status == status, r


# the native cfg's PV form of an op (native_only tests)
PV = [("X-Style", "pv")]


ENGINE_IDENTITY = {"lua51": "Lua 5.1", "lua54": "Lua 5.4",
                   "python": "Python 3.", "jsdt": "Duktape ",
                   "native": "native"}


def test_engine_is_the_one_named(engine, sip):
    """Lua 5.1 and 5.4 really are different app_lua builds, etc."""
    r = sip.send("OPTIONS")
    assert r.get("X-Engine", "").startswith(ENGINE_IDENTITY[engine]), r


API_LIST_RPC = {"lua51": "app_lua.api_list", "lua54": "app_lua.api_list",
                "python": "app_python.api_list", "jsdt": "app_jsdt.api_list"}

# Every KEMI function as doc/memcached.md (section 4) lists it:
# name -> (return type, parameter types)
SIGNATURES = {
    "get": ("xval", "str"), "gete": ("xval", "str"),
    "exists": ("int", "str"),
    "sets": ("int", "str, str"), "seti": ("int", "str, int"),
    "setxs": ("int", "str, str, int"), "setxi": ("int", "str, int, int"),
    "add": ("int", "str, str, int"), "addi": ("int", "str, int, int"),
    "replace": ("int", "str, str, int"),
    "append": ("int", "str, str"), "prepend": ("int", "str, str"),
    "delete": ("int", "str"),
    "inc": ("xval", "str, int"), "dec": ("xval", "str, int"),
    "incx": ("xval", "str, int, int"),
    "touch": ("int", "str, int"), "status": ("int", "none"),
    "setsq": ("int", "str, str"), "setiq": ("int", "str, int"),
    "setxsq": ("int", "str, str, int"), "setxiq": ("int", "str, int, int"),
    "mget": ("int", "str, str"), "mval": ("xval", "str"),
}


def parse_api_list(out):
    funcs = []
    for block in re.findall(r"func: \{(.*?)\}", out, re.S):
        f = dict(re.findall(r"^\s*(\w+): ?(.*?)\s*$", block, re.M))
        funcs.append(f)
    return funcs


@pytest.mark.kemi_only  # native cfg has no KEMI api_list
def test_every_function_in_api_list(engine, kamailio):
    """kamcmd <engine>.api_list shows every KSR.memcached function with its
    parameter types."""
    rc, out = kamailio.rpc(API_LIST_RPC[engine])
    assert rc == 0, out
    ours = {f["name"]: (f["ret"], f["params"])
            for f in parse_api_list(out) if f.get("module") == "memcached"}
    assert ours == SIGNATURES


# --- get / gete / exists -------------------------------------------------

def test_get_miss_is_nil_status_minus1(engine, sip, mc, key):
    r = call(sip, "get", key)
    assert (r.type, r.value) == ("nil", None), r
    assert_status(engine, r, -1)


def test_gete_miss_is_empty_string(engine, sip, mc, key):
    r = call(sip, "gete", key)
    assert (r.type, r.value) == ("str", ""), r
    assert r.status == -1, r


def test_gete_hit_is_value(engine, sip, mc, key):
    mc.set_str(key, "v1")
    r = call(sip, "gete", key)
    assert (r.type, r.value, r.status) == ("str", "v1", 1), r


def test_exists_present_missing(engine, sip, mc, key):
    assert_rc(engine, call(sip, "exists", key), -1, -1)
    mc.set_str(key, "x")
    assert_rc(engine, call(sip, "exists", key), 1, 1)


# --- typing: flags bit 0 set = string, clear = integer -------------------

def test_sets_stores_string_flag_and_reads_back_str(engine, sip, mc, key):
    r = call(sip, "sets", key, "hello world")
    assert_rc(engine, r, 1, 1)
    data, flags = mc.get(key)
    assert data == b"hello world" and flags & 1 == 1
    r = call(sip, "get", key)
    assert (r.type, r.value) == ("str", "hello world"), r
    assert_status(engine, r, 1)


def test_seti_stores_integer_flag_and_reads_back_int(engine, sip, mc, key):
    assert_rc(engine, call(sip, "seti", key, 42), 1, 1)
    data, flags = mc.get(key)
    assert data == b"42" and flags & 1 == 0
    r = call(sip, "get", key)
    assert (r.type, r.value) == ("int", 42), r


def test_digits_stored_as_string_stay_string(engine, sip, mc, key):
    call(sip, "sets", key, "123")
    assert mc.get(key) == (b"123", 1)
    r = call(sip, "get", key)
    assert (r.type, r.value) == ("str", "123"), r


def test_typing_follows_flags_of_raw_writes(engine, sip, mc, key):
    mc.set_int(key + "i", 7)
    mc.set_str(key + "s", 7)
    r = call(sip, "get", key + "i")
    assert (r.type, r.value) == ("int", 7), r
    r = call(sip, "get", key + "s")
    assert (r.type, r.value) == ("str", "7"), r


@pytest.mark.parametrize("n", [0, 1, 2147483647])
def test_int_fitting_32bit_is_int(engine, sip, mc, key, n):
    mc.set_int(key, n)
    r = call(sip, "get", key)
    assert (r.type, r.value) == ("int", n), r


def num(engine, n):
    """What a script gets for the number n: an int when it fits the ints the
    module hands that engine (32 bits; 64 since 5.7 for Python and native),
    else its decimal string."""
    if -servers.script_int_max(engine) - 1 <= n <= servers.script_int_max(
            engine):
        return ("int", n)
    return ("str", str(n))


@pytest.mark.parametrize("n", [2147483648, 4294967296, 9223372036854775807,
                               9223372036854775808, 18446744073709551615])
def test_int_beyond_engine_int_is_decimal_string(engine, sip, mc, key, n):
    """Beyond 32 bits: an int where the engine keeps it exact, else the
    decimal string; beyond 63 bits always the string."""
    mc.set_int(key, n)
    r = call(sip, "get", key)
    assert (r.type, r.value) == num(engine, n), r


# --- set with expiry ------------------------------------------------------

# memcached expires an item at a tick of its 1 s clock, so an expiry of 1 s
# may be gone before it is read back: short expiries here are 3 s (2 s left
# for the read back), and the expiry is waited for with a deadline far past
# it.
SHORT = 3


def test_setxs_sets_ttl_and_expires(engine, sip, mc, key):
    assert_rc(engine, call(sip, "setxs", key, "short", exp=SHORT), 1, 1)
    assert mc.get(key) == (b"short", 1)
    assert 1 <= mc.ttl(key) <= SHORT
    wait_until(lambda: mc.get(key) is None, SHORT + 10, "the key to expire")
    r = call(sip, "get", key)
    assert (r.type, r.value) == ("nil", None), r


def test_setxi_sets_ttl_and_expires(engine, sip, mc, key):
    assert_rc(engine, call(sip, "setxi", key, 9, exp=SHORT), 1, 1)
    assert mc.get(key) == (b"9", 0)
    assert 1 <= mc.ttl(key) <= SHORT
    wait_until(lambda: mc.get(key) is None, SHORT + 10, "the key to expire")
    assert call(sip, "get", key).type == "nil"


def test_setxs_long_expiry_ttl(engine, sip, mc, key):
    call(sip, "setxs", key, "v", exp=3600)
    assert 3590 <= mc.ttl(key) <= 3600


def test_sets_seti_use_expire_param(engine, sip, mc, key):
    """This scenario sets modparam expire=600 (see the modparams fixture)."""
    call(sip, "sets", key, "v")
    assert 590 <= mc.ttl(key) <= 600
    call(sip, "seti", key + "i", 1)
    assert 590 <= mc.ttl(key + "i") <= 600


# --- add / addi / replace -------------------------------------------------

def test_add_stores_when_absent_and_refuses_second_writer(engine, sip, mc,
                                                          key):
    assert_rc(engine, call(sip, "add", key, "first", exp=0), 1, 1)
    assert mc.get(key) == (b"first", 1)
    assert_rc(engine, call(sip, "add", key, "second", exp=0), -1, -1)
    assert mc.get(key) == (b"first", 1)


def test_add_with_expiry(engine, sip, mc, key):
    call(sip, "add", key, "lock", exp=100)
    assert 90 <= mc.ttl(key) <= 100


def test_addi_stores_integer(engine, sip, mc, key):
    assert_rc(engine, call(sip, "addi", key, 5, exp=0), 1, 1)
    assert mc.get(key) == (b"5", 0)
    assert_rc(engine, call(sip, "addi", key, 6, exp=0), -1, -1)
    assert mc.get(key) == (b"5", 0)


def test_replace_only_when_present(engine, sip, mc, key):
    assert_rc(engine, call(sip, "replace", key, "new", exp=0), -1, -1)
    assert mc.get(key) is None
    mc.set_str(key, "old")
    assert_rc(engine, call(sip, "replace", key, "new", exp=0), 1, 1)
    assert mc.get(key) == (b"new", 1)


# --- append / prepend -----------------------------------------------------

def test_append_prepend_missing_is_minus1(engine, sip, mc, key):
    assert_rc(engine, call(sip, "append", key, "x"), -1, -1)
    assert_rc(engine, call(sip, "prepend", key, "x"), -1, -1)
    assert mc.get(key) is None


def test_append_prepend_concatenate(engine, sip, mc, key):
    mc.set_str(key, "mid")
    assert_rc(engine, call(sip, "append", key, "-end"), 1, 1)
    assert_rc(engine, call(sip, "prepend", key, "start-"), 1, 1)
    assert mc.get(key) == (b"start-mid-end", 1)
    r = call(sip, "get", key)
    assert (r.type, r.value) == ("str", "start-mid-end"), r


# --- delete ---------------------------------------------------------------

def test_delete_present_then_missing(engine, sip, mc, key):
    mc.set_str(key, "x")
    assert_rc(engine, call(sip, "delete", key), 1, 1)
    assert mc.get(key) is None
    assert_rc(engine, call(sip, "delete", key), -1, -1)


def test_misses_are_not_logged_as_errors(engine, sip, mc, kamailio):
    """A miss is never an error: get, delete ($null), exists, inc, touch
    of a missing key log nothing at ERR (the shipped module logs deleting a
    missing key as an error). The key is short enough to be quoted whole
    (core quotes 64 bytes), and an error on the same key is found by the
    same filter, so the filter can see what it looks for."""
    key = "miss-" + os.urandom(4).hex()
    log_before = len(kamailio.log_text())
    for op in ("get", "delete", "exists", "dec", "touch", "replace",
               "append", "inc"):
        call(sip, op, key, val="v", delta=1, exp=10)
    assert mc.get(key) is None
    mc.set_str(key, "not a number")
    call(sip, "inc", key, delta=1)  # an error: logged at ERR
    errors = [line for line in kamailio.log_text()[log_before:].splitlines()
              if "ERROR" in line and key in line]
    assert len(errors) == 1 and "inc" in errors[0], errors


# --- inc / dec / incx -----------------------------------------------------

def test_inc_dec_missing_is_nil(engine, sip, mc, key):
    r = call(sip, "inc", key, delta=1)
    assert (r.type, r.value) == ("nil", None), r
    assert_status(engine, r, -1)
    r = call(sip, "dec", key, delta=1)
    assert (r.type, r.value) == ("nil", None), r
    assert_status(engine, r, -1)
    assert mc.get(key) is None


@pytest.mark.native_only
def test_pv_mcinc_creates_missing_counter_mcdec_does_not(engine, sip, mc,
                                                          key):
    """$mcinc on a missing key creates it at the delta, as an integer, with
    the expire param (one round trip; the shipped module failed instead);
    $mcdec of a missing key stays a miss and creates nothing (mc_inc, like
    KSR.memcached.inc, does not create: test_inc_dec_missing_is_nil)."""
    r = call(sip, "dec", key, delta=1, headers=PV)
    assert (r.type, r.value) == ("nil", None), r
    assert mc.get(key) is None
    r = call(sip, "inc", key, delta=5, headers=PV)
    assert (r.type, r.value) == ("int", 5), r
    assert mc.get(key) == (b"5", 0)
    assert 590 <= mc.ttl(key) <= 600  # the expire param (600 here)
    r = call(sip, "inc", key, delta=2, headers=PV)
    assert (r.type, r.value) == ("int", 7), r


def test_inc_dec_return_new_value(engine, sip, mc, key):
    mc.set_int(key, 10)
    r = call(sip, "inc", key, delta=5)
    assert (r.type, r.value) == ("int", 15), r
    assert_status(engine, r, 1)
    assert mc.get(key) == (b"15", 0)
    r = call(sip, "dec", key, delta=3)
    assert (r.type, r.value) == ("int", 12), r
    assert mc.get(key)[0].strip() == b"12"


def test_dec_floors_at_zero(engine, sip, mc, key):
    mc.set_int(key, 3)
    r = call(sip, "dec", key, delta=10)
    assert (r.type, r.value) == ("int", 0), r
    assert mc.get(key)[0].strip() == b"0"


def test_inc_across_2_pow_31(engine, sip, mc, key):
    mc.set_int(key, 2147483646)
    r = call(sip, "inc", key, delta=1)
    assert (r.type, r.value) == ("int", 2147483647), r
    r = call(sip, "inc", key, delta=1)
    assert (r.type, r.value) == num(engine, 2147483648), r
    assert mc.get(key) == (b"2147483648", 0)
    r = call(sip, "get", key)
    assert (r.type, r.value) == num(engine, 2147483648), r


def test_inc_across_2_pow_32(engine, sip, mc, key):
    mc.set_int(key, 4294967295)
    r = call(sip, "inc", key, delta=1)
    assert (r.type, r.value) == num(engine, 4294967296), r
    assert mc.get(key) == (b"4294967296", 0)
    r = call(sip, "dec", key, delta=2147483647)
    assert (r.type, r.value) == num(engine, 2147483649), r
    r = call(sip, "dec", key, delta=2)
    assert (r.type, r.value) == ("int", 2147483647), r


def test_inc_on_string_value_is_error(engine, sip, mc, key):
    mc.set_str(key, "abc")
    r = call(sip, "inc", key, delta=1)
    assert (r.type, r.value) == ("nil", None), r
    assert_status(engine, r, -2)
    assert mc.get(key) == (b"abc", 1)


def test_incx_creates_then_increments(engine, sip, mc, key):
    r = call(sip, "incx", key, delta=3, exp=100)
    assert (r.type, r.value, r.status) == ("int", 3, 1), r
    assert mc.get(key) == (b"3", 0)
    r = call(sip, "incx", key, delta=4, exp=100)
    assert (r.type, r.value, r.status) == ("int", 7, 1), r
    assert mc.get(key) == (b"7", 0)


def test_incx_keeps_first_expiry(engine, sip, mc, key):
    """Fixed window: later increments do not reset the expiry."""
    call(sip, "incx", key, delta=1, exp=100)
    r = call(sip, "incx", key, delta=1, exp=5000)
    assert r.value == 2, r
    assert 90 <= mc.ttl(key) <= 100


def test_incx_window_expires_and_restarts(engine, sip, mc, key):
    assert call(sip, "incx", key, delta=1, exp=SHORT).value == 1
    assert call(sip, "incx", key, delta=1, exp=SHORT).value == 2
    wait_until(lambda: mc.get(key) is None, SHORT + 10,
               "the window to expire")
    assert call(sip, "incx", key, delta=1, exp=SHORT).value == 1
    assert 1 <= mc.ttl(key) <= SHORT


# --- touch ----------------------------------------------------------------

def test_touch_missing_is_minus1(engine, sip, mc, key):
    assert_rc(engine, call(sip, "touch", key, exp=10), -1, -1)
    assert mc.get(key) is None


def test_touch_sets_new_expiry(engine, sip, mc, key):
    mc.set_str(key, "v", exptime=5000)
    assert_rc(engine, call(sip, "touch", key, exp=100), 1, 1)
    assert 90 <= mc.ttl(key) <= 100
    assert mc.get(key) == (b"v", 1)


# --- status(): a miss is not an error, an error is not a miss -------------

# The scripts report status() right after each call in X-Status (same
# request, so the same worker process: status() is per process).

def test_status_after_hit_and_miss(engine, sip, mc, key):
    mc.set_str(key, "x")
    assert call(sip, "get", key).status == 1
    assert call(sip, "get", key + "-missing").status == -1
    assert call(sip, "exists", key + "-missing").status == -1
    assert call(sip, "sets", key, "y").status == 1


@pytest.mark.parametrize("before,want", [("exists", -1), ("sets", 1),
                                         ("inc", -2)])
def test_status_reads_last_call_and_does_not_change_it(engine, sip, mc, key,
                                                       before, want):
    """status() is the status of the process's last call (run first in the
    same request: a miss, a store, an error), an int, and calling it does
    not change it (X-Status reads status() again after it)."""
    mc.set_str(key + "-str", "not a number")
    k = key + ("-str" if before == "inc" else "")
    r = call(sip, "status", k, val="v", delta=1,
             headers=[("X-Before", before)])
    assert (r.type, r.value, r.status) == ("int", want, want), r


def test_memcached_down_is_error_not_miss(engine, sip, memcached, key):
    """status() -2 with memcached stopped, while a miss is -1; recovers."""
    r = call(sip, "get", key)
    assert (r.type, r.status) == ("nil", -1), r
    memcached.stop()
    try:
        # Each request may land on either worker: repeat so both see it.
        for _ in range(4):
            r = call(sip, "get", key)
            assert (r.type, r.value, r.status) == ("nil", None, -2), r
            assert_rc(engine, call(sip, "exists", key), -2, -2)
            assert_rc(engine, call(sip, "sets", key, "v"), -2, -2)
            assert_rc(engine, call(sip, "add", key, "v", exp=0), -2, -2)
            assert_rc(engine, call(sip, "delete", key), -2, -2)
            r = call(sip, "inc", key, delta=1)
            assert (r.type, r.status) == ("nil", -2), r
            r = call(sip, "gete", key)
            assert (r.type, r.value, r.status) == ("str", "", -2), r
    finally:
        memcached.start()
    # Service comes back on its own (possibly after a retry interval).
    wait_until(lambda: call(sip, "sets", key, "back").value == 1
               and call(sip, "sets", key, "back").value == 1, 30,
               "the module to reconnect")
    r = call(sip, "get", key)
    assert (r.type, r.value, r.status) == ("str", "back", 1), r


@pytest.mark.native_only  # the PV counterpart of the status() test
def test_pv_reads_null_while_down(engine, sip, memcached, key):
    """Native: $mct reads $null with memcached stopped, values after."""
    memcached.stop()
    try:
        for _ in range(4):
            r = call(sip, "get", key, headers=PV)
            assert r.type == "nil", r
    finally:
        memcached.start()
    wait_until(lambda: call(sip, "sets", key, "back", headers=PV) and
               call(sip, "get", key, headers=PV).value == "back", 30,
               "the module to reconnect")


@pytest.fixture(scope="module", params=["text", "binary"])
def modparams(request):
    """The whole scenario runs over each protocol (test ids carry text or
    binary), as hiredis runs its tests over TCP, unix socket and TLS."""
    return {"expire": 600, "binary": int(request.param == "binary")}


# --- native cfg parameters, resolved per call -----------------------------

@pytest.mark.native_only
def test_cfg_key_from_missing_header_is_error_not_miss(engine, sip, mc, key,
                                                       kamailio):
    """mc_get("$hdr(X-Key)", ...): the header's value as the key; a missing
    header is $null, refused as an error (-2) naming the parameter, never
    read as a miss or as some other key."""
    mc.set_str(key, "v")
    r = call(sip, "hdr-get", key)
    assert (r.type, r.value, r.status) == ("str", "v", 1), r
    r = call(sip, "hdr-get")
    assert (r.type, r.value, r.status) == ("nil", None, -2), r
    assert 'parameter 1 "$hdr(X-Key)" is $null' in kamailio.log_text()


@pytest.mark.native_only
def test_cfg_rc_after_function_used_as_condition(engine, sip, mc, key,
                                                 memcached):
    """if (!mc_add(...)) { $rc } tells a present key (-1) from an outage
    (-2); the true branch sees $rc 1."""
    r = call(sip, "add-if", key, "v", exp=0)
    assert (r.type, r.value, r.status) == ("int", 1, 1), r
    r = call(sip, "add-if", key, "v", exp=0)
    assert (r.type, r.value, r.status) == ("int", -1, -1), r
    memcached.stop()
    try:
        for _ in range(4):  # both workers
            r = call(sip, "add-if", key + "-down", "v", exp=0)
            assert (r.type, r.value, r.status) == ("int", -2, -2), r
    finally:
        memcached.start()
    # a worker's first call on its broken connection fails, the next
    # reconnects (doc 9.5): leave both workers connected for the next test
    wait_until(lambda: all(call(sip, "sets", key + "-up", "v").value == 1
                           for _ in range(6)), 30, "the module to reconnect")


@pytest.mark.native_only
def test_cfg_key_of_text_and_variables(engine, sip, mc, key):
    mc.set_str("fmt:" + key + ":end", "v")
    r = call(sip, "fmt-get", key)
    assert (r.type, r.value, r.status) == ("str", "v", 1), r
    r = call(sip, "fmt-get", key + "-missing")
    assert (r.type, r.value, r.status) == ("nil", None, -1), r


@pytest.mark.native_only
@pytest.mark.parametrize("val", ["12abc", "", "99999999999"])
def test_cfg_int_param_not_a_32bit_number_is_error(engine, sip, mc, key,
                                                   kamailio, val):
    """mc_seti("$var(k)", "$var(v)") with text that is not a 32-bit decimal
    number: refused (-2), nothing stored (KEMI engines convert it their own
    way before the call)."""
    r = call(sip, "seti", key, val)
    assert (r.type, r.value, r.status) == ("int", -2, -2), r
    assert mc.get(key) is None
    assert 'parameter 2 "$var(v)" is not a decimal integer' in \
        kamailio.log_text()


@pytest.mark.native_only
@pytest.mark.parametrize("op,name", [("seti", "set"), ("setiq", "setq")])
def test_cfg_refusal_names_the_op_called(engine, sip, mc, key, kamailio, op,
                                         name):
    """A parameter refused before the call is logged under the operation
    the script called: mc_setiq is a quiet set ("setq"), not a set. The
    key is short enough to be logged whole."""
    key = f"{op}-" + os.urandom(4).hex()
    r = call(sip, op, key, "12abc")
    assert r.status == -2, r
    assert mc.get(key) is None
    want = f"{name} '{key}' refused: parameter 2 \"$var(v)\" is not a decimal"
    assert want in kamailio.log_text()


# --- edge cases, as the module documents them (branch module,
# kemi/ki_memcached.c, pv/mc_pv.c): a negative delta or a negative expiry
# is refused as an error (-2 / nil, status -2) before any I/O; negative
# integers are stored and read back as integers.

def test_negative_integer_round_trips(engine, sip, mc, key):
    call(sip, "seti", key, -5)
    assert mc.get(key) == (b"-5", 0)
    r = call(sip, "get", key)
    assert (r.type, r.value) == ("int", -5), r


def test_inc_on_negative_number_is_error(engine, sip, mc, key):
    mc.set_int(key, -5)
    r = call(sip, "inc", key, delta=1)
    assert (r.type, r.value, r.status) == ("nil", None, -2), r
    assert mc.get(key) == (b"-5", 0)


@pytest.mark.parametrize("op", ["inc", "dec", "incx"])
def test_negative_delta_is_error(engine, sip, mc, key, op):
    mc.set_int(key, 10)
    r = call(sip, op, key, delta=-1, exp=0)
    assert (r.type, r.value, r.status) == ("nil", None, -2), r
    assert mc.get(key) == (b"10", 0)


@pytest.mark.parametrize("op", ["setxs", "setxi", "add", "addi", "replace",
                                "touch"])
def test_negative_expiry_is_error(engine, sip, mc, key, op):
    mc.set_int(key + "-present", 1)
    k = key + ("-present" if op in ("replace", "touch") else "")
    r = call(sip, op, k, 7, exp=-1)
    assert_rc(engine, r, -2, -2)
    if op in ("replace", "touch"):
        assert mc.get(k) == (b"1", 0)
        assert mc.ttl(k) == -1
    else:
        assert mc.get(k) is None


def test_incx_negative_expiry_is_error(engine, sip, mc, key):
    r = call(sip, "incx", key, delta=1, exp=-1)
    assert (r.type, r.value, r.status) == ("nil", None, -2), r
    assert mc.get(key) is None


def test_zero_expiry_means_never(engine, sip, mc, key):
    call(sip, "setxs", key, "v", exp=0)
    assert mc.ttl(key) == -1


@pytest.mark.parametrize("size", [9000, 60000])
def test_large_value_round_trips(engine, sip, mc, key, size):
    value = bytes((ord("a") + i % 26) for i in range(size))
    assert_rc(engine, call(sip, "sets", key, body=value), 1, 1)
    assert mc.get(key) == (value, 1)
    r = call(sip, "get", key, reply_body=True)
    assert r.type == "str", r
    assert r.resp["X-Len"] == str(size)
    if is_kemi(engine):
        assert r.resp.body == value
    else:
        assert r.resp["X-Md5"] == hashlib.md5(value).hexdigest()


def test_arrow_in_key(engine, sip, mc, key):
    """Keys are taken as they are: KEMI and the mc_<name> functions never
    split; a PV name splits only at a "=>" written in the config (next
    test)."""
    assert_rc(engine, call(sip, "sets", key + "=>5", "v"), 1, 1)
    assert mc.get(key + "=>5") == (b"v", 1)
    assert 590 <= mc.ttl(key + "=>5") <= 600
    assert mc.get(key) is None


@pytest.mark.native_only
def test_pv_arrow_from_request_is_part_of_key(engine, sip, mc, key):
    """$mct($var(k)) with the key from a request header: a "=>" printed
    from the request is part of the key, never an expiry."""
    call(sip, "sets", key + "=>5", "v", headers=PV)
    assert mc.get(key + "=>5") == (b"v", 1)
    assert 590 <= mc.ttl(key + "=>5") <= 600
    assert mc.get(key) is None


def test_empty_string_value_is_not_a_miss(engine, sip, mc, key):
    r = call(sip, "sets", key, body=b"")
    assert mc.get(key) == (b"", 1)
    r = call(sip, "get", key)
    assert (r.type, r.value) == ("str", ""), r
    assert_status(engine, r, 1)


@pytest.mark.parametrize("value", ["  padded  ", "\ttab", "trailing "])
def test_string_whitespace_kept(engine, sip, mc, key, value):
    """Strings come back byte for byte (the shipped module trims them)."""
    call(sip, "sets", key, body=value.encode())
    assert mc.get(key) == (value.encode(), 1)
    r = call(sip, "get", key, reply_body=True)
    assert r.type == "str", r
    if is_kemi(engine):
        assert r.resp.body == value.encode()
    else:
        assert r.resp["X-Md5"] == hashlib.md5(value.encode()).hexdigest()


def test_shrinking_decr_reads_back_as_clean_int(engine, sip, mc, key):
    """memcached pads a shrinking decr with spaces ("9 "): still int 9."""
    mc.set_int(key, 10)
    call(sip, "dec", key, delta=1)
    assert mc.get(key)[0] in (b"9", b"9 ")
    r = call(sip, "get", key)
    assert (r.type, r.value) == ("int", 9), r
