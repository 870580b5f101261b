// soak scenario: every request keeps the module busy with four memcached
// operations and checks what it reads back. 200 when all went as expected,
// 500 naming the first step that did not.
var M = KSR.memcached;

function fail(step) {
	KSR.sl.sl_send_reply(500, "soak " + step);
	return 1;
}

function ksr_request_route() {
	var cid = KSR.pv.get("$ci");
	var n = M.incx("soak:counter", 1, 0);
	if (typeof n !== "number" || n < 1) { return fail("incx"); }
	var k = "soak:" + cid;
	if (M.setxs(k, cid, 60) !== 1) { return fail("setxs"); }
	if (M.get(k) !== cid) { return fail("get"); }
	if (M.delete(k) !== 1) { return fail("delete"); }
	KSR.sl.sl_send_reply(200, "OK");
	return 1;
}
