"""Three memcached servers and two Kamailio instances (the Kamailio's own
Lua, and Python) running the api scenario over all three: the ring the
cluster tests share."""

import contextlib
import os

from harness import servers
from harness.servers import Memcached

API = os.path.join(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))), "api")


@contextlib.contextmanager
def ring_of_three(workdir, prefix, children=2, **modparams):
    """Yields ([3 Memcached], [2 Kamailio]); everything stopped after, and
    a Kamailio that died meanwhile fails the test."""
    ms = [Memcached(workdir).start() for _ in range(3)]
    spec = ",".join(f"127.0.0.1:{m.port}" for m in ms)
    servers.check_prerequisites(servers.LUA)
    ks = []
    try:
        for name, engine in ((f"{prefix}-a", servers.LUA),
                             (f"{prefix}-b", "python")):
            ks.append(servers.start_kamailio(
                workdir, engine, API, ms[0].port, name=name,
                children=children,
                modparams={"servers": spec, "expire": 0, "timeout": 300,
                           **modparams}))
        yield ms, ks
    finally:
        dead = [k.dir for k in ks if not k.alive()]
        for k in ks:
            k.stop()
        for m in ms:
            m.stop()
        assert not dead, dead


def where(ms, key):
    """Indices of the running servers that hold key."""
    found = []
    for i, m in enumerate(ms):
        if not m.running():
            continue
        c = m.client()
        if c.get(key) is not None:
            found.append(i)
        c.close()
    return found
