-- processes scenario: the module used by UDP workers, TCP workers and an
-- rtimer process (ksr_tick).

function ksr_request_route()
	local k = KSR.pv.get("$hdr(X-Key)")
	if k ~= nil then
		KSR.memcached.sets(k, KSR.pv.get("$hdr(X-Val)"))
		KSR.hdr.append_to_reply("X-Result: " .. tostring(KSR.memcached.get(k)) .. "\r\n")
	end
	KSR.hdr.append_to_reply("X-Proto: " .. KSR.pv.get("$pr") .. "\r\n")
	KSR.sl.sl_send_reply(200, "OK")
	return 1
end

function ksr_tick(evname)
	local n = KSR.memcached.incx("processes_tick", 1, 0)
	-- a quiet write as the route's last call: the end of the route sends it
	KSR.memcached.setxsq("processes_tick_q", tostring(n), 0)
	return 1
end
