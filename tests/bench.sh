#!/usr/bin/env bash
# The benchmarks ("make bench"): boot Debian's kernel under qemu with the
# module built here, and run every b_* of tests/e2e/bench*.sh (or those in
# XT_BENCH) inside it. Each prints its configurations' medians over several
# interleaved rounds, their spread, and the ratios. Figures, not tests:
# under TCG only ratios within one run mean something.
#
#   make bench                          all of them, XT_BENCH_ROUNDS=5 rounds
#   XT_BENCH=b_insert_relay make bench  one
set -uo pipefail
TOP=$(cd "$(dirname "$0")/.." && pwd)
cd "$TOP"
# shellcheck source=host-prepare.sh
. tests/host-prepare.sh
host_prepare "$TOP/tests/out" || exit 1
# The empty hooks that bench-hooks.sh prices, for the kernel booted.
make -s -C "$KDIR" M="$TOP/tests/bench-hooks" modules >"$TOP/tests/out/bench-hooks.log" 2>&1 ||
	{ cat "$TOP/tests/out/bench-hooks.log"; exit 1; }
tests/vm/run-vm.sh --kernel "$KIMG" --timeout 3600 --env XT_STAGE="$STAGE" \
	--env XT_HOOKCOST="$TOP/tests/bench-hooks/toa_hookcost.ko" -- tests/e2e/run-bench-in-guest.sh
