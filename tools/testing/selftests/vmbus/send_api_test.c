// SPDX-License-Identifier: GPL-2.0
/*
 * send_api_test: what the send calls of <linux/hyperv.h> put on the wire,
 * as the distribution's drivers use them.  The sim's echo device returns
 * every byte the guest sends, so vmbus_echo_drv's "api" run (see
 * tools/testing/vmbus/echo/vmbus_echo_drv.c) checks in the echo:
 *  - an inband packet that requests a completion carries a transaction id
 *    that maps back to the caller's request id;
 *  - a VM_PKT_COMP without completion requested (a driver answering the
 *    host's packet) carries the host's id unchanged;
 *  - vmbus_sendpacket_mpb_desc() keeps the caller's rangecount and ranges
 *    (two ranges, three pages).
 * First with channels opened plainly (the id is the caller's), then with
 * netvsc_ids=1: a requestor and next_request_id_callback =
 * vmbus_next_request_id, as hv_netvsc opens its channels (the id comes from
 * the requestor and vmbus_request_addr() maps it back).  A core whose
 * vmbus_next_request_id() calls that callback recurses without end on the
 * first packet; one that allocates an id for every packet breaks the
 * completion's id; one that sets rangecount to 1 breaks the third.
 */
#include <stdio.h>

#include "vmbus_util.h"

#define ROUNDS		"200"

static const char *const instances[] = { "5e4d0a9c-7b3f-4c21-8e6a-53454e44a0a1" };

enum { RUN_MS = 60000 };

static bool api_run(const char *how)
{
	int err = vm_echo_run(instances[0], "api " ROUNDS, RUN_MS);

	return vm_expect(!err, "api run (%s): %d", how, err);
}

static bool netvsc_ids(void)
{
	return vm_echo_reload("netvsc_ids=1", instances, 1, 1) && api_run("netvsc_ids=1");
}

int main(void)
{
	bool loaded, plain;

	ksft_print_header();
	vm_setup();
	ksft_set_plan(3);
	loaded = vm_echo_load(instances, 1, 1);
	plain = loaded && api_run("plain");
	ksft_test_result(plain, "send_api_plain: %s rounds: caller's ids, host's id on a "
			 "completion, two ranges kept\n", ROUNDS);
	ksft_test_result(loaded && netvsc_ids(), "send_api_netvsc_ids: %s rounds with a "
			 "requestor and vmbus_next_request_id as the callback\n", ROUNDS);
	ksft_test_result(vm_echo_unload() & vm_teardown(),
			 "send_api_teardown: vmbus_echo_drv and hv_vmbus unloaded, sim restored\n");
	vm_test_finished();
}
