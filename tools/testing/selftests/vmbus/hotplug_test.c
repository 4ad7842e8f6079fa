// SPDX-License-Identifier: GPL-2.0
/*
 * hotplug_test: CPUs go offline and online under traffic on channels that
 * target them (Documentation/virt/hyperv/channels.rst, "CPU hotplug").
 *
 * One echo device with 7 sub-channels (8 channels) at protocol 5.3.  A
 * child process runs a bulk echo run over all 8 while this process, for
 * vmbus_hotplug_cycles rounds, puts channels on every CPU but the connect
 * CPU (channels/<relid>/cpu), then takes each of those CPUs offline and
 * online again through /sys/devices/system/cpu/cpuN/online.
 *  - hotplug_under_traffic: every offline succeeds, no channel's cpu file
 *    names a CPU while it is offline, the host's record of each channel
 *    names the same CPU as the guest's, the run gets every echo back
 *    intact and in order, the host signalled no VP whose SynIC was off
 *    (vmbus_sim events_off 0) and saw no guest error.
 *  - irq_threads: on PREEMPT_RT (/sys/kernel/realtime is 1) every online
 *    CPU has its vmbus_irq/N thread after the cycles (smpboot parked and
 *    unparked it with the CPU); elsewhere there is none, as the ISR takes
 *    the events itself (Documentation/virt/hyperv/vmbus-core.rst, "The
 *    event half and PREEMPT_RT").
 *  - hotplug_old_host: at version_ceiling 5.2 (MODIFYCHANNEL is not
 *    answered) a CPU with an open channel stays online (EBUSY) and the
 *    channel keeps its CPU and its traffic.
 *
 * Parameters: vmbus_hotplug_cycles (default 100 on Debian's kernel, 20 on
 * the debug kernel), vmbus_hotplug_count, the bulk packet count (default
 * 100000 on Debian's kernel, 20000 on the debug kernel); the run is
 * repeated until the cycles are done.  No round starts more than 150 s
 * after the first (the kselftest timeout is 300 s); the rounds done are
 * printed.
 */
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "vmbus_util.h"

#define INSTANCE	"6b0c6f2e-4a11-4d25-9e51-0e3c5d7a00c1"
#define CPU_SYSFS	"/sys/devices/system/cpu"

enum {
	NSUB		= 7,
	NCHANS		= NSUB + 1,
	MAX_CPUS	= 64,
	RUN_SLACK_MS	= 120000,
	/* No round starts later than this after the first (test timeout 300 s). */
	ROUNDS_BUDGET_MS = 150000,
};

static unsigned int relids[NCHANS];
static long cpus;
static unsigned int connect_cpu;
static const char *const inst[] = { INSTANCE };



static bool load(void)
{
	struct vm_stats st;
	uint64_t cpu = 0;
	int n;

	if (!vm_echo_load(inst, 1, NSUB))
		return false;
	n = vm_chan_relids(INSTANCE, relids, NCHANS + 1);
	if (!vm_expect(n == NCHANS, "%s/%s/channels: expected %u channels, got %d",
		       VM_VMBUS_DEVICES, INSTANCE, NCHANS, n))
		return false;
	if (vm_stats_load(VM_GUEST, "stats", &st) || !vm_stat_get(&st, "connect_cpu", &cpu))
		return false;
	connect_cpu = cpu;
	return true;
}

/* Channel i to the i-th CPU that is not the connect CPU, in turn. */
static bool spread(unsigned int round)
{
	bool ok = true;
	unsigned int i;
	long cpu;

	for (i = 0; i < NCHANS; i++) {
		cpu = (round + i) % (cpus - 1);
		if (cpu >= connect_cpu)
			cpu++;
		ok &= vm_chan_set_cpu_expect(INSTANCE, relids[i], cpu);
	}
	return ok;
}

/* No channel names @cpu (offline now); guest and host agree on every one. */
static bool placement_ok(long cpu)
{
	struct vm_sim_chan sc;
	uint64_t target;
	unsigned int i;
	bool ok = true;

	for (i = 0; i < NCHANS && ok; i++) {
		if (vm_chan_read(INSTANCE, relids[i], "cpu", &target) ||
		    vm_sim_chan_load(relids[i], &sc))
			return false;
		ok &= vm_expect(target != (uint64_t)cpu,
				"relid %u still targets cpu%ld, which is offline",
				relids[i], cpu);
		ok &= vm_expect(target == sc.target_vp,
				"relid %u: guest cpu %" PRIu64 ", host target_vp %u",
				relids[i], target, sc.target_vp);
	}
	return ok;
}

/* One CPU down and up again; false (and says why) if anything is off. */
static bool cycle(long cpu)
{
	int err = vm_cpu_set_online(cpu, false);
	bool ok;

	if (!vm_expect(!err, "cpu%ld offline: %s", cpu, err ? strerror(-err) : "ok"))
		return false;
	ok = placement_ok(cpu);
	err = vm_cpu_set_online(cpu, true);
	return ok & vm_expect(!err, "cpu%ld online: %s", cpu, err ? strerror(-err) : "ok");
}


static bool run_end(int pid, const char *cmd, uint64_t count, uint64_t deadline)
{
	struct vm_echo_result r;
	int err;

	err = vm_echo_run_wait(pid, cmd, deadline > vm_now_ms() ? deadline - vm_now_ms() : 1);
	if (!vm_expect(!err, "`%s` during CPU hotplug: %s", cmd, err ? strerror(-err) : "ok") ||
	    vm_echo_result_load(INSTANCE, &r))
		return false;
	return vm_echo_expect_clean(&r, count);
}

/* The host signalled no VP with its SynIC off and saw no guest error. */
static bool host_clean(void)
{
	struct vm_stats st;

	if (vm_stats_load(VM_SIM, "stats", &st))
		return false;
	return vm_expect_stat(&st, "events_off", 0) &
	       vm_expect_stat(&st, "guest_errors", 0);
}

static bool hotplug_under_traffic(void)
{
	uint64_t cycles = vm_param_u64("vmbus_hotplug_cycles", vm_dist_kernel() ? 100 : 20);
	uint64_t count = vm_param_u64("vmbus_hotplug_count",
				      vm_dist_kernel() ? 100000 : 20000);
	uint64_t deadline = 0, offlines = 0, runs = 0, t0 = vm_now_ms();
	unsigned int round;
	bool ok = true;
	int pid = -1;
	char cmd[80];
	long cpu;

	snprintf(cmd, sizeof(cmd), "bulk %" PRIu64 " 16 4096", count);
	ksft_print_msg("%" PRIu64 " rounds over %ld CPUs (connect cpu%u), bulk %" PRIu64 "\n",
		       cycles, cpus, connect_cpu, count);
	if (vm_sim_reset_stats())
		return false;
	for (round = 0; ok && round < cycles; round++) {
		if (vm_now_ms() - t0 > ROUNDS_BUDGET_MS) {
			ksft_print_msg("stopped after %u of %" PRIu64 " rounds: %u s budget\n",
				       round, cycles, ROUNDS_BUDGET_MS / 1000);
			break;
		}
		if (pid < 0) {
			pid = vm_echo_run_start(INSTANCE, cmd);
			if (pid < 0)
				return false;
			deadline = vm_now_ms() + count + RUN_SLACK_MS;
			runs++;
		}
		ok &= spread(round);
		for (cpu = 0; ok && cpu < cpus; cpu++) {
			if (cpu == connect_cpu)
				continue;
			ok &= cycle(cpu);
			offlines++;
		}
		if (!vm_child_running(pid)) {
			ok &= run_end(pid, cmd, count, deadline);
			pid = -1;
		}
	}
	if (pid >= 0)
		ok &= run_end(pid, cmd, count, deadline);
	ksft_print_msg("%" PRIu64 " CPU offline/online cycles, %" PRIu64 " bulk runs\n",
		       offlines, runs);
	return ok & host_clean();
}

/* Is this a PREEMPT_RT kernel?  Only those have /sys/kernel/realtime. */
static bool preempt_rt(void)
{
	char *text = NULL;
	bool rt;

	if (!vm_exists("/sys/kernel/realtime"))
		return false;
	rt = !vm_read_file("/sys/kernel/realtime", &text) && atoi(text) == 1;
	free(text);
	return rt;
}

/* Count the vmbus_irq/N threads; @on[N] is set for each one found. */
static unsigned int irq_threads_find(bool on[MAX_CPUS])
{
	unsigned int n = 0, cpu;
	struct dirent *de;
	char path[300];
	char *comm;
	DIR *d;

	d = opendir("/proc");
	if (!d)
		return 0;
	while ((de = readdir(d))) {
		if (de->d_name[0] < '0' || de->d_name[0] > '9')
			continue;
		snprintf(path, sizeof(path), "/proc/%s/comm", de->d_name);
		comm = NULL;
		if (vm_read_file(path, &comm))
			continue;
		if (sscanf(comm, "vmbus_irq/%u", &cpu) == 1) {
			n++;
			if (cpu < MAX_CPUS)
				on[cpu] = true;
		}
		free(comm);
	}
	closedir(d);
	return n;
}

static bool irq_threads(void)
{
	bool on[MAX_CPUS] = { false }, rt = preempt_rt(), ok = true;
	unsigned int n = irq_threads_find(on);
	long cpu;

	ksft_print_msg("%s kernel: %u vmbus_irq threads for %ld online CPUs\n",
		       rt ? "PREEMPT_RT" : "non-RT", n, cpus);
	if (!rt)
		return vm_expect(n == 0, "vmbus_irq threads on a non-RT kernel: %u", n);
	for (cpu = 0; cpu < cpus; cpu++)
		ok &= vm_expect(on[cpu], "cpu%ld has no vmbus_irq/%ld thread", cpu, cpu);
	return ok;
}

/* At 5.2 the host does not answer MODIFYCHANNEL: the CPU stays online. */
static bool old_host(void)
{
	long victim = connect_cpu ? 0 : 1;
	uint64_t before = 0, after = ~0ull;
	int err;
	bool ok;

	if (!vm_echo_unload() || !vm_guest_unload() ||
	    vm_write(VM_SIM, "devices", "clear") || vm_sim_set("version_ceiling", "5.2"))
		return false;
	/* vm_echo_load() sets 5.3; reload by hand at 5.2. */
	if (vm_write(VM_SIM, "devices", "add %s %s %u", VM_TEST_CLASS, INSTANCE, NSUB) ||
	    !vm_guest_load(VM_MODPROBE_MS) || !vm_wait_vmbus_devices(1, VM_MODPROBE_MS) ||
	    vm_modprobe(VM_ECHO_DRV, VM_MODPROBE_MS) ||
	    vm_chan_relids(INSTANCE, relids, NCHANS + 1) != NCHANS)
		return false;
	if (!vm_chan_set_cpu_expect(INSTANCE, relids[0], victim) ||
	    vm_chan_read(INSTANCE, relids[0], "cpu", &before))
		return false;
	err = vm_cpu_set_online(victim, false);
	if (!err)
		vm_cpu_set_online(victim, true);
	ok = vm_expect(err == -EBUSY, "cpu%ld offline with relid %u on it at 5.2: "
		       "expected EBUSY, got %s", victim, relids[0],
		       err ? strerror(-err) : "success");
	ok &= !vm_chan_read(INSTANCE, relids[0], "cpu", &after) &&
	      vm_expect_eq("relid's cpu after the refused offline", before, after);
	err = vm_echo_run(INSTANCE, "pingpong 100 256", VM_MODPROBE_MS);
	ok &= vm_expect(!err, "pingpong after the refused offline: %s",
			err ? strerror(-err) : "ok");
	return ok & host_clean();
}

int main(void)
{
	char path[128];
	bool loaded;

	ksft_print_header();
	vm_setup();
	cpus = sysconf(_SC_NPROCESSORS_ONLN);
	snprintf(path, sizeof(path), CPU_SYSFS "/cpu%ld/online", cpus - 1);
	if (cpus < 2 || cpus > MAX_CPUS || !vm_exists(path))
		ksft_exit_skip("needs 2..%d online CPUs that can go offline, has %ld\n",
			       MAX_CPUS, cpus);
	ksft_set_plan(6);
	loaded = load();
	ksft_test_result(loaded, "echo device with %u sub-channels: %u channels open\n",
			 NSUB, NCHANS);
	ksft_test_result(loaded && hotplug_under_traffic(),
			 "hotplug_under_traffic: every CPU but the connect CPU offline and "
			 "online under a bulk run: channels moved, nothing lost\n");
	ksft_test_result(loaded && irq_threads(),
			 "irq_threads: a vmbus_irq/N thread per online CPU on PREEMPT_RT, "
			 "none elsewhere\n");
	ksft_test_result(loaded && old_host(),
			 "hotplug_old_host: at 5.2 a CPU with an open channel stays online "
			 "(EBUSY)\n");
	ksft_test_result(vm_echo_unload() & vm_guest_unload(), "rmmod %s and hv_vmbus\n",
			 VM_ECHO_DRV);
	ksft_test_result(vm_teardown(), "teardown: sim modes and devices restored\n");
	vm_test_finished();
}
