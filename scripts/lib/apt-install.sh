#!/usr/bin/env bash
# Installs the Debian packages named as arguments that are not installed yet
# (one `apt-get update` first, only when something is missing). Idempotent:
# with everything present it runs no apt command at all.
set -euo pipefail
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
missing=()
for p in "$@"; do
	[ "$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null)" = "install ok installed" ] \
		|| missing+=("$p")
done
[ "${#missing[@]}" -gt 0 ] || exit 0
echo "apt-install: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
