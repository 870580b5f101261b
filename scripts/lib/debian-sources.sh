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
TYPE=${1:?usage: debian-sources.sh deb|deb-src SUITE}
SUITE=${2:?usage: debian-sources.sh deb|deb-src SUITE}
. /etc/os-release
CODENAME=${VERSION_CODENAME:?no VERSION_CODENAME in /etc/os-release}
ROOTDIR=${APT_ROOT:-}
DEFAULT_KEY=/usr/share/keyrings/debian-archive-keyring.gpg

# emit URI SUITE_OF_ENTRY KEY: prints the entry when its suite is ours
emit() {
	local uri=$1 suite=$2 key=${3:-$DEFAULT_KEY} pocket
	case "$suite" in
	"$CODENAME") pocket="" ;;
	"$CODENAME"-*) pocket=${suite#"$CODENAME"} ;;
	*) return 0 ;;
	esac
	echo "$TYPE [signed-by=$key] $uri $SUITE$pocket main"
}

out=$(
	# deb822: paragraphs of Field: value lines
	for f in "$ROOTDIR"/etc/apt/sources.list.d/*.sources; do
		[ -f "$f" ] || continue
		awk 'BEGIN { RS = ""; FS = "\n" }
		{
			types = uris = suites = key = ""; enabled = "yes"
			for (i = 1; i <= NF; i++) {
				line = $i
				if (line ~ /^#/) continue
				split(line, kv, ":")
				name = tolower(kv[1])
				val = substr(line, index(line, ":") + 1)
				gsub(/^[ \t]+|[ \t]+$/, "", val)
				if (name == "types") types = val
				else if (name == "uris") uris = val
				else if (name == "suites") suites = val
				else if (name == "signed-by") key = val
				else if (name == "enabled") enabled = tolower(val)
			}
			if (enabled == "no" || (" " types " ") !~ / deb /) next
			n = split(uris, u, /[ \t]+/); m = split(suites, s, /[ \t]+/)
			for (a = 1; a <= n; a++) for (b = 1; b <= m; b++)
				print u[a], s[b], key
		}' "$f"
	done | while read -r uri suite key; do emit "$uri" "$suite" "$key"; done
	# one-line format: deb [options] URI SUITE COMPONENTS...
	for f in "$ROOTDIR"/etc/apt/sources.list "$ROOTDIR"/etc/apt/sources.list.d/*.list; do
		[ -f "$f" ] || continue
		sed -e 's/#.*//' "$f" | while read -r type rest; do
			[ "$type" = deb ] || continue
			key=""
			if [[ $rest == \[* ]]; then
				opts=${rest%%]*}
				rest=${rest#*]}
				[[ $opts =~ signed-by=([^ ]+) ]] && key=${BASH_REMATCH[1]}
			fi
			read -r uri suite _ <<<"$rest"
			emit "$uri" "$suite" "$key"
		done
	done
)
[ -n "$out" ] || {
	echo "debian-sources: no Debian '$CODENAME' entry in this system's apt sources" >&2
	exit 1
}
echo "$out" | awk '!seen[$0]++'
