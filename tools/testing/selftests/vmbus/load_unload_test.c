// SPDX-License-Identifier: GPL-2.0
/*
 * load_unload_test: the guest core loads and unloads vmbus_load_unload_cycles
 * times (environment or kernel command line, default 50, 1..10000) against
 * one simulated host without a reset, an error or a leak; and when the host never
 * answers UNLOAD, rmmod still finishes, and the next load resets the bus the
 * host still believes connected (if it does).
 *
 * Sim modes: version_ceiling 5.3 (one INITIATE_CONTACT per load),
 * unload_respond 0 then 1.
 */
#include <inttypes.h>
#include <stdio.h>

#include "vmbus_util.h"

enum {
	DEFAULT_CYCLES = 50,
	MAX_CYCLES = 10000,
	UNANSWERED_RMMOD_MS = 30000,	/* the guest waits 10 s for the answer */
};

static unsigned int cycles;

static bool run_cycles(void)
{
	unsigned int i;

	for (i = 1; i <= cycles; i++) {
		if (!vm_guest_load(VM_MODPROBE_MS) || !vm_guest_unload())
			return vm_expect(false, "cycle %u of %u failed", i, cycles);
	}
	return true;
}

static bool check_cycle_counters(void)
{
	struct vm_stats st;
	bool ok;

	ok = vm_wait_stat(VM_SIM, "stats", "unloads", cycles, VM_SETTLE_MS);
	ok &= vm_wait_stat(VM_SIM, "stats", "unload_responses", cycles, VM_SETTLE_MS);
	if (vm_stats_load(VM_SIM, "stats", &st))
		return false;
	ok &= vm_expect_stat(&st, "contacts", cycles);
	ok &= vm_expect_stat(&st, "resets", 0);
	ok &= vm_expect_stat(&st, "guest_errors", 0);
	ok &= vm_expect_stat(&st, "connected", 0);
	return ok;
}

static bool load_unload_cycles(void)
{
	struct vm_kmsg_mark mark;
	bool ok;

	if (vm_sim_reset_stats() || vm_sim_set("version_ceiling", "5.3") ||
	    vm_kmsg_mark(&mark))
		return false;
	ok = run_cycles();
	ok &= check_cycle_counters();
	ok &= vm_expect_version_lines(&mark, "5.3", cycles);
	return ok;
}

static bool rmmod_within_deadline(void)
{
	uint64_t start = vm_now_ms();
	int status = vm_rmmod("hv_vmbus", UNANSWERED_RMMOD_MS);

	ksft_print_msg("rmmod without UNLOAD_RESPONSE took %" PRIu64 " ms\n",
		       vm_now_ms() - start);
	return vm_expect(status == 0, "`rmmod hv_vmbus` with no UNLOAD_RESPONSE: "
			 "expected exit status 0 within %u ms, got %d",
			 UNANSWERED_RMMOD_MS, status);
}

/*
 * Whether the host still counts itself connected after an UNLOAD it never
 * answered is its own choice (Documentation/virt/hyperv/vmbus-sim.rst,
 * "Connection (1-4)", does not fix it): the next
 * INITIATE_CONTACT must be counted as a reset exactly when it does.
 */
struct unanswered {
	uint64_t still_connected;
};

static bool read_still_connected(struct unanswered *u)
{
	struct vm_stats st;

	if (vm_stats_load(VM_SIM, "stats", &st) ||
	    !vm_stat_get(&st, "connected", &u->still_connected))
		return false;
	ksft_print_msg("after the unanswered UNLOAD the host counts itself %s\n",
		       u->still_connected ? "connected" : "disconnected");
	return true;
}

/* Sim stats are kept from here to the next subtest, which counts the reset. */
static bool unload_unanswered(struct unanswered *u)
{
	struct vm_kmsg_mark mark;
	bool ok;

	if (vm_sim_reset_stats() || vm_sim_set("version_ceiling", "5.3") ||
	    !vm_guest_load(VM_MODPROBE_MS))
		return false;
	if (vm_sim_set("unload_respond", "0") || vm_kmsg_mark(&mark))
		return false;
	ok = rmmod_within_deadline();
	ok &= vm_expect_kmsg(&mark, "hv_vmbus: no UNLOAD_RESPONSE from the host", false, 1);
	ok &= vm_wait_stat(VM_SIM, "stats", "unloads", 1, VM_SETTLE_MS);
	ok &= vm_wait_stat(VM_SIM, "stats", "unload_responses", 0, VM_SETTLE_MS);
	return ok & read_still_connected(u);
}

static bool check_reconnect_counters(const struct unanswered *u)
{
	struct vm_stats st;
	bool ok;

	if (vm_stats_load(VM_SIM, "stats", &st))
		return false;
	ok = vm_expect_stat(&st, "contacts", 2);
	ok &= vm_expect_stat(&st, "resets", u->still_connected);
	ok &= vm_expect_stat(&st, "connected", 1);
	ok &= vm_expect_stat(&st, "guest_errors", 0);
	return ok;
}

static bool reconnect_after_unanswered(const struct unanswered *u)
{
	struct vm_kmsg_mark mark;
	bool ok;

	if (vm_sim_set("unload_respond", "1") || vm_kmsg_mark(&mark) ||
	    !vm_guest_load(VM_MODPROBE_MS))
		return false;
	ok = vm_expect_version_lines(&mark, "5.3", 1);
	ok &= check_reconnect_counters(u);
	ok &= vm_guest_unload();
	ok &= vm_wait_stat(VM_SIM, "stats", "unload_responses", 1, VM_SETTLE_MS);
	ok &= vm_wait_stat(VM_SIM, "stats", "connected", 0, VM_SETTLE_MS);
	return ok;
}

int main(void)
{
	struct unanswered u = { 0 };

	ksft_print_header();
	vm_setup();
	cycles = vm_param_range("vmbus_load_unload_cycles", DEFAULT_CYCLES, 1, MAX_CYCLES);
	ksft_set_plan(5);
	ksft_test_result(load_unload_cycles(), "%u modprobe/rmmod cycles, one contact each\n",
			 cycles);
	vm_kmemleak_subtest("kmemleak: no leak from hv_vmbus, vmbus_sim, vmbus_platform");
	ksft_test_result(unload_unanswered(&u),
			 "rmmod finishes when the host never answers UNLOAD\n");
	ksft_test_result(reconnect_after_unanswered(&u),
			 "next load connects again (a reset iff the host still thought it connected)\n");
	ksft_test_result(vm_teardown(), "teardown: hv_vmbus unloaded, sim modes restored\n");
	vm_test_finished();
}
