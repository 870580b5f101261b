-- Our module the way an operator writes it with fewer round trips: the
-- store by Call-ID is a quiet write (setxsq: not waited for; it leaves in
-- the same packet as the incx), the counter is one incx, and the read-back
-- of the stored value rides the same connection, so it sees the quiet
-- write. 2 round trips per request.
function ksr_request_route()
	local ci = KSR.pv.get("$ci")
	local v = "v-" .. ci
	if KSR.memcached.setxsq(ci, v, 60) ~= 2 then
		KSR.sl.sl_send_reply(500, "Not queued")
		return
	end
	KSR.memcached.incx("@COUNTER@", 1, 3600)
	if KSR.memcached.get(ci) ~= v then
		KSR.sl.sl_send_reply(500, "Mismatch")
		return
	end
	KSR.sl.sl_send_reply(200, "OK")
end
