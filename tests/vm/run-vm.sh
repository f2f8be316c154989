#!/usr/bin/env bash
# Boot a Linux kernel under qemu (TCG, no KVM) and run one command inside it.
#
# Usage:
#   tests/vm/run-vm.sh [OPTIONS] -- CMD [ARGS...]
#
#   One CMD argument is a bash script (run with `bash -c`); several are a command and its
#   arguments, run as they are. It runs as root in the current directory if that is inside
#   the checkout, else in the checkout's top directory, with
#   PATH=/usr/sbin:/usr/bin:/sbin:/bin, stdin from /dev/null, stdout and stderr on the serial
#   console, which this script streams to its stdout (and to --log).
#
# Options:
#   --arch ARCH         amd64 (default: qemu-system-x86_64, the host's / as the guest's root) or
#                       arm64 (qemu-system-aarch64 -M virt, the root is an arm64 Debian tree:
#                       --root, default /var/cache/xt-toa/arm64/rootfs, made by
#                       tests/run-arm64.sh; kernel, modules and busybox come from that tree)
#   --root DIR          the directory shared as the guest's root (default / for amd64)
#   --kernel FILE       kernel image: a bzImage or an ELF vmlinux, or an arm64 Image (gzip'd or not)
#                       (default: ROOT/boot/vmlinuz-VER with --kver, else the newest
#                       ROOT/boot/vmlinuz-6.1.*)
#   --kver VER          kernel version, whose modules come from ROOT/lib/modules/VER
#                       (default: read from the kernel image)
#   --modules-root DIR  the kernel's modules are in DIR/lib/modules/VER rather than the host's
#                       /lib/modules (a kernel unpacked from its .deb, not installed); the
#                       initramfs takes its drivers from there. DIR must be inside the checkout,
#                       and the guest command sees only the host's /lib/modules: XT_STAGE's
#                       install (tests/e2e/lib.sh) puts them in place
#   --builtin-drivers   the kernel has virtio-pci, 9p and overlayfs built in: no modules
#                       in the initramfs (custom bzImage, e.g. a KASAN build)
#   --mem MiB           guest memory (default 2048)
#   --smp N             guest CPUs (default 2)
#   --timeout SEC       watchdog: kill qemu after SEC seconds (default 1200)
#   --log FILE          also write the console to FILE (appended)
#   --env NAME=VALUE    set a variable in the guest command's environment (repeatable);
#                       host variables whose names start with XT_ are forwarded as well
#   --append ARGS       extra kernel command line (e.g. "oops=panic", "slub_debug")
#   --qemu-arg ARG      extra qemu argument (repeatable, e.g. --qemu-arg -plugin ...)
#   --no-overlay        do not try the overlayfs root (use the fallback layout)
#   --no-pvh            boot the bzImage as it is (default: boot its uncompressed vmlinux through
#                       the PVH entry point when the kernel has one; this skips the in-guest
#                       decompression, which takes ~4 s under TCG; the vmlinux is cached)
#   --seabios           (amd64) boot through SeaBIOS instead of qboot (qboot, when installed, is the
#                       default: about a second faster, and no BIOS noise on the console)
#   --verbose           show kernel boot messages and stage-1 progress
#   --keep              keep the run directory (tests/.cache/runs/ID) afterwards
#   --rebuild           rebuild the initramfs even if a cached one matches
#   -h, --help          this text
#
# Exit status: the guest command's exit status. 125 when none came back (boot failure,
# kernel panic, watchdog timeout, qemu error), with an error message on stderr; 2 for usage
# errors.
#
# The guest (see initramfs-init.sh and guest-init.sh):
#   - root: the host's / shared read-only over 9p, under an overlayfs with a tmpfs upper
#     layer, so every path is writable (make install, depmod) and nothing reaches the host;
#     XTVM_ROOT_MODE=overlay. If overlayfs over 9p fails: the read-only 9p root with writable
#     overlays on /lib/modules/VER and the xtables directory only; XTVM_ROOT_MODE=fallback.
#   - /tmp, /run, /var, /root: fresh tmpfs (/var holds the host's directory skeleton, no
#     files);
#   - the checkout: shared read-write at the same absolute path as on the host;
#   - no network device; loopback is up; hostname xtvm; XTVM=1 in the environment.
#   - /proc/sys/kernel/modprobe is /sbin/modprobe (module autoload works); debugfs mounted.
#
# Cache: initramfs images under <checkout>/tests/.cache/ (kept out of git by a .gitignore
# the script writes there), keyed by kernel version and a hash of their contents' sources.
set -euo pipefail

readonly EXIT_HARNESS=125

die() {
	echo "run-vm: $*" >&2
	exit 2
}
harness_fail() {
	echo "run-vm: ERROR: $*" >&2
	exit "$EXIT_HARNESS"
}
usage() {
	sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//'
}

# ---------------------------------------------------------------------------------------------
# Options
arch=amd64 root="" kernel="" kver="" modroot="" builtin_drivers=0 mem=2048 smp=2 timeout=1200 log_file=""
append="" no_overlay=0 verbose=0 keep=0 rebuild=0 seabios=0 pvh=1
env_args=() qemu_extra=()
while (($#)); do
	case "$1" in
	--arch) arch="${2:?--arch needs amd64 or arm64}" && shift ;;
	--root) root="${2:?--root needs a directory}" && shift ;;
	--kernel) kernel="${2:?--kernel needs a file}" && shift ;;
	--kver) kver="${2:?--kver needs a version}" && shift ;;
	--modules-root) modroot="${2:?--modules-root needs a directory}" && shift ;;
	--builtin-drivers) builtin_drivers=1 ;;
	--mem) mem="${2:?--mem needs MiB}" && shift ;;
	--smp) smp="${2:?--smp needs a number}" && shift ;;
	--timeout) timeout="${2:?--timeout needs seconds}" && shift ;;
	--log) log_file="${2:?--log needs a file}" && shift ;;
	--env) env_args+=("${2:?--env needs NAME=VALUE}") && shift ;;
	--append) append="$append ${2:?--append needs arguments}" && shift ;;
	--qemu-arg) qemu_extra+=("${2:?--qemu-arg needs an argument}") && shift ;;
	--no-overlay) no_overlay=1 ;;
	--seabios) seabios=1 ;;
	--no-pvh) pvh=0 ;;
	--verbose) verbose=1 ;;
	--keep) keep=1 ;;
	--rebuild) rebuild=1 ;;
	-h | --help) usage && exit 0 ;;
	--) shift && break ;;
	*) die "unknown option: $1 (see --help; the command goes after --)" ;;
	esac
	shift
done
(($#)) || die "no command given (usage: run-vm.sh [OPTIONS] -- CMD [ARGS...])"
[[ "$mem" =~ ^[0-9]+$ ]] || die "--mem: not a number: $mem"
[[ "$smp" =~ ^[0-9]+$ ]] || die "--smp: not a number: $smp"
[[ "$timeout" =~ ^[0-9]+$ ]] || die "--timeout: not a number: $timeout"

case "$arch" in
amd64) qemu_bin=qemu-system-x86_64 console=ttyS0 root="${root:-/}" ;;
arm64) qemu_bin=qemu-system-aarch64 console=ttyAMA0 root="${root:-/var/cache/xt-toa/arm64/rootfs}" ;;
*) die "--arch: amd64 or arm64, not $arch" ;;
esac
[[ -d "$root" ]] || harness_fail "no guest root directory $root (for arm64: tests/run-arm64.sh builds it)"
root="$(cd "$root" && pwd -P)"
# Paths of the guest's root as seen from the host ("" for the host's own /).
rootp="${root%/}"
for tool in "$qemu_bin" cpio modprobe timeout; do
	command -v "$tool" >/dev/null || harness_fail "$tool not found (run tests/deps.sh)"
done
# The initramfs runs the guest architecture's busybox: the root's own (arm64), else the host's.
busybox_bin="$rootp/bin/busybox"
if [[ "$arch" == amd64 ]]; then
	busybox_bin="$(command -v busybox)" || harness_fail "busybox not found (run tests/deps.sh)"
fi
[[ -x "$busybox_bin" ]] || harness_fail "no $busybox_bin (install busybox-static in the guest root)"
# Debian's busybox-static installs /bin/busybox; a dynamic busybox would not run in the
# initramfs, which holds no libraries.
if command -v file >/dev/null && file -L "$busybox_bin" | grep -q 'dynamically linked'; then
	harness_fail "$busybox_bin is dynamically linked: install busybox-static"
fi

# ---------------------------------------------------------------------------------------------
# The checkout: the git toplevel holding this script, by its physical path.
script_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)"
src="$(git -C "$script_dir" rev-parse --show-toplevel 2>/dev/null || true)"
[[ -n "$src" ]] || src="$(cd "$script_dir/../.." && pwd -P)"
src="$(cd "$src" && pwd -P)"
# The path travels on the kernel command line and in qemu's comma-separated options.
[[ "$src" =~ ^/[A-Za-z0-9._+/@-]*$ ]] ||
	harness_fail "checkout path '$src' has characters the VM plumbing cannot carry (allowed: A-Za-z0-9._+/@-)"
cache_dir="$src/tests/.cache"
mkdir -p "$cache_dir/runs"
# Run directories kept by --keep or by failed runs: pruned after a day.
find "$cache_dir/runs" -mindepth 1 -maxdepth 1 -mtime +0 -exec rm -rf {} + 2>/dev/null || true
[[ -e "$cache_dir/.gitignore" ]] || printf '# created by tests/vm/run-vm.sh\n*\n' >"$cache_dir/.gitignore"

# ---------------------------------------------------------------------------------------------
# Kernel and its version.

# True if file $1 starts with the ELF magic.
is_elf() {
	[[ "$(head -c4 "$1" | od -An -tx1 | tr -d ' \n')" == 7f454c46 ]]
}

# Version string of a bzImage: the setup header's kernel_version field (offset 0x20e) points
# to a NUL-terminated string at 0x200 + value, e.g. "6.1.0-56-amd64 (debian-kernel@...) #1 ...".
bzimage_version() {
	local image="$1" magic ptr
	magic="$(dd if="$image" bs=1 skip=514 count=4 status=none 2>/dev/null || true)"
	[[ "$magic" == HdrS ]] || return 1
	ptr="$(od -An -tu2 -j526 -N2 "$image" | tr -d ' ')"
	[[ -n "$ptr" ]] || return 1
	dd if="$image" bs=1 skip=$((ptr + 512)) count=256 status=none | tr '\0' '\n' | head -n1 |
		cut -d' ' -f1
}

if [[ -z "$kernel" && -n "$kver" ]]; then
	kernel="$rootp/boot/vmlinuz-$kver"
elif [[ -z "$kernel" ]]; then
	kernel="$(compgen -G "$rootp/boot/vmlinuz-6.1.*" | sort -V | tail -n1 || true)"
	[[ -n "$kernel" ]] || harness_fail "no $rootp/boot/vmlinuz-6.1.* kernel installed (apt-get install linux-image-$arch), or pass --kernel"
fi
[[ -f "$kernel" && -r "$kernel" ]] || harness_fail "kernel image not found or unreadable: $kernel"
kernel="$(realpath "$kernel")"
if [[ -z "$kver" ]]; then
	if is_elf "$kernel"; then
		# An uncompressed vmlinux: its banner string holds the version.
		kver="$(LC_ALL=C grep -aom1 'Linux version [^ ]*' "$kernel" | cut -d' ' -f3 || true)"
	elif ! kver="$(bzimage_version "$kernel")"; then
		# arm64: an Image (Debian's vmlinuz) or a gzip'd one; its banner holds the version.
		kver="$({ gzip -dc "$kernel" 2>/dev/null || cat "$kernel"; } |
			LC_ALL=C grep -aom1 'Linux version [^ ]*' | cut -d' ' -f3 || true)"
	fi
	[[ -n "$kver" ]] || harness_fail "cannot read a kernel version from $kernel (not a bzImage or vmlinux?); pass --kver if it is a kernel"
fi
if ((!builtin_drivers)) && [[ ! -d "${modroot:-$rootp}/lib/modules/$kver" ]]; then
	harness_fail "no ${modroot:-$rootp}/lib/modules/$kver for $kernel (pass --kver, --modules-root, or --builtin-drivers for a kernel with virtio/9p built in)"
fi

# ---------------------------------------------------------------------------------------------
# PVH: a bzImage decompresses itself in the guest, ~4 s of a ~10 s boot under TCG. qemu can
# instead load the uncompressed ELF vmlinux at its PVH entry point (CONFIG_PVH=y, as in
# Debian's kernels). Extract it once (as scripts/extract-vmlinux does) and cache it.

# True if the ELF file has a XEN_ELFNOTE_PHYS32_ENTRY (type 18) note: the PVH entry point.
has_pvh_note() {
	readelf -n "$1" 2>/dev/null | grep -Eq 'PHYS32_ENTRY|note type: \(0x0*12\)'
}

# Print the path of the cached vmlinux of bzImage $1, extracting it if needed; fail if the
# image has no PVH-capable payload this function can decompress.
pvh_vmlinux() {
	local image="$1" key out tmp magic tool offset
	key="$(stat -c '%s %Y' "$image" | sha256sum | cut -c1-12)"
	out="$cache_dir/vmlinux-$kver-$key"
	if [[ -s "$out" ]]; then
		echo "$out"
		return 0
	fi
	[[ -e "$out.nopvh" ]] && return 1 # looked before: no PVH entry
	tmp="$(mktemp "$cache_dir/vmlinux-build.XXXXXX")"
	# Compressed payload: the first offset where a known magic decompresses to an ELF file.
	for magic in '\xfd7zXZ\x00:xz -dcq --single-stream' '\x28\xb5\x2f\xfd:zstd -dcq' \
		'\x1f\x8b\x08:gzip -dcq'; do
		tool="${magic#*:}"
		command -v "${tool%% *}" >/dev/null || continue
		while read -r offset; do
			# shellcheck disable=SC2086 # $tool is a command and its options
			tail -c "+$((offset + 1))" "$image" | $tool >"$tmp" 2>/dev/null
			if is_elf "$tmp" && has_pvh_note "$tmp"; then
				chmod 0644 "$tmp"
				find "$cache_dir" -maxdepth 1 -name "vmlinux-$kver-*" ! -name "${out##*/}" -delete
				mv -f "$tmp" "$out"
				echo "$out"
				return 0
			fi
		done < <(LC_ALL=C grep -obUaP "${magic%%:*}" "$image" 2>/dev/null | cut -d: -f1 | head -n3)
	done
	rm -f "$tmp"
	echo "run-vm: no PVH entry found in $image; booting the bzImage" >&2
	: >"$out.nopvh"
	return 1
}

boot_image="$kernel"
if [[ "$arch" == amd64 ]] && ((pvh)) && command -v readelf >/dev/null; then
	if is_elf "$kernel"; then
		: # already an ELF vmlinux: qemu boots it through PVH itself
	elif vmlinux="$(pvh_vmlinux "$kernel")"; then
		boot_image="$vmlinux"
	fi
fi

# ---------------------------------------------------------------------------------------------
# Initramfs: busybox-static, stage-1 init, the kernel's virtio/9p/overlay modules in load
# order, and the host's /var skeleton. Cached, keyed by a hash of everything that goes in.

# Module files in dependency order, one path a line, duplicates and built-ins dropped.
# The overlay module is optional (its absence only means the fallback root).
module_paths() {
	local out
	local dir=(-d "${modroot:-$root}")
	out="$(modprobe "${dir[@]}" -a -S "$kver" --show-depends virtio_pci 9pnet_virtio 9p)" ||
		harness_fail "modprobe -S $kver cannot resolve virtio_pci/9pnet_virtio/9p (modules of $kver installed?)"
	out+=$'\n'"$(modprobe "${dir[@]}" -S "$kver" --show-depends overlay 2>/dev/null || true)"
	awk '$1 == "insmod" && !seen[$2]++ { print $2 }' <<<"$out"
}

modules=()
if ((!builtin_drivers)); then
	mapfile -t modules < <(module_paths)
	((${#modules[@]})) || harness_fail "no modules found for $kver (built in? then use --builtin-drivers)"
fi
# The /var skeleton leaves out the debug kernel's build tree (tests/debug-kernel/build.sh):
# its 10,000 directories took the debug kernel 3 minutes to create at each boot.
var_skel() { find "$1" -xdev -path "$1/cache/xt-toa" -prune -o \( -type d -o -type l \) "${@:2}"; }
var_listing="$(var_skel "$rootp/var" -printf '%p %m %U %G %l\n' 2>/dev/null | sort)" || true

cache_key="$(
	{
		echo "arch=$arch root=$root kver=$kver builtin=$builtin_drivers uid=$EUID"
		cat "$script_dir/initramfs-init.sh" "$busybox_bin" | sha256sum
		for m in "${modules[@]}"; do stat -c '%n %s %Y' "$m"; done
		echo "$var_listing"
	} | sha256sum | cut -c1-16
)"
flavor=modules
((builtin_drivers)) && flavor=builtin
initramfs="$cache_dir/initramfs-$kver-$flavor-$cache_key.cpio"

build_initramfs() {
	local stage i=0 m name
	stage="$(mktemp -d "$cache_dir/initramfs-build.XXXXXX")"
	mkdir -p "$stage"/{bin,dev,proc,sys,mnt,newroot,modules,skel}
	cp "$busybox_bin" "$stage/bin/busybox"
	install -m 0755 "$script_dir/initramfs-init.sh" "$stage/init"
	for m in "${modules[@]}"; do
		# NN-name.ko: unique names in load order; compressed modules unpacked here, since
		# busybox insmod may not handle them.
		name="$(printf '%02d' "$i")-$(basename "$m")"
		i=$((i + 1))
		case "$m" in
		*.ko.xz) xz -dc "$m" >"$stage/modules/${name%.xz}" && name="${name%.xz}" ;;
		*.ko.zst) zstd -qdc "$m" >"$stage/modules/${name%.zst}" && name="${name%.zst}" ;;
		*.ko.gz) gzip -dc "$m" >"$stage/modules/${name%.gz}" && name="${name%.gz}" ;;
		*) cp "$m" "$stage/modules/$name" ;;
		esac
		echo "$name" >>"$stage/modules/order"
	done
	# /var skeleton: directories (with modes, owners when we are root) and symlinks, no files.
	(cd "$root" && var_skel var -print0 2>/dev/null |
		cpio --null -pdm --quiet "$stage/skel" 2>/dev/null) || true
	# newc archive, uncompressed (the kernel unpacks it in no time; nothing to decompress).
	local owner=()
	((EUID == 0)) || owner=(--owner=0:0)
	(cd "$stage" && find . -print0 | LC_ALL=C sort -z |
		cpio --null -o -H newc --quiet "${owner[@]}") >"$stage.cpio"
	# Atomic replace: concurrent runs never see a half-written image.
	mv -f "$stage.cpio" "$initramfs"
	rm -rf "$stage"
	# Drop older images of this kernel version and flavor.
	find "$cache_dir" -maxdepth 1 -name "initramfs-$kver-$flavor-*.cpio" ! -path "$initramfs" -delete
}

if ((rebuild)) || [[ ! -s "$initramfs" ]]; then
	echo "run-vm: building initramfs for $kver (${#modules[@]} modules) -> ${initramfs#"$src"/}" >&2
	build_initramfs
fi

# ---------------------------------------------------------------------------------------------
# Run directory: the command, its environment, and (written by the guest) its exit status.
rundir="$(mktemp -d "$cache_dir/runs/run.XXXXXXXX")"
run_id="$(basename "$rundir")"
# shellcheck disable=SC2317 # invoked by the EXIT trap
cleanup() {
	if ((keep)); then
		echo "run-vm: run directory kept: $rundir" >&2
	else
		rm -rf "$rundir"
	fi
}
trap cleanup EXIT

# Guest working directory: the caller's, when it lies inside the checkout.
guest_cwd="$(pwd -P)"
[[ "$guest_cwd" == "$src" || "$guest_cwd" == "$src"/* ]] || guest_cwd="$src"
{
	printf 'xtvm_cwd=%q\n' "$guest_cwd"
	printf 'xtvm_argv=('
	printf ' %q' "$@"
	printf ' )\n'
} >"$rundir/cmd"

: >"$rundir/env"
add_env() {
	local name="${1%%=*}" value="${1#*=}"
	[[ "$1" == *=* && "$name" =~ ^[A-Za-z_][A-Za-z0-9_]*$ ]] || die "--env: expected NAME=VALUE, got '$1'"
	printf 'export %s=%q\n' "$name" "$value" >>"$rundir/env"
}
while read -r name; do
	[[ "$name" == XT_* ]] && add_env "$name=${!name}"
done < <(compgen -e)
for assignment in "${env_args[@]}"; do add_env "$assignment"; done

# ---------------------------------------------------------------------------------------------
# qemu
cmdline="console=$console panic=-1 rdinit=/init xtvm.src=$src xtvm.run=$run_id"
if ((verbose)); then
	cmdline+=" xtvm.debug=1"
else
	cmdline+=" quiet loglevel=3"
fi
((no_overlay)) && cmdline+=" xtvm.overlay=0"
cmdline+="$append"

qemu=(
	"$qemu_bin"
	-accel tcg -smp "$smp" -m "$mem"
	-nographic -nodefaults -no-user-config -no-reboot
	-serial stdio -monitor none
	-nic none
	-kernel "$boot_image" -initrd "$initramfs" -append "$cmdline"
	-virtfs "local,path=$root,mount_tag=root,security_model=none,readonly=on,multidevs=remap"
	-virtfs "local,path=$src,mount_tag=src,security_model=none,multidevs=remap"
)
# qboot (Debian's qemu-system-data) jumps straight to the -kernel image; ACPI power-off and
# SMP work with it as with SeaBIOS.
qboot=/usr/share/qemu/qboot.rom
if [[ "$arch" == arm64 ]]; then
	# cortex-a72 rather than max: max's pointer authentication is slow under TCG.
	qemu+=(-M virt -cpu cortex-a72)
elif ((!seabios)) && [[ -r "$qboot" ]]; then
	qemu+=(-bios "$qboot")
fi
qemu+=("${qemu_extra[@]}")

console_log="$rundir/console.log"
logs=("$console_log")
[[ -n "$log_file" ]] && logs+=("$log_file")
boot_note=""
[[ "$boot_image" != "$kernel" ]] && boot_note=", PVH entry of ${boot_image#"$src"/}"
echo "run-vm: booting $kernel ($kver$boot_note), ${smp} CPUs, ${mem} MiB, timeout ${timeout}s" >&2
start=$SECONDS

# The watchdog is timeout(1) (TERM, then KILL 15 s later). The console goes through sed (drop
# the serial line's CRs) and tee. The pipeline runs in the background so that a signal to
# this script (Ctrl-C, CI cancelling the job) stops qemu at once instead of leaving it to
# the watchdog. (Background jobs ignore SIGINT: the trap forwards it as TERM.)
# shellcheck disable=SC2317 # invoked by the traps
stop_qemu() {
	interrupted="$1"
	echo "run-vm: interrupted (SIG$1): stopping qemu" >&2
	[[ -s "$rundir/qemu.pid" ]] && kill -TERM "$(<"$rundir/qemu.pid")" 2>/dev/null
	return 0
}
interrupted=""
trap 'stop_qemu INT' INT
trap 'stop_qemu TERM' TERM
trap 'stop_qemu HUP' HUP
{
	timeout --foreground --kill-after=15 "$timeout" "${qemu[@]}" </dev/null 2>&1 &
	echo "$!" >"$rundir/qemu.pid"
	wait "$!"
	echo "$?" >"$rundir/qemu.status"
} | sed -u 's/\r$//' | tee -a "${logs[@]}" &
pipeline=$!
# wait returns early when a trapped signal arrives: wait again until the pipeline is gone.
while kill -0 "$pipeline" 2>/dev/null; do
	wait "$pipeline" || true
done
trap - INT TERM HUP
qemu_status="$(cat "$rundir/qemu.status" 2>/dev/null || echo unknown)"
elapsed=$((SECONDS - start))

# ---------------------------------------------------------------------------------------------
# Verdict: the rc file (primary), else the console marker, else a diagnosis.
status=""
if [[ -s "$rundir/rc" ]]; then
	status="$(head -n1 "$rundir/rc")"
else
	status="$(sed -n "s/^XTVM-EXIT-STATUS $run_id \([0-9]\{1,3\}\)\$/\1/p" "$console_log" | tail -n1)"
fi
if [[ -n "$interrupted" ]]; then
	keep=1
	harness_fail "interrupted by SIG$interrupted after ${elapsed}s (qemu stopped; console log: $console_log)"
fi
if [[ "$status" =~ ^[0-9]+$ ]]; then
	echo "run-vm: guest command exited with status $status after ${elapsed}s" >&2
	exit "$status"
fi

reason="the guest never reported an exit status"
if [[ "$qemu_status" == 124 || "$qemu_status" == 137 ]]; then
	reason="WATCHDOG TIMEOUT: qemu killed after ${timeout}s"
elif grep -q '^XTVM-BOOT-FAILED' "$console_log"; then
	reason="guest boot failed: $(grep -m1 '^XTVM-BOOT-FAILED' "$console_log")"
elif grep -q 'Kernel panic' "$console_log"; then
	reason="guest kernel panic: $(grep -m1 'Kernel panic' "$console_log")"
elif [[ "$qemu_status" != 0 ]]; then
	reason="qemu failed with status $qemu_status"
fi
keep=1 # keep the console log for the post-mortem
harness_fail "$reason (after ${elapsed}s; console log: $console_log)"
