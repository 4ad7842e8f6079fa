# SPDX-License-Identifier: GPL-2.0
#
# vmbus: a Hyper-V VMBus guest subsystem and a simulated Hyper-V host.
#
#   make run     build, boot Debian's kernel in QEMU with our modules, show the bus
#   make check   every test lane (what CI runs)
#   make soak    the debug-kernel lane with every test at its full count
#   make bench   speed against baselines measured in the same run
#
# Each target installs what it needs first (scripts/setup-packages.sh).

REPO      := $(abspath $(dir $(lastword $(MAKEFILE_LIST))))
BUILD     := $(REPO)/build
ABI        = $(shell $(REPO)/scripts/kernel-abi.sh)
DIST_KDIR  = /lib/modules/$(ABI)/build
DEBUG_KDIR := $(BUILD)/debug-kernel/src
QEMU_RUN  := $(REPO)/tools/testing/selftests/vmbus/qemu/run.sh
TESTS_OUT := $(BUILD)/tests
# Distribution drivers the QEMU lanes add to the initramfs (with their
# modules.dep dependencies; our hv_vmbus wins).
EXTRA_MODS := hv_utils uio_hv_generic hv_storvsc sd_mod hv_sock hv_netvsc
# The debug lane of `make check` runs the longest loops shorter (KASAN and
# lockdep under TCG cost about ten times the distribution kernel's time);
# `make soak` runs them at the tests' full defaults.
DEBUG_CHECK_PARAMS := vmbus_echo_count=200000 vmbus_hibernate_cycles=5

.PHONY: all setup modules modules-dist modules-debug debug-kernel tests lint \
	check check-build check-userspace check-models check-qemu-dist check-crc-debug \
	check-qemu-debug soak run bench clean

all: modules

setup:
	@$(REPO)/scripts/setup-packages.sh

# Kbuild writes its objects next to the sources, so each kernel gets its own
# copy of the tree under build/obj/<kernel>.
modules-dist: setup
	@$(REPO)/scripts/build-modules.sh dist $(DIST_KDIR)

modules-debug: debug-kernel
	@$(REPO)/scripts/build-modules.sh debug $(DEBUG_KDIR)

modules: modules-dist

debug-kernel: setup
	@$(REPO)/scripts/build-debug-kernel.sh

tests: setup
	@$(MAKE) -s -C $(REPO)/tools/testing/selftests/vmbus O=$(TESTS_OUT)

lint: setup
	@$(REPO)/scripts/lint.sh $(DIST_KDIR)

check-build: modules-dist lint
	@$(REPO)/scripts/check-crc.sh dist $(DIST_KDIR)/Module.symvers \
		$$($(REPO)/scripts/fetch-dist-kernel.sh)/lib/modules/$(ABI)

# drivers/hv/ring_buffer.c in userspace: unit tests under ASan+UBSan, the
# two-thread test under TSan, then each fuzzer for FUZZ_SECONDS
# (tools/testing/vmbus/ring/Makefile).
FUZZ_SECONDS ?= 60
check-userspace: setup
	@$(MAKE) -s -C $(REPO)/tools/testing/vmbus/ring O=$(BUILD)/userspace \
		FUZZ_SECONDS=$(FUZZ_SECONDS) check

# Ring throughput: ours vs the target kernel's ring_buffer.c (extracted at
# bench time, never committed) vs a plain SPSC ring; table and
# build/bench/ring.json (tools/testing/vmbus/ring/bench/bench.sh).
bench: setup
	@$(REPO)/tools/testing/vmbus/ring/bench/bench.sh

check-models: setup
	@$(REPO)/scripts/check-models.sh

check-qemu-dist: modules-dist tests
	@$(QEMU_RUN) --kernel dist --mode check --modules $(BUILD)/modules/dist \
		--tests $(TESTS_OUT) --extra-modules "$(EXTRA_MODS)"

check-crc-debug: modules-debug
	@$(REPO)/scripts/check-crc.sh debug $(DEBUG_KDIR)/Module.symvers \
		$(BUILD)/debug-kernel/modroot/lib/modules/$$(make -s -C $(DEBUG_KDIR) kernelrelease) \
		--allow-missing

check-qemu-debug: check-crc-debug tests
	@$(QEMU_RUN) --kernel debug --mode check --modules $(BUILD)/modules/debug \
		--tests $(TESTS_OUT) --extra-modules "$(EXTRA_MODS)" \
		--params "$(DEBUG_CHECK_PARAMS)"

soak: check-crc-debug tests
	@$(QEMU_RUN) --kernel debug --mode check --modules $(BUILD)/modules/debug \
		--tests $(TESTS_OUT) --extra-modules "$(EXTRA_MODS)" --timeout 5400

check:
	@$(REPO)/scripts/check.sh

run: modules-dist tests
	@$(QEMU_RUN) --kernel dist --mode run --modules $(BUILD)/modules/dist \
		--tests $(TESTS_OUT) --extra-modules "$(EXTRA_MODS)"

clean:
	rm -rf $(BUILD) $(REPO)/tools/testing/selftests/vmbus/out
