#!/bin/sh
# make check: replay every input of regressions.txt, then fuzz for $1 seconds from
# the seed corpus $2. Prints "fuzz: N passed, N failed".
set -u
here=$(cd "$(dirname "$0")" && pwd)
passed=0 failed=0
input="$here/regression.bin"
while read -r name hex; do
	case "$name" in '' | '#'*) continue ;; esac
	printf '%s' "$hex" | xxd -r -p >"$input"
	if "$here/fuzz_parse" "$input" >/dev/null 2>&1; then
		passed=$((passed + 1)); echo "ok   regression $name"
	else
		failed=$((failed + 1)); echo "FAIL regression $name: $("$here/fuzz_parse" "$input" 2>&1 | grep -m1 ERROR)"
	fi
done <"$here/regressions.txt"
rm -f "$input"
log="$here/fuzz-check.log"
if "$here/fuzz_parse" -max_total_time="$1" -print_final_stats=1 "$2" >"$log" 2>&1; then
	passed=$((passed + 1))
	echo "ok   fuzzed $1 s: $(grep -o 'stat::number_of_executed_units: [0-9]*' "$log" | sed 's/.*: //') inputs," \
		"$(grep -o 'cov: [0-9]*' "$log" | tail -n 1)"
else
	failed=$((failed + 1)); echo "FAIL fuzzing found a problem:"; tail -n 30 "$log"
fi
echo "fuzz: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
