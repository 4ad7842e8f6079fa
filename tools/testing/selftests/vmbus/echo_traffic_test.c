// SPDX-License-Identifier: GPL-2.0
/*
 * echo_traffic_test: bulk and ping-pong traffic through the sim's echo
 * device, a primary and 7 sub-channels spread over the CPUs.
 *
 * vmbus_echo_drv sends packets of mixed sizes round-robin over the 8
 * channels and checks that every echo came back once, intact and in order
 * per channel.  The host's counters must agree: it read every packet and
 * wrote every echo (per channel, too), and saw no missed signal, no ring
 * error and no guest error.
 *
 * Then the same device is offered again with monitor ids (sim mode
 * monitor 2, a 100 us scan latency): the guest now signals the host through
 * the monitor page, never with HvSignalEvent, and a shorter bulk and
 * ping-pong run must be just as clean - every host-side signal of that run
 * came from the scanner, and none was missed.
 *
 * Last, after rmmod vmbus_echo_drv (which leaves its sub-channel callback
 * set, as the distribution's drivers do) the host offers a sub-channel
 * again: hv_vmbus must not call into the module that is gone.
 *
 * Parameters (environment or kernel command line): vmbus_echo_count, the
 * bulk packet count (default 1000000 on both kernels), vmbus_echo_pingpong
 * (default 2000), vmbus_echo_monitored (the monitored bulk count, default
 * 100000 on Debian's kernel, 20000 on the debug kernel).
 *
 * Sim modes: version_ceiling 5.3, one echo device with 7 sub-channels;
 * monitor 2 and monitor_latency 1000 for the second half; devices reoffer
 * <relid> of sub-channel 1 at the end.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "vmbus_util.h"

#define INSTANCE	"6b0c6f2e-4a11-4d25-9e51-0e3c5d7a0001"

enum {
	NSUB		= 7,
	NCHANS		= NSUB + 1,
	MIN_SIZE	= 16,
	MAX_SIZE	= 16384,
	PINGPONG_SIZE	= 1024,
	/* Generous: under TCG a bulk packet costs well under 1 ms. */
	MS_PER_PACKET	= 1,
	RUN_SLACK_MS	= 60000,
};

static unsigned int relids[NCHANS];
static uint64_t bulk_count, pingpong_count, monitored_count;

static bool load(void)
{
	const char *const inst[] = { INSTANCE };
	int n;

	if (!vm_echo_load(inst, 1, NSUB))
		return false;
	n = vm_chan_relids(INSTANCE, relids, NCHANS + 1);
	return vm_expect(n == NCHANS, "%s/%s/channels: expected %u channels, got %d",
			 VM_VMBUS_DEVICES, INSTANCE, NCHANS, n);
}

/* Channel i to CPU i % online CPUs; read back through sysfs and the host. */
static bool retarget(void)
{
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	struct vm_sim_chan sc;
	char cpu[24];
	uint64_t got;
	bool ok = true;
	int i, err;

	ksft_print_msg("%ld CPUs online\n", cpus);
	for (i = 0; i < NCHANS; i++) {
		snprintf(cpu, sizeof(cpu), "%ld", i % cpus);
		err = vm_chan_set_cpu(INSTANCE, relids[i], cpu);
		ok &= vm_expect(!err, "channels/%u/cpu <- %s: %s", relids[i], cpu,
				err ? strerror(-err) : "ok");
		ok &= !vm_chan_read(INSTANCE, relids[i], "cpu", &got) &&
		      vm_expect_eq("channels/<relid>/cpu read back", i % cpus, got);
		ok &= !vm_sim_chan_load(relids[i], &sc) &&
		      vm_expect_eq("vmbus_sim/channels target_vp", i % cpus, sc.target_vp);
	}
	return ok;
}

static bool sim_clean(const char *what)
{
	struct vm_stats st;
	uint64_t spurious = 0;

	if (vm_stats_load(VM_SIM, "stats", &st))
		return false;
	vm_stat_get(&st, "ring_spurious_signals", &spurious);
	ksft_print_msg("%s: host saw %" PRIu64 " spurious signals\n", what, spurious);
	return vm_expect_stat(&st, "ring_missed_signals", 0) &
	       vm_expect_stat(&st, "ring_errors", 0) &
	       vm_expect_stat(&st, "guest_errors", 0);
}

/* The host's per-channel and total packet counts match the driver's. */
static bool host_counts(const struct vm_echo_result *r, uint64_t total)
{
	struct vm_sim_chan sc;
	struct vm_stats st;
	bool ok = true;
	unsigned int i;

	for (i = 0; i < r->nchans; i++) {
		if (vm_sim_chan_load(r->chan[i].relid, &sc))
			return false;
		ok &= vm_expect(sc.pkts_in == r->chan[i].sent &&
				sc.pkts_out == r->chan[i].sent && !sc.errors &&
				!sc.missed, "vmbus_sim/channels relid %u: pkts_in %"
				PRIu64 " pkts_out %" PRIu64 " missed %" PRIu64 " errors %"
				PRIu64 "; the guest sent %" PRIu64, sc.relid, sc.pkts_in,
				sc.pkts_out, sc.missed, sc.errors, r->chan[i].sent);
	}
	if (vm_stats_load(VM_SIM, "stats", &st))
		return false;
	return ok & vm_expect_stat(&st, "packets_in", total) &
	       vm_expect_stat(&st, "packets_out", total);
}

static uint64_t run_timeout_ms(uint64_t count)
{
	return count * MS_PER_PACKET + RUN_SLACK_MS;
}

static bool traffic(const char *kind, uint64_t count, const char *cmd)
{
	struct vm_echo_result r;
	double secs;
	int err;

	if (vm_sim_reset_stats())
		return false;
	err = vm_echo_run(INSTANCE, cmd, run_timeout_ms(count));
	if (vm_echo_result_load(INSTANCE, &r))
		return false;
	secs = r.elapsed_ns / 1e9;
	ksft_print_msg("%s: %" PRIu64 " packets over %u channels in %.2f s: %.0f packets/s\n",
		       kind, r.total.received, r.nchans, secs,
		       secs > 0 ? r.total.received / secs : 0);
	return vm_expect(!err, "`%s` > run: expected success, got %s", cmd,
			 strerror(-err)) &
	       vm_expect_eq("channels used", NCHANS, r.nchans) &
	       vm_echo_expect_clean(&r, count) & host_counts(&r, count) &
	       sim_clean(kind);
}

static bool bulk_n(const char *kind, uint64_t count)
{
	char cmd[80];

	snprintf(cmd, sizeof(cmd), "bulk %" PRIu64 " %u %u", count, MIN_SIZE, MAX_SIZE);
	return traffic(kind, count, cmd);
}

static bool bulk(void)
{
	return bulk_n("bulk", bulk_count);
}

static bool pingpong(void)
{
	char cmd[80];

	snprintf(cmd, sizeof(cmd), "pingpong %" PRIu64 " %u", pingpong_count,
		 PINGPONG_SIZE);
	return traffic("pingpong", pingpong_count, cmd);
}

static bool unload(void)
{
	return vm_echo_unload() & vm_guest_unload();
}

/* The relid of the device's sub-channel @sub at the host; 0 if not offered. */
static unsigned int sub_relid(unsigned int sub)
{
	struct vm_sim_devs devs = { 0 };
	const struct vm_sim_dev *d;
	unsigned int relid;

	if (vm_sim_devices_load(&devs))
		return 0;
	d = vm_sim_devices_find(&devs, INSTANCE, sub);
	relid = d && d->offered ? d->relid : 0;
	vm_sim_devices_free(&devs);
	return relid;
}

/* The guest took one more offer and lists every channel of the device. */
static bool reoffered(void *arg)
{
	uint64_t offers = 0, before = *(uint64_t *)arg;
	unsigned int r[NCHANS + 1];
	struct vm_stats st;

	return !vm_stats_load(VM_GUEST, "stats", &st) && vm_stat_get(&st, "offers", &offers) &&
	       offers > before && vm_chan_relids(INSTANCE, r, NCHANS + 1) == NCHANS;
}

/*
 * vmbus_echo_drv leaves its sub-channel callback set when it unbinds, as
 * the distribution's storvsc and netvsc do; after rmmod the host offers
 * sub-channel 1 again (rescind, then the offer once released).  hv_vmbus
 * must not call the callback into the module that is gone: the channel
 * joins the device, unopened.
 */
static bool late_subchannel(void)
{
	unsigned int relid = sub_relid(1);
	uint64_t offers = 0;
	struct vm_stats st;
	bool ok;

	if (!vm_expect(relid, "sub-channel 1 of %s is not offered", INSTANCE) ||
	    !vm_echo_unload() || vm_stats_load(VM_GUEST, "stats", &st) ||
	    !vm_stat_get(&st, "offers", &offers) || vm_sim_devices_cmd("reoffer %u", relid))
		return false;
	ok = vm_wait_until(reoffered, &offers, VM_MODPROBE_MS,
			   "sub-channel 1 offered again and listed with the device");
	ksft_print_msg("sub-channel 1: relid %u, offered again at relid %u\n", relid,
		       sub_relid(1));
	return ok & vm_guest_unload();
}

/* Every channel of the device carries a monitor id below 128. */
static bool monitor_ids(void)
{
	uint64_t id;
	bool ok = true;
	int i;

	for (i = 0; i < NCHANS; i++)
		ok &= !vm_chan_read(INSTANCE, relids[i], "monitor_id", &id) &&
		      vm_expect(id < 128, "channels/%u/monitor_id %" PRIu64
				": expected a monitor id", relids[i], id);
	return ok;
}

static bool monitored(void)
{
	const char *const inst[] = { INSTANCE };
	int n;

	if (!unload() || vm_sim_set("monitor", "2") || vm_sim_set("monitor_latency", "1000") ||
	    !vm_echo_attach(inst, 1, NSUB))
		return false;
	n = vm_chan_relids(INSTANCE, relids, NCHANS + 1);
	if (!vm_expect(n == NCHANS, "expected %u channels, got %d", NCHANS, n) ||
	    !monitor_ids())
		return false;
	return bulk_n("monitored bulk", monitored_count) && vm_sim_expect_monitored() &&
	       pingpong() && vm_sim_expect_monitored();
}

int main(void)
{
	ksft_print_header();
	vm_setup();
	bulk_count = vm_param_u64("vmbus_echo_count", 1000000);
	pingpong_count = vm_param_u64("vmbus_echo_pingpong", 2000);
	monitored_count = vm_param_u64("vmbus_echo_monitored",
				       vm_dist_kernel() ? 100000 : 20000);
	ksft_print_msg("bulk count %" PRIu64 " (%s kernel), pingpong count %" PRIu64 "\n",
		       bulk_count, vm_dist_kernel() ? "dist" : "debug", pingpong_count);
	ksft_set_plan(7);
	ksft_test_result(load(), "echo device with %u sub-channels: %u channels open\n", NSUB,
			 NCHANS);
	ksft_test_result(retarget(), "%u channels retargeted across the CPUs\n", NCHANS);
	ksft_test_result(bulk(),
			 "bulk: %" PRIu64 " packets of %u..%u bytes echoed intact, in order\n",
			 bulk_count, MIN_SIZE, MAX_SIZE);
	ksft_test_result(pingpong(), "pingpong: %" PRIu64 " round trips of %u bytes\n",
			 pingpong_count, PINGPONG_SIZE);
	ksft_test_result(monitored(), "monitored channels: %" PRIu64 " bulk packets and %" PRIu64
			 " round trips, every signal through the monitor page\n", monitored_count,
			 pingpong_count);
	ksft_test_result(late_subchannel(), "rmmod %s, a sub-channel offered after it: "
			 "no call into the module; rmmod hv_vmbus\n", VM_ECHO_DRV);
	ksft_test_result(vm_teardown(), "teardown: sim modes and devices restored\n");
	vm_test_finished();
}
