# Registration cache shared by every server.
#
# A REGISTER stores the AOR's contact with the registration's expiry, so
# memcached forgets it when the registration lapses; Expires 0 or
# "Contact: *" removes it. An INVITE or MESSAGE for a registered user,
# arriving at any server, is redirected (302) to the cached contact; an
# unknown user gets 404. status() tells "not registered" (-1) from "cache
# unreachable" (-2). One contact per AOR, to keep the example short.
import KSR

MAX_EXPIRES = 3600
M = KSR.memcached


def register():
    aor = "reg:" + KSR.pv.gete("$tU")
    contact = KSR.pv.gete("$hdr(Contact)")
    try:
        expires = int(KSR.pv.gete("$hdr(Expires)"))
    except ValueError:
        expires = MAX_EXPIRES
    expires = min(expires, MAX_EXPIRES)
    if contact == "*" or expires <= 0:
        M.delete(aor)  # -1, not registered, is fine
        if M.status() == -2:
            KSR.sl.sl_send_reply(500, "Registrar Unavailable")
        else:
            KSR.sl.sl_send_reply(200, "OK")
        return
    if M.setxs(aor, contact, expires) != 1:
        KSR.sl.sl_send_reply(500, "Registrar Unavailable")
        return
    KSR.hdr.append_to_reply("Contact: %s;expires=%d\r\n" % (contact, expires))
    KSR.sl.sl_send_reply(200, "OK")


def lookup():
    contact = M.get("reg:" + KSR.pv.gete("$rU"))
    if contact is not None:
        KSR.hdr.append_to_reply("Contact: %s\r\n" % contact)
        KSR.sl.sl_send_reply(302, "Moved Temporarily")
    elif M.status() == -1:
        KSR.sl.sl_send_reply(404, "Not Found")
    else:
        KSR.sl.sl_send_reply(500, "Location Service Unavailable")


class RegCache:
    def child_init(self, rank):
        return 0

    def ksr_request_route(self, msg):
        if KSR.is_ACK():
            return 1
        if KSR.is_REGISTER():
            register()
        elif KSR.is_INVITE() or KSR.is_MESSAGE():
            lookup()
        else:
            KSR.sl.sl_send_reply(200, "OK")
        return 1


def mod_init():
    return RegCache()
