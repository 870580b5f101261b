# Our module through KEMI from Python: the same three calls as ours.lua.
import KSR


class kamailio:
    def __init__(self):
        pass

    def child_init(self, rank):
        return 0

    def ksr_request_route(self, msg):
        KSR.memcached.incx("@COUNTER@", 1, 3600)
        ci = KSR.pv.get("$ci")
        v = "v-" + ci
        KSR.memcached.setxs(ci, v, 60)
        if KSR.memcached.get(ci) != v:
            KSR.sl.sl_send_reply(500, "Mismatch")
            return 1
        KSR.sl.sl_send_reply(200, "OK")
        return 1


def mod_init():
    return kamailio()
