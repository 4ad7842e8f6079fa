// SPDX-License-Identifier: GPL-2.0
/*
 * reconnect_test: the host's side of a reconnect, seen through plain
 * reloads of hv_vmbus (rmmod sends UNLOAD, modprobe connects again).
 *
 * With resume_relids 1 and resume_conn_ids 1, ten reloads: after each, the
 * host gave every channel another relid (a derangement: relids_moved grows
 * by the channel count, connections by 1), the guest's `id` and channels/
 * follow the host's listing, and echo traffic over every channel of the
 * moved relids is clean (the guest signals on the new connection ids: no
 * guest error, no missed signal).  With resume_relids 0 a reload keeps
 * every relid.
 *
 * Then, one at a time: `devices withhold` (the device is left out of the
 * next offers and leaves the host's table; ENOENT for an unknown
 * instance), unload_rescind (the RESCIND is delivered just ahead of the
 * UNLOAD_RESPONSE, the mode goes back to 0, the device is not offered
 * again) and reoffer_events (after the next load the host counted 50 bit
 * sets per channel, set or coalesced, and the guest's channels/<relid>/
 * interrupts is between 1 and the host's 0 -> 1 count: see
 * events_delivered()).
 *
 * Sim modes: version_ceiling 5.3, resume_relids, resume_conn_ids,
 * unload_rescind, reoffer_events; DEVICES echo devices with NSUB
 * sub-channels each.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "resume_util.h"

enum {
	DEVICES		= 6,
	NSUB		= 1,
	CHANS		= DEVICES * (NSUB + 1),
	RELOADS		= 10,
	ECHO_PACKETS	= 2000,
	ECHO_MS		= 60000,
	REOFFER_EVENTS	= 50,
	/* The message types of the unload_rescind check. */
	MSG_RESCIND	= 2,
};

static const char *const instances[DEVICES] = {
	"52c0e9a4-7d1b-4e0f-9a51-3b6c2d800001",
	"52c0e9a4-7d1b-4e0f-9a51-3b6c2d800002",
	"52c0e9a4-7d1b-4e0f-9a51-3b6c2d800003",
	"52c0e9a4-7d1b-4e0f-9a51-3b6c2d800004",
	"52c0e9a4-7d1b-4e0f-9a51-3b6c2d800005",
	"52c0e9a4-7d1b-4e0f-9a51-3b6c2d800006",
};

#define UNKNOWN_INSTANCE "52c0e9a4-7d1b-4e0f-9a51-3b6c2d8000ff"

static struct rs_map prev, cur;

static bool setup(void)
{
	unsigned int i;

	if (vm_sim_set("version_ceiling", "5.3") || vm_sim_set("resume_relids", "1") ||
	    vm_sim_set("resume_conn_ids", "1") || vm_sim_set("unload_rescind", "0") ||
	    vm_sim_set("reoffer_events", "0"))
		return false;
	for (i = 0; i < DEVICES; i++)
		if (vm_sim_devices_cmd("add %s %s %u", VM_TEST_CLASS, instances[i], NSUB))
			return false;
	/*
	 * One connection first: the modes act on connections that follow an
	 * earlier one, and this may be the first since vmbus_sim loaded.
	 */
	if (!vm_guest_load(VM_MODPROBE_MS) || !vm_wait_vmbus_devices(DEVICES, VM_MODPROBE_MS) ||
	    !vm_guest_unload())
		return false;
	return !rs_map_load(&prev) &&
	       vm_expect_eq("channels in the host's table", CHANS, prev.count);
}

static bool echo_all(void)
{
	struct vm_echo_result r;
	unsigned int i;
	bool ok = true;
	int err;

	for (i = 0; i < DEVICES && ok; i++) {
		err = vm_echo_run(instances[i], "bulk 2000 16 4096", ECHO_MS);
		ok = vm_expect(!err, "%s: echo run: %s", instances[i],
			       err ? strerror(-err) : "ok") &&
		     !vm_echo_result_load(instances[i], &r) &&
		     vm_expect_eq("echo channels", NSUB + 1, r.nchans) &&
		     vm_echo_expect_clean(&r, ECHO_PACKETS);
	}
	return ok;
}

static bool host_clean(void)
{
	struct vm_stats st;

	if (vm_stats_load(VM_SIM, "stats", &st))
		return false;
	return vm_expect_stat(&st, "guest_errors", 0) &
	       vm_expect_stat(&st, "ring_missed_signals", 0) &
	       vm_expect_stat(&st, "ring_errors", 0) &
	       vm_expect_stat_ge(&st, "signals", 1);
}

/* One reload: the relids moved, the guest agrees, traffic is clean. */
static bool reload_once(unsigned int n)
{
	uint64_t conns = 0, moved = 0;
	char what[32];
	bool ok;

	/* From zero: what the counters show after the load is this reload's. */
	if (vm_sim_reset_stats() || !vm_echo_attach(instances, DEVICES, NSUB))
		return false;
	snprintf(what, sizeof(what), "reload %u", n);
	ok = !rs_map_load(&cur) && rs_expect_moved(&prev, &cur, what) &&
	     rs_expect_bus_matches_host();
	ok &= rs_sim_stat("connections", &conns) && rs_sim_stat("relids_moved", &moved) &&
	      vm_expect_eq("connections after the reload", 1, conns) &&
	      vm_expect_eq("relids_moved after the reload", CHANS, moved);
	ok = ok && echo_all() && host_clean();
	ok &= vm_echo_unload();
	ok &= vm_guest_unload();
	prev = cur;
	return ok;
}

static bool reloads(void)
{
	unsigned int i;
	bool ok = true;

	for (i = 1; i <= RELOADS && ok; i++)
		ok = reload_once(i);
	return ok;
}

/* resume_relids 0: the next connection finds every channel where it was. */
static bool stable(void)
{
	bool ok;

	if (vm_sim_set("resume_relids", "0") || rs_map_load(&prev) ||
	    !vm_guest_load(VM_MODPROBE_MS) || !vm_wait_vmbus_devices(DEVICES, VM_MODPROBE_MS))
		return false;
	ok = !rs_map_load(&cur) && rs_expect_same(&prev, &cur) &&
	     rs_expect_bus_matches_host();
	ok &= vm_guest_unload();
	ok &= !vm_sim_set("resume_relids", "1");
	return ok;
}

static bool withhold(void)
{
	char path[256];
	uint64_t withheld = 0;
	bool ok;
	int err;

	vm_path(path, sizeof(path), VM_SIM, "devices");
	err = vm_write_errno(path, "withhold " UNKNOWN_INSTANCE);
	ok = vm_expect(err == -ENOENT, "withhold of an unknown instance: expected "
		       "ENOENT, got %s", strerror(-err));
	if (!ok || vm_sim_reset_stats() ||
	    vm_sim_devices_cmd("withhold %s", instances[0]) || rs_map_load(&prev))
		return false;
	ok &= vm_expect(rs_map_find(&prev, instances[0], 0) != NULL,
			"a withheld device stays in the table until the next offers");
	if (!vm_guest_load(VM_MODPROBE_MS) ||
	    !vm_wait_vmbus_devices(DEVICES - 1, VM_MODPROBE_MS))
		return false;
	ok &= !rs_map_load(&cur) &&
	      vm_expect(!rs_map_find(&cur, instances[0], 0), "%s is still in the "
			"host's table after REQUEST_OFFERS", instances[0]) &&
	      vm_expect_eq("channels in the host's table", CHANS - NSUB - 1, cur.count) &&
	      rs_expect_bus_matches_host();
	snprintf(path, sizeof(path), "%s/%s", VM_VMBUS_DEVICES, instances[0]);
	ok &= vm_expect(!vm_exists(path), "%s exists", path);
	ok &= rs_sim_stat("devices_withheld", &withheld) &&
	      vm_expect_eq("devices_withheld", 1, withheld);
	ok &= vm_guest_unload();
	return ok;
}

/* The last two messages the host delivered are RESCIND, UNLOAD_RESPONSE. */
static bool rescind_before_response(void)
{
	struct vm_msglog log;
	bool ok;

	if (vm_msglog_load(VM_SIM, "msg_out_log", &log))
		return false;
	ok = vm_expect(log.count >= 2, "vmbus_sim/msg_out_log: %zu lines", log.count) &&
	     vm_expect(log.msg[log.count - 2].type == MSG_RESCIND &&
		       log.msg[log.count - 1].type == VM_MSG_UNLOAD_RESPONSE,
		       "vmbus_sim/msg_out_log ends with types %u, %u; expected %u "
		       "(RESCIND), %u (UNLOAD_RESPONSE)", log.msg[log.count - 2].type,
		       log.msg[log.count - 1].type, MSG_RESCIND, VM_MSG_UNLOAD_RESPONSE);
	vm_msglog_free(&log);
	return ok;
}

static bool unload_rescind(void)
{
	const struct rs_chan *victim;
	uint64_t rescinds = 0, responses = 0;
	char *mode;
	bool ok;

	if (!vm_guest_load(VM_MODPROBE_MS) ||
	    !vm_wait_vmbus_devices(DEVICES - 1, VM_MODPROBE_MS) || rs_map_load(&prev))
		return false;
	victim = rs_map_find(&prev, instances[1], 0);
	if (!vm_expect(victim != NULL, "%s not in the host's table", instances[1]))
		return false;
	if (vm_sim_reset_stats() || vm_sim_set("unload_rescind", "%u", victim->relid))
		return false;
	ok = vm_guest_unload();
	ok &= rs_sim_stat("rescinds", &rescinds) && vm_expect_eq("rescinds (primary and sub-channels)", NSUB + 1, rescinds);
	ok &= rs_sim_stat("unload_responses", &responses) &&
	      vm_expect_eq("unload_responses", 1, responses);
	ok &= rescind_before_response();
	vm_read(VM_SIM, "unload_rescind", &mode);
	ok &= vm_expect(mode && !strcmp(mode, "0\n"), "unload_rescind after the "
			"UNLOAD: '%s', expected 0", mode ? mode : "(unreadable)");
	free(mode);
	if (!ok || !vm_guest_load(VM_MODPROBE_MS) ||
	    !vm_wait_vmbus_devices(DEVICES - 2, VM_MODPROBE_MS))
		return false;
	ok = !rs_map_load(&cur) &&
	     vm_expect(!rs_map_find(&cur, instances[1], 0), "%s offered again",
		       instances[1]) &&
	     rs_expect_bus_matches_host();
	ok &= vm_guest_unload();
	return ok;
}

/*
 * The host's count per channel against the guest's interrupts.  The host
 * sets the bits right behind the OFFERCHANNEL, before the guest has mapped
 * the relid; the guest latches events for an unmapped relid and delivers
 * them once when it maps the channel (channels.rst).  So each burst reaches
 * the channel at least once and never more often than the host made the
 * bit go 0 -> 1.
 */
static bool events_delivered(uint64_t *host_sum, uint64_t *guest_sum)
{
	static uint64_t host[VM_MAX_RELID + 1];
	unsigned int i;
	uint64_t seen;
	bool ok = true;

	*host_sum = *guest_sum = 0;
	if (vm_sim_events_set_load(host))
		return false;
	for (i = 0; i < cur.count && ok; i++) {
		const struct rs_chan *c = &cur.chan[i];

		ok = !vm_chan_read(c->instance, c->relid, "interrupts", &seen) &&
		     vm_expect(seen >= 1 && seen <= host[c->relid], "%s sub %u at relid "
			       "%u: the host set %" PRIu64 " events, the guest counted %"
			       PRIu64 "; expected 1..%" PRIu64, c->instance, c->sub,
			       c->relid, host[c->relid], seen, host[c->relid]);
		*host_sum += host[c->relid];
		*guest_sum += seen;
	}
	return ok;
}

static bool reoffer_events(void)
{
	uint64_t host = 0, guest = 0, set = 0, coalesced = 0, latched = 0;
	struct vm_stats gst;
	bool ok;

	if (vm_sim_set("reoffer_events", "%u", REOFFER_EVENTS) || vm_sim_reset_stats() ||
	    !vm_guest_load(VM_MODPROBE_MS) ||
	    !vm_wait_vmbus_devices(DEVICES - 2, VM_MODPROBE_MS) ||
	    !rs_wait_bus_matches_host(VM_MODPROBE_MS) || rs_map_load(&cur))
		return false;
	ok = events_delivered(&host, &guest);
	if (!vm_stats_load(VM_GUEST, "stats", &gst))
		vm_stat_get(&gst, "events_latched", &latched);
	ksft_print_msg("reoffer_events %u over %u channels: host set %" PRIu64 " (0 -> 1), "
		       "guest counted %" PRIu64 ", guest events_latched %" PRIu64 "\n",
		       REOFFER_EVENTS, cur.count, host, guest, latched);
	ok &= rs_sim_stat("events_set", &set) && rs_sim_stat("events_coalesced", &coalesced) &&
	      vm_expect_eq("events_set + events_coalesced",
			   (uint64_t)REOFFER_EVENTS * cur.count, set + coalesced) &&
	      vm_expect_eq("events_set, the sum of the per-relid counts", host, set);
	ok &= vm_guest_unload();
	ok &= !vm_sim_set("reoffer_events", "0");
	return ok;
}

int main(void)
{
	ksft_print_header();
	vm_setup();
	ksft_set_plan(7);
	ksft_test_result(setup(), "%u echo devices, %u sub-channel(s) each; resume_relids 1, "
			 "resume_conn_ids 1\n", DEVICES, NSUB);
	ksft_test_result(reloads(), "%u reloads: every relid moves, the guest follows, echo "
			 "traffic clean\n", RELOADS);
	ksft_test_result(stable(), "resume_relids 0: a reload keeps every relid\n");
	ksft_test_result(withhold(),
			 "withhold: left out of the next offers, gone from the table\n");
	ksft_test_result(unload_rescind(), "unload_rescind: RESCIND ahead of UNLOAD_RESPONSE, "
			 "not offered again\n");
	ksft_test_result(reoffer_events(), "reoffer_events %u: counted by the host, each burst "
			 "delivered\n", REOFFER_EVENTS);
	ksft_test_result(vm_teardown(), "teardown: hv_vmbus unloaded, sim modes restored\n");
	vm_test_finished();
}
