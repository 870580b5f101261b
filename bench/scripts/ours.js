// Our module through KEMI from JavaScript (app_jsdt): same calls as ours.lua.
function ksr_request_route() {
	KSR.memcached.incx("@COUNTER@", 1, 3600);
	var ci = KSR.pv.get("$ci");
	var v = "v-" + ci;
	KSR.memcached.setxs(ci, v, 60);
	if (KSR.memcached.get(ci) !== v) {
		KSR.sl.sl_send_reply(500, "Mismatch");
		return;
	}
	KSR.sl.sl_send_reply(200, "OK");
}
