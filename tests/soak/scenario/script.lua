-- soak scenario: every request keeps the module busy with four memcached
-- operations and checks what it reads back. 200 when all went as expected,
-- 500 naming the first step that did not.
-- X-Leak (negative control only): also creates a new $shv per Call-ID, a
-- deliberate shm + pkg leak the soak's growth bounds must catch.

local M = KSR.memcached

local function fail(step)
	KSR.sl.sl_send_reply(500, "soak " .. step)
	return 1
end

function ksr_request_route()
	local cid = KSR.pv.get("$ci")
	local n = M.incx("soak:counter", 1, 0)
	if type(n) ~= "number" or n < 1 then return fail("incx") end
	local k = "soak:" .. cid
	if M.setxs(k, cid, 60) ~= 1 then return fail("setxs") end
	if M.get(k) ~= cid then return fail("get") end
	if M.delete(k) ~= 1 then return fail("delete") end
	if KSR.pv.get("$hdr(X-Leak)") ~= nil then
		KSR.pv.sets("$shv(leak_" .. cid .. ")", cid)
	end
	KSR.sl.sl_send_reply(200, "OK")
	return 1
end
