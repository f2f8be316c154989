#!/usr/bin/env bash
# The main job in one command: boot a VM with Debian's kernel, put nginx
# behind an L4 proxy that NATs the client away and carries it in a TOA
# option, and show what nginx logs before and after one xt_TOA rule.
set -uo pipefail
TOP=$(cd "$(dirname "$0")/.." && pwd)
cd "$TOP"
# shellcheck source=host-prepare.sh
. tests/host-prepare.sh
echo "Installing dependencies and building (first run takes a few minutes)..."
host_prepare "$TOP/tests/out" --demo || exit 1
echo "Booting Debian's $KVER under qemu (software emulation, about a minute)..."
tests/vm/run-vm.sh --kernel "$KIMG" --env XT_STAGE="$STAGE" -- tests/e2e/demo-in-guest.sh
