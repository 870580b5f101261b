"""Fake memcached servers for the Python tests and the benchmark, each on
127.0.0.1 (a free port unless given), serving from threads of this process:

  SilentServer       accepts, reads and discards, never answers: a hung
                     server.
  SlowProxy          a TCP proxy in front of a real memcached that can delay
                     the server's replies (the module times out while a late
                     reply is still coming) or swallow them (silent, like
                     SilentServer, on the same port).
  ScriptedMemcached  text protocol: answers each request with the next
                     scripted reply, to replay a race exactly.

Python stdlib only. Run as a script, `fakes.py silent PORT` serves a
SilentServer until SIGTERM and prints "ready" once listening (bench/run's
outage phase). The cmocka unit tests have their own C fakes
(tests/unit/support/mc_test_server.c)."""

import signal
import socket
import sys
import threading
import time

STORES = (b"set ", b"add ", b"replace ", b"append ", b"prepend ", b"cas ")


def drain(c):
    """Reads from c until the peer closes; answers nothing."""
    try:
        while c.recv(65536):
            pass
    except OSError:
        pass


class Listener:
    """A listening socket whose accepted connections each get a thread
    running self.handle(conn). close() closes the listener and every
    connection."""

    def __init__(self, port=0, host="127.0.0.1"):
        self.lsock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.lsock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.lsock.bind((host, port))
        self.lsock.listen(256)
        self.port = self.lsock.getsockname()[1]
        self.connections = 0  # accepted so far
        self._stop = threading.Event()
        self._socks = []
        self._lock = threading.Lock()
        threading.Thread(target=self._accept, daemon=True).start()

    def track(self, s):
        with self._lock:
            self._socks.append(s)

    def close(self):
        self._stop.set()
        self.lsock.close()
        with self._lock:
            for s in self._socks:
                try:
                    s.close()
                except OSError:
                    pass

    def _accept(self):
        while not self._stop.is_set():
            try:
                c, _ = self.lsock.accept()
            except OSError:
                return
            with self._lock:
                self.connections += 1
            self.track(c)
            threading.Thread(target=self.handle, args=(c,),
                             daemon=True).start()

    def handle(self, c):
        raise NotImplementedError


class SilentServer(Listener):
    """Accepts, reads and discards whatever arrives, never answers."""

    def handle(self, c):
        drain(c)


class SlowProxy(Listener):
    """Forwards to memcached on upstream_port; `delay` seconds before each
    server->client chunk; with `blackhole` set, new connections are silent
    (SilentServer's behaviour) and replies on open ones are dropped."""

    def __init__(self, upstream_port, host="127.0.0.1"):
        self.upstream = (host, upstream_port)
        self.delay = 0.0
        self.blackhole = False
        super().__init__(host=host)

    def handle(self, c):
        if self.blackhole:
            drain(c)
            return
        try:
            u = socket.create_connection(self.upstream, timeout=5)
        except OSError:
            c.close()
            return
        u.settimeout(None)
        self.track(u)
        threading.Thread(target=self._pump, args=(u, c, True),
                         daemon=True).start()
        self._pump(c, u, False)

    def _pump(self, src, dst, from_server):
        try:
            while True:
                data = src.recv(65536)
                if not data:
                    break
                if from_server:
                    if self.delay:
                        time.sleep(self.delay)
                    if self.blackhole:
                        continue
                dst.sendall(data)
        except OSError:
            pass
        finally:
            for s in (src, dst):
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass


class ScriptedMemcached(Listener):
    """Text-protocol fake: answers each request with the next scripted reply
    (over all connections; "SERVER_ERROR script over" once they run out); a
    get of any key answers `get_value`. `requests` lists the request lines
    received (a store's data line is not one)."""

    def __init__(self, replies, get_value):
        self.replies = list(replies)
        self.get_value = get_value
        self.requests = []
        super().__init__()

    def handle(self, c):
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
                try:
                    c.sendall(out)
                except OSError:
                    return


def main():
    if len(sys.argv) != 3 or sys.argv[1] != "silent":
        sys.exit("usage: fakes.py silent PORT")
    SilentServer(int(sys.argv[2]))
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    print("ready", flush=True)
    while True:
        signal.pause()


if __name__ == "__main__":
    main()
