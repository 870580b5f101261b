"""The request/reply convention the scenario scripts share: X-Op, X-Key,
X-Val (or the body with X-Val-Body), X-Exp, X-Delta in; X-Type, X-Result
(or the body with X-Reply-Body), X-Status out."""

class Result:
    def __init__(self, resp):
        self.resp = resp
        self.code = resp.code
        self.type = resp.get("X-Type")
        self.status = resp.get("X-Status")
        raw = resp.get("X-Result")
        if raw is None and self.type == "str":
            raw = resp.body.decode("utf-8", "surrogateescape")
        self.raw = raw
        if self.type == "int":
            self.value = int(raw)
        elif self.type == "nil":
            self.value = None
        else:
            self.value = raw
        self.status = int(self.status) if self.status not in (
            None, "n/a") else self.status

    def __repr__(self):
        return (f"<Result code={self.code} type={self.type} value="
                f"{self.raw!r} status={self.status} "
                f"error={self.resp.get('X-Error')!r}>")


def call(sip, op, key=None, val=None, exp=None, delta=None, body=None,
         reply_body=False, headers=(), timeout=None, key_body=None,
         double=None, expect=200):
    """Runs one operation through the scenario script; returns a Result.
    body: the value (bytes); key_body: the key (bytes), sent as the body;
    double: the script doubles the value that many times.
    Asserts the script answered `expect` (200: not a script error)."""
    h = [("X-Op", op)]
    if key is not None:
        h.append(("X-Key", key))
    if val is not None:
        h.append(("X-Val", str(val)))
    if exp is not None:
        h.append(("X-Exp", str(exp)))
    if delta is not None:
        h.append(("X-Delta", str(delta)))
    if body is not None:
        h.append(("X-Val-Body", "1"))
    if key_body is not None:
        h.append(("X-Key-Body", "1"))
        body = key_body
    if double is not None:
        h.append(("X-Val-Double", str(double)))
    if reply_body:
        h.append(("X-Reply-Body", "1"))
    h += list(headers)
    resp = sip.send("MESSAGE" if body is not None else "OPTIONS", headers=h,
                    body=body or b"", timeout=timeout)
    r = Result(resp)
    if expect is not None:
        assert r.code == expect, f"{op}: {r!r}\n{resp.raw[:1500]!r}"
    return r
