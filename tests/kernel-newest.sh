#!/usr/bin/env bash
# The newest kernel Debian unstable ships, build only: xt_TOA compiles
# against its linux-source-X.Y without a warning, and every symbol the
# module needs is still exported, so an API change shows up here before
# any user's DKMS meets it. Nothing is loaded or booted. The prepared tree
# is cached in $XT_CACHE (default /var/cache/xt-toa), per sid version;
# a second run only rebuilds the module.
# Prints "ok"/"not ok" lines and "kernel-newest: N passed, N failed".
# shellcheck disable=SC2016 # check() evals its single-quoted condition
set -uo pipefail
TOP=$(cd "$(dirname "$0")/.." && pwd)
cache=${XT_CACHE:-/var/cache/xt-toa}
mirror=${XT_SID_MIRROR:-http://deb.debian.org/debian}
# The tree's config: what the module needs beyond defconfig (Debian's
# config has it all), and warnings not fatal, as in Debian's kernel
# (defconfig sets WERROR), so that the check below lists them all.
opts=(NETFILTER NETFILTER_ADVANCED NF_CONNTRACK NF_CONNTRACK_ZONES NF_NAT NETFILTER_XTABLES
	NF_TABLES NFT_CT IPV6 KPROBES KRETPROBES FTRACE TRACEPOINTS MODULES MODULE_UNLOAD TLS)
args=(-d WERROR)
for o in "${opts[@]}"; do args+=(-e "$o"); done
passed=0 failed=0
check() {
	if eval "$2"; then
		passed=$((passed + 1)) && echo "ok - $1"
	else
		failed=$((failed + 1)) && echo "not ok - $1" && return 1
	fi
}
diag() { sed 's/^/#   /'; }
# stop NAME [DETAIL]: a failure the later checks cannot run without.
stop() {
	echo "not ok - $1"
	[[ -n ${2:-} ]] && diag <<<"$2"
	echo "kernel-newest: $passed passed, $((failed + 1)) failed"
	exit 1
}

# Another checkout may be preparing or replacing the same tree.
mkdir -p "$cache" || stop "create the cache $cache"
exec 9>"$cache/newest-kernel.lock" || stop "open the lock in $cache"
flock 9

# shellcheck source=sid-apt.sh
. "$TOP/tests/sid-apt.sh"
sid_apt "$cache" "$mirror" >"$cache/sid-apt.log" 2>&1 ||
	stop "fetch Debian sid's index from $mirror" "$(tail -n 20 "$cache/sid-apt.log")"
pkg=$(apt-cache "${apt[@]}" pkgnames linux-source- | grep -E '^linux-source-[0-9.]+$' | sort -V | tail -n 1)
ver=$(apt-cache "${apt[@]}" show --no-all-versions "$pkg" 2>/dev/null | sed -n 's/^Version: //p')
[[ -n $pkg && -n $ver ]] || stop "sid has a linux-source-X.Y package"
echo "# newest in sid: $pkg $ver"

dir=$cache/newest-kernel-$ver
tree=$dir/linux
if [[ ! -f $dir/done || $(<"$dir/done") != "${args[*]}" ]]; then
	rm -rf "$dir" && mkdir -p "$dir"
	echo "# downloading and unpacking $pkg $ver"
	out=$(cd "$dir" && apt-get "${apt[@]}" download "$pkg=$ver" 2>&1 &&
		dpkg-deb -x "$pkg"_*.deb deb && tar -C "$dir" -xf deb/usr/src/"$pkg".tar.* &&
		mv "$dir/$pkg" "$tree" && rm -rf deb "$pkg"_*.deb) || stop "download $pkg $ver from $mirror" "$out"
fi

# The host's gcc (12 on Debian 12) must meet the kernel's minimum; when a
# new kernel raises it, say so rather than show kbuild's failure.
need=$("$tree/scripts/min-tool-version.sh" gcc) have=$(gcc -dumpfullversion)
[[ $(printf '%s\n' "$need" "$have" | sort -V | head -n 1) == "$need" ]] ||
	stop "gcc $have is new enough for Linux $ver" "Linux $ver needs gcc $need or later: install a newer gcc on the CI host"
check "gcc $have is new enough for Linux $ver (needs $need)" true

if [[ ! -f $dir/done ]]; then
	echo "# preparing the tree (modules_prepare, about a minute)"
	# -j2: it runs beside the debug kernel's build on 2 CPUs.
	(cd "$tree" && make defconfig && scripts/config "${args[@]}" &&
		make olddefconfig && make -j2 modules_prepare) >"$dir/prepare.log" 2>&1 ||
		stop "Linux $ver tree prepared" "$(tail -n 30 "$dir/prepare.log")"
	# An option renamed or gone would otherwise vanish silently in olddefconfig.
	lost=$(for o in "${opts[@]}"; do grep -qx "CONFIG_$o=y" "$tree/.config" || echo "CONFIG_$o"; done)
	[[ -z $lost ]] || stop "Linux $ver tree prepared" "not set by olddefconfig: $lost"
	# modules_prepare writes no vmlinux symvers, so the exports come from
	# the source: the generic code and x86 (the host's, which defconfig
	# picks), with the symbols the tracepoint and static-call export
	# macros define.
	(cd "$tree" && grep -rhoE --include='*.[chS]' --exclude-dir={arch,tools,samples,scripts,Documentation} \
		'\bEXPORT_[A-Z_]+\( *\w+( *, *"?\w+)?' . arch/x86) | sed -E -n \
		-e 's/^EXPORT_(SYMBOL|SYMBOL_GPL|PER_CPU_SYMBOL|PER_CPU_SYMBOL_GPL|INDIRECT_CALLABLE)\( *(\w+).*/\2/p' \
		-e 's/^EXPORT_SYMBOL_NS(_GPL)?\( *(\w+) *, *"?(\w+).*/\2 \3/p' \
		-e 's/^EXPORT_TRACEPOINT_SYMBOL(_GPL)?\( *(\w+).*/__tracepoint_\2\n__traceiter_\2\n__SCK__tp_func_\2/p' \
		-e 's/^EXPORT_STATIC_CALL(_GPL)?\( *(\w+).*/__SCK__\2\n__SCT__\2/p' \
		-e 's/^EXPORT_STATIC_CALL_TRAMP(_GPL)?\( *(\w+).*/__SCT__\2/p' | sort -u >"$dir/exports"
	echo "${args[*]}" >"$dir/done"
	for old in "$cache"/newest-kernel-*/; do
		[[ ${old%/} != "$dir" ]] && rm -rf "$old"
	done
fi
check "Linux $ver tree prepared ($tree)" true

# A copy, so the checkout's kernel/ gets no objects for this kernel. No
# vmlinux symvers: modpost warns of every symbol; the check below decides.
build=$TOP/tests/.cache/build-newest
rm -rf "$build" && mkdir -p "$build" && cp -r "$TOP/kernel" "$TOP/include" "$build/"
make -C "$build/kernel" KDIR="$tree" KBUILD_MODPOST_WARN=1 -j2 >"$build/build.log" 2>&1
# shellcheck disable=SC2034 # check() reads it
rc=$?
ko=$build/kernel/xt_TOA.ko
check "xt_TOA builds against Linux $ver" '((rc == 0)) && [[ -f $ko ]]' ||
	grep -E 'error|warning:' "$build/build.log" | head -n 30 | diag
warnings=$(grep 'warning:' "$build/build.log")
check "no compiler warnings" '[[ -z $warnings ]]' || diag <<<"$warnings"

if [[ -f $ko ]]; then
	# A namespaced export counts only if the module imports its namespace.
	# The retpoline thunks are exported by a macro that pastes their names.
	imports=$(modinfo -F import_ns "$ko")
	missing=$(comm -23 <(nm -u "$ko" | awk '{print $2}' | grep -v '^__x86_indirect_\(call_\|jump_\)\?thunk_' | sort -u) \
		<(awk -v imp=" ${imports//$'\n'/ } " 'NF == 1 || index(imp, " " $2 " ") {print $1}' "$dir/exports" | sort -u))
	check "every symbol xt_TOA.ko uses is exported by Linux $ver" '[[ -z $missing ]]' ||
		diag <<<"not exported: ${missing//$'\n'/ }"
else
	check "every symbol xt_TOA.ko uses is exported by Linux $ver" false || diag <<<"no xt_TOA.ko"
fi

echo "kernel-newest: $passed passed, $failed failed"
((failed == 0))
