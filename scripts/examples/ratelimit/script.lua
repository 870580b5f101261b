-- Cross-server rate limit, fixed window, with KSR.memcached.incx.
--
-- Every server sharing the memcached counts into one key per user. The first
-- request of a window creates the counter with the window length as its
-- expiry; incx does not reset the expiry on later increments, so the window
-- closes WINDOW seconds after it opened, for every server at once, and the
-- next request opens a new one. incx is atomic even when servers race to
-- create the key, so the count is exact.

local LIMIT = 10  -- requests per user per window
local WINDOW = 60 -- seconds

-- true when the request is within the limit
local function ratelimit_ok()
	local key = "rl:" .. KSR.pv.gete("$fU")
	local n = KSR.memcached.incx(key, 1, WINDOW)
	if n == nil then
		-- memcached unreachable (status() == -2): fail open
		return true
	end
	-- beyond 2^31-1 a counter comes back as a string: far over any limit
	return type(n) == "number" and n <= LIMIT
end

function ksr_request_route()
	if KSR.is_ACK() then
		return 1
	end
	if not ratelimit_ok() then
		KSR.hdr.append_to_reply("Retry-After: " .. WINDOW .. "\r\n")
		KSR.sl.sl_send_reply(503, "Rate Limit Exceeded")
		return 1
	end
	-- your routing here (t_relay() ...); the example answers itself
	KSR.sl.sl_send_reply(200, "OK")
	return 1
end
