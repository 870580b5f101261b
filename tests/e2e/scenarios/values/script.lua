-- values scenario: reads one key per SIP request and shows exactly what the
-- script got. Request: X-Key. Reply 200 with X-Type (int, float, str, nil),
-- X-Int (the number, for int) and X-Hex (the string's bytes in hex, for
-- str; with X-Len in the request, X-Len: its length instead), X-Status
-- (status() after the call). No X-Key: a plain 200.

local function hdr(name)
	return KSR.pv.get("$hdr(" .. name .. ")")
end

local function typeof(v)
	local t = type(v)
	if t == "nil" then return "nil" end
	if t == "string" then return "str" end
	if t == "number" then
		if math.type then
			if math.type(v) == "float" then return "float" end
		elseif v ~= math.floor(v) then
			return "float"
		end
		return "int"
	end
	return t
end

local function hex(s)
	return (s:gsub(".", function(c) return string.format("%02x", c:byte()) end))
end

function ksr_request_route()
	local key = hdr("X-Key")
	if key == nil then
		KSR.sl.sl_send_reply(200, "pong")
		return 1
	end
	local v
	if hdr("X-Gete") ~= nil then v = KSR.memcached.gete(key) else v = KSR.memcached.get(key) end
	local t = typeof(v)
	KSR.hdr.append_to_reply("X-Type: " .. t .. "\r\n")
	if t == "int" then
		KSR.hdr.append_to_reply(string.format("X-Int: %d\r\n", v))
	elseif t == "str" and hdr("X-Len") ~= nil then
		KSR.hdr.append_to_reply("X-Len: " .. #v .. "\r\n")
	elseif t == "str" then
		KSR.hdr.append_to_reply("X-Hex: " .. hex(v) .. "\r\n")
	end
	KSR.hdr.append_to_reply("X-Status: " .. tostring(KSR.memcached.status()) .. "\r\n")
	KSR.sl.sl_send_reply(200, "OK")
	return 1
end
