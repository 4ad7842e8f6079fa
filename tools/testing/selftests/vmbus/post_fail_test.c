// SPDX-License-Identifier: GPL-2.0
/*
 * post_fail_test: the host refuses HvPostMessage at random with each status
 * the guest must treat as "try again"; the guest retries every refused post,
 * never gives up, and every message arrives once, in order.
 *
 * Sim modes: post_fail_status (11, 18, 19, 120 in turn), post_fail_rate 30,
 * version_ceiling 4.0 (six INITIATE_CONTACTs: more posts to refuse), and 20
 * test devices (offered, so the guest has more messages to take in).
 *
 * Status 18 (INVALID_CONNECTION_ID) is "try again" for every message but
 * INITIATE_CONTACT, where it means "no such connection": the host injects
 * it only into the other messages (vmbus-sim.rst, "Host eras").
 *
 * Accounting, per load: every HvPostMessage call the host counts is accepted
 * (msgs_in), refused by injection, refused because its queue was full,
 * refused for a bad connection id, or (the four 5.x INITIATE_CONTACTs on
 * connection id 4, which a 4.0 host does not have) refused for a connection
 * id the host lacks; the guest retries each refusal but the last kind once
 * (post_retries) unless it gives up (post_failures, which must stay 0).
 */
#include <inttypes.h>
#include <stdio.h>

#include "vmbus_util.h"

static const unsigned int fail_statuses[] = { 11, 18, 19, 120 };

enum {
	FAIL_RATE	= 30,	/* percent */
	/*
	 * Loads until a refusal was injected.  With status 18 only
	 * REQUESTOFFERS can be refused (the 4.x contacts cannot, the 5.x ones
	 * go to a connection id a 4.0 host lacks): a load refuses nothing 70%
	 * of the time, and 30 loads all do with a chance of 2 in 100,000.
	 */
	ROUNDS		= 30,
	DEVICES		= 20,
};

#define CEILING "4.0"

struct refusals {
	uint64_t injected, full, bad_conn_id, no_conn_id;
};

static bool read_refusals(const struct vm_stats *sim, struct refusals *r)
{
	return vm_stat_get(sim, "posts_refused_injected", &r->injected) &
	       vm_stat_get(sim, "posts_refused_full", &r->full) &
	       vm_stat_get(sim, "posts_bad_conn_id", &r->bad_conn_id) &
	       vm_stat_get(sim, "contacts_no_conn_id", &r->no_conn_id);
}

static bool check_host_counters(const struct vm_stats *sim, const struct refusals *r)
{
	uint64_t posts, msgs_in;
	struct vm_stats in;
	bool ok;

	if (vm_stats_load(VM_SIM, "msg_in", &in) || !vm_stat_get(sim, "posts", &posts) ||
	    !vm_stat_get(sim, "msgs_in", &msgs_in))
		return false;
	ok = vm_expect_eq("vmbus_sim/stats posts (msgs_in + refused injected, "
			  "full, bad conn id, no conn id)",
			  msgs_in + r->injected + r->full + r->bad_conn_id + r->no_conn_id,
			  posts);
	ok &= vm_expect_stat(sim, "posts_bad_conn_id", 0);
	ok &= vm_expect_stat(sim, "contacts_no_conn_id", vm_contacts_refused(CEILING));
	ok &= vm_expect_stat(sim, "guest_errors", 0);
	ok &= vm_expect_stat(sim, "connected", 1);
	ok &= vm_expect_msgs(&in, "INITIATE_CONTACT",
			     1 + vm_versions_above(CEILING) - vm_contacts_refused(CEILING));
	ok &= vm_expect_msgs(&in, "REQUESTOFFERS", 1);
	return ok;
}

static bool check_guest_counters(const struct refusals *r)
{
	struct vm_stats st;
	bool ok;

	if (vm_stats_load(VM_GUEST, "stats", &st))
		return false;
	ok = vm_expect_stat(&st, "post_failures", 0);
	ok &= vm_expect_stat(&st, "post_retries", r->injected + r->full + r->bad_conn_id);
	ok &= vm_expect_stat(&st, "version", vm_version_code(CEILING));
	ok &= vm_expect_stat(&st, "offers", DEVICES);
	ok &= vm_expect_stat(&st, "offers_at_alloffers", DEVICES);
	return ok;
}

/* Every accepted message, in order, both ways. */
static bool check_logs(void)
{
	struct vm_msglog g_out = { 0 }, g_in = { 0 }, s_in = { 0 }, s_out = { 0 };
	bool ok = false;

	if (!vm_msglog_load(VM_GUEST, "msg_out_log", &g_out) &&
	    !vm_msglog_load(VM_SIM, "msg_in_log", &s_in) &&
	    !vm_msglog_load(VM_GUEST, "msg_in_log", &g_in) &&
	    !vm_msglog_load(VM_SIM, "msg_out_log", &s_out))
		ok = vm_msglog_expect_equal(&s_in, &g_out) &
		     vm_msglog_expect_equal(&s_out, &g_in);
	vm_msglog_free(&g_out);
	vm_msglog_free(&g_in);
	vm_msglog_free(&s_in);
	vm_msglog_free(&s_out);
	return ok;
}

/*
 * One load with refusals injected: VM_SKIP when chance injected none (the
 * caller tries again), else the verdict of all checks.  Unloads again.
 */
static enum vm_verdict one_round(unsigned int round)
{
	struct refusals r = { 0 };
	struct vm_stats sim;
	bool ok;

	if (vm_sim_reset_stats() || !vm_guest_load(VM_MODPROBE_MS))
		return VM_FAIL;
	ok = !vm_stats_load(VM_SIM, "stats", &sim) && read_refusals(&sim, &r);
	if (ok && !r.injected) {
		ksft_print_msg("round %u: no post refused by chance; loading again\n", round);
		return vm_guest_unload() ? VM_SKIP : VM_FAIL;
	}
	if (ok) {
		ksft_print_msg("round %u: %" PRIu64 " posts refused by injection, %" PRIu64
			       " by a full queue\n", round, r.injected, r.full);
		ok = check_host_counters(&sim, &r);
		ok &= check_guest_counters(&r);
		ok &= check_logs();
	}
	ok &= vm_guest_unload();
	return ok ? VM_PASS : VM_FAIL;
}

static bool set_modes(unsigned int status)
{
	return !vm_sim_set("version_ceiling", CEILING) &&
	       !vm_sim_set("post_fail_status", "%u", status) &&
	       !vm_sim_set("post_fail_rate", "%u", FAIL_RATE) &&
	       !vm_sim_devices_add_test(DEVICES);
}

static bool refused_with(unsigned int status)
{
	enum vm_verdict verdict = VM_SKIP;
	unsigned int round;
	bool ok;

	ok = set_modes(status);
	for (round = 1; ok && verdict == VM_SKIP && round <= ROUNDS; round++)
		verdict = one_round(round);
	if (ok && verdict == VM_SKIP)
		ksft_print_msg("no post was refused in %u loads at %u%%\n", ROUNDS, FAIL_RATE);
	ok &= verdict == VM_PASS;
	ok &= !vm_sim_set("post_fail_rate", "0");
	ok &= !vm_sim_devices_clear();
	return ok;
}

int main(void)
{
	unsigned int i, n = sizeof(fail_statuses) / sizeof(fail_statuses[0]);

	ksft_print_header();
	vm_setup();
	ksft_set_plan(n + 1);
	for (i = 0; i < n; i++)
		ksft_test_result(refused_with(fail_statuses[i]),
				 "posts refused at %u%% with status %u: retried, all arrive in order\n",
				 FAIL_RATE, fail_statuses[i]);
	ksft_test_result(vm_teardown(), "teardown: hv_vmbus unloaded, sim modes restored\n");
	vm_test_finished();
}
