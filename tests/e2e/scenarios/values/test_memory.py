"""Big reads cost memory only while they are in use, and max_value_size
bounds what a read may hand to a script. Before: the KEMI
buffer, the PV slots (pkg memory) and the client buffer grew to the largest
value ever read and never shrank; after one 1 MB read a worker's pkg
real_used stayed about 2 MB higher (kamcmd pkg.stats)."""

import os
import re

from harness.servers import start_kamailio

HERE = os.path.dirname(os.path.abspath(__file__))
BIG = 900 * 1024  # below memcached's default item limit (-I 1m)
SLACK = 256 * 1024  # what a worker may keep beyond its baseline


def pkg_used(kamailio):
    """pid -> real_used of every process (kamcmd pkg.stats)."""
    rc, out = kamailio.rpc("pkg.stats")
    assert rc == 0, out
    used = {}
    for block in re.findall(r"\{(.*?)\}", out, re.S):
        pid = re.search(r"pid: (\d+)", block)
        ru = re.search(r"real_used: (\d+)", block)
        if pid and ru:
            used[int(pid.group(1))] = int(ru.group(1))
    assert used, out
    return used


def read_len(sip, key):
    r = sip.send("OPTIONS", headers=[("X-Key", key), ("X-Len", "1")])
    assert r.code == 200, r
    return r


def test_big_read_does_not_pin_pkg_memory(engine, workdir, memcached, mc,
                                          key):
    # kex serves pkg.stats
    kamailio = start_kamailio(workdir, engine, HERE, memcached.port,
                              name=f"values-mem-{engine}",
                              extra_modules=("kex.so",))
    try:
        sip = kamailio.client()
        big_read_leaves_no_trace(kamailio, sip, mc, key)
        sip.close()
    finally:
        kamailio.stop()


def big_read_leaves_no_trace(kamailio, sip, mc, key):
    small, big = key + "-small", key + "-big"
    assert mc.set(small, b"s" * 100, 1) == "STORED"
    assert mc.set(big, b"b" * BIG, 1) == "STORED"
    # warm every worker up (engine state, first allocations)
    for _ in range(8):
        assert read_len(sip, small).get("X-Len") == "100"
    before = pkg_used(kamailio)
    for _ in range(8):  # UDP workers take turns: each reads it
        r = read_len(sip, big)
        assert (r.get("X-Type"), r.get("X-Len")) == ("str", str(BIG)), r
    for _ in range(8):
        assert read_len(sip, small).get("X-Len") == "100"
    after = pkg_used(kamailio)
    grown = {pid: after[pid] - before[pid] for pid in before if pid in after}
    assert max(grown.values()) < SLACK, grown


def test_read_above_max_value_size_is_an_error(engine, workdir, memcached,
                                                mc, key):
    k = start_kamailio(workdir, engine, HERE, memcached.port,
                       name=f"values-cap-{engine}",
                       modparams={"max_value_size": 65536})
    try:
        sip = k.client()
        assert mc.set(key, b"x" * 65537, 1) == "STORED"
        r = read_len(sip, key)
        assert r.get("X-Type") == "nil", r
        if engine != "native":
            assert r.get("X-Status") == "-2", r
        assert mc.set(key, b"x" * 65536, 1) == "STORED"
        r = read_len(sip, key)
        assert (r.get("X-Type"), r.get("X-Len")) == ("str", "65536"), r
        sip.close()
        assert ("value of 65537 bytes is above the limit of 65536 for reads"
                in k.log_text()), k.log_tail()
    finally:
        k.stop()
