# dmacopy top-level build.
#
#   make              library, CLI, pkg-config file
#   make check        install missing packages, build, unit tests (plain and ASan/UBSan), CLI tests,
#                     kernel modules, QEMU with the project's devices, guest tests on both kernels
#   make demo         build and show dmacopy on this machine and in the emulated machine
#   make bench        benchmarks (see bench/README.md)
#   make install      PREFIX=/usr/local DESTDIR=
#
# All output goes to build/.

PREFIX ?= /usr/local
DESTDIR ?=
LIBDIR ?= $(PREFIX)/lib
INCLUDEDIR ?= $(PREFIX)/include
BINDIR ?= $(PREFIX)/bin
MANDIR ?= $(PREFIX)/share/man

CC ?= cc
B := build
VERSION := 0.1.0
SONAME := libdmacopy.so.0

WARN := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes
BASE_CFLAGS := -std=gnu11 -g -pthread -Iinclude -Ilib $(WARN)
OPT_CFLAGS := -O2 -fPIC
SAN_CFLAGS := -O1 -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=all
CFLAGS ?=
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

.PHONY: vm-progs bench-progs all lib tools check check-unit check-cli check-vm kmods qemu kernels deps demo bench \
	install uninstall clean format checkpatch

all: lib tools $(B)/libdmacopy.pc

lib: $(B)/lib/libdmacopy.a $(B)/lib/$(SONAME) $(B)/lib/libdmacopy-spdk.a
tools: $(B)/bin/dmacopy

$(B)/obj/%.o: %.c $(wildcard include/*.h include/*/*.h lib/*.h tools/*.h)
	@mkdir -p $(@D)
	$(CC) $(BASE_CFLAGS) $(OPT_CFLAGS) $(CFLAGS) -MMD -MP -c -o $@ $<

$(B)/san/%.o: %.c $(wildcard include/*.h include/*/*.h lib/*.h tools/*.h)
	@mkdir -p $(@D)
	$(CC) $(BASE_CFLAGS) $(SAN_CFLAGS) $(CFLAGS) -c -o $@ $<

$(B)/lib/libdmacopy.a: $(LIB_OBJS)
	@mkdir -p $(@D)
	rm -f $@
	ar rcs $@ $^

$(B)/lib/$(SONAME): $(LIB_OBJS) lib/libdmacopy.map
	@mkdir -p $(@D)
	$(CC) -shared -Wl,-soname,$(SONAME) -Wl,--version-script=lib/libdmacopy.map \
		-Wl,--no-undefined -o $@ $(LIB_OBJS) $(LDLIBS_LIB)
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

$(B)/bin/dmacopy: $(TOOL_OBJS) $(B)/lib/libdmacopy.a
	@mkdir -p $(@D)
	$(CC) -o $@ $(TOOL_OBJS) $(B)/lib/libdmacopy.a -pthread -lm

$(B)/libdmacopy.pc: lib/libdmacopy.pc.in Makefile
	@mkdir -p $(@D)
	sed -e 's|@PREFIX@|$(PREFIX)|' -e 's|@LIBDIR@|$(LIBDIR)|' \
	    -e 's|@INCLUDEDIR@|$(INCLUDEDIR)|' -e 's|@VERSION@|$(VERSION)|' $< > $@

# ---- unit tests: each tests/unit/test_*.c is one cmocka program --------------------------------

$(B)/tests/%: tests/unit/%.c $(B)/lib/libdmacopy.a
	@mkdir -p $(@D)
	$(CC) $(BASE_CFLAGS) -O2 $(CFLAGS) -o $@ $< $(B)/lib/libdmacopy.a -lcmocka -pthread

$(B)/tests-san/%: tests/unit/%.c $(B)/lib/libdmacopy-san.a
	@mkdir -p $(@D)
	$(CC) $(BASE_CFLAGS) $(SAN_CFLAGS) $(CFLAGS) -o $@ $< $(B)/lib/libdmacopy-san.a -lcmocka \
		-pthread

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

# Benchmark peers built against other projects' installed libraries (bench/dmadev: DPDK dmadev).
bench-progs: $(B)/bench/rte_dma_bench

$(B)/bench/rte_dma_bench: bench/dmadev/rte_dma_bench.c
	@mkdir -p $(@D)
	$(CC) -O2 $(WARN) $$(pkg-config --cflags libdpdk) -o $@ $< $$(pkg-config --libs libdpdk)

check-unit: $(UNIT_BINS) $(UNIT_SAN_BINS)
	@scripts/run-tests "unit" $(UNIT_BINS)
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

check: deps
	$(MAKE) all
	$(MAKE) check-unit
	$(MAKE) check-cli
	$(MAKE) checkpatch
	$(MAKE) check-vm

checkpatch:
	scripts/checkpatch-all

# ---- demo and benchmarks -------------------------------------------------------------------------

demo: all
	scripts/demo

bench: all
	bench/run

# ---- install -------------------------------------------------------------------------------------

install: all
	install -d $(DESTDIR)$(LIBDIR)/pkgconfig $(DESTDIR)$(INCLUDEDIR) $(DESTDIR)$(BINDIR) \
		$(DESTDIR)$(MANDIR)/man1
	install -m 644 include/dmacopy.h $(DESTDIR)$(INCLUDEDIR)/
	install -d $(DESTDIR)$(INCLUDEDIR)/spdk
	install -m 644 $(wildcard include/spdk/*.h) $(DESTDIR)$(INCLUDEDIR)/spdk/
	install -m 644 $(B)/lib/libdmacopy-spdk.a $(DESTDIR)$(LIBDIR)/
	install -m 644 $(B)/lib/libdmacopy.a $(DESTDIR)$(LIBDIR)/
	install -m 755 $(B)/lib/$(SONAME) $(DESTDIR)$(LIBDIR)/
	ln -sf $(SONAME) $(DESTDIR)$(LIBDIR)/libdmacopy.so
	install -m 644 $(B)/libdmacopy.pc $(DESTDIR)$(LIBDIR)/pkgconfig/
	install -m 755 $(B)/bin/dmacopy $(DESTDIR)$(BINDIR)/
	install -m 644 $(wildcard docs/man/*.1) $(DESTDIR)$(MANDIR)/man1/

uninstall:
	rm -f $(DESTDIR)$(INCLUDEDIR)/dmacopy.h $(DESTDIR)$(LIBDIR)/libdmacopy.a \
		$(DESTDIR)$(LIBDIR)/$(SONAME) $(DESTDIR)$(LIBDIR)/libdmacopy.so \
		$(DESTDIR)$(LIBDIR)/pkgconfig/libdmacopy.pc $(DESTDIR)$(BINDIR)/dmacopy \
		$(DESTDIR)$(LIBDIR)/libdmacopy-spdk.a \
		$(patsubst include/%,$(DESTDIR)$(INCLUDEDIR)/%,$(wildcard include/spdk/*.h)) \
		$(patsubst docs/man/%,$(DESTDIR)$(MANDIR)/man1/%,$(wildcard docs/man/*.1))

format:
	clang-format -i $(LIB_SRCS) $(SPDK_SRCS) $(TOOL_SRCS) $(UNIT_SRCS) include/dmacopy.h lib/*.h \
		lib/spdk/*.h include/spdk/*.h

clean:
	rm -rf $(B)

-include $(LIB_OBJS:.o=.d) $(SPDK_OBJS:.o=.d) $(TOOL_OBJS:.o=.d)
