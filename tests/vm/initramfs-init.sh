#!/bin/busybox sh
# shellcheck shell=sh
# Stage 1 of the xt_TOA test VM: /init of the busybox initramfs built by run-vm.sh.
#
# Loads the virtio/9p/overlay modules packed in the initramfs, builds the guest root from the
# host's / (9p share "root", read-only) and the checkout (9p share "src", read-write), then
# switch_root's into it and hands over to stage 2 (tests/vm/guest-init.sh, run by the host's
# bash from the checkout share).
#
# Guest root, preferred: overlayfs, lower = 9p root, upper = tmpfs ("overlay" mode): every path
# is writable, writes vanish at power-off. If overlayfs cannot be mounted over 9p ("fallback"
# mode, or forced with xtvm.overlay=0): the 9p root itself, read-only, with writable overlays
# (tmpfs upper) on /lib/modules/$(uname -r) and the xtables directory only.
# In both modes /tmp, /run, /var and /root are fresh tmpfs (/var seeded with the host's
# directory skeleton, no files).
#
# Parameters come from the kernel command line:
#   xtvm.src=PATH   absolute host path of the checkout; mounted at the same path
#   xtvm.run=ID     run id (the host's run directory is PATH/tests/.cache/runs/ID)
#   xtvm.overlay=0  do not try the overlayfs root
#   xtvm.debug=1    verbose stage-1 output
#
# On any failure it prints "XTVM-BOOT-FAILED: reason" and powers the VM off; the host then
# reports that no exit status came back.

/bin/busybox --install -s /bin
export PATH=/bin

mount -t devtmpfs devtmpfs /dev
# The kernel opened /dev/console from its built-in initramfs already; reopen it in case.
exec </dev/console >/dev/console 2>&1
mount -t proc proc /proc
mount -t sysfs sysfs /sys

fail() {
	echo "XTVM-BOOT-FAILED: $*"
	# Power off at once; if that does not work, let PID 1 exit (panic=-1 -> -no-reboot stop).
	for trigger in /proc/sysrq-trigger /newroot/proc/sysrq-trigger; do
		[ -e "$trigger" ] && echo o >"$trigger"
	done
	sleep 10
	exit 1
}

src="" run="" try_overlay=1 debug=0
read -r cmdline </proc/cmdline
for arg in $cmdline; do
	case "$arg" in
	xtvm.src=*) src="${arg#*=}" ;;
	xtvm.run=*) run="${arg#*=}" ;;
	xtvm.overlay=0) try_overlay=0 ;;
	xtvm.debug=1) debug=1 ;;
	esac
done
[ -n "$src" ] || fail "no xtvm.src= on the kernel command line"
[ -n "$run" ] || fail "no xtvm.run= on the kernel command line"
log() { [ "$debug" = 1 ] && echo "xtvm-init: $*"; return 0; }

# Modules, in the dependency order run-vm.sh wrote (empty for --builtin-drivers kernels).
if [ -f /modules/order ]; then
	while read -r mod; do
		log "insmod $mod"
		insmod "/modules/$mod" || fail "insmod $mod"
	done </modules/order
fi

# 9p: a large msize cuts the round trips (the virtio transport caps it at 512000 in 6.1).
# The root is read-only and does not change under a test: let the guest cache it (loose).
# The checkout is shared read-write with the host: no caching except what mmap needs.
p9opts="trans=virtio,version=9p2000.L,msize=512000"
mkdir -p /mnt/lower /mnt/rw /newroot
mount -t 9p -o "$p9opts,ro,cache=loose" root /mnt/lower || fail "mount 9p root share"
mount -t tmpfs -o mode=0755 tmpfs /mnt/rw || fail "mount tmpfs"

mode=fallback
if [ "$try_overlay" = 1 ]; then
	mkdir -p /mnt/rw/root/upper /mnt/rw/root/work
	if mount -t overlay overlay \
		-o lowerdir=/mnt/lower,upperdir=/mnt/rw/root/upper,workdir=/mnt/rw/root/work \
		/newroot; then
		mode=overlay
	else
		echo "xtvm-init: overlayfs over the 9p root failed; falling back to a read-only root"
	fi
fi
if [ "$mode" = fallback ]; then
	mount --move /mnt/lower /newroot || fail "move 9p root"
fi
log "root mode: $mode"

# Fresh /tmp, /run, /var and /root (HOME: nothing of the host user's) in both modes.
mount -t tmpfs -o mode=1777,nosuid,nodev tmpfs /newroot/tmp || fail "tmpfs /tmp"
mount -t tmpfs -o mode=0700 tmpfs /newroot/root || fail "tmpfs /root"
mount -t tmpfs -o mode=0755,nosuid,nodev tmpfs /newroot/run || fail "tmpfs /run"
mount -t tmpfs -o mode=0755 tmpfs /newroot/var || fail "tmpfs /var"
mkdir -p /newroot/run/lock && chmod 1777 /newroot/run/lock
# The host's /var skeleton (directories and symlinks only: /var/run -> /run, /var/lib/nginx...).
if [ -d /skel/var ]; then
	cp -a /skel/var/. /newroot/var/ || fail "seed /var"
fi
mkdir -p /newroot/var/tmp /newroot/var/log /newroot/var/lib /newroot/var/cache
chmod 1777 /newroot/var/tmp

# Fallback: writable overlays where `make install` and depmod write.
if [ "$mode" = fallback ]; then
	kver="$(uname -r)"
	# The xtables directory under the root's multiarch triplet (x86_64-linux-gnu, aarch64-...).
	for dir in "/lib/modules/$kver" /newroot/usr/lib/*-linux-gnu/xtables; do
		dir="${dir#/newroot}"
		if [ ! -d "/newroot$dir" ]; then
			echo "xtvm-init: $dir does not exist on the host; left absent"
			continue
		fi
		tag="$(echo "$dir" | tr / _)"
		mkdir -p "/mnt/rw/$tag/upper" "/mnt/rw/$tag/work"
		mount -t overlay overlay \
			-o "lowerdir=/newroot$dir,upperdir=/mnt/rw/$tag/upper,workdir=/mnt/rw/$tag/work" \
			"/newroot$dir" ||
			echo "xtvm-init: cannot make $dir writable (overlay failed); it stays read-only"
	done
fi

# The checkout, read-write, at its host path (which may be under the fresh /tmp).
mkdir -p "/newroot$src" || fail "mkdir $src"
mount -t 9p -o "$p9opts,cache=mmap" src "/newroot$src" || fail "mount 9p checkout share at $src"
[ -d "/newroot$src/tests/.cache/runs/$run" ] || fail "run directory missing in the checkout share"

# Kernel file systems, moved or mounted into the new root.
mount --move /dev /newroot/dev
mount --move /proc /newroot/proc
mount --move /sys /newroot/sys
mkdir -p /newroot/dev/pts /newroot/dev/shm
mount -t devpts -o gid=5,mode=620,ptmxmode=666 devpts /newroot/dev/pts
mount -t tmpfs -o mode=1777,nosuid,nodev tmpfs /newroot/dev/shm
mount -t debugfs debugfs /newroot/sys/kernel/debug || echo "xtvm-init: no debugfs"
mount -t cgroup2 cgroup2 /newroot/sys/fs/cgroup 2>/dev/null || true
# Links udev would create; bash process substitution needs /dev/fd.
ln -sf /proc/self/fd /newroot/dev/fd
ln -sf /proc/self/fd/0 /newroot/dev/stdin
ln -sf /proc/self/fd/1 /newroot/dev/stdout
ln -sf /proc/self/fd/2 /newroot/dev/stderr

# Kernel settings: module autoload through the host's kmod, loopback, name.
echo /sbin/modprobe >/newroot/proc/sys/kernel/modprobe
ip link set lo up
hostname xtvm

stage2="$src/tests/vm/guest-init.sh"
[ -x /newroot/bin/bash ] || fail "no /bin/bash in the host root"
[ -f "/newroot$stage2" ] || fail "missing $stage2"
log "switch_root -> $stage2"
export XTVM_ROOT_MODE="$mode"
exec switch_root /newroot /bin/bash "$stage2"
