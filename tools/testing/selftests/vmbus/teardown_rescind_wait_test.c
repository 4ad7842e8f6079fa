// SPDX-License-Identifier: GPL-2.0
/*
 * teardown_rescind_wait_test: a rescind ends every wait for the host's
 * answer about that channel at once (vmbus-sim.rst, host behaviour 19).
 *
 * In the sim's rescind_instead mode the host does not answer the next
 * request of one kind and rescinds the channel instead.  The guest's wait
 * for that answer must end within WAIT_MS of the rescind, not at the
 * 30-second deadline of a request the rescind did not find:
 *   MODIFYCHANNEL  a write to channels/<relid>/cpu of an open echo channel
 *                  fails within WAIT_MS;
 *   OPENCHANNEL    vmbus_echo_drv probing a hot-added echo device: the
 *                  device leaves sysfs (which waits for the probe to end)
 *                  within WAIT_MS of the host's rescind;
 *   GPADL          the same, with GPADL_CREATED held back;
 *   after GPADL    the same, with GPADL_CREATED sent and the rescind right
 *                  behind it, ROUNDS times: the rescind reaches the guest
 *                  between its GPADL and its OPENCHANNEL, often before the
 *                  OPENCHANNEL's request is listed, which then must not
 *                  wait for an answer that never comes.
 *
 * Sim modes: version_ceiling 5.3 (vm_echo_attach(); MODIFYCHANNEL is
 * answered from 5.3), rescind_instead 3, 1, 2 and 4.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "vmbus_util.h"

#define OPEN_INST	"7c1d2e3f-4a5b-4c6d-8e7f-0a1b2c3d4e01"
#define MODIFY_INST	"7c1d2e3f-4a5b-4c6d-8e7f-0a1b2c3d4e02"
#define GPADL_INST	"7c1d2e3f-4a5b-4c6d-8e7f-0a1b2c3d4e03"
/* %x: the round. */
#define AFTER_INST	"7c1d2e3f-4a5b-4c6d-8e7f-0a1b2c3d4f%02x"

/* sim_modes.rescind_instead (vmbus-sim.rst, Modes). */
enum {
	RESCIND_INSTEAD_OPEN	= 1,
	RESCIND_INSTEAD_GPADL	= 2,
	RESCIND_INSTEAD_MODIFY	= 3,
	RESCIND_AFTER_GPADL	= 4,
};

enum {
	WAIT_MS		= 1000,
	GONE_MS		= 60000,
	ROUNDS		= 6,
};

static uint64_t rescinds;	/* the sim's rescinds_instead, expected */

static bool load(void)
{
	const char *const inst[] = { MODIFY_INST };

	return !vm_sim_reset_stats() && vm_echo_load(inst, 1, 0);
}

static bool dev_gone(void *arg)
{
	char path[256];

	snprintf(path, sizeof(path), "%s/%s", VM_VMBUS_DEVICES, (const char *)arg);
	return !vm_exists(path);
}

static bool modify(void)
{
	unsigned int relid;
	uint64_t cpu, start, took;
	char next[24];
	int err;

	if (!vm_expect(vm_chan_relids(MODIFY_INST, &relid, 1) == 1,
		       "%s: expected one channel", MODIFY_INST) ||
	    vm_chan_read(MODIFY_INST, relid, "cpu", &cpu))
		return false;
	snprintf(next, sizeof(next), "%" PRIu64, (cpu + 1) % sysconf(_SC_NPROCESSORS_ONLN));
	if (vm_sim_set("rescind_instead", "%u", RESCIND_INSTEAD_MODIFY))
		return false;
	start = vm_now_ms();
	err = vm_chan_set_cpu(MODIFY_INST, relid, next);
	took = vm_now_ms() - start;
	rescinds++;
	ksft_print_msg("channels/%u/cpu <- %s: %s after %" PRIu64 " ms\n", relid, next,
		       strerror(-err), took);
	return vm_expect(err, "the retarget succeeded: the host never answered") &
	       vm_expect(took < WAIT_MS, "the retarget took %" PRIu64 " ms, limit %u",
			 took, WAIT_MS) &
	       vm_wait_stat(VM_SIM, "stats", "rescinds_instead", rescinds, VM_SETTLE_MS) &
	       vm_wait_until(dev_gone, (void *)MODIFY_INST, GONE_MS, "%s/%s gone",
			     VM_VMBUS_DEVICES, MODIFY_INST);
}

/* A hot-added echo device whose open the host answers with a rescind. */
static bool open_rescinded(unsigned int mode, const char *instance)
{
	uint64_t seen, took;

	if (vm_sim_set("rescind_instead", "%u", mode) ||
	    vm_sim_devices_cmd("add %s %s 0", VM_TEST_CLASS, instance))
		return false;
	rescinds++;
	if (!vm_wait_stat(VM_SIM, "stats", "rescinds_instead", rescinds, VM_MODPROBE_MS))
		return false;
	seen = vm_now_ms();
	if (!vm_wait_until(dev_gone, (void *)instance, GONE_MS, "%s/%s gone",
			   VM_VMBUS_DEVICES, instance))
		return false;
	took = vm_now_ms() - seen;
	ksft_print_msg("%s: gone %" PRIu64 " ms after the host's rescind\n", instance, took);
	return vm_expect(took < WAIT_MS, "%s left %" PRIu64 " ms after the rescind, limit %u",
			 instance, took, WAIT_MS);
}

static bool after_gpadl(void)
{
	char instance[VM_GUID_LEN + 1];
	bool ok = true;
	int i;

	for (i = 0; i < ROUNDS; i++) {
		snprintf(instance, sizeof(instance), AFTER_INST, i);
		ok &= open_rescinded(RESCIND_AFTER_GPADL, instance);
	}
	return ok;
}

int main(void)
{
	bool loaded;

	ksft_print_header();
	vm_setup();
	ksft_set_plan(7);
	loaded = load();
	ksft_test_result(loaded, "echo device open under %s\n", VM_ECHO_DRV);
	ksft_test_result(loaded && modify(),
			 "MODIFYCHANNEL answered by a rescind: the write fails within %u ms\n",
			 WAIT_MS);
	ksft_test_result(loaded && open_rescinded(RESCIND_INSTEAD_OPEN, OPEN_INST),
			 "OPENCHANNEL answered by a rescind: the probe ends within %u ms\n",
			 WAIT_MS);
	ksft_test_result(loaded && open_rescinded(RESCIND_INSTEAD_GPADL, GPADL_INST),
			 "GPADL_HEADER answered by a rescind: the probe ends within %u ms\n",
			 WAIT_MS);
	ksft_test_result(loaded && after_gpadl(),
			 "%u rescinds right behind GPADL_CREATED: each probe ends within %u ms\n",
			 ROUNDS, WAIT_MS);
	ksft_test_result(vm_echo_unload() & vm_guest_unload(), "rmmod %s and hv_vmbus\n",
			 VM_ECHO_DRV);
	ksft_test_result(vm_teardown(), "teardown: sim modes and devices restored\n");
	vm_test_finished();
}
