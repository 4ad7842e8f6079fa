// SPDX-License-Identifier: GPL-2.0
/*
 * control_bench_test: the control plane's speed, each figure beside its
 * baseline from the same boot, and checked while it is measured.
 *
 *   offer    the host hot-adds n test devices in one command (`devices
 *            add_test n`); timed until the guest announced n new vmbus
 *            devices (KOBJ_ADD uevents, read from a netlink socket opened
 *            before the command), per device.  Baseline: n = 64; measured:
 *            n = vmbus_control_bench_offers (default 256).
 *   rescind  the host rescinds them all (`devices clear`); timed until n
 *            KOBJ_REMOVE uevents, per device.  Not timed: the host getting
 *            every relid back before the next round.
 *   open, close  vmbus_control_bench_chans devices (default 32) bound to
 *            vmbus_echo_drv, whose probe opens the channel and whose
 *            remove closes it; each device unbound (close) and bound again
 *            (open) through the driver's sysfs unbind and bind files, one
 *            write per device, per channel.  Baseline: the first 16 of
 *            them alone.
 *   hibernate  one cycle (pm_test `core`, the host moving every relid)
 *            with those channels open, timed until `echo disk` returned
 *            and the bus matched the host again; baseline: the same cycle
 *            with the bus empty, after all of those.
 *
 * vmbus_control_bench_rounds rounds (default 3); offers, opens and closes
 * run the baseline and the measured case in the same round, and their
 * ratio is taken per round.  Speed is never asserted here: each figure
 * goes to the log as a `BENCH <what> name=value ...` line (median, min and
 * max over the rounds), and `make bench-control` (qemu/bench-control.sh)
 * runs this program alone with 5 rounds, 2047 offers (every relid a
 * connection has) and 256 channels, and prints the table.  What is
 * asserted is that the figures mean what they say: every device appeared
 * and went, every relid came back, the host counted exactly the opens and
 * closes the test made, and every channel was open again after each cycle.
 *
 * Sim modes: version_ceiling 5.3, resume_relids 1; test devices.
 */
#include <errno.h>
#include <inttypes.h>
#include <linux/netlink.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "resume_util.h"
#include "vmbus_util.h"

#define ECHO_SYSFS	"/sys/bus/vmbus/drivers/" VM_ECHO_DRV
#define SUBSYS		"SUBSYSTEM=vmbus"

enum {
	SMALL_OFFERS	= 64,
	SMALL_CHANS	= 16,
	MAX_ROUNDS	= 50,
	UEVENT_MS	= 300000,	/* a command until its last uevent */
	RELEASE_MS	= 300000,	/* the last uevent until the host has every relid */
	UEVENT_BUF	= 16 << 20,	/* 2047 uevents of a few hundred bytes, and more */
};

static unsigned int rounds, offers, chans;
static int uev_fd = -1;
/* Channel opens and closes the host should have seen. */
static uint64_t opens, closes;
/* The open/close devices, as the host named them. */
static char (*inst)[VM_GUID_LEN + 1];

/* ---- figures -------------------------------------------------------------- */

struct series {
	double v[MAX_ROUNDS];
	unsigned int n;
};

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* Median, min and max of @s (0 for an empty series). */
static void series_stats(const struct series *s, double *med, double *lo, double *hi)
{
	double v[MAX_ROUNDS];

	*med = *lo = *hi = 0;
	if (!s->n)
		return;
	memcpy(v, s->v, s->n * sizeof(v[0]));
	qsort(v, s->n, sizeof(v[0]), cmp_double);
	*med = s->n % 2 ? v[s->n / 2] : (v[s->n / 2 - 1] + v[s->n / 2]) / 2;
	*lo = v[0];
	*hi = v[s->n - 1];
}

static void series_add(struct series *s, double v)
{
	if (s->n < MAX_ROUNDS)
		s->v[s->n++] = v;
}

/*
 * One BENCH line: the baseline @base (of @base_n items), the measured
 * @meas (of @meas_n) and their per-round ratio, each as median, min and
 * max; @unit names the figures' unit.
 */
static void bench_line(const char *what, const char *unit, unsigned int base_n,
		       const struct series *base, unsigned int meas_n,
		       const struct series *meas)
{
	struct series ratio = { .n = 0 };
	double bm, bl, bh, mm, ml, mh, rm, rl, rh;
	unsigned int i;

	for (i = 0; i < base->n && i < meas->n; i++)
		series_add(&ratio, base->v[i] > 0 ? meas->v[i] / base->v[i] : 0);
	series_stats(base, &bm, &bl, &bh);
	series_stats(meas, &mm, &ml, &mh);
	series_stats(&ratio, &rm, &rl, &rh);
	ksft_print_msg("BENCH %s unit=%s rounds=%u base_n=%u base=%.1f base_min=%.1f "
		       "base_max=%.1f n=%u value=%.1f value_min=%.1f value_max=%.1f "
		       "ratio=%.3f ratio_min=%.3f ratio_max=%.3f\n",
		       what, unit, ratio.n, base_n, bm, bl, bh, meas_n, mm, ml, mh, rm, rl, rh);
}

/* ---- uevents -------------------------------------------------------------- */

static bool uev_open(void)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK, .nl_groups = 1 };
	int size = UEVENT_BUF;

	uev_fd = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_KOBJECT_UEVENT);
	if (!vm_expect(uev_fd >= 0, "socket(NETLINK_KOBJECT_UEVENT): %s", strerror(errno)))
		return false;
	if (!vm_expect(!setsockopt(uev_fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof(size)),
		       "SO_RCVBUFFORCE %d on the uevent socket: %s", size, strerror(errno)) ||
	    !vm_expect(!bind(uev_fd, (struct sockaddr *)&sa, sizeof(sa)),
		       "bind the uevent socket to the kernel's group: %s", strerror(errno))) {
		close(uev_fd);
		uev_fd = -1;
		return false;
	}
	return true;
}

/* Whether the datagram @msg (@len bytes) is `<action>@...` of a vmbus device. */
static bool uev_match(const char *msg, size_t len, const char *action)
{
	size_t alen = strlen(action), off;

	if (len <= alen || strncmp(msg, action, alen) || msg[alen] != '@')
		return false;
	for (off = strnlen(msg, len) + 1; off < len; off += strnlen(msg + off, len - off) + 1)
		if (strnlen(msg + off, len - off) == strlen(SUBSYS) &&
		    !memcmp(msg + off, SUBSYS, strlen(SUBSYS)))
			return true;
	return false;
}

/* Reads what is queued, unmatched: the uevents of earlier steps. */
static bool uev_drain(void)
{
	char buf[8192];

	while (recv(uev_fd, buf, sizeof(buf), MSG_DONTWAIT) >= 0)
		;
	return vm_expect(errno == EAGAIN || errno == EWOULDBLOCK,
			 "reading the uevent socket: %s", strerror(errno));
}

/*
 * Waits for @want `<action>@` uevents of vmbus devices; false (with a
 * diagnostic) on a timeout or when the kernel dropped uevents (ENOBUFS:
 * the count would be wrong).
 */
static bool uev_wait(const char *action, unsigned int want)
{
	uint64_t deadline = vm_now_us() + (uint64_t)UEVENT_MS * 1000;
	unsigned int got = 0;
	char buf[8192];

	while (got < want) {
		struct pollfd p = { .fd = uev_fd, .events = POLLIN };
		uint64_t now = vm_now_us();
		ssize_t n;

		if (now >= deadline)
			return vm_expect(false, "%u of %u `%s` uevents of vmbus devices after "
					 "%u ms", got, want, action, UEVENT_MS);
		if (poll(&p, 1, (int)((deadline - now) / 1000) + 1) < 0 && errno != EINTR)
			return vm_expect(false, "poll on the uevent socket: %s", strerror(errno));
		while ((n = recv(uev_fd, buf, sizeof(buf), MSG_DONTWAIT)) > 0)
			got += uev_match(buf, n, action);
		if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK)
			return vm_expect(false, "reading the uevent socket after %u of %u `%s` "
					 "uevents: %s", got, want, action, strerror(errno));
	}
	return true;
}

/* ---- offers and rescinds ---------------------------------------------- */

/*
 * @n offers, then @n rescinds; *offer_us and *rescind_us per device.
 */
static bool offer_round(unsigned int n, double *offer_us, double *rescind_us)
{
	uint64_t t;
	int count;

	if (!uev_drain())
		return false;
	t = vm_now_us();
	if (!vm_expect(!vm_sim_devices_add_test(n), "`devices add_test %u` failed", n) ||
	    !uev_wait("add", n))
		return false;
	*offer_us = (double)(vm_now_us() - t) / n;
	count = vm_vmbus_device_count();
	if (!vm_expect_eq("devices on the bus after the offers", n, count))
		return false;
	t = vm_now_us();
	if (!vm_expect(!vm_sim_devices_clear(), "`devices clear` failed") ||
	    !uev_wait("remove", n))
		return false;
	*rescind_us = (double)(vm_now_us() - t) / n;
	count = vm_vmbus_device_count();
	return vm_expect_eq("devices on the bus after the rescinds", 0, count) &&
	       vm_wait_sim_table_empty(RELEASE_MS);
}

static bool bench_offers(void)
{
	struct series so = { .n = 0 }, lo = { .n = 0 }, sr = { .n = 0 }, lr = { .n = 0 };
	unsigned int r;
	double o, x;

	for (r = 0; r < rounds; r++) {
		if (!offer_round(SMALL_OFFERS, &o, &x))
			return false;
		series_add(&so, o);
		series_add(&sr, x);
		if (!offer_round(offers, &o, &x))
			return false;
		series_add(&lo, o);
		series_add(&lr, x);
		ksft_print_msg("round %u: per offer %.1f us (%u) and %.1f us (%u), per rescind "
			       "%.1f us and %.1f us\n", r + 1, so.v[r], SMALL_OFFERS, o, offers,
			       sr.v[r], x);
	}
	bench_line("offer", "us", SMALL_OFFERS, &so, offers, &lo);
	bench_line("rescind", "us", SMALL_OFFERS, &sr, offers, &lr);
	return true;
}

/* ---- opens and closes ----------------------------------------------------- */

/*
 * Every one of the first @n devices has @want open channels; 0: the driver
 * let go of it (its result file went with it).
 */
static bool expect_open(unsigned int n, unsigned int want)
{
	struct vm_echo_result res;
	unsigned int i;

	for (i = 0; i < n; i++) {
		if (!want) {
			if (!vm_expect(!vm_echo_result_exists(inst[i]),
				       "vmbus_echo/%s/result still there after the unbind",
				       inst[i]))
				return false;
			continue;
		}
		if (!vm_expect(!vm_echo_result_load(inst[i], &res),
			       "no vmbus_echo/%s/result (the driver is not bound)", inst[i]) ||
		    !vm_expect(res.nchans == want, "vmbus_echo/%s/result: %u open channels, "
			       "expected %u", inst[i], res.nchans, want))
			return false;
	}
	return true;
}

/* Writes each of the first @n devices' name to the driver's @file; per device. */
static bool bind_each(const char *file, unsigned int n, double *us)
{
	char path[128];
	uint64_t t = vm_now_us();
	unsigned int i;
	int err;

	snprintf(path, sizeof(path), ECHO_SYSFS "/%s", file);
	for (i = 0; i < n; i++) {
		err = vm_write_errno(path, inst[i]);
		if (!vm_expect(!err, "`echo %s > %s`: %s", inst[i], path, strerror(-err)))
			return false;
	}
	*us = (double)(vm_now_us() - t) / n;
	if (!strcmp(file, "bind"))
		opens += n;
	else
		closes += n;
	return true;
}

/* The open/close devices offered, their names read back, the driver bound. */
static bool open_close_setup(void)
{
	struct vm_sim_devs devs = { 0 };
	size_t i;
	bool ok;

	if (!vm_expect(!vm_sim_devices_add_test(chans), "`devices add_test %u` failed", chans) ||
	    !vm_wait_vmbus_devices(chans, VM_MODPROBE_SLOW_MS) || vm_sim_devices_load(&devs))
		return false;
	ok = vm_expect_eq("vmbus_sim/devices lines", chans, devs.count);
	inst = calloc(chans, sizeof(*inst));
	ok = vm_expect(inst, "out of memory") && ok;
	for (i = 0; ok && i < devs.count; i++)
		snprintf(inst[i], sizeof(inst[i]), "%s", devs.dev[i].instance);
	vm_sim_devices_free(&devs);
	if (!ok || !vm_modprobe_expect(VM_ECHO_DRV, VM_MODPROBE_SLOW_MS))
		return false;
	opens += chans;
	return expect_open(chans, 1);
}

static bool bench_open_close(void)
{
	struct series sc = { .n = 0 }, so = { .n = 0 }, lc = { .n = 0 }, lo = { .n = 0 };
	unsigned int r;
	double c, o;

	if (!open_close_setup())
		return false;
	for (r = 0; r < rounds; r++) {
		if (!bind_each("unbind", SMALL_CHANS, &c) || !expect_open(SMALL_CHANS, 0) ||
		    !bind_each("bind", SMALL_CHANS, &o))
			return false;
		series_add(&sc, c);
		series_add(&so, o);
		if (!bind_each("unbind", chans, &c) || !expect_open(chans, 0) ||
		    !bind_each("bind", chans, &o) || !expect_open(chans, 1))
			return false;
		series_add(&lc, c);
		series_add(&lo, o);
		ksft_print_msg("round %u: per close %.1f us (%u) and %.1f us (%u), per open "
			       "%.1f us and %.1f us\n", r + 1, sc.v[r], SMALL_CHANS, c, chans,
			       so.v[r], o);
	}
	bench_line("open", "us", SMALL_CHANS, &so, chans, &lo);
	bench_line("close", "us", SMALL_CHANS, &sc, chans, &lc);
	return true;
}

/* ---- hibernation ---------------------------------------------------------- */

/* One cycle; *ms until `echo disk` returned and the bus matched the host. */
static bool cycle(unsigned int open_chans, double *ms)
{
	uint64_t t = vm_now_ms(), disk_ms;

	if (!rs_hibernate(&disk_ms) || !rs_wait_bus_matches_host(VM_MODPROBE_SLOW_MS))
		return false;
	*ms = (double)(vm_now_ms() - t);
	opens += open_chans;
	closes += open_chans;
	return expect_open(open_chans, 1);
}

/* With the open/close devices bound, then with the bus empty. */
static bool bench_hibernate(void)
{
	struct series full = { .n = 0 }, empty = { .n = 0 };
	unsigned int r;
	double ms;

	for (r = 0; r < rounds; r++) {
		if (!cycle(chans, &ms))
			return false;
		series_add(&full, ms);
		ksft_print_msg("cycle %u with %u open channels: %.0f ms\n", r + 1, chans, ms);
	}
	/* The driver closes the channels before the host rescinds their devices. */
	if (!vm_rmmod_expect(VM_ECHO_DRV))
		return false;
	closes += chans;
	if (!uev_drain() || !vm_expect(!vm_sim_devices_clear(), "`devices clear` failed") ||
	    !uev_wait("remove", chans) || !vm_wait_sim_table_empty(RELEASE_MS))
		return false;
	for (r = 0; r < rounds; r++) {
		if (!cycle(0, &ms))
			return false;
		series_add(&empty, ms);
		ksft_print_msg("cycle %u with the bus empty: %.0f ms\n", r + 1, ms);
	}
	bench_line("hibernate", "ms", 0, &empty, chans, &full);
	return true;
}

/* ---- the host's count --------------------------------------------------- */

static bool counters(void)
{
	struct vm_stats sim, in;
	bool ok;

	if (vm_stats_load(VM_SIM, "stats", &sim) || vm_stats_load(VM_SIM, "msg_in", &in))
		return false;
	ok = vm_expect_msgs(&in, "OPENCHANNEL", opens);
	ok &= vm_expect_msgs(&in, "CLOSECHANNEL", closes);
	ok &= vm_expect_stat(&sim, "guest_errors", 0);
	return ok;
}

static void echo_unload_at_exit(void)
{
	if (vm_module_loaded(VM_ECHO_DRV))
		vm_rmmod(VM_ECHO_DRV, VM_MODPROBE_MS);
}

int main(void)
{
	const char *why;
	bool loaded, offered, opened, hibernated;

	ksft_print_header();
	if (!rs_hibernate_possible(&why))
		ksft_exit_skip("%s\n", why);
	vm_setup();
	/* Registered after vm_setup()'s handler, so it runs before it. */
	atexit(echo_unload_at_exit);
	ksft_set_plan(6);
	rounds = vm_param_range("vmbus_control_bench_rounds", 3, 1, MAX_ROUNDS);
	offers = vm_param_range("vmbus_control_bench_offers", 256, SMALL_OFFERS, VM_MAX_RELID);
	chans = vm_param_range("vmbus_control_bench_chans", 32, SMALL_CHANS, VM_MAX_RELID);
	ksft_print_msg("%u rounds; offers %u and %u, open and close %u and %u channels\n",
		       rounds, SMALL_OFFERS, offers, SMALL_CHANS, chans);

	loaded = !vm_sim_set("version_ceiling", "5.3") && !vm_sim_set("resume_relids", "1") &&
		 !vm_sim_reset_stats() && uev_open() && vm_guest_load(VM_MODPROBE_MS) &&
		 vm_expect_eq("devices on the bus", 0, vm_vmbus_device_count());
	ksft_test_result(loaded, "control_bench_load: hv_vmbus connected at 5.3, bus empty, "
			 "uevents read\n");
	offered = loaded && bench_offers();
	ksft_test_result(offered, "control_bench_offers: %u rounds of %u and %u offers and "
			 "rescinds, every device registered and removed, every relid back\n",
			 rounds, SMALL_OFFERS, offers);
	opened = offered && bench_open_close();
	ksft_test_result(opened, "control_bench_open_close: %u rounds of %u and %u channels "
			 "closed and opened, one device at a time\n", rounds, SMALL_CHANS, chans);
	hibernated = opened && bench_hibernate();
	ksft_test_result(hibernated, "control_bench_hibernate: %u cycles with %u open channels, "
			 "every one open again after each, and %u with the bus empty\n",
			 rounds, chans, rounds);
	ksft_test_result(hibernated && counters(), "control_bench_counters: the host saw "
			 "every open and close, no guest error\n");
	if (uev_fd >= 0)
		close(uev_fd);
	free(inst);
	echo_unload_at_exit();
	ksft_test_result(vm_teardown(), "control_bench_teardown: hv_vmbus unloaded, sim "
			 "restored\n");
	vm_test_finished();
}
