// SPDX-License-Identifier: GPL-2.0
/*
 * hostile_suspend_busy_test: the host adds a device and rescinds another
 * while the guest suspends for hibernation (pm_test `core`), and the
 * suspend fails with -EBUSY.  The guest has acted on neither message when
 * it gave up, and the host never sends them again: the guest must hold
 * them and handle them once the PM transition is over, or its bus is no
 * longer the host's (hibernation.rst, "Messages during a suspend").
 *
 * Two echo devices, A and B, bound to vmbus_echo_drv with
 * suspend_keep_open=1, so their channels stay open and the bus's suspend
 * fails.  The guest's debugfs suspend_delay_ms holds the suspend for
 * DELAY_MS right after it started holding messages, and the host's
 * `late` command adds echo device N and rescinds B some time after the test
 * armed it, just before `echo disk`: both messages land in the middle of
 * that window.  When the window opens depends on the kernel and the load
 * (preallocating the image takes 6 s on the debug kernel, under 1 s on
 * Debian's): failing `echo disk`s without host messages measure it
 * (calibrate: the second of two, the first one warms up), the host's delay
 * is its middle, and the busy run places it again for the success run.
 *
 * calibrate `echo disk` fails with EBUSY and takes longer than the window.
 *
 * busy     `echo disk` fails with EBUSY; afterwards B is gone from the bus,
 *          N is there and bound (its channel open), A is still there, and
 *          the bus is what the host lists.  The guest counted 2 messages in
 *          held_suspended and 2 in held_replayed, none dropped or lost, no
 *          suspend; the log says once that it handled the 2 held messages;
 *          the host saw B's relid released and no guest error.
 * success  the same window in a suspend that succeeds (the echo driver
 *          closes its channels again): the host adds device M and rescinds
 *          N; the guest holds both and drops them at the UNLOAD
 *          (held_dropped 2, held_replayed unchanged), and after the resume
 *          the bus is still the host's: M there, N gone.
 *
 * Sim modes: version_ceiling 5.3, resume_relids 0, resume_conn_ids 0,
 * reoffer_events 0, unload_rescind 0; the `late` devices command.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "resume_util.h"

#define A_INSTANCE	"5d2e8c41-7a3b-4f19-b6d0-2c8e1f4a0a01"
#define B_INSTANCE	"5d2e8c41-7a3b-4f19-b6d0-2c8e1f4a0a02"
#define N_INSTANCE	"5d2e8c41-7a3b-4f19-b6d0-2c8e1f4a0a03"
#define M_INSTANCE	"5d2e8c41-7a3b-4f19-b6d0-2c8e1f4a0a04"
#define KEEP_OPEN	"/sys/module/vmbus_echo_drv/parameters/suspend_keep_open"

enum {
	DELAY_MS	= 9000,		/* the guest's window */
	/* From the window's end to `echo disk` returning, at most (resume). */
	AFTER_MS	= 500,
	SETTLE_MS	= 60000,
	HELD		= 2,		/* one offer, one rescind */
};

/* The host's delay after arming: the middle of the window (calibrate()). */
static uint64_t late_ms;

static const char *const echo_instances[] = { A_INSTANCE, B_INSTANCE };

struct guest_held {
	uint64_t held, replayed, dropped, overflow, suspends;
};

static bool modes(void)
{
	return !vm_sim_set("version_ceiling", "5.3") && !vm_sim_set("resume_relids", "0") &&
	       !vm_sim_set("resume_conn_ids", "0") && !vm_sim_set("reoffer_events", "0") &&
	       !vm_sim_set("unload_rescind", "0");
}

static bool held_load(struct guest_held *g)
{
	struct vm_stats st;

	return !vm_stats_load(VM_GUEST, "stats", &st) &&
	       vm_stat_get(&st, "held_suspended", &g->held) &&
	       vm_stat_get(&st, "held_replayed", &g->replayed) &&
	       vm_stat_get(&st, "held_dropped", &g->dropped) &&
	       vm_stat_get(&st, "held_overflow", &g->overflow) &&
	       vm_stat_get(&st, "suspends", &g->suspends);
}

static bool held_expect(const struct guest_held *was, uint64_t held, uint64_t replayed,
			uint64_t dropped, uint64_t suspends)
{
	struct guest_held now;

	if (!held_load(&now))
		return false;
	ksft_print_msg("guest: held_suspended +%" PRIu64 ", held_replayed +%" PRIu64
		       ", held_dropped +%" PRIu64 ", held_overflow +%" PRIu64
		       ", suspends +%" PRIu64 "\n", now.held - was->held,
		       now.replayed - was->replayed, now.dropped - was->dropped,
		       now.overflow - was->overflow, now.suspends - was->suspends);
	return vm_expect_eq("held_suspended growth", held, now.held - was->held) &
	       vm_expect_eq("held_replayed growth", replayed, now.replayed - was->replayed) &
	       vm_expect_eq("held_dropped growth", dropped, now.dropped - was->dropped) &
	       vm_expect_eq("held_overflow growth", 0, now.overflow - was->overflow) &
	       vm_expect_eq("suspends growth", suspends, now.suspends - was->suspends);
}

/* The host's primary relid of @instance, 0 if it has none offered. */
static unsigned int host_relid(const char *instance)
{
	struct rs_map m;
	const struct rs_chan *c;

	if (rs_map_load(&m))
		return 0;
	c = rs_map_find(&m, instance, 0);
	return c && c->offered ? c->relid : 0;
}

static bool on_bus(const char *instance, bool want)
{
	char path[256];

	snprintf(path, sizeof(path), "%s/%s", VM_VMBUS_DEVICES, instance);
	return vm_expect(vm_exists(path) == want, "%s %s", path,
			 want ? "is missing" : "still exists");
}

/* Arms the host's add of @add and rescind of @gone, then the guest's window. */
static bool arm(const char *add, const char *gone)
{
	unsigned int relid = host_relid(gone);

	if (!vm_expect(relid != 0, "%s is not offered by the host", gone))
		return false;
	ksft_print_msg("late: add %s, rescind %s at relid %u, %" PRIu64 " ms after arming; "
		       "guest window %u ms\n", add, gone, relid, late_ms, DELAY_MS);
	return !vm_write(VM_GUEST, "suspend_delay_ms", "%u", DELAY_MS) &&
	       !vm_sim_devices_cmd("late %" PRIu64 " %u %s", late_ms, relid, add);
}

/*
 * From a failing `echo disk` with the window that took @ms: it returned
 * about AFTER_MS after the window closed, so the window opened at
 * ms - DELAY_MS - AFTER_MS; the host's messages go DELAY_MS / 2 later.
 */
static void place_late(const char *what, uint64_t ms)
{
	uint64_t open_ms = ms > DELAY_MS + AFTER_MS ? ms - DELAY_MS - AFTER_MS : 0;

	late_ms = open_ms + DELAY_MS / 2;
	ksft_print_msg("%s: `echo disk` returned after %" PRIu64
		       " ms: the window opens about %" PRIu64 " ms after it; host delay %"
		       PRIu64 " ms\n", what, ms, open_ms, late_ms);
}

/*
 * Failing `echo disk`s with the window and no host messages, twice: the
 * first one also warms up what a suspend allocates (on the debug kernel
 * it took 4 s longer than the ones after it, which put the host's
 * messages at the far end of the window), the second places them.
 */
static bool calibrate(void)
{
	uint64_t ms;
	int err, i;

	if (vm_write_errno(KEEP_OPEN, "1") ||
	    vm_write(VM_GUEST, "suspend_delay_ms", "%u", DELAY_MS))
		return false;
	for (i = 0; i < 2; i++) {
		err = rs_hibernate_try(&ms);
		if (!vm_expect(err == -EBUSY, "calibrate: `echo disk`: expected EBUSY, got %s",
			       err ? strerror(-err) : "success") ||
		    !vm_expect(ms >= DELAY_MS, "calibrate: `echo disk` took %" PRIu64
			       " ms, less than the window's %u ms", ms, DELAY_MS))
			return false;
		place_late(i ? "calibrate" : "warm-up", ms);
	}
	return true;
}

static bool setup(void)
{
	return modes() && vm_echo_load(echo_instances, 2, 0) &&
	       rs_wait_bus_matches_host(SETTLE_MS) && calibrate() &&
	       !vm_sim_reset_stats();
}

static bool busy_path(void)
{
	struct vm_kmsg_mark mark;
	struct guest_held was;
	struct vm_stats sim;
	uint64_t ms;
	bool ok;
	int err;

	if (!setup() || !held_load(&was) || vm_kmsg_mark(&mark) ||
	    vm_write_errno(KEEP_OPEN, "1") || !arm(N_INSTANCE, B_INSTANCE))
		return false;
	err = rs_hibernate_try(&ms);
	ok = vm_expect(err == -EBUSY, "`echo disk`: expected EBUSY, got %s",
		       err ? strerror(-err) : "success");
	/*
	 * The suspend that succeeds next opens its window as this one did;
	 * place_late() says how long this one took, or else this line.
	 */
	if (ok && ms >= DELAY_MS)
		place_late("busy", ms);
	else
		ksft_print_msg("busy: `echo disk` returned after %" PRIu64 " ms: %s\n",
			       ms, err ? strerror(-err) : "ok");
	ok &= !vm_write_errno(KEEP_OPEN, "0");
	ok &= vm_wait_vmbus_devices(2, SETTLE_MS) && rs_wait_bus_matches_host(SETTLE_MS);
	ok &= on_bus(A_INSTANCE, true) & on_bus(B_INSTANCE, false) & on_bus(N_INSTANCE, true);
	ok &= vm_expect(host_relid(B_INSTANCE) == 0, "the host still offers %s", B_INSTANCE);
	ok &= held_expect(&was, HELD, HELD, 0, 0);
	ok &= vm_expect_kmsg(&mark, "hv_vmbus: suspend: relid", false, 1);
	ok &= vm_expect_kmsg(&mark, "hv_vmbus: suspend failed: handling 2 offer(s) and "
			     "rescind(s) held meanwhile", false, 1);
	ok &= !vm_stats_load(VM_SIM, "stats", &sim) &&
	      vm_expect_stat(&sim, "late_adds", 1) &
	      vm_expect_stat(&sim, "late_rescinds", 1) &
	      vm_expect_stat(&sim, "relids_released", 1) &
	      vm_expect_stat(&sim, "guest_errors", 0);
	return ok;
}

static bool success_path(void)
{
	struct guest_held was;
	struct vm_stats sim;
	uint64_t ms;
	bool ok;

	/* N from busy_path() is there and bound; A too. */
	if (vm_sim_reset_stats() || !held_load(&was) || !arm(M_INSTANCE, N_INSTANCE))
		return false;
	ok = rs_hibernate(&ms);
	ksft_print_msg("success: `echo disk` returned after %" PRIu64 " ms\n", ms);
	ok = ok && vm_wait_vmbus_devices(2, SETTLE_MS) && rs_wait_bus_matches_host(SETTLE_MS);
	ok &= on_bus(A_INSTANCE, true) & on_bus(N_INSTANCE, false) & on_bus(M_INSTANCE, true);
	ok &= held_expect(&was, HELD, 0, HELD, 1);
	ok &= !vm_stats_load(VM_SIM, "stats", &sim) &&
	      vm_expect_stat(&sim, "late_adds", 1) &
	      vm_expect_stat(&sim, "late_rescinds", 1) &
	      vm_expect_stat(&sim, "guest_errors", 0);
	return ok;
}

int main(void)
{
	const char *why;
	bool ok;

	ksft_print_header();
	if (!rs_hibernate_possible(&why))
		ksft_exit_skip("%s\n", why);
	vm_setup();
	ksft_set_plan(3);
	ksft_test_result(busy_path(), "a suspend that fails with EBUSY: the offer and the "
			 "rescind held meanwhile are handled after it\n");
	ksft_test_result(success_path(), "a suspend that succeeds: the offer and the rescind "
			 "held meanwhile are dropped at the UNLOAD\n");
	ok = !vm_write(VM_GUEST, "suspend_delay_ms", "0");
	ok &= !vm_write_errno(KEEP_OPEN, "0");
	ok &= vm_echo_unload();
	ok &= vm_teardown();
	ksft_test_result(ok, "teardown: hv_vmbus unloaded, sim modes restored\n");
	vm_test_finished();
}
