// SPDX-License-Identifier: GPL-2.0
/*
 * chan_placement_test: the CPU hv_vmbus gives a new channel
 * (vmbus-core.rst, "Channel placement").
 *
 * The host offers 4 SCSI controllers and 4 network adapters (8 channels of
 * performance devices: the sub-channels of both classes wait for the
 * driver's request, and no driver asks here) and 2 test devices with one
 * sub-channel each.  No driver binds them (hv_storvsc and
 * hv_netvsc are not loaded): the placement is the offer's.
 *  - placement_perf_spread: the 8 performance channels are spread evenly
 *    over the online CPUs (per CPU, counts differ by at most one); the
 *    test devices' channels stay on the connect CPU.
 *  - placement_offline_cpu: with the highest CPU offline, 4 more SCSI
 *    controllers are offered: none of their channels is placed there.
 *  - placement_open_moved: a controller placed on that CPU before it went
 *    offline is opened (vmbus_echo_drv, bound through driver_override,
 *    opens its channel in probe):
 *    OPENCHANNEL names the connect CPU, and the host's record and the
 *    channel's cpu file agree.
 * A core that leaves every channel on the connect CPU fails the first.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "vmbus_util.h"

#define SCSI_CLASS	"ba6163d9-04a1-4d29-b605-72e2ffb1dc7f"
#define NIC_CLASS	"f8615163-df3e-46c5-913f-f2d2f965ed0e"
#define ECHO_DRV	"vmbus_echo_drv"
#define DRIVERS_PROBE	"/sys/bus/vmbus/drivers_probe"

enum {
	NR_SCSI		= 4,
	NR_NIC		= 4,
	NR_TEST		= 2,
	NR_LATE		= 4,
	NR_DEVS		= NR_SCSI + NR_NIC + NR_TEST,
	MAX_CPUS	= 64,
	MAX_CHANS	= 8,
	BIND_MS		= 60000,
};

/*
 * Instance @i of a group: @kind (a hex digit: a SCSI, b network, c test,
 * d late SCSI) and @i in the last group.
 */
static void instance(char *buf, size_t len, char kind, unsigned int i)
{
	snprintf(buf, len, "7a5e0000-0c9e-4b1a-8d2c-00000000%c%03u", kind, i);
}

static unsigned int connect_cpu;

/* Adds devices @first.. @first + @n - 1 of group @kind, class @class (vmbusctl). */
static bool add(const char *class, char kind, unsigned int first, unsigned int n,
		unsigned int nsub)
{
	char inst[VM_GUID_LEN + 1];
	unsigned int i;

	for (i = first; i < first + n; i++) {
		instance(inst, sizeof(inst), kind, i);
		if (vm_ctl_ok("sim offer %s %s --subchannels %u", class, inst, nsub))
			return false;
	}
	return true;
}

/*
 * The CPUs of every channel of device @kind @i into @cpus (count
 * returned; -1 on error), their relids into @relids.
 */
static int dev_cpus(char kind, unsigned int i, unsigned int *cpus, unsigned int *relids)
{
	char inst[VM_GUID_LEN + 1];
	uint64_t cpu;
	int n, k;

	instance(inst, sizeof(inst), kind, i);
	n = vm_chan_relids(inst, relids, MAX_CHANS);
	if (!vm_expect(n > 0, "%s: no channels in sysfs (%d)", inst, n))
		return -1;
	for (k = 0; k < n; k++) {
		if (vm_chan_read(inst, relids[k], "cpu", &cpu))
			return -1;
		cpus[k] = cpu;
	}
	return n;
}

/* Tallies the channels of devices @kind first..first+n-1 per CPU. */
static bool tally(char kind, unsigned int first, unsigned int n, unsigned int *per_cpu,
		  unsigned int *total)
{
	unsigned int cpus[MAX_CHANS], relids[MAX_CHANS], i;
	int k, m;

	for (i = first; i < first + n; i++) {
		m = dev_cpus(kind, i, cpus, relids);
		if (m < 0)
			return false;
		for (k = 0; k < m; k++) {
			if (!vm_expect(cpus[k] < MAX_CPUS, "cpu %u out of range", cpus[k]))
				return false;
			per_cpu[cpus[k]]++;
			(*total)++;
		}
	}
	return true;
}

static bool setup(void)
{
	struct vm_stats st;
	uint64_t cpu = 0;

	if (!add(SCSI_CLASS, 'a', 0, NR_SCSI, 0) || !add(NIC_CLASS, 'b', 0, NR_NIC, 0) ||
	    !add(VM_TEST_CLASS, 'c', 0, NR_TEST, 1))
		return false;
	if (!vm_guest_load(VM_MODPROBE_MS) || !vm_wait_vmbus_devices(NR_DEVS, VM_MODPROBE_MS))
		return false;
	if (vm_stats_load(VM_GUEST, "stats", &st) || !vm_stat_get(&st, "connect_cpu", &cpu))
		return false;
	connect_cpu = cpu;
	return true;
}

static bool perf_spread(long ncpus)
{
	unsigned int per_cpu[MAX_CPUS] = { 0 }, other[MAX_CPUS] = { 0 };
	unsigned int total = 0, others = 0, lo = ~0u, hi = 0, used = 0;
	bool ok = true;
	long c;

	if (!tally('a', 0, NR_SCSI, per_cpu, &total) || !tally('b', 0, NR_NIC, per_cpu, &total) ||
	    !tally('c', 0, NR_TEST, other, &others))
		return false;
	for (c = 0; c < ncpus; c++) {
		ksft_print_msg("cpu%ld: %u performance channels, %u others\n", c, per_cpu[c],
			       other[c]);
		lo = per_cpu[c] < lo ? per_cpu[c] : lo;
		hi = per_cpu[c] > hi ? per_cpu[c] : hi;
		used += per_cpu[c] != 0;
	}
	ok &= vm_expect_eq("performance channels", NR_SCSI + NR_NIC, total);
	ok &= vm_expect(hi - lo <= 1, "performance channels per CPU range %u..%u", lo, hi);
	ok &= vm_expect(used >= 2, "performance channels on %u CPU(s), want >= 2", used);
	ok &= vm_expect_eq("test-device channels on the connect CPU", NR_TEST * 2,
			   other[connect_cpu]);
	return ok;
}


static bool offline_cpu(long victim)
{
	unsigned int per_cpu[MAX_CPUS] = { 0 }, total = 0;
	int err = vm_cpu_set_online(victim, false);
	bool ok;

	if (!vm_expect(!err, "cpu%ld offline: %s", victim, strerror(-err)))
		return false;
	ok = add(SCSI_CLASS, 'd', 0, NR_LATE, 0) &&
	     vm_wait_vmbus_devices(NR_DEVS + NR_LATE, VM_MODPROBE_MS) &&
	     tally('d', 0, NR_LATE, per_cpu, &total);
	ok = ok && vm_expect_eq("late channels", NR_LATE, total);
	return ok && vm_expect_eq("late channels placed on the offline cpu", 0, per_cpu[victim]);
}

static bool bound(void *arg)
{
	char path[256];

	snprintf(path, sizeof(path), VM_VMBUS_DEVICES "/%s/driver", (const char *)arg);
	return vm_exists(path);
}

/* A controller placed on @victim before it went offline: open it. */
static bool open_moved(long victim)
{
	unsigned int cpus[MAX_CHANS], relids[MAX_CHANS], i;
	char inst[VM_GUID_LEN + 1], path[256];
	struct vm_sim_chan sc;
	uint64_t cpu = ~0ull;
	bool ok;

	for (i = 0; i < NR_SCSI; i++)
		if (dev_cpus('a', i, cpus, relids) == 1 && cpus[0] == victim)
			break;
	if (!vm_expect(i < NR_SCSI, "no SCSI controller was placed on cpu%ld", victim))
		return false;
	instance(inst, sizeof(inst), 'a', i);
	ksft_print_msg("%s: relid %u placed on cpu%ld, now offline\n", inst, relids[0], victim);
	snprintf(path, sizeof(path), VM_VMBUS_DEVICES "/%s/driver_override", inst);
	ok = vm_modprobe_expect(ECHO_DRV, VM_MODPROBE_MS) && !vm_write_file(path, ECHO_DRV) &&
	     !vm_write_file(DRIVERS_PROBE, inst) &&
	     vm_wait_until(bound, inst, BIND_MS, "%s bound to " ECHO_DRV, inst);
	ok = ok && !vm_chan_read(inst, relids[0], "cpu", &cpu) &&
	     vm_expect_eq("cpu of the opened channel (the connect CPU)", connect_cpu, cpu);
	ok = ok && !vm_sim_chan_load(relids[0], &sc) &&
	     vm_expect_eq("host's target_vp of the opened channel", connect_cpu, sc.target_vp);
	snprintf(path, sizeof(path), VM_VMBUS_DRIVERS "/" ECHO_DRV "/unbind");
	if (bound(inst))
		ok &= !vm_write_file(path, inst);
	snprintf(path, sizeof(path), VM_VMBUS_DEVICES "/%s/driver_override", inst);
	ok &= !vm_write_file(path, "\n");
	return ok;
}

static void cleanup(void)
{
	if (vm_module_loaded(ECHO_DRV))
		vm_rmmod(ECHO_DRV, VM_RMMOD_MS);
}

int main(void)
{
	long ncpus = sysconf(_SC_NPROCESSORS_ONLN), victim = ncpus - 1;
	bool loaded, down = false, ok;

	ksft_print_header();
	vm_setup();
	/* Registered after vm_setup()'s handler, so it runs before it. */
	atexit(cleanup);
	if (ncpus < 2 || ncpus > MAX_CPUS)
		ksft_exit_skip("needs 2..%d online CPUs, has %ld\n", MAX_CPUS, ncpus);
	ksft_set_plan(4);
	loaded = setup();
	ksft_test_result(loaded && perf_spread(ncpus),
			 "placement_perf_spread: %d performance channels over %ld CPUs, "
			 "test devices on the connect CPU\n", NR_SCSI + NR_NIC, ncpus);
	ok = loaded && victim != (long)connect_cpu;
	down = ok && offline_cpu(victim);
	ksft_test_result(down, "placement_offline_cpu: cpu%ld offline, %d new channels "
			 "placed elsewhere\n", victim, NR_LATE);
	ksft_test_result(down && open_moved(victim),
			 "placement_open_moved: a channel placed on cpu%ld opens on the "
			 "connect CPU\n", victim);
	cleanup();
	ok = !vm_cpu_set_online(victim, true);
	ksft_test_result(ok & vm_teardown(), "placement_teardown: cpu%ld online, "
			 "hv_vmbus unloaded, sim restored\n", victim);
	vm_test_finished();
}
