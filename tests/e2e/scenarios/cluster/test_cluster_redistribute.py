"""redistribute=1 end to end: three memcached servers, two Kamailio
instances (Lua and Python) of two worker processes each. With a server
stopped, each worker's breaker trips on its first call to that server
(failure_limit 1: that one call fails with -2), then the dead server's keys
are rehashed to a live server: writes through one instance are read
through the other (the four processes agree where a key lives, never a
miss), each key lives on exactly one live server, and keys of the live
servers do not move (doc/memcached.md 10.2)."""

import threading

import pytest

from harness.ops import call
from ring import ring_of_three, where

CHILDREN = 2
THREADS = 4


@pytest.fixture
def trio(workdir):
    # retry_time 60: the dead server stays skipped for the whole test
    with ring_of_three(workdir, "redis", children=CHILDREN, redistribute=1,
                       failure_limit=1, retry_time=60) as r:
        yield r


class Tripped:
    """Counts the -2 of each instance: at most one per worker process (its
    breaker trips on it), every other call must succeed."""

    def __init__(self):
        self.n = {}
        self.lock = threading.Lock()

    def call(self, inst, sip, *args, **kw):
        for _ in range(CHILDREN + 1):
            r = call(sip, *args, **kw)
            if r.status != -2:
                return r
            with self.lock:
                self.n[inst] = self.n.get(inst, 0) + 1
                assert self.n[inst] <= CHILDREN, (inst, self.n, r)
        raise AssertionError(f"{args}: still -2 after every worker tripped")


def test_redistribute_instances_agree_on_a_dead_servers_keys(trio, key):
    ms, (a, b) = trio
    sa, sb = a.client(), b.client()
    keys = [f"{key}-{i}" for i in range(120)]
    homes = {}
    for k in keys:
        assert call(sa, "sets", k, "before").value == 1
        homes[k] = where(ms, k)
        assert len(homes[k]) == 1, (k, homes[k])
        homes[k] = homes[k][0]
    sa.close()
    sb.close()
    dead = homes[keys[0]]
    moved = [k for k in keys if homes[k] == dead]
    stayed = [k for k in keys if homes[k] != dead]
    assert len(moved) >= 12 and len(stayed) >= 12, homes
    ms[dead].stop()
    t = Tripped()
    errors = []

    def traffic(n):
        # concurrent clients, so both workers of each instance serve (one
        # client's sequential requests may all land on one worker)
        ca, cb = a.client(), b.client()
        try:
            for i, k in enumerate(moved[n::THREADS]):
                # written through one instance, read through the other,
                # both ways: never a miss (the processes would disagree)
                w, wsip, r, rsip = (("a", ca, "b", cb) if i % 2 else
                                    ("b", cb, "a", ca))
                assert t.call(w, wsip, "sets", k, "after").value == 1
                got = t.call(r, rsip, "get", k)
                assert (got.type, got.value, got.status) == \
                    ("str", "after", 1), (k, got)
            for k in stayed[n::THREADS]:
                assert t.call("b", cb, "sets", k, "after").value == 1
                assert t.call("a", ca, "get", k).value == "after"
        except AssertionError as e:
            errors.append(e)
        finally:
            ca.close()
            cb.close()

    try:
        ts = [threading.Thread(target=traffic, args=(n,))
              for n in range(THREADS)]
        for th in ts:
            th.start()
        for th in ts:
            th.join(120)
        assert not errors, errors[:3]
        # every moved key lives on exactly one live server, every kept key
        # where it was
        for k in moved:
            home = where(ms, k)
            assert len(home) == 1 and home[0] != dead, (k, home)
        for k in stayed:
            assert where(ms, k) == [homes[k]], k
    finally:
        ms[dead].start()
