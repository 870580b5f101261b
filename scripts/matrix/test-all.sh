#!/usr/bin/env bash
# `scripts/test.sh --matrix`: every target of scripts/matrix/targets.sh in
# order, each to the end even when an earlier one failed; prints one line per
# target (its ctest summary and time) and fails if any failed.
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
summary=()
failed=0
passed_tests=0
failed_tests=0
while read -r name _; do
	echo "=== matrix: $name ==="
	start=$SECONDS
	log=$(mktemp)
	"$ROOT/scripts/matrix/test-target.sh" "$name" "$@" 2>&1 | tee "$log"
	rc=${PIPESTATUS[0]}
	result=$(grep -E "tests passed, [0-9]+ tests failed out of" "$log" | tail -1)
	rm -f "$log"
	if [[ $result =~ ([0-9]+)\ tests\ failed\ out\ of\ ([0-9]+) ]]; then
		failed_tests=$((failed_tests + BASH_REMATCH[1]))
		passed_tests=$((passed_tests + BASH_REMATCH[2] - BASH_REMATCH[1]))
	else
		failed_tests=$((failed_tests + 1))  # a target that never got to ctest
	fi
	[ "$rc" -eq 0 ] || failed=1
	summary+=("$(printf '%-14s rc=%d %4ds  %s' "$name" "$rc" $((SECONDS - start)) "${result:-no ctest summary}")")
done < <("$ROOT/scripts/matrix/targets.sh")
echo "=== matrix summary ==="
printf '%s\n' "${summary[@]}"
echo "matrix: $passed_tests passed, $failed_tests failed"
exit "$failed"
