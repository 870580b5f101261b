-- Dedup of retransmissions across servers, with add.
--
-- Behind a load balancer, retransmissions of one request can reach
-- different stateless servers. The first copy of a transaction (Call-ID,
-- CSeq number and method) claims a key with add; add refuses any later copy,
-- whichever server it reaches, and that copy is dropped. The key expires
-- after WINDOW seconds: retransmissions of a transaction stop within
-- 64*T1 = 32 s. If memcached is unreachable (-2) every copy is processed.

local WINDOW = 32 -- seconds

function ksr_request_route()
	if KSR.is_ACK() then
		return 1
	end
	local key = "dd:" .. KSR.pv.gete("$ci") .. ":" .. tostring(KSR.pv.get("$cs"))
		.. ":" .. KSR.pv.gete("$rm")
	local r = KSR.memcached.add(key, KSR.pv.gete("$si"), WINDOW)
	if r == -1 then
		-- a copy was already taken by this or another server: drop it
		return 1
	end
	-- your processing here; the example answers itself
	KSR.sl.sl_send_reply(200, "OK")
	return 1
end
