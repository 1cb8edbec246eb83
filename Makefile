# strobe — one entry point: build, test, demo, bench, install, deps.
#   make            build build/strobe, build/lib/strobe/*.so, build/plugins.d/*.ini
#   make test       install missing Debian packages, build, run unit + runtime tests
#   make test-kernel  the runtime tests again inside Debian's 6.1 kernel under QEMU
#   make test-image   the container image's contents in a Debian 12 rootfs (mmdebstrap, chroot)
#   make demo       build and run a real trace for a few seconds
#   make SANITIZE=1 ...   the same with ASan + UBSan
#   make fuzz       libFuzzer over the front end for FUZZ_SECONDS (default 60), clang, build-fuzz/

LLVM_VERSION ?= 14
LLVM_CONFIG  ?= llvm-config-$(LLVM_VERSION)
PREFIX       ?= /usr/local
DESTDIR      ?=
BUILD        ?= build

# Debian packages the build and the tests need (checked by `make deps`).
DEB_PACKAGES := gcc g++ make pkg-config libbpf-dev libelf-dev zlib1g-dev llvm-$(LLVM_VERSION)-dev \
                libinih-dev liblua5.4-dev libcmocka-dev systemtap-sdt-dev linux-libc-dev libc6-dev liblzma-dev xz-utils binutils \
                bpftrace clang-$(LLVM_VERSION) libclang-rt-$(LLVM_VERSION)-dev \
                openjdk-17-jdk-headless
# Installed by `make deps` for the tests only: the flame graph test opens the SVG in headless
# Chromium and checks it with xmllint; the Prometheus test scrapes strobe with the real server;
# the python: tests trace Debian's python3.11 (built with USDT probes) and a program linked
# with its libpython3.11.so (libpython3.11-dev), the lazy-loading tests watch strobe with strace.
TEST_DEB_PACKAGES := chromium libxml2-utils prometheus mmdebstrap python3.11 libpython3.11-dev strace

CC       ?= cc
# Warnings are errors for developers and CI; `make RELEASE=1` (a user's build) only warns.
WARN     := -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Wvla \
            -Wno-unused-parameter -Wno-missing-field-initializers $(if $(RELEASE),,-Werror)
CFLAGS   ?= -O2 -g
CFLAGS   += -std=gnu11 $(WARN) -ffunction-sections -fvisibility=hidden -Iinclude -D_GNU_SOURCE -DSTROBE_PREFIX=\"$(PREFIX)\"
LDFLAGS  ?=
ifeq ($(SANITIZE),1)
BUILD    := build-san
CFLAGS   += -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
LDFLAGS  += -fsanitize=address,undefined
endif
# FUZZ=1: the core built by clang with libFuzzer's coverage, ASan and UBSan (make fuzz).
ifeq ($(FUZZ),1)
BUILD    := build-fuzz
CC       := clang-$(LLVM_VERSION)
CFLAGS   += -fsanitize=fuzzer-no-link,address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
LDFLAGS  += -fsanitize=address,undefined
endif

LLVM_CFLAGS := $(shell $(LLVM_CONFIG) --cflags 2>/dev/null | sed 's/-std=[^ ]*//; s/-W[^ ]*//g')
# strobe links the LLVM components it uses statically: loading and relocating
# the whole libLLVM.so costs ~10 ms and ~30 MB of RSS at every start.
# Unit tests link the shared library, which links faster.
LLVM_COMPONENTS := bpf core passes target analysis
LLVM_STATIC := $(shell $(LLVM_CONFIG) --ldflags 2>/dev/null) \
               $(shell $(LLVM_CONFIG) --link-static --libs $(LLVM_COMPONENTS) 2>/dev/null) -Wl,-Bstatic -lstdc++ -Wl,-Bdynamic -ltinfo -lpthread
LLVM_SHARED := $(shell $(LLVM_CONFIG) --ldflags --libs 2>/dev/null)
SYS_LIBS    := -lbpf -lelf -lz -linih -ldl -lm -lpthread
CORE_LIBS   := $(LLVM_SHARED) $(SYS_LIBS)

# `make V=1` shows the commands.
ifneq ($(V),1)
Q := @
quiet = @echo "  $(1)	$@";
endif

CORE_SRCS  := $(filter-out core/main.c,$(wildcard core/*.c core/lang/*.c core/runtime/*.c))
CORE_OBJS  := $(CORE_SRCS:%.c=$(BUILD)/obj/%.o)
MAIN_OBJ   := $(BUILD)/obj/core/main.o
CORE_LIB   := $(BUILD)/libstrobe-core.a

# Every directory under providers/ and outputs/ is one module: build/lib/strobe/<dir>.so,
# except providers/lib/: helpers (hidden symbols) archived once and linked into every
# provider, which takes from the archive only the files it calls.
# providers/python and providers/jvm are built apart, as third parties build
# theirs: their own Makefile and `pkg-config strobe` (RUNTIME_PROVIDERS below).
RUNTIME_PROVIDERS := $(notdir $(wildcard providers/python providers/jvm))
comma := ,
MODULE_DIRS := $(filter-out providers/lib $(RUNTIME_PROVIDERS:%=providers/%),$(wildcard providers/* outputs/*))
PROVIDERS  := $(notdir $(filter providers/%,$(MODULE_DIRS)))
OUTPUTS    := $(notdir $(wildcard outputs/*))
MODULES    := $(PROVIDERS:%=$(BUILD)/lib/strobe/%.so) $(OUTPUTS:%=$(BUILD)/lib/strobe/%.so)
PROVIDER_LIB := $(BUILD)/libstrobe-providers.a
INIS       := $(patsubst plugins.d/%,$(BUILD)/plugins.d/%,$(wildcard plugins.d/*.ini))
# Per-module link flags: MODLIBS_<dir> (default: libbpf)
MODLIBS_lua := -llua5.4
MODLIBS_text :=
MODLIBS_json :=
MODLIBS_flame :=
MODLIBS_prometheus :=
MODLIBS_uprobe := -lbpf -lelf -llzma -lstdc++
MODLIBS_usdt := -lbpf -lelf -llzma

# The runtime providers against the build tree: an uninstalled strobe.pc
# (headers from include/, modules and INIs into $(BUILD)) and each one's
# own `make install`.
STROBE_VERSION := $(shell sed -n 's/^\#define STROBE_VERSION "\(.*\)"/\1/p' core/main.c)
PROVIDER_ABI   := $(shell sed -n 's/^\#define STROBE_PROVIDER_ABI //p' include/strobe/provider.h)
RUNTIME_INIS := $(RUNTIME_PROVIDERS:%=$(BUILD)/plugins.d/%.ini)
RUNTIME_MODULES := $(RUNTIME_PROVIDERS:%=$(BUILD)/lib/strobe/%.so)
BUILD_PC     := $(BUILD)/pkgconfig/strobe.pc
UNIT_SRCS  := $(wildcard tests/unit/test_*.c)
UNIT_BINS  := $(UNIT_SRCS:tests/unit/%.c=$(BUILD)/tests/%)
TEST_MODS  := $(patsubst tests/modules/%.c,$(BUILD)/tests/modules/%.so,$(wildcard tests/modules/*.c))
TEST_PROGS := $(patsubst tests/progs/%.c,$(BUILD)/tests/progs/%,$(wildcard tests/progs/*.c)) \
              $(patsubst tests/progs/%.cc,$(BUILD)/tests/progs/%,$(wildcard tests/progs/*.cc)) \
              $(BUILD)/tests/progs/uprobe_target_minidebug $(BUILD)/tests/progs/uprobe_target_nopie
CXX      ?= g++
# the jvm: tests' program, where a JDK is installed
JAVAC    := $(shell command -v javac)
TEST_PROGS += $(if $(JAVAC),$(BUILD)/tests/progs/Calls.class)
# the python: tests' interpreter whose probes are in libpython3.11.so, where libpython3.11-dev is installed
LIBPYTHON311 := $(shell $(CC) -print-file-name=libpython3.11.so 2>/dev/null)
TEST_PROGS += $(if $(findstring /,$(LIBPYTHON311)),$(BUILD)/tests/progs/pyembed)

.PHONY: all deps test test-kernel test-image unit runtime demo bench install clean check-deps link-order check-src fuzz fuzz-run
all: $(BUILD)/strobe $(MODULES) $(INIS) $(RUNTIME_INIS)

$(BUILD)/obj/core/lang/%.o: core/lang/%.c
	@mkdir -p $(@D)
	$(call quiet,CC)$(CC) $(CFLAGS) $(LLVM_CFLAGS) -MMD -MP -c $< -o $@

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(@D)
	$(call quiet,CC)$(CC) $(CFLAGS) -MMD -MP -c $< -o $@

# syscall_name(): this architecture's "{ NR, "name" }," lines from the C library's headers
SYSCALL_NAMES := $(BUILD)/gen/syscall_names.h
$(SYSCALL_NAMES):
	@mkdir -p $(@D)
	$(call quiet,GEN)printf '#include <sys/syscall.h>\n' | $(CC) -dM -E -x c - | \
		sed -n 's/^#define __NR_\([a-z0-9_]*\) \([0-9][0-9]*\)$$/{ \2, "\1" },/p' | sort -t, -k1.3n >$@.tmp && \
		test -s $@.tmp && mv $@.tmp $@
$(BUILD)/obj/core/runtime/syscalls.o: $(SYSCALL_NAMES)
$(BUILD)/obj/core/runtime/syscalls.o: CFLAGS += -I$(BUILD)/gen

$(CORE_LIB): $(CORE_OBJS)
	@rm -f $@
	$(call quiet,AR)ar rcs $@ $^

# Not position independent: a PIE carries ~41k relative relocations for LLVM's
# vtables (1 MiB of .rela.dyn read and 0.4 MiB of .data.rel.ro written at every
# start); without them those pages are only read when used.
# Linked by gold with the functions a run executes first and together
# (build-aux/link-order.txt, `make link-order` regenerates it): ~4 MiB of the
# 25 MiB of text, which otherwise spreads over 18 MiB of touched pages.
LINK_ORDER := $(BUILD)/link-order.sections
$(LINK_ORDER): build-aux/link-order.txt
	@mkdir -p $(@D)
	$(call quiet,GEN){ echo .text.startup; sed 's/^/.text./' $<; } >$@ # static constructors first

# (binutils has gold on Debian 12; without it the link is in input order)
GOLD_FLAGS := -fuse-ld=gold -Wl,--section-ordering-file=$(LINK_ORDER)
LINK_ORDER_FLAGS := $(if $(shell command -v ld.gold),$(GOLD_FLAGS))

$(BUILD)/strobe: $(MAIN_OBJ) $(CORE_LIB) $(LINK_ORDER)
	$(call quiet,LINK)$(CC) $(LDFLAGS) -no-pie $(LINK_ORDER_FLAGS) \
		-Wl,--gc-sections -o $@ $(MAIN_OBJ) $(CORE_LIB) $(LLVM_STATIC) $(SYS_LIBS)

link-order: all
	build-aux/link-order
	$(MAKE) all

# Modules: position independent, only the entry symbol exported (visibility).
$(BUILD)/obj/mod/%.o: %.c
	@mkdir -p $(@D)
	$(call quiet,CC)$(CC) $(CFLAGS) -fPIC -MMD -MP -c $< -o $@

$(PROVIDER_LIB): $(patsubst %.c,$(BUILD)/obj/mod/%.o,$(wildcard providers/lib/*.c))
	@rm -f $@
	$(call quiet,AR)ar rcs $@ $^

define module_rule
$(BUILD)/lib/strobe/$(notdir $(1)).so: $(patsubst %.c,$(BUILD)/obj/mod/%.o,$(wildcard $(1)/*.c)) $(if $(filter providers/%,$(1)),$(PROVIDER_LIB))
	@mkdir -p $$(@D)
	$$(call quiet,LINK)$$(CC) $$(LDFLAGS) -shared -Wl,-z,defs -o $$@ $$^ $$(if $$(filter undefined,$$(origin MODLIBS_$(notdir $(1)))),-lbpf,$$(MODLIBS_$(notdir $(1))))
endef
$(foreach m,$(MODULE_DIRS),$(eval $(call module_rule,$(m))))

# The syscall numbers of the tracepoint provider (providers/tracepoint/sysnr.h):
# the #define lines of <asm/unistd_64.h>, as C string literals.
SYSCALL_HEADER ?= $(firstword $(wildcard /usr/include/$(shell $(CC) -print-multiarch 2>/dev/null)/asm/unistd_64.h /usr/include/asm/unistd_64.h))
$(BUILD)/gen/sysnr_header.inc: $(SYSCALL_HEADER)
	@mkdir -p $(@D)
	$(call quiet,GEN)sed -n 's/\\/\\\\/g; s/"/\\"/g; s/^\(#define __NR_.*\)$$/"\1\\n"/p' $(or $(SYSCALL_HEADER),/dev/null) >$@
$(BUILD)/obj/mod/providers/tracepoint/sysnr_table.o: $(BUILD)/gen/sysnr_header.inc
$(BUILD)/obj/mod/providers/tracepoint/sysnr_table.o: CFLAGS += -I$(BUILD)/gen

$(BUILD_PC): build-aux/strobe.pc.in Makefile
	@mkdir -p $(@D)
	$(call quiet,GEN)sed -e 's#@PREFIX@#$(CURDIR)#' -e 's#@VERSION@#$(STROBE_VERSION)#' -e 's#@ABI@#$(PROVIDER_ABI)#' \
	  -e 's#^moduledir=.*#moduledir=$(abspath $(BUILD))/lib/strobe#' -e 's#^plugindir=.*#plugindir=$(abspath $(BUILD))/plugins.d#' $< >$@

RUNTIME_CFLAGS := $(if $(filter 1,$(SANITIZE)),CFLAGS="-O1 -g -fsanitize=address$(comma)undefined")
define runtime_rule
$(BUILD)/plugins.d/$(1).ini: $(wildcard providers/$(1)/*) $(wildcard include/strobe/*.h) $(BUILD_PC)
	$$(call quiet,MAKE)PKG_CONFIG_PATH=$(abspath $(BUILD))/pkgconfig $$(MAKE) -s -C providers/$(1) install DESTDIR= \
	  OUT=$(abspath $(BUILD))/obj/mod/providers/$(1) $$(RUNTIME_CFLAGS)
endef
$(foreach p,$(RUNTIME_PROVIDERS),$(eval $(call runtime_rule,$(p))))

$(BUILD)/plugins.d/%.ini: plugins.d/%.ini
	@mkdir -p $(@D)
	$(call quiet,CP)cp $< $@

# Unit tests (cmocka) link the core library.
$(BUILD)/tests/%: tests/unit/%.c $(CORE_LIB)
	@mkdir -p $(@D)
	$(call quiet,TEST)$(CC) $(CFLAGS) $(LLVM_CFLAGS) -Icore -MMD -MP $(LDFLAGS) -o $@ $< $(CORE_LIB) $(CORE_LIBS) -lcmocka

# test_elfsym includes providers/lib/uelf.c (MiniDebugInfo needs liblzma).
$(BUILD)/tests/test_elfsym: CORE_LIBS += -llzma

$(BUILD)/tests/modules/%.so: tests/modules/%.c
	@mkdir -p $(@D)
	$(call quiet,LINK)$(CC) $(CFLAGS) -fPIC -shared -MMD -MP -MF $(@:.so=.d) $(LDFLAGS) -o $@ $<

# Target programs for runtime tests: plain, with frame pointers and symbols.
$(BUILD)/tests/progs/%: tests/progs/%.c
	@mkdir -p $(@D)
	$(call quiet,CC)$(CC) -O1 -g -fno-omit-frame-pointer -o $@ $<

# C++ targets (demangled uprobe names).
$(BUILD)/tests/progs/%: tests/progs/%.cc
	@mkdir -p $(@D)
	$(call quiet,CXX)$(CXX) -O1 -g -fno-omit-frame-pointer -o $@ $<

$(BUILD)/tests/progs/%.class: tests/progs/%.java
	@mkdir -p $(@D)
	$(call quiet,JAVAC)$(JAVAC) -d $(@D) $<

# uprobe_target stripped of .symtab, which lives on in .gnu_debugdata (MiniDebugInfo,
# as Fedora ships it): an xz-compressed ELF made by objcopy --only-keep-debug.
$(BUILD)/tests/progs/uprobe_target_minidebug: tests/progs/uprobe_target.c
	@mkdir -p $(@D)
	$(call quiet,CC)$(CC) -O1 -g -fno-omit-frame-pointer -o $@.full $<
	$(Q)objcopy --only-keep-debug $@.full $@.debug
	$(Q)rm -f $@.debug.xz && xz -k $@.debug
	$(Q)objcopy --strip-all --add-section .gnu_debugdata=$@.debug.xz $@.full $@
	$(Q)rm -f $@.full $@.debug $@.debug.xz

# uprobe_target at a fixed address (uaddr() of an ET_EXEC object is absolute).
$(BUILD)/tests/progs/uprobe_target_nopie: tests/progs/uprobe_target.c
	@mkdir -p $(@D)
	$(call quiet,CC)$(CC) -O1 -g -fno-omit-frame-pointer -fno-pie -no-pie -o $@ $<

# A shared library of ours for the uprobe/usdt tests, and a program linked with it.
$(BUILD)/tests/progs/libstrobetest.so: tests/progs/lib/strobetest.c
	@mkdir -p $(@D)
	$(call quiet,CC)$(CC) -O1 -g -fno-omit-frame-pointer -fPIC -shared -o $@ $<

$(BUILD)/tests/progs/uselib: tests/progs/uselib.c $(BUILD)/tests/progs/libstrobetest.so
	@mkdir -p $(@D)
	$(call quiet,CC)$(CC) -O1 -g -fno-omit-frame-pointer -o $@ $< -L$(BUILD)/tests/progs -lstrobetest -Wl,-rpath,'$$ORIGIN'

# A python of our own: Py_BytesMain from libpython3.11.so (DT_NEEDED, RUNPATH $ORIGIN), no probes in itself.
$(BUILD)/tests/progs/pyembed: tests/progs/embed/pyembed.c
	@mkdir -p $(@D)
	$(call quiet,CC)$(CC) -O1 -g -o $@ $< -lpython3.11 -Wl,-rpath,'$$ORIGIN'

-include $(shell find $(BUILD)/obj $(BUILD)/tests -name '*.d' 2>/dev/null)

check-deps:
	@missing=""; for p in $(DEB_PACKAGES); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q 'install ok installed' || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then echo "missing Debian packages:$$missing (run: make deps)"; exit 1; fi

deps:
	@missing=""; for p in $(DEB_PACKAGES) $(TEST_DEB_PACKAGES); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q 'install ok installed' || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing; \
	fi

test: deps check-src
	$(MAKE) all tests-build SANITIZE=$(SANITIZE)
	BUILD=$(BUILD) tests/run

# C library calls the project decided against: unbounded copies and the non-reentrant strtok.
BANNED_CALLS := strcpy strcat sprintf vsprintf gets strtok
empty :=
space := $(empty) $(empty)
check-src:
	@bad=$$(grep -rnE '\b($(subst $(space),|,$(BANNED_CALLS)))\(' core providers outputs include \
	  --include='*.c' --include='*.h' || true); \
	if [ -n "$$bad" ]; then echo "$$bad"; echo "check-src: use the bounded or reentrant form (snprintf, memcpy, strtok_r)"; exit 1; fi
	@long=$$(find core -name '*.[ch]' -exec awk 'END { if (NR > 1000) print FILENAME ": " NR " lines" }' {} \;); \
	if [ -n "$$long" ]; then echo "$$long"; echo "check-src: a core file stays under 1000 lines (docs/architecture.md): split it by concern"; exit 1; fi

tests-build: $(UNIT_BINS) $(TEST_MODS) $(TEST_PROGS)
.PHONY: tests-build

unit: all tests-build
	BUILD=$(BUILD) tests/run --unit

runtime: all tests-build
	BUILD=$(BUILD) tests/run --runtime

# The kernel lane: the runtime tests inside Debian's stock 6.1 kernel under
# QEMU (kprobes, fentry); installs qemu-system-x86, linux-image-amd64 and
# busybox-static when missing. `make test-kernel FILTER=kprobe` runs a subset.
test-kernel: deps
	$(MAKE) all tests-build SANITIZE=$(SANITIZE)
	BUILD=$(BUILD) tests/kernel/run $(FILTER)

# The container image lane (Dockerfile): a Debian 12 rootfs of exactly
# packaging/runtime-packages.txt built by mmdebstrap (installed when missing;
# cached in /var/tmp/strobe-image by the list's hash), `make install` into it
# and strobe run there under chroot, against the host's kernel and a host
# process. Not part of `make test` (network, root, ~40 s the first time).
test-image: deps
	$(MAKE) all tests-build
	BUILD=$(BUILD) tests/image/run

demo: deps
	$(MAKE) all SANITIZE=$(SANITIZE)
	@echo "== syscalls per process for 3 seconds =="
	$(BUILD)/strobe -e 'tracepoint:raw_syscalls:sys_enter { @[comm] = count(); } interval:s:3 { exit(); }'

bench: all
	bench/run

# The fuzz target over the front end (tests/fuzz/fuzz_check.c). Seeds come from
# the tree; what it finds goes to build-fuzz/crash-*: add it to
# tests/fuzz/regressions/, which `make test` replays. `make test` runs `make fuzz`
# for 60 s too, as a runtime test (tests/runtime/fuzz.test, scripts/fuzz.sh).
FUZZ_SECONDS ?= 60
fuzz: deps
	$(MAKE) FUZZ=1 fuzz-run FUZZ_SECONDS=$(FUZZ_SECONDS)

fuzz-run: $(BUILD)/fuzz_check
	tests/fuzz/seeds $(BUILD)/fuzz-seeds
	@mkdir -p $(BUILD)/fuzz-corpus
	$(BUILD)/fuzz_check -max_total_time=$(FUZZ_SECONDS) -timeout=10 -rss_limit_mb=4096 -print_final_stats=1 \
		-artifact_prefix=$(BUILD)/ $(BUILD)/fuzz-corpus $(BUILD)/fuzz-seeds

$(BUILD)/fuzz_check: tests/fuzz/fuzz_check.c $(CORE_LIB)
	$(call quiet,LINK)$(CC) $(CFLAGS) $(LLVM_CFLAGS) -Icore -fsanitize=fuzzer $(LDFLAGS) -o $@ $< $(CORE_LIB) $(CORE_LIBS)

# The module ABI for third parties: include/strobe/*.h and strobe.pc
# (`pkg-config --cflags strobe`, `--variable=moduledir` for the .so,
# `--variable=plugindir` for its INI); docs/providers.md has the build line.
# python.so and jvm.so (RUNTIME_PROVIDERS) are built by `make all` with their own
# Makefiles against build/'s uninstalled strobe.pc and installed here like the
# others: their INI names the module relative to itself (library = ../NAME.so),
# so the prefix may move (DESTDIR, a container's rootfs).
PKGCONFIGDIR ?= $(PREFIX)/lib/pkgconfig

install: all
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/lib/strobe/plugins.d \
	  $(DESTDIR)$(PREFIX)/include/strobe $(DESTDIR)$(PKGCONFIGDIR)
	install -m 0755 $(BUILD)/strobe $(DESTDIR)$(PREFIX)/bin/strobe
	install -m 0644 $(MODULES) $(DESTDIR)$(PREFIX)/lib/strobe/
	for f in $(INIS); do \
	  sed 's#^library *= *\.\./lib/strobe/#library = ../#' $$f > $(DESTDIR)$(PREFIX)/lib/strobe/plugins.d/$$(basename $$f); \
	done
	$(if $(RUNTIME_MODULES),install -m 0644 $(RUNTIME_MODULES) $(DESTDIR)$(PREFIX)/lib/strobe/)
	for p in $(RUNTIME_PROVIDERS); do \
	  sed "s#^library *=.*#library = ../$$p.so#" providers/$$p/$$p.ini > $(DESTDIR)$(PREFIX)/lib/strobe/plugins.d/$$p.ini; \
	done
	install -m 0644 include/strobe/*.h $(DESTDIR)$(PREFIX)/include/strobe/
	sed -e 's#@PREFIX@#$(PREFIX)#' -e 's#@VERSION@#$(STROBE_VERSION)#' \
	  -e 's#@ABI@#$(PROVIDER_ABI)#' \
	  build-aux/strobe.pc.in >$(DESTDIR)$(PKGCONFIGDIR)/strobe.pc

# ---- install extras, uninstall, man page (issue 20) -------------------------
# `make install` also puts the man page, the bash completion and tools/ under
# PREFIX (the install recipe above does the binary, modules and plugins.d);
# `make uninstall` removes exactly what install puts there.
DEB_PACKAGES += scdoc
MANDIR        ?= $(PREFIX)/share/man
COMPLETIONDIR ?= $(PREFIX)/share/bash-completion/completions
TOOLSDIR      ?= $(PREFIX)/share/strobe/tools
MAN_PAGE      := $(BUILD)/strobe.8
TOOLS         := $(wildcard tools/*.bt)

.PHONY: man install-extras uninstall
man: $(MAN_PAGE)
$(MAN_PAGE): docs/strobe.8.scd
	@mkdir -p $(@D)
	$(call quiet,SCDOC)scdoc <$< >$@.tmp && mv $@.tmp $@

# the man page for the tests when scdoc is there (`make test` installs it)
tests-build: $(if $(shell command -v scdoc),$(MAN_PAGE))

install: install-extras
install-extras: $(MAN_PAGE)
	install -d $(DESTDIR)$(MANDIR)/man8 $(DESTDIR)$(COMPLETIONDIR) $(DESTDIR)$(TOOLSDIR)
	install -m 0644 $(MAN_PAGE) $(DESTDIR)$(MANDIR)/man8/strobe.8
	install -m 0644 completion/strobe.bash $(DESTDIR)$(COMPLETIONDIR)/strobe
	install -m 0755 $(TOOLS) $(DESTDIR)$(TOOLSDIR)/
	install -m 0644 tools/README.md $(DESTDIR)$(TOOLSDIR)/README.md

uninstall:
	rm -f $(DESTDIR)$(PREFIX)/bin/strobe
	rm -f $(addprefix $(DESTDIR)$(PREFIX)/lib/strobe/,$(notdir $(MODULES)) $(RUNTIME_PROVIDERS:%=%.so))
	rm -f $(addprefix $(DESTDIR)$(PREFIX)/lib/strobe/plugins.d/,$(notdir $(INIS)) $(RUNTIME_PROVIDERS:%=%.ini))
	rm -f $(addprefix $(DESTDIR)$(PREFIX)/include/strobe/,$(notdir $(wildcard include/strobe/*.h)))
	rm -f $(DESTDIR)$(or $(PKGCONFIGDIR),$(PREFIX)/lib/pkgconfig)/strobe.pc
	rm -f $(DESTDIR)$(MANDIR)/man8/strobe.8 $(DESTDIR)$(COMPLETIONDIR)/strobe
	rm -f $(addprefix $(DESTDIR)$(TOOLSDIR)/,$(notdir $(TOOLS)) README.md)
	-rmdir $(DESTDIR)$(PREFIX)/lib/strobe/plugins.d $(DESTDIR)$(PREFIX)/lib/strobe \
	  $(DESTDIR)$(PREFIX)/include/strobe $(DESTDIR)$(TOOLSDIR) $(DESTDIR)$(PREFIX)/share/strobe 2>/dev/null || true
# ---- end of issue 20's block -----------------------------------------------

clean:
	rm -rf build build-san build-fuzz
