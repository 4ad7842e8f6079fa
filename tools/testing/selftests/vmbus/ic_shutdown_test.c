// SPDX-License-Identifier: GPL-2.0
/*
 * ic_shutdown_test: the simulated host's shutdown requests reach user space
 * through the distribution's hv_utils.  For each request the host sends
 * (shutdown and forced shutdown, restart and forced restart) hv_utils
 * answers it (the host's shutdown_ok), logs it, and calls
 * orderly_poweroff() / orderly_reboot(), which run /sbin/poweroff or
 * /sbin/reboot exactly once.  A hibernate request is answered and logged
 * and runs neither.
 *
 * The test initramfs's /sbin/poweroff and /sbin/reboot (qemu/vmbus-power)
 * only record a call while the tests run, so the guest keeps running; the
 * real power off and restart, through the same path, end every boot of the
 * QEMU runner (qemu/init's end step, judged by qemu/run.sh).  Where that
 * recorder is absent the requests are skipped: they would power off the
 * machine.
 *
 * Sim: ic/control add shutdown.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "ic_util.h"

enum {
	HELPER_MS = 10000,	/* the usermode helper runs from a work item */
};

struct request {
	unsigned int flags;
	const char *what;
	const char *log;	/* hv_utils' line */
	const char *runs;	/* /sbin/<runs>, or NULL */
};

static const struct request requests[] = {
	{ IC_SD_SHUTDOWN, "shutdown",
	  "hv_utils: Shutdown request received - graceful shutdown initiated", "poweroff" },
	{ IC_SD_SHUTDOWN_FORCE, "forced shutdown",
	  "hv_utils: Shutdown request received - graceful shutdown initiated", "poweroff" },
	{ IC_SD_REBOOT, "restart",
	  "hv_utils: Restart request received - graceful restart initiated", "reboot" },
	{ IC_SD_REBOOT_FORCE, "forced restart",
	  "hv_utils: Restart request received - graceful restart initiated", "reboot" },
	{ IC_SD_HIBERNATE, "hibernate", "hv_utils: Hibernation request received", NULL },
};

#define NREQ (sizeof(requests) / sizeof(requests[0]))

static bool bind_shutdown(void)
{
	if (!ic_offer(IC_BIT(IC_SHUTDOWN)) || !ic_load())
		return false;
	return ic_wait_bound(IC_BIT(IC_SHUTDOWN), IC_BIND_MS) &&
	       ic_wait_stat_ge("shutdown_negotiated", 1, IC_BIND_MS);
}

struct calls {
	int poweroff, reboot, halt;
};

static void calls_load(struct calls *c)
{
	c->poweroff = ic_power_requests("poweroff");
	c->reboot = ic_power_requests("reboot");
	c->halt = ic_power_requests("halt");
}

struct calls_wait {
	const struct calls *want;
	struct calls got;
};

static bool calls_reached(void *arg)
{
	struct calls_wait *w = arg;

	calls_load(&w->got);
	return w->got.poweroff >= w->want->poweroff && w->got.reboot >= w->want->reboot;
}

static bool answered(uint64_t sent0, uint64_t done0)
{
	struct vm_stats st;
	uint64_t sent, ok, bad;

	if (!ic_wait_stat_ge("shutdown_sent", sent0 + 1, VM_SETTLE_MS))
		return false;
	for (uint64_t t0 = vm_now_ms(); vm_now_ms() - t0 < VM_SETTLE_MS;
	     vm_sleep_ms(VM_POLL_MS)) {
		if (ic_stats_load(&st) || !vm_stat_get(&st, "shutdown_sent", &sent) ||
		    !vm_stat_get(&st, "shutdown_ok", &ok) ||
		    !vm_stat_get(&st, "shutdown_bad", &bad))
			return false;
		if (ok + bad >= done0 + 1)
			return vm_expect_eq("shutdown requests sent", sent0 + 1, sent);
	}
	return vm_expect(false, "the host's shutdown request was not answered in %d ms",
			 VM_SETTLE_MS);
}

static bool one_request(const struct request *r)
{
	struct calls before, want;
	struct calls_wait w = { .want = &want };
	struct vm_kmsg_mark mark;
	uint64_t sent0 = 0, ok0 = 0, bad0 = 0, ok1 = 0;
	bool ok;

	calls_load(&before);
	want = before;
	if (r->runs && !strcmp(r->runs, "poweroff"))
		want.poweroff++;
	else if (r->runs)
		want.reboot++;
	if (vm_kmsg_mark(&mark) || !ic_stat("shutdown_sent", &sent0) ||
	    !ic_stat("shutdown_ok", &ok0) || !ic_stat("shutdown_bad", &bad0) ||
	    ic_control("shutdown %u", r->flags))
		return false;
	ok = answered(sent0, ok0 + bad0);
	if (r->runs) {
		ok &= ic_stat("shutdown_ok", &ok1) &&
		      vm_expect_eq("shutdown_ok", ok0 + 1, ok1);
		ok &= vm_wait_until(calls_reached, &w, HELPER_MS, "/sbin/%s to be run",
				    r->runs);
		ok &= vm_expect_kmsg(&mark, "vmbus-power: /sbin/", false, 1);
	} else {
		/* Give a wrong helper the time to show up. */
		vm_sleep_ms(1000);
	}
	calls_load(&w.got);
	ok &= vm_expect_eq("/sbin/poweroff calls", want.poweroff, w.got.poweroff);
	ok &= vm_expect_eq("/sbin/reboot calls", want.reboot, w.got.reboot);
	ok &= vm_expect_eq("/sbin/halt calls", want.halt, w.got.halt);
	ok &= vm_expect_kmsg(&mark, r->log, false, 1);
	ksft_print_msg("%s (flags %u): %s\n", r->what, r->flags,
		       r->runs ? (strcmp(r->runs, "poweroff") ? "/sbin/reboot ran" :
			    "/sbin/poweroff ran") : "answered, nothing ran");
	return ok;
}

static bool no_protocol_errors(void)
{
	struct vm_stats st;

	return !ic_stats_load(&st) && vm_expect_stat(&st, "ic_protocol_errors", 0);
}

int main(void)
{
	const char *why = "";
	bool bound, recorder;
	unsigned int i;

	ksft_print_header();
	vm_setup();
	ic_setup();
	ksft_set_plan(2 + NREQ + 1);
	recorder = ic_power_recorder(&why);
	bound = bind_shutdown();
	ksft_test_result(bound, "hv_utils bound to the shutdown component, negotiated\n");
	for (i = 0; i < NREQ; i++) {
		if (!recorder)
			vm_test_result_skip(why, "host %s request", requests[i].what);
		else
			ksft_test_result(bound && one_request(&requests[i]),
					 "host %s request: %s\n",
					 requests[i].what, requests[i].runs ?
					 (strcmp(requests[i].runs, "poweroff") ?
				"/sbin/reboot runs once" : "/sbin/poweroff runs once") :
					 "answered, nothing runs");
	}
	ksft_test_result(bound && no_protocol_errors(), "no IC protocol error\n");
	ksft_test_result(ic_teardown() & vm_teardown(),
			 "teardown: hv_utils and hv_vmbus unloaded, sim restored\n");
	vm_test_finished();
}
