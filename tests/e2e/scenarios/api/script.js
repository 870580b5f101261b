// api scenario: one KSR.memcached call per SIP request.
// Request: X-Op (function name), X-Key, X-Val (or the body when X-Val-Body
// is present), X-Exp, X-Delta. Reply 200 with X-Result (the returned value,
// "nil" for null/undefined), X-Type (int, float, str, bool, nil) and
// X-Status (status() after the call); with X-Reply-Body a string result is
// also the reply body. X-Key-Body: the key is the body. X-Val-Double: n
// doubles the value n times (values larger than a UDP datagram). X-Before:
// an op run first in the same request, its result dropped. No X-Op: a plain 200 (readiness ping).

function hdr(name) {
	return KSR.pv.get("$hdr(" + name + ")");
}

function typeOf(v) {
	if (v === null || v === undefined) return "nil";
	if (typeof v === "string") return "str";
	if (typeof v === "boolean") return "bool";
	if (typeof v === "number") return (v % 1 === 0) ? "int" : "float";
	return typeof v;
}

function toInt(s) {
	var n = parseInt(s, 10);
	return isNaN(n) ? 0 : n;
}

var M = KSR.memcached;
var OPS = {
	get: function (a) { return M.get(a.key); },
	gete: function (a) { return M.gete(a.key); },
	exists: function (a) { return M.exists(a.key); },
	sets: function (a) { return M.sets(a.key, a.val); },
	seti: function (a) { return M.seti(a.key, a.ival); },
	setxs: function (a) { return M.setxs(a.key, a.val, a.exp); },
	setxi: function (a) { return M.setxi(a.key, a.ival, a.exp); },
	add: function (a) { return M.add(a.key, a.val, a.exp); },
	addi: function (a) { return M.addi(a.key, a.ival, a.exp); },
	replace: function (a) { return M.replace(a.key, a.val, a.exp); },
	append: function (a) { return M.append(a.key, a.val); },
	prepend: function (a) { return M.prepend(a.key, a.val); },
	"delete": function (a) { return M["delete"](a.key); },
	inc: function (a) { return M.inc(a.key, a.delta); },
	dec: function (a) { return M.dec(a.key, a.delta); },
	incx: function (a) { return M.incx(a.key, a.delta, a.exp); },
	touch: function (a) { return M.touch(a.key, a.exp); },
	status: function (a) { return M.status(); },
	setsq: function (a) { return M.setsq(a.key, a.val); },
	setiq: function (a) { return M.setiq(a.key, a.ival); },
	setxsq: function (a) { return M.setxsq(a.key, a.val, a.exp); },
	setxiq: function (a) { return M.setxiq(a.key, a.ival, a.exp); },
	// a quiet write, then a read of it in the same request
	"setsq-get": function (a) {
		if (M.setsq(a.key, a.val) !== 2) return "not queued";
		return M.get(a.key);
	},
	// mget(X-Keys, X-Sep), then mval of each X-K header: "X-V: i type
	// status value"; the result is mget's return code
	mget: function (a) {
		var rc = M.mget(hdr("X-Keys"), hdr("X-Sep"));
		var n = KSR.pv.get("$hdrc(X-K)");
		for (var i = 0; i < n; i++) {
			var v = M.mval(KSR.pv.get("$(hdr(X-K)[" + i + "])"));
			var t = typeOf(v);
			KSR.hdr.append_to_reply("X-V: " + i + " " + t + " " + M.status()
				+ " " + (t === "nil" ? "nil" : String(v)) + "\r\n");
		}
		return rc;
	},
	mval: function (a) { return M.mval(a.key); }
};

function ksr_request_route() {
	var op = hdr("X-Op");
	if (op === null || op === undefined) {
		KSR.hdr.append_to_reply("X-Engine: Duktape " + Duktape.version + "\r\n");
		KSR.sl.sl_send_reply(200, "pong");
		return 1;
	}
	var f = OPS.hasOwnProperty(op) ? OPS[op] : null;
	if (f === null) {
		KSR.sl.sl_send_reply(400, "unknown op");
		return 1;
	}
	var a = { key: hdr("X-Key"), val: hdr("X-Val") };
	if (hdr("X-Val-Body") !== null) a.val = KSR.pv.get("$rb");
	if (hdr("X-Key-Body") !== null) a.key = KSR.pv.get("$rb");
	for (var i = toInt(hdr("X-Val-Double")); i > 0; i--) a.val = a.val + a.val;
	a.ival = toInt(a.val);
	a.exp = toInt(hdr("X-Exp"));
	a.delta = toInt(hdr("X-Delta"));
	var r;
	try {
		// X-Before: another op first, in the same request (so the same
		// process), its result dropped: status() then reads its status
		var before = hdr("X-Before");
		if (before !== null) OPS[before](a);
		r = f(a);
	} catch (e) {
		KSR.hdr.append_to_reply("X-Error: " + String(e).replace(/[\r\n]/g, " ") + "\r\n");
		KSR.sl.sl_send_reply(500, "script error");
		return 1;
	}
	var t = typeOf(r);
	KSR.hdr.append_to_reply("X-Type: " + t + "\r\n");
	if (hdr("X-Reply-Body") !== null && t === "str") {
		KSR.hdr.append_to_reply("X-Len: " + r.length + "\r\n");
		KSR.textops.set_reply_body(r, "text/plain");
	} else {
		KSR.hdr.append_to_reply("X-Result: " + (t === "nil" ? "nil" : String(r)) + "\r\n");
	}
	KSR.hdr.append_to_reply("X-Status: " + M.status() + "\r\n");
	KSR.sl.sl_send_reply(200, "OK");
	return 1;
}
