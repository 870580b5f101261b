-- Per-operation cost of the round-trip savers, timed inside Kamailio like
-- ops_ours.lua: N gets of one key, N multi-gets of 5 keys (mget + 5 mval;
-- then each part alone; these four interleaved in slices), N sets and N
-- quiet sets (setxsq) of one key, then
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
	-- each phase: n calls, its wall and on-CPU time per iteration. The
	-- phases compared with each other (get against a multi-get of 5 and its
	-- parts) run interleaved, a slice of each in turn, so that a change in
	-- the machine's load hits them alike: their ratio is the target.
	local res = {}
	local acc = {}
	local function slice(name, body, from, to)
		local a = acc[name] or {0, 0}
		local t0, c0 = now(), cpu_ns()
		for i = from, to do
			body(i)
		end
		a[1] = a[1] + (now() - t0)
		a[2] = a[2] + (cpu_ns() - c0)
		acc[name] = a
	end
	local function report(name)
		local a = acc[name]
		res[#res + 1] = string.format("X-%s-Us: %.3f\r\nX-%s-Cpu-Us: %.3f\r\n",
			name, a[1] * 1e6 / n, name, a[2] / 1e3 / n)
	end
	local function phase(name, body)
		slice(name, body, 1, n)
		report(name)
	end
	local compared = {
		{"Get", function()
			if mc.get("bench_m1") ~= val then bad = bad + 1 end
		end},
		-- a multi-get as a script uses it: the call, then the 5 values
		{"Mget5", function()
			if mc.mget(joined, ",") ~= 1 then bad = bad + 1 end
			for _, k in ipairs(keys) do
				if mc.mval(k) ~= val then bad = bad + 1 end
			end
		end},
		-- the same in parts: the mget call alone, the 5 mval reads alone
		{"Mgetonly", function()
			if mc.mget(joined, ",") ~= 1 then bad = bad + 1 end
		end},
		{"Mval5", function()
			for _, k in ipairs(keys) do
				if mc.mval(k) ~= val then bad = bad + 1 end
			end
		end},
	}
	local slices = 20
	if n < slices then slices = 1 end
	for s = 1, slices do
		local from = math.floor((s - 1) * n / slices) + 1
		local to = math.floor(s * n / slices)
		for _, p in ipairs(compared) do
			slice(p[1], p[2], from, to)
		end
	end
	for _, p in ipairs(compared) do
		report(p[1])
	end
	phase("Set", function() mc.setxs("bench_q", val, 60) end)
	phase("Setq", function(i)
		if mc.setxsq("bench_q", val .. i, 60) ~= 2 then bad = bad + 1 end
	end)
	if mc.get("bench_q") ~= val .. n then bad = bad + 1 end
	KSR.hdr.append_to_reply(table.concat(res) .. "X-Bad: " .. bad .. "\r\n")
	KSR.sl.sl_send_reply(200, "OK")
end
