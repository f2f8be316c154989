#!/usr/bin/env bash
# Install everything the xt_TOA build and test suite need on a Debian 12 (bookworm) host.
#
# Idempotent: a package is installed only when it is missing, `apt-get update` runs at most
# once and only when something has to be installed. Re-running it on a ready machine is a
# no-op that prints "all present".
#
# Usage: tests/deps.sh [--check] [--demo]
#   --check   only report missing packages (exit 1 if any), install nothing.
#   --demo    only what the demo needs (DEMO_PACKAGES; no 6.12 kernel).
#
# Extend the suite's needs by editing PACKAGES below, one entry a line. An entry of the form
# "a|b" is satisfied by either package; if neither is installed, the first is installed.
#
# The tests also boot the 6.12 LTS kernel, from bookworm-backports: that suite is added as a
# sources file of its own when no apt source names it, and the newest 6.12 image and headers
# of its index are installed by their versioned names (never the linux-image-amd64 or
# linux-headers-amd64 metapackages, which stay on 6.1). An installed 6.12 pair is kept.
set -euo pipefail

# What the demo needs (tests/demo.sh runs "deps.sh --demo"): build the module, boot
# Debian's 6.1 kernel under qemu, and its topology's tools inside.
DEMO_PACKAGES=(
	# --- build ---
	build-essential          # gcc, make, libc headers
	pkg-config
	libxtables-dev           # iptables extension (libxt_TOA.so) headers
	libnetfilter-queue-dev   # test tools: userspace NFQUEUE TOA sender
	libmnl-dev
	linux-headers-amd64      # headers of the 6.1 kernel the VM boots (module build)
	git                      # tests/vm/run-vm.sh locates the checkout with git
	# --- VM harness (tests/vm/run-vm.sh) ---
	linux-image-amd64        # the 6.1 kernel booted under qemu (its modules feed the initramfs)
	qemu-system-x86          # TCG emulation, 9p (virtfs) shares
	busybox-static           # initramfs userland
	cpio                     # initramfs archive
	kmod                     # modprobe/depmod/insmod (host: module list; guest: loading)
	# --- used inside the guest (the guest shares the host's root read-only) ---
	iptables                 # iptables-nft and iptables-legacy
	nftables                 # nft: TOA through "ct helper set" (tests-nft.sh)
	iproute2                 # ip netns, veth
	procps                   # sysctl, ps, pkill
	nginx-light              # test backend server
	curl                     # test client
)
PACKAGES=(
	"${DEMO_PACKAGES[@]}"
	clang                    # tests/fuzz: libFuzzer target of the option parser
	libclang-rt-dev          # libFuzzer and sanitizer runtimes for clang
	xxd                      # tests/fuzz: seeds and regressions kept as hex
	# --- packaging (debian/): the .debs, and DKMS building the module per kernel ---
	dpkg-dev
	debhelper
	dh-dkms
	dkms
	# --- the debug kernel (tests/debug-kernel/build.sh) ---
	linux-source-6.1
	bc
	bison
	flex
	libelf-dev
	libssl-dev
	# --- VM harness, the 6.12 kernel's modules ---
	xz-utils                 # decompress .ko.xz modules (6.12 kernels)
	zstd                     # decompress .ko.zst modules
	# --- used inside the guest ---
	apache2-bin              # the guide's mod_remoteip config (binary and modules only: no service)
	tcpdump
	conntrack                # conntrack -L for state checks
	python3-scapy            # crafted TOA packets
	ethtool                  # checksum offload off on a veth (--toa-insert tests)
	apache2-utils            # ab: connection rate through the relay (--toa-insert benchmark)
	"ncat|netcat-openbsd"    # simple TCP client/server
	libdevmapper1.02.1       # dockerd's library (Docker itself is unpacked: tests/host-prepare.sh)
	libseccomp2              # runc's library
)

check_only=0 demo=0
for arg; do
	case "$arg" in
	--check) check_only=1 ;;
	--demo) demo=1 && PACKAGES=("${DEMO_PACKAGES[@]}") ;;
	-h | --help)
		sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'
		exit 0
		;;
	*)
		echo "deps.sh: unknown argument: $arg" >&2
		exit 2
		;;
	esac
done

# True if the package is installed (dpkg status "installed", not just "config-files").
is_installed() {
	[[ "$(dpkg-query -W -f='${db:Status-Status}' "$1" 2>/dev/null || true)" == installed ]]
}

missing=()
for entry in "${PACKAGES[@]}"; do
	IFS='|' read -r -a alternatives <<<"$entry"
	satisfied=0
	for pkg in "${alternatives[@]}"; do
		if is_installed "$pkg"; then
			satisfied=1
			break
		fi
	done
	((satisfied)) || missing+=("${alternatives[0]}")
done

# The 6.12 kernel: an installed image (signed or not) with its headers, whatever their
# point release.
BACKPORTS_LIST=/etc/apt/sources.list.d/bookworm-backports.sources
have_6_12=$demo
((demo)) || for image in $(dpkg-query -W -f='${Package}\n' 'linux-image-6.12.*' 2>/dev/null); do
	[[ $image =~ ^linux-image-(6\.12\.[0-9]+\+[a-z0-9.]+-amd64)(-unsigned)?$ ]] || continue
	abi=${BASH_REMATCH[1]}
	if is_installed "$image" && is_installed "linux-headers-$abi"; then
		have_6_12=1
		break
	fi
done
((have_6_12)) || missing+=("a 6.12 kernel from bookworm-backports")

if ((${#missing[@]} == 0)); then
	echo "deps.sh: all present (${#PACKAGES[@]} entries$( ((demo)) || echo ' and a 6.12 kernel'))"
	exit 0
fi

echo "deps.sh: missing: ${missing[*]}"
if ((check_only)); then
	exit 1
fi

# Run apt as root: directly when we are root, through sudo otherwise.
if ((EUID == 0)); then
	as_root=()
elif command -v sudo >/dev/null; then
	as_root=(sudo)
else
	echo "deps.sh: need root (or sudo) to install packages" >&2
	exit 1
fi

export DEBIAN_FRONTEND=noninteractive
if ((!have_6_12)); then
	unset 'missing[-1]'
	if ! grep -rqs '^[^#]*bookworm-backports' /etc/apt/sources.list /etc/apt/sources.list.d/; then
		"${as_root[@]}" tee "$BACKPORTS_LIST" >/dev/null <<-EOF
			# Added by xt_TOA's tests/deps.sh: the 6.12 LTS kernel the tests boot.
			Types: deb
			URIs: http://deb.debian.org/debian
			Suites: bookworm-backports
			Components: main
			Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
		EOF
	fi
fi
"${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -q
if ((!have_6_12)); then
	# Image names carry the ABI (6.12.95+deb12-amd64): take the newest of the backports index.
	in_backports() { [[ $(apt-cache madison "$1") == *bookworm-backports* ]]; }
	abi=""
	for candidate in $(apt-cache search --names-only '^linux-image-6\.12\.[0-9]+\+[a-z0-9.]+-amd64-unsigned$' |
		sed 's/^linux-image-\(.*\)-unsigned .*/\1/' | sort -rV); do
		if in_backports "linux-image-$candidate-unsigned" && in_backports "linux-headers-$candidate"; then
			abi=$candidate
			break
		fi
	done
	[[ -n $abi ]] || { echo "deps.sh: no 6.12 kernel in bookworm-backports" >&2; exit 1; }
	missing+=("linux-image-$abi-unsigned" "linux-headers-$abi")
fi
"${as_root[@]}" env DEBIAN_FRONTEND=noninteractive \
	apt-get install -y -q --no-install-recommends "${missing[@]}"
echo "deps.sh: installed: ${missing[*]}"
