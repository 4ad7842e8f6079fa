// SPDX-License-Identifier: GPL-2.0
/*
 * rescind_traffic_test: the host rescinds the echo device in the middle of
 * a bulk run.
 *
 * The run (a debugfs write in a child process) must end with ENODEV within
 * a deadline instead of waiting for echoes that will never come; the
 * device leaves the bus and the driver's debugfs directory goes with it;
 * every relid is released to the host; the kernel log shows no oops,
 * warning or call trace.
 *
 * Sim modes: version_ceiling 5.3; one echo device with 7 sub-channels.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "vmbus_util.h"

#define INSTANCE	"6b0c6f2e-4a11-4d25-9e51-0e3c5d7a0003"
#define RUN_CMD		"bulk 100000000 16 16384"

enum {
	NSUB		= 7,
	NCHANS		= NSUB + 1,
	PROGRESS_PKTS	= 2000,		/* echoes before the rescind */
	PROGRESS_MS	= 60000,
	RESCIND_MS	= 30000,	/* the run must end this soon after */
};

static const char *const bad_log[] = {
	"Oops", "BUG:", "WARNING:", "Call Trace", "general protection fault",
};

static bool loaded;

static bool load(void)
{
	const char *const inst[] = { INSTANCE };

	loaded = vm_echo_load(inst, 1, NSUB);
	return loaded;
}

static bool traffic_flowing(void *arg)
{
	struct vm_echo_result r;

	(void)arg;
	return vm_echo_result_exists(INSTANCE) && !vm_echo_result_load(INSTANCE, &r) &&
	       r.total.received >= PROGRESS_PKTS;
}

static bool no_device(void *arg)
{
	char path[512];

	(void)arg;
	snprintf(path, sizeof(path), "/sys/kernel/debug/vmbus_echo/%s", INSTANCE);
	return vm_vmbus_device_count() == 0 && !vm_exists(path);
}

static bool rescind_during_run(void)
{
	const struct vm_sim_dev *d;
	struct vm_sim_devs devs;
	struct vm_kmsg_mark mark;
	uint64_t t0, took;
	bool ok = true;
	unsigned int i;
	int pid, err;

	if (!loaded || vm_sim_devices_load(&devs) || vm_kmsg_mark(&mark))
		return false;
	d = vm_sim_devices_find(&devs, INSTANCE, 0);
	if (!vm_expect(d, "vmbus_sim/devices: no primary for %s", INSTANCE))
		return false;
	pid = vm_echo_run_start(INSTANCE, RUN_CMD);
	if (pid < 0)
		return false;
	ok &= vm_wait_until(traffic_flowing, NULL, PROGRESS_MS,
			    "%u echoes back before the rescind", PROGRESS_PKTS);
	ok &= !vm_sim_reset_stats();
	t0 = vm_now_ms();
	ok &= !vm_sim_devices_cmd("rescind %u", d->relid);
	err = vm_echo_run_wait(pid, RUN_CMD, RESCIND_MS);
	took = vm_now_ms() - t0;
	ksft_print_msg("the run ended %" PRIu64 " ms after the rescind: %s\n", took,
		       strerror(-err));
	ok &= vm_expect(err == -ENODEV, "the run: expected ENODEV within %u ms, got %s",
			RESCIND_MS, strerror(-err));
	ok &= vm_wait_until(no_device, NULL, RESCIND_MS, "the device and "
			    "vmbus_echo/%s gone", INSTANCE);
	ok &= vm_wait_stat(VM_SIM, "stats", "relids_released", NCHANS, RESCIND_MS);
	for (i = 0; i < sizeof(bad_log) / sizeof(bad_log[0]); i++)
		ok &= vm_expect_kmsg(&mark, bad_log[i], false, 0);
	vm_sim_devices_free(&devs);
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
	ksft_set_plan(4);
	ksft_test_result(load(), "echo device with %u sub-channels: %u channels open\n", NSUB,
			 NCHANS);
	ksft_test_result(rescind_during_run(), "rescind during a bulk run: the run fails with "
			 "ENODEV, the device goes, no oops\n");
	ksft_test_result(unload(), "rmmod %s and hv_vmbus\n", VM_ECHO_DRV);
	ksft_test_result(vm_teardown(), "teardown: sim modes and devices restored\n");
	vm_test_finished();
}
