"""Soak: SIP traffic through each engine with the module busy, and
proof that nothing grows once Kamailio is warm.

Per engine 200k requests: WARMUP (20k) then REQUESTS (180k); the environment
variables SOAK_WARMUP and SOAK_REQUESTS change them for longer runs.

Each request (sipp, uac.xml: one OPTIONS, a Call-ID unique per request) runs
the soak script of its engine (scenario/): incx on a shared counter, setxs
of a key made from the Call-ID with a 60 s expiry, get checked against what
was set, delete; native cfg does the same with the PVs. Any check that fails
replies 500, which fails the sipp call.

After a warm-up of WARMUP requests (caches built, every code path taken, the
memcached connections open) the state of Kamailio is taken, REQUESTS more
are sent, and the state is taken again. Asserted:

- every request answered 200: no 500, and at most LOST_TOLERANCE requests
  unanswered after sipp's UDP retransmissions (500 ms doubling, 5 times:
  about 30 s per request), since UDP on a loaded loopback may drop a
  datagram and its retransmissions only in theory;
- the module counted no error (memcached:errors) and memcached saw no new
  connection from Kamailio (no reconnect churn);
- per Kamailio process: the same number of open fds and sockets, and at most
  one TCP connection to memcached (one client per process);
- pkg memory of each process, shm memory, and each process's private
  anonymous memory (RssAnon: the system malloc heap, which is where
  libmemcached and the script interpreters allocate, invisible to pkg/shm)
  do not grow beyond the margins below.

Why these margins can fail: Kamailio's pkg and shm allocator (q_malloc,
built with DBG_QM_MALLOC as Debian builds it) puts a 56-byte header and a
48-byte end guard around each block of at least 16 bytes, so every leaked
allocation adds at least 120 bytes to real_used. Each of the 2 SIP workers
handles about 90k of the 180k requests: a leak of one allocation per request
would grow a worker's pkg by over 10 MB, or shm by over 20 MB. The margins
(PKG_MARGIN 16 KiB per process, SHM_MARGIN 16 KiB in all: 136 leaked blocks)
still catch a leak on one request in ~650 (pkg) or ~1300 (shm). They are not
0 only to leave room for a one-off lazy allocation after warm-up (a table
that doubles, an RPC buffer); none was seen: the pkg and shm deltas measured
here are exactly 0. System malloc chunks are at least 32 bytes: one leaked
copy per request is over 2.8 MB per worker against RSS_MARGIN of 1 MiB,
which leaves room for the interpreters' garbage collectors (Lua moved by
28 KiB). Measured deltas are printed with every run (pytest -rP).
test_soak_bounds_catch_a_leak is the negative control: the same check on a
script that leaks one $shv per request must fail on pkg and on shm.
"""

import csv
import os
import re
import subprocess
import time

import pytest

from harness.servers import (Kamailio, Memcached, check_prerequisites,
                             free_port, render_cfg)

HERE = os.path.dirname(os.path.abspath(__file__))
SCENARIO = os.path.join(HERE, "scenario")
UAC = os.path.join(HERE, "uac.xml")

WARMUP = int(os.environ.get("SOAK_WARMUP", "20000"))
REQUESTS = int(os.environ.get("SOAK_REQUESTS", "180000"))  # 200k in all
CHILDREN = int(os.environ.get("SOAK_CHILDREN", "2"))
CONCURRENCY = 64  # requests in flight (sipp -l): a closed loop, as fast as
# Kamailio answers, without rate assumptions about a shared machine

PKG_MARGIN = 16 * 1024
SHM_MARGIN = 16 * 1024
RSS_MARGIN = 1024 * 1024
LOST_TOLERANCE = max(1, REQUESTS // 10000)  # 0.01 % of UDP requests

# The module's I/O timeout. The default (500 ms) is about outages; here a
# CI machine shared with other suites can starve memcached of CPU for that
# long, and a timeout (a 500 and a reconnect) would fail the soak for a
# reason that has nothing to do with leaks.
MC_TIMEOUT_MS = 3000

COUNTER = {"native": "soak_counter"}  # KEMI scripts use "soak:counter"


# --- Kamailio and sipp --------------------------------------------------

def start_kamailio(workdir, engine, mc_port, scenario=SCENARIO):
    """Kamailio with the soak script, ctl (kamcmd) and kex (pkg.stats,
    statistics). Mirrors harness.servers.start_kamailio, plus kex."""
    port = free_port()
    k = Kamailio(workdir, "", port, name=f"soak-{engine}")
    cfg = render_cfg(engine, scenario, port, mc_port, ctl=k.ctl,
                     extra_modules=["kex.so"], children=CHILDREN,
                     modparams={"timeout": MC_TIMEOUT_MS})
    with open(k.cfg, "w") as f:
        f.write(cfg)
    return k.start()


def run_sipp(k, n, workdir, tag, leak=False):
    """Sends n requests; returns sipp's cumulative counters (dict) plus
    'seconds' and 'errors' (the first unexpected messages, if any)."""
    stf = os.path.join(workdir, f"sipp-{tag}.csv")
    err = os.path.join(workdir, f"sipp-{tag}-errors.log")
    cmd = ["sipp", "-sf", UAC, "-i", "127.0.0.1", "-p", str(free_port()),
           f"127.0.0.1:{k.port}", "-m", str(n), "-r", "1000000",
           "-l", str(CONCURRENCY), "-nostdin",
           "-key", "leak", "X-Leak: 1" if leak else "X-Soak: 1",
           "-trace_stat", "-stf", stf, "-fd", "3600",
           "-trace_err", "-error_file", err]
    t0 = time.monotonic()
    # Bounded: far longer than any sane run (200 requests/s), never forever.
    p = subprocess.run(cmd, capture_output=True, text=True, cwd=workdir,
                       timeout=n / 200 + 120)
    seconds = time.monotonic() - t0
    with open(stf, newline="") as f:
        rows = list(csv.reader(f, delimiter=";"))
    assert len(rows) >= 2, f"sipp wrote no statistics (rc {p.returncode}):" \
        f"\n{p.stdout[-2000:]}\n{p.stderr[-2000:]}"
    stats = {}
    for name, value in zip(rows[0], rows[-1]):
        if name.endswith("(C)") and value.isdigit():
            stats[name[:-3]] = int(value)
    stats["seconds"] = seconds
    stats["rc"] = p.returncode
    stats["errors"] = ""
    if os.path.exists(err):
        with open(err, errors="replace") as f:
            stats["errors"] = f.read(3000)
    return stats


def traffic_problems(s, n):
    out = []
    if s["SuccessfulCall"] + s["FailedCall"] != n:
        out.append(f"sipp finished {s['SuccessfulCall'] + s['FailedCall']}"
                   f" of {n} requests")
    unexpected = s["FailedUnexpectedMessage"]
    if unexpected:
        out.append(f"{unexpected} requests got a non-200 reply (a 500 is a "
                   f"failed check in the script); first ones:\n"
                   f"{s['errors']}")
    lost = s["FailedMaxUDPRetrans"] + s["FailedTimeoutOnRecv"]
    if lost > LOST_TOLERANCE:
        out.append(f"{lost} requests unanswered after retransmissions "
                   f"(tolerance {LOST_TOLERANCE})")
    other = s["FailedCall"] - unexpected - lost
    if other:
        out.append(f"{other} calls failed otherwise: {s}")
    return out


# --- what is measured ---------------------------------------------------

def rpc(k, *args):
    rc, out = k.rpc(*args)
    assert rc == 0, f"kamcmd {' '.join(args)}: {out}"
    return out


def rpc_structs(text):
    """kamcmd's printing of an array of structs: a list of dicts of ints
    (non-integer fields kept as strings)."""
    items = []
    for block in re.findall(r"\{(.*?)\}", text, re.S):
        d = {}
        for line in block.splitlines():
            name, sep, value = line.strip().partition(":")
            if sep:
                value = value.strip()
                d[name.strip()] = int(value) if re.fullmatch(
                    r"-?\d+", value) else value
        items.append(d)
    return items


def kamailio_pids(k):
    """pid -> description of every Kamailio process (core.psx)."""
    return {p["PID"]: p["DSC"] for p in rpc_structs(rpc(k, "core.psx"))}


def tcp_remote_ports():
    """socket inode -> remote port of every IPv4/IPv6 TCP socket."""
    out = {}
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            with open(table) as f:
                lines = f.read().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            out[fields[9]] = int(fields[2].rsplit(":", 1)[1], 16)
    return out


def process_state(pid, mc_port, tcp):
    fds = sockets = conns = 0
    fddir = f"/proc/{pid}/fd"
    for fd in os.listdir(fddir):
        try:
            target = os.readlink(os.path.join(fddir, fd))
        except OSError:
            continue  # closed while listing
        fds += 1
        m = re.fullmatch(r"socket:\[(\d+)\]", target)
        if m:
            sockets += 1
            if tcp.get(m.group(1)) == mc_port:
                conns += 1
    rss = 0
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("RssAnon:"):
                rss = int(line.split()[1]) * 1024
    return {"fds": fds, "sockets": sockets, "mc_conns": conns,
            "rss_anon": rss}


def memcached_stats(mc):
    c = mc.client()
    try:
        c.sock.sendall(b"stats\r\n")
        stats = {}
        while True:
            line = c._readline().decode()
            if line == "END":
                return stats
            _, name, value = line.split(" ", 2)
            stats[name] = value
    finally:
        c.close()


def snapshot(k, mc, pids):
    """The state of Kamailio: fds first (before kamcmd opens a connection
    to the RPC process), then memory and statistics over RPC."""
    tcp = tcp_remote_ports()
    procs = {pid: process_state(pid, mc.port, tcp) for pid in pids}
    mcs = memcached_stats(mc)  # our own connection counts as one
    pkg = {p["pid"]: p for p in rpc_structs(rpc(k, "pkg.stats"))}
    shm = rpc_structs(rpc(k, "core.shmmem"))[0]
    stats = {}
    for line in rpc(k, "stats.get_statistics", "memcached:").splitlines():
        name, _, value = line.partition(" = ")
        if value:
            stats[name.strip()] = int(value)
    return {"procs": procs, "pkg": pkg, "shm": shm, "stats": stats,
            "mc_total_connections": int(mcs["total_connections"]),
            "mc_curr_connections": int(mcs["curr_connections"])}


def growth_problems(before, after, pids):
    out = []
    for pid, dsc in pids.items():
        b, a = before["procs"][pid], after["procs"][pid]
        for what in ("fds", "sockets", "mc_conns"):
            if a[what] != b[what]:
                out.append(f"{dsc} ({pid}): {what} {b[what]} -> {a[what]}")
        if a["mc_conns"] > 1:
            out.append(f"{dsc} ({pid}): {a['mc_conns']} connections to "
                       "memcached (one client per process expected)")
        d = a["rss_anon"] - b["rss_anon"]
        if d > RSS_MARGIN:
            out.append(f"{dsc} ({pid}): RssAnon grew {d} B "
                       f"(margin {RSS_MARGIN})")
        if pid in before["pkg"] and pid in after["pkg"]:
            for field in ("used", "real_used"):
                d = after["pkg"][pid][field] - before["pkg"][pid][field]
                if d > PKG_MARGIN:
                    out.append(f"{dsc} ({pid}): pkg {field} grew {d} B "
                               f"(margin {PKG_MARGIN})")
    for field in ("used", "real_used"):
        d = after["shm"][field] - before["shm"][field]
        if d > SHM_MARGIN:
            out.append(f"shm {field} grew {d} B (margin {SHM_MARGIN})")
    # Only our own `stats` connection may be new between the snapshots.
    new = after["mc_total_connections"] - before["mc_total_connections"]
    if new != 1:
        out.append(f"memcached saw {new - 1} new connections from Kamailio "
                   "during the run (reconnects)")
    return out


def report(engine, warm, run, before, after, pids):
    """The measured numbers, shown by pytest -rP (ctest -V, LastTest.log)."""
    print(f"soak {engine}: warm-up {warm['SuccessfulCall']} ok in "
          f"{warm['seconds']:.1f} s; run {run['SuccessfulCall']} ok, "
          f"{run['FailedCall']} failed, {run['Retransmissions']} sipp "
          f"retransmissions, {run['seconds']:.1f} s = "
          f"{run['SuccessfulCall'] / run['seconds']:.0f} requests/s")
    print(f"  shm used {before['shm']['used']} -> {after['shm']['used']} "
          f"({after['shm']['used'] - before['shm']['used']:+d}), real_used "
          f"{before['shm']['real_used']} -> {after['shm']['real_used']} "
          f"({after['shm']['real_used'] - before['shm']['real_used']:+d})")
    print(f"  memcached connections: total "
          f"{before['mc_total_connections']} -> "
          f"{after['mc_total_connections']}, current "
          f"{before['mc_curr_connections']} -> "
          f"{after['mc_curr_connections']}")
    print(f"  memcached:* statistics after: {after['stats']}")
    for pid, dsc in sorted(pids.items()):
        b, a = before["procs"][pid], after["procs"][pid]
        pb, pa = before["pkg"].get(pid), after["pkg"].get(pid)
        pkg = (f"pkg used {pb['used']} -> {pa['used']} "
               f"({pa['used'] - pb['used']:+d})" if pb and pa else "")
        print(f"  {pid} {dsc[:40]:40} fds {b['fds']}->{a['fds']} sockets "
              f"{b['sockets']}->{a['sockets']} mc {b['mc_conns']}->"
              f"{a['mc_conns']} RssAnon {b['rss_anon'] // 1024}->"
              f"{a['rss_anon'] // 1024} KiB {pkg}")


def soak(engine, workdir, warmup, requests, leak=False):
    """Runs warm-up and soak; returns (problems, numbers)."""
    check_prerequisites(engine)
    mc = Memcached(workdir).start()
    k = None
    try:
        c = mc.client()
        c.set_int(COUNTER.get(engine, "soak:counter"), 0)
        c.close()
        k = start_kamailio(workdir, engine, mc.port)
        pids = kamailio_pids(k)
        warm = run_sipp(k, warmup, workdir, "warmup")
        problems = ["warm-up: " + p for p in traffic_problems(warm, warmup)]
        before = snapshot(k, mc, pids)
        run = run_sipp(k, requests, workdir, "run", leak=leak)
        problems += traffic_problems(run, requests)
        after = snapshot(k, mc, pids)
        report(engine, warm, run, before, after, pids)
        problems += growth_problems(before, after, pids)
        errors = after["stats"].get("memcached:errors")
        if errors != 0:
            problems.append(f"memcached:errors is {errors}")
        c = mc.client()
        counted = c.get(COUNTER.get(engine, "soak:counter"))
        c.close()
        ok = warm["SuccessfulCall"] + run["SuccessfulCall"]
        if counted is None or int(counted[0]) < ok:
            problems.append(f"shared counter {counted} < {ok} answered")
        if not k.alive():
            problems.append("kamailio died:\n" + k.log_tail())
        return problems
    finally:
        if k is not None:
            k.stop()
        mc.stop()


@pytest.mark.parametrize("engine", ["lua51", "lua54", "python", "jsdt",
                                    "native"])
def test_soak_no_growth_after_warmup(engine, tmp_path):
    problems = soak(engine, str(tmp_path), WARMUP, REQUESTS)
    assert not problems, "\n".join(problems)


def test_soak_bounds_catch_a_leak(tmp_path):
    """Negative control: the soak check on a script that also creates one
    $shv per request (a new shm variable, and a new entry in the pkg PV
    cache) must report growth of both pkg and shm."""
    problems = soak("lua51", str(tmp_path), 2000, 20000, leak=True)
    text = "\n".join(problems)
    print("negative control reported:\n" + text)
    assert "pkg used grew" in text, text
    assert "shm used grew" in text, text
