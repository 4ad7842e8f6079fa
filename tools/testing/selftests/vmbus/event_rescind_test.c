// SPDX-License-Identifier: GPL-2.0
/*
 * event_rescind_test: host-to-guest events race with rescinds and re-offers.
 *
 * The host sets event bits for every offered channel, round after round, on
 * a random CPU each time, while 8 of the 32 devices are re-offered 5 times
 * each.  Every channel that stayed offered all along must have seen exactly
 * the events the host made (each 0->1 transition of its bit: host
 * events_set == guest channels/<relid>/interrupts).  Events for the churned
 * channels may be latched or dropped; the debug kernel's KASAN and the
 * runner's log scan catch a use of a freed channel.  Then, with no churn,
 * the same exact count for all 32 channels with the events fired at each
 * CPU in turn, and the interrupts raised on that CPU only.
 *
 * Prints `# events set N, seen N` (sums over the channels compared).
 *
 * Sim modes: version_ceiling 5.3, 32 test devices; `events fire`.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "vmbus_util.h"

enum {
	DEVICES		= 32,
	CHURN_EVERY	= 4,		/* every 4th device is re-offered: 8 */
	CHURNED		= DEVICES / CHURN_EVERY,
	CHURN_ROUNDS	= 5,
	/* Stopped once the re-offers are done; the count only has to outlast them. */
	FIRE_ROUNDS	= 1000000,
	FIRE_DELAY_US	= 500,
	FIXED_ROUNDS	= 200,
	FIXED_CPUS	= 4,
	REOFFER_MS	= 60000,	/* one round of 8 re-offers */
	FIRE_MS		= 120000,	/* FIXED_ROUNDS rounds */
	EVENTS_SETTLE_MS = 10000,	/* host set a bit -> guest counted it */
	SHOW_LINES	= 10,
};

struct chan {
	char instance[VM_GUID_LEN + 1];
	unsigned int relid;
	bool churned;
};

static struct chan chans[DEVICES];
static bool loaded;

static bool load(void)
{
	struct vm_sim_devs d;
	size_t i;

	if (vm_sim_set("version_ceiling", "5.3") || vm_sim_devices_add_test(DEVICES) ||
	    vm_sim_reset_stats() || !vm_guest_load(VM_MODPROBE_MS) ||
	    !vm_wait_vmbus_devices(DEVICES, VM_MODPROBE_MS) || vm_sim_devices_load(&d))
		return false;
	if (!vm_expect_eq("vmbus_sim/devices lines", DEVICES, d.count)) {
		vm_sim_devices_free(&d);
		return false;
	}
	for (i = 0; i < DEVICES; i++) {
		strcpy(chans[i].instance, d.dev[i].instance);
		chans[i].relid = d.dev[i].relid;
		chans[i].churned = i % CHURN_EVERY == 0;
	}
	vm_sim_devices_free(&d);
	loaded = true;
	return true;
}

/* ---- counts: host events_set against guest channels/<relid>/interrupts --- */

struct counts {
	uint64_t set[VM_MAX_RELID + 1];		/* host, per relid */
	uint64_t seen[DEVICES];			/* guest, per chans[] entry */
};

static int counts_load(struct counts *c)
{
	unsigned int i;
	int err = vm_sim_events_set_load(c->set);

	for (i = 0; i < DEVICES && !err; i++)
		err = vm_chan_read(chans[i].instance, chans[i].relid, "interrupts",
				   &c->seen[i]);
	return err;
}

struct match {
	const struct counts *base;	/* NULL: compare totals since the offer */
	bool stable_only;		/* skip the churned channels */
	struct counts now;
	uint64_t set, seen;		/* sums */
	unsigned int channels, differ, silent;
};

static void match_one(struct match *m, unsigned int i, bool show)
{
	unsigned int r = chans[i].relid;
	uint64_t set = m->now.set[r], seen = m->now.seen[i];

	if (m->base) {
		set -= m->base->set[r];
		seen -= m->base->seen[i];
	}
	m->channels++;
	m->set += set;
	m->seen += seen;
	m->silent += !set;
	if (set != seen && ++m->differ <= SHOW_LINES && show)
		ksft_print_msg("relid %u: host events_set %" PRIu64 ", guest interrupts %"
			       PRIu64 "\n", r, set, seen);
}

static bool match_compute(struct match *m, bool show)
{
	unsigned int i;

	m->set = m->seen = 0;
	m->channels = m->differ = m->silent = 0;
	if (counts_load(&m->now))
		return false;
	for (i = 0; i < DEVICES; i++)
		if (!m->stable_only || !chans[i].churned)
			match_one(m, i, show);
	return true;
}

static bool counts_agree(void *arg)
{
	struct match *m = arg;

	return match_compute(m, false) && !m->differ;
}

/*
 * The host made its last 0->1 transition before the wait starts, but the
 * guest's ISR may still be on its way to it: wait for agreement, then
 * compare once more and report every difference.
 */
static bool expect_counts_agree(struct match *m)
{
	struct vm_wait w = {
		.done = counts_agree, .arg = m, .timeout_ms = EVENTS_SETTLE_MS,
		.poll_ms = 50,
	};
	bool ok;

	vm_wait(&w, "guest channels/<relid>/interrupts == host events_set for "
		"the channels compared");
	if (!match_compute(m, true))
		return false;
	ksft_print_msg("events set %" PRIu64 ", seen %" PRIu64 " (%u channels)\n", m->set,
		       m->seen, m->channels);
	ok = vm_expect(!m->differ, "%u of %u channels saw a different number of "
		       "events than the host set", m->differ, m->channels);
	return ok & vm_expect(!m->silent, "%u of %u channels got no event at all: "
			      "the race was not exercised", m->silent, m->channels);
}

/* ---- the host's stats ----------------------------------------------------- */

static bool sim_stat(const char *name, uint64_t *value)
{
	struct vm_stats st;

	return !vm_stats_load(VM_SIM, "stats", &st) && vm_stat_get(&st, name, value);
}

static void print_guest_events(void)
{
	struct vm_stats g;
	uint64_t ev = 0, latched = 0, dropped = 0;

	if (vm_stats_load(VM_GUEST, "stats", &g))
		return;
	vm_stats_find(&g, "events", &ev);
	vm_stats_find(&g, "events_latched", &latched);
	vm_stats_find(&g, "events_dropped", &dropped);
	ksft_print_msg("guest stats: events %" PRIu64 ", events_latched %" PRIu64
		       ", events_dropped %" PRIu64 "\n", ev, latched, dropped);
}

/* ---- events at random CPUs while 8 devices are re-offered ---------------- */

struct reoffer_wait {
	uint64_t want;		/* host rescinds, releases and offers so far */
	uint64_t rescinds, released, offers;
};

static bool reoffers_settled(void *arg)
{
	struct reoffer_wait *rw = arg;
	struct vm_stats st;
	struct vm_sim_devs d;
	bool all_offered;

	if (vm_stats_load(VM_SIM, "stats", &st) ||
	    !vm_stats_find(&st, "rescinds", &rw->rescinds) ||
	    !vm_stats_find(&st, "relids_released", &rw->released) ||
	    !vm_stats_find(&st, "offers", &rw->offers))
		return false;
	if (rw->rescinds != rw->want || rw->released != rw->want ||
	    rw->offers != DEVICES + rw->want || vm_sim_devices_load(&d))
		return false;
	all_offered = d.count == DEVICES && vm_sim_devices_primaries(&d) == DEVICES;
	vm_sim_devices_free(&d);
	return all_offered && vm_vmbus_device_count() == DEVICES;
}

/* A re-offer may move a device to another relid: take them from the host. */
static bool update_relids(void)
{
	const struct vm_sim_dev *d;
	struct vm_sim_devs devs;
	bool ok = true;
	unsigned int i;

	if (vm_sim_devices_load(&devs))
		return false;
	for (i = 0; i < DEVICES && ok; i++) {
		d = vm_sim_devices_find(&devs, chans[i].instance, 0);
		ok = vm_expect(d && d->offered, "vmbus_sim/devices: %s is not offered",
			       chans[i].instance);
		if (!ok)
			break;
		ok = vm_expect(chans[i].churned || d->relid == chans[i].relid,
			       "device %s was never rescinded but moved from relid "
			       "%u to %u", chans[i].instance, chans[i].relid, d->relid);
		chans[i].relid = d->relid;
	}
	vm_sim_devices_free(&devs);
	return ok;
}

static bool reoffer_round(unsigned int round)
{
	struct reoffer_wait rw = { .want = (uint64_t)round * CHURNED };
	struct vm_wait w = {
		.done = reoffers_settled, .arg = &rw, .timeout_ms = REOFFER_MS,
		.poll_ms = 50,
	};
	unsigned int i;

	for (i = 0; i < DEVICES; i++)
		if (chans[i].churned && vm_sim_devices_cmd("reoffer %u", chans[i].relid))
			return false;
	if (!vm_wait(&w, "round %u: host rescinds, relids_released == %" PRIu64
		     ", offers == %" PRIu64 ", %u devices offered and on the bus",
		     round, rw.want, DEVICES + rw.want, DEVICES)) {
		ksft_print_msg("round %u: host rescinds %" PRIu64 ", relids_released %"
			       PRIu64 ", offers %" PRIu64 ", bus %d devices\n", round,
			       rw.rescinds, rw.released, rw.offers, vm_vmbus_device_count());
		return false;
	}
	return update_relids();
}

static bool stop_events(void)
{
	return !vm_write(VM_SIM, "events", "stop") &&
	       vm_wait_stat(VM_SIM, "stats", "events_active", 0, VM_SETTLE_MS);
}

static bool churn_while_firing(void)
{
	uint64_t start = vm_now_ms(), active = 0;
	unsigned int round;

	for (round = 1; round <= CHURN_ROUNDS; round++)
		if (!reoffer_round(round))
			return false;
	ksft_print_msg("%u rounds of %u re-offers: %" PRIu64 " ms\n", CHURN_ROUNDS, CHURNED,
		       vm_now_ms() - start);
	/* Otherwise the events stopped before the churn did: nothing raced. */
	return sim_stat("events_active", &active) &&
	       vm_expect(active == 1, "events_active is %" PRIu64 " after the "
			 "re-offers: the %u rounds of `events fire` ended before "
			 "them", active, FIRE_ROUNDS);
}

static bool check_churn_counters(const struct vm_kmsg_mark *mark)
{
	struct vm_stats guest, sim;
	uint64_t released;
	bool ok;
	int n;

	if (vm_stats_load(VM_GUEST, "stats", &guest) || vm_stats_load(VM_SIM, "stats", &sim))
		return false;
	ok = vm_expect_stat(&sim, "guest_errors", 0);
	ok &= vm_expect_stat(&guest, "rescinds", CHURN_ROUNDS * CHURNED);
	ok &= vm_expect_stat(&guest, "msgs_bad", 0);
	if (vm_stat_get(&sim, "relids_released", &released))
		ok &= vm_expect_stat(&guest, "relids_released", released);
	n = vm_kmsg_grep(mark, "hv_vmbus: ", " ignored", SHOW_LINES);
	ok &= n >= 0 && vm_expect(n == 0, "%d `hv_vmbus: ... ignored` lines in the "
				  "kernel log, expected none", n);
	return ok;
}

static bool events_vs_reoffers(void)
{
	struct match m = { .stable_only = true };
	struct vm_kmsg_mark mark;
	bool ok;

	if (!loaded || vm_kmsg_mark(&mark) ||
	    vm_write(VM_SIM, "events", "fire %u -1 %u", FIRE_ROUNDS, FIRE_DELAY_US))
		return false;
	ok = vm_wait_stat(VM_SIM, "stats", "events_active", 1, VM_SETTLE_MS) &&
	     churn_while_firing();
	ok &= stop_events();
	if (!ok)
		return false;
	ok = expect_counts_agree(&m);
	print_guest_events();
	return ok & check_churn_counters(&mark);
}

/* ---- events at one CPU, no churn ------------------------------------------ */

struct fixed {
	unsigned int cpu;
	uint64_t set0, coalesced0;	/* host totals before */
	uint64_t set, coalesced;	/* and now */
};

static bool sim_event_totals(uint64_t *set, uint64_t *coalesced)
{
	struct vm_stats st;

	return !vm_stats_load(VM_SIM, "stats", &st) &&
	       vm_stat_get(&st, "events_set", set) &&
	       vm_stat_get(&st, "events_coalesced", coalesced);
}

/* Each round sets every channel's bit once: a transition or a coalesce. */
static bool fixed_done(void *arg)
{
	struct fixed *f = arg;
	uint64_t active;

	if (!sim_event_totals(&f->set, &f->coalesced) || !sim_stat("events_active", &active))
		return false;
	return !active && f->set - f->set0 + f->coalesced - f->coalesced0 ==
			  (uint64_t)FIXED_ROUNDS * DEVICES;
}

static int sim_interrupts_load(uint64_t irq[FIXED_CPUS])
{
	char *text, *line, *save;
	unsigned int cpu;
	uint64_t n;

	memset(irq, 0, sizeof(*irq) * FIXED_CPUS);
	if (vm_read(VM_SIM, "interrupts", &text))
		return -EIO;
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
		if (sscanf(line, "cpu%u %" SCNu64, &cpu, &n) == 2 && cpu < FIXED_CPUS)
			irq[cpu] = n;
	free(text);
	return 0;
}

static bool check_fixed_interrupts(const struct fixed *f, const uint64_t before[],
				   const uint64_t after[])
{
	uint64_t transitions = f->set - f->set0;
	unsigned int cpu;
	bool ok = true;

	for (cpu = 0; cpu < FIXED_CPUS; cpu++) {
		uint64_t d = after[cpu] - before[cpu];

		if (cpu == f->cpu)
			ok &= vm_expect(d >= 1 && d <= transitions, "host interrupts "
					"on cpu%u: expected 1..%" PRIu64 " (one per 0->1 "
					"transition at most), got %" PRIu64, cpu,
					transitions, d);
		else
			ok &= vm_expect(d == 0, "host interrupts on cpu%u while firing "
					"at cpu%u only: expected 0, got %" PRIu64, cpu,
					f->cpu, d);
	}
	return ok;
}

static bool check_fixed_guest(const struct vm_stats *g0, const struct vm_stats *g1,
			      uint64_t transitions)
{
	static const char *const names[] = { "events", "events_latched", "events_dropped" };
	uint64_t v0, v1, want[] = { transitions, 0, 0 };
	bool ok = true;
	unsigned int i;

	for (i = 0; i < 3; i++) {
		if (!vm_stat_get(g0, names[i], &v0) || !vm_stat_get(g1, names[i], &v1))
			return false;
		ok &= vm_expect(v1 - v0 == want[i], "guest stats %s: expected +%"
				PRIu64 ", got +%" PRIu64, names[i], want[i], v1 - v0);
	}
	return ok;
}

static void events_at_cpu(unsigned int cpu)
{
	struct fixed f = { .cpu = cpu };
	struct vm_wait w = {
		.done = fixed_done, .arg = &f, .timeout_ms = FIRE_MS, .poll_ms = 50,
	};
	uint64_t irq0[FIXED_CPUS], irq1[FIXED_CPUS];
	struct counts base;
	struct match m = { .base = &base };
	struct vm_stats g0, g1;
	bool ok;

	if (cpu >= (unsigned int)sysconf(_SC_NPROCESSORS_ONLN)) {
		vm_test_result_skip("the VM has fewer CPUs", "events fired at cpu%u", cpu);
		return;
	}
	ok = loaded && !counts_load(&base) && sim_event_totals(&f.set0, &f.coalesced0) &&
	     !sim_interrupts_load(irq0) && !vm_stats_load(VM_GUEST, "stats", &g0) &&
	     !vm_write(VM_SIM, "events", "fire %u %u %u", FIXED_ROUNDS, cpu,
		       FIRE_DELAY_US);
	if (ok && !vm_wait(&w, "host events_active 0 and events_set + "
			   "events_coalesced +%u", FIXED_ROUNDS * DEVICES)) {
		ksft_print_msg("host events_set +%" PRIu64 ", events_coalesced +%" PRIu64 "\n",
			       f.set - f.set0, f.coalesced - f.coalesced0);
		stop_events();
		ok = false;
	}
	if (ok) {
		ok = expect_counts_agree(&m);
		ksft_print_msg("cpu%u: %" PRIu64 " bits coalesced by the host\n", cpu,
			       f.coalesced - f.coalesced0);
		ok &= !sim_interrupts_load(irq1) && check_fixed_interrupts(&f, irq0, irq1);
		ok &= !vm_stats_load(VM_GUEST, "stats", &g1) &&
		      check_fixed_guest(&g0, &g1, f.set - f.set0);
	}
	ksft_test_result(ok, "events fired at cpu%u: every channel saw exactly the host's "
			 "transitions, interrupts on cpu%u only\n", cpu, cpu);
}

static bool unload(void)
{
	bool ok = vm_guest_unload();

	ok &= !vm_sim_devices_clear();
	return ok;
}

int main(void)
{
	unsigned int cpu;

	ksft_print_header();
	vm_setup();
	ksft_set_plan(4 + FIXED_CPUS);
	ksft_test_result(load(), "modprobe hv_vmbus with %u devices\n", DEVICES);
	ksft_test_result(events_vs_reoffers(), "events at random CPUs during %u x %u re-offers: "
			 "the %u channels never rescinded saw exactly the host's transitions\n",
			 CHURN_ROUNDS, CHURNED, DEVICES - CHURNED);
	for (cpu = 0; cpu < FIXED_CPUS; cpu++)
		events_at_cpu(cpu);
	ksft_test_result(unload(), "rmmod hv_vmbus\n");
	ksft_test_result(vm_teardown(), "teardown: hv_vmbus unloaded, sim modes restored\n");
	vm_test_finished();
}
