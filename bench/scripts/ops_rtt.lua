-- Per-operation cost of the round-trip savers, timed inside Kamailio like
-- ops_ours.lua: N gets of one key, N multi-gets of 5 keys (mget + 5 mval;
-- then each part alone), N sets and N quiet sets (setxsq) of one key, then
-- a check that the last quiet write is read back. N comes in X-Ops; results
-- in reply headers.
local function cpu_ns()
	local f = io.open("/proc/self/schedstat", "r")
	if f == nil then
		return 0
	end
	local v = tonumber(f:read("*n")) or 0
	f:close()
	return v
end

local function now()
	return tonumber(KSR.pv.get("$TV(Sn)"))
end

function ksr_request_route()
	local n = tonumber(KSR.pv.get("$hdr(X-Ops)"))
	if n == nil then -- readiness ping
		KSR.sl.sl_send_reply(200, "OK")
		return
	end
	local vsize = tonumber(KSR.pv.get("$hdr(X-Value-Size)")) or 32
	local mc = KSR.memcached
	local val = string.rep("x", vsize)
	local keys = {"bench_m1", "bench_m2", "bench_m3", "bench_m4", "bench_m5"}
	for _, k in ipairs(keys) do
		if mc.sets(k, val) < 0 then
			KSR.sl.sl_send_reply(500, "Set failed")
			return
		end
	end
	local joined = table.concat(keys, ",")
	local bad = 0
	-- each phase: n calls, its wall and on-CPU time per iteration
	local res = {}
	local function phase(name, body)
		local t0, c0 = now(), cpu_ns()
		for i = 1, n do
			body(i)
		end
		res[#res + 1] = string.format("X-%s-Us: %.3f\r\nX-%s-Cpu-Us: %.3f\r\n",
			name, (now() - t0) * 1e6 / n, name, (cpu_ns() - c0) / 1e3 / n)
	end
	phase("Get", function()
		if mc.get("bench_m1") ~= val then bad = bad + 1 end
	end)
	-- a multi-get as a script uses it: the call, then the 5 values
	phase("Mget5", function()
		if mc.mget(joined, ",") ~= 1 then bad = bad + 1 end
		for _, k in ipairs(keys) do
			if mc.mval(k) ~= val then bad = bad + 1 end
		end
	end)
	-- the same in parts: the mget call alone, the 5 mval reads alone
	phase("Mgetonly", function()
		if mc.mget(joined, ",") ~= 1 then bad = bad + 1 end
	end)
	phase("Mval5", function()
		for _, k in ipairs(keys) do
			if mc.mval(k) ~= val then bad = bad + 1 end
		end
	end)
	phase("Set", function() mc.setxs("bench_q", val, 60) end)
	phase("Setq", function(i)
		if mc.setxsq("bench_q", val .. i, 60) ~= 2 then bad = bad + 1 end
	end)
	if mc.get("bench_q") ~= val .. n then bad = bad + 1 end
	KSR.hdr.append_to_reply(table.concat(res) .. "X-Bad: " .. bad .. "\r\n")
	KSR.sl.sl_send_reply(200, "OK")
end
