-- Per-operation cost: N sets then N gets of one key, timed inside Kamailio
-- with the wall clock ($TV(Sn) is "seconds.microseconds", read fresh each
-- time; os.clock would count CPU only, not the wait for memcached).
-- N comes in the X-Ops header; results go back as reply headers.
-- On-CPU time of this process in ns (first field of /proc/self/schedstat):
-- the client's own work per operation, which the wall clock mixes with the
-- wait for memcached and with the machine's background load.
local function cpu_ns()
	local f = io.open("/proc/self/schedstat", "r")
	if f == nil then
		return 0
	end
	local v = tonumber(f:read("*n")) or 0
	f:close()
	return v
end

function ksr_request_route()
	local n = tonumber(KSR.pv.get("$hdr(X-Ops)")) or 1000
	local vsize = tonumber(KSR.pv.get("$hdr(X-Value-Size)")) or 32
	local key = "bench_op_key"
	local val = string.rep("x", vsize)
	local mc = KSR.memcached
	if mc.sets(key, val) < 0 then
		KSR.sl.sl_send_reply(500, "Set failed")
		return
	end
	local c0 = cpu_ns()
	local t0 = tonumber(KSR.pv.get("$TV(Sn)"))
	for i = 1, n do
		mc.sets(key, val)
	end
	local t1 = tonumber(KSR.pv.get("$TV(Sn)"))
	local c1 = cpu_ns()
	local bad = 0
	for i = 1, n do
		if mc.get(key) ~= val then
			bad = bad + 1
		end
	end
	local t2 = tonumber(KSR.pv.get("$TV(Sn)"))
	local c2 = cpu_ns()
	KSR.hdr.append_to_reply(string.format(
		"X-Set-Us: %.3f\r\nX-Get-Us: %.3f\r\nX-Set-Cpu-Us: %.3f\r\n"
		.. "X-Get-Cpu-Us: %.3f\r\nX-Bad: %d\r\n",
		(t1 - t0) * 1e6 / n, (t2 - t1) * 1e6 / n,
		(c1 - c0) / 1e3 / n, (c2 - c1) / 1e3 / n, bad))
	KSR.sl.sl_send_reply(200, "OK")
end
