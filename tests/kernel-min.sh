#!/usr/bin/env bash
# The minimum kernel, 6.1, on the host without booting anything: the
# module's Makefile refuses an older build tree with a message naming its
# version (a fake tree whose version.h says so), and DKMS's
# BUILD_EXCLUSIVE_KERNEL selects exactly the releases from 6.1 on.
# Prints "ok"/"not ok" lines and "kernel-min: N passed, N failed".
set -uo pipefail
TOP=$(cd "$(dirname "$0")/.." && pwd)
passed=0 failed=0
check() {
	if eval "$2"; then
		passed=$((passed + 1)) && echo "ok - $1"
	else
		failed=$((failed + 1)) && echo "not ok - $1"
	fi
}

fake=$(mktemp -d)
trap 'rm -rf "$fake"' EXIT
# fake_tree MAJOR MINOR: a build tree that reports Linux MAJOR.MINOR.0.
fake_tree() {
	mkdir -p "$fake/include/generated/uapi/linux"
	echo "#define LINUX_VERSION_CODE $(($1 << 16 | $2 << 8))" \
		>"$fake/include/generated/uapi/linux/version.h"
}
for v in 5.10 6.0; do
	fake_tree "${v%.*}" "${v#*.}"
	out=$(make -s -C "$TOP/kernel" KDIR="$fake" 2>&1)
	rc=$?
	echo "$out" | sed 's/^/#   /'
	check "Linux $v refused with a message naming its version" \
		'((rc != 0)) && [[ $out == *"xt_TOA: needs Linux 6.1 or later; $fake is Linux $v"* ]]'
done
# 6.1 passes the check and reaches kbuild (which the fake tree cannot serve).
fake_tree 6 1
out=$(make -s -C "$TOP/kernel" KDIR="$fake" 2>&1)
check "Linux 6.1 accepted by the version check" '[[ $out != *"needs Linux 6.1"* ]]'

# DKMS 3.0 matches the release against a regex (its own test, dkms line
# "[[ ... =~ $BUILD_EXCLUSIVE_KERNEL ]]").
exclusive=$(set +u; . "$TOP/dkms.conf"; echo "$BUILD_EXCLUSIVE_KERNEL")
for k in 4.19.0-27-amd64 5.10.0-30-amd64 6.0.12 6.1.0-56-amd64 6.12.95+deb12-amd64 6.19.1 7.0.0 10.2.3; do
	case $k in 4.* | 5.* | 6.0.*) want=skipped ;; *) want=built ;; esac
	got=skipped
	[[ $k =~ $exclusive ]] && got=built
	check "DKMS: $k $want" '[[ $got == "$want" ]]'
done

echo "kernel-min: $passed passed, $failed failed"
((failed == 0))
