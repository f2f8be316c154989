#!/usr/bin/env bash
# Build the debug kernel of the test VM (KASAN, lockdep, kmemleak) from
# Debian's linux-source-6.1, with debug.config merged over defconfig and
# kvm_guest.config. 32 CPU-minutes: 23 minutes on 2 cores beside the other
# suites of tests/run.sh. The result is cached in $XT_CACHE (default
# /var/cache/xt-toa), keyed by the source package version and debug.config,
# so every checkout on the machine shares it.
#
# Prints the build tree (usable as KDIR; bzImage in arch/x86/boot).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
cache=${XT_CACHE:-/var/cache/xt-toa}
tarball=$(ls /usr/src/linux-source-6.1.tar.* 2>/dev/null | head -n 1)
[[ -n $tarball ]] || { echo "debug-kernel: install linux-source-6.1" >&2; exit 1; }
srcver=$(dpkg-query -W -f '${Version}' linux-source-6.1)
key=$(sha256sum <"$here/debug.config" | cut -c1-12)
dir=$cache/debug-kernel-$srcver-$key
tree=$dir/linux

if [[ -f $dir/done ]]; then
	echo "$tree"
	exit 0
fi
rm -rf "$dir"
mkdir -p "$dir"
echo "debug-kernel: unpacking $tarball" >&2
tar -C "$dir" -xf "$tarball"
mv "$dir"/linux-source-6.1 "$tree"
cd "$tree"
{
	make -s defconfig
	make -s kvm_guest.config
	scripts/kconfig/merge_config.sh -m .config "$here/debug.config"
	make -s olddefconfig
	# Every line of the fragment must have survived olddefconfig.
	grep -v '^#' "$here/debug.config" | grep . | while read -r line; do
		opt=${line%%=*} val=${line#*=}
		if [[ $val == n ]]; then
			! grep -q "^$opt=" .config || { echo "debug-kernel: $opt still set" >&2; exit 1; }
		else
			grep -qx "$opt=$val" .config || { echo "debug-kernel: $line did not take: $(grep "^$opt=" .config || echo unset)" >&2; exit 1; }
		fi
	done
	echo "debug-kernel: building (32 CPU-minutes)" >&2
	make -j"$(($(nproc) + 1))" bzImage modules
} >"$dir/build.log" 2>&1 || { tail -n 40 "$dir/build.log" >&2; exit 1; }
touch "$dir/done"
echo "$tree"
