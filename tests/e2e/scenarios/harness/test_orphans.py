"""A test run killed outright (ctest's timeout sends SIGKILL to pytest)
leaves no server behind: every memcached and Kamailio the harness starts
runs in its own session, so only the kernel's parent-death signal reaches
it. Proved with a harness process that starts a memcached and a Kamailio
and is then killed with SIGKILL."""

import os
import signal
import subprocess
import sys
import textwrap
import time

import pytest

E2E = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))

CHILD = textwrap.dedent("""
    import sys, tempfile
    sys.path.insert(0, sys.argv[1])
    from harness import servers
    d = tempfile.mkdtemp(prefix="mc-orphan-")
    m = servers.Memcached(d).start()
    k = servers.start_kamailio(d, "native", sys.argv[1] + "/scenarios/api",
                               m.port)
    print(m.proc.pid, k.proc.pid, flush=True)
    sys.stdin.read()
""")


@pytest.fixture(scope="module", params=["native"])
def engine(request):
    return request.param


def alive(pid):
    """True while pid exists and is not a zombie."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def test_killed_harness_leaves_no_server(engine):
    h = subprocess.Popen([sys.executable, "-c", CHILD, E2E],
                         stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    try:
        line = h.stdout.readline().decode()
        pids = [int(p) for p in line.split()]
        assert len(pids) == 2, f"harness child printed {line!r}"
        assert all(alive(p) for p in pids)
    finally:
        h.kill()
        h.wait()
    deadline = time.monotonic() + 20
    while any(alive(p) for p in pids) and time.monotonic() < deadline:
        time.sleep(0.05)
    left = [p for p in pids if alive(p)]
    for p in left:  # each leads its own session: its process group
        os.killpg(p, signal.SIGKILL)
    assert not left, f"servers still running after their harness died: {left}"
