// SPDX-License-Identifier: GPL-2.0
/*
 * hostile_offer_test: the host sends offers and messages the guest must
 * refuse (Documentation/virt/hyperv/vmbus-core.rst, "Refused offers" and
 * "Host messages") while echo traffic runs.
 *
 * Through vmbus_sim/hostile_offer: a duplicate of the echo device's
 * instance at a fresh relid, a sub-channel of an instance never offered,
 * monitor id 128, relid 0, relid 4096, and a new instance at the echo
 * device's live relid.  The guest must count each in offers_refused, send
 * RELID_RELEASED for exactly the three with a fresh relid (host
 * hostile_released), register no device, and keep the echo traffic intact
 * (host packet counts equal the driver's, no guest error).
 *
 * Then through vmbus_sim/hostile_msg, one of each kind: a timer message
 * on the VMBus SINT, a RESCIND of the echo device with payload_size 241
 * and one with payload_size 8, an unknown message type, a type only the
 * guest sends, and four answers to requests never made (VERSION_RESPONSE,
 * OPENCHANNEL_RESULT for the echo device, GPADL_CREATED and GPADL_TORNDOWN
 * for an unknown GPADL).  The guest must count the timer message in
 * msgs_foreign and the other eight in msgs_bad, log the timer message's
 * type, and change nothing else: the echo device stays, its traffic
 * intact.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "vmbus_util.h"

#define INSTANCE	"6b0c6f2e-4a11-4d25-9e51-0e3c5d7a00b1"
#define RUN_CMD		"bulk 20000 16 4096"

enum { RUN_MS = 600000, WAIT_MS = 30000, RELEASABLE = 3, HMSG_BAD = 8 };

static unsigned int relid;

static bool inject(const char *cmd)
{
	int err = vm_write(VM_SIM, "hostile_offer", "%s", cmd);

	return vm_expect(!err, "hostile_offer <- %s: %s", cmd, err ? strerror(-err) : "ok");
}

static bool host_matches(const struct vm_echo_result *r)
{
	struct vm_stats st;

	if (vm_stats_load(VM_SIM, "stats", &st))
		return false;
	return vm_expect_stat(&st, "packets_in", r->total.sent) &
	       vm_expect_stat(&st, "packets_out", r->total.sent) &
	       vm_expect_stat(&st, "guest_errors", 0);
}

/* The background echo run @pid ended clean, the host saw every packet. */
static bool traffic_intact(int pid)
{
	struct vm_echo_result r;
	int err;
	bool ok;

	err = vm_echo_run_wait(pid, RUN_CMD, RUN_MS);
	ok = vm_expect(!err, "`%s`: %s", RUN_CMD, err ? strerror(-err) : "ok");
	if (vm_echo_result_load(INSTANCE, &r))
		return false;
	return ok & vm_echo_expect_clean(&r, 20000) & host_matches(&r);
}

static bool hostile(void)
{
	uint64_t refused0 = 0, released0 = 0, refused = 0;
	struct vm_stats g, s;
	char cmd[64];
	int devs, pid, err;
	bool ok = true;

	if (vm_sim_reset_stats() || vm_stats_load(VM_GUEST, "stats", &g) ||
	    !vm_stat_get(&g, "offers_refused", &refused0) ||
	    !vm_stat_get(&g, "relids_released", &released0))
		return vm_expect(false, "guest stats offers_refused/relids_released missing");
	devs = vm_vmbus_device_count();
	pid = vm_echo_run_start(INSTANCE, RUN_CMD);
	if (pid < 0)
		return false;
	snprintf(cmd, sizeof(cmd), "dup %u", relid);
	ok &= inject(cmd);
	ok &= inject("orphan_sub");
	ok &= inject("bad_monitor");
	ok &= inject("relid0");
	ok &= inject("relid_high");
	snprintf(cmd, sizeof(cmd), "reuse %u", relid);
	ok &= inject(cmd);
	ok &= vm_wait_stat(VM_GUEST, "stats", "offers_refused", refused0 + 6, WAIT_MS);
	ok &= vm_wait_stat(VM_SIM, "stats", "hostile_released", RELEASABLE, WAIT_MS);
	ok &= traffic_intact(pid);
	if (vm_stats_load(VM_GUEST, "stats", &g) || vm_stats_load(VM_SIM, "stats", &s))
		return false;
	vm_stat_get(&g, "offers_refused", &refused);
	ok &= vm_expect_eq("guest offers_refused", refused0 + 6, refused);
	ok &= vm_expect_stat(&s, "hostile_offers", 6);
	ok &= vm_expect_stat(&s, "hostile_releasable", RELEASABLE);
	ok &= vm_expect_stat(&s, "hostile_released", RELEASABLE);
	ok &= vm_expect_stat(&g, "relids_released", released0 + RELEASABLE);
	ok &= vm_expect_eq("vmbus devices", devs, vm_vmbus_device_count());
	/* The device whose relid was re-used still echoes. */
	err = vm_echo_run(INSTANCE, "pingpong 100 256", WAIT_MS);
	ok &= vm_expect(!err, "pingpong after the hostile offers: %s",
			err ? strerror(-err) : "ok");
	return ok;
}

static bool hostile_msgs(void)
{
	static const char *const plain[] = {
		"timer", "unknown", "guest_type", "unsolicited_version",
		"unknown_torndown",
	};
	static const char *const at_relid[] = {
		"oversized", "short", "unsolicited_open", "unknown_gpadl",
	};
	uint64_t bad0 = 0, foreign0 = 0, bad = 0, foreign = 0, n0, n;
	struct vm_stats g, s, k0, k;
	struct vm_kmsg_mark mark;
	char cmd[64];
	int devs, pid, err;
	unsigned int i;
	bool ok = true;

	if (vm_sim_reset_stats() || vm_stats_load(VM_GUEST, "stats", &g) ||
	    !vm_stat_get(&g, "msgs_bad", &bad0) ||
	    !vm_stat_get(&g, "msgs_foreign", &foreign0) || vm_kmsg_mark(&mark) ||
	    vm_stats_load(VM_SIM, "hostile_msg", &k0))
		return vm_expect(false, "guest stats msgs_bad/msgs_foreign, the kernel log or "
				 "vmbus_sim/hostile_msg missing");
	devs = vm_vmbus_device_count();
	pid = vm_echo_run_start(INSTANCE, RUN_CMD);
	if (pid < 0)
		return false;
	for (i = 0; i < sizeof(plain) / sizeof(plain[0]); i++) {
		err = vm_write(VM_SIM, "hostile_msg", "%s", plain[i]);
		ok &= vm_expect(!err, "hostile_msg <- %s: %s", plain[i],
				err ? strerror(-err) : "ok");
	}
	for (i = 0; i < sizeof(at_relid) / sizeof(at_relid[0]); i++) {
		snprintf(cmd, sizeof(cmd), "%s %u", at_relid[i], relid);
		err = vm_write(VM_SIM, "hostile_msg", "%s", cmd);
		ok &= vm_expect(!err, "hostile_msg <- %s: %s", cmd,
				err ? strerror(-err) : "ok");
	}
	ok &= vm_wait_stat(VM_GUEST, "stats", "msgs_foreign", foreign0 + 1, WAIT_MS);
	ok &= vm_wait_stat(VM_GUEST, "stats", "msgs_bad", bad0 + HMSG_BAD, WAIT_MS);
	ok &= vm_wait_kmsg(&mark, "SynIC message of type 0x80000010 on the VMBus SINT dropped",
			   false, WAIT_MS);
	ok &= traffic_intact(pid);
	if (vm_stats_load(VM_GUEST, "stats", &g) || vm_stats_load(VM_SIM, "stats", &s))
		return false;
	vm_stat_get(&g, "msgs_bad", &bad);
	vm_stat_get(&g, "msgs_foreign", &foreign);
	ok &= vm_expect_eq("guest msgs_foreign", foreign0 + 1, foreign);
	ok &= vm_expect_eq("guest msgs_bad", bad0 + HMSG_BAD, bad);
	ok &= vm_expect_stat(&s, "hostile_msgs", 1 + HMSG_BAD);
	/* One of each kind, none refused or sent twice. */
	if (vm_stats_load(VM_SIM, "hostile_msg", &k))
		return false;
	for (i = 0; i < k.count; i++) {
		n0 = 0;
		vm_stats_find(&k0, k.stat[i].name, &n0);
		n = k.stat[i].value;
		ok &= vm_expect(n == n0 + 1, "vmbus_sim/hostile_msg %s: expected %" PRIu64
				", got %" PRIu64, k.stat[i].name, n0 + 1, n);
	}
	ok &= vm_expect_eq("hostile_msg kinds", 1 + HMSG_BAD, k.count);
	ok &= vm_expect_eq("vmbus devices", devs, vm_vmbus_device_count());
	err = vm_echo_run(INSTANCE, "pingpong 100 256", WAIT_MS);
	ok &= vm_expect(!err, "pingpong after the hostile messages: %s",
			err ? strerror(-err) : "ok");
	return ok;
}

int main(void)
{
	const char *const inst[] = { INSTANCE };
	bool loaded;

	ksft_print_header();
	vm_setup();
	ksft_set_plan(5);
	loaded = vm_echo_load(inst, 1, 0) && vm_chan_relids(INSTANCE, &relid, 1) == 1;
	ksft_test_result(loaded, "echo device loaded, relid %u\n", relid);
	ksft_test_result(loaded && hostile(),
			 "6 hostile offers refused, 3 relids released, traffic intact\n");
	ksft_test_result(loaded && hostile_msgs(),
			 "9 hostile messages dropped: 1 foreign, 8 bad, traffic intact\n");
	ksft_test_result(vm_echo_unload() & vm_guest_unload(), "rmmod %s and hv_vmbus\n",
			 VM_ECHO_DRV);
	ksft_test_result(vm_teardown(), "teardown: sim modes and devices restored\n");
	vm_test_finished();
}
