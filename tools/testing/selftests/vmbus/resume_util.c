// SPDX-License-Identifier: GPL-2.0
/*
 * Reconnect and hibernation tests: the host's and the guest's views of the
 * channels compared, relids moved or kept, events counted on both sides,
 * one hibernation cycle.  The channel map itself is in rs_map.c.  See
 * resume_util.h.
 *
 * Return convention: true on success, false after a diagnostic.
 * rs_hibernate_possible() says why not in *why instead (the caller skips).
 */
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "resume_util.h"

bool rs_expect_moved(const struct rs_map *prev, const struct rs_map *cur,
		     const char *what)
{
	char line[1024];
	size_t used = 0;
	unsigned int i, compared = 0;
	bool ok = true;

	for (i = 0; i < cur->count; i++) {
		const struct rs_chan *c = &cur->chan[i];
		const struct rs_chan *p = rs_map_find(prev, c->instance, c->sub);

		if (!p)
			continue;
		compared++;
		ok &= vm_expect(p->relid != c->relid, "%s sub %u: relid %u before and "
				"after the reconnect; resume_relids 1 moves every one",
				c->instance, c->sub, c->relid);
		if (!c->sub && used + 16 < sizeof(line))
			used += snprintf(line + used, sizeof(line) - used, " %u->%u",
					 p->relid, c->relid);
	}
	ksft_print_msg("%s: relids of primaries%s\n", what, used ? line : " (none)");
	return ok & vm_expect(compared > 1, "%s: only %u channels in both listings",
			      what, compared);
}

bool rs_expect_same(const struct rs_map *prev, const struct rs_map *cur)
{
	unsigned int i;
	bool ok = true;

	for (i = 0; i < cur->count; i++) {
		const struct rs_chan *c = &cur->chan[i];
		const struct rs_chan *p = rs_map_find(prev, c->instance, c->sub);

		if (p)
			ok &= vm_expect(p->relid == c->relid, "%s sub %u: relid %u, "
					"then %u; resume_relids 0 keeps them",
					c->instance, c->sub, p->relid, c->relid);
	}
	return ok;
}

bool rs_expect_bus_matches_host(void)
{
	struct vm_sim_devs d;
	size_t i, primaries;
	bool ok;
	int n;

	if (vm_sim_devices_load(&d))
		return false;
	primaries = vm_sim_devices_primaries(&d);
	n = vm_vmbus_device_count();
	ok = vm_expect(n >= 0 && (size_t)n == primaries, "%s: %d devices, the host "
		       "offers %zu", VM_VMBUS_DEVICES, n, primaries);
	for (i = 0; i < d.count && ok; i++)
		if (!d.dev[i].sub && d.dev[i].offered)
			ok = vm_expect_vmbus_device(&d, &d.dev[i]);
	vm_sim_devices_free(&d);
	return ok;
}

/*
 * The same comparison, silent: each device's `id` is the host's relid and
 * the bus has as many devices as the host offers.
 */
static bool bus_matches_quiet(void *arg)
{
	char path[320], id[32], want[32];
	struct vm_sim_devs d;
	size_t i, primaries;
	bool ok;

	(void)arg;
	if (vm_sim_devices_load(&d))
		return false;
	primaries = vm_sim_devices_primaries(&d);
	ok = vm_vmbus_device_count() == (int)primaries;
	for (i = 0; i < d.count && ok; i++) {
		const struct vm_sim_dev *v = &d.dev[i];
		FILE *f;

		if (v->sub || !v->offered)
			continue;
		snprintf(path, sizeof(path), "%s/%s/id", VM_VMBUS_DEVICES, v->instance);
		f = fopen(path, "r");
		ok = f && fgets(id, sizeof(id), f);
		if (f)
			fclose(f);
		snprintf(want, sizeof(want), "%u\n", v->relid);
		ok = ok && !strcmp(id, want);
	}
	vm_sim_devices_free(&d);
	return ok;
}

bool rs_wait_bus_matches_host(unsigned int timeout_ms)
{
	/* On a timeout the loud check says what differs. */
	vm_wait_until(bus_matches_quiet, NULL, timeout_ms,
		      "the bus to show the host's devices at the host's relids");
	return rs_expect_bus_matches_host();
}

bool rs_expect_events_match(const struct rs_map *cur, const struct rs_map *base_map,
			    const struct rs_irqs *base, uint64_t *host_sum,
			    uint64_t *guest_sum)
{
	static uint64_t host[VM_MAX_RELID + 1];
	static struct rs_irqs now;
	unsigned int i;
	bool ok = true;

	*host_sum = *guest_sum = 0;
	if (vm_sim_events_set_load(host) || rs_irqs_load(cur, &now))
		return false;
	for (i = 0; i < cur->count; i++) {
		const struct rs_chan *c = &cur->chan[i];
		const struct rs_chan *b = base_map ?
			rs_map_find(base_map, c->instance, c->sub) : NULL;
		uint64_t was = b ? base->count[b - base_map->chan] : 0;
		uint64_t seen = now.count[i] - was;

		if (!c->offered)
			continue;
		*host_sum += host[c->relid];
		*guest_sum += seen;
		ok &= vm_expect(host[c->relid] == seen, "%s sub %u at relid %u: the "
				"host set %" PRIu64 " events, the guest's interrupts "
				"grew by %" PRIu64 " (%" PRIu64 " -> %" PRIu64 ")",
				c->instance, c->sub, c->relid, host[c->relid], seen,
				was, now.count[i]);
	}
	return ok;
}

bool rs_sim_stat(const char *name, uint64_t *value)
{
	struct vm_stats st;

	return !vm_stats_load(VM_SIM, "stats", &st) && vm_stat_get(&st, name, value);
}

/* ---- hibernation ---------------------------------------------------------- */

#define RS_POWER_STATE	"/sys/power/state"
#define RS_PM_TEST	"/sys/power/pm_test"

bool rs_hibernate_possible(const char **why)
{
	char text[256];

	if (!vm_exists(RS_PM_TEST)) {
		*why = RS_PM_TEST " is absent (no CONFIG_PM_DEBUG)";
		return false;
	}
	if (vm_read_text(RS_POWER_STATE, text, sizeof(text)) || !strstr(text, "disk")) {
		*why = RS_POWER_STATE " does not offer `disk` (no CONFIG_HIBERNATION)";
		return false;
	}
	return true;
}

/* The write of `disk`, in a child: a hung resume must not hang the test. */
static int hibernate_write(uint64_t *ms)
{
	uint64_t start = vm_now_ms();
	int status, err;
	pid_t pid, got;

	pid = fork();
	if (pid < 0)
		return -errno;
	if (!pid)
		_exit(-vm_write_errno(RS_POWER_STATE, "disk"));
	do {
		got = waitpid(pid, &status, WNOHANG);
		if (!got)
			vm_sleep_ms(VM_POLL_MS * 5);
	} while (!got && vm_now_ms() - start < RS_HIBERNATE_MS);
	*ms = vm_now_ms() - start;
	if (!got) {
		ksft_print_msg("`echo disk > %s` has not returned after %u ms: killing it\n",
			       RS_POWER_STATE, RS_HIBERNATE_MS);
		kill(pid, SIGKILL);
		waitpid(pid, &status, 0);
		return -ETIMEDOUT;
	}
	if (got < 0)
		return -errno;
	err = WIFEXITED(status) ? WEXITSTATUS(status) : EINTR;
	return -err;
}

int rs_hibernate_try(uint64_t *ms)
{
	int err;

	*ms = 0;
	err = vm_write_errno(RS_PM_TEST, "core");
	if (err) {
		ksft_print_msg("`echo core > %s`: %s\n", RS_PM_TEST, strerror(-err));
		return err;
	}
	return hibernate_write(ms);
}

bool rs_hibernate(uint64_t *ms)
{
	struct vm_kmsg_mark mark;
	int err;

	*ms = 0;
	if (vm_kmsg_mark(&mark))
		return false;
	err = vm_write_errno(RS_PM_TEST, "core");
	if (!vm_expect(!err, "`echo core > %s`: %s", RS_PM_TEST,
		       err ? strerror(-err) : "ok"))
		return false;
	err = hibernate_write(ms);
	if (!vm_expect(!err, "`echo disk > %s` after %" PRIu64 " ms: %s",
		       RS_POWER_STATE, *ms, err ? strerror(-err) : "ok"))
		return false;
	return vm_expect_kmsg(&mark, "PM: hibernation: hibernation entry", false, 1) &
	       vm_expect_kmsg(&mark, "PM: hibernation: hibernation exit", false, 1);
}
