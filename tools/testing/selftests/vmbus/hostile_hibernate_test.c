// SPDX-License-Identifier: GPL-2.0
/*
 * hostile_hibernate_test: hibernation cycles (pm_test `core`) while the
 * host adds and rescinds devices at random moments, before, during and
 * after the guest's suspend and resume (Documentation/virt/hyperv/
 * hibernation.rst).
 *
 * DEVICES test devices stay; the host's churn (vmbus-sim.rst, `devices
 * churn`) toggles POOL more, one step every 0..MAX_DELAY_US, and it runs
 * on through every UNLOAD and reconnect.  The host moves every relid and
 * connection id at each reconnect.
 *  - churn_cycles: vmbus_hostile_hibernate_cycles cycles; each write of
 *    `disk` returns 0 with one hibernation entry and exit in the log;
 *    the churn added and rescinded devices meanwhile;
 *  - settled: once the churn stopped, the bus is what the host offers
 *    (every device and channel at the relid the host gives, no other),
 *    no relid is left rescinded and unreleased, the host saw no guest
 *    error (a second RELID_RELEASED of a relid is one), and the guest
 *    counted one suspend and one resume per cycle.
 *
 * Parameter: vmbus_hostile_hibernate_cycles (default 20).
 * Sim modes: version_ceiling 5.3, resume_relids 1, resume_conn_ids 1.
 */
#include <inttypes.h>
#include <stdio.h>

#include "resume_util.h"

enum {
	DEVICES		= 4,
	POOL		= 8,
	MAX_DELAY_US	= 150000,
	CHURN_STEPS	= 1000000,
	SETTLE_MS	= 60000,
};

static uint64_t cycles;

static bool setup(void)
{
	if (vm_sim_set("version_ceiling", "5.3") || vm_sim_set("resume_relids", "1") ||
	    vm_sim_set("resume_conn_ids", "1") || vm_sim_set("reoffer_events", "0") ||
	    vm_sim_set("unload_rescind", "0") || vm_sim_devices_add_test(DEVICES))
		return false;
	return vm_guest_load(VM_MODPROBE_MS) && vm_wait_vmbus_devices(DEVICES, VM_MODPROBE_MS) &&
	       rs_wait_bus_matches_host(SETTLE_MS) && !vm_sim_reset_stats();
}

static bool churn_cycles(void)
{
	uint64_t adds = 0, rescinds = 0, ms, total_ms = 0;
	unsigned int i;
	bool ok = true;

	if (vm_sim_devices_cmd("churn %u %u %u", CHURN_STEPS, MAX_DELAY_US, POOL))
		return false;
	for (i = 1; i <= cycles && ok; i++) {
		ok = vm_expect(rs_hibernate(&ms), "cycle %u with the churn running", i);
		total_ms += ms;
	}
	ok &= !vm_sim_devices_cmd("churn_stop");
	ok &= rs_sim_stat("churn_adds", &adds) && rs_sim_stat("churn_rescinds", &rescinds);
	ksft_print_msg("%u cycles in %" PRIu64 " ms; the host added %" PRIu64
		       " and rescinded %" PRIu64 " devices meanwhile\n", i - 1, total_ms,
		       adds, rescinds);
	ok &= vm_expect_ge("churn_adds", 1, adds) & vm_expect_ge("churn_rescinds", 1, rescinds);
	return ok;
}

/* No record in state rescinded: every rescinded relid came back. */
static bool nothing_unreleased(void *arg)
{
	struct rs_map m;
	unsigned int i;

	(void)arg;
	if (rs_map_load(&m))
		return false;
	for (i = 0; i < m.count; i++)
		if (!m.chan[i].offered)
			return false;
	return true;
}

static bool guest_pm_counts(void)
{
	struct vm_stats st;
	uint64_t suspends = 0, resumes = 0;

	if (vm_stats_load(VM_GUEST, "stats", &st) || !vm_stat_get(&st, "suspends", &suspends) ||
	    !vm_stat_get(&st, "resumes", &resumes))
		return false;
	return vm_expect_eq("guest suspends", cycles, suspends) &
	       vm_expect_eq("guest resumes", cycles, resumes);
}

static bool settled(void)
{
	uint64_t errors = 1, released = 0;
	bool ok;

	ok = vm_wait_until(nothing_unreleased, NULL, SETTLE_MS,
			   "every rescinded relid released");
	ok &= rs_wait_bus_matches_host(SETTLE_MS);
	ok &= rs_sim_stat("guest_errors", &errors) && vm_expect_eq("host guest_errors", 0, errors);
	ok &= rs_sim_stat("relids_released", &released);
	ksft_print_msg("relids released during the run: %" PRIu64 "\n", released);
	ok &= guest_pm_counts();
	return ok;
}

int main(void)
{
	const char *why;

	ksft_print_header();
	vm_setup();
	if (!rs_hibernate_possible(&why))
		ksft_exit_skip("%s\n", why);
	cycles = vm_param_u64("vmbus_hostile_hibernate_cycles", 20);
	ksft_set_plan(4);
	ksft_test_result(setup(), "%u test devices at 5.3, relids and connection ids move\n",
			 DEVICES);
	ksft_test_result(churn_cycles(), "%" PRIu64 " hibernation cycles while the host adds "
			 "and rescinds %u devices at random moments\n", cycles, POOL);
	ksft_test_result(settled(), "after the churn: the bus is what the host offers, "
			 "every relid released, no guest error\n");
	ksft_test_result(vm_teardown(), "teardown: sim modes and devices restored\n");
	vm_test_finished();
}
