"""A small SIP-over-UDP client: builds requests with arbitrary (repeatable)
headers and a binary body, retransmits on the RFC 3261 timer-A schedule and
parses the final response (status line, repeated headers, body)."""

import os
import socket
import time


class SipTimeout(Exception):
    pass


class Response:
    def __init__(self, code, reason, headers, body, raw):
        self.code = code
        self.reason = reason
        self.headers = headers  # list of (name, value), in order
        self.body = body  # bytes
        self.raw = raw

    def all(self, name):
        """Every value of header `name` (case-insensitive), in order."""
        n = name.lower()
        return [v for k, v in self.headers if k.lower() == n]

    def get(self, name, default=None):
        vals = self.all(name)
        return vals[0] if vals else default

    def __getitem__(self, name):
        vals = self.all(name)
        if not vals:
            raise KeyError(f"no {name} header in reply:\n{self.raw[:2000]!r}")
        return vals[0]

    def __repr__(self):
        return f"<Response {self.code} {self.reason} {self.headers!r}>"


def parse_response(data):
    head, sep, body = data.partition(b"\r\n\r\n")
    if not sep:
        raise ValueError(f"no end of headers in {data[:200]!r}")
    lines = head.decode("utf-8", "surrogateescape").split("\r\n")
    proto, code, reason = (lines[0].split(" ", 2) + [""])[:3]
    if not proto.startswith("SIP/2.0"):
        raise ValueError(f"not a SIP response: {lines[0]!r}")
    headers = []
    for line in lines[1:]:
        if line[:1] in (" ", "\t") and headers:  # folded line
            k, v = headers[-1]
            headers[-1] = (k, v + " " + line.strip())
            continue
        k, _, v = line.partition(":")
        headers.append((k.strip(), v.strip()))
    clen = [v for k, v in headers if k.lower() in ("content-length", "l")]
    if clen:
        body = body[: int(clen[0])]
    return Response(int(code), reason, headers, body, data)


class SipClient:
    """One UDP socket on 127.0.0.1; send() waits for the final reply.

    Retransmission (RFC 3261 timer A: T1, doubling, capped at 4 s) is off by
    default: the scenario scripts are stateless, so Kamailio takes a
    retransmission for a new request and would repeat a non-idempotent
    operation (an inc whose reply took longer than T1 would count twice).
    Loopback UDP does not lose datagrams; pass retransmit=True to exercise
    retransmissions on purpose."""

    T1 = 0.5

    def __init__(self, host, port, timeout=8.0, retransmit=False):
        self.host, self.port, self.timeout = host, port, timeout
        self.retransmit = retransmit
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.lport = self.sock.getsockname()[1]
        self.cseq = 0

    def close(self):
        self.sock.close()

    def build(self, method, headers=(), body=b"", call_id=None, branch=None,
              ruri=None, from_user="alice", cseq=None, to_user="test"):
        self.cseq += 1
        if cseq is not None:
            self.cseq = cseq
        call_id = call_id or os.urandom(8).hex()
        branch = branch or "z9hG4bK" + os.urandom(8).hex()
        ruri = ruri or f"sip:test@{self.host}:{self.port}"
        if isinstance(body, str):
            body = body.encode()
        lines = [
            f"{method} {ruri} SIP/2.0",
            f"Via: SIP/2.0/UDP 127.0.0.1:{self.lport};branch={branch};rport",
            "Max-Forwards: 70",
            f"From: <sip:{from_user}@example.com>;tag={os.urandom(4).hex()}",
            f"To: <sip:{to_user}@{self.host}>",
            f"Call-ID: {call_id}",
            f"CSeq: {self.cseq} {method}",
        ]
        raw_headers = b""
        for name, value in headers:
            if isinstance(value, bytes):
                raw_headers += name.encode() + b": " + value + b"\r\n"
            else:
                lines.append(f"{name}: {value}")
        lines.append(f"Content-Length: {len(body)}")
        msg = ("\r\n".join(lines) + "\r\n").encode() + raw_headers
        return msg + b"\r\n" + body, call_id, self.cseq

    def send(self, method="OPTIONS", headers=(), body=b"", timeout=None,
             retransmit=None, **kw):
        """Sends a request and returns the final Response, or raises
        SipTimeout after `timeout`; retransmits (T1, doubling, capped at
        4 s) when retransmit (default: the client's setting)."""
        if retransmit is None:
            retransmit = self.retransmit
        if isinstance(headers, dict):
            headers = list(headers.items())
        msg, call_id, cseq = self.build(method, headers, body, **kw)
        deadline = time.monotonic() + (timeout or self.timeout)
        interval = self.T1
        next_tx = 0.0
        while True:
            now = time.monotonic()
            if now >= deadline:
                raise SipTimeout(f"no final reply to {method} within "
                                 f"{timeout or self.timeout}s")
            if now >= next_tx:
                self.sock.sendto(msg, (self.host, self.port))
                next_tx = now + interval if retransmit else deadline
                interval = min(interval * 2, 4.0)
            self.sock.settimeout(max(0.01, min(next_tx, deadline) - now))
            try:
                data, _ = self.sock.recvfrom(65535)
            except socket.timeout:
                continue
            try:
                r = parse_response(data)
            except ValueError:
                continue
            if r.get("Call-ID", r.get("i")) != call_id:
                continue  # late reply to an earlier request
            if r.get("CSeq", "").split(" ")[0] != str(cseq):
                continue
            if r.code >= 200:
                return r

    def ping(self, timeout=0.3):
        """True when the server answers an OPTIONS within timeout."""
        try:
            self.send("OPTIONS", timeout=timeout)
            return True
        except SipTimeout:
            return False
