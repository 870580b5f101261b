#!/usr/bin/env bash
# Prints one-line apt source entries for Debian suite family SUITE, derived
# from this system's own apt sources, so no package-server host is written
# anywhere in the project and a local mirror keeps being used:
#
#   scripts/lib/debian-sources.sh TYPE SUITE    (TYPE: deb or deb-src)
#
# Every enabled `deb` entry (deb822 *.sources or one-line *.list) whose suite
# is this system's codename or codename-<pocket> (bookworm, bookworm-updates,
# bookworm-security) is printed for SUITE instead (trixie, trixie-updates,
# trixie-security), with its URI, `main` and its Signed-By keyring. Entries of
# other suites (third-party repositories) are left out. Fails when nothing
# matches.
set -euo pipefail
shopt -s inherit_errexit  # a failure inside $(...) below fails the script
TYPE=${1:?usage: debian-sources.sh deb|deb-src SUITE}
SUITE=${2:?usage: debian-sources.sh deb|deb-src SUITE}
. /etc/os-release
CODENAME=${VERSION_CODENAME:?no VERSION_CODENAME in /etc/os-release}
ROOTDIR=${APT_ROOT:-}
DEFAULT_KEY=/usr/share/keyrings/debian-archive-keyring.gpg

# emit URI SUITE_OF_ENTRY KEY TRUSTED: prints the entry when its suite is
# ours. KEY: keyring file(s), comma- or space-separated (default Debian's);
# TRUSTED=yes: an unsigned local mirror, kept as such.
emit() {
	local uri=$1 suite=$2 key=${3:-} trusted=${4:-} pocket opts
	case "$suite" in
	"$CODENAME") pocket="" ;;
	"$CODENAME"-*) pocket=${suite#"$CODENAME"} ;;
	*) return 0 ;;
	esac
	if [ "$key" = "-" ]; then
		echo "debian-sources: a Signed-By with the key written inline (for $uri) is not supported: put the key in a file and name it" >&2
		exit 1
	fi
	if [ "$trusted" = yes ]; then
		opts="trusted=yes"
	else
		key=${key:-$DEFAULT_KEY}
		opts="signed-by=${key// /,}"
	fi
	echo "$TYPE [$opts] $uri $SUITE$pocket main"
}

out=$(
	# deb822: paragraphs of Field: value lines
	for f in "$ROOTDIR"/etc/apt/sources.list.d/*.sources; do
		[ -f "$f" ] || continue
		awk 'BEGIN { RS = ""; FS = "\n" }
		{
			types = uris = suites = key = trusted = ""; enabled = "yes"
			for (i = 1; i <= NF; i++) {
				line = $i
				if (line ~ /^#/) continue
				if (line ~ /^[ \t]/) {
					# a continuation line: only an inline key has them
					if (name == "signed-by") key = "-"
					continue
				}
				split(line, kv, ":")
				name = tolower(kv[1])
				val = substr(line, index(line, ":") + 1)
				gsub(/^[ \t]+|[ \t]+$/, "", val)
				if (name == "types") types = val
				else if (name == "uris") uris = val
				else if (name == "suites") suites = val
				else if (name == "signed-by") key = (val == "" ? "-" : val)
				else if (name == "trusted") trusted = tolower(val)
				else if (name == "enabled") enabled = tolower(val)
			}
			if (enabled ~ /^(no|false|off|without|disable)$/) next
			if ((" " types " ") !~ / deb /) next
			gsub(/[ \t]+/, ",", key)
			n = split(uris, u, /[ \t]+/); m = split(suites, s, /[ \t]+/)
			for (a = 1; a <= n; a++) for (b = 1; b <= m; b++)
				print u[a], s[b], (key == "" ? "" : key), trusted
		}' "$f"
	done | while read -r uri suite key trusted; do
		emit "$uri" "$suite" "$key" "$trusted"
	done
	# one-line format: deb [options] URI SUITE COMPONENTS...
	for f in "$ROOTDIR"/etc/apt/sources.list "$ROOTDIR"/etc/apt/sources.list.d/*.list; do
		[ -f "$f" ] || continue
		# `|| [ -n ... ]`: a last line without a newline counts too
		sed -e 's/#.*//' "$f" | while read -r type rest || [ -n "$type" ]; do
			[ "$type" = deb ] || continue
			key="" trusted=""
			if [[ $rest == \[* ]]; then
				opts=${rest%%]*}
				rest=${rest#*]}
				[[ $opts =~ signed-by=([^ ]+) ]] && key=${BASH_REMATCH[1]}
				[[ $opts =~ trusted=yes ]] && trusted=yes
			fi
			read -r uri suite _ <<<"$rest"
			emit "$uri" "$suite" "$key" "$trusted"
		done
	done
)
[ -n "$out" ] || {
	echo "debian-sources: no Debian '$CODENAME' entry in this system's apt sources" >&2
	exit 1
}
echo "$out" | awk '!seen[$0]++'
