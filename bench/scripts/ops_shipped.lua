-- Per-operation cost, shipped module through KSR.pv (it has no KEMI
-- functions): the same loop as ops_ours.lua, for reference. The module must
-- run with mode=0 so that an assignment to $mct is a set.
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
	local val = string.rep("x", vsize)
	local pv = KSR.pv
	pv.sets("$mct(bench_op_key)", val)
	if pv.get("$mct(bench_op_key)") ~= val then
		KSR.sl.sl_send_reply(500, "Set failed")
		return
	end
	local c0 = cpu_ns()
	local t0 = tonumber(pv.get("$TV(Sn)"))
	for i = 1, n do
		pv.sets("$mct(bench_op_key)", val)
	end
	local t1 = tonumber(pv.get("$TV(Sn)"))
	local c1 = cpu_ns()
	local bad = 0
	for i = 1, n do
		if pv.get("$mct(bench_op_key)") ~= val then
			bad = bad + 1
		end
	end
	local t2 = tonumber(pv.get("$TV(Sn)"))
	local c2 = cpu_ns()
	KSR.hdr.append_to_reply(string.format(
		"X-Set-Us: %.3f\r\nX-Get-Us: %.3f\r\nX-Set-Cpu-Us: %.3f\r\n"
		.. "X-Get-Cpu-Us: %.3f\r\nX-Bad: %d\r\n",
		(t1 - t0) * 1e6 / n, (t2 - t1) * 1e6 / n,
		(c1 - c0) / 1e3 / n, (c2 - c1) / 1e3 / n, bad))
	KSR.sl.sl_send_reply(200, "OK")
end
