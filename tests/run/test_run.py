"""scripts/run.sh starts memcached and Kamailio with the example Lua script
on the ports it is given; two OPTIONS get 200 with the shared counter going
1, 2 and the previous request remembered; SIGTERM to its process group stops
both servers."""
import os
import signal
import socket
import subprocess
import sys
import time


def free_port(kind):
    s = socket.socket(socket.AF_INET, kind)
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def options(sip_port, n):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(5)
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    msg = (f"OPTIONS sip:x@127.0.0.1:{sip_port} SIP/2.0\r\n"
           f"Via: SIP/2.0/UDP 127.0.0.1:{p};branch=z9hG4bKrun{n}\r\n"
           "From: <sip:a@127.0.0.1>;tag=1\r\nTo: <sip:x@127.0.0.1>\r\n"
           f"Call-ID: run-{n}-{os.getpid()}\r\nCSeq: 1 OPTIONS\r\n"
           "Max-Forwards: 70\r\nContent-Length: 0\r\n\r\n")
    s.sendto(msg.encode(), ("127.0.0.1", sip_port))
    lines = s.recv(65535).decode().split("\r\n")
    s.close()
    return lines[0], dict(l.split(": ", 1) for l in lines[1:] if ": " in l)


def main():
    root, build = sys.argv[1], sys.argv[2]
    sip_port, mc_port = free_port(socket.SOCK_DGRAM), free_port(
        socket.SOCK_STREAM)
    env = dict(os.environ, SIP_PORT=str(sip_port), MC_PORT=str(mc_port),
               BUILD_DIR=build)
    log = open(os.path.join(os.path.dirname(build) or ".", "run.log"), "w+")
    proc = subprocess.Popen([os.path.join(root, "scripts", "run.sh")],
                            env=env, stdout=log, stderr=subprocess.STDOUT,
                            start_new_session=True)
    try:
        deadline = time.monotonic() + 500
        first = None
        while first is None:
            assert proc.poll() is None, "run.sh exited early"
            assert time.monotonic() < deadline, "run.sh never served SIP"
            try:
                first = options(sip_port, 1)
            except (socket.timeout, ConnectionRefusedError):
                time.sleep(0.2)
        status, h = first
        assert status == "SIP/2.0 200 OK", first
        assert h.get("X-Hits") == "1", first
        status, h = options(sip_port, 2)
        assert status == "SIP/2.0 200 OK", (status, h)
        assert h.get("X-Hits") == "2", h
        assert h.get("X-Last-Seen") == "127.0.0.1 OPTIONS", h
        print("run_command_serves_sip: ok", h)
    except BaseException:
        log.seek(0)
        sys.stdout.write(log.read()[-4000:])
        raise
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=30)
    # both servers go: memcached got the same SIGTERM; poll until its port
    # closes (bounded), it may still be exiting when run.sh has returned
    deadline = time.monotonic() + 10
    while True:
        s = socket.socket()
        up = s.connect_ex(("127.0.0.1", mc_port)) == 0
        s.close()
        if not up:
            break
        assert time.monotonic() < deadline, "memcached still running"
        time.sleep(0.1)


if __name__ == "__main__":
    main()
