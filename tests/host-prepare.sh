# shellcheck shell=bash
# Sourced by tests/run.sh and tests/demo.sh: install the dependencies,
# pick Debian's 6.1 kernel for the VM, build everything against its
# headers and stage "make install" for the guest (the demo's).
# Sets KIMG, KVER, KDIR, STAGE, and LTS_KVERS: the newest installed kernel
# of each supported LTS line, 6.1 and 6.12, which the packages are tested
# on. Returns non-zero on failure.
# host_prepare OUT --demo: only what the demo needs (its packages, the
# module, plugins, toactl, test tools and examples for 6.1); LTS_KVERS is
# 6.1 alone.

host_prepare() {
	local out=$1 demo=${2:-}
	mkdir -p "$out"
	tests/deps.sh ${demo:+"$demo"} >"$out/deps.log" 2>&1 || { cat "$out/deps.log"; echo "cannot install the dependencies" >&2; return 1; }
	KIMG=$(ls -v /boot/vmlinuz-6.1.* 2>/dev/null | tail -n 1)
	KVER=${KIMG#/boot/vmlinuz-}
	KDIR=/usr/src/linux-headers-$KVER
	[[ -n $KIMG && -d $KDIR ]] || { echo "no 6.1 kernel image and headers (linux-image-amd64, linux-headers-amd64)" >&2; return 1; }
	LTS_KVERS=("$KVER")
	if [[ -n $demo ]]; then
		make -s KDIR="$KDIR" >"$out/build.log" 2>&1 && make -s -C tests/tools >>"$out/build.log" 2>&1 &&
			make -s -C examples >>"$out/build.log" 2>&1 ||
			{ cat "$out/build.log"; echo "build failed" >&2; return 1; }
		stage_install
		return
	fi

	# The operator's guide tests run netfilter-persistent's scripts and
	# firewalld in the VM (unpacked there, over its throw-away root), the
	# container tests Docker (unpacked here, run from the checkout).
	# Installing them here would save this host's firewall rules, enable
	# boot services and take over its firewall: fetch only.
	local pkg fetch=()
	mkdir -p tests/.cache/debs
	for pkg in netfilter-persistent iptables-persistent firewalld python3-firewall python3-nftables \
		docker.io containerd runc tini; do
		compgen -G "tests/.cache/debs/${pkg}_*.deb" >/dev/null || fetch+=("$pkg")
	done
	((${#fetch[@]} == 0)) ||
		(cd tests/.cache/debs && apt-get download -q "${fetch[@]}") >>"$out/deps.log" 2>&1 ||
		{ cat "$out/deps.log"; echo "cannot fetch ${fetch[*]}" >&2; return 1; }
	if [[ ! -x tests/.cache/docker/usr/sbin/dockerd ]]; then
		rm -rf tests/.cache/docker
		for pkg in docker.io containerd runc tini; do
			dpkg-deb -x tests/.cache/debs/"${pkg}"_*.deb tests/.cache/docker ||
				{ echo "cannot unpack $pkg" >&2; return 1; }
		done
	fi

	local img
	img=$(ls -v /boot/vmlinuz-6.12.* 2>/dev/null | tail -n 1)
	[[ -n $img && -d /usr/src/linux-headers-${img#/boot/vmlinuz-} ]] ||
		{ echo "no 6.12 kernel image and headers (tests/deps.sh installs them)" >&2; return 1; }
	LTS_KVERS+=("${img#/boot/vmlinuz-}")

	make -s KDIR="$KDIR" >"$out/build.log" 2>&1 &&
		make -s -C tests/tools >>"$out/build.log" 2>&1 &&
		test_kmods "$KDIR" "$KVER" >>"$out/build.log" 2>&1 &&
		test_kmods "/usr/src/linux-headers-${LTS_KVERS[1]}" "${LTS_KVERS[1]}" >>"$out/build.log" 2>&1 &&
		make -s -C examples >>"$out/build.log" 2>&1 ||
		{ cat "$out/build.log"; echo "build failed" >&2; return 1; }
	stage_install
}

# stage_install: what "make install" does, into a staging root; depmod runs here,
# where it takes seconds (over 9p under TCG it takes minutes). Sets STAGE.
stage_install() {
	STAGE=$TOP/tests/.cache/stage-$KVER
	rm -rf "$STAGE"
	make -s install DESTDIR="$STAGE" KDIR="$KDIR" >/dev/null &&
		ln -s "/lib/modules/$KVER/kernel" "$STAGE/lib/modules/$KVER/kernel" &&
		cp /lib/modules/"$KVER"/modules.{order,builtin,builtin.modinfo} "$STAGE/lib/modules/$KVER/" &&
		depmod -b "$STAGE" "$KVER" &&
		rm "$STAGE/lib/modules/$KVER/kernel" ||
		{ echo "staging the install failed" >&2; return 1; }
}

# test_kmods KDIR KVER: the test modules of tests/kmod, which only the
# test VMs load, built for one kernel into tests/.cache/kmod-KVER.
test_kmods() {
	local dir=$TOP/tests/.cache/kmod-$2
	rm -rf "$dir" && mkdir -p "$dir" && cp tests/kmod/Kbuild tests/kmod/*.c "$dir/" &&
		make -s -C "$1" M="$dir" modules
}

# debug_prepare: the KASAN + lockdep + kmemleak kernel (built once, cached),
# xt_TOA built against it out of the source tree, and a staged install of
# both. Sets DKIMG, DKVER, DSTAGE.
debug_prepare() {
	local out=$1 tree build
	tree=$(tests/debug-kernel/build.sh) || return 1
	DKIMG=$tree/arch/x86/boot/bzImage
	DKVER=$(cat "$tree/include/config/kernel.release")
	build=$TOP/tests/.cache/build-$DKVER
	rm -rf "$build"
	mkdir -p "$build"
	cp -r kernel include "$build/"
	make -s -C "$build/kernel" KDIR="$tree" >"$out/build-debug.log" 2>&1 &&
		test_kmods "$tree" "$DKVER" >>"$out/build-debug.log" 2>&1 ||
		{ cat "$out/build-debug.log"; return 1; }
	DSTAGE=$TOP/tests/.cache/stage-$DKVER
	rm -rf "$DSTAGE"
	make -s -C "$tree" modules_install INSTALL_MOD_PATH="$DSTAGE" DEPMOD=true >>"$out/build-debug.log" 2>&1 &&
		install -D -m 0644 "$build/kernel/xt_TOA.ko" "$DSTAGE/lib/modules/$DKVER/updates/xt_TOA.ko" &&
		make -s install-plugin install-toactl DESTDIR="$DSTAGE" >/dev/null &&
		depmod -b "$DSTAGE" "$DKVER" ||
		{ echo "staging the debug install failed" >&2; return 1; }
}
