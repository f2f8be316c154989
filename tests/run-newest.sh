#!/usr/bin/env bash
# The newest kernel Debian ships, booted: unstable's linux-image-amd64,
# whatever apt offers the day this runs. xt_TOA and the test module are
# built for it with the kernel's own compiler and headers, in an unstable
# chroot (mmdebstrap); the kernel, unpacked from its .deb, boots under
# qemu with Debian 12's user space (the host's) and runs the core
# end-to-end checks (tests/e2e/core.list).
#
#   tests/run-newest.sh        (what "make check-newest" runs)
#
# On demand, not in tests/run.sh: every run of the suite already builds
# the module against sid's newest source (tests/kernel-newest.sh), which
# is where an interface change shows up; this adds the boot, at about
# 5 minutes of chroot and download on a fresh machine and 10 of VM.
# Cache: the chroot in $XT_CACHE (default /var/cache/xt-toa), one per
# kernel version; the unpacked kernel and the staged install under
# tests/.cache, where the guest sees them.
# Prints "ok"/"not ok" lines, the guest's TAP, and "newest: N passed, N
# failed" last; the exit status is non-zero if anything failed or could
# not run.
set -uo pipefail
TOP=$(cd "$(dirname "$0")/.." && pwd)
cd "$TOP" || exit 1
OUT=$TOP/tests/out
cache=${XT_CACHE:-/var/cache/xt-toa}
mirror=${XT_SID_MIRROR:-http://deb.debian.org/debian}
log=$OUT/newest.log
mkdir -p "$OUT" "$cache" tests/.cache
: >"$log"
passed=0 failed=0
ok() { passed=$((passed + 1)) && echo "ok - $1"; }
# stop NAME: a failure the later steps cannot run without.
stop() {
	echo "not ok - $1"
	tail -n 30 "$log" | sed 's/^/#   /'
	echo "newest: $passed passed, $((failed + 1)) failed"
	exit 1
}

# shellcheck source=host-prepare.sh
. tests/host-prepare.sh
host_prepare "$OUT" >>"$log" 2>&1 || stop "build for the host's user space"
command -v mmdebstrap >/dev/null || apt-get install -y -q mmdebstrap >>"$log" 2>&1 ||
	stop "install mmdebstrap"

# tests/kernel-newest.sh may be preparing its tree in the same cache.
exec 9>"$cache/newest-kernel.lock" || stop "open the lock in $cache"
flock 9
# shellcheck source=sid-apt.sh
. tests/sid-apt.sh
sid_apt "$cache" "$mirror" >>"$log" 2>&1 || stop "fetch Debian sid's index from $mirror"
# The metapackage names the image of the day: linux-image-ABI-amd64.
meta=$(apt-cache "${apt[@]}" show --no-all-versions linux-image-amd64 2>>"$log")
ver=$(sed -n 's/^Version: //p' <<<"$meta")
image=$(sed -n 's/^Depends:.*\(linux-image-[^ ,]*-amd64\).*/\1/p' <<<"$meta")
kver=${image#linux-image-}
[[ -n $ver && -n $image ]] || stop "sid's linux-image-amd64 names a kernel"
echo "# newest in sid: $image $ver"

# The chroot: the kernel's headers pull in the compiler they were built with.
chroot=$cache/newest-chroot-$ver
if [[ ! -f $chroot/done ]]; then
	echo "# making an unstable chroot with $kver's headers (about 4 minutes)"
	rm -rf "$chroot" "$chroot.tmp"
	mmdebstrap --variant=apt --aptopt='Acquire::Check-Valid-Until "false"' \
		--include=make,libc6-dev,"linux-headers-$kver" sid "$chroot.tmp" "$mirror" >>"$log" 2>&1 &&
		mv "$chroot.tmp" "$chroot" && touch "$chroot/done" || stop "unstable chroot with linux-headers-$kver"
	for old in "$cache"/newest-chroot-*/; do
		[[ ${old%/} != "$chroot" ]] && rm -rf "$old"
	done
fi
cc=$(chroot "$chroot" sh -c "sed -n 's/^CONFIG_CC_VERSION_TEXT=//p' /usr/src/linux-headers-$kver/.config")
ok "unstable chroot with linux-headers-$kver (built with $cc)"

# The kernel itself, unpacked, not installed: nothing changes on the host.
img=$TOP/tests/.cache/newest-image-$kver
if [[ ! -f $img/done ]]; then
	rm -rf "$img" tests/.cache/newest-image-*
	mkdir -p "$img"
	# Since 7.x the image package is empty: the kernel, its modules and
	# their lists (modules.builtin) are packages of their own it depends on.
	parts=("$image" $(apt-cache "${apt[@]}" depends "$image=$ver" 2>>"$log" |
		sed -n "s/^ *Depends: \(linux-\(base\|binary\|modules\)-$kver\)\$/\1/p"))
	(cd "$img" && chmod 755 . && apt-get "${apt[@]}" download "${parts[@]}" &&
		for deb in ./*.deb; do dpkg-deb -x "$deb" . && rm "$deb" || exit 1; done) >>"$log" 2>&1 &&
		touch "$img/done" || stop "download ${parts[*]} $ver"
fi
# /usr/lib/modules/VER/vmlinuz since 7.x, /boot/vmlinuz-VER before.
vmlinuz=$(ls "$img"/usr/lib/modules/"$kver"/vmlinuz "$img"/boot/vmlinuz-"$kver" 2>/dev/null | head -n 1)
moddir=$(ls -d "$img"/usr/lib/modules/"$kver" "$img"/lib/modules/"$kver" 2>/dev/null | head -n 1)
[[ -n $vmlinuz && -d $moddir/kernel ]] || stop "${parts[*]:-$image} hold a kernel and its modules"

# The module and the test module, built in the chroot from copies.
rm -rf "$chroot/build" && mkdir -p "$chroot/build" && cp -r kernel include tests/kmod "$chroot/build/"
# objtool reads /proc: mounted in a mount namespace of the build's own.
unshare --mount --propagation private sh -c "mount -t proc proc '$chroot/proc' &&
	chroot '$chroot' sh -c 'make -C /build/kernel KDIR=/usr/src/linux-headers-$kver &&
	make -C /usr/src/linux-headers-$kver M=/build/kmod modules'" >"$OUT/newest-build.log" 2>&1 ||
	{ cat "$OUT/newest-build.log" >>"$log"; stop "xt_TOA builds for $kver with $cc"; }
ok "xt_TOA builds for $kver with $cc"
if grep -q 'warning:' "$OUT/newest-build.log"; then
	failed=$((failed + 1)) && echo "not ok - no compiler warnings"
	grep 'warning:' "$OUT/newest-build.log" | sed 's/^/#   /'
else
	ok "no compiler warnings"
fi

# What "make install" would do on such a machine, staged as for the other
# kernels (tests/host-prepare.sh), with the kernel's own modules linked in.
stage=$TOP/tests/.cache/stage-$kver
kmods=$TOP/tests/.cache/kmod-$kver
rm -rf "$stage" "$kmods" && mkdir -p "$stage/lib/modules/$kver/updates" "$kmods"
make -s install-plugin install-toactl DESTDIR="$stage" >>"$log" 2>&1 &&
	cp "$chroot/build/kernel/xt_TOA.ko" "$stage/lib/modules/$kver/updates/" &&
	cp "$chroot/build/kmod/"*.ko "$kmods/" &&
	ln -s "$moddir/kernel" "$stage/lib/modules/$kver/kernel" &&
	{ cp "$moddir"/modules.{order,builtin,builtin.modinfo} "$stage/lib/modules/$kver/" 2>/dev/null || true; } &&
	depmod -b "$stage" "$kver" >>"$log" 2>&1 || stop "stage the install for $kver"

tests=$(grep -v '^#' tests/e2e/core.list | tr '\n' ' ')
tests/vm/run-vm.sh --kernel "$vmlinuz" --modules-root "$stage" \
	--timeout 2400 --log "$OUT/vm-$kver.log" --env XT_STAGE="$stage" --env XT_TESTS="$tests" \
	-- tests/e2e/run-in-guest.sh | tee "$OUT/e2e-$kver.log"
rc=${PIPESTATUS[0]}
line=$(grep -E '[0-9]+ passed, [0-9]+ failed' "$OUT/e2e-$kver.log" | tail -n 1)
if [[ $line =~ ([0-9]+)\ passed,\ ([0-9]+)\ failed ]]; then
	passed=$((passed + BASH_REMATCH[1])) failed=$((failed + BASH_REMATCH[2]))
	((rc != 0 && BASH_REMATCH[2] == 0)) && failed=$((failed + 1))
else
	echo "not ok - the VM on $kver ran the core checks (exit $rc)"
	failed=$((failed + 1))
fi
echo "newest: $passed passed, $failed failed"
((failed == 0))
