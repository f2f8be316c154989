#!/usr/bin/env bash
# The Debian packages on this machine, as an admin installs them (DKMS
# builds the module here; nothing is loaded into this machine):
#
#   tests/package.sh install DIR KVER...   "make dkms-install" and
#       "make dkms-uninstall" first; then build the .debs in DIR, install
#       them, check that DKMS built xt_TOA for each KVER and that the plugin
#       is where iptables looks
#   tests/package.sh purge DIR             purge them, check that no file,
#       DKMS tree or built module is left (against the list taken before)
#
# Prints "ok"/"not ok" lines and "package: N passed, N failed".
set -uo pipefail
TOP=$(cd "$(dirname "$0")/.." && pwd)
PKGS=(xt-toa-dkms xtables-toa)
passed=0 failed=0
ok() { passed=$((passed + 1)) && echo "ok - $*"; }
not_ok() { failed=$((failed + 1)) && echo "not ok - $*"; }
# step NAME CMD...: run CMD, log in DIR/NAME.log, ok with its time.
step() {
	local name=$1 start=$SECONDS
	shift
	if "$@" >"$dir/$name.log" 2>&1; then
		ok "$name ($((SECONDS - start)) s)"
	else
		sed 's/^/#   /' "$dir/$name.log"
		not_ok "$name"
		return 1
	fi
}
finish() {
	echo "package: $passed passed, $failed failed"
	((failed == 0))
	exit
}

# Everything a package or DKMS could leave behind. DKMS's own signing key
# (/var/lib/dkms/mok.*) is created by the first build of any module and
# belongs to dkms.
snapshot() {
	find /usr/src /var/lib/dkms /lib/modules /etc /usr/share/doc /usr/share/man /usr/sbin \
		/var/lib/dpkg/info "$(pkg-config --variable=xtlibdir xtables)" 2>/dev/null |
		grep -v '^/var/lib/dkms/mok\.' | sort
}

# True if dpkg has anything of package $1, configuration files included.
known() {
	case $(dpkg-query -W -f='${db:Status-Status}' "$1" 2>/dev/null) in
	"" | not-installed) return 1 ;;
	esac
}
# Module or plugin files that are not the packages' ("make install",
# "make dkms-install"): they would be taken for leftovers of the packages.
foreign_install() {
	dkms status -m xt-toa
	find /lib/modules -name 'xt_TOA.ko*'
	ls -d /usr/src/xt-toa-* "$(pkg-config --variable=xtlibdir xtables)"/libxt_TOA.so /usr/sbin/toactl
} 2>/dev/null

# built_for KVER...: DKMS built and installed xt_TOA for each KVER.
built_for() {
	local kver status module
	for kver in "$@"; do
		# (dkms reads .comment of the headers' vmlinux, which 6.12 ships without: noise)
		status=$(dkms status -m xt-toa -k "$kver" 2>/dev/null)
		module=$(modinfo -k "$kver" -n xt_TOA 2>/dev/null)
		if [[ $status == *": installed"* && $module == /lib/modules/$kver/updates/dkms/xt_TOA.ko* ]]; then
			ok "DKMS built and installed xt_TOA for $kver ($module)"
		else
			not_ok "DKMS built and installed xt_TOA for $kver (dkms: '$status', modinfo: '$module')"
		fi
	done
}

# unchanged_since LABEL: the file list is the one taken before installing.
unchanged_since() {
	snapshot >"$dir/after.txt"
	if diff -u "$dir/before.txt" "$dir/after.txt" >"$dir/leftovers.diff"; then
		ok "$1 leaves the file list as it was before the install"
	else
		sed 's/^/#   /' "$dir/leftovers.diff"
		not_ok "$1 leaves the file list as it was before the install"
	fi
}

action=${1:-} dir=${2:-}
[[ -n $dir ]] || { echo "usage: $0 install|purge DIR [KVER...]" >&2; exit 2; }
shift 2
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)

case $action in
install)
	# A run that stopped half way left them installed: the list of files
	# "before" must be taken without them.
	for p in "${PKGS[@]}"; do
		if known "$p"; then
			echo "# purging $p, left by an earlier run"
			dpkg -P "$p" >/dev/null
		fi
	done
	foreign=$(foreign_install)
	if [[ -n $foreign ]]; then
		sed 's/^/#   /' <<<"$foreign"
		not_ok "xt_TOA installed outside the packages: remove it first (make uninstall, make dkms-uninstall)"
		finish
	fi
	snapshot >"$dir/before.txt"

	# From the source tree, the README's DKMS install; uninstalled whatever
	# happened, before the packages.
	step "make dkms-install" make -C "$TOP" dkms-install
	built_for "$@"
	step "make dkms-uninstall" make -C "$TOP" dkms-uninstall
	unchanged_since "make dkms-uninstall"

	# Built from a copy: dpkg-buildpackage writes the .debs next to the
	# tree and cleans it, which would remove the checkout's own builds.
	rm -rf "$dir/src" "$dir"/*.deb
	mkdir "$dir/src"
	tar -C "$TOP" -c --exclude=./.git --exclude=./tests/.cache --exclude=./tests/out . |
		tar -C "$dir/src" -x
	build() { (cd "$dir/src" && dpkg-buildpackage -b -us -uc); }
	step "build the packages (dpkg-buildpackage)" build || finish
	debs=()
	for p in "${PKGS[@]}"; do debs+=("$dir/${p}_"*.deb); done
	step "install ${PKGS[*]} (dpkg -i; DKMS builds for every kernel)" dpkg -i "${debs[@]}" || finish

	built_for "$@"

	# One version for "make dkms-install" and the package: one DKMS tree.
	version=$(dpkg-query -W -f='${Version}' xt-toa-dkms)
	if grep -qx "VERSION = $version" "$TOP/Makefile" && [[ -f /usr/src/xt-toa-$version/dkms.conf ]]; then
		ok "the package and the Makefile are version $version (/usr/src/xt-toa-$version)"
	else
		not_ok "the package's version $version is the Makefile's VERSION"
	fi

	# The package ships what "make install-plugin install-toactl" installs,
	# at those paths.
	rm -rf "$dir/plugin-stage"
	make -s -C "$dir/src" install-plugin install-toactl DESTDIR="$dir/plugin-stage" >/dev/null
	missing=$(cd "$dir/plugin-stage" && find . -type f -printf '/%P\n' |
		while read -r f; do
			[[ $f == /usr/share/man/* ]] && f=$f.gz	# dh_compress
			dpkg -S "$f" 2>/dev/null | grep -q '^xtables-toa:' || echo "$f"
		done)
	if [[ -z $missing ]] && [[ -n $(ls -A "$dir/plugin-stage") ]]; then
		ok "xtables-toa installs every file of make install-plugin install-toactl"
	else
		not_ok "xtables-toa installs every file of make install-plugin install-toactl (missing: $missing)"
	fi

	example=/usr/share/doc/xt-toa-dkms/examples/xt_TOA.conf
	if [[ -f $example ]] && ! grep -rqs xt_TOA /etc/modules-load.d /etc/modules; then
		ok "modules-load.d file offered ($example), not enabled"
	else
		not_ok "modules-load.d file offered ($example), not enabled"
	fi
	;;
purge)
	step "purge ${PKGS[*]} (dpkg -P)" dpkg -P "${PKGS[@]}"
	status=$(dkms status -m xt-toa)
	[[ -z $status ]] && ok "dkms status knows no xt-toa" || not_ok "dkms status knows no xt-toa: $status"
	left=$(find /lib/modules -name 'xt_TOA.ko*'; grep -l xt_TOA /lib/modules/*/modules.dep)
	[[ -z $left ]] && ok "no xt_TOA module under /lib/modules" || not_ok "xt_TOA left in: $left"
	unchanged_since "purge"
	;;
*)
	echo "usage: $0 install|purge DIR [KVER...]" >&2
	exit 2
	;;
esac
finish
