"""The native cfg functions' parameters are checked when Kamailio fixes the
config at start-up, before any SIP request: a bad one stops the start with
a line naming it (Kamailio calls function fixups at start, not in
`kamailio -c`, which only checks the number of parameters). Every
KSR.memcached function has its mc_<name> twin taking the documented
parameters."""

import os
import re

import pytest

from harness import servers

# KSR.memcached.<name> -> a correct call of its cfg twin
TWINS = {
    "get": 'mc_get("reg:$tU", "$var(loc)")',
    "gete": 'mc_gete("reg:$tU", "$avp(loc)")',
    "exists": 'mc_exists("k")',
    "sets": 'mc_sets("k", "$var(v)")',
    "seti": 'mc_seti("k", "-5")',
    "setxs": 'mc_setxs("k", "v", "60")',
    "setxi": 'mc_setxi("k", "$var(n)", "$var(e)")',
    "add": 'mc_add("dedup:$ci", "1", "30")',
    "addi": 'mc_addi("k", "1", "30")',
    "replace": 'mc_replace("k", "v", "0")',
    "append": 'mc_append("k", ",$si")',
    "prepend": 'mc_prepend("k", "$si,")',
    "delete": 'mc_delete("k")',
    "inc": 'mc_inc("k", "1", "$var(n)")',
    "dec": 'mc_dec("k", "$var(d)", "$var(n)")',
    "incx": 'mc_incx("rl:$fU", "1", "60", "$var(n)")',
    "touch": 'mc_touch("k", "600")',
    "status": 'mc_status()',
    "setsq": 'mc_setsq("call:$ci", "$fu")',
    "setiq": 'mc_setiq("k", "7")',
    "setxsq": 'mc_setxsq("call:$ci", "$var(v)", "3600")',
    "setxiq": 'mc_setxiq("k", "$var(n)", "60")',
    "mget": 'mc_mget("a:$fU;b:$tU", ";")',
    "mval": 'mc_mval("a:$fU", "$var(a)")',
}


@pytest.fixture(scope="module", params=["native"])
def engine(request):
    return request.param


@pytest.fixture
def check(workdir, engine):
    """check(calls) -> (started, log): starts Kamailio with a config whose
    request_route holds calls (never run: only fixed) and answers pings;
    stops it again."""
    servers.check_prerequisites(engine)
    n = [0]

    def run(calls):
        n[0] += 1
        d = os.path.join(workdir, f"cfgcheck-{n[0]}")
        os.makedirs(d, exist_ok=True)
        with open(os.path.join(d, "native.cfg"), "w") as f:
            f.write('request_route {\n\tif ($hdr(X-Op) == "never") {\n'
                    '\t\t%s;\n\t}\n\tsl_send_reply("200", "pong");\n'
                    '\texit;\n}\n' % calls)
        port = servers.free_port()
        cfg = servers.render_cfg(engine, d, port, servers.free_port())
        k = servers.Kamailio(workdir, cfg, port, name=f"cfgcheck-{n[0]}")
        try:
            k.start(timeout=20)
        except RuntimeError:
            return False, k.log_text()
        k.stop()
        return True, k.log_text()

    return run


def kemi_names():
    """The KEMI function names, from the KEMI table in the source."""
    src = os.path.join(os.path.dirname(__file__), "..", "..", "..", "..",
                       "kemi", "ki_memcached.c")
    with open(src) as f:
        return set(re.findall(r'str_init\("memcached"\), str_init\("(\w+)"\)',
                              f.read()))


def test_every_kemi_function_has_a_cfg_twin(engine, check):
    assert set(TWINS) == kemi_names()
    started, log = check(";\n\t\t".join(TWINS.values()))
    assert started, log


@pytest.mark.parametrize("call,says", [
    # a literal delta or expiry must not be negative
    ('mc_incx("k", "-1", "60", "$var(n)")', 'parameter 2 "-1": must not be'),
    ('mc_add("k", "v", "-5")', 'parameter 3 "-5": must not be negative'),
    # ints are decimal literals or one variable
    ('mc_seti("k", "abc")', 'parameter 2 "abc": not a decimal integer'),
    ('mc_seti("k", "12x")', 'parameter 2 "12x": not a decimal integer'),
    ('mc_touch("k", "99999999999")', 'parameter 2 "99999999999": not a'),
    ('mc_touch("k", "$var(a)x")', 'parameter 2 "$var(a)x": expected an'),
    # the destination is one writable variable
    ('mc_get("k", "loc")', 'parameter 2 "loc": expected the variable'),
    ('mc_get("k", "$var(a)$var(b)")', 'parameter 2 "$var(a)$var(b)": exp'),
    ('mc_inc("k", "1", "$ci")', 'parameter 3 "$ci": a read-only variable'),
    # a string with broken variable syntax
    ('mc_sets("k:$var(", "v")', 'parameter 1 "k:$var(": bad variable'),
])
def test_bad_parameter_stops_the_start(engine, check, call, says):
    started, log = check(call)
    assert not started, log
    assert says in log, log


@pytest.mark.parametrize("call", [
    'mc_get("k")',                          # too few
    'mc_incx("k", "1", "60")',              # the destination missing
    'mc_sets("k", "v", "60")',              # too many
    'mc_get($var(k), "$var(r)")',           # unquoted: evaluated per call
])
def test_wrong_call_shape_stops_the_start(engine, check, call):
    started, log = check(call)
    assert not started, log


def doc_cfg_examples():
    """The kamailio.cfg examples of doc/memcached.md section 4.20."""
    path = os.path.join(os.path.dirname(__file__), "..", "..", "..", "..",
                        "doc", "memcached.md")
    with open(path) as f:
        md = f.read()
    start = md.index("### 4.20. ")
    section = md[start:md.index("\n## ", start)]
    # fenced blocks in order, each with its language; the cfg ones have none
    blocks = re.findall(r"^```(\w*)\n(.*?)^```", section, flags=re.S | re.M)
    return [code for lang, code in blocks if lang == ""]


def test_doc_examples_start(engine, check):
    """Every native example of the doc is a config Kamailio fixes and
    starts with (each in its own never-taken branch)."""
    blocks = doc_cfg_examples()
    assert len(blocks) >= 18, len(blocks)
    body = ";\n\t}\n\tif ($hdr(X-Op) == \"never\") {\n".join(
        b.rstrip().rstrip(";") for b in blocks)
    started, log = check(body)
    assert started, log
