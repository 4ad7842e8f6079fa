# SPDX-License-Identifier: GPL-2.0
#
# vmbus: a Hyper-V VMBus guest subsystem and a simulated Hyper-V host.
#
#   make run     build, boot Debian's kernel in QEMU with our modules, show the bus
#                (KVER=6.12 or KVER=6.12-rt: Debian's 6.12 kernel)
#   make check   every test lane (what CI runs)
#   make soak    the debug-kernel lane with every test at its full count
#   make soak-dist   the same on Debian's 6.1 kernel
#   make soak-kexec  the kexec lanes, 10 runs each
#   make bench   speed against baselines measured in the same run
#
# Each target installs what it needs first (scripts/setup-packages.sh).

REPO      := $(abspath $(dir $(lastword $(MAKEFILE_LIST))))
BUILD     := $(REPO)/build
ABI        = $(shell $(REPO)/scripts/kernel-abi.sh)
DIST_KDIR  = /lib/modules/$(ABI)/build
# Debian's 6.12 kernels: image, modules and headers unpacked under
# build/kernels by scripts/fetch-dist-kernel.sh, never installed.
ABI_612    = $(shell $(REPO)/scripts/kernel-abi.sh 6.12)
ABI_612_CLOUD = $(shell $(REPO)/scripts/kernel-abi.sh 6.12 cloud-amd64)
ABI_612_RT = $(shell $(REPO)/scripts/kernel-abi.sh 6.12 rt-amd64)
FETCH      := $(REPO)/scripts/fetch-dist-kernel.sh
DEBUG_KDIR := $(BUILD)/debug-kernel/src
INTREE_KDIR := $(BUILD)/intree-kernel/src
INTREE_612_KDIR := $(BUILD)/intree-6.12-kernel/src
INTREE_LANE := $(REPO)/tools/testing/selftests/vmbus/qemu/intree_lane.sh
QEMU_RUN  := $(REPO)/tools/testing/selftests/vmbus/qemu/run.sh
KEXEC_LANES := $(REPO)/tools/testing/selftests/vmbus/qemu/kexec-lanes.sh
TESTS_OUT := $(BUILD)/tests
# Distribution drivers the QEMU lanes add to the initramfs (with their
# modules.dep dependencies; our hv_vmbus wins); brd is storvsc_bench_test's
# baseline, veth netvsc_bench_test's, virtio_pci and virtio_blk drive the
# virtio disk storvsc_backing_test gives the simulated host.  ext4 and the
# crc32c it asks the crypto API for are optional: the debug kernel's config
# has none of these but brd, and the tests skip or fall back there
# (storvsc_fs_test its file system part, netvsc_bench_test veth,
# storvsc_backing_test to brd).
EXTRA_MODS := hv_utils uio_hv_generic hv_storvsc sd_mod hv_sock hv_netvsc brd veth:optional \
	virtio_pci:optional virtio_blk:optional \
	ext4:optional crc32c_generic:optional
# The lanes of `make check` run the longest loops shorter (KASAN and
# lockdep under TCG cost about ten times the distribution kernel's time,
# and CI has 90 minutes on two cores); `make soak` runs them at the tests'
# full defaults on the debug kernel, `make soak-dist` on Debian's 6.1.
SHORT_CHECK_PARAMS := vmbus_echo_count=200000 vmbus_hibernate_cycles=3 \
	vmbus_storvsc_fs_mb=64 vmbus_netvsc_tcp_mb=8 vmbus_hotplug_cycles=5 \
	vmbus_hostile_hibernate_cycles=5 vmbus_hvsock_cycles=100 \
	vmbus_storvsc_bench_mb=16 vmbus_storvsc_bench_ms=300 \
	vmbus_storvsc_hibernate_cycles=2 vmbus_netvsc_udp_count=20000 \
	vmbus_ic_reload_cycles=25 vmbus_load_unload_cycles=20 \
	vmbus_control_bench_rounds=1 vmbus_control_bench_offers=64 \
	vmbus_control_bench_chans=16

.PHONY: all setup modules modules-dist modules-debug debug-kernel tests lint \
	check check-build check-userspace check-models check-qemu-dist check-crc-debug \
	check-qemu-debug soak run bench bench-control bench-storvsc bench-netvsc bench-hvsock clean fuzz-repro modules-612 modules-612-rt \
	check-crc-612 modules-612-cloud check-qemu-612 check-qemu-612-rt check-qemu-612-rt-smoke \
	check-kexec \
	soak-kexec soak-dist check-kexec-612 check-kexec-debug intree-kernel modules-intree check-intree \
	intree-kernel-612 modules-intree-612 check-intree-612 \
	dkms-deb check-dkms check-dkms-rootdisk

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

# Against Debian's 6.12 headers (drivers/hv/compat.h holds the differences).
modules-612: setup
	@dir=$$($(FETCH) --headers 6.12 | tail -n 1) && \
	$(REPO)/scripts/build-modules.sh dist-6.12 $$dir/usr/src/linux-headers-$(ABI_612)

modules-612-rt: setup
	@dir=$$($(FETCH) --headers 6.12 rt-amd64 | tail -n 1) && \
	$(REPO)/scripts/build-modules.sh dist-6.12-rt $$dir/usr/src/linux-headers-$(ABI_612_RT)

debug-kernel: setup
	@$(REPO)/scripts/build-debug-kernel.sh

# Debian's 6.1 tree with our VMBus core built in (CONFIG_HYPERV=y) and the
# simulated host its module (scripts/build-kernel.sh intree), and the test
# drivers against it (the top-level Kbuild leaves drivers/hv/ to the tree).
intree-kernel: setup
	@$(REPO)/scripts/build-intree-kernel.sh

modules-intree: intree-kernel
	@$(REPO)/scripts/build-modules.sh intree $(INTREE_KDIR)

# The same from Debian's linux-source-6.12, under build/intree-6.12-kernel/.
intree-kernel-612: setup
	@$(REPO)/scripts/build-intree-kernel.sh 6.12

modules-intree-612: intree-kernel-612
	@$(REPO)/scripts/build-modules.sh intree-6.12 $(INTREE_612_KDIR)

tests: setup
	@$(MAKE) -s -C $(REPO)/tools/testing/selftests/vmbus O=$(TESTS_OUT)

lint: setup
	@$(REPO)/scripts/lint.sh $(DIST_KDIR)

check-build: modules-dist lint
	@$(REPO)/scripts/check-crc.sh dist $(DIST_KDIR)/Module.symvers \
		$$($(REPO)/scripts/fetch-dist-kernel.sh)/lib/modules/$(ABI)

# drivers/hv/ring_buffer.c in userspace: unit tests under ASan+UBSan, the
# two-thread test under TSan, then each fuzzer for FUZZ_SECONDS
# (tools/testing/vmbus/ring/Makefile); the benchmarks built, not run;
# make bench's summary table on made-up results; and which guest panics
# run.sh boots once more, on made-up consoles.
FUZZ_SECONDS ?= 60
check-userspace: setup
	@$(MAKE) -s -C $(REPO)/tools/testing/vmbus/ring O=$(BUILD)/userspace \
		FUZZ_SECONDS=$(FUZZ_SECONDS) check
	@$(REPO)/tools/testing/vmbus/ring/bench/bench.sh --build
	@$(REPO)/tools/testing/vmbus/bench_summary_test.sh
	@$(REPO)/tools/testing/selftests/vmbus/qemu/panic_retry_test.sh

# Run one fuzzer once on a crash file: make fuzz-repro FUZZER=msg CRASH=FILE
# (Documentation/virt/hyperv/testing.rst, "Reproducing a fuzzer crash").
fuzz-repro:
	@$(MAKE) -s -C $(REPO)/tools/testing/vmbus/ring O=$(BUILD)/userspace \
		FUZZER=$(FUZZER) CRASH=$(abspath $(CRASH)) repro

# Ring throughput: ours vs the target kernel's ring_buffer.c (extracted at
# bench time, never committed) vs a plain SPSC ring, in rounds, with a
# busy-polling and an interrupt-driven consumer; table and
# build/bench/ring.json (tools/testing/vmbus/ring/bench/bench.sh).  Then
# bench-control, bench-storvsc, bench-netvsc and bench-hvsock; last, one
# table of every figure against its baseline and target, from this run's
# JSON files only (tools/testing/vmbus/bench_summary.py).
bench: setup
	@mkdir -p $(BUILD)/bench && touch $(BUILD)/bench/.bench-start
	@$(REPO)/tools/testing/vmbus/ring/bench/bench.sh
	@$(MAKE) -s bench-control
	@$(MAKE) -s bench-storvsc
	@$(MAKE) -s bench-netvsc
	@$(MAKE) -s bench-hvsock
	@python3 $(REPO)/tools/testing/vmbus/bench_summary.py $(BUILD)/bench \
		>$(BUILD)/bench/summary.txt; rc=$$?; cat $(BUILD)/bench/summary.txt; exit $$rc

# The control plane in one QEMU guest: offers, rescinds, channel opens and
# closes at two scales, hibernation cycles with the bus empty and with
# channels open; table and build/bench/control.json
# (tools/testing/selftests/vmbus/qemu/bench-control.sh).
bench-control: modules-dist tests
	@$(REPO)/tools/testing/selftests/vmbus/qemu/bench-control.sh

# Debian's hv_storvsc on the simulated disk against the kernel's brd of the
# same size, in one QEMU guest; table and build/bench/storvsc.json
# (tools/testing/selftests/vmbus/qemu/bench-storvsc.sh).
bench-storvsc: modules-dist tests
	@$(REPO)/tools/testing/selftests/vmbus/qemu/bench-storvsc.sh

# Debian's hv_netvsc on two NICs of the simulated switch against a veth
# pair, iperf3 between two namespaces of one QEMU guest; table and
# build/bench/netvsc.json (tools/testing/selftests/vmbus/qemu/bench-netvsc.sh).
bench-netvsc: modules-dist tests
	@$(REPO)/tools/testing/selftests/vmbus/qemu/bench-netvsc.sh

# Debian's hv_sock against the simulated host's echo service, stream
# throughput and connect latency, against AF_UNIX stream sockets in the
# same QEMU guest; table and build/bench/hvsock.json
# (tools/testing/selftests/vmbus/qemu/bench-hvsock.sh).
bench-hvsock: modules-dist tests
	@$(REPO)/tools/testing/selftests/vmbus/qemu/bench-hvsock.sh

check-models: setup
	@$(REPO)/scripts/check-models.sh

# In `make check` the 6.1 lane runs the short counts too, but for the CPU
# hotplug cycles (100 offline/online rounds of every non-connect CPU);
# `make soak-dist` runs every count in full on it.
DIST_CHECK_PARAMS := $(filter-out vmbus_hotplug_cycles=%,$(SHORT_CHECK_PARAMS))
check-qemu-dist: modules-dist tests
	@$(QEMU_RUN) --kernel dist --mode check --modules $(BUILD)/modules/dist \
		--tests $(TESTS_OUT) --extra-modules "$(EXTRA_MODS)" --params "$(DIST_CHECK_PARAMS)"

soak-dist: modules-dist tests
	@$(QEMU_RUN) --kernel dist --mode check --modules $(BUILD)/modules/dist \
		--tests $(TESTS_OUT) --extra-modules "$(EXTRA_MODS)"

# kdump and kexec with channels busy, on Debian's 6.1 kernel: one run of
# each in `make check` (the kdump one crashes on CPU 2, the kexec one on
# the connect CPU), ten of each in `make soak-kexec`.
KEXEC_RUNS ?= 1
# $(call kexec_lanes,K): both lanes on kernel K with build/modules/K.
kexec_lanes = rc=0; for lane in crash_kdump kexec_reboot; do \
	$(KEXEC_LANES) --lane $$lane --runs $(KEXEC_RUNS) --kernel $(1) \
		--modules $(BUILD)/modules/$(1) --tests $(TESTS_OUT) || rc=1; \
	done; exit $$rc

check-kexec: modules-dist tests
	@$(call kexec_lanes,dist)

soak-kexec:
	@$(MAKE) -s -k check-kexec check-kexec-612 check-kexec-debug KEXEC_RUNS=10

# The same two lanes on Debian's 6.12 kernel.
check-kexec-612: modules-612 tests
	@$(call kexec_lanes,dist-6.12)

# And on the debug kernel (KASAN, lockdep; scripts/debug-kernel.config has
# kexec and kdump): the crash path under its checks.  Not part of `make
# check`: its kernel is built there, the lanes add minutes.
check-kexec-debug: modules-debug tests
	@$(call kexec_lanes,debug)

# The cloud flavour's config gives the same exports other CRCs: its own
# build, against its own headers.
modules-612-cloud: setup
	@dir=$$($(FETCH) --headers 6.12 cloud-amd64 | tail -n 1) && \
	$(REPO)/scripts/build-modules.sh dist-6.12-cloud \
		$$dir/usr/src/linux-headers-$(ABI_612_CLOUD)

# Every hv_vmbus import of Debian's 6.12 drivers, amd64 and cloud-amd64,
# against the CRCs of our build for that flavour (the cloud config builds
# fewer drivers: those it lacks are reported, not failed).
check-crc-612: modules-612 modules-612-cloud
	@dir=$$($(FETCH) --headers 6.12 | tail -n 1) && \
	cloud=$$($(FETCH) --headers 6.12 cloud-amd64 | tail -n 1) && \
	$(REPO)/scripts/check-crc.sh dist-6.12 \
		$$dir/usr/src/linux-headers-$(ABI_612)/Module.symvers \
		$$dir/lib/modules/$(ABI_612) && \
	$(REPO)/scripts/check-crc.sh dist-6.12-cloud \
		$$cloud/usr/src/linux-headers-$(ABI_612_CLOUD)/Module.symvers \
		$$cloud/lib/modules/$(ABI_612_CLOUD) --allow-missing

check-qemu-612: check-crc-612 tests
	@$(QEMU_RUN) --kernel dist-6.12 --mode check --modules $(BUILD)/modules/dist-6.12 \
		--tests $(TESTS_OUT) --extra-modules "$(EXTRA_MODS)" \
		--params "$(SHORT_CHECK_PARAMS)"

# PREEMPT_RT, every test: not part of `make check` (testing.rst, "Target
# kernels").
check-qemu-612-rt: modules-612-rt tests
	@$(QEMU_RUN) --kernel dist-6.12-rt --mode check --modules $(BUILD)/modules/dist-6.12-rt \
		--tests $(TESTS_OUT) --extra-modules "$(EXTRA_MODS)"

# PREEMPT_RT in `make check`: the tests whose paths differ there (the event
# half in the vmbus_irq/N threads, HV_CALL_ISR callbacks in them, their
# parking at CPU hotplug, the tasklet modes), short counts, no post checks
# (they need every test).
RT_SMOKE_TESTS := echo_traffic_test hotplug_test hvsock_test netvsc_traffic_test \
	storvsc_io_test uio_test
check-qemu-612-rt-smoke: modules-612-rt tests
	@d=$(BUILD)/rt-smoke-tests && rm -rf $$d && mkdir -p $$d && \
	for t in $(RT_SMOKE_TESTS); do cp $(TESTS_OUT)/$$t $$d/ || exit 1; done && \
	VMBUS_QEMU_POST=0 VMBUS_QEMU_OUT=$(BUILD)/qemu/dist-6.12-rt-smoke \
	$(QEMU_RUN) --kernel dist-6.12-rt --mode check --modules $(BUILD)/modules/dist-6.12-rt \
		--tests $$d --extra-modules "$(EXTRA_MODS)" --params "$(SHORT_CHECK_PARAMS)"

# The intree lane: the kselftests installed from the tree the kernel's way
# and run by its run_kselftest.sh (qemu/intree_lane.sh), in `make check`
# these: attach and detach (load_unload, the built-in core's stand-in for
# rmmod and modprobe), the tree's own hv_utils, hv_sock, hv_netvsc,
# hv_storvsc and uio_hv_generic, echo traffic and a hibernation cycle.
# INTREE_TESTS= (empty) runs every test.
INTREE_TESTS ?= connect_test load_unload_test driver_bind_test ic_shutdown_test \
	echo_traffic_test hibernate_test hvsock_test netvsc_traffic_test storvsc_io_test \
	uio_test
# $(call intree_lane,SERIES,NAME): the lane on build/NAME-kernel with
# build/modules/NAME.
intree_lane = $(INTREE_LANE) --kver $(1) --modules $(BUILD)/modules/$(2) \
	--tests "$(INTREE_TESTS)" --extra-modules "vmbus_sim $(EXTRA_MODS)" \
	--params "$(SHORT_CHECK_PARAMS)"

check-intree: modules-intree
	@$(call intree_lane,6.1,intree)

# The lane on the 6.12 tree, the same tests: not part of `make check`
# (testing.rst, "Built into the kernel").
check-intree-612: modules-intree-612
	@$(call intree_lane,6.12,intree-6.12)

check-crc-debug: modules-debug
	@$(REPO)/scripts/check-crc.sh debug $(DEBUG_KDIR)/Module.symvers \
		$(BUILD)/debug-kernel/modroot/lib/modules/$$(make -s -C $(DEBUG_KDIR) kernelrelease) \
		--allow-missing

check-qemu-debug: check-crc-debug tests
	@$(QEMU_RUN) --kernel debug --mode check --modules $(BUILD)/modules/debug \
		--tests $(TESTS_OUT) --extra-modules "$(EXTRA_MODS)" \
		--params "$(SHORT_CHECK_PARAMS)"

soak: check-crc-debug tests
	@$(QEMU_RUN) --kernel debug --mode check --modules $(BUILD)/modules/debug \
		--tests $(TESTS_OUT) --extra-modules "$(EXTRA_MODS)" --timeout 5400

check:
	@$(REPO)/scripts/check.sh

# The vmbus-dkms package (Documentation/virt/hyperv/dkms.rst): dkms-deb
# writes build/dkms/vmbus-dkms_VERSION_all.deb; check-dkms builds it,
# installs it with dkms into a throwaway root against Debian's 6.1 kernel
# and checks the result (scripts/dkms_check.sh).
dkms-deb:
	@$(REPO)/scripts/dkms-deb.sh $(BUILD)/dkms

check-dkms: setup
	@$(REPO)/scripts/dkms_check.sh $(ABI)

# A bookworm root with the package and Debian's kernel booted in QEMU from
# the simulated host's VMBus disk (scripts/dkms_rootdisk.sh; the first run
# debootstraps, from the Debian mirror).  Not part of make check.
check-dkms-rootdisk: setup
	@$(REPO)/scripts/dkms_rootdisk.sh $(ABI)

# make run KVER=6.12 (or 6.12-rt): the demo on Debian's 6.12 kernel.
KVER ?= 6.1
RUN_KERNEL  = $(if $(filter 6.1,$(KVER)),dist,dist-$(KVER))
RUN_MODULES = $(if $(filter 6.1,$(KVER)),modules-dist,modules-$(subst .,,$(KVER)))

run: tests
	@case "$(KVER)" in 6.1|6.12|6.12-rt) ;; \
	*) echo "make run: KVER=$(KVER): 6.1, 6.12 or 6.12-rt" >&2; exit 1 ;; esac
	@$(MAKE) -s $(RUN_MODULES)
	@$(QEMU_RUN) --kernel $(RUN_KERNEL) --mode run --modules $(BUILD)/modules/$(RUN_KERNEL) \
		--tests $(TESTS_OUT) --extra-modules "$(EXTRA_MODS)"

clean:
	rm -rf $(BUILD) $(REPO)/tools/testing/selftests/vmbus/out
