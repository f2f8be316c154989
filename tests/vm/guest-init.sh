#!/bin/bash
# Stage 2 of the xt_TOA test VM: PID 1 after switch_root, run by the host's bash from the
# checkout share (see initramfs-init.sh for stage 1, run-vm.sh for the host side).
#
# Runs the command run-vm.sh stored in the run directory, in the directory it chose, with a
# clean environment, stdin from /dev/null and stdout/stderr on the serial console. Then it
# records the exit status (file "rc" in the run directory, plus a marker line on the console)
# and powers the VM off. It must always reach the power-off: no `set -e` here.
set -u

src="" run="" debug=0
read -r cmdline </proc/cmdline
for arg in $cmdline; do
	case "$arg" in
	xtvm.src=*) src="${arg#*=}" ;;
	xtvm.run=*) run="${arg#*=}" ;;
	xtvm.debug=1) debug=1 ;;
	esac
done
rundir="$src/tests/.cache/runs/$run"

poweroff_now() {
	# The sysrq power-off is asynchronous and shuts the 9p devices down under us: from the
	# trigger on, run nothing from disk (an exec would fail with EIO and PID 1 would die
	# noisily). Wait with the read builtin on a FIFO nobody writes to.
	local fifo=/run/xtvm-poweroff.fifo
	mkfifo "$fifo" 2>/dev/null
	exec 9<>"$fifo"
	sync
	echo o >/proc/sysrq-trigger
	read -r -t 60 -u 9
	# Still alive: PID 1 exiting panics the kernel, and panic=-1 with qemu -no-reboot stops
	# the VM as well.
	exit "${1:-1}"
}

# A clean environment: keep only what stage 1 set for us, then the documented variables.
root_mode="${XTVM_ROOT_MODE:-unknown}"
while read -r name; do
	unset "$name"
done < <(compgen -e)
export PATH=/usr/sbin:/usr/bin:/sbin:/bin
export HOME=/root SHELL=/bin/bash USER=root LOGNAME=root LANG=C.UTF-8 TERM=dumb
export XTVM=1                      # "running inside the test VM"
export XTVM_ROOT_MODE="$root_mode" # overlay | fallback
export XTVM_SRC="$src"             # the checkout (same path as on the host)
export XTVM_RUN_DIR="$rundir"      # per-run scratch directory shared with the host
XTVM_KVER="$(uname -r)"
export XTVM_KVER
mkdir -p "$HOME"

if [[ ! -r "$rundir/cmd" ]]; then
	echo "XTVM-BOOT-FAILED: no command file in $rundir"
	poweroff_now 1
fi

# Variables from the host (--env NAME=VALUE, forwarded XT_*): "export NAME=VALUE" lines.
# shellcheck source=/dev/null
[[ -r "$rundir/env" ]] && source "$rundir/env"
# The command: array xtvm_argv (one element is a bash script, several are an argv) and its
# working directory xtvm_cwd.
xtvm_argv=() xtvm_cwd="$src"
# shellcheck source=/dev/null
source "$rundir/cmd"

if ((debug)); then
	read -r uptime _ </proc/uptime
	echo "xtvm: kernel $XTVM_KVER, root $XTVM_ROOT_MODE, up ${uptime}s, running: ${xtvm_argv[*]}"
fi

cd "$xtvm_cwd" || poweroff_now 1
if ((${#xtvm_argv[@]} == 1)); then
	bash -c "${xtvm_argv[0]}" </dev/null
else
	# In a subshell, so that builtins (exit, cd...) cannot end PID 1.
	("${xtvm_argv[@]}") </dev/null
fi
rc=$?

# Report: the file is the primary channel, the console marker the fallback.
printf '%s\n' "$rc" >"$rundir/rc.tmp" && mv -f "$rundir/rc.tmp" "$rundir/rc"
echo "XTVM-EXIT-STATUS $run $rc"
poweroff_now "$rc"
