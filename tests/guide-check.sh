#!/usr/bin/env bash
# Host-side check of the operator's guide: every block tagged
# "<!-- guide-test: NAME -->" in docs/operator-guide.md is run by some test
# of tests/e2e/tests-guide.sh (as "guide_run NS NAME" or "guide_block NAME"),
# and every block a test names exists. So a command added to the guide
# without a test, or a test left pointing at a removed block, fails the suite.
# Prints "N passed, N failed" last.
set -uo pipefail
TOP=$(cd "$(dirname "$0")/.." && pwd)
DOC=$TOP/docs/operator-guide.md
TESTS=$TOP/tests/e2e/tests-guide.sh
passed=0 failed=0
ok() { passed=$((passed + 1)); echo "ok - $*"; }
bad() { failed=$((failed + 1)); echo "not ok - $*"; }

if names=$("$TOP/tests/guide-blocks.sh" --list "$DOC"); then
	ok "the tags of $(basename "$DOC") parse"
else
	bad "the tags of $(basename "$DOC") parse"
	names=
fi
# The names the tests use, comments excluded.
used=$(sed 's/#.*//' "$TESTS" | grep -oE 'guide_(block|run [a-z0-9]+) [a-z0-9-]+' | awk '{ print $NF }' | sort -u)

for n in $names; do
	if grep -qxF -- "$n" <<<"$used"; then
		ok "block $n is used by a test"
	else
		bad "block $n is used by no test in $(basename "$TESTS")"
	fi
done
for n in $used; do
	grep -qxF -- "$n" <<<"$names" || bad "a test uses block $n, which the guide does not have"
done
echo "guide: $passed passed, $failed failed"
((failed == 0))
