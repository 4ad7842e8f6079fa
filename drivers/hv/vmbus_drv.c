// SPDX-License-Identifier: GPL-2.0
/*
 * hv_vmbus: module entry, the vmbus bus type, the per-CPU SynIC, the
 * interrupt entry and the host message path, debugfs.
 *
 * Host message path.  The host puts one message at a time into the SINT 2
 * slot of the connect CPU's message page and interrupts that CPU.  The ISR
 * copies the message into a per-CPU ring, frees the slot and signals EOM if
 * the host marked another message pending; the CPU's message work then
 * validates and dispatches the copies in arrival order.  If the ring is full
 * the ISR leaves the message in the slot (the host waits, nothing is lost)
 * and the work harvests it once it has made room.
 */
#define pr_fmt(fmt) "hv_vmbus: " fmt

#include <linux/cpu.h>
#include <linux/cpuhotplug.h>
#include <linux/debugfs.h>
#include <linux/gfp.h>
#include <linux/module.h>
#include <linux/percpu.h>
#include <linux/seq_file.h>
#include <linux/smp.h>
#include <linux/string.h>

#include "hyperv_vmbus.h"

struct vmbus_conn vmbus_conn;
static enum cpuhp_state vmbus_cpuhp_state;
static struct dentry *vmbus_debugfs_dir;

static int vmbus_match(struct device *dev, struct device_driver *drv)
{
	const struct hv_driver *hdrv = container_of(drv, struct hv_driver, driver);
	const struct hv_device *hdev = device_to_hv_device(dev);
	const struct hv_vmbus_device_id *id;

	for (id = hdrv->id_table; id && !guid_is_null(&id->guid); id++)
		if (guid_equal(&id->guid, &hdev->dev_type))
			return 1;
	return 0;
}

static struct bus_type vmbus_bus = {
	.name	= "vmbus",
	.match	= vmbus_match,
};

/* Frees the slot; the host may then deliver the next message. */
static void vmbus_slot_free(struct hv_message *slot)
{
	union hv_message_flags flags;

	WRITE_ONCE(slot->header.message_type, HVMSG_NONE);
	/*
	 * Order the free slot before the msg_pending load: pairs with the
	 * host's barrier between setting msg_pending and re-checking the slot.
	 * Either we see msg_pending and signal EOM, or the host sees the slot
	 * free and delivers without one.
	 */
	virt_mb();
	flags.asu8 = READ_ONCE(slot->header.message_flags.asu8);
	if (flags.msg_pending) {
		vmbus_stat_inc(VMBUS_STAT_EOMS);
		vmbus_conn.hv->eom();
	}
}

/*
 * Copy every message the slot holds into the ring.  Returns true if one was
 * copied.  Runs on the owning CPU with interrupts off (the ISR, or the
 * re-harvest IPI), so it is the ring's only producer.
 */
static bool vmbus_msg_harvest(struct vmbus_synic *s)
{
	struct hv_message *slot = &s->msg_page->sint_message[VMBUS_MESSAGE_SINT];
	struct vmbus_msg_ring *r = &s->ring;
	bool copied = false;
	unsigned int head;

	while (READ_ONCE(slot->header.message_type) != HVMSG_NONE) {
		head = r->head;
		/* Pairs with the release of the tail in vmbus_msg_work(). */
		if (head - smp_load_acquire(&r->tail) == VMBUS_MSG_RING_SIZE) {
			WRITE_ONCE(s->stalled, true);
			break;
		}
		/* The type is read before the body: pairs with the host's write. */
		virt_rmb();
		memcpy(&r->msgs[head % VMBUS_MSG_RING_SIZE], slot, sizeof(*slot));
		/* Pairs with the acquire of the head in vmbus_msg_work(). */
		smp_store_release(&r->head, head + 1);
		vmbus_slot_free(slot);
		copied = true;
	}
	return copied;
}

static void vmbus_isr(void)
{
	struct vmbus_synic *s = this_cpu_ptr(vmbus_conn.synic);

	if (!READ_ONCE(s->enabled))
		return;
	if (vmbus_msg_harvest(s))
		queue_work_on(s->cpu, vmbus_conn.msg_wq, &s->msg_work);
}

static void vmbus_msg_reharvest(void *arg)
{
	vmbus_isr();
}

static void vmbus_msg_work(struct work_struct *work)
{
	struct vmbus_synic *s = container_of(work, struct vmbus_synic, msg_work);
	struct vmbus_msg_ring *r = &s->ring;
	unsigned int tail = r->tail;

	/* Pairs with the release of the head in vmbus_msg_harvest(). */
	while (tail != smp_load_acquire(&r->head)) {
		vmbus_msg_dispatch(&r->msgs[tail % VMBUS_MSG_RING_SIZE]);
		/* Pairs with the acquire of the tail in vmbus_msg_harvest(). */
		smp_store_release(&r->tail, ++tail);
	}
	/* A message left in the slot while the ring was full: fetch it now. */
	if (READ_ONCE(s->stalled)) {
		WRITE_ONCE(s->stalled, false);
		smp_call_function_single(s->cpu, vmbus_msg_reharvest, NULL, 1);
	}
}

static int vmbus_synic_online(unsigned int cpu)
{
	struct vmbus_synic *s = per_cpu_ptr(vmbus_conn.synic, cpu);
	int ret;

	ret = vmbus_conn.hv->synic_enable(cpu, s->msg_page, s->event_page);
	if (ret) {
		pr_err("cpu%u: enabling the SynIC failed: %d\n", cpu, ret);
		return ret;
	}
	WRITE_ONCE(s->enabled, true);
	return 0;
}

static int vmbus_synic_offline(unsigned int cpu)
{
	struct vmbus_synic *s = per_cpu_ptr(vmbus_conn.synic, cpu);

	/* The host sends every message to the connect CPU. */
	if (cpu == vmbus_conn.connect_cpu && READ_ONCE(vmbus_conn.version))
		return -EBUSY;
	WRITE_ONCE(s->enabled, false);
	vmbus_conn.hv->synic_disable(cpu);
	return 0;
}

static void vmbus_synic_free(void)
{
	struct vmbus_synic *s;
	unsigned int cpu;

	for_each_possible_cpu(cpu) {
		s = per_cpu_ptr(vmbus_conn.synic, cpu);
		free_page((unsigned long)s->msg_page);
		free_page((unsigned long)s->event_page);
	}
	free_percpu(vmbus_conn.synic);
}

static int vmbus_synic_alloc(void)
{
	struct vmbus_synic *s;
	unsigned int cpu;

	vmbus_conn.synic = alloc_percpu(struct vmbus_synic);
	if (!vmbus_conn.synic)
		return -ENOMEM;
	for_each_possible_cpu(cpu) {
		s = per_cpu_ptr(vmbus_conn.synic, cpu);
		s->cpu = cpu;
		INIT_WORK(&s->msg_work, vmbus_msg_work);
		s->msg_page = (void *)get_zeroed_page(GFP_KERNEL);
		s->event_page = (void *)get_zeroed_page(GFP_KERNEL);
		if (!s->msg_page || !s->event_page) {
			vmbus_synic_free();
			return -ENOMEM;
		}
	}
	return 0;
}

static const char * const vmbus_stat_names[VMBUS_NR_STATS] = {
	[VMBUS_STAT_POSTS]		 = "posts",
	[VMBUS_STAT_POST_RETRIES]	 = "post_retries",
	[VMBUS_STAT_POST_FAILURES]	 = "post_failures",
	[VMBUS_STAT_MSGS_IN]		 = "msgs_in",
	[VMBUS_STAT_MSGS_BAD]		 = "msgs_bad",
	[VMBUS_STAT_EOMS]		 = "eoms",
	[VMBUS_STAT_OFFERS]		 = "offers",
	[VMBUS_STAT_OFFERS_AT_ALLOFFERS] = "offers_at_alloffers",
};

static int vmbus_stats_show(struct seq_file *m, void *v)
{
	int i;

	seq_printf(m, "version 0x%x\n", READ_ONCE(vmbus_conn.version));
	seq_printf(m, "msg_conn_id %u\n", READ_ONCE(vmbus_conn.msg_conn_id));
	seq_printf(m, "connect_cpu %u\n", vmbus_conn.connect_cpu);
	for (i = 0; i < VMBUS_NR_STATS; i++)
		seq_printf(m, "%s %lld\n", vmbus_stat_names[i],
			   atomic64_read(&vmbus_conn.stats[i]));
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(vmbus_stats);

static void vmbus_debugfs_init(void)
{
	vmbus_debugfs_dir = debugfs_create_dir("hv_vmbus", NULL);
	debugfs_create_file("stats", 0400, vmbus_debugfs_dir, NULL,
			    &vmbus_stats_fops);
	vmbus_msglog_debugfs(vmbus_msglog_in, "msg_in_log", vmbus_debugfs_dir);
	vmbus_msglog_debugfs(vmbus_msglog_out, "msg_out_log", vmbus_debugfs_dir);
}

static void vmbus_msglogs_free(void)
{
	vmbus_msglog_free(vmbus_msglog_in);
	vmbus_msglog_free(vmbus_msglog_out);
}

static int vmbus_msglogs_alloc(void)
{
	vmbus_msglog_in = vmbus_msglog_alloc();
	vmbus_msglog_out = vmbus_msglog_alloc();
	if (vmbus_msglog_in && vmbus_msglog_out)
		return 0;
	vmbus_msglogs_free();
	return -ENOMEM;
}

static void vmbus_conn_init(const struct vmbus_hypervisor *hv)
{
	vmbus_conn.hv = hv;
	vmbus_conn.connect_cpu = VMBUS_CONNECT_CPU;
	mutex_init(&vmbus_conn.post_lock);
	spin_lock_init(&vmbus_conn.req_lock);
	INIT_LIST_HEAD(&vmbus_conn.requests);
	init_completion(&vmbus_conn.alloffers);
}

/* Stops the message path: no ISR, no SynIC, no message work any more. */
static void vmbus_msg_path_stop(void)
{
	cpuhp_remove_state(vmbus_cpuhp_state);
	vmbus_hv_clear_handler();
	/* Nothing queues message work any more; let what is queued finish. */
	flush_workqueue(vmbus_conn.msg_wq);
}

static int vmbus_msg_path_start(void)
{
	int ret;

	ret = vmbus_hv_set_handler(vmbus_isr);
	if (ret)
		return ret;
	ret = cpuhp_setup_state(CPUHP_AP_ONLINE_DYN, "hv/vmbus:online",
				vmbus_synic_online, vmbus_synic_offline);
	if (ret < 0) {
		vmbus_hv_clear_handler();
		return ret;
	}
	vmbus_cpuhp_state = ret;
	return 0;
}

static void vmbus_log_backend(const struct vmbus_hypervisor *hv)
{
	struct vmbus_hv_version ver;

	hv->version(&ver);
	pr_info("hypervisor back end %s, version %u.%u build %u\n",
		hv->name, ver.major, ver.minor, ver.build);
}

static int __init vmbus_init(void)
{
	const struct vmbus_hypervisor *hv;
	int ret;

	hv = vmbus_hv_get();
	if (IS_ERR(hv)) {
		pr_err("no hypervisor back end: not on Hyper-V and vmbus_sim not loaded (%ld)\n",
		       PTR_ERR(hv));
		return PTR_ERR(hv);
	}
	vmbus_log_backend(hv);
	vmbus_conn_init(hv);

	ret = vmbus_msglogs_alloc();
	if (ret)
		goto err_put_hv;
	ret = vmbus_synic_alloc();
	if (ret)
		goto err_free_logs;
	vmbus_conn.msg_wq = alloc_workqueue("hv_vmbus_msg", WQ_MEM_RECLAIM, 0);
	if (!vmbus_conn.msg_wq) {
		ret = -ENOMEM;
		goto err_free_synic;
	}
	ret = bus_register(&vmbus_bus);
	if (ret)
		goto err_destroy_wq;
	vmbus_debugfs_init();
	ret = vmbus_msg_path_start();
	if (ret)
		goto err_remove_debugfs;
	ret = vmbus_connect();
	if (ret)
		goto err_stop_msg_path;
	return 0;

err_stop_msg_path:
	vmbus_msg_path_stop();
err_remove_debugfs:
	debugfs_remove_recursive(vmbus_debugfs_dir);
	bus_unregister(&vmbus_bus);
err_destroy_wq:
	destroy_workqueue(vmbus_conn.msg_wq);
err_free_synic:
	vmbus_synic_free();
err_free_logs:
	vmbus_msglogs_free();
err_put_hv:
	vmbus_hv_put(hv);
	return ret;
}

static void __exit vmbus_exit(void)
{
	vmbus_disconnect();
	vmbus_msg_path_stop();
	debugfs_remove_recursive(vmbus_debugfs_dir);
	bus_unregister(&vmbus_bus);
	destroy_workqueue(vmbus_conn.msg_wq);
	vmbus_synic_free();
	vmbus_msglogs_free();
	vmbus_hv_put(vmbus_conn.hv);
}

module_init(vmbus_init);
module_exit(vmbus_exit);
MODULE_DESCRIPTION("Microsoft Hyper-V VMBus driver");
MODULE_LICENSE("GPL");
