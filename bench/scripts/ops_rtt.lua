-- Per-operation cost of the round-trip savers, timed inside Kamailio like
-- ops_ours.lua: N gets of one key, N multi-gets of 5 keys (mget + 5 mval),
-- N sets and N quiet sets (setxsq) of one key, then a check that the last
-- quiet write is read back. N comes in X-Ops; results in reply headers.
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
	local t, c = {}, {}
	t[0], c[0] = now(), cpu_ns()
	for i = 1, n do
		if mc.get("bench_m1") ~= val then bad = bad + 1 end
	end
	t[1], c[1] = now(), cpu_ns()
	for i = 1, n do
		if mc.mget(joined, ",") ~= 1 then bad = bad + 1 end
		for _, k in ipairs(keys) do
			if mc.mval(k) ~= val then bad = bad + 1 end
		end
	end
	t[2], c[2] = now(), cpu_ns()
	for i = 1, n do
		mc.setxs("bench_q", val, 60)
	end
	t[3], c[3] = now(), cpu_ns()
	for i = 1, n do
		if mc.setxsq("bench_q", val .. i, 60) ~= 2 then bad = bad + 1 end
	end
	t[4], c[4] = now(), cpu_ns()
	if mc.get("bench_q") ~= val .. n then bad = bad + 1 end
	local function us(i) return (t[i] - t[i - 1]) * 1e6 / n end
	local function cus(i) return (c[i] - c[i - 1]) / 1e3 / n end
	KSR.hdr.append_to_reply(string.format(
		"X-Get-Us: %.3f\r\nX-Mget5-Us: %.3f\r\nX-Set-Us: %.3f\r\n"
		.. "X-Setq-Us: %.3f\r\nX-Get-Cpu-Us: %.3f\r\nX-Mget5-Cpu-Us: %.3f\r\n"
		.. "X-Set-Cpu-Us: %.3f\r\nX-Setq-Cpu-Us: %.3f\r\nX-Bad: %d\r\n",
		us(1), us(2), us(3), us(4), cus(1), cus(2), cus(3), cus(4), bad))
	KSR.sl.sl_send_reply(200, "OK")
end
