# values scenario: reads one key per SIP request and shows exactly what the
# script got. Request: X-Key. Reply 200 with X-Type (int, str, nil), X-Int
# (the number, for int) and X-Hex (the string's UTF-8 bytes in hex, for
# str; with X-Len in the request, X-Len: its length instead), X-Status
# (status() after the call); X-Error when the call raised
# (a value that is not UTF-8 cannot become a Python str). No X-Key: a
# plain 200.
import KSR


def hdr(name):
    return KSR.pv.get("$hdr(" + name + ")")


class Scenario:
    def child_init(self, rank):
        return 0

    def ksr_request_route(self, msg):
        key = hdr("X-Key")
        if key is None:
            KSR.sl.sl_send_reply(200, "pong")
            return 1
        try:
            if hdr("X-Gete") is not None:
                v = KSR.memcached.gete(key)
            else:
                v = KSR.memcached.get(key)
        except Exception as e:
            KSR.hdr.append_to_reply("X-Error: " + type(e).__name__ + "\r\n")
            KSR.sl.sl_send_reply(200, "OK")
            return 1
        if v is None:
            KSR.hdr.append_to_reply("X-Type: nil\r\n")
        elif isinstance(v, bool):
            KSR.hdr.append_to_reply("X-Type: bool\r\n")
        elif isinstance(v, int):
            KSR.hdr.append_to_reply("X-Type: int\r\nX-Int: %d\r\n" % v)
        elif isinstance(v, str) and hdr("X-Len") is not None:
            KSR.hdr.append_to_reply("X-Type: str\r\nX-Len: %d\r\n"
                                    % len(v.encode("utf-8")))
        elif isinstance(v, str):
            KSR.hdr.append_to_reply("X-Type: str\r\nX-Hex: "
                                    + v.encode("utf-8").hex() + "\r\n")
        else:
            KSR.hdr.append_to_reply("X-Type: " + type(v).__name__ + "\r\n")
        KSR.hdr.append_to_reply("X-Status: %d\r\n" % KSR.memcached.status())
        KSR.sl.sl_send_reply(200, "OK")
        return 1


def mod_init():
    return Scenario()
