// SPDX-License-Identifier: GPL-2.0
/*
 * teardown_leak_test: ring pages the host may still map are never given
 * back to the allocator; each such ring counts once in the guest's
 * rings_leaked stat, with a `... pages leaked` warning.
 *
 *   teardown_respond 0 (vmbus-sim.rst, host behaviour 20): rmmod
 *   vmbus_echo_drv closes the echo channel, the host never answers its
 *   GPADL_TEARDOWN: the close gives up after its deadline and the ring
 *   leaks (rings_leaked 1, teardowns_ignored 1).
 *
 *   rescind_instead 1 (host behaviour 19): the next probe's OPENCHANNEL is
 *   answered by a rescind: that ring leaks too (rings_leaked 2).
 *
 * Sim modes: version_ceiling 5.3 (vm_echo_attach()), teardown_respond 0,
 * rescind_instead 1.
 */
#include <inttypes.h>
#include <stdio.h>

#include "vmbus_util.h"

#define INSTANCE	"7c1d2e3f-4a5b-4c6d-8e7f-0a1b2c3d4e21"
#define LEAK_LINE	"pages leaked"

enum {
	CLOSE_MS	= 90000,	/* the guest waits 30 s for TORNDOWN */
	GONE_MS		= 60000,
};

static struct vm_kmsg_mark mark;

static bool load(void)
{
	const char *const inst[] = { INSTANCE };

	return !vm_sim_reset_stats() && vm_echo_load(inst, 1, 0) && !vm_kmsg_mark(&mark);
}

static bool teardown_ignored(void)
{
	uint64_t start = vm_now_ms();
	int err;

	if (vm_sim_set("teardown_respond", "0"))
		return false;
	/* Longer than vm_echo_unload() waits: the close waits for TORNDOWN. */
	err = vm_rmmod(VM_ECHO_DRV, CLOSE_MS);
	ksft_print_msg("rmmod %s: %d after %" PRIu64 " ms\n", VM_ECHO_DRV, err,
		       vm_now_ms() - start);
	if (!vm_expect(!err, "rmmod %s failed: %d", VM_ECHO_DRV, err))
		return false;
	return vm_wait_stat(VM_GUEST, "stats", "rings_leaked", 1, CLOSE_MS) &
	       vm_wait_stat(VM_SIM, "stats", "teardowns_ignored", 1, VM_SETTLE_MS) &
	       vm_expect_kmsg(&mark, LEAK_LINE, false, 1);
}

static bool dev_gone(void *arg)
{
	char path[256];

	snprintf(path, sizeof(path), "%s/%s", VM_VMBUS_DEVICES, (const char *)arg);
	return !vm_exists(path);
}

static bool open_rescinded(void)
{
	if (vm_sim_set("teardown_respond", "1") || vm_sim_set("rescind_instead", "1") ||
	    !vm_modprobe_expect(VM_ECHO_DRV, VM_MODPROBE_MS))
		return false;
	return vm_wait_stat(VM_SIM, "stats", "rescinds_instead", 1, VM_MODPROBE_MS) &&
	       vm_wait_until(dev_gone, (void *)INSTANCE, GONE_MS, "%s/%s gone",
			     VM_VMBUS_DEVICES, INSTANCE) &&
	       vm_wait_stat(VM_GUEST, "stats", "rings_leaked", 2, VM_SETTLE_MS) &
	       vm_expect_kmsg(&mark, LEAK_LINE, false, 2);
}

int main(void)
{
	bool loaded;

	ksft_print_header();
	vm_setup();
	ksft_set_plan(5);
	loaded = load();
	ksft_test_result(loaded, "echo device open under %s\n", VM_ECHO_DRV);
	ksft_test_result(loaded && teardown_ignored(),
			 "GPADL_TEARDOWN never answered: the ring leaks, rings_leaked 1\n");
	ksft_test_result(loaded && open_rescinded(),
			 "OPENCHANNEL answered by a rescind: the ring leaks, rings_leaked 2\n");
	ksft_test_result(vm_echo_unload() & vm_guest_unload(), "rmmod %s and hv_vmbus\n",
			 VM_ECHO_DRV);
	ksft_test_result(vm_teardown(), "teardown: sim modes and devices restored\n");
	vm_test_finished();
}
