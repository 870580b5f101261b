# api scenario: one KSR.memcached call per SIP request.
# Request: X-Op (function name), X-Key, X-Val (or the body when X-Val-Body
# is present), X-Exp, X-Delta. Reply 200 with X-Result (the returned value,
# "nil" for None), X-Type (int, str, bool, nil) and X-Status (status() after
# the call); with X-Reply-Body a string result is also the reply body.
# X-Key-Body: the key is the body. X-Val-Double: n doubles the value n times
# (values larger than a UDP datagram).
# No X-Op: a plain 200 (readiness ping).
import sys

import KSR


def hdr(name):
    return KSR.pv.get("$hdr(" + name + ")")


def typeof(v):
    if v is None:
        return "nil"
    if isinstance(v, bool):
        return "bool"
    if isinstance(v, int):
        return "int"
    if isinstance(v, float):
        return "float"
    if isinstance(v, str):
        return "str"
    return type(v).__name__


def to_int(s):
    try:
        return int(s)
    except (TypeError, ValueError):
        return 0


M = KSR.memcached
OPS = {
    "get": lambda a: M.get(a["key"]),
    "gete": lambda a: M.gete(a["key"]),
    "exists": lambda a: M.exists(a["key"]),
    "sets": lambda a: M.sets(a["key"], a["val"]),
    "seti": lambda a: M.seti(a["key"], a["ival"]),
    "setxs": lambda a: M.setxs(a["key"], a["val"], a["exp"]),
    "setxi": lambda a: M.setxi(a["key"], a["ival"], a["exp"]),
    "add": lambda a: M.add(a["key"], a["val"], a["exp"]),
    "addi": lambda a: M.addi(a["key"], a["ival"], a["exp"]),
    "replace": lambda a: M.replace(a["key"], a["val"], a["exp"]),
    "append": lambda a: M.append(a["key"], a["val"]),
    "prepend": lambda a: M.prepend(a["key"], a["val"]),
    "delete": lambda a: M.delete(a["key"]),
    "inc": lambda a: M.inc(a["key"], a["delta"]),
    "dec": lambda a: M.dec(a["key"], a["delta"]),
    "incx": lambda a: M.incx(a["key"], a["delta"], a["exp"]),
    "touch": lambda a: M.touch(a["key"], a["exp"]),
    "status": lambda a: M.status(),
    "setsq": lambda a: M.setsq(a["key"], a["val"]),
    "setiq": lambda a: M.setiq(a["key"], a["ival"]),
    "setxsq": lambda a: M.setxsq(a["key"], a["val"], a["exp"]),
    "setxiq": lambda a: M.setxiq(a["key"], a["ival"], a["exp"]),
    "setsq-get": lambda a: setsq_get(a),
    "mget": lambda a: mget(a),
    "mval": lambda a: M.mval(a["key"]),
}


def setsq_get(a):
    """A quiet write, then a read of it in the same request."""
    if M.setsq(a["key"], a["val"]) != 2:
        return "not queued"
    return M.get(a["key"])


def mget(a):
    """mget(X-Keys, X-Sep), then mval of each X-K header: "X-V: i type
    status value"; the result is mget's return code."""
    rc = M.mget(hdr("X-Keys"), hdr("X-Sep"))
    for i in range(KSR.pv.get("$hdrc(X-K)")):
        v = M.mval(KSR.pv.get("$(hdr(X-K)[%d])" % i))
        KSR.hdr.append_to_reply("X-V: %d %s %d %s\r\n" % (
            i, typeof(v), M.status(), "nil" if v is None else str(v)))
    return rc


class Scenario:
    def child_init(self, rank):
        return 0

    def ksr_request_route(self, msg):
        op = hdr("X-Op")
        if op is None:
            KSR.hdr.append_to_reply("X-Engine: Python %d.%d\r\n"
                                    % sys.version_info[:2])
            KSR.sl.sl_send_reply(200, "pong")
            return 1
        f = OPS.get(op)
        if f is None:
            KSR.sl.sl_send_reply(400, "unknown op")
            return 1
        a = {"key": hdr("X-Key"), "val": hdr("X-Val")}
        if hdr("X-Val-Body") is not None:
            a["val"] = KSR.pv.get("$rb")
        if hdr("X-Key-Body") is not None:
            a["key"] = KSR.pv.get("$rb")
        for _ in range(to_int(hdr("X-Val-Double"))):
            a["val"] = a["val"] + a["val"]
        a["ival"] = to_int(a["val"])
        a["exp"] = to_int(hdr("X-Exp"))
        a["delta"] = to_int(hdr("X-Delta"))
        try:
            # X-Before: another op first, in the same request (so the same
            # process), its result dropped: status() then reads its status
            before = hdr("X-Before")
            if before is not None:
                OPS[before](a)
            r = f(a)
        except Exception as e:
            err = repr(e).replace("\r", " ").replace("\n", " ")
            KSR.hdr.append_to_reply("X-Error: " + err + "\r\n")
            KSR.sl.sl_send_reply(500, "script error")
            return 1
        t = typeof(r)
        KSR.hdr.append_to_reply("X-Type: " + t + "\r\n")
        if hdr("X-Reply-Body") is not None and t == "str":
            KSR.hdr.append_to_reply("X-Len: %d\r\n" % len(r))
            KSR.textops.set_reply_body(r, "text/plain")
        else:
            KSR.hdr.append_to_reply("X-Result: " + ("nil" if r is None else str(r)) + "\r\n")
        KSR.hdr.append_to_reply("X-Status: %d\r\n" % M.status())
        KSR.sl.sl_send_reply(200, "OK")
        return 1


def mod_init():
    return Scenario()
