// SPDX-License-Identifier: GPL-2.0
/*
 * crash_unload_test: the guest's crash path (drivers/hv/vmbus_crash.c)
 * under echo traffic, and a reconnect to a strict host afterwards.
 *
 * The panic and reboot notifiers, the shutdown callback and the Hyper-V
 * kexec and crash hooks all end in vmbus_unload_atomic(); debugfs hv_vmbus/crash_unload
 * runs it with interrupts off on the writing CPU.  With strict_contact 1
 * (the host refuses an INITIATE_CONTACT while the old connection is still
 * there, as Hyper-V does), twice - once from the last CPU, whose slot the
 * host never writes, once from CPU 0, the connect CPU - while a bulk echo
 * run keeps every channel busy:
 *  - the write returns 0 and a second one EALREADY;
 *  - the host counted exactly one UNLOAD, answered from the post
 *    (unloads_atomic 1, unload_responses 1);
 *  - the kernel log names the CPU whose slot held UNLOAD_RESPONSE and says
 *    the SynIC went off on every CPU; it has no "no UNLOAD_RESPONSE" line
 *    and no oops, warning or call trace;
 *  - the guest reports version 0; rmmod sends no second UNLOAD and does
 *    not wait for one;
 *  - modprobe connects again: no contact refused, every device back, a
 *    short echo run clean.
 * Then the control: with unload_respond 0 the host keeps the connection
 * at a plain rmmod, and the strict host refuses the next modprobe
 * (contacts_refused_strict grows, modprobe fails); with strict_contact 0
 * it resets the bus and connects.  This shows that the reconnect checks
 * above can fail.
 *
 * Sim modes: version_ceiling 5.3, strict_contact, unload_respond; DEVICES
 * echo devices with NSUB sub-channels each.
 */
#include <errno.h>
#include <inttypes.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "vmbus_util.h"

#define RUN_CMD		"bulk 100000000 16 4096"
#define SHORT_CMD	"bulk 500 16 4096"

enum {
	DEVICES		= 2,
	NSUB		= 1,
	PROGRESS_PKTS	= 500,		/* echoes on the first device before the crash */
	PROGRESS_MS	= 60000,
	RUN_END_MS	= 60000,	/* the run stalls (stall_ms) and ends */
	SHORT_MS	= 60000,
	RMMOD_FAST_MS	= 8000,		/* a vmbus_disconnect() would wait 10 s */
};

static const char *const instances[DEVICES] = {
	"c7a5f2e0-3b1d-4c6e-8f20-5d1e0c7a0001",
	"c7a5f2e0-3b1d-4c6e-8f20-5d1e0c7a0002",
};

static const char *const bad_log[] = {
	"Oops", "BUG:", "WARNING:", "Call Trace", "general protection fault",
	"no UNLOAD_RESPONSE",
};

static bool sim_stat(const char *name, uint64_t *v)
{
	struct vm_stats st;

	return !vm_stats_load(VM_SIM, "stats", &st) && vm_stat_get(&st, name, v);
}

static bool setup(void)
{
	if (vm_sim_set("version_ceiling", "5.3") || vm_sim_set("strict_contact", "1") ||
	    vm_sim_set("unload_respond", "1"))
		return false;
	return vm_echo_load(instances, DEVICES, NSUB);
}

/* The host's work item has handled the UNLOAD (it counts in `unloads`). */
static bool host_unloaded(void *arg)
{
	uint64_t unloads = 0;

	(void)arg;
	return sim_stat("unloads", &unloads) && unloads >= 1;
}

static bool traffic_flowing(void *arg)
{
	struct vm_echo_result r;

	(void)arg;
	return vm_echo_result_exists(instances[0]) &&
	       !vm_echo_result_load(instances[0], &r) && r.total.received >= PROGRESS_PKTS;
}

/* Write crash_unload from @cpu; 0 or -errno of the write. */
static int crash_write(unsigned int cpu)
{
	char path[256];
	cpu_set_t set, old;
	int err;

	sched_getaffinity(0, sizeof(old), &old);
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	if (sched_setaffinity(0, sizeof(set), &set)) {
		ksft_print_msg("cannot run on cpu%u: %s\n", cpu, strerror(errno));
		return -errno;
	}
	vm_path(path, sizeof(path), VM_GUEST, "crash_unload");
	err = vm_write_errno(path, "1");
	sched_setaffinity(0, sizeof(old), &old);
	return err;
}

static bool guest_version_zero(void)
{
	char *text = NULL;
	bool ok;

	/* "version 0x0" is the first line of hv_vmbus/stats. */
	vm_read(VM_GUEST, "stats", &text);
	ok = vm_expect(text && !strncmp(text, "version 0x0\n", 12),
		       "hv_vmbus/stats after the crash path: '%.20s', expected version 0x0",
		       text ? text : "(unreadable)");
	free(text);
	return ok;
}

/* One crash from @cpu under traffic, then rmmod and a reconnect. */
static bool crash_round(unsigned int cpu)
{
	uint64_t unloads = 0, atomic = 0, responses = 0, refused = 0, t0;
	struct vm_echo_result r;
	struct vm_kmsg_mark mark;
	char line[64];
	unsigned int i;
	bool ok = true;
	int pid, err;

	if (vm_kmsg_mark(&mark))
		return false;
	pid = vm_echo_run_start(instances[0], RUN_CMD);
	if (pid < 0)
		return false;
	ok &= vm_wait_until(traffic_flowing, NULL, PROGRESS_MS,
			    "%u echoes back before the crash path", PROGRESS_PKTS);
	ok &= !vm_sim_reset_stats();
	err = crash_write(cpu);
	ok &= vm_expect(!err, "write crash_unload on cpu%u: %s", cpu, strerror(-err));
	err = crash_write(cpu);
	ok &= vm_expect(err == -EALREADY, "second write of crash_unload: expected "
			"EALREADY, got %s", strerror(-err));
	/* Answered at the post; the host's work item counts it when it runs. */
	ok &= vm_wait_until(host_unloaded, NULL, SHORT_MS, "the host's UNLOAD handling");
	ok &= sim_stat("unloads", &unloads) && vm_expect_eq("host unloads", 1, unloads);
	ok &= sim_stat("unloads_atomic", &atomic) &&
	      vm_expect_eq("host unloads_atomic", 1, atomic);
	ok &= sim_stat("unload_responses", &responses) &&
	      vm_expect_eq("host unload_responses", 1, responses);
	ok &= vm_expect(vm_kmsg_grep(&mark, "crash: UNLOAD_RESPONSE in the slot of cpu",
				     NULL, 1) == 1,
			"one 'UNLOAD_RESPONSE in the slot' line in the kernel log");
	snprintf(line, sizeof(line), "on cpu%u: UNLOAD to the host", cpu);
	ok &= vm_expect_kmsg(&mark, line, false, 1);
	ok &= vm_expect(vm_kmsg_grep(&mark, "crash: SynIC disabled on", NULL, 1) == 1 &&
			vm_kmsg_grep(&mark, "not reachable", NULL, 1) == 0,
			"SynIC disabled on every CPU");
	ok &= guest_version_zero();

	/* The run stalls: the host is gone.  Any end will do. */
	err = vm_echo_run_wait(pid, RUN_CMD, RUN_END_MS);
	ksft_print_msg("the bulk run ended after the crash path: %s\n", strerror(-err));
	ok &= vm_expect(err != -ETIMEDOUT || vm_echo_result_exists(instances[0]),
			"the bulk run did not end");
	ok &= vm_echo_unload();
	t0 = vm_now_ms();
	ok &= vm_guest_unload();
	ok &= vm_expect(vm_now_ms() - t0 < RMMOD_FAST_MS, "rmmod hv_vmbus took %" PRIu64
			" ms: waiting for a second UNLOAD_RESPONSE?", vm_now_ms() - t0);
	ok &= sim_stat("unloads", &unloads) &&
	      vm_expect_eq("host unloads after rmmod", 1, unloads);
	for (i = 0; i < sizeof(bad_log) / sizeof(bad_log[0]); i++)
		ok &= vm_expect_kmsg(&mark, bad_log[i], false, 0);
	if (!ok)
		return false;

	/* The strict host takes the new contact: the old one was unloaded. */
	ok = vm_echo_attach(instances, DEVICES, NSUB);
	ok &= sim_stat("contacts_refused_strict", &refused) &&
	      vm_expect_eq("contacts_refused_strict", 0, refused);
	ok = ok && !vm_echo_run(instances[1], SHORT_CMD, SHORT_MS) &&
	     !vm_echo_result_load(instances[1], &r) && vm_echo_expect_clean(&r, 500);
	return ok;
}

/* The control: without an UNLOAD the strict host refuses; lenient, it resets. */
static bool strict_refuses(void)
{
	uint64_t refused = 0, resets = 0;
	bool ok;
	int err;

	if (!vm_echo_unload() || vm_sim_set("unload_respond", "0") ||
	    !vm_guest_unload() || vm_sim_reset_stats())
		return false;
	err = vm_modprobe("hv_vmbus", VM_MODPROBE_MS);
	ok = vm_expect(err != 0, "modprobe hv_vmbus against a strict host that kept the "
		       "old connection succeeded");
	ok &= sim_stat("contacts_refused_strict", &refused) &&
	      vm_expect_ge("contacts_refused_strict", 1, refused);
	if (vm_module_loaded("hv_vmbus"))
		vm_guest_unload();
	if (vm_sim_set("strict_contact", "0") || vm_sim_set("unload_respond", "1"))
		return false;
	ok &= vm_guest_load(VM_MODPROBE_MS) && vm_wait_vmbus_devices(DEVICES, VM_MODPROBE_MS);
	ok &= sim_stat("resets", &resets) && vm_expect_eq("host resets", 1, resets);
	ok &= vm_guest_unload();
	return ok;
}

int main(void)
{
	long ncpus;
	unsigned int last;

	ksft_print_header();
	vm_setup();
	ncpus = sysconf(_SC_NPROCESSORS_ONLN);
	last = ncpus > 1 ? (unsigned int)ncpus - 1 : 0;
	ksft_set_plan(5);
	ksft_test_result(setup(), "strict_contact 1; %u echo devices with %u sub-channel(s)\n",
			 DEVICES, NSUB);
	ksft_test_result(crash_round(last), "crash path on cpu%u under echo traffic: one "
			 "UNLOAD answered, SynICs off, reconnect to the strict host\n", last);
	ksft_test_result(crash_round(0), "crash path on cpu0 (connect CPU) under echo "
			 "traffic: the same\n");
	ksft_test_result(strict_refuses(), "control: no UNLOAD, the strict host refuses the "
			 "contact; lenient, it resets\n");
	ksft_test_result(vm_teardown(), "teardown: sim modes and devices restored\n");
	vm_test_finished();
}
