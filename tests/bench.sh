#!/usr/bin/env bash
# The benchmarks ("make bench"): boot Debian's kernel under qemu with the
# module built here, and run every b_* of tests/e2e/bench*.sh (or those in
# XT_BENCH) inside it. Each prints its configurations' medians over several
# interleaved rounds, their spread, and the ratios. Figures, not tests:
# under TCG only ratios within one run mean something.
#
#   make bench                          all of them, XT_BENCH_ROUNDS=5 rounds
#   XT_BENCH=b_insert_relay make bench  one
#   XT_BENCH_KERNEL=6.12 make bench     on the 6.12 kernel (default: 6.1)
#
# The b_icount_* (tests/e2e/bench-icount.sh) count guest instructions
# instead of time: they run in a second VM, with one vCPU and the TCG
# plugin of tests/bench-icount, which writes its counts to a file in the
# checkout that the guest reads over the 9p share.
set -uo pipefail
TOP=$(cd "$(dirname "$0")/.." && pwd)
cd "$TOP"
# shellcheck source=host-prepare.sh
. tests/host-prepare.sh
host_prepare "$TOP/tests/out" || exit 1
if [[ ${XT_BENCH_KERNEL:-6.1} == 6.12 ]]; then
	KVER=${LTS_KVERS[1]} KDIR=/usr/src/linux-headers-${LTS_KVERS[1]} KIMG=/boot/vmlinuz-${LTS_KVERS[1]}
	make -s -C kernel clean KDIR="$KDIR" && make -s module KDIR="$KDIR" && stage_install || exit 1
fi
# The empty hooks that bench-hooks.sh prices, for the kernel booted.
make -s -C "$KDIR" M="$TOP/tests/bench-hooks" modules >"$TOP/tests/out/bench-hooks.log" 2>&1 ||
	{ cat "$TOP/tests/out/bench-hooks.log"; exit 1; }
make -s -C tests/bench-icount || exit 1

# XT_BENCH, if set, split between the two VMs.
wall=() icount=()
mapfile -t all < <(cat tests/e2e/bench-*.sh | grep -o '^b_[a-z0-9_]*')
[[ -n ${XT_BENCH:-} ]] && read -r -a all <<<"$XT_BENCH"
for b in "${all[@]}"; do
	if [[ $b == b_icount_* ]]; then icount+=("$b"); else wall+=("$b"); fi
done
rc=0
if ((${#wall[@]})); then
	tests/vm/run-vm.sh --kernel "$KIMG" --timeout 3600 --env XT_STAGE="$STAGE" \
		--env XT_HOOKCOST="$TOP/tests/bench-hooks/toa_hookcost.ko" \
		--env XT_BENCH="${wall[*]}" -- tests/e2e/run-bench-in-guest.sh || rc=$?
fi
if ((${#icount[@]})); then
	out=$TOP/tests/.cache/icount.out profile=$TOP/tests/.cache/icount.profile
	: >"$out"
	tests/vm/run-vm.sh --kernel "$KIMG" --timeout 3600 --smp 1 --env XT_STAGE="$STAGE" \
		--qemu-arg -plugin --qemu-arg "$TOP/tests/bench-icount/icount.so,out=$out,profile=$profile" \
		--env XT_ICOUNT_OUT="$out" --env XT_ICOUNT_PROFILE="$profile" --env XT_BENCH="${icount[*]}" \
		-- tests/e2e/run-bench-in-guest.sh || rc=$?
fi
exit $rc
