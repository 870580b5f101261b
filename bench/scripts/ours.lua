-- Our module through KEMI: incx creates-or-increments in one call.
function ksr_request_route()
	KSR.memcached.incx("@COUNTER@", 1, 3600)
	local ci = KSR.pv.get("$ci")
	local v = "v-" .. ci
	KSR.memcached.setxs(ci, v, 60)
	if KSR.memcached.get(ci) ~= v then
		KSR.sl.sl_send_reply(500, "Mismatch")
		return
	end
	KSR.sl.sl_send_reply(200, "OK")
end
