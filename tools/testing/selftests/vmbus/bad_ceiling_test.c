// SPDX-License-Identifier: GPL-2.0
/*
 * bad_ceiling_test: a host whose highest version is below every version the
 * guest knows makes `modprobe hv_vmbus` fail cleanly (in time, with the log
 * line, nothing left loaded, the host not connected) after the guest tried
 * each of its versions once; a normal host then works again.
 *
 * Sim modes: version_ceiling 1.1, 0.13, then 5.3.
 */

#include "vmbus_util.h"

static const char *const bad_ceilings[] = { "1.1", "0.13" };

static bool check_refused_everything(const char *ceiling)
{
	/* The 5.x contacts go to connection id 4, which these hosts lack. */
	unsigned int refused = vm_contacts_refused(ceiling);
	unsigned int tries = vm_guest_version_count - refused;
	struct vm_stats st, in, out;
	bool ok;

	if (vm_stats_load(VM_SIM, "stats", &st) || vm_stats_load(VM_SIM, "msg_in", &in) ||
	    vm_stats_load(VM_SIM, "msg_out", &out))
		return false;
	ok = vm_expect_stat(&st, "connected", 0);
	ok &= vm_expect_stat(&st, "contacts_no_conn_id", refused);
	ok &= vm_expect_stat(&st, "posts_bad_conn_id", 0);
	ok &= vm_expect_msgs(&in, "INITIATE_CONTACT", tries);
	ok &= vm_expect_msgs(&out, "VERSION_RESPONSE", tries);
	ok &= vm_expect_msgs(&in, "REQUESTOFFERS", 0);
	return ok;
}

static bool load_fails(const char *ceiling)
{
	struct vm_kmsg_mark mark;
	int status;
	bool ok;

	if (vm_sim_reset_stats() || vm_sim_set("version_ceiling", "%s", ceiling) ||
	    vm_kmsg_mark(&mark))
		return false;
	if (!vm_expect(!vm_module_loaded("hv_vmbus"), "hv_vmbus loaded before modprobe"))
		return false;
	status = vm_modprobe("hv_vmbus", VM_MODPROBE_MS);
	ok = vm_expect(status > 0, "`modprobe hv_vmbus`: expected a non-zero exit "
		       "status within %u ms, got %d", VM_MODPROBE_MS, status);
	ok &= vm_expect_kmsg(&mark, "hv_vmbus: no VMBus protocol version in common "
			     "with the host", false, 1);
	ok &= vm_expect_kmsg(&mark, "hv_vmbus: Vmbus version:", false, 0);
	ok &= vm_expect(!vm_module_loaded("hv_vmbus"), "hv_vmbus is in /proc/modules "
			"after a failed modprobe");
	ok &= check_refused_everything(ceiling);
	return ok;
}

static bool load_works_again(void)
{
	struct vm_kmsg_mark mark;
	bool ok;

	if (vm_sim_reset_stats() || vm_sim_set("version_ceiling", "5.3") ||
	    vm_kmsg_mark(&mark) || !vm_guest_load(VM_MODPROBE_MS))
		return false;
	ok = vm_expect_version_lines(&mark, "5.3", 1);
	ok &= vm_wait_stat(VM_SIM, "stats", "connected", 1, VM_SETTLE_MS);
	ok &= vm_guest_unload();
	ok &= vm_wait_stat(VM_SIM, "stats", "connected", 0, VM_SETTLE_MS);
	return ok;
}

int main(void)
{
	unsigned int i, n = sizeof(bad_ceilings) / sizeof(bad_ceilings[0]);

	ksft_print_header();
	vm_setup();
	ksft_set_plan(n + 2);
	for (i = 0; i < n; i++)
		ksft_test_result(load_fails(bad_ceilings[i]),
				 "modprobe fails against host ceiling %s\n", bad_ceilings[i]);
	ksft_test_result(load_works_again(), "modprobe works again with host ceiling 5.3\n");
	ksft_test_result(vm_teardown(), "teardown: hv_vmbus unloaded, sim modes restored\n");
	vm_test_finished();
}
