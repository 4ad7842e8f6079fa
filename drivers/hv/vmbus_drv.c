// SPDX-License-Identifier: GPL-2.0
/*
 * hv_vmbus: module init and exit, the per-CPU SynIC (CPU hotplug), the
 * work queues, debugfs, and hibernation of the bus as a whole (the root
 * device's PM domain and the syscore callbacks).
 *
 * The bus type lives in vmbus_bus.c, the interrupt entry and the event
 * path in vmbus_event.c, the connection state (vmbus_conn) in
 * connection.c.
 */
#define pr_fmt(fmt) "hv_vmbus: " fmt

#include <linux/cpu.h>
#include <linux/cpuhotplug.h>
#include <linux/debugfs.h>
#include <linux/gfp.h>
#include <linux/interrupt.h>
#include <linux/module.h>
#include <linux/percpu.h>
#include <linux/pm.h>
#include <linux/pm_domain.h>
#include <linux/sched.h>
#include <linux/seq_file.h>
#include <linux/smp.h>
#include <linux/smpboot.h>
#include <linux/syscore_ops.h>

#include "hyperv_vmbus.h"

static enum cpuhp_state vmbus_cpuhp_state;
static struct dentry *vmbus_debugfs_dir;

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
	/* A bit left from before the CPU went away raises no interrupt. */
	vmbus_events_scan_local();
	return 0;
}

/* The online CPU after @cpu (not @cpu), round robin from @prev. */
static unsigned int vmbus_cpu_other(unsigned int cpu, unsigned int prev)
{
	unsigned int next = prev;

	do {
		next = cpumask_next(next, cpu_online_mask);
		if (next >= nr_cpu_ids)
			next = cpumask_first(cpu_online_mask);
	} while (next == cpu && next != prev);
	return next;
}

/*
 * Move every open channel that targets @cpu to the other online CPUs, in
 * turn, with MODIFYCHANNEL and the host's MODIFYCHANNEL_RESPONSE.  A closed
 * channel stays: its open takes an online CPU (vmbus_open_rings() in
 * channel.c).  A channel still opening keeps @cpu online (-EBUSY; its
 * OPENCHANNEL named it), as does an open one on a host before 5.3: it
 * does not confirm a move, so an event could still come to @cpu after its
 * SynIC is down.  A rescinded one needs no move.  The channels are
 * collected under channel_mutex and moved without it: the message work
 * that handles the answers takes it.
 */
static int vmbus_cpu_evacuate(unsigned int cpu)
{
	struct vmbus_chan *vc, **moving;
	unsigned int n = 0, i, to = cpu;
	int ret = 0;

	mutex_lock(&vmbus_connection.channel_mutex);
	list_for_each_entry(vc, &vmbus_conn.channels, node)
		n += vc->ch.state != CHANNEL_OFFER_STATE &&
		     READ_ONCE(vc->ch.target_cpu) == cpu;
	moving = n ? kcalloc(n, sizeof(*moving), GFP_KERNEL) : NULL;
	if (n && !moving) {
		mutex_unlock(&vmbus_connection.channel_mutex);
		return -ENOMEM;
	}
	n = 0;
	list_for_each_entry(vc, &vmbus_conn.channels, node) {
		if (vc->ch.state == CHANNEL_OFFER_STATE ||
		    READ_ONCE(vc->ch.target_cpu) != cpu)
			continue;
		if (vc->ch.state == CHANNEL_OPENING_STATE) {
			ret = -EBUSY;
			break;
		}
		kref_get(&vc->ref);
		moving[n++] = vc;
	}
	mutex_unlock(&vmbus_connection.channel_mutex);
	if (!ret && n && vmbus_proto_version < VERSION_WIN10_V5_3) {
		pr_warn("cpu%u stays online: %u open channel(s) target it and the host (before 5.3) cannot confirm a move\n",
			cpu, n);
		ret = -EBUSY;
	}

	for (i = 0; i < n; i++) {
		if (!ret) {
			to = vmbus_cpu_other(cpu, to);
			ret = vmbus_chan_move(&moving[i]->ch, to);
			if (ret == -ENODEV)
				ret = 0;
			if (ret)
				pr_warn("cpu%u going offline: relid %u cannot move to cpu%u: %d\n",
					cpu, moving[i]->ch.offermsg.child_relid, to, ret);
		}
		vmbus_chan_put(moving[i]);
	}
	kfree(moving);
	return ret;
}

/*
 * channels.rst, "CPU hotplug": the channels move away, the SynIC goes
 * down, then one scan delivers every bit the host set on this CPU's page
 * before it took the move.  Runs on @cpu, in its hotplug thread, with the
 * hotplug lock held (for writing, but for reading at module exit's
 * cpuhp_remove_state()).
 */
static int vmbus_synic_offline(unsigned int cpu)
{
	struct vmbus_synic *s = per_cpu_ptr(vmbus_conn.synic, cpu);
	int ret;

	/* The host sends every message to the connect CPU. */
	if (cpu == vmbus_conn.connect_cpu && READ_ONCE(vmbus_conn.version))
		return -EBUSY;
	ret = vmbus_cpu_evacuate(cpu);
	if (ret)
		return ret;
	WRITE_ONCE(s->enabled, false);
	vmbus_conn.hv->synic_disable(cpu);
	vmbus_events_scan_local();
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
		/* A callback: the ISR queues it, channel_mgmt.c drains the ring. */
		INIT_WORK(&s->msg_work, vmbus_msg_work);
		raw_spin_lock_init(&s->msg_lock);
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
	[VMBUS_STAT_RESCINDS]		 = "rescinds",
	[VMBUS_STAT_RELIDS_RELEASED]	 = "relids_released",
	[VMBUS_STAT_EVENTS]		 = "events",
	[VMBUS_STAT_EVENTS_LATCHED]	 = "events_latched",
	[VMBUS_STAT_EVENTS_DROPPED]	 = "events_dropped",
	[VMBUS_STAT_SUSPENDS]		 = "suspends",
	[VMBUS_STAT_RESUMES]		 = "resumes",
	[VMBUS_STAT_FIXUPS]		 = "fixups",
	[VMBUS_STAT_DEVICES_MISSING]	 = "devices_missing",
	[VMBUS_STAT_HELD_SUSPENDED]	 = "held_suspended",
	[VMBUS_STAT_HELD_REPLAYED]	 = "held_replayed",
	[VMBUS_STAT_HELD_DROPPED]	 = "held_dropped",
	[VMBUS_STAT_HELD_OVERFLOW]	 = "held_overflow",
	[VMBUS_STAT_RINGS_LEAKED]	 = "rings_leaked",
	[VMBUS_STAT_OFFERS_REFUSED]	 = "offers_refused",
	[VMBUS_STAT_MSGS_FOREIGN]	 = "msgs_foreign",
	[VMBUS_STAT_OFFERS_HOTPLUG]	 = "offers_during_hotplug",
	[VMBUS_STAT_COMPLETIONS_DROPPED] = "completions_dropped",
	[VMBUS_STAT_PACKETS_TRUNCATED]	 = "packets_truncated",
	[VMBUS_STAT_TL_REQUESTS]	 = "tl_connect_requests",
	[VMBUS_STAT_TL_REFUSED]		 = "tl_connect_refused",
	[VMBUS_STAT_TL_UNANSWERED]	 = "tl_connect_unanswered",
};

/*
 * The events statistic: each CPU counts what it delivered
 * (vmbus_event_scan(), vmbus_relid_publish()).
 */
static s64 vmbus_stat_events(void)
{
	s64 sum = 0;
	unsigned int cpu;

	for_each_possible_cpu(cpu)
		sum += READ_ONCE(per_cpu_ptr(vmbus_conn.synic, cpu)->events);
	return sum;
}

static int vmbus_stats_show(struct seq_file *m, void *v)
{
	int i;

	seq_printf(m, "version 0x%x\n", READ_ONCE(vmbus_conn.version));
	seq_printf(m, "msg_conn_id %u\n", READ_ONCE(vmbus_conn.msg_conn_id));
	seq_printf(m, "connect_cpu %u\n", vmbus_conn.connect_cpu);
	seq_printf(m, "fixups_pending %d\n", atomic_read(&vmbus_conn.fixups));
	for (i = 0; i < VMBUS_NR_STATS; i++)
		seq_printf(m, "%s %lld\n", vmbus_stat_names[i],
			   i == VMBUS_STAT_EVENTS ? vmbus_stat_events() :
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
	/* A test hook: widens the window in which suspend holds messages. */
	debugfs_create_u32("suspend_delay_ms", 0600, vmbus_debugfs_dir,
			   &vmbus_suspend_delay_ms);
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

/*
 * PREEMPT_RT: the event half of the interrupt runs in a per-CPU thread,
 * vmbus_irq/N, as the kernel runs a threaded interrupt handler there
 * (vmbus_events_irq() in vmbus_event.c says why).  The smpboot threads
 * park while their CPU is down; they are unparked before and parked after
 * the hotplug callbacks above, which take the CPU's bits themselves.
 */
static DEFINE_PER_CPU(struct task_struct *, vmbus_irqd);

/**
 * vmbus_irqd_wake() - wake this CPU's interrupt thread
 * @s: this CPU's SynIC state
 *
 * Context: hard-IRQ on PREEMPT_RT, on the CPU of @s.
 */
void vmbus_irqd_wake(struct vmbus_synic *s)
{
	struct task_struct *t = __this_cpu_read(vmbus_irqd);

	WRITE_ONCE(s->irqd_pending, true);
	if (t)
		wake_up_process(t);
}

static int vmbus_irqd_should_run(unsigned int cpu)
{
	return READ_ONCE(per_cpu_ptr(vmbus_conn.synic, cpu)->irqd_pending);
}

static void vmbus_irqd_fn(unsigned int cpu)
{
	vmbus_events_thread(per_cpu_ptr(vmbus_conn.synic, cpu));
}

/* An interrupt thread runs at the priority of the kernel's irq threads. */
static void vmbus_irqd_setup(unsigned int cpu)
{
	sched_set_fifo(current);
}

static struct smp_hotplug_thread vmbus_irqd_threads = {
	.store			= &vmbus_irqd,
	.setup			= vmbus_irqd_setup,
	.thread_should_run	= vmbus_irqd_should_run,
	.thread_fn		= vmbus_irqd_fn,
	.thread_comm		= "vmbus_irq/%u",
};

/* Stops the message path: no ISR, no SynIC, no message work any more. */
static void vmbus_msg_path_stop(void)
{
	cpuhp_remove_state(vmbus_cpuhp_state);
	vmbus_hv_clear_handler();
	if (IS_ENABLED(CONFIG_PREEMPT_RT))
		smpboot_unregister_percpu_thread(&vmbus_irqd_threads);
	/* Nothing queues message work any more; let what is queued finish. */
	flush_workqueue(vmbus_conn.msg_wq);
}

static int vmbus_msg_path_start(void)
{
	int ret;

	if (IS_ENABLED(CONFIG_PREEMPT_RT)) {
		ret = smpboot_register_percpu_thread(&vmbus_irqd_threads);
		if (ret) {
			pr_err("no interrupt threads: %d\n", ret);
			return ret;
		}
	}
	/*
	 * A callback: the platform module calls vmbus_isr() (vmbus_event.c)
	 * on the SINT 2 interrupt until vmbus_hv_clear_handler().
	 */
	ret = vmbus_hv_set_handler(vmbus_isr);
	if (ret)
		goto out_threads;
	ret = cpuhp_setup_state(CPUHP_AP_ONLINE_DYN, "hv/vmbus:online",
				vmbus_synic_online, vmbus_synic_offline);
	if (ret < 0) {
		vmbus_hv_clear_handler();
		goto out_threads;
	}
	vmbus_cpuhp_state = ret;
	return 0;

out_threads:
	if (IS_ENABLED(CONFIG_PREEMPT_RT))
		smpboot_unregister_percpu_thread(&vmbus_irqd_threads);
	return ret;
}

static void vmbus_log_backend(const struct vmbus_hypervisor *hv)
{
	struct vmbus_hv_version ver;

	hv->version(&ver);
	pr_info("hypervisor back end %s, version %u.%u build %u\n",
		hv->name, ver.major, ver.minor, ver.build);
}

/*
 * Built in, the work queues live as long as the bus (vmbus_init()): a
 * driver may register and unregister while no host is attached, and
 * vmbus_driver_unregister() flushes the offer queues.
 */
#ifdef MODULE
static const bool vmbus_builtin;
#else
static const bool vmbus_builtin = true;
#endif

static void vmbus_wqs_destroy(void)
{
	if (vmbus_conn.msg_wq)
		destroy_workqueue(vmbus_conn.msg_wq);
	if (vmbus_conn.offer_wq)
		destroy_workqueue(vmbus_conn.offer_wq);
	if (vmbus_conn.subchan_wq)
		destroy_workqueue(vmbus_conn.subchan_wq);
	vmbus_conn.msg_wq = NULL;
	vmbus_conn.offer_wq = NULL;
	vmbus_conn.subchan_wq = NULL;
}

/* At detach and on attach errors: the module's go, a built-in bus keeps them. */
static void vmbus_wqs_release(void)
{
	if (!vmbus_builtin)
		vmbus_wqs_destroy();
}

/*
 * Message work must never wait behind a driver; a primary's probe may wait
 * for its sub-channels' offers, so those are added on a queue of their own.
 * Allocates those not there yet.
 */
static int vmbus_wqs_alloc(void)
{
	if (!vmbus_conn.msg_wq)
		vmbus_conn.msg_wq = alloc_workqueue("hv_vmbus_msg", WQ_MEM_RECLAIM, 0);
	if (!vmbus_conn.offer_wq)
		vmbus_conn.offer_wq = alloc_ordered_workqueue("hv_vmbus_offer", 0);
	if (!vmbus_conn.subchan_wq)
		vmbus_conn.subchan_wq = alloc_ordered_workqueue("hv_vmbus_subchan", 0);
	if (vmbus_conn.msg_wq && vmbus_conn.offer_wq && vmbus_conn.subchan_wq)
		return 0;
	vmbus_wqs_destroy();
	return -ENOMEM;
}

/* Every channel gone; the message path must be stopped already. */
static void vmbus_channels_stop(void)
{
	flush_workqueue(vmbus_conn.offer_wq);
	flush_workqueue(vmbus_conn.subchan_wq);
	vmbus_channels_remove_all();
}

/*
 * The bus's hibernation callbacks, on the root device that parents every
 * hv_device: the PM core runs them after every device's noirq suspend
 * callback and before every device's noirq resume callback.
 */
static int vmbus_bus_suspend(struct device *dev)
{
	int ret;

	/* Built in and not attached: no connection to suspend. */
	if (!READ_ONCE(vmbus_conn.hv))
		return 0;
	ret = vmbus_channels_suspend();
	if (ret)
		return ret;
	vmbus_conn.suspend_version = READ_ONCE(vmbus_conn.version);
	vmbus_disconnect();
	/* The host forgot every relid: what it sent meanwhile means nothing. */
	vmbus_channels_held_drop();
	WRITE_ONCE(vmbus_conn.pm_suspended, true);
	return 0;
}

static int vmbus_bus_resume(struct device *dev)
{
	int ret;

	if (!READ_ONCE(vmbus_conn.hv))
		return 0;
	ret = vmbus_reconnect(vmbus_conn.suspend_version);
	if (!ret) {
		vmbus_channels_resume_begin();
		ret = vmbus_request_offers_timeout(VMBUS_RESUME_TIMEOUT_S);
		if (ret)
			pr_err("resume: re-offers incomplete (%d); devices not re-offered are removed\n",
			       ret);
	}
	/* Also without a connection: nothing may stay held off. */
	vmbus_channels_resume_end();
	WRITE_ONCE(vmbus_conn.pm_suspended, false);
	return ret;
}

/*
 * The end of a PM transition: the PM core runs the root's complete
 * callback after every child's, so every hv_device has resumed.  After a
 * suspend that failed, the offers and rescinds held meanwhile are handled
 * here.
 */
static void vmbus_bus_complete(struct device *dev)
{
	if (!READ_ONCE(vmbus_conn.hv))
		return;
	vmbus_channels_resume_complete();
}

static struct dev_pm_domain vmbus_root_pm = {
	.ops = {
		.freeze_noirq	= vmbus_bus_suspend,
		.thaw_noirq	= vmbus_bus_resume,
		.poweroff_noirq	= vmbus_bus_suspend,
		.restore_noirq	= vmbus_bus_resume,
		.complete	= vmbus_bus_complete,
	},
};

/*
 * The connect CPU's SynIC, after the bus suspended for hibernation: the
 * other CPUs go offline (vmbus_synic_offline()) before syscore suspend and
 * come back online after syscore resume.
 */
static int vmbus_syscore_suspend(VMBUS_SYSCORE_ARG)
{
	struct vmbus_synic *s = per_cpu_ptr(vmbus_conn.synic,
					    vmbus_conn.connect_cpu);

	if (!READ_ONCE(vmbus_conn.pm_suspended) || !s->enabled ||
	    smp_processor_id() != vmbus_conn.connect_cpu)
		return 0;
	WRITE_ONCE(s->enabled, false);
	vmbus_conn.hv->synic_disable(s->cpu);
	vmbus_conn.synic_suspended = true;
	return 0;
}

static void vmbus_syscore_resume(VMBUS_SYSCORE_ARG)
{
	struct vmbus_synic *s = per_cpu_ptr(vmbus_conn.synic,
					    vmbus_conn.connect_cpu);

	if (!vmbus_conn.synic_suspended)
		return;
	vmbus_conn.synic_suspended = false;
	if (vmbus_conn.hv->synic_enable(s->cpu, s->msg_page, s->event_page))
		pr_err("cpu%u: enabling the SynIC after hibernation failed\n",
		       s->cpu);
	else
		WRITE_ONCE(s->enabled, true);
}

static struct syscore_ops vmbus_syscore_ops = {
	.suspend	= vmbus_syscore_suspend,
	.resume		= vmbus_syscore_resume,
};

VMBUS_SYSCORE_DEFINE(vmbus_syscore, vmbus_syscore_ops);

static int vmbus_bus_init(void)
{
	int ret;

	vmbus_conn.root = root_device_register("vmbus");
	if (IS_ERR(vmbus_conn.root))
		return PTR_ERR(vmbus_conn.root);
	dev_pm_domain_set(vmbus_conn.root, &vmbus_root_pm);
	ret = vmbus_bus_register();
	if (ret) {
		dev_pm_domain_set(vmbus_conn.root, NULL);
		root_device_unregister(vmbus_conn.root);
		return ret;
	}
	vmbus_syscore_register(vmbus_syscore);
	return 0;
}

/* Built in, the bus stays for good. */
static void __maybe_unused vmbus_bus_exit(void)
{
	vmbus_bus_ready(false);
	vmbus_syscore_unregister(vmbus_syscore);
	vmbus_bus_unregister();
	dev_pm_domain_set(vmbus_conn.root, NULL);
	root_device_unregister(vmbus_conn.root);
}

/*
 * Attach and detach: what loading and unloading the module do, apart from
 * the bus type and the root device (vmbus_bus_init()), which stay while a
 * built-in hv_vmbus waits for a back end.  Serialized by vmbus_attach_lock:
 * a built-in hv_vmbus attaches from vmbus_hv_register() of any back end,
 * and detaches and attaches again through its `attached` parameter.
 */
static DEFINE_MUTEX(vmbus_attach_lock);
/* Protected by vmbus_attach_lock. */
static bool vmbus_attached;

/*
 * A second attach of a built-in hv_vmbus starts where a module load
 * starts: counters at zero, no test hook set.  The detach left no channel,
 * request, message or work behind; the root device and the work queues
 * belong to the bus (none yet in the module's first and only attach).
 */
static void vmbus_state_reset(void)
{
	struct workqueue_struct *msg_wq = vmbus_conn.msg_wq;
	struct workqueue_struct *offer_wq = vmbus_conn.offer_wq;
	struct workqueue_struct *subchan_wq = vmbus_conn.subchan_wq;
	struct device *root = vmbus_conn.root;

	memset(&vmbus_conn, 0, sizeof(vmbus_conn));
	vmbus_conn.root = root;
	vmbus_conn.msg_wq = msg_wq;
	vmbus_conn.offer_wq = offer_wq;
	vmbus_conn.subchan_wq = subchan_wq;
	WRITE_ONCE(vmbus_suspend_delay_ms, 0);
}

static int vmbus_attach(void)
{
	const struct vmbus_hypervisor *hv;
	int ret;

	lockdep_assert_held(&vmbus_attach_lock);
	hv = vmbus_hv_get();
	if (IS_ERR(hv))
		return PTR_ERR(hv);
	vmbus_state_reset();
	vmbus_log_backend(hv);
	vmbus_conn_init(hv);

	ret = vmbus_msglogs_alloc();
	if (ret)
		goto err_put_hv;
	ret = vmbus_conn_pages_alloc();
	if (ret)
		goto err_free_logs;
	ret = vmbus_synic_alloc();
	if (ret)
		goto err_free_conn_pages;
	ret = vmbus_wqs_alloc();
	if (ret)
		goto err_free_synic;
	vmbus_debugfs_init();
	ret = vmbus_msg_path_start();
	if (ret)
		goto err_remove_debugfs;
	ret = vmbus_connect();
	if (ret)
		goto err_stop_msg_path;
	/* Without a crash path the bus still works: logged, not fatal. */
	vmbus_crash_init(vmbus_debugfs_dir);
	vmbus_bus_ready(true);
	WRITE_ONCE(vmbus_attached, true);
	return 0;

err_stop_msg_path:
	WRITE_ONCE(vmbus_conn.unloading, true);
	vmbus_msg_path_stop();
	vmbus_channels_stop();
err_remove_debugfs:
	debugfs_remove_recursive(vmbus_debugfs_dir);
	vmbus_wqs_release();
err_free_synic:
	vmbus_synic_free();
err_free_conn_pages:
	vmbus_conn_pages_free();
err_free_logs:
	vmbus_msglogs_free();
err_put_hv:
	vmbus_hv_put(hv);
	WRITE_ONCE(vmbus_conn.hv, NULL);
	return ret;
}

static void vmbus_detach(void)
{
	lockdep_assert_held(&vmbus_attach_lock);
	/* The module's drivers registering from now on get -ENODEV. */
	if (!vmbus_builtin)
		vmbus_bus_ready(false);
	/* No crash path runs after this: it would race the UNLOAD below. */
	vmbus_crash_exit();
	/* No new channels; the host forgets every channel at UNLOAD. */
	WRITE_ONCE(vmbus_conn.unloading, true);
	/* The crash path (debugfs crash_unload) may have sent it already. */
	if (!vmbus_crash_unloaded())
		vmbus_disconnect();
	vmbus_msg_path_stop();
	vmbus_channels_stop();
	debugfs_remove_recursive(vmbus_debugfs_dir);
	vmbus_wqs_release();
	vmbus_synic_free();
	vmbus_conn_pages_free();
	vmbus_msglogs_free();
	vmbus_hv_put(vmbus_conn.hv);
	WRITE_ONCE(vmbus_conn.hv, NULL);
	WRITE_ONCE(vmbus_attached, false);
}

#ifdef MODULE
static int __init vmbus_init(void)
{
	int ret;

	ret = vmbus_bus_init();
	if (ret)
		return ret;
	mutex_lock(&vmbus_attach_lock);
	ret = vmbus_attach();
	mutex_unlock(&vmbus_attach_lock);
	if (ret == -ENODEV)
		pr_err("no hypervisor back end: not on Hyper-V and vmbus_sim not loaded\n");
	if (ret)
		vmbus_bus_exit();
	return ret;
}

static void __exit vmbus_exit(void)
{
	mutex_lock(&vmbus_attach_lock);
	vmbus_detach();
	mutex_unlock(&vmbus_attach_lock);
	vmbus_bus_exit();
}

module_exit(vmbus_exit);
#else /* built in: CONFIG_HYPERV=y */
/*
 * Whether to attach when a back end registers: cleared by writing N to
 * `attached`, so that a simulated host loaded again does not undo it.
 * Protected by vmbus_attach_lock.
 */
static bool vmbus_attach_wanted = true;

/**
 * vmbus_attach_if_wanted() - attach unless told not to or already attached
 * @wanted: set to whether attaching is wanted (hv_vmbus.attached)
 *
 * Context: process context; takes vmbus_attach_lock.
 * Return: 0 when attached, already attached or not wanted; -ENODEV when
 * no back end is registered; another error from vmbus_attach().
 */
static int vmbus_attach_if_wanted(bool *wanted)
{
	int ret = 0;

	mutex_lock(&vmbus_attach_lock);
	*wanted = vmbus_attach_wanted;
	if (*wanted && !vmbus_attached)
		ret = vmbus_attach();
	mutex_unlock(&vmbus_attach_lock);
	return ret;
}

/* From vmbus_hv_register(): a back end arrived. */
static void vmbus_backend_arrived(void)
{
	bool wanted;
	int ret;

	ret = vmbus_attach_if_wanted(&wanted);
	if (ret)
		pr_err("attaching to the new hypervisor back end failed: %d\n", ret);
}

static int vmbus_attached_set(const char *val, const struct kernel_param *kp)
{
	bool want;
	int ret;

	ret = kstrtobool(val, &want);
	if (ret)
		return ret;
	/* From the kernel command line, before vmbus_init(): only the wish. */
	if (!READ_ONCE(vmbus_conn.root)) {
		vmbus_attach_wanted = want;
		return 0;
	}
	mutex_lock(&vmbus_attach_lock);
	vmbus_attach_wanted = want;
	if (want && !vmbus_attached)
		ret = vmbus_attach();
	else if (!want && vmbus_attached)
		vmbus_detach();
	mutex_unlock(&vmbus_attach_lock);
	return ret;
}

static int vmbus_attached_get(char *buf, const struct kernel_param *kp)
{
	return sysfs_emit(buf, "%c\n", READ_ONCE(vmbus_attached) ? 'Y' : 'N');
}

static const struct kernel_param_ops vmbus_attached_ops = {
	.set	= vmbus_attached_set,
	.get	= vmbus_attached_get,
};

/*
 * /sys/module/hv_vmbus/parameters/attached: Y while connected to a host.
 * Writing N ends the connection as rmmod ends the module's (UNLOAD, every
 * device and channel removed; registered drivers stay) and keeps a back
 * end that registers later from attaching; writing Y connects again to
 * the registered back end, as modprobe would.  Root only.  Set at boot
 * (hv_vmbus.attached=N) it is applied before vmbus_init() runs.
 */
module_param_cb(attached, &vmbus_attached_ops, NULL, 0600);
MODULE_PARM_DESC(attached, "Built in: connected to a host (write N to disconnect, Y to connect)");

/*
 * Built in, at subsys_initcall as the kernel's own core: the bus and its
 * work queues are there before any driver's initcall (storage and network
 * drivers built in come earlier in link order than drivers/hv/), and stay
 * open to drivers whether or not a host is attached; devices come and
 * bind when a back end registers and hv_vmbus attaches.
 */
static int __init vmbus_init(void)
{
	bool want;
	int ret;

	ret = vmbus_bus_init();
	if (ret)
		return ret;
	ret = vmbus_wqs_alloc();
	if (ret) {
		vmbus_bus_exit();
		return ret;
	}
	vmbus_bus_ready(true);
	/* Before the first try: a back end that registers meanwhile is seen. */
	vmbus_hv_set_attach(vmbus_backend_arrived);
	ret = vmbus_attach_if_wanted(&want);
	if (!want)
		pr_info("not attaching: hv_vmbus.attached=N\n");
	else if (ret == -ENODEV)
		pr_info("no hypervisor back end yet: attaching when one registers\n");
	else if (ret)
		pr_err("attaching to the hypervisor back end failed: %d\n", ret);
	return 0;
}

subsys_initcall(vmbus_init);
#endif

#ifdef MODULE
module_init(vmbus_init);
#endif
MODULE_DESCRIPTION("Microsoft Hyper-V VMBus driver");
MODULE_LICENSE("GPL");
