"""A tiny raw memcached text-protocol client, independent of Kamailio and of
libmemcached, to seed and read back what the module stored."""

import socket


class McError(Exception):
    pass


class McClient:
    def __init__(self, port, host="127.0.0.1", timeout=5.0):
        self.sock = socket.create_connection((host, port), timeout=timeout)
        self.buf = b""

    def close(self):
        self.sock.close()

    def _readline(self):
        while b"\r\n" not in self.buf:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise McError("connection closed")
            self.buf += chunk
        line, _, self.buf = self.buf.partition(b"\r\n")
        return line

    def _readexact(self, n):
        while len(self.buf) < n:
            chunk = self.sock.recv(max(65536, n - len(self.buf)))
            if not chunk:
                raise McError("connection closed")
            self.buf += chunk
        data, self.buf = self.buf[:n], self.buf[n:]
        return data

    def cmd(self, line):
        """Sends one command line and returns the first reply line (str)."""
        self.sock.sendall(line.encode() + b"\r\n")
        return self._readline().decode()

    @staticmethod
    def _k(key):
        return key if isinstance(key, str) else key.decode()

    def get(self, key):
        """(value bytes, flags) or None when the key is absent."""
        self.sock.sendall(b"get " + self._k(key).encode() + b"\r\n")
        line = self._readline()
        if line == b"END":
            return None
        parts = line.split()
        if parts[0] != b"VALUE":
            raise McError(f"get {key}: {line!r}")
        flags, n = int(parts[2]), int(parts[3])
        data = self._readexact(n + 2)[:-2]
        end = self._readline()
        if end != b"END":
            raise McError(f"get {key}: expected END, got {end!r}")
        return data, flags

    def set(self, key, value, flags=0, exptime=0, verb="set"):
        if isinstance(value, int):
            value = str(value)
        if isinstance(value, str):
            value = value.encode()
        head = f"{verb} {self._k(key)} {flags} {exptime} {len(value)}"
        self.sock.sendall(head.encode() + b"\r\n" + value + b"\r\n")
        return self._readline().decode()

    def set_str(self, key, value, exptime=0):
        """Stores as a string (flags bit 0 set), like the modules do."""
        assert self.set(key, value, 1, exptime) == "STORED"

    def set_int(self, key, value, exptime=0):
        """Stores as an integer (flags bit 0 clear), like the modules do."""
        assert self.set(key, value, 0, exptime) == "STORED"

    def ttl(self, key):
        """Remaining time to live in seconds (meta get), -1 for never,
        None when the key is absent."""
        line = self.cmd(f"mg {self._k(key)} t")
        if line == "EN":
            return None
        parts = line.split()
        if parts[0] != "HD":
            raise McError(f"mg {key}: {line!r}")
        for p in parts[1:]:
            if p.startswith("t"):
                return int(p[1:])
        raise McError(f"mg {key}: no ttl in {line!r}")

    def delete(self, key):
        return self.cmd(f"delete {self._k(key)}")

    def stat(self, name):
        """One line of `stats` (str), None when absent."""
        self.sock.sendall(b"stats\r\n")
        found = None
        while True:
            line = self._readline().decode()
            if line == "END":
                return found
            parts = line.split(" ", 2)
            if parts[0] != "STAT":
                raise McError(f"stats: {line!r}")
            if parts[1] == name:
                found = parts[2]

    def version(self):
        return self.cmd("version")

    def flush_all(self):
        return self.cmd("flush_all")
