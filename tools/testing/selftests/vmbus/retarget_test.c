// SPDX-License-Identifier: GPL-2.0
/*
 * retarget_test: moving channels between CPUs while traffic runs.
 *
 * A child process runs a bulk echo run over 8 channels while this process
 * rewrites channels/<relid>/cpu of every channel in a loop; the run must
 * still get every echo back intact and in order (an event that arrives on
 * the old CPU during the move is not lost).  Then the refusals: an
 * out-of-range CPU and a non-number are EINVAL, so is a CPU taken offline
 * through /sys/devices/system/cpu/cpuN/online; with the host's
 * version_ceiling at 4.0 (no MODIFYCHANNEL) the write is EIO and the
 * channel keeps its CPU.
 *
 * Parameter: vmbus_retarget_count, the bulk packet count (default 200000
 * on Debian's kernel, 20000 on the debug kernel).
 *
 * Sim modes: version_ceiling 5.3, then 4.0; one echo device, 7 sub-channels.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "vmbus_util.h"

#define INSTANCE	"6b0c6f2e-4a11-4d25-9e51-0e3c5d7a0002"
#define CPU_SYSFS	"/sys/devices/system/cpu"

enum {
	NSUB		= 7,
	NCHANS		= NSUB + 1,
	RUN_SLACK_MS	= 120000,
};

static unsigned int relids[NCHANS];
static long cpus;
static const char *const inst[] = { INSTANCE };

static bool load(void)
{
	int n;

	if (!vm_echo_load(inst, 1, NSUB))
		return false;
	n = vm_chan_relids(INSTANCE, relids, NCHANS + 1);
	return vm_expect(n == NCHANS, "%s/%s/channels: expected %u channels, got %d",
			 VM_VMBUS_DEVICES, INSTANCE, NCHANS, n);
}



static bool retarget_under_traffic(void)
{
	uint64_t count = vm_param_u64("vmbus_retarget_count",
				      vm_dist_kernel() ? 200000 : 20000);
	uint64_t moves = 0, deadline;
	struct vm_echo_result r;
	unsigned int i, round;
	bool ok = true;
	char cmd[80];
	int pid, err;

	snprintf(cmd, sizeof(cmd), "bulk %" PRIu64 " 16 16384", count);
	ksft_print_msg("bulk count %" PRIu64 ", %ld CPUs\n", count, cpus);
	if (vm_sim_reset_stats())
		return false;
	pid = vm_echo_run_start(INSTANCE, cmd);
	if (pid < 0)
		return false;
	deadline = vm_now_ms() + count + RUN_SLACK_MS;
	for (round = 1; ok && vm_child_running(pid) && vm_now_ms() < deadline; round++)
		for (i = 0; ok && i < NCHANS; i++, moves++)
			ok &= vm_chan_set_cpu_expect(INSTANCE, relids[i], (round + i) % cpus);
	ksft_print_msg("%" PRIu64 " retargets during the run (%u rounds)\n", moves, round - 1);
	err = vm_echo_run_wait(pid, cmd, deadline > vm_now_ms() ?
			       deadline - vm_now_ms() : 1);
	ok &= vm_expect(!err, "bulk run during retargeting: expected success, got %s",
			strerror(-err));
	ok &= vm_expect(moves >= NCHANS, "only %" PRIu64 " retargets happened during "
			"the run: the run was too short to test anything", moves);
	if (vm_echo_result_load(INSTANCE, &r))
		return false;
	ok &= vm_echo_expect_clean(&r, count);
	return ok;
}

static bool expect_refused(unsigned int relid, const char *text, int want)
{
	int err = vm_chan_set_cpu(INSTANCE, relid, text);

	return vm_expect(err == want, "channels/%u/cpu <- '%s': expected %s, got %s",
			 relid, text, strerror(-want), err ? strerror(-err) : "success");
}

static bool bad_values(void)
{
	bool ok = true;

	ok &= expect_refused(relids[0], "4096", -EINVAL);
	ok &= expect_refused(relids[0], "abc", -EINVAL);
	ok &= expect_refused(relids[0], "-1", -EINVAL);
	return ok;
}


/* The last CPU, with no channel on it, goes offline; it cannot be a target. */
static void offline_cpu(void)
{
	long victim = cpus - 1;
	char path[128], text[24];
	bool ok = true;
	unsigned int i;
	int err;

	snprintf(path, sizeof(path), CPU_SYSFS "/cpu%ld/online", victim);
	if (cpus < 2 || !vm_exists(path)) {
		vm_test_result_skip("no CPU hotplug in this VM",
				    "an offline CPU is refused with EINVAL");
		return;
	}
	for (i = 0; i < NCHANS; i++)
		ok &= vm_chan_set_cpu_expect(INSTANCE, relids[i], i % victim);
	err = vm_cpu_set_online(victim, false);
	ok &= vm_expect(!err, "%s <- 0: %s", path, err ? strerror(-err) : "ok");
	if (!err) {
		snprintf(text, sizeof(text), "%ld", victim);
		ok &= expect_refused(relids[1], text, -EINVAL);
		err = vm_cpu_set_online(victim, true);
		ok &= vm_expect(!err, "%s <- 1: %s", path, err ? strerror(-err) : "ok");
		ok &= vm_chan_set_cpu_expect(INSTANCE, relids[1], victim);
	}
	ksft_test_result(ok, "CPU %ld offline: refused with EINVAL; back online: accepted\n",
			 victim);
}

static bool old_protocol(void)
{
	uint64_t before, after;
	bool ok;

	if (!vm_echo_unload() || !vm_guest_unload() ||
	    vm_write(VM_SIM, "devices", "clear") ||
	    vm_sim_set("version_ceiling", "4.0"))
		return false;
	/* vm_echo_load() sets 5.3; reload by hand at 4.0. */
	if (vm_write(VM_SIM, "devices", "add %s %s %u", VM_TEST_CLASS, INSTANCE, NSUB) ||
	    !vm_guest_load(VM_MODPROBE_MS) || !vm_wait_vmbus_devices(1, VM_MODPROBE_MS) ||
	    vm_modprobe(VM_ECHO_DRV, VM_MODPROBE_MS) ||
	    vm_chan_relids(INSTANCE, relids, NCHANS + 1) != NCHANS)
		return false;
	if (vm_chan_read(INSTANCE, relids[0], "cpu", &before))
		return false;
	ok = expect_refused(relids[0], before ? "0" : "1", -EIO);
	ok &= !vm_chan_read(INSTANCE, relids[0], "cpu", &after) &&
	      vm_expect_eq("channels/<relid>/cpu after the refused write", before, after);
	return ok;
}

static bool unload(void)
{
	return vm_echo_unload() & vm_guest_unload();
}

int main(void)
{
	ksft_print_header();
	vm_setup();
	cpus = sysconf(_SC_NPROCESSORS_ONLN);
	ksft_set_plan(7);
	ksft_test_result(load(), "echo device with %u sub-channels: %u channels open\n", NSUB,
			 NCHANS);
	ksft_test_result(retarget_under_traffic(), "every channel retargeted in a loop during a "
			 "bulk run: nothing lost\n");
	ksft_test_result(bad_values(), "out-of-range CPU and non-numbers refused with EINVAL\n");
	offline_cpu();
	ksft_test_result(old_protocol(), "version_ceiling 4.0: retargeting refused with EIO\n");
	ksft_test_result(unload(), "rmmod %s and hv_vmbus\n", VM_ECHO_DRV);
	ksft_test_result(vm_teardown(), "teardown: sim modes and devices restored\n");
	vm_test_finished();
}
