#!/usr/bin/env bash
# `scripts/test.sh --matrix`: every target of scripts/matrix/targets.sh in
# order, each to the end even when an earlier one failed; prints one line per
# target (its ctest summary and time), the total, and fails if any target
# failed or printed no ctest summary.
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
# Read the list first: a command of a target reading standard input (a
# package prompt, say) must not eat the names of the targets after it.
mapfile -t TARGETS < <("$ROOT/scripts/matrix/targets.sh")
[ "${#TARGETS[@]}" -gt 0 ] || { echo "test-all: no targets" >&2; exit 1; }
summary=()
failed=0
passed_tests=0
failed_tests=0
for line in "${TARGETS[@]}"; do
	read -r name _ <<<"$line"
	echo "=== matrix: $name ==="
	start=$SECONDS
	log=$(mktemp)
	"$ROOT/scripts/matrix/test-target.sh" "$name" "$@" </dev/null 2>&1 | tee "$log"
	rc=${PIPESTATUS[0]}
	result=$(grep -E "tests passed, [0-9]+ tests failed out of" "$log" | tail -1)
	rm -f "$log"
	[ "$rc" -eq 0 ] || failed=1
	if [[ $result =~ ([0-9]+)\ tests\ failed\ out\ of\ ([0-9]+) ]]; then
		failed_tests=$((failed_tests + BASH_REMATCH[1]))
		passed_tests=$((passed_tests + BASH_REMATCH[2] - BASH_REMATCH[1]))
	else
		failed=1
		failed_tests=$((failed_tests + 1))  # a target that never got to ctest
	fi
	summary+=("$(printf '%-14s rc=%d %4ds  %s' "$name" "$rc" $((SECONDS - start)) "${result:-no ctest summary}")")
done
echo "=== matrix summary ==="
printf '%s\n' "${summary[@]}"
echo "matrix: ${#summary[@]} of ${#TARGETS[@]} targets run in $((SECONDS / 60)) min $((SECONDS % 60)) s"
echo "matrix: $passed_tests passed, $failed_tests failed"
exit "$failed"
