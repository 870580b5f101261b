"""Two Kamailio instances with our module, on different ports, sharing one
memcached: counters incremented through both ends at the exact sum, incx
racing to create a key, add letting exactly one writer in.

Instances A, B and C run the api scenario's Lua script, JS script and
native cfg (mc_<name> functions)."""

import os
import threading

import pytest

from harness import servers
from harness.ops import call

API = os.path.join(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))), "api")


@pytest.fixture(scope="module")
def pair(workdir, memcached):
    servers.check_prerequisites(servers.LUA)
    a = servers.start_kamailio(workdir, servers.LUA, API, memcached.port,
                               name="cluster-a", modparams={"expire": 0})
    b = servers.start_kamailio(workdir, "jsdt", API, memcached.port,
                               name="cluster-b", modparams={"expire": 0})
    c = servers.start_kamailio(workdir, "native", API, memcached.port,
                               name="cluster-c", modparams={"expire": 0})
    yield a, b, c
    dead = [k.dir for k in (a, b, c) if not k.alive()]
    for k in (a, b, c):
        k.stop()
    assert not dead, f"died: {dead}"


def hammer(instances, n, fn):
    """n calls of fn(sip, i) through each instance, all concurrently (two
    threads per instance); returns every result."""
    results, errors = [], []
    lock = threading.Lock()

    def worker(k, part):
        sip = k.client(timeout=10)
        try:
            for i in range(part):
                r = fn(sip, i)
                with lock:
                    results.append(r)
        except Exception as e:  # noqa: BLE001 - reported below
            with lock:
                errors.append(e)
        finally:
            sip.close()

    threads = [threading.Thread(target=worker, args=(k, n // 2))
               for k in instances for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert not errors, errors
    return results


def test_cluster_counter_sum_exact(pair, mc, key):
    mc.set_int(key, 0)
    n = 200
    results = hammer(pair, n, lambda sip, i: call(sip, "inc", key, delta=1))
    assert len(results) == n * len(pair)
    assert mc.get(key)[0].strip() == str(n * len(pair)).encode()
    values = sorted(r.value for r in results)
    # every inc returns a distinct new value (atomic), native mc_inc too
    assert values == list(range(1, n * len(pair) + 1)), values[:10]


def test_cluster_incx_race_creates_once(pair, mc, key):
    n = 200
    results = hammer(pair, n,
                     lambda sip, i: call(sip, "incx", key, delta=1, exp=300))
    values = sorted(r.value for r in results)
    assert values == list(range(1, len(pair) * n + 1)), values[:10]
    assert mc.get(key) == (str(len(pair) * n).encode(), 0)
    assert 290 <= mc.ttl(key) <= 300


def test_cluster_add_one_writer_wins(pair, mc, key):
    for round_ in range(20):
        k = f"{key}-{round_}"
        results = hammer(pair, 2,
                         lambda sip, i: call(sip, "add", k, "w", exp=60))
        codes = sorted(r.value for r in results)
        # two writers per instance, three instances: one wins
        assert codes == [-1] * 5 + [1], (round_, codes)


def test_cluster_concurrent_reads_get_their_own_values(pair, mc, key):
    """Every worker of every instance reading distinct keys at once: each
    read returns its own key's value (no reply crossed between workers)."""
    n = 50
    for i in range(n):
        mc.set_str(f"{key}-{i}", f"value-{i}")

    def read(sip, i):
        r = call(sip, "get", f"{key}-{i % n}")
        return (i % n, r.value)

    results = hammer(pair, 2 * n, read)
    wrong = [(i, v) for i, v in results if v != f"value-{i}"]
    assert not wrong, wrong[:5]
