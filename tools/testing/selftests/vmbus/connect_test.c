// SPDX-License-Identifier: GPL-2.0
/*
 * connect_test: for every version the guest knows, a host whose ceiling is
 * that version connects at exactly it, after refusing each higher one (a
 * host below 5.0 refuses the posts to connection id 4 that carry the 5.x
 * versions: the guest moves on to the next version); the guest posts to the connection id the host named (5.0 on) or to 1 (before
 * 5.0); both sides log the same messages each way; UNLOAD is answered.
 *
 * Sim modes: version_ceiling (each guest version in turn), msg_conn_id (a
 * different non-default id per subtest; the guest must ignore it before 5.0).
 */

#include "vmbus_util.h"

/* Neither 1 (the id before 5.0) nor 4 (the sim's default). */
enum { CONN_ID_BASE = 0x1234 };

struct logs {
	struct vm_msglog guest_out, guest_in, sim_in, sim_out;
};

static bool is_pre_5_0(const char *version)
{
	return vm_version_code(version) < vm_version_code("5.0");
}

/*
 * The guest posts one INITIATE_CONTACT per version down to the ceiling; a
 * host below 5.0 refuses those on connection id 4 (contacts_no_conn_id)
 * and answers the rest.
 */
static bool check_host_counters(const char *ceiling, unsigned int conn_id)
{
	uint64_t refused = vm_contacts_refused(ceiling);
	uint64_t contacts = 1 + vm_versions_above(ceiling) - refused;
	struct vm_stats st, in, out;
	bool ok;

	if (vm_stats_load(VM_SIM, "stats", &st) || vm_stats_load(VM_SIM, "msg_in", &in) ||
	    vm_stats_load(VM_SIM, "msg_out", &out))
		return false;
	ok = vm_expect_connected_at(&st, &in, ceiling);
	if (!is_pre_5_0(ceiling))
		ok &= vm_expect_stat(&st, "msg_conn_id", conn_id);
	ok &= vm_expect_msgs(&out, "VERSION_RESPONSE", contacts);
	ok &= vm_expect_msgs(&in, "REQUESTOFFERS", 1);
	ok &= vm_expect_msgs(&out, "ALLOFFERS_DELIVERED", 1);
	return ok;
}

static bool check_guest_counters(const char *ceiling, unsigned int conn_id)
{
	struct vm_stats st;
	bool ok;

	if (vm_stats_load(VM_GUEST, "stats", &st))
		return false;
	ok = vm_expect_stat(&st, "version", vm_version_code(ceiling));
	ok &= vm_expect_stat(&st, "msg_conn_id", is_pre_5_0(ceiling) ? 1 : conn_id);
	return ok;
}

/* While connected both directions match line for line. */
static bool check_logs_connected(struct logs *l)
{
	if (vm_msglog_load(VM_GUEST, "msg_out_log", &l->guest_out) ||
	    vm_msglog_load(VM_GUEST, "msg_in_log", &l->guest_in) ||
	    vm_msglog_load(VM_SIM, "msg_in_log", &l->sim_in) ||
	    vm_msglog_load(VM_SIM, "msg_out_log", &l->sim_out))
		return false;
	return vm_msglog_expect_equal(&l->sim_in, &l->guest_out) &
	       vm_msglog_expect_equal(&l->sim_out, &l->guest_in);
}

/*
 * The guest's logs vanish with the module, so compare the host's logs after
 * rmmod with the guest's from before: exactly UNLOAD and UNLOAD_RESPONSE more.
 */
static bool check_logs_unloaded(struct logs *l)
{
	vm_msglog_free(&l->sim_in);
	vm_msglog_free(&l->sim_out);
	if (vm_msglog_load(VM_SIM, "msg_in_log", &l->sim_in) ||
	    vm_msglog_load(VM_SIM, "msg_out_log", &l->sim_out))
		return false;
	return vm_msglog_expect_one_more(&l->guest_out, &l->sim_in, VM_MSG_UNLOAD) &
	       vm_msglog_expect_one_more(&l->guest_in, &l->sim_out,
					 VM_MSG_UNLOAD_RESPONSE);
}

static bool check_unloaded(void)
{
	return vm_wait_stat(VM_SIM, "stats", "unloads", 1, VM_SETTLE_MS) &
	       vm_wait_stat(VM_SIM, "stats", "unload_responses", 1, VM_SETTLE_MS) &
	       vm_wait_stat(VM_SIM, "stats", "connected", 0, VM_SETTLE_MS);
}

static void logs_free(struct logs *l)
{
	vm_msglog_free(&l->guest_out);
	vm_msglog_free(&l->guest_in);
	vm_msglog_free(&l->sim_in);
	vm_msglog_free(&l->sim_out);
}

static bool connect_at(const char *ceiling, unsigned int conn_id)
{
	struct vm_kmsg_mark mark;
	struct logs logs = { 0 };
	bool ok;

	if (vm_sim_reset_stats() || vm_sim_set("version_ceiling", "%s", ceiling) ||
	    vm_sim_set("msg_conn_id", "%u", conn_id) || vm_kmsg_mark(&mark))
		return false;
	if (!vm_guest_load(VM_MODPROBE_MS))
		return false;
	ok = vm_expect_version_lines(&mark, ceiling, 1);
	ok &= vm_expect_kmsg(&mark, "the host has no connection id 4", false,
			     vm_contacts_refused(ceiling));
	ok &= check_host_counters(ceiling, conn_id);
	ok &= check_guest_counters(ceiling, conn_id);
	ok &= check_logs_connected(&logs);
	if (vm_guest_unload())
		ok &= check_unloaded() & check_logs_unloaded(&logs);
	else
		ok = false;
	logs_free(&logs);
	return ok;
}

int main(void)
{
	unsigned int i;

	ksft_print_header();
	vm_setup();
	ksft_set_plan(vm_guest_version_count + 1);
	for (i = 0; i < vm_guest_version_count; i++)
		ksft_test_result(connect_at(vm_guest_versions[i], CONN_ID_BASE + i),
				 "connect with host ceiling %s, msg_conn_id %u\n",
				 vm_guest_versions[i], CONN_ID_BASE + i);
	ksft_test_result(vm_teardown(), "teardown: hv_vmbus unloaded, sim modes restored\n");
	vm_test_finished();
}
