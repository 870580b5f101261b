# Dedup of retransmissions across servers, with add.
#
# Behind a load balancer, retransmissions of one request can reach
# different stateless servers. The first copy of a transaction (Call-ID,
# CSeq number and method) claims a key with add; add refuses any later copy,
# whichever server it reaches, and that copy is dropped. The key expires
# after WINDOW seconds: retransmissions of a transaction stop within
# 64*T1 = 32 s. If memcached is unreachable (-2) every copy is processed.
import KSR

WINDOW = 32  # seconds


class Dedup:
    def child_init(self, rank):
        return 0

    def ksr_request_route(self, msg):
        if KSR.is_ACK():
            return 1
        key = "dd:%s:%s:%s" % (KSR.pv.gete("$ci"), KSR.pv.get("$cs"),
                               KSR.pv.gete("$rm"))
        r = KSR.memcached.add(key, KSR.pv.gete("$si"), WINDOW)
        if r == -1:
            # a copy was already taken by this or another server: drop it
            return 1
        # your processing here; the example answers itself
        KSR.sl.sl_send_reply(200, "OK")
        return 1


def mod_init():
    return Dedup()
