#!/usr/bin/env bash
# xt_TOA on arm64, on demand (not in tests/run.sh: CI has no time left),
# from a fresh Debian 12 amd64 machine, as root. Nothing is loaded into
# this machine: the arm64 kernels run under qemu-system-aarch64 (TCG).
#
#   tests/run-arm64.sh          (what "make check-arm64" runs)
#   XT_ARM64_KERNELS=6.1 tests/run-arm64.sh     one kernel line only
#   XT_TESTS="t_a t_b" tests/run-arm64.sh       other tests than core.list
#
# 1. installs its host tools (qemu-system-arm, the aarch64 cross gcc,
#    mmdebstrap, qemu-user-static);
# 2. builds (once, cached in $XT_ARM64_CACHE, default
#    /var/cache/xt-toa/arm64) a Debian 12 arm64 root with mmdebstrap
#    through qemu-user (binfmt_misc), with the test tools, a compiler and
#    the -dev libraries, then installs Debian's arm64 kernels and headers
#    there as apt offers them today: 6.1 (bookworm) and 6.12
#    (bookworm-backports);
# 3. per kernel: cross-builds xt_TOA.ko and the test module on this
#    machine against the arm64 headers (warnings fail), stages "make
#    install" with depmod run here, boots the kernel with that root
#    (tests/vm/run-vm.sh --arch arm64), builds the plugins, toactl and the
#    test tools natively there and runs the core checks of
#    tests/e2e/core.list.
#
# Prints TAP-like lines and a last "arm64: N passed, N failed" line; exits
# non-zero if anything failed or could not run.
# shellcheck disable=SC2317 # functions run through step
# shellcheck disable=SC2016 # the guest script expands in the guest
set -uo pipefail
TOP=$(cd "$(dirname "$0")/.." && pwd -P)
cd "$TOP" || exit 1
cache=${XT_ARM64_CACHE:-/var/cache/xt-toa/arm64}
mirror=${XT_MIRROR:-http://deb.debian.org/debian}
security=${XT_SECURITY_MIRROR:-http://deb.debian.org/debian-security}
rootfs=$cache/rootfs
# The checkout's copy built for arm64 (the guest writes arm64 binaries
# there, not over the host's), the staged installs, the logs.
work=$TOP/tests/.cache/arm64
cross=(ARCH=arm64 CROSS_COMPILE=aarch64-linux-gnu-)
passed=0 failed=0

ok() { passed=$((passed + 1)) && echo "ok - $*"; }
not_ok() { failed=$((failed + 1)) && echo "not ok - $*"; }
finish() {
	echo "arm64: $passed passed, $failed failed"
	((failed == 0))
	exit
}
# logof NAME: the log of step NAME.
logof() { echo "$work/log-${1//[^A-Za-z0-9.-]/_}"; }
# step NAME CMD...: CMD's output in $(logof NAME) (shown on failure).
step() {
	local name=$1 log start=$SECONDS
	log=$(logof "$1")
	shift
	if "$@" >"$log" 2>&1; then
		ok "$name ($((SECONDS - start)) s)"
	else
		tail -n 40 "$log" | sed 's/^/#   /'
		not_ok "$name"
		return 1
	fi
}
# need NAME CMD...: a step the rest cannot do without.
need() { step "$@" || finish; }

((EUID == 0)) || { not_ok "running as root (apt-get, mmdebstrap, binfmt_misc)"; finish; }
mkdir -p "$cache" "$work"
exec 9>"$cache/lock" && flock 9

install_missing() {
	local p missing=()
	for p; do
		[[ $(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null) == installed ]] || missing+=("$p")
	done
	((${#missing[@]} == 0)) || DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}"
}
need "host tools installed" install_missing qemu-system-arm gcc-aarch64-linux-gnu mmdebstrap \
	qemu-user-static binfmt-support cpio kmod git make xz-utils

# mmdebstrap runs the arm64 root's maintainer scripts through qemu-user.
binfmt() {
	[[ -e /proc/sys/fs/binfmt_misc/register ]] || mount -t binfmt_misc none /proc/sys/fs/binfmt_misc
	update-binfmts --enable qemu-aarch64 || true
	grep -qx enabled /proc/sys/fs/binfmt_misc/qemu-aarch64
}
need "binfmt_misc runs arm64 binaries through qemu-user" binfmt

# What the guest needs: tests/e2e/lib.sh's tools, a compiler and the -dev
# libraries for the plugins and test tools, DKMS and the packaging tools
# for the .deb, busybox-static for the initramfs.
packages=(bash iproute2 iptables nftables kmod procps nginx-light curl tcpdump python3 python3-scapy
	util-linux libnetfilter-queue1 libmnl0 ethtool conntrack netcat-openbsd busybox-static xz-utils
	gcc make libc6-dev pkg-config libxtables-dev libmnl-dev libnetfilter-queue-dev
	dkms debhelper dh-dkms dpkg-dev build-essential)
# The suites this machine's kernels come from (the security suite carries
# 6.1's point releases), and backports for 6.12.
sources=("deb $mirror bookworm main" "deb $mirror bookworm-updates main"
	"deb $security bookworm-security main" "deb $mirror bookworm-backports main")
mkroot() {
	rm -rf "$rootfs.new" "$cache/kernels.done" &&
		mmdebstrap --arch=arm64 --variant=apt --mode=root --aptopt='APT::Install-Recommends "false"' \
			--include="$(
				IFS=,
				echo "${packages[*]}"
			)" bookworm "$rootfs.new" "${sources[@]}" &&
		rm -rf "$rootfs" && mv "$rootfs.new" "$rootfs" &&
		echo "${packages[*]} ${sources[*]}" >"$cache/rootfs.done"
}
if [[ ! -f $cache/rootfs.done || $(<"$cache/rootfs.done") != "${packages[*]} ${sources[*]}" ]]; then
	need "arm64 root built with mmdebstrap ($rootfs)" mkroot
fi

# Debian's arm64 kernels and headers, the newest of each line apt offers
# today. INITRD=No: run-vm.sh makes its own initramfs, and mkinitramfs
# through qemu-user takes minutes.
in_root() { chroot "$rootfs" env INITRD=No DEBIAN_FRONTEND=noninteractive "$@"; }
kernels() {
	local bpo
	in_root apt-get update -q &&
		in_root apt-get install -y -q linux-image-arm64 linux-headers-arm64 || return 1
	# The backports metapackages' targets: the metapackages would replace 6.1's.
	mapfile -t bpo < <(in_root apt-cache depends linux-image-arm64/bookworm-backports \
		linux-headers-arm64/bookworm-backports | awk '$1 == "Depends:" && $2 ~ /^linux-(image|headers)-6\.12/ { print $2 }')
	((${#bpo[@]} == 2)) && in_root apt-get install -y -q "${bpo[@]}"
}
# Once a day: apt-get update through qemu-user takes a minute.
if [[ ! -f $cache/kernels.done || $(date -r "$cache/kernels.done" +%F) != "$(date +%F)" ]]; then
	need "Debian's arm64 6.1 and 6.12 kernels and headers in the root, as of today" kernels
	touch "$cache/kernels.done"
fi

# copy_src DIR: the checkout's files (committed or not), for the arm64 builds.
copy_src() {
	rm -rf "$1" && mkdir -p "$1" &&
		git ls-files -z --cached --others --exclude-standard | grep -zv '^tests/\.cache/' |
		cpio --null -pdm --quiet "$1"
}
need "checkout copied to ${work#"$TOP"/}/src" copy_src "$work/src"

# cross_tree KVER: the arm64 headers with this machine's kbuild tools of
# the same release (their scripts are arm64 binaries in the root), and the
# -common headers the arm64 Makefile includes by absolute path (an
# architecture-independent package, installed here).
cross_tree() {
	local kver=$1 hdr=$rootfs/usr/src/linux-headers-$1 tree=$work/cross/usr/src/linux-headers-$1 kbuild
	kbuild=$(readlink "$hdr/scripts") && kbuild=${kbuild%/scripts} && kbuild=${kbuild##*/}
	install_missing "linux-headers-${kver%-arm64}-common" "$kbuild" &&
		rm -rf "$tree" && mkdir -p "${tree%/*}" "$work/cross/usr/lib" && cp -a "$hdr" "$tree" &&
		ln -sfn "/usr/lib/$kbuild" "$work/cross/usr/lib/$kbuild"
}

# test_kmod TREE KVER: tests/kmod, in the copy's tests/.cache where
# t_socket_freed_inside_foreign_kprobe looks for it.
test_kmod() {
	local dir=$work/src/tests/.cache/kmod-$2
	rm -rf "$dir" && mkdir -p "$dir" && cp tests/kmod/Kbuild tests/kmod/*.c "$dir/" &&
		make -C "$1" M="$dir" "${cross[@]}" modules
}

# stage_install TREE KVER STAGE: "make install" of the module into STAGE,
# depmod run here against the root's modules (over 9p under TCG it takes
# minutes).
stage_install() {
	local mods=$3/lib/modules/$2
	rm -rf "$3" && make -C "$work/src" install-module DESTDIR="$3" KDIR="$1" &&
		ln -s "$rootfs/lib/modules/$2/kernel" "$mods/kernel" &&
		cp "$rootfs/lib/modules/$2"/modules.{order,builtin,builtin.modinfo} "$mods/" &&
		depmod -b "$3" "$2" && rm "$mods/kernel"
}

# guest NAME KVER SCRIPT [VAR=VALUE...]: SCRIPT in the arm64 guest booted
# on KVER, from the copy, with the variables; its TAP lines shown
# indented, one "ok" line for the whole run if it ends with "0 failed".
guest() {
	local name=$1 kver=$2 script=$3 log=$work/run-${1//[^A-Za-z0-9.-]/_}.log start=$SECONDS rc result
	shift 3
	echo "# $name: booting $kver under qemu-system-aarch64 (TCG)"
	(cd "$work/src" && env "$@" "$TOP/tests/vm/run-vm.sh" --arch arm64 --root "$rootfs" --kver "$kver" \
		--timeout 5400 -- "$script") >"$log" 2>&1
	rc=$?
	grep -E '^(ok|not ok|#|Bail out!|1\.\.|e2e:)' "$log" | grep -v '^#   ' | sed 's/^/    /'
	result=$(grep -E '^e2e: [0-9]+ passed, [0-9]+ failed' "$log" | tail -n 1)
	if ((rc == 0)) && [[ $result == *" 0 failed" ]]; then
		ok "$name, $result ($((SECONDS - start)) s)"
	else
		grep -v '^\[' "$log" | tail -n 30 | sed 's/^/#   /'
		not_ok "$name (exit $rc, ${result:-no result line}; log ${log#"$TOP"/})"
	fi
}

# In the guest: the plugins, toactl and the test tools built there
# (natively: no arm64 -dev libraries needed on this machine), installed
# into the stage with the cross-built module, then the checks.
staged_script='set -e
make -s plugin toactl && make -s -C tests/tools && make -s -C examples
make -s install-plugin install-toactl DESTDIR="$XT_STAGE" >/dev/null
set +e
tests/e2e/run-in-guest.sh'

# In the guest: the project's Debian packages built natively there, as an
# admin would, installed with dpkg -i (DKMS builds xt_TOA against the
# guest's own arm64 headers), then the checks on the DKMS-built module.
package_script='set -e
make -s -C tests/tools && make -s -C examples
# /var is a fresh tmpfs: dpkg, DKMS and debconf need their state from the
# root, which a bind mount of / shows under it (busybox: the root has no
# mount package).
mkdir /run/root && busybox mount -o bind / /run/root
for d in lib/dpkg lib/dkms cache/debconf; do mkdir -p "/var/$d" && cp -a "/run/root/var/$d/." "/var/$d/"; done
busybox umount /run/root
# DKMS builds for every kernel with headers: only the running one here.
for b in /lib/modules/*/build; do [[ $b == /lib/modules/$(uname -r)/build ]] || rm "$b"; done
(cd "$XT_PKG/src" && dpkg-buildpackage -b -us -uc >"$XT_PKG/build.log" 2>&1) ||
	{ tail -n 30 "$XT_PKG/build.log"; exit 1; }
echo "# built: $(cd "$XT_PKG" && echo *.deb)"
dpkg -i "$XT_PKG"/xt-toa-dkms_*_all.deb "$XT_PKG"/xtables-toa_*_arm64.deb >"$XT_PKG/install.log" 2>&1 ||
	{ tail -n 30 "$XT_PKG/install.log"; exit 1; }
echo "# dkms: $(dkms status -m xt-toa)"
echo "# module: $(modinfo -n xt_TOA)"
[[ $(modinfo -n xt_TOA) == /lib/modules/$(uname -r)/updates/dkms/xt_TOA.ko* ]]
set +e
tests/e2e/run-in-guest.sh'

# One line: run-in-guest.sh reads XT_TESTS with read.
tests=${XT_TESTS:-$(grep -v '^#' tests/e2e/core.list | tr '\n' ' ')}
for line in ${XT_ARM64_KERNELS:-6.1 6.12}; do
	image=$(compgen -G "$rootfs/boot/vmlinuz-$line.*-arm64" | sort -V | tail -n 1)
	[[ -n $image ]] || { not_ok "a $line arm64 kernel in the root"; continue; }
	kver=${image##*/vmlinuz-}
	tree=$work/cross/usr/src/linux-headers-$kver
	stage=$work/stage-$kver
	step "$kver: cross headers in ${work#"$TOP"/}/cross" cross_tree "$kver" || continue
	name="$kver: xt_TOA.ko cross-built"
	step "$name" make -C "$work/src" module KDIR="$tree" "${cross[@]}" || continue
	if grep -q 'warning:' "$(logof "$name")"; then
		not_ok "$kver: no compiler warnings" && grep 'warning:' "$(logof "$name")" | sed 's/^/#   /'
	else
		ok "$kver: no compiler warnings"
	fi
	step "$kver: test module cross-built" test_kmod "$tree" "$kver" || continue
	step "$kver: install staged, depmod" stage_install "$tree" "$kver" "$stage" || continue
	guest "$kver: core checks, cross-built module" "$kver" "$staged_script" XT_STAGE="$stage" XT_TESTS="$tests"
	# The packages once, on 6.1: a DKMS build under TCG takes minutes.
	if [[ $line == 6.1 ]] && step "checkout copied for the packages" copy_src "$work/pkg/src"; then
		guest "$kver: .deb built and installed in the guest, DKMS module, core checks" "$kver" \
			"$package_script" XT_PKG="$work/pkg" XT_TESTS="$tests"
	fi
done
finish
