// SPDX-License-Identifier: GPL-2.0
/*
 * hibernate_paths_test: one hibernation cycle (pm_test `core`) per path the
 * host can make a resume take.
 *
 * echo     two echo devices with a sub-channel each: bulk traffic before
 *          the cycle, the driver's channels reopened after it at the relids
 *          the host moved them to, bulk traffic again; every packet of both
 *          runs came back once, intact, in order, and the host read and
 *          wrote exactly the packets the driver sent (nothing lost or
 *          duplicated across the cycle), no missed signal, no guest error.
 * events   reoffer_events 200 on 16 devices: the host sets each re-offered
 *          relid's bit 200 times right behind its offer, inside the
 *          guest's fix-up window; for every channel the host's count for
 *          its new instance equals the growth of the guest's
 *          channels/<relid>/interrupts across the cycle.
 * withhold a device withheld by the host: after the cycle it is gone from
 *          the bus, with one `<instance> was not offered again after
 *          resume; removing it` line, and the write returned in time.
 * rescind  unload_rescind on a device: its RESCIND reaches the guest while
 *          it suspends; after the cycle the device is gone, logged the same
 *          way, and every other device is where the host says.
 *
 * Sim modes: version_ceiling 5.3, resume_relids 1, resume_conn_ids 1,
 * reoffer_events, unload_rescind; `devices withhold`.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "resume_util.h"

enum {
	ECHO_DEVICES	= 2,
	ECHO_NSUB	= 1,
	ECHO_PACKETS	= 5000,
	ECHO_MS		= 120000,
	DEVICES		= 16,
	REOFFER_EVENTS	= 200,
	SETTLE_MS	= 60000,
};

static const char *const echo_instances[ECHO_DEVICES] = {
	"3e1d5f7a-9b2c-4d6e-8f0a-1b2c3d4e0001",
	"3e1d5f7a-9b2c-4d6e-8f0a-1b2c3d4e0002",
};

static struct rs_map before, after;
static struct rs_irqs irqs_before;

static bool modes(void)
{
	return !vm_sim_set("version_ceiling", "5.3") && !vm_sim_set("resume_relids", "1") &&
	       !vm_sim_set("resume_conn_ids", "1") && !vm_sim_set("reoffer_events", "0") &&
	       !vm_sim_set("unload_rescind", "0");
}

static bool echo_run_all(const char *when)
{
	struct vm_echo_result r;
	unsigned int i;
	bool ok = true;
	int err;

	for (i = 0; i < ECHO_DEVICES && ok; i++) {
		err = vm_echo_run(echo_instances[i], "bulk 5000 16 8192", ECHO_MS);
		ok = vm_expect(!err, "%s: %s: echo run: %s", when, echo_instances[i],
			       err ? strerror(-err) : "ok") &&
		     !vm_echo_result_load(echo_instances[i], &r) &&
		     vm_expect_eq("echo channels", ECHO_NSUB + 1, r.nchans) &&
		     vm_echo_expect_clean(&r, ECHO_PACKETS);
	}
	return ok;
}

struct echo_reopen {
	unsigned int i;
};

/* The driver lists its channels again, at the host's current relids. */
static bool echo_reopened(void *arg)
{
	struct echo_reopen *w = arg;
	struct vm_echo_result r;
	unsigned int i, j, found = 0;

	if (rs_map_load(&after))
		return false;
	for (i = 0; i < ECHO_DEVICES; i++) {
		if (vm_echo_result_load(echo_instances[i], &r) ||
		    r.nchans != ECHO_NSUB + 1)
			return false;
		for (j = 0; j < r.nchans; j++) {
			const struct rs_chan *c = rs_map_find(&after, echo_instances[i], 0);
			const struct rs_chan *s = rs_map_find(&after, echo_instances[i], 1);

			found += (c && c->relid == r.chan[j].relid) ||
				 (s && s->relid == r.chan[j].relid);
		}
	}
	w->i = found;
	return found == ECHO_DEVICES * (ECHO_NSUB + 1);
}

static bool echo_path(void)
{
	struct echo_reopen w = { 0 };
	uint64_t ms;
	bool ok;

	if (!modes() || vm_sim_reset_stats() ||
	    !vm_echo_load(echo_instances, ECHO_DEVICES, ECHO_NSUB) ||
	    !echo_run_all("before the cycle") || rs_map_load(&before))
		return false;
	ok = rs_hibernate(&ms);
	ksft_print_msg("echo: `echo disk` returned after %" PRIu64 " ms\n", ms);
	ok = ok && rs_wait_bus_matches_host(SETTLE_MS) &&
	     vm_wait_until(echo_reopened, &w, SETTLE_MS, "vmbus_echo: %u channels "
			   "open at the host's relids", ECHO_DEVICES * (ECHO_NSUB + 1));
	ok = ok && rs_expect_moved(&before, &after, "echo") &&
	     echo_run_all("after the cycle");
	if (ok) {
		struct vm_stats st;
		uint64_t total = 2ull * ECHO_DEVICES * ECHO_PACKETS;

		ok = !vm_stats_load(VM_SIM, "stats", &st) &&
		     vm_expect_stat(&st, "packets_in", total) &
		     vm_expect_stat(&st, "packets_out", total) &
		     vm_expect_stat(&st, "ring_missed_signals", 0) &
		     vm_expect_stat(&st, "ring_errors", 0) &
		     vm_expect_stat(&st, "guest_errors", 0);
	}
	ok &= vm_echo_unload();
	ok &= vm_guest_unload();
	ok &= !vm_sim_devices_clear();
	return ok;
}

/* DEVICES test devices on the bus, as the host lists them. */
static bool load_devices(void)
{
	return modes() && !vm_sim_devices_add_test(DEVICES) && vm_guest_load(VM_MODPROBE_MS) &&
	       vm_wait_vmbus_devices(DEVICES, VM_MODPROBE_MS) &&
	       rs_wait_bus_matches_host(SETTLE_MS);
}

static bool events_path(void)
{
	uint64_t ms, host = 0, guest = 0, set = 0, coalesced = 0;
	bool ok;

	if (!load_devices() || rs_map_load(&before) || rs_irqs_load(&before, &irqs_before) ||
	    vm_sim_set("reoffer_events", "%u", REOFFER_EVENTS) || vm_sim_reset_stats())
		return false;
	ok = rs_hibernate(&ms);
	ksft_print_msg("events: `echo disk` returned after %" PRIu64 " ms\n", ms);
	ok = ok && rs_wait_bus_matches_host(SETTLE_MS) && !rs_map_load(&after) &&
	     rs_expect_moved(&before, &after, "events");
	ok = ok && rs_expect_events_match(&after, &before, &irqs_before, &host, &guest);
	ksft_print_msg("reoffer_events %u over %u channels: host set %" PRIu64 " (0 -> 1), "
		       "guest interrupts grew by %" PRIu64 "\n", REOFFER_EVENTS, after.count, host,
		       guest);
	ok &= rs_sim_stat("events_set", &set) && rs_sim_stat("events_coalesced", &coalesced) &&
	      vm_expect_eq("events_set + events_coalesced",
			   (uint64_t)REOFFER_EVENTS * after.count, set + coalesced) &&
	      vm_expect(set > 0, "no event bit went 0 -> 1");
	ok &= !vm_sim_set("reoffer_events", "0");
	return ok;
}

/* After a cycle, @instance is gone, logged once, the rest as the host says. */
static bool gone_after_cycle(const char *instance, unsigned int want, const char *what)
{
	struct vm_kmsg_mark mark;
	char line[160], path[256];
	uint64_t ms;
	bool ok;

	if (vm_kmsg_mark(&mark))
		return false;
	ok = rs_hibernate(&ms);
	ksft_print_msg("%s: `echo disk` returned after %" PRIu64 " ms\n", what, ms);
	ok = ok && vm_wait_vmbus_devices(want, SETTLE_MS) &&
	     rs_wait_bus_matches_host(SETTLE_MS);
	snprintf(path, sizeof(path), "%s/%s", VM_VMBUS_DEVICES, instance);
	ok &= vm_expect(!vm_exists(path), "%s still exists", path);
	snprintf(line, sizeof(line), "hv_vmbus: %s was not offered again after resume; "
		 "removing it", instance);
	ok &= vm_expect_kmsg(&mark, line, false, 1);
	return ok;
}

static bool withhold_path(void)
{
	const struct rs_chan *victim;
	uint64_t withheld = 0;
	bool ok;

	/* The devices of events_path() are still there, hv_vmbus loaded. */
	if (rs_map_load(&before) || vm_sim_reset_stats())
		return false;
	victim = rs_map_find(&before, before.chan[0].instance, 0);
	if (!vm_expect(victim != NULL, "no device in the host's table") ||
	    vm_sim_devices_cmd("withhold %s", victim->instance))
		return false;
	ok = gone_after_cycle(victim->instance, DEVICES - 1, "withhold");
	ok &= rs_sim_stat("devices_withheld", &withheld) &&
	      vm_expect_eq("devices_withheld", 1, withheld);
	return ok;
}

static bool rescind_path(void)
{
	const struct rs_chan *victim;
	char instance[VM_GUID_LEN + 1];
	uint64_t rescinds = 0, held = 0, dropped = 0;
	struct vm_stats st;
	bool ok;

	if (rs_map_load(&before) || vm_sim_reset_stats())
		return false;
	victim = &before.chan[before.count - 1];
	snprintf(instance, sizeof(instance), "%s", victim->instance);
	if (!vm_expect(!victim->sub && victim->offered, "the host's last record is not "
		       "an offered primary") ||
	    vm_sim_set("unload_rescind", "%u", victim->relid))
		return false;
	ok = gone_after_cycle(instance, DEVICES - 2, "unload_rescind");
	ok &= rs_sim_stat("rescinds", &rescinds) && vm_expect_eq("rescinds", 1, rescinds);
	if (!vm_stats_load(VM_GUEST, "stats", &st) &&
	    vm_stat_get(&st, "held_suspended", &held) &&
	    vm_stat_get(&st, "held_dropped", &dropped))
		ksft_print_msg("guest held_suspended %" PRIu64 ", held_dropped %" PRIu64 "\n",
			       held, dropped);
	ok &= !rs_map_load(&after) &&
	      vm_expect(!rs_map_find(&after, instance, 0), "%s is in the host's table",
			instance);
	ok &= vm_guest_unload();
	return ok;
}

int main(void)
{
	const char *why;

	ksft_print_header();
	if (!rs_hibernate_possible(&why))
		ksft_exit_skip("%s\n", why);
	vm_setup();
	ksft_set_plan(5);
	ksft_test_result(echo_path(), "echo traffic before and after a cycle: nothing lost or "
			 "duplicated\n");
	ksft_test_result(events_path(), "reoffer_events %u in the fix-up window: host count == "
			 "guest interrupts growth\n", REOFFER_EVENTS);
	ksft_test_result(withhold_path(), "a withheld device is removed after resume, logged\n");
	ksft_test_result(rescind_path(), "unload_rescind: the device rescinded during suspend is "
			 "gone after resume, logged\n");
	ksft_test_result(vm_teardown(), "teardown: hv_vmbus unloaded, sim modes restored\n");
	vm_test_finished();
}
