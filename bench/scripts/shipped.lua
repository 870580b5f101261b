-- The shipped module from Lua: it has no KEMI functions, so an operator goes
-- through KSR.pv with the same PV names as in native cfg (mode=1: an assignment
-- to $mct is an add). The PV names are constant strings, so Kamailio's PV
-- cache parses each once; $ci is expanded inside the module per call.
function ksr_request_route()
	if KSR.pv.get("$mct(@COUNTER@)") == nil then
		KSR.pv.seti("$mct(@COUNTER@)", 0)
	end
	KSR.pv.seti("$mcinc(@COUNTER@)", 1)
	local v = "v-" .. KSR.pv.get("$ci")
	KSR.pv.sets("$mct($ci=>60)", v)
	if KSR.pv.get("$mct($ci)") ~= v then
		KSR.sl.sl_send_reply(500, "Mismatch")
		return
	end
	KSR.sl.sl_send_reply(200, "OK")
end
