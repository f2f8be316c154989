# xt_TOA: kernel module, iptables plugin, tests.
#
#   make [KDIR=/lib/modules/VER/build]   build xt_TOA.ko and libxt_TOA.so
#   make install / make uninstall        for the kernel of KDIR, runs depmod
#   make check                           every test (boots VMs; see README)
#   make demo                            a VM showing a server before/after

KDIR ?= /lib/modules/$(shell uname -r)/build
# The release modprobe looks under (Debian's kernel.release differs from it).
KVER = $(shell sed -n 's/.*UTS_RELEASE "\(.*\)"/\1/p' $(KDIR)/include/generated/utsrelease.h 2>/dev/null)
MODDIR = $(DESTDIR)/lib/modules/$(KVER)/updates

all: module plugin

module:
	$(MAKE) -C kernel KDIR=$(KDIR)

plugin:
	$(MAKE) -C userspace

install: install-module install-plugin

# Installs what "make" built; no rebuild here, so "make && sudo make install".
install-module:
	@test -f kernel/xt_TOA.ko || { echo "xt_TOA.ko is not built: run make first" >&2; exit 1; }
	@test -n "$(KVER)" || { echo "cannot tell the kernel version of KDIR=$(KDIR)" >&2; exit 1; }
	install -D -m 0644 kernel/xt_TOA.ko $(MODDIR)/xt_TOA.ko
	test -n "$(DESTDIR)" || depmod -a $(KVER)

install-plugin:
	@test -f userspace/libxt_TOA.so || { echo "libxt_TOA.so is not built: run make first" >&2; exit 1; }
	$(MAKE) -C userspace install

uninstall:
	rm -f $(MODDIR)/xt_TOA.ko
	test -n "$(DESTDIR)" || depmod -a $(KVER)
	$(MAKE) -C userspace uninstall

check:
	tests/run.sh

demo:
	tests/demo.sh

clean:
	$(MAKE) -C kernel clean KDIR=$(KDIR)
	$(MAKE) -C userspace clean
	$(MAKE) -C tests/unit clean
	$(MAKE) -C tests/tools clean
	$(MAKE) -C examples clean

.PHONY: all module plugin install install-module install-plugin uninstall \
	check demo clean
