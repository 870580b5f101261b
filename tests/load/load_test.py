#!/usr/bin/env python3
"""Load tests: the built memcached.so loads into the installed Kamailio.

    load_test.py --work DIR CASE

The Kamailio, its module directory and kamcmd, its source tree and the
module under test come from the environment, as for the e2e suite
(MC_KAMAILIO_BIN, MC_KAMAILIO_MODDIR, MC_KAMCMD, MC_KAMAILIO_SRC,
MC_MODULE_SO: tests/load/CMakeLists.txt sets them); the servers are
tests/e2e/harness's.

Cases (each a ctest of its own, see CMakeLists.txt):
  config_check       `kamailio -c` accepts a config loading the .so by path
  exports_only_loader_symbols  only the loader's symbols are exported
  bad_servers_refused  a bad `servers` value is refused, naming the problem,
                     by `kamailio -c` and by a real start
  bad_int_params_refused_by_config_check  each out-of-range integer param
                     is refused by `kamailio -c` (and a real start), naming
                     the param, the value and what is allowed
  sasl_params_refused_at_start  username/password/binary combinations that
                     cannot work stop a real start (mod_init)
  sasl_credentials_checked_at_start  memcached -S: right credentials start
                     and serve, wrong ones stop start-up naming the server,
                     a server down only warns; the password is never logged
  native_pv_roundtrip  real start + memcached: one OPTIONS answered using
                     $mct/$mcinc/$null, state checked in memcached
  lua_kemi_smoke     real start with app_lua: every KSR.memcached function
  rpc_commands       memcached.* RPC through a real kamcmd (ctl module)
  rpc_stats_over_sasl  memcached.stats reads a SASL server's statistics;
                     a refusal is an error at once, counted and rate-limited
  statistics_counted memcached:* statistics through kamcmd
  incx_create_counted_as_set  KSR.memcached.incx creating a key counts in
                     memcached:sets
  copy_failure_is_an_error  a value that cannot be copied into pkg memory:
                     nil/$null with status() -2, counted, logged with the key
  outage_log_rate_limited  a dead server gives one ERROR line, not a flood
  configure_refuses_flag_mismatch  cmake/Kamailio.cmake fails configure,
                     showing both strings, when the flags would differ
  configure_refuses_other_build_system  the strings of the other build
                     system (make/CMake) of the same source are refused
"""
import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))), "e2e"))
from harness import servers as hs  # noqa: E402
from harness.fakes import SilentServer  # noqa: E402
from harness.servers import Kamailio, Memcached, free_port  # noqa: E402
from harness.sip import SipClient  # noqa: E402

LOADER_SYMBOLS = {"exports", "mod_register", "module_version", "module_flags",
                  "module_interface_ver"}


def workdir(base):
    """A fresh directory under base for one Kamailio or script."""
    os.makedirs(base, exist_ok=True)
    return tempfile.mkdtemp(prefix="t-", dir=base)


def sip_options(port, headers=(), timeout=3.0):
    """One OPTIONS over UDP with headers ("Name: value" strings): (status
    code, the Response, whose get(name) reads a header)."""
    sip = SipClient("127.0.0.1", port, timeout=timeout)
    try:
        r = sip.send("OPTIONS", headers=[tuple(h.split(": ", 1))
                                         for h in headers])
    finally:
        sip.close()
    return r.code, r


def ctl_cfg(sock):
    """ctl on the unix socket sock (kamcmd) and kex (statistics RPCs)."""
    return ('loadmodule "ctl.so"\nloadmodule "kex.so"\n'
            'modparam("ctl", "binrpc", "unix:%s")\n' % sock)


def rpc(k, *args):
    """kamcmd's output for one RPC to k (faults as 'error: CODE - ...')."""
    return k.rpc(*args)[1].strip()


def cfg_head(args, port, modparams="", extra_modules=(), engine=""):
    mods = ["sl", "pv", "textops", "xlog", *extra_modules]
    lines = [
        "#!KAMAILIO",
        "debug=2",
        "log_stderror=yes",
        "children=2",
        "auto_aliases=no",
        "listen=udp:127.0.0.1:%d" % port,
        'mpath="%s"' % hs.MODDIR,
    ]
    lines += ['loadmodule "%s.so"' % m for m in mods]
    lines.append('loadmodule "%s"' % hs.module_so())
    lines.append(modparams)
    if engine:
        lines.append(engine)
    return "\n".join(lines) + "\n"


def run_check(cfg_text, work):
    path = os.path.join(work, "check.cfg")
    with open(path, "w") as f:
        f.write(cfg_text)
    return hs.kamailio_check(path)


def t_config_check(args, work):
    cfg = cfg_head(args, free_port(),
                   'modparam("memcached", "servers", "127.0.0.1:11211")\n')
    cfg += 'request_route {\n\t$mct(k) = 1;\n\tsl_send_reply("200", "OK");\n}\n'
    rc, out = run_check(cfg, work)
    assert rc == 0, "kamailio -c failed (%d):\n%s" % (rc, out)
    assert "config file ok" in out, out


def t_exports_only_loader_symbols(args, work):
    out = subprocess.run(["nm", "-D", "--defined-only", hs.module_so()],
                         stdout=subprocess.PIPE, check=True).stdout.decode()
    syms = {line.split()[-1] for line in out.splitlines() if line.strip()}
    syms = {s for s in syms if not s.startswith("_")}  # _init/_fini etc.
    assert syms == LOADER_SYMBOLS, "exported: %s" % sorted(syms)


BAD_SERVERS = [
    # (value, text the refusal must contain)
    ("127.0.0.1:abc", "abc"),
    ("127.0.0.1:70000", "70000"),
    ("", "empty"),
    # these used to pass `kamailio -c`, and every call failed later
    ("::1:11211", "[addr]:port"),
    ("999.1.1.1", "999.1.1.1"),
    ("-x", "bad host '-x'"),
    ("127.0.0.1,127.0.0.1:11211", "given twice"),
]


def t_bad_servers_refused(args, work):
    for value, needle in BAD_SERVERS:
        port = free_port()
        cfg = cfg_head(args, port,
                       'modparam("memcached", "servers", "%s")\n' % value)
        cfg += 'request_route {\n\tsl_send_reply("200", "OK");\n}\n'
        rc, out = run_check(cfg, work)
        assert rc != 0, "kamailio -c accepted servers=%r:\n%s" % (value, out)
        assert "servers" in out and needle in out, \
            "refusal of %r does not name the problem:\n%s" % (value, out)
        # and a real start stops before serving
        k = Kamailio(work, cfg, port)
        rc = k.run_to_exit(30)
        log = k.log_text()
        assert rc != 0, "started with servers=%r" % value
        assert needle in log, log


# (param, bad value, what the refusal says is allowed)
BAD_INT_PARAMS = [
    ("expire", -1, "seconds, 0 = never"),
    ("mode", 5, "0 = set or 1 = add"),
    ("mode", -1, "0 = set or 1 = add"),
    ("timeout", 0, "milliseconds, 1 or more"),
    ("timeout", -5, "milliseconds, 1 or more"),
    ("memory", 2, "0 or 1"),
    ("stringify", -1, "0 or 1"),
    ("binary", 2, "0 = text or 1 = binary protocol"),
    ("max_value_size", -1,
     "bytes, 0 = the default 1048576, at most 1073741824"),
    ("max_value_size", 1073741825,
     "bytes, 0 = the default 1048576, at most 1073741824"),
    ("failure_limit", -1, "0 = breaker off, or a number of failures"),
    ("retry_time", -1, "seconds, 0 or more"),
    ("redistribute", 3, "0 or 1"),
]

# the edges of each range are accepted
GOOD_INT_PARAMS = [("expire", 0), ("mode", 1), ("timeout", 1), ("memory", 1),
                   ("stringify", 1), ("binary", 1),
                   ("max_value_size", 1073741824), ("failure_limit", 0),
                   ("retry_time", 0), ("redistribute", 1)]


def t_bad_int_params_refused_by_config_check(args, work):
    """Each out-of-range integer param is refused while the config is parsed:
    `kamailio -c` fails with a line naming the param, the value and what is
    allowed; a real start stops the same way before serving."""
    route = 'request_route {\n\tsl_send_reply("200", "OK");\n}\n'
    for param, value, allowed in BAD_INT_PARAMS:
        cfg = cfg_head(args, free_port(),
                       'modparam("memcached", "%s", %d)\n' % (param, value))
        rc, out = run_check(cfg + route, work)
        want = "modparam %s: %d refused (expected %s)" % (param, value,
                                                          allowed)
        assert rc != 0, "kamailio -c accepted %s=%d:\n%s" % (param, value, out)
        assert want in out, "no '%s' in:\n%s" % (want, out)
    good = "".join('modparam("memcached", "%s", %d)\n' % pv
                   for pv in GOOD_INT_PARAMS)
    rc, out = run_check(cfg_head(args, free_port(), good) + route, work)
    assert rc == 0 and "config file ok" in out, out
    # a real start: refused at parse time too, nothing served
    port = free_port()
    cfg = cfg_head(args, port, 'modparam("memcached", "mode", 5)\n') + route
    k = Kamailio(work, cfg, port)
    assert k.run_to_exit(30) != 0, "started with mode=5"
    assert "modparam mode: 5 refused (expected 0 = set or 1 = add)" \
        in k.log_text(), k.log_text()


# SASL settings that need several params together: only known once the
# whole config is read, so refused by a real start (mod_init), not by -c.
BAD_SASL_PARAMS = [
    ('modparam("memcached", "binary", 1)\n'
     'modparam("memcached", "username", "kamailio")\n',
     "modparam username and password: set both or neither (only username "
     "is set)"),
    ('modparam("memcached", "binary", 1)\n'
     'modparam("memcached", "password", "pw-never-logged")\n',
     "modparam username and password: set both or neither (only password "
     "is set)"),
    ('modparam("memcached", "username", "kamailio")\n'
     'modparam("memcached", "password", "pw-never-logged")\n',
     "username: SASL needs the binary protocol (set binary to 1)"),
]


def t_sasl_params_refused_at_start(args, work):
    route = 'request_route {\n\tsl_send_reply("200", "OK");\n}\n'
    for modparams, want in BAD_SASL_PARAMS:
        port = free_port()
        k = Kamailio(work, cfg_head(args, port, modparams) + route, port)
        rc = k.run_to_exit(30)
        log = k.log_text()
        assert rc != 0, "started with:\n%s" % modparams
        assert want in log, "no '%s' in:\n%s" % (want, log)
        assert "pw-never-logged" not in log, log


SASL_USER = "kamailio"
SASL_PASSWORD = "pw-Zq81-never-logged"

SASL_ROUTE = r'''
request_route {
	if(!is_present_hf("X-Key")) { # readiness probe
		sl_send_reply("200", "ready");
		exit;
	}
	$mct($hdr(X-Key)) = "v-" + $hdr(X-Key);
	append_to_reply("X-Got: $mct($hdr(X-Key))\r\n");
	sl_send_reply("200", "OK");
}
'''


def sasl_modparams(port, password):
    return ('modparam("memcached", "servers", "127.0.0.1:%d")\n'
            'modparam("memcached", "binary", 1)\n'
            'modparam("memcached", "username", "%s")\n'
            'modparam("memcached", "password", "%s")\n'
            % (port, SASL_USER, password))


def t_sasl_credentials_checked_at_start(args, work):
    """Against memcached -S with a sasldb: right credentials start and serve;
    wrong ones stop start-up with one ERROR naming the server; a server down
    at start-up only gives a WARNING. The password is never in the log."""
    sdir = hs.make_sasl_dir(work, SASL_USER, SASL_PASSWORD)
    mc = Memcached(work, sasl_dir=sdir).start()
    k = None
    try:
        # right credentials: starts, serves through SASL
        port = free_port()
        cfg = cfg_head(args, port, sasl_modparams(mc.port, SASL_PASSWORD))
        k = Kamailio(work, cfg + SASL_ROUTE, port).start()
        code, h = sip_options(port, ["X-Key: sk"])
        assert code == 200 and h.get("X-Got") == "v-sk", (code, h)
        assert k.stop() == 0
        log = k.log_text()
        assert SASL_PASSWORD not in log, log
        assert "authentication failed" not in log, log

        # wrong password: refused at start-up, with the message
        port = free_port()
        wrong = "wrong-" + SASL_PASSWORD
        cfg = cfg_head(args, port, sasl_modparams(mc.port, wrong))
        k = Kamailio(work, cfg + SASL_ROUTE, port)
        rc = k.run_to_exit(30)
        log = k.log_text()
        assert rc != 0, "started with a wrong password:\n" + log
        want = ("memcached server 127.0.0.1:%d: authentication failed: check "
                "username/password (SASL user '%s'); not starting"
                % (mc.port, SASL_USER))
        ours = [ln for ln in log.splitlines() if "ERROR: memcached" in ln]
        assert len(ours) == 1 and want in ours[0], log
        assert wrong not in log and SASL_PASSWORD not in log, log

        # memcached down at start-up: a WARNING, Kamailio starts and serves
        mc.stop()
        port = free_port()
        cfg = cfg_head(args, port, sasl_modparams(mc.port, SASL_PASSWORD))
        k = Kamailio(work, cfg + SASL_ROUTE, port).start()
        code, h = sip_options(port, ["X-Key: sk"])
        assert code == 200 and h.get("X-Got") == "<null>", (code, h)
        assert k.stop() == 0
        log = k.log_text()
        assert ("WARNING: memcached" in log and "SASL credentials not checked "
                "at start-up" in log and "127.0.0.1:%d" % mc.port in log), log
        assert SASL_PASSWORD not in log, log
    finally:
        if k:
            k.stop()
        mc.stop()
        shutil.rmtree(sdir, ignore_errors=True)


NATIVE_ROUTE = r'''
request_route {
	if(!is_present_hf("X-Key")) { # readiness probe
		sl_send_reply("200", "ready");
		exit;
	}
	$var(k) = $hdr(X-Key);
	$mct(s_$var(k)) = "hello " + $var(k);
	$mct(i_$var(k)=>60) = 41;
	$mcinc(i_$var(k)) = 1;
	$var(i) = $mct(i_$var(k)) + 0;
	append_to_reply("X-Str: $mct(s_$var(k))\r\n");
	append_to_reply("X-Int: $var(i)\r\n");
	$mct(gone_$var(k)) = "x";
	$mct(gone_$var(k)) = $null;
	$mct(never_$var(k)) = $null;
	append_to_reply("X-Gone: $mct(gone_$var(k))\r\n");
	$var(big) = $mct(big_$var(k));
	append_to_reply("X-Big-Len: $(var(big){s.len})\r\n");
	append_to_reply("X-Big-Tail: $(var(big){s.substr,-4,0})\r\n");
	sl_send_reply("200", "OK");
}
'''


def t_native_pv_roundtrip(args, work):
    mc = Memcached(work).start()
    k = None
    try:
        port = free_port()
        cfg = cfg_head(args, port, 'modparam("memcached", "servers", '
                       '"127.0.0.1:%d")\n' % mc.port) + NATIVE_ROUTE
        k = Kamailio(work, cfg, port).start()
        # larger than a PV buffer slot (8 KB): comes back whole
        mc.set("big_abc", b"x" * 20000 + b"tail", flags=1)
        code, h = sip_options(port, ["X-Key: abc"])
        assert code == 200, (code, h)
        assert h.get("X-Str") == "hello abc", h
        assert h.get("X-Int") == "42", h
        assert h.get("X-Gone") == "<null>", h
        assert h.get("X-Big-Len") == "20004", h
        assert h.get("X-Big-Tail") == "tail", h
        assert mc.get("s_abc") == (b"hello abc", 1), mc.get("s_abc")
        val, flags = mc.get("i_abc")
        assert flags == 0 and val.strip() == b"42", (flags, val)
        assert mc.get("gone_abc") is None
        assert k.stop() == 0
        log = k.log_text()
        # deleting a missing key is not an error; nothing else failed
        assert " ERROR: " not in log, log
    finally:
        if k:
            k.stop()
        mc.stop()


LUA_SCRIPT = r'''
local function hdr(name, v)
	KSR.hdr.append_to_reply(name .. ": " .. tostring(v) .. "\r\n")
end

function ksr_request_route()
	local m = KSR.memcached
	local k = KSR.pv.get("$hdr(X-Key)")
	if k == nil then -- readiness probe
		KSR.sl.sl_send_reply(200, "ready")
		return
	end
	hdr("X-Sets", m.sets(k .. "s", "hello"))
	hdr("X-Get", m.get(k .. "s"))
	hdr("X-Seti", m.seti(k .. "i", 7))
	hdr("X-GetI", m.get(k .. "i") + 1)
	hdr("X-Miss", m.get(k .. "none"))
	hdr("X-MissStatus", m.status())
	hdr("X-Gete", "[" .. m.gete(k .. "none") .. "]")
	hdr("X-Exists", m.exists(k .. "s"))
	hdr("X-NotExists", m.exists(k .. "none"))
	hdr("X-Setxs", m.setxs(k .. "x", "y", 60))
	hdr("X-Setxi", m.setxi(k .. "xi", 5, 60))
	hdr("X-Add1", m.add(k .. "a", "first", 60))
	hdr("X-Add2", m.add(k .. "a", "second", 60))
	hdr("X-Addi", m.addi(k .. "ai", 3, 60))
	hdr("X-Replace", m.replace(k .. "none", "z", 60))
	hdr("X-Append", m.append(k .. "s", "!"))
	hdr("X-Prepend", m.prepend(k .. "s", ">"))
	hdr("X-After", m.get(k .. "s"))
	hdr("X-Inc", m.inc(k .. "i", 5))
	hdr("X-Dec", m.dec(k .. "i", 100))
	hdr("X-IncMiss", m.inc(k .. "none", 1))
	hdr("X-Incx1", m.incx(k .. "c", 2, 60))
	hdr("X-Incx2", m.incx(k .. "c", 3, 60))
	hdr("X-NegDelta", m.inc(k .. "c", -1))
	hdr("X-NegStatus", m.status())
	hdr("X-NegExp", m.setxs(k .. "x", "y", -5))
	hdr("X-Touch", m.touch(k .. "s", 100))
	hdr("X-TouchMiss", m.touch(k .. "none", 100))
	hdr("X-Delete", m.delete(k .. "a"))
	hdr("X-Delete2", m.delete(k .. "a"))
	m.seti(k .. "big", 2147483647)
	hdr("X-Big", m.inc(k .. "big", 1))
	hdr("X-Status", m.status())
	KSR.sl.sl_send_reply(200, "OK")
end
'''

LUA_EXPECT = {
    "X-Sets": "1", "X-Get": "hello", "X-Seti": "1", "X-GetI": "8",
    "X-Miss": "nil", "X-MissStatus": "-1", "X-Gete": "[]",
    "X-Exists": "1", "X-NotExists": "-1", "X-Setxs": "1", "X-Setxi": "1",
    "X-Add1": "1", "X-Add2": "-1", "X-Addi": "1", "X-Replace": "-1",
    "X-Append": "1", "X-Prepend": "1", "X-After": ">hello!",
    "X-Inc": "12", "X-Dec": "0", "X-IncMiss": "nil", "X-Incx1": "2",
    "X-Incx2": "5", "X-NegDelta": "nil", "X-NegStatus": "-2",
    "X-NegExp": "-2", "X-Touch": "1", "X-TouchMiss": "-1",
    "X-Delete": "1", "X-Delete2": "-1", "X-Big": "2147483648",
    "X-Status": "1",
}


def t_lua_kemi_smoke(args, work):
    mc = Memcached(work).start()
    k = None
    try:
        d = workdir(work)
        script = os.path.join(d, "route.lua")
        with open(script, "w") as f:
            f.write(LUA_SCRIPT)
        port = free_port()
        cfg = cfg_head(
            args, port,
            'modparam("memcached", "servers", "127.0.0.1:%d")\n'
            'modparam("app_lua", "load", "%s")\n' % (mc.port, script),
            extra_modules=("app_lua",), engine='cfgengine "lua"')
        k = Kamailio(work, cfg, port).start()
        code, h = sip_options(port, ["X-Key: lk"])
        assert code == 200, (code, h)
        bad = {n: (h.get(n), v) for n, v in LUA_EXPECT.items()
               if h.get(n) != v}
        assert not bad, "got/expected: %s\n%s" % (bad, k.log_text()[-3000:])
        assert mc.get("lkbig") == (b"2147483648", 0), mc.get("lkbig")
        assert k.stop() == 0
    finally:
        if k:
            k.stop()
        mc.stop()


def with_kamailio(args, work, modparams, route, fn, children=2,
                  extra_modules=(), engine="", extra_args=()):
    """Runs fn(kamailio) against a Kamailio with ctl + kex (rpc, stats)."""
    port = free_port()
    k = Kamailio(work, "", port, extra_args=extra_args)
    try:
        cfg = cfg_head(args, port, modparams + ctl_cfg(k.ctl),
                       extra_modules=extra_modules, engine=engine)
        cfg = cfg.replace("children=2", "children=%d" % children) + route
        k.configure(cfg)
        k.start()
        fn(k)
        assert k.stop() == 0, k.log_text()[-3000:]
    finally:
        k.stop()


def with_lua(args, work, script_text, modparams, fn, **kw):
    """with_kamailio, the routing script in Lua (app_lua)."""
    script = os.path.join(workdir(work), "route.lua")
    with open(script, "w") as f:
        f.write(script_text)
    with_kamailio(args, work,
                  modparams + 'modparam("app_lua", "load", "%s")\n' % script,
                  "", fn, extra_modules=("app_lua",),
                  engine='cfgengine "lua"', **kw)


READY_ROUTE = r'''
request_route {
	if(!is_present_hf("X-Op")) { # readiness probe
		sl_send_reply("200", "ready");
		exit;
	}
	if($hdr(X-Op) == "set") {
		$mct($hdr(X-Key)) = "v";
	} else {
		$var(x) = $mct($hdr(X-Key));
	}
	sl_send_reply("200", "OK");
}
'''


def t_rpc_commands(args, work):
    mc = Memcached(work).start()

    def check(k):
        assert rpc(k, "memcached.set", "rk", "hello") == "stored"
        assert mc.get("rk") == (b"hello", 1)
        out = rpc(k, "memcached.get", "rk")
        assert "value: hello" in out and "flags: 1" in out, out
        # kamcmd sends numbers as ints: autoconverted, stored as strings
        assert rpc(k, "memcached.set", "123", "456", "60") == "stored"
        assert mc.get("123") == (b"456", 1)
        mc.set("cnt", "5", flags=0)
        assert rpc(k, "memcached.inc", "cnt") == "6"
        assert rpc(k, "memcached.inc", "cnt", "10") == "16"
        out = rpc(k, "memcached.get", "cnt")
        assert "value: 16" in out and "flags: 0" in out, out
        mc.set("big", "4294967295", flags=0)
        assert rpc(k, "memcached.inc", "big", "1") == "4294967296"
        assert "404" in rpc(k, "memcached.get", "nope")
        assert "404" in rpc(k, "memcached.inc", "nope")
        assert "400" in rpc(k, "memcached.inc", "cnt", "-1")
        assert "400" in rpc(k, "memcached.set", "rk", "x", "-5")
        assert "400" in rpc(k, "memcached.get")
        assert rpc(k, "memcached.delete", "rk") == "deleted"
        assert mc.get("rk") is None
        assert "404" in rpc(k, "memcached.delete", "rk")
        out = rpc(k, "memcached.servers")
        assert "host: 127.0.0.1" in out and "port: %d" % mc.port in out, out
        assert "state: closed" in out and "failures: 0" in out, out
        out = rpc(k, "memcached.stats")
        assert "curr_items:" in out and "pid: %d" % mc.proc.pid in out, out
        out = rpc(k, "memcached.flush")
        assert "400" in out and "confirm" in out, out
        assert mc.get("cnt") is not None  # not flushed without confirm
        assert rpc(k, "memcached.flush", "confirm") == "flushed"
        assert mc.get("cnt") is None
        # server down: faults with a reason, not a hang
        mc.stop()
        out = rpc(k, "memcached.get", "cnt")
        assert out.startswith("error: 500") and "connect" in out, out
        out = rpc(k, "memcached.stats")
        assert "error:" in out and "connect" in out, out
        assert "memcached.flush" in rpc(k, "system.listMethods")

    try:
        with_kamailio(args, work, 'modparam("memcached", "servers", '
                      '"127.0.0.1:%d")\n' % mc.port, READY_ROUTE, check)
    finally:
        mc.stop()


def t_rpc_stats_over_sasl(args, work):
    """Regression: memcached.stats against memcached -S waited the whole
    timeout ("no complete reply within the timeout"), logged an ERROR every
    time and was not counted. With binary=1 and credentials it reads the
    statistics over SASL; when the server refuses the credentials (changed
    after start-up) the error comes at once, counts in memcached:errors and
    is logged rate-limited like any other failure."""
    sdir = hs.make_sasl_dir(work, SASL_USER, SASL_PASSWORD)
    mc = Memcached(work, sasl_dir=sdir).start()
    sdir2 = None

    def check(k):
        nonlocal mc, sdir2
        t0 = time.monotonic()
        out = rpc(k, "memcached.stats")
        assert "pid: %d" % mc.proc.pid in out and "curr_items:" in out, out
        assert not [ln for ln in out.splitlines()
                    if ln.strip().startswith("error:")], out
        assert time.monotonic() - t0 < 2, "stats took %.1fs" % (
            time.monotonic() - t0)
        # the server's password database changes under a running Kamailio
        mc.stop()
        sdir2 = hs.make_sasl_dir(work, SASL_USER, "other-" + SASL_PASSWORD)
        mc = Memcached(work, port=mc.port, sasl_dir=sdir2).start()
        before = k.stats()["errors"]
        for _ in range(2):
            t0 = time.monotonic()
            out = rpc(k, "memcached.stats")
            took = time.monotonic() - t0
            assert took < 2, "stats took %.1fs (timeout 3s):\n%s" % (took,
                                                                     out)
            assert ("error: stats: authentication failure talking to "
                    "127.0.0.1:%d (SASL authentication failed; check "
                    "username and password)" % mc.port) in out, out
        assert k.stats()["errors"] == before + 2
        log = k.log_text()
        lines = [ln for ln in log.splitlines()
                 if "ERROR: memcached" in ln and "stats" in ln]
        assert len(lines) == 1, "\n".join(lines)  # rate-limited
        assert SASL_PASSWORD not in log, log

    try:
        with_kamailio(args, work,
                      sasl_modparams(mc.port, SASL_PASSWORD) +
                      'modparam("memcached", "timeout", 3000)\n',
                      SASL_ROUTE, check)
    finally:
        mc.stop()
        shutil.rmtree(sdir, ignore_errors=True)
        if sdir2:
            shutil.rmtree(sdir2, ignore_errors=True)


def t_statistics_counted(args, work):
    mc = Memcached(work).start()

    def counted(k):
        for op, key in [("set", "sa"), ("get", "sa"), ("get", "sb"),
                        ("get", "sc")]:
            code, _ = sip_options(k.port, ["X-Op: " + op, "X-Key: " + key])
            assert code == 200
        st = k.stats()
        assert st == {"hits": 1, "misses": 2, "sets": 1, "errors": 0,
                      "timeouts": 0, "breaker_trips": 0, "queued": 0,
                      "quiet_lost": 0}, st
        mc.stop()
        sip_options(k.port, ["X-Op: get", "X-Key: sa"])
        st = k.stats()
        assert st["errors"] == 1 and st["hits"] == 1, st

    try:
        with_kamailio(args, work, 'modparam("memcached", "servers", '
                      '"127.0.0.1:%d")\n' % mc.port, READY_ROUTE, counted)
    finally:
        mc.stop()

    # timeouts and a breaker trip: a server that never answers, one worker
    # (breakers are per process), trips after 2 consecutive failures
    bh = SilentServer()

    def tripped(k):
        for _ in range(3):
            sip_options(k.port, ["X-Op: get", "X-Key: t"], timeout=5)
        st = k.stats()
        assert st["timeouts"] == 2 and st["errors"] == 3, st
        assert st["breaker_trips"] == 1 and st["hits"] == 0, st
        out = rpc(k, "memcached.servers")
        # the RPC process has its own client: its breaker is still closed
        assert "port: %d" % bh.port in out, out

    try:
        with_kamailio(args, work,
                      'modparam("memcached", "servers", "127.0.0.1:%d")\n'
                      'modparam("memcached", "timeout", 200)\n'
                      'modparam("memcached", "failure_limit", 2)\n'
                      'modparam("memcached", "retry_time", 60)\n' % bh.port,
                      READY_ROUTE, tripped, children=1)
    finally:
        bh.close()


# The start of a Lua route: k is the X-Key header; without one, the
# readiness probe is answered.
LUA_ROUTE_HEAD = r'''
function ksr_request_route()
	local k = KSR.pv.get("$hdr(X-Key)")
	if k == nil then -- readiness probe
		KSR.sl.sl_send_reply(200, "ready")
		return
	end
'''

INCX_LUA = LUA_ROUTE_HEAD + r'''
	local r
	if KSR.pv.get("$hdr(X-Op)") == "sets" then
		r = KSR.memcached.sets(k, "v")
	else
		r = KSR.memcached.incx(k, 2, 60)
	end
	KSR.hdr.append_to_reply("X-R: " .. tostring(r) .. "\r\n")
	KSR.sl.sl_send_reply(200, "OK")
end
'''


def t_incx_create_counted_as_set(args, work):
    """Regression: KSR.memcached.incx creating the key was not counted in
    memcached:sets. Counted once when it creates, not when it increments."""
    mc = Memcached(work).start()

    def counted(k):
        for op, key, want in [("incx", "c1", "2"), ("incx", "c1", "4"),
                              ("incx", "c2", "2"), ("sets", "s1", "1")]:
            code, h = sip_options(k.port, ["X-Op: " + op, "X-Key: " + key])
            assert code == 200 and h.get("X-R") == want, (op, key, h)
        st = k.stats()
        # incx c1 (created), incx c2 (created), sets s1; the increment and
        # incx's internal miss are not counted
        assert st["sets"] == 3 and st["errors"] == 0, st
        assert st["hits"] == 0 and st["misses"] == 0, st

    try:
        with_lua(args, work, INCX_LUA,
                 'modparam("memcached", "servers", "127.0.0.1:%d")\n'
                 % mc.port, counted)
    finally:
        mc.stop()


NOMEM_LUA = LUA_ROUTE_HEAD + r'''
	local v
	if KSR.pv.get("$hdr(X-Via)") == "pv" then
		v = KSR.pv.get("$mct(" .. k .. ")")
	else
		v = KSR.memcached.get(k)
	end
	local len = -1
	if v ~= nil then len = string.len(v) end
	KSR.hdr.append_to_reply("X-Len: " .. len .. "\r\n")
	KSR.hdr.append_to_reply("X-Status: " .. KSR.memcached.status() .. "\r\n")
	KSR.sl.sl_send_reply(200, "OK")
end
'''


def t_copy_failure_is_an_error(args, work):
    """Regression: a value read from memcached that could not be copied into
    the module's buffer (out of pkg memory) gave the script nil/$null while
    status() stayed 1. Now status() is -2, memcached:errors counts it and an
    ERROR names the key. Kamailio with 4 MB of pkg memory, a 6 MB value."""
    mc = Memcached(work, extra=("-I", "8m")).start()
    mc.set("small", "x" * 100, flags=1)
    mc.set("huge", "y" * (6 * 1024 * 1024), flags=1)

    def check(k):
        for via in ("kemi", "pv"):
            code, h = sip_options(k.port, ["X-Key: small", "X-Via: " + via])
            assert code == 200 and h.get("X-Len") == "100", (via, h)
            assert h.get("X-Status") == "1", (via, h)
            code, h = sip_options(k.port, ["X-Key: huge", "X-Via: " + via],
                                     timeout=10)
            assert code == 200 and h.get("X-Len") == "-1", (via, h)
            assert h.get("X-Status") == "-2", (via, h)
        st = k.stats()
        assert st["errors"] == 2 and st["hits"] == 4, st
        lines = [ln for ln in k.log_text().splitlines()
                 if "out of pkg memory" in ln]
        assert len(lines) == 2, "\n".join(lines)
        assert all("ERROR: memcached" in ln and "get 'huge'" in ln
                   and "6291456 bytes" in ln for ln in lines), lines

    try:
        with_lua(args, work, NOMEM_LUA,
                 'modparam("memcached", "servers", "127.0.0.1:%d")\n'
                 'modparam("memcached", "max_value_size", 8388608)\n'
                 % mc.port, check, children=1, extra_args=("-M", "4"))
    finally:
        mc.stop()


def t_outage_log_rate_limited(args, work):
    """A dead server does not flood the log: one worker, 30 failing reads
    within the 10 s window give one ERROR line (with key and reason) with the
    breaker off; with the default breaker (failure_limit 1) one line says the
    server was disabled and one the failure. The script still sees each
    failure."""
    dead = free_port()  # nothing listens there

    def flood(expected):
        def run(k):
            for i in range(30):
                code, _ = sip_options(k.port,
                                         ["X-Op: get", "X-Key: k%d" % i])
                assert code == 200
            st = k.stats()
            assert st["errors"] == 30, st
            lines = [ln for ln in k.log_text().splitlines()
                     if "ERROR: memcached" in ln]
            assert len(lines) == expected, "\n".join(lines)
            failure = [ln for ln in lines if "disabled after" not in ln]
            assert len(failure) == 1, lines
            assert ("'k0'" in failure[0]
                    and "127.0.0.1:%d" % dead in failure[0]), lines
            if expected == 2:
                assert any("disabled after 1 consecutive failures" in ln
                           for ln in lines), lines
        return run

    servers = 'modparam("memcached", "servers", "127.0.0.1:%d")\n' % dead
    with_kamailio(args, os.path.join(work, "off"),
                  servers + 'modparam("memcached", "failure_limit", 0)\n',
                  READY_ROUTE, flood(1), children=1)
    with_kamailio(args, os.path.join(work, "default"), servers,
                  READY_ROUTE, flood(2), children=1)


# How each of Kamailio's build systems is told to drop DBG_SR_MEMORY.
NO_MEMDBG = {
    "make": "-DKAMAILIO_MAKE_CFG_ARGS=quiet=verbose;prefix=/usr;"
            "FLAVOUR=kamailio;MEMDBG=0",
    "cmake": "-DKAMAILIO_CMAKE_ARGS=-DMEMDBG=OFF",
}


def configure_flagcheck(args, work, name, *extra):
    src = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                       "flagcheck")
    p = subprocess.run([args.cmake, "-S", src, "-B", os.path.join(work, name),
                        "-DKAMAILIO_SRC_DIR=" + hs.KAMAILIO_SRC,
                        "-DKAMAILIO_BIN=" + hs.KAMAILIO, *extra],
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       timeout=300)
    return p.returncode, p.stdout.decode(errors="replace")


def refused_lines(out):
    """The refusal's two lines for each string: (ours, the binary's)."""
    lines = out.splitlines()
    return ([ln for ln in lines if "(ours)" in ln],
            [ln for ln in lines if "(kamailio -I)" in ln])


def t_configure_refuses_flag_mismatch(args, work):
    """Kamailio.cmake fails configure, showing both strings, when the build
    options of Kamailio's own build system imply other compile flags (here:
    MEMDBG off drops DBG_SR_MEMORY)."""
    rc, out = configure_flagcheck(args, work, "ok")
    assert rc == 0, out
    assert "loads a module built with these flags" in out, out
    assert "flags from its %s build" % args.build_system in out, out
    rc, out = configure_flagcheck(args, work, "bad",
                                  NO_MEMDBG[args.build_system])
    assert rc != 0, out
    ours, theirs = refused_lines(out)
    assert ours and theirs, out
    flags_ours = [ln for ln in ours if "module_flags" in ln][0]
    flags_theirs = [ln for ln in theirs if "Compile flags" in ln][0]
    assert "DBG_SR_MEMORY" not in flags_ours, out
    assert "DBG_SR_MEMORY" in flags_theirs, out


def t_configure_refuses_other_build_system(args, work):
    """The flags of the other build system of the same source (make cfg for
    a CMake-built Kamailio, or the reverse) are refused, showing both
    strings: each build system bakes its own version string or flags in."""
    other = {"make": "cmake", "cmake": "make"}[args.build_system]
    if other == "cmake" and not os.path.isfile(
            os.path.join(hs.KAMAILIO_SRC, "CMakeLists.txt")):
        # 5.x trees have no CMake build at all: configure must say so.
        rc, out = configure_flagcheck(args, work, "other",
                                      "-DKAMAILIO_BUILD_SYSTEM=cmake")
        assert rc != 0, out
        # CMake wraps message lines: compare with whitespace collapsed
        assert "has no CMake build" in " ".join(out.split()), out
        return
    rc, out = configure_flagcheck(args, work, "other",
                                  "-DKAMAILIO_BUILD_SYSTEM=" + other)
    assert rc != 0, out
    ours, theirs = refused_lines(out)
    assert len(ours) == 2 and len(theirs) == 2, out
    assert ours != theirs, out


CASES = {name[2:]: fn for name, fn in globals().items()
         if name.startswith("t_")}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--work", required=True)
    ap.add_argument("--cmake", default="cmake")
    ap.add_argument("--build-system", default="make",
                    choices=("make", "cmake"))
    ap.add_argument("case", choices=sorted(CASES))
    args = ap.parse_args()
    if not os.path.isabs(hs.module_so()) or not os.path.isfile(
            hs.module_so()):
        sys.exit("MC_MODULE_SO must name the built module by absolute "
                 "path: %r" % hs.module_so())
    work = workdir(os.path.join(args.work, args.case))
    CASES[args.case](args, work)
    shutil.rmtree(work, ignore_errors=True)  # kept only when a case fails
    print("ok:", args.case)


if __name__ == "__main__":
    main()
