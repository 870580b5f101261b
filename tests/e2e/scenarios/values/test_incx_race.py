"""A create-or-increment never answers a miss (issue 10): between incx's
add losing to another creator and its next increment, the key can vanish
again (a per-second rate-limit key expires, or someone deletes it). A fake
memcached replays that race exactly: the key is missing, another writer
wins the add, the key is gone again, then we win. Before, incx returned nil
with status() -1 and $mcinc's assignment failed."""

import os
import socket
import threading

import pytest

from harness.ops import call
from harness.servers import start_kamailio

API = os.path.join(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))), "api")

STORES = (b"set ", b"add ", b"replace ", b"append ", b"prepend ", b"cas ")


class ScriptedMemcached:
    """Text-protocol fake: answers each request with the next scripted reply
    (over all connections); a get of any key answers `get_value`."""

    def __init__(self, replies, get_value):
        self.replies = list(replies)
        self.get_value = get_value
        self.requests = []
        self.lsock = socket.socket()
        self.lsock.bind(("127.0.0.1", 0))
        self.lsock.listen(16)
        self.port = self.lsock.getsockname()[1]
        self._lock = threading.Lock()
        threading.Thread(target=self._accept, daemon=True).start()

    def close(self):
        self.lsock.close()

    def _accept(self):
        while True:
            try:
                c, _ = self.lsock.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(c,),
                             daemon=True).start()

    def _serve(self, c):
        buf, skip = b"", False
        while True:
            try:
                data = c.recv(65536)
            except OSError:
                return
            if not data:
                return
            buf += data
            while b"\r\n" in buf:
                line, buf = buf.split(b"\r\n", 1)
                if skip:
                    skip = False
                    continue
                skip = line.startswith(STORES)
                with self._lock:
                    self.requests.append(line)
                    if line.startswith(b"get "):
                        k = line.split()[1]
                        v = self.get_value
                        out = (b"VALUE %s 0 %d\r\n%s\r\nEND\r\n"
                               % (k, len(v), v))
                    elif self.replies:
                        out = self.replies.pop(0)
                    else:
                        out = b"SERVER_ERROR script over\r\n"
                c.sendall(out)


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
