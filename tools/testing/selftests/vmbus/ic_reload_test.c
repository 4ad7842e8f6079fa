// SPDX-License-Identifier: GPL-2.0
/*
 * ic_reload_test: the distribution's hv_utils is unloaded and loaded again
 * vmbus_ic_reload_cycles times (environment or kernel command line,
 * default 100, 1..10000) while the simulated host offers all four integration
 * components and hv_vmbus stays loaded.  Every load binds all four devices
 * and negotiates heartbeat, shutdown and time sync again (the host counts
 * one negotiation per open, and hv_utils logs one `Heartbeat IC version`
 * line per load); every unload closes the channels so the next load can
 * open them.  No IC protocol error, no guest error, and kmemleak (where
 * the kernel has it) reports nothing naming hv_utils, hv_vmbus, vmbus_sim
 * or vmbus_platform.  The run's kernel-log scan covers the rest.
 *
 * KVP is bound but, with no hv_kvp_daemon, hv_utils holds its negotiation
 * back (ic_kvp_test covers it).
 *
 * Sim: ic/control add all.
 */
#include <inttypes.h>
#include <stdio.h>

#include "ic_util.h"

enum {
	DEFAULT_CYCLES	= 100,
	MAX_CYCLES	= 10000,
	PROGRESS_EVERY	= 25,
};

static unsigned int cycles;

static const enum ic_kind negotiating[] = { IC_HEARTBEAT, IC_SHUTDOWN, IC_TIMESYNC };
#define NNEG (sizeof(negotiating) / sizeof(negotiating[0]))

static uint64_t base[NNEG];

static bool negotiated(unsigned int cycle)
{
	char name[64];
	unsigned int i;

	for (i = 0; i < NNEG; i++) {
		snprintf(name, sizeof(name), "%s_negotiated", ic_name[negotiating[i]]);
		if (!ic_wait_stat_ge(name, base[i] + cycle, IC_BIND_MS))
			return false;
	}
	return true;
}

static bool one_cycle(unsigned int cycle)
{
	if (!ic_utils_load() || !ic_wait_bound(IC_ALL, IC_BIND_MS) ||
	    !negotiated(cycle))
		return vm_expect(false, "cycle %u of %u: load failed", cycle, cycles);
	if (!ic_utils_unload())
		return vm_expect(false, "cycle %u of %u: unload failed", cycle, cycles);
	return true;
}

static bool reload_cycles(struct vm_kmsg_mark *mark, unsigned int *done)
{
	uint64_t t0;
	char name[64];
	unsigned int i;

	if (!ic_offer(IC_ALL) || !vm_guest_load(VM_MODPROBE_MS) || vm_kmsg_mark(mark))
		return false;
	for (i = 0; i < NNEG; i++) {
		snprintf(name, sizeof(name), "%s_negotiated", ic_name[negotiating[i]]);
		if (!ic_stat(name, &base[i]))
			return false;
	}
	t0 = vm_now_ms();
	for (*done = 0; *done < cycles; ) {
		if (!one_cycle(*done + 1))
			break;
		++*done;
		if (*done % PROGRESS_EVERY == 0)
			ksft_print_msg("%u of %u reloads, %" PRIu64 " ms\n", *done, cycles,
				       vm_now_ms() - t0);
	}
	ksft_print_msg("hv_utils reloaded %u times in %" PRIu64 " ms\n", *done, vm_now_ms() - t0);
	return vm_expect_eq("reload cycles", cycles, *done);
}

static bool counts_agree(const struct vm_kmsg_mark *mark)
{
	struct vm_stats st;
	char name[64];
	uint64_t v;
	unsigned int i;
	bool ok = true;

	if (ic_stats_load(&st))
		return false;
	for (i = 0; i < NNEG; i++) {
		snprintf(name, sizeof(name), "%s_negotiated", ic_name[negotiating[i]]);
		ok &= vm_stat_get(&st, name, &v) && vm_expect_eq(name, base[i] + cycles, v);
	}
	ok &= vm_expect_stat(&st, "ic_protocol_errors", 0);
	ok &= vm_expect_kmsg(mark, "hv_utils: Heartbeat IC version", false, cycles);
	ok &= vm_expect_kmsg(mark, "hv_utils: Shutdown IC version", false, cycles);
	ok &= vm_expect_kmsg(mark, "hv_utils: TimeSync IC version", false, cycles);
	if (!vm_stats_load(VM_SIM, "stats", &st))
		ok &= vm_expect_stat(&st, "guest_errors", 0);
	return ok;
}

int main(void)
{
	struct vm_kmsg_mark mark;
	unsigned int done = 0;
	bool ran;

	ksft_print_header();
	vm_setup();
	ic_setup();
	cycles = vm_param_range("vmbus_ic_reload_cycles", DEFAULT_CYCLES, 1, MAX_CYCLES);
	ksft_set_plan(4);
	ran = reload_cycles(&mark, &done);
	ksft_test_result(ran, "%u hv_utils unload/reload cycles, all four bound each time\n",
			 cycles);
	ksft_test_result(ran && counts_agree(&mark),
			 "one negotiation and one version line per load, no protocol error\n");
	vm_kmemleak_subtest("kmemleak: no leak from hv_utils, hv_vmbus, vmbus_sim, vmbus_platform");
	ksft_test_result(ic_teardown() & vm_teardown(),
			 "teardown: hv_utils and hv_vmbus unloaded, sim restored\n");
	vm_test_finished();
}
