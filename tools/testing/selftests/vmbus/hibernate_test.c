// SPDX-License-Identifier: GPL-2.0
/*
 * hibernate_test: consecutive hibernation cycles (pm_test `core`: freeze
 * and thaw with the real callbacks, no image) while the host gives every
 * channel a new relid and a new connection id at each reconnect.
 *
 * The distribution's hv_utils is bound to the host's heartbeat (a 100 ms
 * period) throughout.  After every cycle: the bus has the same number of
 * devices, each device's `id` and channels/ show the relids the host's
 * table gives now, every channel has another relid than before the cycle,
 * the heartbeat sequence advances again with every answer correct (its
 * channel was closed by hv_utils' suspend callback and opened again by its
 * resume callback at the new relid), and the kernel log has one more
 * `PM: hibernation entry` and `PM: hibernation exit`.  At the end the
 * guest counted one suspend and one resume per cycle and no missing
 * device, and the host no guest error.  Then devices are hot-added up to
 * 256 and one more cycle is timed, the heartbeat still bound.
 *
 * The checks made around each cycle are one table (cycle_checks[]).
 *
 * Parameters (environment or kernel command line): vmbus_hibernate_cycles
 * (default 20), vmbus_hibernate_big (devices of the timed cycle, default
 * 256).
 *
 * Sim modes: version_ceiling 5.3, resume_relids 1, resume_conn_ids 1;
 * DEVICES test devices and one with NSUB sub-channels; the heartbeat IC.
 */
#include <inttypes.h>
#include <stdio.h>

#include "ic_util.h"
#include "resume_util.h"

#define SUB_INSTANCE "7a6b3c1d-2e4f-4a5b-8c9d-0e1f2a3b0001"

enum {
	DEVICES		= 8,
	NSUB		= 2,
	SETTLE_MS	= 60000,	/* resume until the bus matches the host */
	HB_PERIOD_MS	= 100,
	HB_AFTER	= 5,		/* answers each cycle must add */
	HB_WAIT_MS	= 20000,
};

static uint64_t cycles, big, hb_before;
static unsigned int want_devices;
static struct rs_map before, after;

static bool setup(void)
{
	if (vm_sim_set("version_ceiling", "5.3") || vm_sim_set("resume_relids", "1") ||
	    vm_sim_set("resume_conn_ids", "1") || vm_sim_set("reoffer_events", "0") ||
	    vm_sim_set("unload_rescind", "0") || vm_sim_devices_add_test(DEVICES) ||
	    vm_sim_devices_cmd("add %s %s %u", VM_TEST_CLASS, SUB_INSTANCE, NSUB) ||
	    !ic_offer(IC_BIT(IC_HEARTBEAT)) ||
	    ic_control("heartbeat_period_ms %u", HB_PERIOD_MS) || !ic_load() ||
	    !ic_wait_bound(IC_BIT(IC_HEARTBEAT), IC_BIND_MS))
		return false;
	want_devices = DEVICES + 2;
	return vm_wait_vmbus_devices(want_devices, VM_MODPROBE_MS) &&
	       rs_wait_bus_matches_host(SETTLE_MS) && !vm_sim_reset_stats() &&
	       !ic_control("reset_stats");
}

/* ---- the checks around each cycle ------------------------------------ */

static bool map_before(void)
{
	return !rs_map_load(&before);
}

static bool bus_after(unsigned int cycle)
{
	(void)cycle;
	return vm_wait_vmbus_devices(want_devices, SETTLE_MS) &&
	       rs_wait_bus_matches_host(SETTLE_MS);
}

static bool heartbeat_before(void)
{
	return ic_stat("heartbeat_ok", &hb_before);
}

static bool heartbeat_after(unsigned int cycle)
{
	uint64_t ok = 0, bad = 0, seq = 0;
	bool good;

	good = ic_wait_stat_ge("heartbeat_ok", hb_before + HB_AFTER, HB_WAIT_MS);
	ic_stat("heartbeat_ok", &ok);
	ic_stat("heartbeat_bad", &bad);
	ic_stat("heartbeat_seq", &seq);
	if (cycle == 1 || cycle == cycles || !good || bad)
		ksft_print_msg("cycle %u: heartbeat answers %" PRIu64 " -> %" PRIu64
			       ", sequence %" PRIu64 ", bad %" PRIu64 "\n", cycle, hb_before, ok,
			       seq, bad);
	return good && vm_expect(!bad, "heartbeat_bad %" PRIu64 ": expected 0", bad);
}

static bool moved_after(unsigned int cycle)
{
	char what[32];

	snprintf(what, sizeof(what), "cycle %u", cycle);
	return !rs_map_load(&after) && rs_expect_moved(&before, &after, what);
}

/*
 * @before runs ahead of the cycle (and may record state), @after once the
 * write of `disk` returned; either may be NULL.
 */
struct cycle_check {
	const char *name;
	bool (*before)(void);
	bool (*after)(unsigned int cycle);
};

static const struct cycle_check cycle_checks[] = {
	{ "device count unchanged, ids and channels as the host lists them",
	  NULL, bus_after },
	{ "every channel at another relid", map_before, moved_after },
	{ "the hv_utils heartbeat sequence advances, every answer correct",
	  heartbeat_before, heartbeat_after },
};

enum { NR_CHECKS = sizeof(cycle_checks) / sizeof(cycle_checks[0]) };

static bool one_cycle(unsigned int cycle, uint64_t *ms)
{
	unsigned int i;
	bool ok = true;

	for (i = 0; i < NR_CHECKS && ok; i++)
		if (cycle_checks[i].before)
			ok = vm_expect(cycle_checks[i].before(), "cycle %u: before: %s",
				       cycle, cycle_checks[i].name);
	ok = ok && rs_hibernate(ms);
	for (i = 0; i < NR_CHECKS && ok; i++)
		if (cycle_checks[i].after)
			ok = vm_expect(cycle_checks[i].after(cycle), "cycle %u: %s",
				       cycle, cycle_checks[i].name);
	return ok;
}

static bool cycles_run(void)
{
	uint64_t ms, total = 0, longest = 0;
	unsigned int i;
	bool ok = true;

	for (i = 1; i <= cycles && ok; i++) {
		ok = one_cycle(i, &ms);
		total += ms;
		longest = ms > longest ? ms : longest;
		ksft_print_msg("cycle %u: `echo disk` returned after %" PRIu64 " ms\n", i, ms);
	}
	if (ok)
		ksft_print_msg("%" PRIu64 " cycles: mean %" PRIu64 " ms, longest %" PRIu64 " ms\n",
			       cycles, total / cycles, longest);
	return ok;
}

static bool counters(void)
{
	struct vm_stats guest, sim;
	bool ok;

	if (vm_stats_load(VM_GUEST, "stats", &guest) || vm_stats_load(VM_SIM, "stats", &sim))
		return false;
	ok = vm_expect_stat(&guest, "suspends", cycles);
	ok &= vm_expect_stat(&guest, "resumes", cycles);
	ok &= vm_expect_stat(&guest, "devices_missing", 0);
	ok &= vm_expect_stat(&guest, "fixups_pending", 0);
	ok &= vm_expect_stat(&sim, "connections", cycles);
	/* The test devices, the one with sub-channels, the heartbeat. */
	ok &= vm_expect_stat(&sim, "relids_moved", cycles * (DEVICES + 1 + NSUB + 1));
	ok &= vm_expect_stat(&sim, "guest_errors", 0);
	return ok;
}

/*
 * One cycle with many devices, timed until the bus matches the host: test
 * devices are hot-added up to @big (the heartbeat stays bound).
 */
static bool big_cycle(void)
{
	uint64_t ms, start;
	bool ok;

	if (big > want_devices) {
		if (vm_sim_devices_add_test(big - want_devices))
			return false;
		want_devices = big;
	}
	if (!vm_wait_vmbus_devices(want_devices, VM_MODPROBE_SLOW_MS) ||
	    !rs_wait_bus_matches_host(VM_MODPROBE_SLOW_MS) || !map_before() ||
	    !heartbeat_before())
		return false;
	start = vm_now_ms();
	ok = rs_hibernate(&ms) && bus_after(0);
	ksft_print_msg("%u devices: `echo disk` returned after %" PRIu64 " ms, the bus "
		       "matched the host after %" PRIu64 " ms\n", want_devices, ms,
		       vm_now_ms() - start);
	ok = ok && moved_after(0) && heartbeat_after(0);
	ok &= ic_teardown() & vm_guest_unload();
	return ok;
}

int main(void)
{
	const char *why;

	ksft_print_header();
	if (!rs_hibernate_possible(&why))
		ksft_exit_skip("%s\n", why);
	vm_setup();
	ic_setup();
	cycles = vm_param_u64("vmbus_hibernate_cycles", 20);
	big = vm_param_u64("vmbus_hibernate_big", 256);
	ksft_set_plan(5);
	ksft_test_result(setup(),
			 "%u devices, one with %u sub-channels, hv_utils on the heartbeat; "
			 "resume_relids 1, resume_conn_ids 1\n", DEVICES, NSUB);
	ksft_test_result(cycles_run(), "%" PRIu64 " hibernation cycles\n", cycles);
	ksft_test_result(counters(), "a suspend and a resume per cycle, nothing missing, no guest "
			 "error\n");
	ksft_test_result(big_cycle(), "one cycle with %" PRIu64 " devices\n", big);
	ksft_test_result(vm_teardown(), "teardown: hv_vmbus unloaded, sim modes restored\n");
	vm_test_finished();
}
