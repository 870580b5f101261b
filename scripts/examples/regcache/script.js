// Registration cache shared by every server.
//
// A REGISTER stores the AOR's contact with the registration's expiry, so
// memcached forgets it when the registration lapses; Expires 0 or
// "Contact: *" removes it. An INVITE or MESSAGE for a registered user,
// arriving at any server, is redirected (302) to the cached contact; an
// unknown user gets 404. status() tells "not registered" (-1) from "cache
// unreachable" (-2). One contact per AOR, to keep the example short.

var MAX_EXPIRES = 3600;
var M = KSR.memcached;

function register() {
	var aor = "reg:" + KSR.pv.gete("$tU");
	var contact = KSR.pv.gete("$hdr(Contact)");
	var expires = parseInt(KSR.pv.gete("$hdr(Expires)"), 10);
	if (isNaN(expires)) expires = MAX_EXPIRES;
	if (expires > MAX_EXPIRES) expires = MAX_EXPIRES;
	if (contact === "*" || expires <= 0) {
		M["delete"](aor); // -1, not registered, is fine
		if (M.status() === -2) {
			KSR.sl.sl_send_reply(500, "Registrar Unavailable");
		} else {
			KSR.sl.sl_send_reply(200, "OK");
		}
		return;
	}
	if (M.setxs(aor, contact, expires) !== 1) {
		KSR.sl.sl_send_reply(500, "Registrar Unavailable");
		return;
	}
	KSR.hdr.append_to_reply("Contact: " + contact + ";expires=" + expires + "\r\n");
	KSR.sl.sl_send_reply(200, "OK");
}

function lookup() {
	var contact = M.get("reg:" + KSR.pv.gete("$rU"));
	if (contact !== null && contact !== undefined) {
		KSR.hdr.append_to_reply("Contact: " + contact + "\r\n");
		KSR.sl.sl_send_reply(302, "Moved Temporarily");
	} else if (M.status() === -1) {
		KSR.sl.sl_send_reply(404, "Not Found");
	} else {
		KSR.sl.sl_send_reply(500, "Location Service Unavailable");
	}
}

function ksr_request_route() {
	if (KSR.is_ACK()) {
		return 1;
	}
	if (KSR.is_REGISTER()) {
		register();
	} else if (KSR.is_INVITE() || KSR.is_MESSAGE()) {
		lookup();
	} else {
		KSR.sl.sl_send_reply(200, "OK");
	}
	return 1;
}
