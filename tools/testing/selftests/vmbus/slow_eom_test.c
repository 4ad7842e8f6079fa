// SPDX-License-Identifier: GPL-2.0
/*
 * slow_eom_test: 500 offers pass through the one message slot while the host
 * delays each delivery after an EOM, so the slot is often busy and the host
 * must set MessagePending; every message still arrives intact and in order,
 * and the guest has seen all 500 offers when ALLOFFERS_DELIVERED arrives.
 *
 * Sim modes: 500 test devices, eom_delay_us 300, version_ceiling 5.3.
 */

#include "vmbus_util.h"

enum {
	DEVICES		= 500,
	EOM_DELAY_US	= 300,
	/* VERSION_RESPONSE, one OFFERCHANNEL per device, ALLOFFERS_DELIVERED */
	HOST_MSGS	= 1 + DEVICES + 1,
};

static bool load_with_slow_eom(void)
{
	if (vm_sim_set("version_ceiling", "5.3") || vm_sim_devices_add_test(DEVICES) ||
	    vm_sim_set("eom_delay_us", "%u", EOM_DELAY_US) || vm_sim_reset_stats())
		return false;
	return vm_guest_load(VM_MODPROBE_SLOW_MS);
}

static bool check_offers(void)
{
	struct vm_stats st, out;
	bool ok;

	if (vm_stats_load(VM_GUEST, "stats", &st) || vm_stats_load(VM_SIM, "msg_out", &out))
		return false;
	ok = vm_expect_stat(&st, "offers", DEVICES);
	ok &= vm_expect_stat(&st, "offers_at_alloffers", DEVICES);
	ok &= vm_expect_stat(&st, "msgs_bad", 0);
	ok &= vm_expect_msgs(&out, "OFFERCHANNEL", DEVICES);
	ok &= vm_expect_msgs(&out, "ALLOFFERS_DELIVERED", 1);
	return ok;
}

static bool check_slot_was_busy(void)
{
	struct vm_stats st;

	if (vm_stats_load(VM_SIM, "stats", &st))
		return false;
	return vm_expect_stat_ge(&st, "msg_pending_set", 1) &
	       vm_expect_stat(&st, "guest_errors", 0);
}

static bool check_host_to_guest_log(void)
{
	struct vm_msglog sim = { 0 }, guest = { 0 };
	bool ok = false;

	if (!vm_msglog_load(VM_SIM, "msg_out_log", &sim) &&
	    !vm_msglog_load(VM_GUEST, "msg_in_log", &guest)) {
		ok = vm_msglog_expect_equal(&sim, &guest);
		ok &= vm_expect_eq("vmbus_sim/msg_out_log lines", HOST_MSGS, sim.count);
		ok &= vm_msglog_expect_types(&sim, 0, 1, VM_MSG_VERSION_RESPONSE) &&
		      vm_msglog_expect_types(&sim, 1, DEVICES, VM_MSG_OFFERCHANNEL) &&
		      vm_msglog_expect_types(&sim, 1 + DEVICES, 1,
					     VM_MSG_ALLOFFERS_DELIVERED);
	}
	vm_msglog_free(&sim);
	vm_msglog_free(&guest);
	return ok;
}

static bool check_guest_to_host_log(void)
{
	struct vm_msglog sim = { 0 }, guest = { 0 };
	bool ok = false;

	if (!vm_msglog_load(VM_SIM, "msg_in_log", &sim) &&
	    !vm_msglog_load(VM_GUEST, "msg_out_log", &guest))
		ok = vm_msglog_expect_equal(&sim, &guest);
	vm_msglog_free(&sim);
	vm_msglog_free(&guest);
	return ok;
}

static bool unload_and_restore(void)
{
	bool ok = vm_guest_unload();

	ok &= !vm_sim_devices_clear();
	ok &= !vm_sim_set("eom_delay_us", "0");
	return ok;
}

int main(void)
{
	ksft_print_header();
	vm_setup();
	ksft_set_plan(7);
	ksft_test_result(load_with_slow_eom(),
			 "modprobe hv_vmbus with %u devices, eom_delay_us %u\n",
			 DEVICES, EOM_DELAY_US);
	ksft_test_result(check_offers(), "all %u offers seen before ALLOFFERS_DELIVERED\n",
			 DEVICES);
	ksft_test_result(check_slot_was_busy(), "host found the slot busy (msg_pending_set > 0)\n");
	ksft_test_result(check_host_to_guest_log(),
			 "host msg_out_log == guest msg_in_log (%u lines)\n", HOST_MSGS);
	ksft_test_result(check_guest_to_host_log(), "guest msg_out_log == host msg_in_log\n");
	ksft_test_result(unload_and_restore(), "rmmod hv_vmbus, devices cleared, eom_delay_us 0\n");
	ksft_test_result(vm_teardown(), "teardown: hv_vmbus unloaded, sim modes restored\n");
	vm_test_finished();
}
