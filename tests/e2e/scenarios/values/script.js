// values scenario: reads one key per SIP request and shows exactly what the
// script got. Request: X-Key. Reply 200 with X-Type (int, float, str, nil),
// X-Int (the number, for int) and X-Hex (the string's characters as UTF-8
// bytes in hex, for str; with X-Len in the request, X-Len: its length
// instead), X-Status (status() after the call). No X-Key: a plain 200.

function hdr(name) {
	return KSR.pv.get("$hdr(" + name + ")");
}

function h2(n) {
	return (n < 16 ? "0" : "") + n.toString(16);
}

// UTF-8 bytes of each character (code points below 0x10000 are enough for
// the corpus)
function hex(s) {
	var out = "", i, c;
	for (i = 0; i < s.length; i++) {
		c = s.charCodeAt(i);
		if (c < 0x80) {
			out += h2(c);
		} else if (c < 0x800) {
			out += h2(0xc0 | (c >> 6)) + h2(0x80 | (c & 0x3f));
		} else {
			out += h2(0xe0 | (c >> 12)) + h2(0x80 | ((c >> 6) & 0x3f)) +
				h2(0x80 | (c & 0x3f));
		}
	}
	return out;
}

function ksr_request_route() {
	var key = hdr("X-Key");
	var v;
	if (key === null) {
		KSR.sl.sl_send_reply(200, "pong");
		return 1;
	}
	if (hdr("X-Gete") !== null) {
		v = KSR.memcached.gete(key);
	} else {
		v = KSR.memcached.get(key);
	}
	if (v === null) {
		KSR.hdr.append_to_reply("X-Type: nil\r\n");
	} else if (typeof v === "number") {
		if (Math.floor(v) === v) {
			KSR.hdr.append_to_reply("X-Type: int\r\nX-Int: " + v + "\r\n");
		} else {
			KSR.hdr.append_to_reply("X-Type: float\r\n");
		}
	} else if (typeof v === "string" && hdr("X-Len") !== null) {
		KSR.hdr.append_to_reply("X-Type: str\r\nX-Len: " + v.length + "\r\n");
	} else if (typeof v === "string") {
		KSR.hdr.append_to_reply("X-Type: str\r\nX-Hex: " + hex(v) + "\r\n");
	} else {
		KSR.hdr.append_to_reply("X-Type: " + typeof v + "\r\n");
	}
	KSR.hdr.append_to_reply("X-Status: " + KSR.memcached.status() + "\r\n");
	KSR.sl.sl_send_reply(200, "OK");
	return 1;
}
