"""A create-or-increment never answers a miss: between incx's
add losing to another creator and its next increment, the key can vanish
again (a per-second rate-limit key expires, or someone deletes it). A fake
memcached replays that race exactly: the key is missing, another writer
wins the add, the key is gone again, then we win. Before, incx returned nil
with status() -1 and $mcinc's assignment failed."""

import os

import pytest

from harness.fakes import ScriptedMemcached
from harness.ops import call
from harness.servers import start_kamailio

API = os.path.join(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))), "api")

RACE = [b"NOT_FOUND\r\n",   # incr: missing
        b"NOT_STORED\r\n",  # add: another writer won
        b"NOT_FOUND\r\n",   # incr: it expired meanwhile
        b"STORED\r\n"]      # add: ours


@pytest.fixture
def fake():
    f = ScriptedMemcached(RACE, b"3")
    yield f
    f.close()


@pytest.fixture
def kam(engine, workdir, fake):
    k = start_kamailio(workdir, engine, API, fake.port,
                       name=f"incx-race-{engine}", children=1)
    yield k
    k.stop()


def test_incx_never_answers_a_miss(engine, kam, fake, key):
    sip = kam.client()
    try:
        # native: mc_incx, the cfg twin ($mcinc = creates through the same
        # core call, mc_incr_create)
        r = call(sip, "incx", key, delta=3, exp=1)
    finally:
        sip.close()
    assert (r.type, r.value) == ("int", 3), (r, fake.requests)
    assert r.status == 1, r
    verbs = [q.split()[0] for q in fake.requests if not q.startswith(b"get")]
    assert verbs == [b"incr", b"add", b"incr", b"add"], fake.requests
