"""A short soak per engine (tests/soak runs 200k requests; this is the
per-commit version, MC_SOAK_REQUESTS raises it): mixed operations (hits,
misses, errors, large values, counters) through the api scripts; after a
warm-up, the workers' pkg memory, shm memory and open file descriptors do
not grow."""

import os
import re

import pytest

from harness import servers
from harness.ops import call

SCENARIO_DIR = os.path.join(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))), "api")
REQUESTS = int(os.environ.get("MC_SOAK_REQUESTS", "3000"))
WARMUP = 600


def snapshot(k):
    rc, out = k.rpc("pkg.stats")
    assert rc == 0, out
    pkg = {}
    for block in re.findall(r"\{(.*?)\}", out, re.S):
        f = dict(re.findall(r"^\s*(\w+): (.*?)\s*$", block, re.M))
        if "receiver" in f.get("desc", ""):
            pkg[int(f["pid"])] = int(f["used"])
    rc, out = k.rpc("core.shmmem")
    assert rc == 0, out
    shm = int(re.search(r"used: (\d+)", out).group(1))
    fds = {pid: len(os.listdir(f"/proc/{pid}/fd")) for pid in pkg}
    return pkg, shm, fds


def mixed(sip, key, i):
    j = i % 12
    k = f"{key}-{i % 50}"
    if j == 0:
        call(sip, "sets", k, "v" * (i % 40))
    elif j == 1:
        call(sip, "get", k)
    elif j == 2:
        call(sip, "get", f"{key}-missing-{i}")
    elif j == 3:
        call(sip, "incx", f"{key}-ctr", delta=1, exp=60)
    elif j == 4:
        call(sip, "inc", k, delta=1)  # often a string: an error
    elif j == 5:
        call(sip, "exists", k)
    elif j == 6:
        call(sip, "sets", f"{key}-big", body=b"b" * 9000)
    elif j == 7:
        call(sip, "get", f"{key}-big", reply_body=True)
    elif j == 8:
        call(sip, "delete", k)
    elif j == 9:
        call(sip, "seti", k, i)
    elif j == 10:
        call(sip, "get", k)
    else:
        call(sip, "touch", k, exp=30)


# The mixed load runs on every engine; native cfg through the mc_<name>
# functions.
def test_soak_no_growth(engine, workdir, memcached, key):
    servers.check_prerequisites(engine)
    k = servers.start_kamailio(workdir, engine, SCENARIO_DIR, memcached.port,
                               name=f"soak-{engine}",
                               modparams={"expire": 0},
                               extra_modules=["kex.so"])
    try:
        sip = k.client()
        for i in range(WARMUP):
            mixed(sip, key, i)
        pkg0, shm0, fds0 = snapshot(k)
        for i in range(WARMUP, WARMUP + REQUESTS):
            mixed(sip, key, i)
        pkg1, shm1, fds1 = snapshot(k)
        sip.close()
        grown = {pid: pkg1[pid] - pkg0[pid] for pid in pkg0}
        print("soak", engine, REQUESTS, "pkg growth", grown, "shm growth",
              shm1 - shm0, "fds", fds1)
        assert all(g < 16384 for g in grown.values()), grown
        assert shm1 - shm0 < 65536, (shm0, shm1)
        assert fds1 == fds0, (fds0, fds1)
        assert k.alive()
    finally:
        k.stop()
