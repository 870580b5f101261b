"""Small harness for the load tests: free loopback ports, a memcached and a
Kamailio started in the foreground and stopped by the pid we started, a
one-shot SIP client, a raw memcached text-protocol client.

Every server started here listens on 127.0.0.1 only and is stopped by its
own pid (never by name). Readiness is polled, never slept for.
"""
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import uuid

KAMAILIO = os.environ.get("KAMAILIO_BIN", "/usr/sbin/kamailio")
MEMCACHED = shutil.which("memcached") or "/usr/bin/memcached"


def free_port(kind=socket.SOCK_STREAM):
    """A port free for both TCP and UDP on 127.0.0.1 right now."""
    for _ in range(50):
        with socket.socket(socket.AF_INET, kind) as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        other = socket.SOCK_DGRAM if kind == socket.SOCK_STREAM else socket.SOCK_STREAM
        try:
            with socket.socket(socket.AF_INET, other) as s:
                s.bind(("127.0.0.1", port))
        except OSError:
            continue
        return port
    raise RuntimeError("no free port")


def wait_until(pred, timeout, what):
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        try:
            if pred():
                return
        except OSError as e:  # not up yet
            last = e
        time.sleep(0.05)
    raise TimeoutError("%s not ready after %ss (%s)" % (what, timeout, last))


SASLPASSWD2 = shutil.which("saslpasswd2") or "/usr/sbin/saslpasswd2"


def make_sasl_dir(base, user, password):
    """A directory holding a sasldb with one user (made by saslpasswd2, as
    tests/unit/test_sasl.c does) and the memcached.conf that points at it:
    what `memcached -S` reads through SASL_CONF_PATH. The caller removes it."""
    d = tempfile.mkdtemp(prefix="sasl-", dir=base)
    db = os.path.join(d, "sasldb")
    subprocess.run([SASLPASSWD2, "-p", "-a", "memcached", "-c", "-f", db,
                    user], input=(password + "\n").encode(), check=True)
    with open(os.path.join(d, "memcached.conf"), "w") as f:
        f.write("mech_list: plain\nsasldb_path: %s\n" % db)
    return d


class Memcached:
    def __init__(self, port=None, sasl_dir=None, extra=()):
        """sasl_dir (make_sasl_dir): memcached -S, binary protocol and SASL
        only; the text-protocol helpers below do not work then. extra: more
        memcached arguments (e.g. -I 8m)."""
        self.port = port or free_port()
        args = [MEMCACHED, "-l", "127.0.0.1", "-p", str(self.port), "-U", "0",
                *extra]
        if os.geteuid() == 0:
            args += ["-u", "root"]
        env = None
        if sasl_dir:
            args.append("-S")
            env = dict(os.environ, SASL_CONF_PATH=sasl_dir)
        self.proc = subprocess.Popen(args, stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL, env=env)
        if sasl_dir:  # no text protocol: ready when it accepts
            wait_until(lambda: socket.create_connection(
                ("127.0.0.1", self.port), 1).close() is None,
                10, "memcached -S on port %d" % self.port)
        else:
            wait_until(
                lambda: self.cmd(b"version\r\n").startswith(b"VERSION"),
                10, "memcached on port %d" % self.port)

    def cmd(self, data, timeout=2.0):
        """Sends one text command, returns the reply up to its terminator."""
        with socket.create_connection(("127.0.0.1", self.port), timeout) as s:
            s.sendall(data)
            buf = b""
            while True:
                chunk = s.recv(65536)
                if not chunk:
                    return buf
                buf += chunk
                for end in (b"END\r\n", b"STORED\r\n", b"DELETED\r\n",
                            b"NOT_FOUND\r\n", b"ERROR\r\n", b"OK\r\n"):
                    if buf.endswith(end):
                        return buf
                if buf.startswith(b"VERSION") and buf.endswith(b"\r\n"):
                    return buf

    def get(self, key):
        """(flags, value bytes) or None."""
        r = self.cmd(b"get " + key.encode() + b"\r\n")
        if r == b"END\r\n":
            return None
        head, rest = r.split(b"\r\n", 1)
        _, _, flags, length = head.split(b" ")[:4]
        return int(flags), rest[: int(length)]

    def set(self, key, value, flags=0, exptime=0):
        v = value if isinstance(value, bytes) else str(value).encode()
        r = self.cmd(b"set %s %d %d %d\r\n%s\r\n"
                     % (key.encode(), flags, exptime, len(v), v))
        assert r == b"STORED\r\n", r

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


class Kamailio:
    """Kamailio in the foreground (-DD -E), logs in <dir>/kamailio.log."""

    def __init__(self, cfg_text, workdir, port, extra_args=()):
        self.dir = workdir
        self.port = port
        self.cfg = os.path.join(workdir, "kamailio.cfg")
        self.log = os.path.join(workdir, "kamailio.log")
        with open(self.cfg, "w") as f:
            f.write(cfg_text)
        self.logf = open(self.log, "wb")
        self.proc = subprocess.Popen(
            [KAMAILIO, "-f", self.cfg, "-DD", "-E", "-w", workdir, "-Y",
             workdir, "-P", os.path.join(workdir, "kamailio.pid"), "-m", "64",
             "-M", "16", *extra_args],
            stdout=self.logf, stderr=subprocess.STDOUT)

    def wait_ready(self, timeout=15):
        def up():
            if self.proc.poll() is not None:
                raise RuntimeError("kamailio exited (%s):\n%s"
                                   % (self.proc.returncode, self.log_text()))
            try:
                sip_options(self.port, timeout=0.3)
                return True
            except socket.timeout:
                return False
        wait_until(up, timeout, "kamailio on udp port %d" % self.port)

    def log_text(self):
        if not self.logf.closed:
            self.logf.flush()
        with open(self.log, "rb") as f:
            return f.read().decode(errors="replace")

    def stop(self):
        """SIGTERM to the main pid we started; it stops its children."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if not self.logf.closed:
            self.logf.close()
        return self.proc.returncode


def sip_options(port, headers=(), timeout=3.0):
    """Sends one OPTIONS over UDP; returns (status code, {header: value})."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.settimeout(timeout)
        s.bind(("127.0.0.1", 0))
        lport = s.getsockname()[1]
        callid = uuid.uuid4().hex
        lines = [
            "OPTIONS sip:load@127.0.0.1:%d SIP/2.0" % port,
            "Via: SIP/2.0/UDP 127.0.0.1:%d;branch=z9hG4bK%s;rport"
            % (lport, callid[:12]),
            "From: <sip:test@127.0.0.1>;tag=%s" % callid[:8],
            "To: <sip:load@127.0.0.1>",
            "Call-ID: %s" % callid,
            "CSeq: 1 OPTIONS",
            "Max-Forwards: 70",
            *headers,
            "Content-Length: 0",
            "", "",
        ]
        s.sendto("\r\n".join(lines).encode(), ("127.0.0.1", port))
        data = s.recv(65535).decode(errors="replace")
    head = data.split("\r\n\r\n", 1)[0].split("\r\n")
    code = int(head[0].split(" ")[1])
    hdrs = {}
    for h in head[1:]:
        if ":" in h:
            k, v = h.split(":", 1)
            hdrs.setdefault(k.strip(), v.strip())
    return code, hdrs


def workdir(base):
    os.makedirs(base, exist_ok=True)
    return tempfile.mkdtemp(prefix="t-", dir=base)


KAMCMD = (os.environ.get("MC_KAMCMD") or shutil.which("kamcmd")
          or "/usr/sbin/kamcmd")


def ctl_dir():
    """A short directory for the ctl unix socket (paths are limited to 107
    bytes, build trees can be deep). The caller removes it."""
    return tempfile.mkdtemp(prefix="mcctl-")


def ctl_cfg(sock):
    return ('loadmodule "ctl.so"\nloadmodule "kex.so"\n'
            'modparam("ctl", "binrpc", "unix:%s")\n' % sock)


def kamcmd(sock, *args, timeout=10):
    """Runs kamcmd; returns its output (kamcmd exits 0 even on a fault, which
    it prints as 'error: CODE - reason')."""
    # "--": arguments such as -1 are values, not options
    p = subprocess.run([KAMCMD, "-s", "unix:" + sock, "--", *map(str, args)],
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       timeout=timeout)
    return p.stdout.decode(errors="replace").strip()


def kamcmd_stats(sock, group="memcached:"):
    """{name: int} from 'stats.get_statistics group'."""
    out = kamcmd(sock, "stats.get_statistics", group)
    stats = {}
    for line in out.splitlines():
        if " = " in line:
            k, v = line.split(" = ", 1)
            stats[k.strip().split(":", 1)[-1]] = int(v)
    return stats


class Blackhole:
    """Accepts TCP connections (kernel backlog) and never answers."""

    def __init__(self):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.port = self.sock.getsockname()[1]

    def stop(self):
        self.sock.close()
