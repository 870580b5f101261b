-- api scenario: one KSR.memcached call per SIP request.
-- Request: X-Op (function name), X-Key, X-Val (or the body when X-Val-Body
-- is present), X-Exp, X-Delta. Reply 200 with X-Result (the returned value,
-- "nil" for nil), X-Type (int, float, str, bool, nil) and X-Status
-- (status() after the call); with X-Reply-Body a string result is also the
-- reply body. X-Key-Body: the key is the body. X-Val-Double: n doubles the
-- value n times (values larger than a UDP datagram). X-Before: an op run
-- first in the same request, its result dropped. No X-Op: a plain 200 (readiness ping).

local function hdr(name)
	return KSR.pv.get("$hdr(" .. name .. ")")
end

local function typeof(v)
	local t = type(v)
	if t == "nil" then return "nil" end
	if t == "string" then return "str" end
	if t == "boolean" then return "bool" end
	if t == "number" then
		if math.type then -- Lua 5.3+: integer and float subtypes
			if math.type(v) == "float" then return "float" end
		elseif v ~= math.floor(v) then
			return "float"
		end
		return "int"
	end
	return t
end

local M = KSR.memcached
local ops = {
	get = function(a) return M.get(a.key) end,
	gete = function(a) return M.gete(a.key) end,
	exists = function(a) return M.exists(a.key) end,
	sets = function(a) return M.sets(a.key, a.val) end,
	seti = function(a) return M.seti(a.key, a.ival) end,
	setxs = function(a) return M.setxs(a.key, a.val, a.exp) end,
	setxi = function(a) return M.setxi(a.key, a.ival, a.exp) end,
	add = function(a) return M.add(a.key, a.val, a.exp) end,
	addi = function(a) return M.addi(a.key, a.ival, a.exp) end,
	replace = function(a) return M.replace(a.key, a.val, a.exp) end,
	append = function(a) return M.append(a.key, a.val) end,
	prepend = function(a) return M.prepend(a.key, a.val) end,
	delete = function(a) return M.delete(a.key) end,
	inc = function(a) return M.inc(a.key, a.delta) end,
	dec = function(a) return M.dec(a.key, a.delta) end,
	incx = function(a) return M.incx(a.key, a.delta, a.exp) end,
	touch = function(a) return M.touch(a.key, a.exp) end,
	status = function(a) return M.status() end,
	setsq = function(a) return M.setsq(a.key, a.val) end,
	setiq = function(a) return M.setiq(a.key, a.ival) end,
	setxsq = function(a) return M.setxsq(a.key, a.val, a.exp) end,
	setxiq = function(a) return M.setxiq(a.key, a.ival, a.exp) end,
	-- a quiet write, then a read of it in the same request
	["setsq-get"] = function(a)
		if M.setsq(a.key, a.val) ~= 2 then return "not queued" end
		return M.get(a.key)
	end,
	-- mget(X-Keys, X-Sep), then mval of each X-K header: "X-V: i type
	-- status value"; the result is mget's return code
	mget = function(a)
		local rc = M.mget(hdr("X-Keys"), hdr("X-Sep"))
		for i = 0, KSR.pv.get("$hdrc(X-K)") - 1 do
			local v = M.mval(KSR.pv.get("$(hdr(X-K)[" .. i .. "])"))
			KSR.hdr.append_to_reply("X-V: " .. i .. " " .. typeof(v) .. " "
				.. M.status() .. " " .. tostring(v) .. "\r\n")
		end
		return rc
	end,
	mval = function(a) return M.mval(a.key) end,
}

function ksr_request_route()
	local op = hdr("X-Op")
	if op == nil then
		KSR.hdr.append_to_reply("X-Engine: " .. _VERSION .. "\r\n")
		KSR.sl.sl_send_reply(200, "pong")
		return 1
	end
	local f = ops[op]
	if f == nil then
		KSR.sl.sl_send_reply(400, "unknown op")
		return 1
	end
	local a = {key = hdr("X-Key"), val = hdr("X-Val")}
	if hdr("X-Val-Body") ~= nil then a.val = KSR.pv.get("$rb") end
	if hdr("X-Key-Body") ~= nil then a.key = KSR.pv.get("$rb") end
	for _ = 1, tonumber(hdr("X-Val-Double") or "0") or 0 do
		a.val = a.val .. a.val
	end
	a.ival = tonumber(a.val or "") or 0
	a.exp = tonumber(hdr("X-Exp") or "0") or 0
	a.delta = tonumber(hdr("X-Delta") or "0") or 0
	-- X-Before: another op first, in the same request (so the same
	-- process), its result dropped: status() then reads its status
	local before = hdr("X-Before")
	local ok, r = pcall(function(x)
		if before ~= nil then ops[before](x) end
		return f(x)
	end, a)
	if not ok then
		KSR.hdr.append_to_reply("X-Error: " .. tostring(r):gsub("[\r\n]", " ") .. "\r\n")
		KSR.sl.sl_send_reply(500, "script error")
		return 1
	end
	local t = typeof(r)
	KSR.hdr.append_to_reply("X-Type: " .. t .. "\r\n")
	if hdr("X-Reply-Body") ~= nil and t == "str" then
		KSR.hdr.append_to_reply("X-Len: " .. #r .. "\r\n")
		KSR.textops.set_reply_body(r, "text/plain")
	else
		KSR.hdr.append_to_reply("X-Result: " .. tostring(r) .. "\r\n")
	end
	KSR.hdr.append_to_reply("X-Status: " .. tostring(M.status()) .. "\r\n")
	KSR.sl.sl_send_reply(200, "OK")
	return 1
end
