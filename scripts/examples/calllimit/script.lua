-- Concurrent-call limit per account, shared by every server.
--
-- An initial INVITE counts one call for its account (the From user); BYE or
-- CANCEL gives it back. The call is remembered under its Call-ID with add,
-- so INVITE retransmissions, or the same call passing another server, are
-- counted once, and of several BYE/CANCEL copies only the one that deletes
-- the call key decrements. Both keys carry a safety expiry so that a call
-- whose BYE never came does not hold the account's slot forever.

local LIMIT = 5   -- concurrent calls per account
local TTL = 7200  -- seconds; longer than your longest call

local M = KSR.memcached

-- false when the account is at its limit
local function call_start()
	local acc = KSR.pv.gete("$fU")
	local ci = KSR.pv.gete("$ci")
	local r = M.add("cl:call:" .. ci, acc, TTL)
	if r ~= 1 then
		-- -1: already counted (retransmission); -2: memcached down, fail open
		return true
	end
	local n = M.incx("cl:acc:" .. acc, 1, TTL)
	-- incx keeps the first expiry: push the safety net out while calls come
	M.touch("cl:acc:" .. acc, TTL)
	if n ~= nil and (type(n) ~= "number" or n > LIMIT) then
		M.dec("cl:acc:" .. acc, 1)
		M.delete("cl:call:" .. ci)
		return false
	end
	return true
end

local function call_end()
	local ci = KSR.pv.gete("$ci")
	local acc = M.get("cl:call:" .. ci)
	if acc ~= nil and M.delete("cl:call:" .. ci) == 1 then
		M.dec("cl:acc:" .. acc, 1)
	end
end

function ksr_request_route()
	if KSR.is_ACK() then
		return 1
	end
	if KSR.is_INVITE() and KSR.pv.get("$tt") == nil then
		if not call_start() then
			KSR.sl.sl_send_reply(486, "Too Many Calls")
			return 1
		end
	elseif KSR.is_BYE() or KSR.is_CANCEL() then
		call_end()
	end
	-- your routing here (t_relay() ...); the example answers itself
	KSR.sl.sl_send_reply(200, "OK")
	return 1
end
