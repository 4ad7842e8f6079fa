// SPDX-License-Identifier: GPL-2.0
/*
 * rescind_burst_test: the host rescinds and re-offers random devices 1000
 * times in a row, each re-offer a random 0..2 ms after the rescind and only
 * once the guest released the relid.  The guest follows every step: each
 * rescind removes the device and releases the relid exactly once, each
 * re-offer registers the device again, nothing is ignored as a bad offer or
 * rescind, and at the end all 16 devices are back with their attributes.
 *
 * Sim modes: version_ceiling 5.3, 16 test devices, `burst 1000 2000`.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vmbus_util.h"

enum {
	DEVICES		= 16,
	BURSTS		= 1000,
	MAX_DELAY_US	= 2000,
	BURST_MS	= 240000,
	PROGRESS_MS	= 15000,
	SETTLE_MS	= 30000,	/* the last re-offer until it is registered */
	SHOW_LINES	= 10,
};

static struct vm_kmsg_mark burst_mark;

static bool load(void)
{
	if (vm_sim_set("version_ceiling", "5.3") || vm_sim_devices_add_test(DEVICES) ||
	    vm_sim_reset_stats() || !vm_guest_load(VM_MODPROBE_MS))
		return false;
	return vm_wait_vmbus_devices(DEVICES, VM_MODPROBE_MS);
}

struct burst_wait {
	uint64_t done, active, rescinds, released;
	bool read;
};

static bool burst_finished(void *arg)
{
	struct burst_wait *b = arg;
	struct vm_stats st;
	char *text;

	snprintf(st.label, sizeof(st.label), "vmbus_sim/stats");
	b->read = !vm_read(VM_SIM, "stats", &text) && !vm_stats_parse(text, &st) &&
		  vm_stats_find(&st, "bursts_done", &b->done) &&
		  vm_stats_find(&st, "burst_active", &b->active);
	if (b->read) {
		vm_stats_find(&st, "rescinds", &b->rescinds);
		vm_stats_find(&st, "relids_released", &b->released);
	}
	free(text);
	return b->read && b->done == BURSTS && !b->active;
}

static void burst_progress(void *arg, uint64_t elapsed_ms)
{
	struct burst_wait *b = arg;

	if (!b->read) {
		ksft_print_msg("burst: vmbus_sim/stats has no bursts_done / burst_active\n");
		return;
	}
	ksft_print_msg("burst: %" PRIu64 " of %u done after %" PRIu64 " s (burst_active %"
		       PRIu64 ", host rescinds %" PRIu64 ", relids_released %" PRIu64 ")\n",
		       b->done, BURSTS, elapsed_ms / 1000, b->active, b->rescinds,
		       b->released);
}

/* Leave no burst running behind a failed wait: the teardown needs a quiet host. */
static void stop_burst(void)
{
	ksft_print_msg("stopping the burst\n");
	if (!vm_sim_devices_cmd("burst_stop"))
		vm_wait_stat(VM_SIM, "stats", "burst_active", 0, VM_SETTLE_MS);
}

static bool run_burst(void)
{
	struct burst_wait b = { 0 };
	struct vm_wait w = {
		.done = burst_finished, .progress = burst_progress, .arg = &b,
		.timeout_ms = BURST_MS, .poll_ms = 200, .progress_ms = PROGRESS_MS,
	};
	uint64_t start;

	if (vm_kmsg_mark(&burst_mark))
		return false;
	start = vm_now_ms();
	if (vm_sim_devices_cmd("burst %u %u", BURSTS, MAX_DELAY_US))
		return false;
	if (!vm_wait(&w, "vmbus_sim/stats bursts_done == %u and burst_active == 0",
		     BURSTS)) {
		stop_burst();
		return false;
	}
	ksft_print_msg("burst of %u rescind/re-offer cycles: %" PRIu64 " ms\n", BURSTS,
		       vm_now_ms() - start);
	return true;
}

/* Every device offered again (no relid awaiting RELID_RELEASED). */
static bool all_offered(void *arg)
{
	struct vm_sim_devs d;
	bool done;

	(void)arg;
	if (vm_sim_devices_load(&d))
		return false;
	done = d.count == DEVICES && vm_sim_devices_primaries(&d) == DEVICES;
	vm_sim_devices_free(&d);
	return done;
}

static bool check_devices_back(void)
{
	struct vm_wait w = { .done = all_offered, .timeout_ms = SETTLE_MS, .poll_ms = 100 };
	struct vm_sim_devs d;
	bool ok;
	size_t i;

	if (!vm_wait(&w, "vmbus_sim/devices: %u devices, all offered", DEVICES) ||
	    !vm_wait_vmbus_devices(DEVICES, SETTLE_MS) || vm_sim_devices_load(&d))
		return false;
	ok = true;
	for (i = 0; i < d.count && ok; i++)
		ok = vm_expect_vmbus_device(&d, &d.dev[i]);
	vm_sim_devices_free(&d);
	return ok;
}

static bool check_counters(void)
{
	struct vm_stats guest, sim;
	uint64_t released = 0;
	bool ok;

	if (vm_stats_load(VM_GUEST, "stats", &guest) || vm_stats_load(VM_SIM, "stats", &sim))
		return false;
	ok = vm_expect_stat(&sim, "guest_errors", 0);
	ok &= vm_expect_stat(&sim, "rescinds", BURSTS);
	ok &= vm_expect_stat(&sim, "offers", DEVICES + BURSTS);
	ok &= vm_expect_stat(&sim, "relids_released", BURSTS);
	if (vm_stat_get(&sim, "relids_released", &released))
		ok &= vm_expect_stat(&guest, "relids_released", released);
	ok &= vm_expect_stat(&guest, "rescinds", BURSTS);
	ok &= vm_expect_stat(&guest, "offers", DEVICES + BURSTS);
	ok &= vm_expect_stat(&guest, "msgs_bad", 0);
	return ok;
}

static bool check_log(void)
{
	int n = vm_kmsg_grep(&burst_mark, "hv_vmbus: ", " ignored", SHOW_LINES);

	return n >= 0 && vm_expect(n == 0, "kernel log since the burst: %d "
				   "`hv_vmbus: ... ignored` lines, expected none", n);
}

static bool unload(void)
{
	bool ok = vm_guest_unload();

	ok &= !vm_sim_devices_clear();
	return ok;
}

int main(void)
{
	ksft_print_header();
	vm_setup();
	ksft_set_plan(7);
	ksft_test_result(load(), "modprobe hv_vmbus with %u devices\n", DEVICES);
	ksft_test_result(run_burst(), "burst %u %u finishes\n", BURSTS, MAX_DELAY_US);
	ksft_test_result(check_devices_back(), "all %u devices back, sysfs matches the host\n",
			 DEVICES);
	ksft_test_result(check_counters(), "%u rescinds, releases and re-offers each side, "
			 "no guest error\n", BURSTS);
	ksft_test_result(check_log(), "no offer or rescind ignored during the burst\n");
	ksft_test_result(unload(), "rmmod hv_vmbus\n");
	ksft_test_result(vm_teardown(), "teardown: hv_vmbus unloaded, sim modes restored\n");
	vm_test_finished();
}
