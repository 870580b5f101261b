-- Registration cache shared by every server.
--
-- A REGISTER stores the AOR's contact with the registration's expiry, so
-- memcached forgets it when the registration lapses; Expires 0 or
-- "Contact: *" removes it. An INVITE or MESSAGE for a registered user,
-- arriving at any server, is redirected (302) to the cached contact; an
-- unknown user gets 404. status() tells "not registered" (-1) from "cache
-- unreachable" (-2). One contact per AOR, to keep the example short.

local MAX_EXPIRES = 3600
local M = KSR.memcached

local function register()
	local aor = "reg:" .. KSR.pv.gete("$tU")
	local contact = KSR.pv.gete("$hdr(Contact)")
	local expires = tonumber(KSR.pv.gete("$hdr(Expires)")) or MAX_EXPIRES
	if expires > MAX_EXPIRES then
		expires = MAX_EXPIRES
	end
	if contact == "*" or expires <= 0 then
		M.delete(aor) -- -1, not registered, is fine
		if M.status() == -2 then
			KSR.sl.sl_send_reply(500, "Registrar Unavailable")
		else
			KSR.sl.sl_send_reply(200, "OK")
		end
		return
	end
	if M.setxs(aor, contact, expires) ~= 1 then
		KSR.sl.sl_send_reply(500, "Registrar Unavailable")
		return
	end
	KSR.hdr.append_to_reply("Contact: " .. contact .. ";expires=" .. expires .. "\r\n")
	KSR.sl.sl_send_reply(200, "OK")
end

local function lookup()
	local contact = M.get("reg:" .. KSR.pv.gete("$rU"))
	if contact ~= nil then
		KSR.hdr.append_to_reply("Contact: " .. contact .. "\r\n")
		KSR.sl.sl_send_reply(302, "Moved Temporarily")
	elseif M.status() == -1 then
		KSR.sl.sl_send_reply(404, "Not Found")
	else
		KSR.sl.sl_send_reply(500, "Location Service Unavailable")
	end
end

function ksr_request_route()
	if KSR.is_ACK() then
		return 1
	end
	if KSR.is_REGISTER() then
		register()
	elseif KSR.is_INVITE() or KSR.is_MESSAGE() then
		lookup()
	else
		KSR.sl.sl_send_reply(200, "OK")
	end
	return 1
end
