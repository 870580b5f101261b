-- Example routing script for scripts/run.sh.
-- Every request bumps a counter shared by every Kamailio pointed at the same
-- memcached, remembers who sent the last request, and rate-limits each source
-- address to 50 requests per 10-second window.

local WINDOW = 10
local LIMIT = 50

function ksr_request_route()
	local src = KSR.pv.get("$si") or "unknown"

	-- Fixed-window rate limit: the first request of a window creates the key
	-- with the window as its expiry; later ones only increment it.
	local bucket = "rl:" .. src .. ":" .. math.floor(os.time() / WINDOW)
	local used = KSR.memcached.incx(bucket, 1, WINDOW)
	if used == nil then
		-- memcached is down or slow: serve anyway, but say so.
		KSR.hdr.append_to_reply("X-Cache: unavailable\r\n")
	elseif tonumber(used) > LIMIT then
		KSR.sl.sl_send_reply(503, "Rate limit exceeded")
		return
	end

	local hits = KSR.memcached.incx("demo:hits", 1, 0)
	local last = KSR.memcached.get("demo:last")
	KSR.memcached.setxs("demo:last", src .. " " .. (KSR.pv.get("$rm") or ""), 300)

	KSR.hdr.append_to_reply("X-Hits: " .. tostring(hits) .. "\r\n")
	KSR.hdr.append_to_reply("X-Last-Seen: " .. tostring(last) .. "\r\n")
	KSR.sl.sl_send_reply(200, "OK")
end
