# Concurrent-call limit per account, shared by every server.
#
# An initial INVITE counts one call for its account (the From user); BYE or
# CANCEL gives it back. The call is remembered under its Call-ID with add,
# so INVITE retransmissions, or the same call passing another server, are
# counted once, and of several BYE/CANCEL copies only the one that deletes
# the call key decrements. Both keys carry a safety expiry so that a call
# whose BYE never came does not hold the account's slot forever.
import KSR

LIMIT = 5  # concurrent calls per account
TTL = 7200  # seconds; longer than your longest call

M = KSR.memcached


def call_start():
    """False when the account is at its limit."""
    acc = KSR.pv.gete("$fU")
    ci = KSR.pv.gete("$ci")
    r = M.add("cl:call:" + ci, acc, TTL)
    if r != 1:
        # -1: already counted (retransmission); -2: memcached down, fail open
        return True
    n = M.incx("cl:acc:" + acc, 1, TTL)
    # incx keeps the first expiry: push the safety net out while calls come
    M.touch("cl:acc:" + acc, TTL)
    if n is not None and (not isinstance(n, int) or n > LIMIT):
        M.dec("cl:acc:" + acc, 1)
        M.delete("cl:call:" + ci)
        return False
    return True


def call_end():
    ci = KSR.pv.gete("$ci")
    acc = M.get("cl:call:" + ci)
    if acc is not None and M.delete("cl:call:" + ci) == 1:
        M.dec("cl:acc:" + str(acc), 1)


class CallLimit:
    def child_init(self, rank):
        return 0

    def ksr_request_route(self, msg):
        if KSR.is_ACK():
            return 1
        if KSR.is_INVITE() and KSR.pv.get("$tt") is None:
            if not call_start():
                KSR.sl.sl_send_reply(486, "Too Many Calls")
                return 1
        elif KSR.is_BYE() or KSR.is_CANCEL():
            call_end()
        # your routing here (t_relay() ...); the example answers itself
        KSR.sl.sl_send_reply(200, "OK")
        return 1


def mod_init():
    return CallLimit()
