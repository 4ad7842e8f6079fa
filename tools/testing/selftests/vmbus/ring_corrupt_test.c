// SPDX-License-Identifier: GPL-2.0
/*
 * ring_corrupt_test: a hostile host corrupts one channel's inbound ring.
 *
 * Two echo devices run bulk traffic at the same time.  In the middle of it
 * the host writes an out-of-range write_index into the first device's
 * inbound ring (`corrupt <relid> write_index` on vmbus_sim/channels).  The
 * guest must mark that channel broken: the first run fails with EIO within
 * a deadline, the kernel log names the relid, and nothing oopses; the
 * second device's run is not disturbed and passes.
 *
 * Parameter: vmbus_corrupt_count, the second device's packet count
 * (default 50000 on Debian's kernel, 10000 on the debug kernel).
 *
 * Sim modes: version_ceiling 5.3; two echo devices without sub-channels.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "vmbus_util.h"

#define BROKEN		"6b0c6f2e-4a11-4d25-9e51-0e3c5d7a0004"
#define HEALTHY		"6b0c6f2e-4a11-4d25-9e51-0e3c5d7a0005"
#define BROKEN_CMD	"bulk 100000000 16 4096"

enum {
	PROGRESS_PKTS	= 1000,
	PROGRESS_MS	= 60000,
	BREAK_MS	= 30000,
	RUN_SLACK_MS	= 120000,
};

static bool loaded;

static bool load(void)
{
	const char *const inst[] = { BROKEN, HEALTHY };

	loaded = vm_echo_load(inst, 2, 0);
	return loaded;
}

static bool traffic_flowing(void *arg)
{
	struct vm_echo_result r;

	return vm_echo_result_exists(arg) && !vm_echo_result_load(arg, &r) &&
	       r.total.received >= PROGRESS_PKTS;
}

static bool corrupt_one(void)
{
	uint64_t count = vm_param_u64("vmbus_corrupt_count",
				      vm_dist_kernel() ? 50000 : 10000);
	int bad_pid, good_pid, bad_err, good_err, n;
	struct vm_echo_result r;
	struct vm_kmsg_mark mark;
	unsigned int relid;
	char cmd[80], text[48];
	bool ok = true;

	if (!loaded || vm_chan_relids(BROKEN, &relid, 1) != 1 ||
	    vm_kmsg_mark(&mark) || vm_sim_reset_stats())
		return false;
	snprintf(cmd, sizeof(cmd), "bulk %" PRIu64 " 16 16384", count);
	bad_pid = vm_echo_run_start(BROKEN, BROKEN_CMD);
	good_pid = vm_echo_run_start(HEALTHY, cmd);
	if (bad_pid < 0 || good_pid < 0)
		return false;
	ok &= vm_wait_until(traffic_flowing, (void *)BROKEN, PROGRESS_MS,
			    "%u echoes on %s before the corruption", PROGRESS_PKTS, BROKEN);
	ok &= vm_expect(!vm_write(VM_SIM, "channels", "corrupt %u write_index", relid),
			"vmbus_sim/channels <- corrupt %u write_index", relid);
	bad_err = vm_echo_run_wait(bad_pid, BROKEN_CMD, BREAK_MS);
	ok &= vm_expect(bad_err == -EIO, "run on the corrupted device: expected EIO "
			"within %u ms, got %s", BREAK_MS, strerror(-bad_err));
	good_err = vm_echo_run_wait(good_pid, cmd, count + RUN_SLACK_MS);
	ok &= vm_expect(!good_err, "run on the other device: expected success, got %s",
			strerror(-good_err));
	ok &= !vm_echo_result_load(HEALTHY, &r) && vm_echo_expect_clean(&r, count);

	snprintf(text, sizeof(text), "relid %u: ", relid);
	n = vm_kmsg_grep(&mark, text, "broken", 5);
	ok &= vm_expect(n >= 1, "kernel log: expected a line naming `%s...broken`, "
			"got %d", text, n);
	ok &= vm_expect_kmsg(&mark, "Oops", false, 0) &
	      vm_expect_kmsg(&mark, "BUG:", false, 0) &
	      vm_expect_kmsg(&mark, "Call Trace", false, 0);
	return ok;
}

static bool unload(void)
{
	return vm_echo_unload() & vm_guest_unload();
}

int main(void)
{
	ksft_print_header();
	vm_setup();
	ksft_set_plan(4);
	ksft_test_result(load(), "two echo devices open\n");
	ksft_test_result(corrupt_one(), "corrupt write_index of one: its run fails with EIO, the "
			 "log names the channel, the other device's run passes\n");
	ksft_test_result(unload(), "rmmod %s and hv_vmbus\n", VM_ECHO_DRV);
	ksft_test_result(vm_teardown(), "teardown: sim modes and devices restored\n");
	vm_test_finished();
}
