// SPDX-License-Identifier: GPL-2.0
/*
 * ic_timesync_test: the distribution's hv_utils keeps the guest's clock
 * with the simulated host's time.  The guest clock is set a year ahead
 * (settimeofday); then
 *  - a time sample from the host reaches hv_utils: its PTP clock ("hyperv",
 *    /dev/ptpN), which reads the last host sample advanced by the reference
 *    counter the simulator provides, shows the host's time, while the
 *    system clock stays where it was (a sample is a hint, hv_utils does not
 *    step the clock for it);
 *  - a sync message from the host steps the system clock back to the
 *    host's time (within 2 s), a year back.
 * The host's time is the guest's real time at the start of the test
 * advanced by CLOCK_MONOTONIC: the simulator's wall clock is the real time
 * at its load advanced by a raw monotonic clock, so a guest `date -s` does
 * not move it.
 *
 * Sim: ic/control add timesync, timesync_period_ms 0 during the test
 * (restored to 5000).
 */
#include <dirent.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "ic_util.h"

#define FD_TO_CLOCKID(fd)	((~(clockid_t)(fd) << 3) | 3)

enum {
	YEAR_S		= 365 * 24 * 3600,
	TOLERANCE_MS	= 2000,
	SYNC_MS		= 20000,
	DEFAULT_PERIOD_MS = 5000,
};

static int64_t ts_ms(const struct timespec *ts)
{
	return (int64_t)ts->tv_sec * 1000 + ts->tv_nsec / 1000000;
}

static int64_t clock_ms(clockid_t id)
{
	struct timespec ts;

	if (clock_gettime(id, &ts))
		return INT64_MIN;
	return ts_ms(&ts);
}

/* The host's time as the test expects it: real time at start + elapsed. */
struct host_clock {
	int64_t real0_ms, mono0_ms;
};

static int64_t host_now_ms(const struct host_clock *h)
{
	return h->real0_ms + clock_ms(CLOCK_MONOTONIC) - h->mono0_ms;
}

static int64_t off_ms(const struct host_clock *h)
{
	return clock_ms(CLOCK_REALTIME) - host_now_ms(h);
}

static bool bind_timesync(void)
{
	if (!ic_offer(IC_BIT(IC_TIMESYNC)) || !ic_load())
		return false;
	return ic_wait_bound(IC_BIT(IC_TIMESYNC), IC_BIND_MS) &&
	       ic_wait_stat_ge("timesync_negotiated", 1, IC_BIND_MS) &&
	       !ic_control("timesync_period_ms 0");
}

/* /dev/ptpN of the clock named "hyperv", opened; -1 if none. */
static int open_ptp(void)
{
	DIR *dir = opendir("/sys/class/ptp");
	char path[512], name[64], dev[300] = "";
	struct dirent *de;

	while (dir && (de = readdir(dir))) {
		if (strncmp(de->d_name, "ptp", 3))
			continue;
		snprintf(path, sizeof(path), "/sys/class/ptp/%s/clock_name", de->d_name);
		if (!vm_read_text(path, name, sizeof(name)) && !strcmp(name, "hyperv"))
			snprintf(dev, sizeof(dev), "/dev/%s", de->d_name);
	}
	if (dir)
		closedir(dir);
	if (!vm_expect(dev[0], "no PTP clock named \"hyperv\" under /sys/class/ptp"))
		return -1;
	ksft_print_msg("hv_utils' PTP clock: %s\n", dev);
	return open(dev, O_RDONLY | O_CLOEXEC);
}

static bool jump_a_year(const struct host_clock *h)
{
	struct timeval tv;
	int64_t off;

	tv.tv_sec = (h->real0_ms + clock_ms(CLOCK_MONOTONIC) - h->mono0_ms) / 1000 + YEAR_S;
	tv.tv_usec = 0;
	if (!vm_expect(!settimeofday(&tv, NULL), "settimeofday: %m"))
		return false;
	off = off_ms(h);
	ksft_print_msg("guest clock set %" PRId64 " ms ahead of the host's\n", off);
	return vm_expect(off > (int64_t)YEAR_S * 1000 - TOLERANCE_MS,
			 "the clock did not move a year ahead (%" PRId64 " ms)", off);
}

struct ptp_wait {
	const struct host_clock *h;
	int ptp;
	int64_t off;
};

static bool ptp_at_host_time(void *arg)
{
	struct ptp_wait *w = arg;
	struct timespec ts;

	if (clock_gettime(FD_TO_CLOCKID(w->ptp), &ts))
		return false;
	w->off = ts_ms(&ts) - host_now_ms(w->h);
	return llabs(w->off) <= TOLERANCE_MS;
}

/*
 * @syncs: the host's sync count before the clock jumped; none may come
 * before the system clock is checked, or it would be the sync, not the
 * sample, that moved it.
 */
static bool sample(const struct host_clock *h, int ptp, uint64_t syncs)
{
	struct ptp_wait w = { .h = h, .ptp = ptp };
	uint64_t samples = 0, syncs_now = 0;
	int64_t off;
	bool ok;

	if (!ic_stat("timesync_samples", &samples) || ic_control("timesync_sample"))
		return false;
	ok = ic_wait_stat_ge("timesync_samples", samples + 1, VM_SETTLE_MS);
	ok &= vm_wait_until(ptp_at_host_time, &w, VM_SETTLE_MS,
			    "the hyperv PTP clock within %d ms of the host's time",
			    TOLERANCE_MS);
	off = off_ms(h);
	ksft_print_msg("after a sample: PTP clock %+" PRId64 " ms, system clock %+" PRId64
		       " ms from the host's time\n", w.off, off);
	ok &= ic_stat("timesync_syncs", &syncs_now) &&
	      vm_expect_eq("timesync_syncs while only samples were sent", syncs,
			   syncs_now);
	ok &= vm_expect(off > (int64_t)YEAR_S * 1000 - TOLERANCE_MS,
			"a sample stepped the system clock (now %" PRId64 " ms off)",
			off);
	return ok;
}

/* The host's count of syncs, once it held still for a second. */
static bool syncs_settled(uint64_t *syncs)
{
	uint64_t prev = UINT64_MAX;
	unsigned int i;

	for (i = 0; i < 30; i++) {
		if (!ic_stat("timesync_syncs", syncs))
			return false;
		if (*syncs == prev)
			return true;
		prev = *syncs;
		vm_sleep_ms(1000);
	}
	return vm_expect(false, "timesync_syncs kept changing for 30 s");
}

struct sync_wait {
	const struct host_clock *h;
	int64_t off;
};

static bool clock_synced(void *arg)
{
	struct sync_wait *w = arg;

	w->off = off_ms(w->h);
	return llabs(w->off) <= TOLERANCE_MS;
}

static bool sync_steps_back(const struct host_clock *h)
{
	struct sync_wait w = { .h = h };
	uint64_t syncs = 0, t0;
	int64_t before = off_ms(h);
	bool ok;

	if (!ic_stat("timesync_syncs", &syncs) || ic_control("timesync_sync"))
		return false;
	t0 = vm_now_ms();
	ok = vm_wait_until(clock_synced, &w, SYNC_MS,
			   "the guest clock within %d ms of the host's", TOLERANCE_MS);
	ksft_print_msg("sync: the guest clock went from %+" PRId64 " ms to %+" PRId64
		       " ms of the host's time in %" PRIu64 " ms\n", before, w.off,
		       vm_now_ms() - t0);
	ok &= ic_wait_stat_ge("timesync_syncs", syncs + 1, VM_SETTLE_MS);
	return ok;
}

/* Whatever happened above, leave the clock where the host's time is. */
static void restore_clock(const struct host_clock *h)
{
	struct timeval tv;
	int64_t now = host_now_ms(h);

	if (llabs(off_ms(h)) <= TOLERANCE_MS)
		return;
	tv.tv_sec = now / 1000;
	tv.tv_usec = (now % 1000) * 1000;
	settimeofday(&tv, NULL);
}

static bool counters_clean(void)
{
	struct vm_stats st;

	return !ic_stats_load(&st) && vm_expect_stat(&st, "ic_protocol_errors", 0) &
	       !ic_control("timesync_period_ms %u", DEFAULT_PERIOD_MS);
}

int main(void)
{
	struct host_clock h;
	bool bound, jumped;
	uint64_t syncs = 0;
	int ptp = -1;

	ksft_print_header();
	vm_setup();
	ic_setup();
	ksft_set_plan(6);
	h.real0_ms = clock_ms(CLOCK_REALTIME);
	h.mono0_ms = clock_ms(CLOCK_MONOTONIC);
	bound = bind_timesync();
	if (bound)
		ptp = open_ptp();
	ksft_test_result(bound && ptp >= 0, "hv_utils bound to timesync, negotiated, PTP clock\n");
	jumped = bound && syncs_settled(&syncs) && jump_a_year(&h);
	ksft_test_result(jumped, "guest clock set a year ahead\n");
	ksft_test_result(jumped && ptp >= 0 && sample(&h, ptp, syncs),
			 "a host sample: PTP clock at host time, system clock untouched\n");
	ksft_test_result(jumped && sync_steps_back(&h),
			 "a host sync steps the clock back a year to the host's time\n");
	restore_clock(&h);
	if (ptp >= 0)
		close(ptp);
	ksft_test_result(bound && counters_clean(), "no IC protocol error\n");
	ksft_test_result(ic_teardown() & vm_teardown(),
			 "teardown: hv_utils and hv_vmbus unloaded, sim restored\n");
	vm_test_finished();
}
