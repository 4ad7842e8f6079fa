/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers of the reconnect and hibernation tests: where the host put each
 * channel (instance, sub-channel index -> relid), whether the guest agrees,
 * whether the relids moved between two connections, per-channel event
 * counts on both sides, and one hibernation cycle through /sys/power with
 * pm_test `core` (freeze and thaw with the real callbacks, no image).
 */
#ifndef VMBUS_SELFTEST_RESUME_UTIL_H
#define VMBUS_SELFTEST_RESUME_UTIL_H

#include <stdbool.h>
#include <stdint.h>

#include "vmbus_util.h"

/* Every channel record of the host, as `devices` lists it. */
struct rs_chan {
	char instance[VM_GUID_LEN + 1];
	unsigned int sub;
	unsigned int relid;
	bool offered;
};

struct rs_map {
	unsigned int count;
	struct rs_chan chan[VM_MAX_RELID];
};

/* The host's `devices` listing; 0 or -errno (with a diagnostic). */
int rs_map_load(struct rs_map *m);
/* The record of (@instance, @sub), or NULL. */
const struct rs_chan *rs_map_find(const struct rs_map *m, const char *instance,
				  unsigned int sub);
/* Primaries in state offered. */
unsigned int rs_map_primaries(const struct rs_map *m);

/*
 * Every channel in both maps has another relid in @cur than in @prev (the
 * resume_relids contract: a derangement).  Prints the primaries' moves as
 * `old->new` on one diagnostic line headed by @what.
 */
bool rs_expect_moved(const struct rs_map *prev, const struct rs_map *cur,
		     const char *what);
/* Every channel kept its relid. */
bool rs_expect_same(const struct rs_map *prev, const struct rs_map *cur);

/*
 * The guest's bus shows exactly the host's offered devices, each with `id`
 * the host's relid and channels/<relid>/ for every channel.
 */
bool rs_expect_bus_matches_host(void);
/* Waits until rs_expect_bus_matches_host() would pass, then checks it. */
bool rs_wait_bus_matches_host(unsigned int timeout_ms);

/* The guest's channels/<relid>/interrupts of every channel in @m. */
struct rs_irqs {
	uint64_t count[VM_MAX_RELID];	/* by index into the map */
};

int rs_irqs_load(const struct rs_map *m, struct rs_irqs *irqs);

/*
 * For every channel of @cur: the host's events_set count (its current
 * instance) equals the guest's interrupts now, minus what the same
 * (instance, sub) had in @base_map/@base (0 where it is not there, or where
 * @base_map is NULL).  Sums go to *host_sum and *guest_sum.
 */
bool rs_expect_events_match(const struct rs_map *cur, const struct rs_map *base_map,
			    const struct rs_irqs *base, uint64_t *host_sum,
			    uint64_t *guest_sum);

/* One value of the sim's stats file; false (with a diagnostic) if absent. */
bool rs_sim_stat(const char *name, uint64_t *value);

/* ---- hibernation ---------------------------------------------------------- */

enum {
	/* One freeze/thaw cycle: 5 s of pm_test delay plus the callbacks. */
	RS_HIBERNATE_MS	= 120000,
};

/*
 * Whether this kernel can run a test hibernation: /sys/power/state lists
 * `disk` and /sys/power/pm_test exists.  *why names what is missing.
 */
bool rs_hibernate_possible(const char **why);
/*
 * Sets pm_test to `core` and writes `disk` to /sys/power/state in a child,
 * waiting at most RS_HIBERNATE_MS for the write to return.  Checks that it
 * succeeded and that the kernel log has one more `PM: hibernation entry`
 * and `PM: hibernation exit` (6.1 prints them as `PM: hibernation:
 * hibernation entry` and `... exit`).  *ms is the time the write took.
 */
bool rs_hibernate(uint64_t *ms);
/*
 * One cycle as rs_hibernate() starts it, for a test that expects it to
 * fail: 0 or the -errno of the write (-ETIMEDOUT after RS_HIBERNATE_MS,
 * with a diagnostic); nothing is checked.  *ms is the time it took.
 */
int rs_hibernate_try(uint64_t *ms);

#endif
