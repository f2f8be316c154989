# xt_TOA: kernel module, iptables plugin, tests.
#
#   make [KDIR=/lib/modules/VER/build]   build xt_TOA.ko, the iptables plugins, toactl
#   make install / make uninstall        for the kernel of KDIR, runs depmod
#   make dkms-install / dkms-uninstall   the module under DKMS, every kernel
#   make check                           every test (boots VMs; see README)
#   make check-newest                    the core tests on Debian unstable's newest kernel (VM)
#   make check-arm64                     the core tests on Debian's arm64 kernels (VM, on demand)
#   make demo                            a VM showing a server before/after
#   make bench                           benchmarks in a VM (figures, not tests)

VERSION = 0.1
KDIR ?= /lib/modules/$(shell uname -r)/build
# The release modprobe looks under (Debian's kernel.release differs from it).
KVER = $(shell sed -n 's/.*UTS_RELEASE "\(.*\)"/\1/p' $(KDIR)/include/generated/utsrelease.h 2>/dev/null)
MODDIR = $(DESTDIR)/lib/modules/$(KVER)/updates

all: module plugin toactl

module:
	$(MAKE) -C kernel KDIR=$(KDIR)

plugin:
	$(MAKE) -C userspace

toactl:
	$(MAKE) -C tools/toactl

install: install-module install-plugin install-toactl

# Installs what "make" built; no rebuild here, so "make && sudo make install".
install-module:
	@test -f kernel/xt_TOA.ko || { echo "xt_TOA.ko is not built: run make first" >&2; exit 1; }
	@test -n "$(KVER)" || { echo "cannot tell the kernel version of KDIR=$(KDIR)" >&2; exit 1; }
	install -D -m 0644 kernel/xt_TOA.ko $(MODDIR)/xt_TOA.ko
	test -n "$(DESTDIR)" || depmod -a $(KVER)

install-plugin:
	@test -f userspace/libxt_TOA.so || { echo "libxt_TOA.so is not built: run make first" >&2; exit 1; }
	$(MAKE) -C userspace install

install-toactl:
	@test -f tools/toactl/toactl || { echo "toactl is not built: run make first" >&2; exit 1; }
	$(MAKE) -C tools/toactl install

uninstall:
	rm -f $(MODDIR)/xt_TOA.ko
	test -n "$(DESTDIR)" || depmod -a $(KVER)
	$(MAKE) -C userspace uninstall
	$(MAKE) -C tools/toactl uninstall

# The module's source as DKMS takes it (the xt-toa-dkms package ships this).
DKMS_SRC = $(DESTDIR)/usr/src/xt-toa-$(VERSION)
dkms-source:
	install -d $(DKMS_SRC)/kernel $(DKMS_SRC)/include/linux/netfilter
	install -m 0644 kernel/Kbuild kernel/Makefile kernel/*.[ch] $(DKMS_SRC)/kernel/
	install -m 0644 include/linux/netfilter/xt_TOA.h \
		include/linux/netfilter/xt_TOA_genl.h $(DKMS_SRC)/include/linux/netfilter/
	sed 's/#MODULE_VERSION#/$(VERSION)/' dkms.conf >$(DKMS_SRC)/dkms.conf

# DKMS builds the module for each kernel that has its headers now, and again
# whenever a kernel is installed. Kernels older than 6.1 are skipped (77).
dkms-install: dkms-source
	dkms add xt-toa/$(VERSION)
	for build in /lib/modules/*/build; do \
		test -d "$$build" || continue; \
		kver=$${build#/lib/modules/}; kver=$${kver%/build}; \
		dkms install xt-toa/$(VERSION) -k "$$kver" || [ $$? = 77 ] || exit 1; \
	done

dkms-uninstall:
	dkms remove xt-toa/$(VERSION) --all
	rm -rf $(DKMS_SRC)

check:
	tests/run.sh

check-newest:
	tests/run-newest.sh

check-arm64:
	tests/run-arm64.sh

demo:
	tests/demo.sh

bench:
	tests/bench.sh

clean:
	$(MAKE) -C kernel clean KDIR=$(KDIR)
	$(MAKE) -C userspace clean
	$(MAKE) -C tools/toactl clean
	$(MAKE) -C tests/unit clean
	$(MAKE) -C tests/tools clean
	$(MAKE) -C examples clean
	cd tests/bench-hooks && $(RM) *.o *.ko *.mod *.mod.c .*.cmd modules.order Module.symvers
	$(MAKE) -C tests/bench-icount clean

.PHONY: all module plugin toactl install install-module install-plugin \
	install-toactl uninstall dkms-source dkms-install dkms-uninstall \
	check check-newest check-arm64 demo bench clean
