# dmacopy top-level build.
#
#   make              library and CLI
#   make check        install missing packages, build, unit tests (plain and ASan/UBSan), CLI tests,
#                     install test, Debian packages, kernel modules, QEMU with the project's
#                     devices, guest tests on both kernels
#   make demo         build and show dmacopy on this machine and in the emulated machine
#   make bench        benchmarks (see bench/README.md)
#   make fuzz         the fuzzing guest tests with FUZZ_SCALE (default 10) times make check's budgets
#   make install      PREFIX=/usr/local DESTDIR= (LIBDIR, INCLUDEDIR, ... below; see docs/packaging.md)
#   make install-dkms the module's source for DKMS, in /usr/src/dmacopy-VERSION
#   make check-install  install into temporary folders, build against them, uninstall
#   make check-packages build the Debian packages, install, use and purge them (root)
#
# All output goes to build/.

PREFIX ?= /usr/local
DESTDIR ?=
LIBDIR ?= $(PREFIX)/lib
INCLUDEDIR ?= $(PREFIX)/include
BINDIR ?= $(PREFIX)/bin
SBINDIR ?= $(PREFIX)/sbin
LIBEXECDIR ?= $(PREFIX)/libexec
MANDIR ?= $(PREFIX)/share/man
PKGCONFIGDIR ?= $(LIBDIR)/pkgconfig
UDEVRULESDIR ?= $(PREFIX)/lib/udev/rules.d
DKMSDIR ?= /usr/src/dmacopy-$(VERSION)

CC ?= cc
B := build
# The library's version, from its one definition in include/dmacopy.h.
VERSION := $(shell sed -n 's/^\#define DMACOPY_VERSION_\(MAJOR\|MINOR\|PATCH\) \([0-9]*\)$$/\2/p' \
	include/dmacopy.h | paste -sd.)
SONAME := libdmacopy.so.0

WARN := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes
BASE_CFLAGS := -std=gnu11 -g -pthread -Iinclude $(WARN)
# The library's private headers (lib/*.h): for its own objects and the white-box unit tests only;
# the CLI and the guest programs use include/ alone.
LIB_PRIV_CFLAGS := -Ilib
OPT_CFLAGS := -O2 -fPIC
SAN_CFLAGS := -O1 -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=all
CFLAGS ?=
CPPFLAGS ?=
LDFLAGS ?=
LDLIBS_LIB := -pthread

LIB_SRCS := $(wildcard lib/*.c)
TOOL_SRCS := $(wildcard tools/*.c)
UNIT_SRCS := $(wildcard tests/unit/test_*.c)

SPDK_SRCS := $(wildcard lib/spdk/*.c)

LIB_OBJS := $(LIB_SRCS:%.c=$(B)/obj/%.o)
SPDK_OBJS := $(SPDK_SRCS:%.c=$(B)/obj/%.o)
LIB_SAN_OBJS := $(LIB_SRCS:%.c=$(B)/san/%.o)
TOOL_OBJS := $(TOOL_SRCS:%.c=$(B)/obj/%.o)
UNIT_BINS := $(UNIT_SRCS:tests/unit/%.c=$(B)/tests/%)
UNIT_SAN_BINS := $(UNIT_SRCS:tests/unit/%.c=$(B)/tests-san/%)
VM_PROG_SRCS := $(wildcard tests/vm/progs/*.c)
VM_PROGS := $(VM_PROG_SRCS:tests/vm/progs/%.c=$(B)/tests/vm/%)

.PHONY: vm-progs bench-progs all lib tools check check-unit check-cli check-vm check-qemu-asan check-kasan fuzz kmods qemu kernels deps demo bench \
	install uninstall install-dkms uninstall-dkms check-install check-packages clean format checkpatch \
	checkpatch-qemu FORCE

all: lib tools

lib: $(B)/lib/libdmacopy.a $(B)/lib/$(SONAME) $(B)/lib/libdmacopy-spdk.a
tools: $(B)/bin/dmacopy

$(B)/obj/lib/%.o $(B)/san/lib/%.o: PRIV_CFLAGS := $(LIB_PRIV_CFLAGS)

$(B)/obj/%.o: %.c $(wildcard include/*.h include/*/*.h lib/*.h tools/*.h)
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(BASE_CFLAGS) $(PRIV_CFLAGS) $(OPT_CFLAGS) $(CFLAGS) -MMD -MP -c -o $@ $<

$(B)/san/%.o: %.c $(wildcard include/*.h include/*/*.h lib/*.h tools/*.h)
	@mkdir -p $(@D)
	$(CC) $(BASE_CFLAGS) $(PRIV_CFLAGS) $(SAN_CFLAGS) $(CFLAGS) -c -o $@ $<

$(B)/lib/libdmacopy.a: $(LIB_OBJS)
	@mkdir -p $(@D)
	rm -f $@
	ar rcs $@ $^

$(B)/lib/$(SONAME): $(LIB_OBJS) lib/libdmacopy.map
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(LDFLAGS) -shared -Wl,-soname,$(SONAME) \
		-Wl,--version-script=lib/libdmacopy.map -Wl,--no-undefined -o $@ $(LIB_OBJS) $(LDLIBS_LIB)
	ln -sf $(SONAME) $(B)/lib/libdmacopy.so

# The SPDK-compatible I/OAT API (include/spdk/*.h): a static library used with libdmacopy.a.
$(B)/lib/libdmacopy-spdk.a: $(SPDK_OBJS)
	@mkdir -p $(@D)
	rm -f $@
	ar rcs $@ $^

$(B)/lib/libdmacopy-san.a: $(LIB_SAN_OBJS)
	@mkdir -p $(@D)
	rm -f $@
	ar rcs $@ $^

# The CLI links the static library, so build/bin/dmacopy runs from the tree; CLI_LINK=shared links
# it to libdmacopy.so.0 instead (the Debian package does: it then depends on libdmacopy0).
CLI_LINK ?= static
ifeq ($(CLI_LINK),shared)
CLI_LIB := $(B)/lib/$(SONAME)
CLI_LDLIBS := -L$(B)/lib -ldmacopy
else
CLI_LIB := $(B)/lib/libdmacopy.a
CLI_LDLIBS := $(B)/lib/libdmacopy.a
endif

$(B)/bin/dmacopy: $(TOOL_OBJS) $(CLI_LIB)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $(TOOL_OBJS) $(CLI_LDLIBS) -pthread -lm

# ---- unit tests: each tests/unit/test_*.c is one cmocka program --------------------------------

# A test's other .c files (UNIT_EXTRA below) are compiled as a program's own: with dmacopy.h's
# inline code and without lib/ on the include path.
$(B)/tests/%: tests/unit/%.c $(B)/lib/libdmacopy.a
	@mkdir -p $(@D)
	$(if $(UNIT_EXTRA_$*),$(CC) $(BASE_CFLAGS) -O2 $(CFLAGS) -c -o $@-extra.o $(UNIT_EXTRA_$*))
	$(CC) $(BASE_CFLAGS) $(LIB_PRIV_CFLAGS) -O2 $(CFLAGS) $(UNIT_LDFLAGS_$*) -o $@ $< \
		$(if $(UNIT_EXTRA_$*),$@-extra.o) $(B)/lib/libdmacopy.a -lcmocka -pthread

$(B)/tests-san/%: tests/unit/%.c $(B)/lib/libdmacopy-san.a
	@mkdir -p $(@D)
	$(if $(UNIT_EXTRA_$*),$(CC) $(BASE_CFLAGS) $(SAN_CFLAGS) $(CFLAGS) -c -o $@-extra.o \
		$(UNIT_EXTRA_$*))
	$(CC) $(BASE_CFLAGS) $(LIB_PRIV_CFLAGS) $(SAN_CFLAGS) $(CFLAGS) $(UNIT_LDFLAGS_$*) -o $@ $< \
		$(if $(UNIT_EXTRA_$*),$@-extra.o) $(B)/lib/libdmacopy-san.a -lcmocka -pthread

# test_core: dmacopy_enqueue_copy() inline as a program has it, and the library's calls counted
UNIT_EXTRA_test_core := tests/unit/inline_enqueue.c
UNIT_LDFLAGS_test_core := -Wl,--wrap=dmacopy_enqueue_copy
$(B)/tests/test_core $(B)/tests-san/test_core: tests/unit/inline_enqueue.c include/dmacopy.h

# Programs the guest tests run (inside the guest, from the shared build tree).
$(B)/tests/vm/%: tests/vm/progs/%.c $(B)/lib/libdmacopy.a $(wildcard tests/vm/progs/*.h)
	@mkdir -p $(@D)
	$(CC) $(BASE_CFLAGS) -O2 $(CFLAGS) -o $@ $< $(B)/lib/libdmacopy.a -pthread

# Guest programs written against the SPDK API link the SPDK layer too.
$(B)/tests/vm/spdk_%: tests/vm/progs/spdk_%.c $(B)/lib/libdmacopy-spdk.a $(B)/lib/libdmacopy.a \
		$(wildcard tests/vm/progs/*.h)
	@mkdir -p $(@D)
	$(CC) $(BASE_CFLAGS) -O2 $(CFLAGS) -o $@ $< $(B)/lib/libdmacopy-spdk.a $(B)/lib/libdmacopy.a \
		-pthread

# The same programs against the ASan/UBSan build of the library, for guest runs of the user-space
# drivers under the sanitizers.
$(B)/tests/vm-san/%: tests/vm/progs/%.c $(B)/lib/libdmacopy-san.a $(wildcard tests/vm/progs/*.h)
	@mkdir -p $(@D)
	$(CC) $(BASE_CFLAGS) $(SAN_CFLAGS) $(CFLAGS) -o $@ $< $(B)/lib/libdmacopy-san.a -pthread

VM_SAN_PROGS := $(patsubst $(B)/tests/vm/%,$(B)/tests/vm-san/%,$(filter $(B)/tests/vm/ioatuser_% $(B)/tests/vm/dsauser_%,$(VM_PROGS)))

vm-progs: $(VM_PROGS) $(VM_SAN_PROGS)

# Benchmark peers built against other projects' installed libraries (bench/dmadev: DPDK dmadev;
# linked with libdmacopy.a too, for its mode that runs the two in turns in one process).
bench-progs: $(B)/bench/rte_dma_bench

$(B)/bench/rte_dma_bench: bench/dmadev/rte_dma_bench.c $(B)/lib/libdmacopy.a
	@mkdir -p $(@D)
	$(CC) -O2 $(WARN) -Iinclude $$(pkg-config --cflags libdpdk) -o $@ $< $(B)/lib/libdmacopy.a \
		$$(pkg-config --libs libdpdk) -pthread

check-unit: $(UNIT_BINS) $(UNIT_SAN_BINS) lib
	@scripts/run-tests "unit" $(UNIT_BINS)
	@tests/unit/header_inline $(B)
	@tests/unit/hot_layout $(B)
	@ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
		scripts/run-tests "unit (ASan/UBSan)" $(UNIT_SAN_BINS)

check-cli: tools
	tests/cli/run $(abspath $(B)/bin/dmacopy)

# ---- emulated machine ----------------------------------------------------------------------------

deps:
	scripts/install-deps

qemu:
	qemu/build.sh

kernels:
	scripts/kernels.sh

kmods: kernels
	scripts/build-kmods

check-vm: all vm-progs kmods qemu
	tests/vm/check

# The guest tests that fuzz (ioctls, device registers and descriptors), with longer budgets.
FUZZ_SCALE ?= 10
fuzz: all vm-progs kmods qemu
	DMACOPY_FUZZ_SCALE=$(FUZZ_SCALE) tests/vm/check t_kmod_fuzz t_ioat_regs t_dsa_regs \
		t_testdev_bad_input

# The kernel code under KASAN (generic, inline), lockdep and list debugging: a guest kernel built
# here from Debian's linux-source-6.1 (scripts/kasan-kernel; about 22 minutes the first time, then
# cached) and the guest tests of dmacopy.ko, the DMA drivers' paths it drives, and the test device's
# driver on it. Any KASAN, lockdep or other kernel report fails a run (tests/vm/run). Not part of
# make check, which has no hour to spare.
# t_ioat_unbind is left out: its test client holds a channel across ioatdma's unbind and releases
# it afterwards, which reaches a use-after-free in Linux 6.1's dma_release_channel() (KASAN
# reports it: dma_chan_put() frees the device before privatecnt is decremented); dmacopy.ko gives
# its channels back before the driver's remove() runs and does not reach it.
KASAN_TESTS ?= 't_kmod_*' 't_ioat_copy' 't_ioat_dmatest' 't_ioat_fault' 't_ioat_iommu' \
	't_ioat_probe' 't_ioat_regs' 't_dsa_kmod*' 't_dsa_probe' 't_dsa_dmatest' 't_testdev_*'
check-kasan: all vm-progs qemu
	scripts/kasan-kernel
	scripts/build-kmods --kernel "$$(scripts/kasan-kernel --kver)"
	tests/vm/check --kernel kasan $(KASAN_TESTS)

# The device models' guest tests on QEMU built with ASan and UBSan (qemu/build.sh --asan): a
# sanitizer report fails the run (guest kernel 6.12: the subject is QEMU). Not in make check: the
# sanitized QEMU is a second build (about 15 minutes here).
QEMU_ASAN_TESTS ?= t_ioat_regs t_dsa_regs t_testdev_bad_input t_testdev_aggressive_iommu \
	t_testdev_unbind t_testdev_unplug t_ioat_iommu t_ioat_unbind t_ioat_unplug t_dsa_unplug \
	t_cpu_movdir64b t_dsa_kmod_wqdisable t_ioatuser_kill t_ioatuser_stripe
check-qemu-asan: all vm-progs kmods
	DMACOPY_QEMU_ASAN=1 tests/vm/check --kernel 6.12 $(QEMU_ASAN_TESTS)

check: deps
	@mkdir -p $(B)
	@# The guest kernels and the Debian 13 root (downloads and unpacking, little CPU) are made
	@# beside the builds and unit tests; check-packages and check-vm run scripts/kernels.sh
	@# again, which waits for this one (its lock) and reports any failure itself.
	scripts/kernels.sh >$(B)/kernels-prefetch.log 2>&1 &
	@# QEMU is built the same way (niced), filling the cores the single-threaded steps below
	@# leave idle; checkpatch-qemu and check-vm run qemu/build.sh again, which waits for this
	@# build (its lock), takes its binary, or builds and reports a failure itself.
	qemu/build.sh >$(B)/qemu-prefetch.log 2>&1 &
	$(MAKE) all
	$(MAKE) check-unit
	$(MAKE) check-cli
	$(MAKE) check-install
	$(MAKE) checkpatch
	@# The modules and guest programs, and the packages up to their guest step, are built while
	@# QEMU still builds; that step (tests/vm/run) waits for QEMU itself.
	$(MAKE) kmods vm-progs
	$(MAKE) check-packages
	$(MAKE) checkpatch-qemu
	$(MAKE) check-vm

checkpatch:
	scripts/checkpatch-all

# The QEMU device models in QEMU's style, by QEMU's own checkpatch.pl (from the source make qemu uses).
checkpatch-qemu: qemu
	scripts/checkpatch-qemu

# ---- demo and benchmarks -------------------------------------------------------------------------

demo: all
	scripts/demo

bench: all
	bench/run

# ---- install -------------------------------------------------------------------------------------
#
# Everything dmacopy installs under INCLUDEDIR is in INCLUDEDIR/dmacopy.h and INCLUDEDIR/dmacopy/:
# the SPDK-compatible headers in dmacopy/spdk/ (found through libdmacopy-spdk.pc's -I, so they never
# meet a real SPDK's spdk/), the module's UAPI header in dmacopy/uapi/linux/ (never over the kernel's
# linux/). The rest of include/dmacopy/ is the project's own and not installed: the register layouts
# (*_spec.h), the PCI IDs (pci_ids.h) and the remedies shared by lib/ and tools/ (remedies.h).
# The .pc files are written here, from this install's folders, not at build time. bench/plot is
# installed as LIBEXECDIR/dmacopy/bench-plot, where `dmacopy bench --plot` looks for it from
# BINDIR/../libexec (DMACOPY_BENCH_PLOT names it for other layouts).

MAN_PAGES := $(wildcard docs/man/*.[1-8])
SPDK_HEADERS := $(wildcard include/spdk/*.h)
PC_FILES := libdmacopy.pc libdmacopy-spdk.pc
# Where each folder of the install starts below DESTDIR, and its folders dmacopy alone owns.
I := $(DESTDIR)$(INCLUDEDIR)
INSTALLED := $(I)/dmacopy.h $(SPDK_HEADERS:include/spdk/%=$(I)/dmacopy/spdk/%) \
	$(I)/dmacopy/uapi/linux/dmacopy.h \
	$(addprefix $(DESTDIR)$(LIBDIR)/,libdmacopy.a libdmacopy-spdk.a $(SONAME) libdmacopy.so) \
	$(PC_FILES:%=$(DESTDIR)$(PKGCONFIGDIR)/%) \
	$(DESTDIR)$(BINDIR)/dmacopy $(DESTDIR)$(SBINDIR)/dmacopy-bind \
	$(DESTDIR)$(LIBEXECDIR)/dmacopy/bench-plot \
	$(DESTDIR)$(UDEVRULESDIR)/99-dmacopy.rules \
	$(foreach m,$(MAN_PAGES),$(DESTDIR)$(MANDIR)/man$(subst .,,$(suffix $(m)))/$(notdir $(m)))
OWNED_DIRS := $(I)/dmacopy/uapi/linux $(I)/dmacopy/uapi $(I)/dmacopy/spdk $(I)/dmacopy \
	$(DESTDIR)$(LIBEXECDIR)/dmacopy

# A .pc file for this install: folders below PREFIX are written relative to ${prefix}.
pc_dir = $(patsubst $(PREFIX)/%,$${prefix}/%,$(1))
$(B)/install/%.pc: lib/%.pc.in FORCE
	@mkdir -p $(@D)
	sed -e 's|@PREFIX@|$(PREFIX)|g' -e 's|@LIBDIR@|$(call pc_dir,$(LIBDIR))|g' \
	    -e 's|@INCLUDEDIR@|$(call pc_dir,$(INCLUDEDIR))|g' -e 's|@VERSION@|$(VERSION)|g' $< > $@

install: all $(PC_FILES:%=$(B)/install/%)
	install -d $(DESTDIR)$(LIBDIR) $(DESTDIR)$(PKGCONFIGDIR) $(DESTDIR)$(BINDIR) \
		$(DESTDIR)$(SBINDIR) $(DESTDIR)$(LIBEXECDIR)/dmacopy $(DESTDIR)$(UDEVRULESDIR) \
		$(I)/dmacopy/spdk $(I)/dmacopy/uapi/linux \
		$(sort $(dir $(filter $(DESTDIR)$(MANDIR)/%,$(INSTALLED))))
	install -m 644 include/dmacopy.h $(I)/
	install -m 644 $(SPDK_HEADERS) $(I)/dmacopy/spdk/
	install -m 644 include/uapi/linux/dmacopy.h $(I)/dmacopy/uapi/linux/
	install -m 644 $(B)/lib/libdmacopy.a $(B)/lib/libdmacopy-spdk.a $(DESTDIR)$(LIBDIR)/
	install -m 644 $(B)/lib/$(SONAME) $(DESTDIR)$(LIBDIR)/
	ln -sf $(SONAME) $(DESTDIR)$(LIBDIR)/libdmacopy.so
	install -m 644 $(PC_FILES:%=$(B)/install/%) $(DESTDIR)$(PKGCONFIGDIR)/
	install -m 755 $(B)/bin/dmacopy $(DESTDIR)$(BINDIR)/
	install -m 755 scripts/dmacopy-bind $(DESTDIR)$(SBINDIR)/
	install -m 755 bench/plot $(DESTDIR)$(LIBEXECDIR)/dmacopy/bench-plot
	install -m 644 kmod/99-dmacopy.rules $(DESTDIR)$(UDEVRULESDIR)/
	$(foreach m,$(MAN_PAGES),install -m 644 $(m) \
		$(DESTDIR)$(MANDIR)/man$(subst .,,$(suffix $(m)))/ &&) true

# Removes the files install wrote and the folders only dmacopy uses, nothing else.
uninstall:
	rm -f $(INSTALLED)
	for d in $(OWNED_DIRS); do [ ! -d "$$d" ] || rmdir "$$d"; done

# The module's source as DKMS wants it: DKMSDIR/dkms.conf, the module in DKMSDIR/kmod/ and the UAPI
# header in DKMSDIR/include/uapi/linux/ (kmod/Kbuild's -I$(src)/../include). Only dmacopy.ko: the
# test device's driver stays in the tree.
DKMS_SOURCES := kmod/Kbuild $(filter-out kmod/pcie_testdev.c,$(wildcard kmod/*.c)) kmod/dmacopy.h kmod/dmacopy_compat.h \
	include/uapi/linux/dmacopy.h
DKMS_INSTALLED := $(DKMS_SOURCES:%=$(DESTDIR)$(DKMSDIR)/%) $(DESTDIR)$(DKMSDIR)/dkms.conf

install-dkms:
	install -d $(DESTDIR)$(DKMSDIR)/kmod $(DESTDIR)$(DKMSDIR)/include/uapi/linux
	install -m 644 $(filter kmod/%,$(DKMS_SOURCES)) $(DESTDIR)$(DKMSDIR)/kmod/
	install -m 644 include/uapi/linux/dmacopy.h $(DESTDIR)$(DKMSDIR)/include/uapi/linux/
	sed 's|@VERSION@|$(VERSION)|g' kmod/dkms.conf.in > $(DESTDIR)$(DKMSDIR)/dkms.conf
	chmod 644 $(DESTDIR)$(DKMSDIR)/dkms.conf

uninstall-dkms:
	rm -f $(DKMS_INSTALLED)
	for d in kmod include/uapi/linux include/uapi include; do \
		[ ! -d "$(DESTDIR)$(DKMSDIR)/$$d" ] || rmdir "$(DESTDIR)$(DKMSDIR)/$$d"; done
	[ ! -d "$(DESTDIR)$(DKMSDIR)" ] || rmdir "$(DESTDIR)$(DKMSDIR)"

check-install: all
	tests/install/run

# Builds the Debian packages in a copy of the tree, installs them here (root), builds and runs
# programs against them, loads the DKMS-built module in a guest, purges them (docs/packaging.md).
check-packages: kernels
	tests/packages/run

FORCE:

format:
	clang-format -i $(LIB_SRCS) $(SPDK_SRCS) $(TOOL_SRCS) $(UNIT_SRCS) include/dmacopy.h lib/*.h \
		lib/spdk/*.h include/spdk/*.h include/dmacopy/pci_ids.h \
		include/dmacopy/remedies.h

clean:
	rm -rf $(B)

-include $(LIB_OBJS:.o=.d) $(SPDK_OBJS:.o=.d) $(TOOL_OBJS:.o=.d)
