// processes scenario: the module used by UDP workers, TCP workers and an
// rtimer process (ksr_tick).

function ksr_request_route() {
	var k = KSR.pv.get("$hdr(X-Key)");
	if (k !== null && k !== undefined) {
		KSR.memcached.sets(k, KSR.pv.get("$hdr(X-Val)"));
		KSR.hdr.append_to_reply("X-Result: " + KSR.memcached.get(k) + "\r\n");
	}
	KSR.hdr.append_to_reply("X-Proto: " + KSR.pv.get("$pr") + "\r\n");
	KSR.sl.sl_send_reply(200, "OK");
	return 1;
}

function ksr_tick(evname) {
	var n = KSR.memcached.incx("processes_tick", 1, 0);
	// a quiet write as the route's last call: the end of the route sends it
	KSR.memcached.setxsq("processes_tick_q", String(n), 0);
	return 1;
}
