"""servers = a unix socket path: Kamailio talks to a memcached started with
`memcached -s PATH` (no TCP at all), on every engine, through the api
scenario's scripts; a raw client on the same socket reads what was stored."""

import os
import socket
import subprocess
import tempfile

import pytest

from harness.ops import call
from harness.servers import (_stop, check_prerequisites, start_kamailio,
                             wait_until)

API_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..",
                       "api")


def unix_cmd(path, line):
    """One text-protocol command over the unix socket; the raw reply."""
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(5)
    s.connect(path)
    s.sendall(line.encode() + b"\r\n")
    out = b""
    while not (out.endswith(b"END\r\n") or out.endswith(b"VERSION")
               or out.count(b"\r\n") >= 1 and out.startswith(b"VERSION")):
        chunk = s.recv(65536)
        if not chunk:
            break
        out += chunk
    s.close()
    return out


@pytest.fixture(scope="module")
def unix_memcached():
    d = tempfile.mkdtemp(prefix="mcsock")
    path = os.path.join(d, "memcached.sock")
    args = ["memcached", "-s", path, "-U", "0"]
    if os.geteuid() == 0:
        args += ["-u", "root"]
    proc = subprocess.Popen(args, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, start_new_session=True)

    def ready():
        assert proc.poll() is None, "memcached -s exited"
        try:
            return unix_cmd(path, "version").startswith(b"VERSION")
        except OSError:
            return False
    wait_until(ready, 10, f"memcached on {path}")
    yield path
    _stop(proc)
    os.unlink(path)
    os.rmdir(d)


@pytest.fixture(scope="module")
def kamailio(workdir, engine, unix_memcached):
    check_prerequisites(engine)
    k = start_kamailio(workdir, engine, API_DIR, 0,
                       name=f"unixsock-{engine}",
                       modparams={"servers": unix_memcached})
    yield k
    alive = k.alive()
    k.stop()
    if not alive:
        pytest.fail(f"kamailio ({engine}) died; log:\n" + k.log_tail())


@pytest.fixture
def sip(kamailio):
    c = kamailio.client()
    yield c
    c.close()
    assert kamailio.alive(), "kamailio died:\n" + kamailio.log_tail()


def test_store_read_count_over_unix_socket(engine, sip, unix_memcached,
                                           key):
    r = call(sip, "sets", key, "over a unix socket")
    assert (r.type, r.value) == ("int", 1), r
    raw = unix_cmd(unix_memcached, f"get {key}")
    assert raw.startswith(f"VALUE {key} 1 18\r\n".encode()), raw
    assert b"over a unix socket" in raw
    r = call(sip, "get", key)
    assert (r.type, r.value, r.status) == ("str", "over a unix socket", 1), r
    r = call(sip, "incx", key + "n", delta=3, exp=60)
    assert (r.type, r.value) == ("int", 3), r
    r = call(sip, "setsq-get", key + "q", "quiet")
    assert (r.type, r.value, r.status) == ("str", "quiet", 1), r
    r = call(sip, "get", key + "missing")
    assert (r.type, r.status) == ("nil", -1), r
