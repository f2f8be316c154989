#!/bin/bash
# Runs inside the VM (tests/bench.sh): every b_* benchmark of bench*.sh, or
# those named in XT_BENCH, on the test topology of lib.sh.
set -u
TOP=$(cd "$(dirname "$0")/../.." && pwd)
cd "$TOP" || exit 1
# shellcheck source=lib.sh
. tests/e2e/lib.sh
ROUNDS=${XT_BENCH_ROUNDS:-5}
for f in tests/e2e/bench-*.sh; do
	# shellcheck source=/dev/null
	. "$f"
done

# bench_report WHAT BASE OTHER...: for each configuration (named in
# rates[]: the figures of each round), the median, min and max, and the
# ratio of each OTHER's median to BASE's. With BENCH_RATIO=rate, the
# figures are costs (instructions) and the ratios BASE's to OTHER's: the
# relative rate.
bench_report() {
	local what=$1 base=$2 cfg m min max a b
	local -A med
	for cfg in "${@:2}"; do
		read -r m min max < <(tr ' ' '\n' <<<"${rates[$cfg]}" | sed '/^$/d' | sort -g |
			awk '{ v[NR] = $1 } END { m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
				print m, v[1], v[NR] }')
		med[$cfg]=$m
		printf '%-44s %-22s median %10.1f  (min %.1f, max %.1f, %d rounds)\n' \
			"$what" "$cfg" "${med[$cfg]}" "$min" "$max" "$ROUNDS"
	done
	for cfg in "${@:3}"; do
		a=$cfg b=$base
		[[ ${BENCH_RATIO:-} == rate ]] && a=$base b=$cfg
		awk -v a="${med[$a]}" -v b="${med[$b]}" -v w="$what" -v o="$a" -v s="$b" \
			'BEGIN { printf "%-44s %s / %s = %.3f\n", w, o, s, a / b }'
	done
}

install_stage || { echo "cannot install from $XT_STAGE"; exit 1; }
topology_up >/tmp/topology.log 2>&1 || { cat /tmp/topology.log; echo "cannot build the topology"; exit 1; }
mapfile -t all < <(cat tests/e2e/bench-*.sh | grep -o '^b_[a-z0-9_]*')
[[ -n ${XT_BENCH:-} ]] && read -r -a all <<<"$XT_BENCH"
# The b_icount_* count instructions with the plugin of tests/bench-icount,
# which tests/bench.sh loads in a VM of their own: not without it.
[[ -n ${XT_ICOUNT_OUT:-} ]] || mapfile -t all < <(printf '%s\n' "${all[@]}" | grep -v -e '^b_icount_' -e '^$')
echo "# kernel $(uname -r), $(nproc) CPUs under qemu TCG, $ROUNDS rounds"
rc=0
for b in "${all[@]}"; do
	reset_test >/dev/null 2>&1
	echo "== $b"
	(declare -A rates=() && "$b") || { echo "$b: FAILED"; rc=1; }
done
if dmesg | grep -Eq 'WARNING:|BUG:|Oops|Call Trace'; then
	dmesg | tail -n 50
	echo "the kernel complained"
	rc=1
fi
exit $rc
