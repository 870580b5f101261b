"""Several memcached servers (a cluster): two Kamailio instances
configured with the same three servers agree on where every key lives, each
key lives on exactly one server, and a dead server's keys fail (fast) while
the others' keep working."""

import time

import pytest

from harness.ops import call
from ring import ring_of_three, where


@pytest.fixture(scope="module")
def ring(workdir):
    with ring_of_three(workdir, "ring") as r:
        yield r


def test_cluster_ring_keys_spread_and_instances_agree(ring, key):
    ms, (a, b) = ring
    sa, sb = a.client(), b.client()
    n = 60
    homes = {}
    for i in range(n):
        k = f"{key}-{i}"
        assert call(sa, "sets", k, f"v{i}").value == 1
        w = where(ms, k)
        assert len(w) == 1, (k, w)
        homes[k] = w[0]
        r = call(sb, "get", k)  # the other instance finds it
        assert r.value == f"v{i}", r
    counts = [list(homes.values()).count(i) for i in range(3)]
    assert all(c >= n // 10 for c in counts), counts
    # writes through B land on the same servers
    for k, home in list(homes.items())[:20]:
        call(sb, "sets", k, "again")
        assert where(ms, k) == [home]
    sa.close()
    sb.close()


def test_cluster_ring_dead_server_only_its_keys_fail(ring, key):
    ms, (a, _) = ring
    sip = a.client()
    keys = [f"{key}-{i}" for i in range(30)]
    for k in keys:
        call(sip, "sets", k, "v")
    homes = {k: where(ms, k)[0] for k in keys}
    dead = homes[keys[0]]
    ms[dead].stop()
    took = []
    try:
        for k in keys:
            t0 = time.monotonic()
            r = call(sip, "get", k)
            took.append(time.monotonic() - t0)
            if homes[k] == dead:
                assert (r.type, r.status) == ("nil", -2), (k, r)
            else:
                assert (r.value, r.status) == ("v", 1), (k, r)
        # a stopped server refuses at once; at worst connect, write and
        # read each wait the timeout (300 ms): the median stays below
        # that, so requests a loaded machine delays cannot fail it
        assert sorted(took)[len(took) // 2] < 0.9, took
    finally:
        ms[dead].start()
        sip.close()
