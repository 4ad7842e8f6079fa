// SPDX-License-Identifier: GPL-2.0
/*
 * vmbus_sim: a simulated Hyper-V host for the VMBus guest core.
 *
 * The module registers itself as the hypervisor back end with
 * vmbus_hv_register() and plays the host's part: SynIC message slots and
 * event flags in the guest's own pages, HvPostMessage, EOM and interrupts
 * in hard-IRQ context on the target CPU, the host side of the VMBus
 * protocol and a debugfs control plane.  See
 * Documentation/virt/hyperv/vmbus-sim.rst.
 *
 * The simulator outlives the guest: hv_vmbus may unload and load again
 * while it stays.  A guest that is attached holds a reference on this
 * module (vmbus_hv_get()), so module exit runs only with no guest attached:
 * no post, EOM or SynIC call can come in during or after it.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/module.h>
#include <linux/smp.h>

#include "sim.h"

static u64 sim_hv_signal_event(u32 connection_id, u16 flag)
{
	/* Flag numbers are for event ports with several flags: VMBus uses 0. */
	if (flag) {
		sim_guest_error("signal_event with flag %u\n", flag);
		return HV_STATUS_INVALID_PARAMETER;
	}
	return sim_ring_signal(connection_id);
}

static int sim_hv_synic_enable(unsigned int cpu,
			       struct hv_message_page *msg_page,
			       union hv_synic_event_flags *event_pages)
{
	int ret = sim_synic_enable(cpu, msg_page, event_pages);

	/* Messages waiting for this CPU's slot are delivered at once. */
	if (!ret)
		sim_msg_kick();
	return ret;
}

static u32 sim_hv_vp_index(unsigned int cpu)
{
	/* The sim numbers its virtual processors like Linux numbers CPUs. */
	return cpu;
}

static void sim_hv_version(struct vmbus_hv_version *ver)
{
	/* What Windows Server 2022 reports; no guest logic depends on it. */
	ver->major = 10;
	ver->minor = 0;
	ver->build = 20348;
}

static const struct vmbus_hypervisor sim_hv = {
	.name		= "sim",
	.owner		= THIS_MODULE,
	.post_message	= sim_msg_post,
	.signal_event	= sim_hv_signal_event,
	.synic_enable	= sim_hv_synic_enable,
	.synic_disable	= sim_synic_disable,
	.synic_disable_atomic = sim_synic_disable_atomic,
	.eom		= sim_msg_eom,
	.vp_index	= sim_hv_vp_index,
	.version	= sim_hv_version,
};

static int __init sim_init(void)
{
	int ret;

	ret = sim_stats_init();
	if (ret)
		return ret;
	ret = sim_record_init();
	if (ret)
		goto err_stats;
	ret = sim_base_init();
	if (ret)
		goto err_record;
	sim_synic_init();
	sim_msg_init(sim_proto_handle);
	sim_gpadl_set_close(sim_ring_close);
	sim_proto_init();
	sim_resume_init();
	sim_events_init();
	sim_burst_init();
	ret = sim_monitor_init();
	if (ret)
		goto err_proto;
	sim_ic_init();
	sim_ic_heartbeat_init();
	sim_ic_shutdown_init();
	sim_ic_timesync_init();
	sim_kvp_init();
	sim_storvsc_init();
	sim_netvsc_init();
	sim_set_rescind_instead(sim_proto_rescind_instead);
	sim_hvsock_init();
	sim_debugfs_init();
	/* Last: a guest may attach as soon as this returns. */
	ret = vmbus_hv_register(&sim_hv);
	if (ret)
		goto err_debugfs;
	return 0;

err_debugfs:
	sim_debugfs_exit();
	sim_ic_exit();
	sim_ic_timesync_exit();
	sim_monitor_exit();
err_proto:
	sim_burst_exit();
	sim_events_exit();
	sim_proto_exit();
	sim_msg_exit();
	sim_base_exit();
err_record:
	sim_record_exit();
err_stats:
	sim_stats_exit();
	return ret;
}

/*
 * Teardown order: no guest is attached (see the top of this file), so
 * after vmbus_hv_unregister() only the control plane and our own work can
 * still run.  The control plane goes first, so nothing starts an event
 * run or a burst; then those two (they take sim_lock and raise
 * interrupts); then the delayed UNLOAD_RESPONSE, the EOM timer and the
 * host work item, which are the only other things that queue work or
 * raise interrupts; then the interrupts still in flight.
 */
static void __exit sim_exit(void)
{
	vmbus_hv_unregister(&sim_hv);
	sim_debugfs_exit();
	sim_storvsc_exit();
	sim_netvsc_exit();
	sim_ic_exit();
	sim_ic_timesync_exit();
	sim_burst_exit();
	sim_events_exit();
	sim_proto_exit();
	sim_monitor_exit();
	sim_msg_exit();
	sim_base_exit();
	sim_synic_exit();
	sim_record_exit();
	sim_stats_exit();
}

module_init(sim_init);
module_exit(sim_exit);
MODULE_DESCRIPTION("Simulated Hyper-V host for the VMBus guest core");
MODULE_LICENSE("GPL");
