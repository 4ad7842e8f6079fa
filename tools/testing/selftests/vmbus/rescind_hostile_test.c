// SPDX-License-Identifier: GPL-2.0
/*
 * rescind_hostile_test: a host that sends RESCIND twice for one channel, or
 * for a relid it never offered.  The guest removes the device once and
 * releases the relid exactly once; it logs the extra rescind once
 * (`hv_vmbus: rescind of relid N ignored: duplicate rescind`, or
 * `...: unknown relid` for the stray one and for a duplicate that came after
 * the channel was unmapped), counts it in msgs_bad, and changes nothing else.
 *
 * Sim modes: version_ceiling 5.3, 4 test devices; `rescind_dup`,
 * `rescind_stray` (through `vmbusctl sim fault rescind dup|stray`).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vmbus_util.h"

enum {
	DEVICES		= 4,
	DUP_INDEX	= 1,		/* the second device gets the double rescind */
	STRAY_RELID	= 2000,
	LOG_MS		= 10000,
	/*
	 * How long a second RELID_RELEASED or device removal has to show up
	 * before "exactly once" is believed.  The guest queues all the work
	 * of a rescind while handling the message; the window starts once it
	 * has handled the second RESCIND (msgs_bad moved), so a second
	 * release would be on its way.
	 */
	QUIET_MS	= 2000,
	SHOW_LINES	= 10,
};

static struct vm_sim_devs devs;

static bool load(void)
{
	if (vm_sim_set("version_ceiling", "5.3") || vm_sim_devices_add_test(DEVICES) ||
	    vm_sim_reset_stats() || !vm_guest_load(VM_MODPROBE_MS) ||
	    !vm_wait_vmbus_devices(DEVICES, VM_MODPROBE_MS) || vm_sim_devices_load(&devs))
		return false;
	return vm_expect_eq("vmbus_sim/devices lines", DEVICES, devs.count);
}

/* Prints the hv_vmbus rescind lines since @mark, to show what the guest did. */
static void show_rescind_lines(const struct vm_kmsg_mark *mark)
{
	vm_kmsg_grep(mark, "hv_vmbus: rescind of relid", NULL, SHOW_LINES);
}

struct quiet {
	uint64_t sim_released, guest_released, guest_rescinds;
	const char *changed;
};

static bool stats_snapshot(uint64_t *sim_released, uint64_t *guest_released,
			   uint64_t *guest_rescinds, uint64_t *errors)
{
	struct vm_stats g, s;

	return !vm_stats_load(VM_SIM, "stats", &s) && !vm_stats_load(VM_GUEST, "stats", &g) &&
	       vm_stat_get(&s, "relids_released", sim_released) &&
	       vm_stat_get(&s, "guest_errors", errors) &&
	       vm_stat_get(&g, "relids_released", guest_released) &&
	       vm_stat_get(&g, "rescinds", guest_rescinds);
}

/* Polled for QUIET_MS: true (a failure) as soon as a count moves. */
static bool counts_moved(struct quiet *q)
{
	uint64_t sr, gr, gs, errors;

	if (!stats_snapshot(&sr, &gr, &gs, &errors)) {
		q->changed = "the stats files became unreadable";
		return true;
	}
	q->changed = sr != q->sim_released ? "host relids_released" :
		     gr != q->guest_released ? "guest relids_released" :
		     gs != q->guest_rescinds ? "guest rescinds" :
		     errors ? "host guest_errors" : NULL;
	return q->changed;
}

static bool stays_quiet(struct quiet *q)
{
	uint64_t start = vm_now_ms();

	while (vm_now_ms() - start < QUIET_MS) {
		if (counts_moved(q))
			return vm_expect(false, "%s changed after the rescind was "
					 "handled once", q->changed);
		vm_sleep_ms(VM_POLL_MS * 5);
	}
	return true;
}

static bool dup_device_gone(void *arg)
{
	char *dir = arg;

	return !vm_exists(dir) && vm_vmbus_device_count() == DEVICES - 1;
}

static bool check_rest_intact(unsigned int skip)
{
	struct vm_sim_devs now;
	bool ok;
	size_t i;

	if (vm_sim_devices_load(&now))
		return false;
	ok = vm_expect_eq("vmbus_sim/devices lines after the rescind", DEVICES - 1,
			  now.count);
	ok &= vm_expect(!vm_sim_devices_find(&now, devs.dev[skip].instance, 0),
			"vmbus_sim/devices still lists relid %u", devs.dev[skip].relid);
	for (i = 0; i < now.count && ok; i++)
		ok = vm_expect_vmbus_device(&now, &now.dev[i]);
	vm_sim_devices_free(&now);
	return ok;
}

/* Either of the two lines for the second RESCIND of @relid has been logged. */
struct dup_wait {
	const struct vm_kmsg_mark *mark;
	const char *dup, *unknown;
};

static bool second_rescind_logged(void *arg)
{
	struct dup_wait *w = arg;

	return vm_kmsg_count(w->mark, w->dup, true) + vm_kmsg_count(w->mark, w->unknown, true) > 0;
}

/*
 * The second RESCIND is logged exactly once, by one of two lines
 * (Documentation/virt/hyperv/channels.rst, "Rescind against the ISR"):
 * "duplicate rescind" while the rescinded channel is still mapped, or
 * "unknown relid" if the rescind work had already emptied the map entry
 * when the message work reached the second RESCIND.  The host queues the
 * two back to back, so which one depends on how the guest's message work
 * and rescind work were scheduled; both ignore the message.
 */
static bool expect_dup_logged(const struct vm_kmsg_mark *mark, unsigned int relid)
{
	char dup[128], unknown[128];
	struct dup_wait w = { .mark = mark, .dup = dup, .unknown = unknown };
	int ndup, nunknown;
	bool logged;

	snprintf(dup, sizeof(dup), "hv_vmbus: rescind of relid %u ignored: duplicate rescind",
		 relid);
	snprintf(unknown, sizeof(unknown), "hv_vmbus: rescind of relid %u ignored: "
		 "unknown relid", relid);
	logged = vm_wait_until(second_rescind_logged, &w, LOG_MS,
			       "'%s' or '...: unknown relid'", dup);
	ndup = vm_kmsg_count(mark, dup, true);
	nunknown = vm_kmsg_count(mark, unknown, true);
	if (nunknown > 0)
		ksft_print_msg("the second RESCIND of relid %u came after the rescind work had "
			       "unmapped the channel: logged as an unknown relid\n", relid);
	if (!logged)
		show_rescind_lines(mark);
	return logged && vm_expect(ndup + nunknown == 1, "the second RESCIND of relid %u "
				   "logged %d time(s) as a duplicate and %d as an unknown "
				   "relid; once in all expected", relid, ndup, nunknown);
}

static bool rescind_dup(void)
{
	const struct vm_sim_dev *d = &devs.dev[DUP_INDEX];
	struct quiet q;
	uint64_t sr0, gr0, gs0, errors, msgs_bad0 = 0;
	struct vm_kmsg_mark mark;
	struct vm_stats g;
	char dir[256];
	bool ok;

	if (devs.count != DEVICES || !stats_snapshot(&sr0, &gr0, &gs0, &errors) ||
	    vm_stats_load(VM_GUEST, "stats", &g) || !vm_stat_get(&g, "msgs_bad", &msgs_bad0) ||
	    vm_kmsg_mark(&mark))
		return false;
	snprintf(dir, sizeof(dir), "%s/%s", VM_VMBUS_DEVICES, d->instance);
	if (vm_ctl_ok("sim fault rescind dup %u", d->relid))
		return false;
	ok = vm_wait_until(dup_device_gone, dir, LOG_MS, "%s to go and %u devices left",
			   dir, DEVICES - 1);
	ok &= vm_wait_stat(VM_SIM, "stats", "relids_released", sr0 + 1, LOG_MS);
	/* The second RESCIND was handled (and ignored) once msgs_bad moved. */
	ok &= vm_wait_stat(VM_GUEST, "stats", "msgs_bad", msgs_bad0 + 1, LOG_MS);
	if (ok) {
		q = (struct quiet){ .sim_released = sr0 + 1, .guest_released = gr0 + 1,
				    .guest_rescinds = gs0 + 1 };
		ok = stays_quiet(&q);
	}
	ok &= check_rest_intact(DUP_INDEX);
	return expect_dup_logged(&mark, d->relid) & ok;
}

/* Every guest counter but the ones a bad message moves is unchanged. */
static bool expect_guest_stats_same(const struct vm_stats *before,
				    const struct vm_stats *after)
{
	static const char *const moved[] = { "msgs_in", "msgs_bad", "eoms" };
	uint64_t v;
	bool ok = true;
	unsigned int i, j;

	for (i = 0; i < before->count; i++) {
		for (j = 0; j < 3; j++)
			if (!strcmp(before->stat[i].name, moved[j]))
				break;
		if (j < 3)
			continue;
		ok &= vm_stat_get(after, before->stat[i].name, &v) &&
		      vm_expect(v == before->stat[i].value, "guest stats %s: %" PRIu64
				" before the stray rescind, %" PRIu64 " after",
				before->stat[i].name, before->stat[i].value, v);
	}
	return ok;
}

static bool expect_host_same(const struct vm_stats *before, const struct vm_stats *after)
{
	static const char *const same[] = { "relids_released", "offers", "guest_errors" };
	uint64_t v0, v1;
	bool ok = true;
	unsigned int i;

	for (i = 0; i < 3; i++)
		ok &= vm_stat_get(before, same[i], &v0) && vm_stat_get(after, same[i], &v1) &&
		      vm_expect(v0 == v1, "host stats %s: %" PRIu64 " before the stray "
				"rescind, %" PRIu64 " after", same[i], v0, v1);
	return ok;
}

static bool rescind_stray(void)
{
	struct vm_stats g0, g1, s0, s1;
	uint64_t msgs_bad0 = 0, msgs_in0 = 0, msgs_in1 = 0;
	struct vm_kmsg_mark mark;
	char line[128], *table0, *table1;
	int count0;
	bool ok;

	vm_read(VM_SIM, "devices", &table0);
	count0 = vm_vmbus_device_count();
	if (!table0 || vm_stats_load(VM_GUEST, "stats", &g0) ||
	    vm_stats_load(VM_SIM, "stats", &s0) || !vm_stat_get(&g0, "msgs_bad", &msgs_bad0) ||
	    !vm_stat_get(&g0, "msgs_in", &msgs_in0) || vm_kmsg_mark(&mark)) {
		free(table0);
		return false;
	}
	snprintf(line, sizeof(line), "hv_vmbus: rescind of relid %u ignored: unknown relid",
		 STRAY_RELID);
	ok = !vm_ctl_ok("sim fault rescind stray %u", STRAY_RELID) &&
	     vm_wait_kmsg(&mark, line, true, LOG_MS) &&
	     vm_wait_stat(VM_GUEST, "stats", "msgs_bad", msgs_bad0 + 1, LOG_MS);
	if (!ok) {
		show_rescind_lines(&mark);
		free(table0);
		return false;
	}
	vm_read(VM_SIM, "devices", &table1);
	ok = vm_expect_kmsg(&mark, line, true, 1);
	ok &= !vm_stats_load(VM_GUEST, "stats", &g1) && expect_guest_stats_same(&g0, &g1);
	ok &= vm_stat_get(&g1, "msgs_in", &msgs_in1) &&
	      vm_expect_eq("guest stats msgs_in increase", 1, msgs_in1 - msgs_in0);
	ok &= !vm_stats_load(VM_SIM, "stats", &s1) && expect_host_same(&s0, &s1);
	ok &= vm_expect(vm_vmbus_device_count() == count0, "%s: %d entries before the "
			"stray rescind, %d after", VM_VMBUS_DEVICES, count0,
			vm_vmbus_device_count());
	ok &= vm_expect(table1 && !strcmp(table0, table1), "vmbus_sim/devices changed "
			"with the stray rescind");
	free(table0);
	free(table1);
	return ok;
}

static bool unload(void)
{
	bool ok = vm_guest_unload();

	ok &= !vm_sim_devices_clear();
	return ok;
}

int main(void)
{
	ksft_print_header();
	vm_setup();
	ksft_set_plan(5);
	ksft_test_result(load(), "modprobe hv_vmbus with %u devices\n", DEVICES);
	ksft_test_result(rescind_dup(), "rescind_dup: device removed and relid released once, "
			 "the second RESCIND logged once and ignored\n");
	ksft_test_result(rescind_stray(), "rescind_stray %u: logged as unknown relid, nothing "
			 "else changes\n", STRAY_RELID);
	ksft_test_result(unload(), "rmmod hv_vmbus\n");
	ksft_test_result(vm_teardown(), "teardown: hv_vmbus unloaded, sim modes restored\n");
	vm_sim_devices_free(&devs);
	vm_test_finished();
}
