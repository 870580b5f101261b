# processes scenario: the module used by UDP workers, TCP workers and an
# rtimer process (ksr_tick).

import KSR


class Scenario:
    def child_init(self, rank):
        return 0

    def ksr_request_route(self, msg):
        k = KSR.pv.get("$hdr(X-Key)")
        if k is not None:
            KSR.memcached.sets(k, KSR.pv.get("$hdr(X-Val)"))
            KSR.hdr.append_to_reply("X-Result: %s\r\n" % KSR.memcached.get(k))
        KSR.hdr.append_to_reply("X-Proto: %s\r\n" % KSR.pv.get("$pr"))
        KSR.sl.sl_send_reply(200, "OK")
        return 1

    def ksr_tick(self, msg, evname=None):
        n = KSR.memcached.incx("processes_tick", 1, 0)
        # a quiet write as the route's last call: the end of the route
        # sends it
        KSR.memcached.setxsq("processes_tick_q", str(n), 0)
        return 1


def mod_init():
    return Scenario()
