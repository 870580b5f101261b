# Cross-server rate limit, fixed window, with KSR.memcached.incx.
#
# Every server sharing the memcached counts into one key per user. The first
# request of a window creates the counter with the window length as its
# expiry; incx does not reset the expiry on later increments, so the window
# closes WINDOW seconds after it opened, for every server at once, and the
# next request opens a new one. incx is atomic even when servers race to
# create the key, so the count is exact.
import KSR

LIMIT = 10  # requests per user per window
WINDOW = 60  # seconds


def ratelimit_ok():
    """True when the request is within the limit."""
    key = "rl:" + KSR.pv.gete("$fU")
    n = KSR.memcached.incx(key, 1, WINDOW)
    if n is None:
        # memcached unreachable (status() == -2): fail open
        return True
    # beyond 2^31-1 a counter comes back as a string: far over any limit
    return isinstance(n, int) and n <= LIMIT


class RateLimit:
    def child_init(self, rank):
        return 0

    def ksr_request_route(self, msg):
        if KSR.is_ACK():
            return 1
        if not ratelimit_ok():
            KSR.hdr.append_to_reply("Retry-After: %d\r\n" % WINDOW)
            KSR.sl.sl_send_reply(503, "Rate Limit Exceeded")
            return 1
        # your routing here (t_relay() ...); the example answers itself
        KSR.sl.sl_send_reply(200, "OK")
        return 1


def mod_init():
    return RateLimit()
