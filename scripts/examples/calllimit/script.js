// Concurrent-call limit per account, shared by every server.
//
// An initial INVITE counts one call for its account (the From user); BYE or
// CANCEL gives it back. The call is remembered under its Call-ID with add,
// so INVITE retransmissions, or the same call passing another server, are
// counted once, and of several BYE/CANCEL copies only the one that deletes
// the call key decrements. Both keys carry a safety expiry so that a call
// whose BYE never came does not hold the account's slot forever.

var LIMIT = 5;   // concurrent calls per account
var TTL = 7200;  // seconds; longer than your longest call

var M = KSR.memcached;

// false when the account is at its limit
function call_start() {
	var acc = KSR.pv.gete("$fU");
	var ci = KSR.pv.gete("$ci");
	var r = M.add("cl:call:" + ci, acc, TTL);
	if (r !== 1) {
		// -1: already counted (retransmission); -2: memcached down, fail open
		return true;
	}
	var n = M.incx("cl:acc:" + acc, 1, TTL);
	// incx keeps the first expiry: push the safety net out while calls come
	M.touch("cl:acc:" + acc, TTL);
	if (n !== null && n !== undefined && (typeof n !== "number" || n > LIMIT)) {
		M.dec("cl:acc:" + acc, 1);
		M["delete"]("cl:call:" + ci);
		return false;
	}
	return true;
}

function call_end() {
	var ci = KSR.pv.gete("$ci");
	var acc = M.get("cl:call:" + ci);
	if (acc !== null && acc !== undefined && M["delete"]("cl:call:" + ci) === 1) {
		M.dec("cl:acc:" + acc, 1);
	}
}

function ksr_request_route() {
	if (KSR.is_ACK()) {
		return 1;
	}
	if (KSR.is_INVITE() && KSR.pv.get("$tt") === null) {
		if (!call_start()) {
			KSR.sl.sl_send_reply(486, "Too Many Calls");
			return 1;
		}
	} else if (KSR.is_BYE() || KSR.is_CANCEL()) {
		call_end();
	}
	// your routing here (t_relay() ...); the example answers itself
	KSR.sl.sl_send_reply(200, "OK");
	return 1;
}
