#!/usr/bin/env bash
# The tested blocks of a Markdown document (docs/operator-guide.md).
#
# Convention: an HTML comment naming the block on the line right before a
# fenced code block:
#
#   <!-- guide-test: NAME -->
#   ```
#   commands or configuration, exactly as the reader will type them
#   ```
#
# NAME is [a-z0-9-]+ and unique in the document. The tests in
# tests/e2e/tests-guide.sh run (or install, for configuration) the block by
# its name; tests/guide-check.sh fails when a block is used by no test.
#
#   tests/guide-blocks.sh DOC NAME     print the block's body
#   tests/guide-blocks.sh --list DOC   print every NAME, one a line
#
# Exit status 1 if NAME is not in DOC (or a tag is not followed by a fence,
# or a NAME is used twice: every call checks the whole document).
set -euo pipefail

usage() {
	sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//' >&2
	exit 2
}

# parse DOC: "NAME<TAB>LINE" for each tagged block, then its body lines as
# "NAME<TAB>|text"; errors on stderr and exit status 1.
parse() {
	awk '
	function bad(msg) { print FILENAME ":" NR ": " msg > "/dev/stderr"; err = 1 }
	pending != "" && !infence {
		if ($0 ~ /^```/) { infence = 1; name = pending; pending = ""; next }
		bad("guide-test tag \"" pending "\" is not followed by a fenced block")
		pending = ""
	}
	infence {
		if ($0 ~ /^```[ \t]*$/) { infence = 0; name = ""; next }
		print name "\t|" $0
		next
	}
	/^<!-- guide-test: / {
		if (!match($0, /^<!-- guide-test: [a-z0-9-]+ -->[ \t]*$/)) { bad("malformed tag: " $0); next }
		n = $0; sub(/^<!-- guide-test: /, "", n); sub(/ -->.*$/, "", n)
		if (n in seen) bad("block \"" n "\" tagged twice (also line " seen[n] ")")
		seen[n] = NR; pending = n
		print n "\t" NR
	}
	END {
		if (pending != "") bad("guide-test tag \"" pending "\" at the end of the file")
		if (infence) bad("unterminated fenced block \"" name "\"")
		exit err
	}' "$1"
}

[[ $# == 2 ]] || usage
if [[ $1 == --list ]]; then
	out=$(parse "$2") || exit 1
	awk -F '\t' '$2 !~ /^\|/ { print $1 }' <<<"$out"
	exit 0
fi
out=$(parse "$1") || exit 1
awk -F '\t' -v n="$2" '$2 !~ /^\|/ && $1 == n { found = 1 } END { exit !found }' <<<"$out" ||
	{ echo "guide-blocks: no block \"$2\" in $1" >&2; exit 1; }
awk -v n="$2" 'index($0, n "\t|") == 1 { print substr($0, length(n) + 3) }' <<<"$out"
