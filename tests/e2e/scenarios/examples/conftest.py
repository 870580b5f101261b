"""The example routing scripts of scripts/examples/, each run on two Kamailio
instances (same engine) sharing one memcached. A test module names its
example in EXAMPLE."""

import os

import pytest

from harness import servers

EXAMPLES = os.path.join(servers.ROOT, "scripts", "examples")


@pytest.fixture(scope="module")
def pair(request, workdir, engine, memcached):
    servers.check_prerequisites(engine)
    name = request.module.EXAMPLE
    mp = {"expire": 0}
    d = os.path.join(EXAMPLES, name)
    a = servers.start_kamailio(workdir, engine, d, memcached.port,
                               name=f"{name}-{engine}-a", modparams=mp)
    try:
        b = servers.start_kamailio(workdir, engine, d, memcached.port,
                                   name=f"{name}-{engine}-b", modparams=mp)
    except Exception:
        a.stop()
        raise
    yield a, b
    dead = [k.dir for k in (a, b) if not k.alive()]
    for k in (a, b):
        k.stop()
    if dead:
        pytest.fail(f"kamailio died: {dead}")


@pytest.fixture
def sips(pair, memcached):
    if not memcached.running():
        memcached.start()
    a, b = pair[0].client(), pair[1].client()
    yield a, b
    a.close()
    b.close()
