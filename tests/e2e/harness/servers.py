"""memcached and Kamailio as child processes on free loopback ports, started
and stopped by the pid this harness started, with readiness polled. Used by
the e2e suite (pytest) and by the load tests (tests/load/load_test.py, plain
python3): pytest is imported only where a test is failed."""

import ctypes
import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time

from .mc import McClient
from .sip import SipClient

HERE = os.path.dirname(os.path.abspath(__file__))
E2E = os.path.dirname(HERE)
ROOT = os.path.dirname(os.path.dirname(E2E))
# The Kamailio under test: configure passes the binary, its module directory
# and its kamcmd (tests/e2e/CMakeLists.txt); the defaults are Debian's.
KAMAILIO = os.environ.get("MC_KAMAILIO_BIN") or "/usr/sbin/kamailio"
MODDIR = (os.environ.get("MC_KAMAILIO_MODDIR")
          or "/usr/lib/x86_64-linux-gnu/kamailio/modules")
KAMCMD = os.environ.get("MC_KAMCMD") or shutil.which("kamcmd") or "kamcmd"
SHIPPED_MODULE = os.path.join(MODDIR, "memcached.so")


_LIBC = ctypes.CDLL(None, use_errno=True)
_PR_SET_PDEATHSIG = 1


def _die_with_harness():
    """preexec_fn of every server: the kernel sends it SIGTERM when the
    process (thread) that started it dies, so a test run killed by its
    timeout leaves no memcached or Kamailio behind (each runs in its own
    session, out of reach of the signal to the test's process group).
    Servers are started from the main thread only."""
    _LIBC.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)


def module_so():
    """Our module: $MC_MODULE_SO, default <repo>/build/kemi/memcached.so."""
    return os.environ.get("MC_MODULE_SO") or os.path.join(
        ROOT, "build", "kemi", "memcached.so")


def lua54_so():
    return os.environ.get("MC_APP_LUA54_SO") or os.path.join(
        ROOT, ".deps", "app_lua54", "app_lua.so")


def kamailio_version(binary=None):
    """(major, minor, patch) of the Kamailio under test (`kamailio -v`)."""
    out = subprocess.run([binary or KAMAILIO, "-v"], capture_output=True,
                         text=True).stdout
    m = re.search(r"version: \S+ (\d+)\.(\d+)\.(\d+)", out)
    if not m:
        raise RuntimeError(f"cannot read the version of {KAMAILIO}:\n{out}")
    return tuple(int(x) for x in m.groups())


KAMAILIO_VERSION = kamailio_version()
# The source tree of the Kamailio under test (configure passes it): facts
# that differ between versions are read from it rather than assumed.
KAMAILIO_SRC = os.environ.get("MC_KAMAILIO_SRC", "")


def source_define(path, name, default):
    """The integer a #define NAME in KAMAILIO_SRC/src/PATH has, or
    default when there is no source tree or no such define."""
    try:
        with open(os.path.join(KAMAILIO_SRC, "src", path)) as f:
            m = re.search(rf"#define\s+{name}\s+(\d+)", f.read())
    except OSError:
        return default
    return int(m.group(1)) if m else default




def script_int_bits(engine):
    """Bits of the ints the module hands a script as numbers: 32, and since
    5.7 (KEMI SR_KEMIP_LONG, `long` PV ints) 64 for Python and native cfg.
    app_lua and app_jsdt turn a KEMI long into a double (Lua 5.4 would see
    a float), so there the module returns the decimal string beyond 32 bits
    (kemi/ki_memcached.c mc_kemi_int_range)."""
    if KAMAILIO_VERSION >= (5, 7, 0) and engine in ("python", "native"):
        return 64
    return 32


def script_int_max(engine):
    return 2 ** (script_int_bits(engine) - 1) - 1

# pv_buffer_size's default: a PV name or value printed into one buffer of
# this size (8 KB in 5.6, 32 KB since 5.8).
PV_PRINT_BUFFER = source_define("core/pvapi.c",
                                "PV_DEFAULT_PRINT_BUFFER_SIZE", 8192)
# Kamailio 5.7 added the core parameter msg_recv_max_size (default 32767):
# a larger SIP message is dropped before routing ("read message too large").
# The tests send values of up to 60 KB in a SIP body.
MSG_RECV_MAX_SIZE = 65535 if KAMAILIO_VERSION >= (5, 7, 0) else None


def python_passes_nul():
    """Whether app_python3 hands a str with a NUL to KEMI whole: since 5.8
    it reads parameters with PyUnicode_AsUTF8AndSize; before, the NUL made
    the call a script error."""
    syms = subprocess.run(["nm", "-D", os.path.join(MODDIR,
                                                     "app_python3.so")],
                          capture_output=True, text=True).stdout
    return "PyUnicode_AsUTF8AndSize" in syms


def lua_engine_of(so):
    """'lua51' or 'lua54': the Lua an app_lua.so links (ldd)."""
    libs = subprocess.run(["ldd", so], capture_output=True, text=True).stdout
    for engine, lib in (("lua54", "liblua5.4"), ("lua51", "liblua5.1")):
        if lib in libs:
            return engine
    raise RuntimeError(f"{so} links no known Lua:\n{libs}")


def free_port(kind=socket.SOCK_STREAM):
    """A port free for both TCP and UDP on 127.0.0.1 right now."""
    for _ in range(50):
        s = socket.socket(socket.AF_INET, kind)
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
        s.close()
        other = socket.socket(
            socket.AF_INET,
            socket.SOCK_DGRAM if kind == socket.SOCK_STREAM
            else socket.SOCK_STREAM)
        try:
            other.bind(("127.0.0.1", port))
            return port
        except OSError:
            continue
        finally:
            other.close()
    raise RuntimeError("no free port")


def session_holds(sid, proto, port):
    """Whether a process of session `sid` (a server we started with
    start_new_session) holds the socket of 127.0.0.1:port (proto "udp", or
    "tcp" for a listening one): the port is ours, not another suite's."""
    want = f"0100007F:{port:04X}"
    inodes = set()
    with open(f"/proc/net/{proto}") as f:
        for line in f.readlines()[1:]:
            cols = line.split()
            if cols[1] == want and (proto == "udp" or cols[3] == "0A"):
                inodes.add(f"socket:[{cols[9]}]")
    if not inodes:
        return False
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            if os.getsid(int(pid)) != sid:
                continue
            fddir = f"/proc/{pid}/fd"
            for fd in os.listdir(fddir):
                if os.readlink(os.path.join(fddir, fd)) in inodes:
                    return True
        except OSError:
            continue
    return False


SASLPASSWD2 = shutil.which("saslpasswd2") or "/usr/sbin/saslpasswd2"


def make_sasl_dir(base, user, password):
    """A directory holding a sasldb with one user and the memcached.conf
    pointing at it, what `memcached -S` reads through SASL_CONF_PATH. The
    sasldb is made by saslpasswd2, as tests/unit/test_sasl.c does. The
    caller removes the directory."""
    d = tempfile.mkdtemp(prefix="sasl-", dir=base)
    db = os.path.join(d, "sasldb")
    subprocess.run([SASLPASSWD2, "-p", "-a", "memcached", "-c", "-f", db,
                    user], input=(password + "\n").encode(), check=True)
    with open(os.path.join(d, "memcached.conf"), "w") as f:
        f.write("mech_list: plain\nsasldb_path: %s\n" % db)
    return d


class PortTaken(RuntimeError):
    """A server we started could not bind the port free_port gave."""


def wait_until(pred, timeout, what, interval=0.02):
    """Polls pred() until true; raises TimeoutError naming `what`."""
    deadline = time.monotonic() + timeout
    while True:
        v = pred()
        if v:
            return v
        if time.monotonic() >= deadline:
            raise TimeoutError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(interval)


def _stop(proc, timeout=15):
    """SIGTERM to the pid we started, then wait; SIGKILL to that pid's own
    process group (created by us) only if it does not go."""
    if proc.poll() is not None:
        return proc.returncode
    proc.send_signal(signal.SIGTERM)
    try:
        return proc.wait(timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        return proc.wait(5)


class Memcached:
    def __init__(self, workdir, port=None, extra=(), sasl_dir=None):
        """extra: more memcached arguments (e.g. "-l", "::1" to listen on
        IPv6 loopback too); sasl_dir (make_sasl_dir): memcached -S, binary
        protocol and SASL only (client() does not work then)."""
        self.workdir = workdir
        self.sasl_dir = sasl_dir
        # A port we picked may be taken by another suite before memcached
        # binds it (free_port releases it): start() then moves to another,
        # unless a Kamailio was already configured with it (moved=False).
        self.own_port = port is None
        self.port = port or free_port()
        self.extra = list(extra)
        self.proc = None
        self.log = None

    def start(self, timeout=10, attempts=5):
        """Starts memcached; ready when it answers with its own pid (not
        another suite's memcached that took the port)."""
        for attempt in range(attempts):
            self.log = os.path.join(self.workdir,
                                    f"memcached-{self.port}.log")
            args = ["memcached", "-l", "127.0.0.1", "-p", str(self.port),
                    "-U", "0"] + self.extra
            if os.geteuid() == 0:
                args += ["-u", "root"]
            env = None
            if self.sasl_dir:
                args.append("-S")
                env = dict(os.environ, SASL_CONF_PATH=self.sasl_dir)
            self._logf = open(self.log, "ab")
            self.proc = subprocess.Popen(args, stdout=self._logf,
                                         stderr=subprocess.STDOUT, env=env,
                                         start_new_session=True,
                                         preexec_fn=_die_with_harness)
            try:
                wait_until(self._ready, timeout,
                           f"memcached on port {self.port}")
                # from now on clients know the port: a restart keeps it
                self.own_port = False
                return self
            except PortTaken:
                self.stop()
                if not self.own_port or attempt == attempts - 1:
                    raise
                self.port = free_port()
        return self

    def _ready(self):
        if self.proc.poll() is not None:
            text = open(self.log, errors="replace").read()
            if "Address already in use" in text:
                raise PortTaken(f"port {self.port}: {text[-300:]}")
            raise RuntimeError(f"memcached exited {self.proc.returncode}: "
                               + text)
        if self.sasl_dir:  # no text protocol: ready when ours listens
            return session_holds(self.proc.pid, "tcp", self.port)
        try:
            c = McClient(self.port, timeout=1)
            try:
                pid = c.stat("pid")
            finally:
                c.close()
        except OSError:
            return False
        if pid != str(self.proc.pid):
            return False  # someone else's memcached: ours will exit
        return True

    def stop(self):
        if self.proc is not None:
            _stop(self.proc)
            self.proc = None
            self._logf.close()

    def running(self):
        return self.proc is not None and self.proc.poll() is None

    def client(self):
        return McClient(self.port)

    def get(self, key):
        """(value bytes, flags) or None, read on a connection of its own."""
        c = self.client()
        try:
            return c.get(key)
        finally:
            c.close()

    def set(self, key, value, flags=0, exptime=0):
        """Stores key on a connection of its own; asserts STORED."""
        c = self.client()
        try:
            r = c.set(key, value, flags, exptime)
        finally:
            c.close()
        assert r == "STORED", f"set {key}: {r}"


def kemi_engines():
    """engine id -> (app module path, app module name, cfgengine, script
    file). The Lua id says which Lua the Kamailio's own app_lua links (5.1
    in Debian's packages, 5.4 in a source build that finds it); an app_lua
    built for the other Lua ($MC_APP_LUA54_SO, set by configure when
    MC_TEST_LUA54 is on) adds the other id."""
    own_lua = os.path.join(MODDIR, "app_lua.so")
    engines = {lua_engine_of(own_lua): (own_lua, "app_lua", "lua",
                                        "script.lua")}
    if os.environ.get("MC_APP_LUA54_SO") and "lua54" not in engines:
        engines["lua54"] = (lua54_so(), "app_lua", "lua", "script.lua")
    engines["python"] = (os.path.join(MODDIR, "app_python3.so"),
                         "app_python3", "python", "script.py")
    engines["jsdt"] = (os.path.join(MODDIR, "app_jsdt.so"), "app_jsdt",
                       "jsdt", "script.js")
    return engines


KEMI_ENGINES = kemi_engines()
ENGINES = list(KEMI_ENGINES) + ["native"]
# The Lua engine of the Kamailio under test itself (its own app_lua).
LUA = next(iter(KEMI_ENGINES))


def render_cfg(engine, scenario_dir, sip_port, mc_port, module=None,
               modparams=None, extra_modules=(), debug=2, ctl=None,
               children=2, extra_cfg=()):
    """The Kamailio config of one scenario for one engine. modparams: dict of
    our module's params (servers defaults to the test memcached; a value of
    None leaves the param unset, e.g. retry_time to test the default)."""
    ours = module is None or module == module_so()
    module = module or module_so()
    params = {"servers": f"127.0.0.1:{mc_port}"}
    if ours:
        # The breaker stays on (failure_limit 1 by default) but the call
        # after a trip is already the probe: scenarios stop and restart
        # memcached under one long-lived Kamailio, and the next test must
        # not land in the 2 s a default breaker stays open. The default
        # timing is proven by the load and unit tests.
        params["retry_time"] = 0
    params.update(modparams or {})
    out = [
        "#!KAMAILIO",
        f"debug={debug}",
        "log_stderror=yes",
        "memdbg=5",
        "memlog=5",
        f"children={children}",
    ]
    if MSG_RECV_MAX_SIZE:
        out.append(f"msg_recv_max_size={MSG_RECV_MAX_SIZE}")
    out += [
        "auto_aliases=no",
        f"listen=udp:127.0.0.1:{sip_port}",
        f'mpath="{MODDIR}"',
        'loadmodule "sl.so"',
        'loadmodule "pv.so"',
        'loadmodule "xlog.so"',
        'loadmodule "textops.so"',
        'loadmodule "siputils.so"',
    ]
    if ctl:
        out += ['loadmodule "ctl.so"',
                f'modparam("ctl", "binrpc", "unix:{ctl}")']
    out += [f'loadmodule "{m}"' for m in extra_modules]
    # more global params and modparams; {port} is the SIP port
    out += [line.format(port=sip_port) for line in extra_cfg]
    out.append(f'loadmodule "{module}"')
    for k, v in params.items():
        if v is None:  # left to the module's default
            continue
        if isinstance(v, int):
            out.append(f'modparam("memcached", "{k}", {v})')
        else:
            out.append(f'modparam("memcached", "{k}", "{v}")')
    if engine == "native":
        out.append(f'include_file "{os.path.join(scenario_dir, "native.cfg")}"')
    else:
        so, name, cfgengine, script = KEMI_ENGINES[engine]
        out += [
            f'loadmodule "{so}"',
            f'modparam("{name}", "load", "{os.path.join(scenario_dir, script)}")',
            f'cfgengine "{cfgengine}"',
        ]
    return "\n".join(out) + "\n"


STARTED = []  # every Kamailio started, so failed tests can show their logs


class Kamailio:
    """Kamailio in the foreground (-DD -E), its log in <dir>/kamailio.log.
    ctl: the path of a unix socket for the ctl module, for configs that load
    it (rpc(), stats()). extra_args: more command-line arguments (a later
    -M overrides the default 16 MB of pkg memory)."""

    def __init__(self, workdir, cfg_text, port, name="kamailio",
                 extra_args=()):
        self.dir = os.path.join(workdir, f"{name}-{port}")
        os.makedirs(self.dir, exist_ok=True)
        self.port = port
        self.cfg = os.path.join(self.dir, "kamailio.cfg")
        self.configure(cfg_text)
        self.log = os.path.join(self.dir, "kamailio.log")
        self.extra_args = list(extra_args)
        # unix socket paths are limited to 107 bytes: keep it short
        self._ctldir = tempfile.mkdtemp(prefix="kamctl")
        self.ctl = os.path.join(self._ctldir, "ctl")
        self.proc = None

    def configure(self, cfg_text):
        """(Re)writes the config; it is read at the next start."""
        with open(self.cfg, "w") as f:
            f.write(cfg_text)

    def rpc(self, *args, timeout=10):
        """kamcmd over the ctl socket (when the config loads ctl):
        (returncode, output). kamcmd exits 0 even on a fault, which it
        prints as 'error: CODE - reason'. The arguments are values, never
        options (a delta of -1 stays a delta)."""
        p = subprocess.run([KAMCMD, "-s", "unix:" + self.ctl, "--"]
                           + [str(a) for a in args],
                           capture_output=True, text=True, timeout=timeout)
        return p.returncode, p.stdout + p.stderr

    def stats(self, group="memcached:"):
        """{name: int} from the RPC `stats.get_statistics group` (the config
        loads ctl and kex); names without the group. Raises when kamcmd
        fails."""
        rc, out = self.rpc("stats.get_statistics", group)
        if rc != 0:
            raise RuntimeError(f"kamcmd stats.get_statistics: {out}")
        stats = {}
        for line in out.splitlines():
            if " = " in line:
                k, v = line.split(" = ", 1)
                stats[k.strip().split(":", 1)[-1]] = int(v)
        return stats

    def spawn(self):
        """Starts Kamailio without waiting for it to serve."""
        STARTED.append(self)
        self._logf = open(self.log, "ab")
        self.proc = subprocess.Popen(
            [KAMAILIO, "-f", self.cfg, "-DD", "-E", "-w", self.dir, "-Y",
             self.dir, "-P", os.path.join(self.dir, "kamailio.pid"), "-m",
             "64", "-M", "16", *self.extra_args],
            stdout=self._logf, stderr=subprocess.STDOUT, cwd=self.dir,
            start_new_session=True, preexec_fn=_die_with_harness)

    def run_to_exit(self, timeout=30):
        """Starts a Kamailio expected to stop by itself (a refused config)
        and returns its exit code; if it still runs after timeout, stops it
        and raises subprocess.TimeoutExpired."""
        self.spawn()
        try:
            self.proc.wait(timeout)
        finally:
            rc = self.stop()
        return rc

    def start(self, timeout=20):
        """Starts Kamailio; ready when it answers SIP (an OPTIONS without
        the scenario's headers) on the port it owns."""
        self.spawn()
        sip = SipClient("127.0.0.1", self.port)
        try:
            # ready when it answers SIP on a socket it owns: the answer may
            # come from another suite's Kamailio that took the port first
            wait_until(lambda: self._check_alive() and sip.ping(0.2)
                       and self._owns_port(), timeout,
                       f"kamailio to answer SIP on {self.port}")
        except Exception:
            self.stop()
            raise
        finally:
            sip.close()
        return self

    def _check_alive(self):
        if self.proc.poll() is not None:
            tail = self.log_tail()
            if "Address already in use" in tail:
                raise PortTaken(f"kamailio: port {self.port} taken")
            raise RuntimeError(
                f"kamailio exited with {self.proc.returncode}; log:\n"
                + tail)
        return True

    def _owns_port(self):
        """Whether a process of our Kamailio holds its SIP socket."""
        return session_holds(self.proc.pid, "udp", self.port)

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def stop(self):
        """Stops kamailio; returns its exit code (None if not started)."""
        if self.proc is None:
            return None
        rc = _stop(self.proc)
        self.proc = None
        self._logf.close()
        shutil.rmtree(self._ctldir, ignore_errors=True)
        return rc

    def log_text(self):
        try:
            with open(self.log, "rb") as f:
                return f.read().decode("utf-8", "replace")
        except OSError:
            return ""

    def log_tail(self, lines=200):
        return "\n".join(self.log_text().splitlines()[-lines:])

    def client(self, timeout=8.0):
        return SipClient("127.0.0.1", self.port, timeout=timeout)


def kamailio_check(cfg_path):
    """kamailio -c -f CFG: (returncode, output)."""
    p = subprocess.run([KAMAILIO, "-c", "-f", cfg_path],
                       capture_output=True, text=True, timeout=60)
    return p.returncode, p.stdout + p.stderr


def start_kamailio(workdir, engine, scenario_dir, mc_port, name="kamailio",
                   module=None, modparams=None, timeout=20, children=2,
                   extra_modules=(), extra_cfg=()):
    """Starts Kamailio for `engine` with the scenario's script on a free
    port; the caller stops it."""
    for attempt in range(5):
        port = free_port()
        k = Kamailio(workdir, "", port, name=name)
        cfg = render_cfg(engine, scenario_dir, port, mc_port, module=module,
                         modparams=modparams, ctl=k.ctl, children=children,
                         extra_modules=extra_modules, extra_cfg=extra_cfg)
        k.configure(cfg)
        try:
            return k.start(timeout)
        except PortTaken:
            # free_port released the port and another suite bound it
            # before Kamailio did: try another
            if attempt == 4:
                raise


def check_prerequisites(engine, module=None):
    import pytest
    so = module or module_so()
    if not os.path.isfile(so):
        pytest.fail(f"module not found: {so} (build it, or set MC_MODULE_SO)")
    if engine not in KEMI_ENGINES and engine != "native":
        pytest.fail(f"engine {engine} is not available with {KAMAILIO}")
    if engine == "lua54" and not os.path.isfile(KEMI_ENGINES["lua54"][0]):
        pytest.fail(f"{lua54_so()} missing: run "
                    "scripts/build-app-lua54.sh")
