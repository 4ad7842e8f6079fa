// SPDX-License-Identifier: GPL-2.0
/*
 * hv_vmbus: the end of the connection when the kernel can no longer sleep
 * or wait for other CPUs - a panic, a crash before kdump's kernel starts,
 * a kexec or a reboot.  Without it the host keeps the old connection (the
 * message, event and monitor pages, the rings' GPADLs) and may write into
 * memory the next kernel owns; a strict host also refuses that kernel's
 * INITIATE_CONTACT.
 *
 * vmbus_unload_atomic(), with interrupts off on the calling CPU:
 *  1. sets vmbus_conn.crash_unload: from then on the ISR and the message
 *     work of every CPU leave its slot and ring alone (both look at the
 *     flag under that CPU's vmbus_synic.msg_lock);
 *  2. posts UNLOAD straight through the back end: no post_lock, no
 *     allocation, no sleep;
 *  3. polls, in 1 ms steps for up to %VMBUS_CRASH_UNLOAD_TIMEOUT_S seconds,
 *     the ring and the slot of every present CPU with a SynIC
 *     (vmbus_msg_poll_unload() in vmbus_event.c): the host answers on the
 *     connect CPU, which need not be this one.  Each CPU's msg_lock is
 *     only ever tried: a CPU that the crash stopped inside the ISR or the
 *     message work holds it forever.  After %VMBUS_CRASH_LOCK_MS of
 *     failed tries the slot of that CPU is read without the lock (the ring
 *     is left alone), and the log says so;
 *  4. disables the SynIC of every CPU the back end can reach
 *     (synic_disable_atomic); on a kexec or reboot, with interrupts on in
 *     the caller, the others are asked by IPI.
 *
 * The platform layer calls vmbus_crash_handler() from its panic and reboot
 * notifiers, its syscore shutdown callback and the Hyper-V kexec and crash
 * hooks
 * (drivers/hv/platform.c, drivers/hv/hv_hyperv.c); debugfs
 * hv_vmbus/crash_unload runs the same path for the tests.  It runs once
 * per connection.  Documentation/virt/hyperv/vmbus-core.rst, "The crash
 * path", has the whole argument; tools/testing/vmbus/models/crash_unload.pml
 * checks the slot, the ISR, the message work and the poller.
 */
#define pr_fmt(fmt) "hv_vmbus: " fmt

#include <linux/atomic.h>
#include <linux/cpumask.h>
#include <linux/debugfs.h>
#include <linux/delay.h>
#include <linux/irqflags.h>
#include <linux/percpu.h>
#include <linux/smp.h>
#include <linux/spinlock.h>

#include "hyperv_vmbus.h"

enum {
	/* How long a CPU's msg_lock is tried before its slot is read without it. */
	VMBUS_CRASH_LOCK_MS	= 10,
	/* Posts of UNLOAD, 1 ms apart: the host's queue may drain meanwhile. */
	VMBUS_CRASH_POST_TRIES	= 100,
};

/* 1 once the crash path started for this connection. */
static atomic_t vmbus_crash_started = ATOMIC_INIT(0);
/* CPUs whose msg_lock stayed taken: reported once each. */
static struct cpumask vmbus_crash_lockless;
static bool vmbus_crash_handler_set;

/**
 * vmbus_crash_unloaded() - did the crash path end this connection?
 *
 * Return: true once vmbus_unload_atomic() started; the module's exit then
 * sends no second UNLOAD.
 */
bool vmbus_crash_unloaded(void)
{
	return atomic_read(&vmbus_crash_started);
}

static u64 vmbus_crash_post_unload(void)
{
	struct vmbus_channel_message_header msg = {
		.msgtype = CHANNELMSG_UNLOAD,
	};
	const struct vmbus_hypervisor *hv = vmbus_conn.hv;
	u64 status = HV_STATUS_SUCCESS;
	int i;

	for (i = 0; i < VMBUS_CRASH_POST_TRIES; i++) {
		status = hv->post_message(READ_ONCE(vmbus_conn.msg_conn_id),
					  VMBUS_HV_MSG_TYPE_CHANNEL, &msg,
					  sizeof(msg));
		if (status == HV_STATUS_SUCCESS)
			break;
		mdelay(1);
	}
	return status;
}

/*
 * One CPU's ring and slot, under its msg_lock if it can be had within
 * VMBUS_CRASH_LOCK_MS.  Returns true if an UNLOAD_RESPONSE was there.
 */
static bool vmbus_crash_poll_cpu(unsigned int cpu)
{
	struct vmbus_synic *s = per_cpu_ptr(vmbus_conn.synic, cpu);
	unsigned int ms;
	bool found;

	for (ms = 0; ms < VMBUS_CRASH_LOCK_MS; ms++) {
		if (raw_spin_trylock(&s->msg_lock)) {
			found = vmbus_msg_poll_unload(s, true);
			raw_spin_unlock(&s->msg_lock);
			return found;
		}
		/* Tried once each round after the first time it stayed taken. */
		if (cpumask_test_cpu(cpu, &vmbus_crash_lockless))
			break;
		mdelay(1);
	}
	if (!cpumask_test_cpu(cpu, &vmbus_crash_lockless)) {
		cpumask_set_cpu(cpu, &vmbus_crash_lockless);
		pr_warn("crash: cpu%u holds its message lock for more than %u ms (stopped in the ISR or the message work?): reading its slot without the lock\n",
			cpu, VMBUS_CRASH_LOCK_MS);
	}
	return vmbus_msg_poll_unload(s, false);
}

/* Poll every CPU until UNLOAD_RESPONSE or the deadline; true if it came. */
static bool vmbus_crash_wait(void)
{
	const unsigned int steps = VMBUS_CRASH_UNLOAD_TIMEOUT_S * 1000;
	unsigned int step, cpu;

	for (step = 0; step < steps; step++) {
		for_each_present_cpu(cpu) {
			if (!READ_ONCE(per_cpu_ptr(vmbus_conn.synic, cpu)->enabled))
				continue;
			if (vmbus_crash_poll_cpu(cpu)) {
				pr_info("crash: UNLOAD_RESPONSE in the slot of cpu%u after about %u ms\n",
					cpu, step);
				return true;
			}
		}
		if (step && step % (VMBUS_CRASH_PROGRESS_S * 1000) == 0)
			pr_info("crash: waiting for UNLOAD_RESPONSE: %u s of %u, polling the slot of cpu%u (connect CPU) and every other CPU's\n",
				step / 1000, VMBUS_CRASH_UNLOAD_TIMEOUT_S,
				vmbus_conn.connect_cpu);
		mdelay(1);
	}
	return false;
}

static void vmbus_crash_synic_off(void *arg)
{
	vmbus_conn.hv->synic_disable(smp_processor_id());
}

/*
 * Disable every SynIC; @ipi: interrupts are on in the caller and the other
 * CPUs run, so those the back end cannot reach from here are asked.
 */
static void vmbus_crash_synics_off(bool ipi)
{
	const struct vmbus_hypervisor *hv = vmbus_conn.hv;
	unsigned int cpu, done = 0, left = 0;
	struct vmbus_synic *s;

	for_each_present_cpu(cpu) {
		s = per_cpu_ptr(vmbus_conn.synic, cpu);
		if (!READ_ONCE(s->enabled))
			continue;
		WRITE_ONCE(s->enabled, false);
		if (hv->synic_disable_atomic && hv->synic_disable_atomic(cpu))
			done++;
		else if (ipi && cpu_online(cpu) &&
			 !smp_call_function_single(cpu, vmbus_crash_synic_off,
						   NULL, 1))
			done++;
		else
			left++;
	}
	pr_info("crash: SynIC disabled on %u CPU(s)%s\n", done,
		left ? ", not reachable from this CPU on the others" : "");
}

/**
 * vmbus_unload_atomic() - UNLOAD without sleeping, and every SynIC off
 * @crash: true on a panic or crash (the other CPUs may be stopped), false
 *	on a kexec or reboot
 *
 * Runs once per connection; a second call, or a call while not
 * connected, returns at once.  Waits up to %VMBUS_CRASH_UNLOAD_TIMEOUT_S
 * for the host's answer, then goes on without it.
 *
 * Context: any; does not sleep or allocate; disables interrupts itself.
 */
void vmbus_unload_atomic(bool crash)
{
	bool ipi = !crash && !irqs_disabled();
	unsigned long flags;
	u64 status;

	if (!READ_ONCE(vmbus_conn.version) ||
	    atomic_cmpxchg(&vmbus_crash_started, 0, 1))
		return;
	local_irq_save(flags);
	pr_info("crash: %s on cpu%u: UNLOAD to the host\n",
		crash ? "panic or crash" : "kexec or reboot", smp_processor_id());
	WRITE_ONCE(vmbus_conn.unloading, true);
	WRITE_ONCE(vmbus_conn.crash_unload, true);
	/*
	 * The flag before the UNLOAD's hypercall, which no lock orders: an
	 * ISR or message work that takes msg_lock once the answer can be in a
	 * slot (vmbus_isr() in vmbus_event.c, vmbus_msg_work() in
	 * channel_mgmt.c, both reading the flag under that lock) sees it set
	 * and leaves the slot and ring to vmbus_crash_poll_cpu().
	 */
	smp_mb();
	status = vmbus_crash_post_unload();
	if (status != HV_STATUS_SUCCESS)
		pr_err("crash: posting UNLOAD failed: hypervisor status %llu; the host keeps the connection\n",
		       status);
	else if (!vmbus_crash_wait())
		pr_err("crash: no UNLOAD_RESPONSE within %u s in the slot of cpu%u (connect CPU) or any other CPU's; going on, the host may keep the connection\n",
		       VMBUS_CRASH_UNLOAD_TIMEOUT_S, vmbus_conn.connect_cpu);
	WRITE_ONCE(vmbus_conn.version, 0);
	vmbus_proto_version = 0;
	vmbus_connection.conn_state = DISCONNECTED;
	if (!ipi)
		vmbus_crash_synics_off(false);
	local_irq_restore(flags);
	if (ipi)
		vmbus_crash_synics_off(true);
}

/* Installed with the platform layer; see vmbus_hv_crash(). */
static void vmbus_crash_handler(bool crash)
{
	vmbus_unload_atomic(crash);
}

/* Any write runs the panic path here, with interrupts off. */
static ssize_t vmbus_crash_unload_write(struct file *file,
					const char __user *buf, size_t count,
					loff_t *ppos)
{
	unsigned long flags;

	if (vmbus_crash_unloaded())
		return -EALREADY;
	if (!READ_ONCE(vmbus_conn.version))
		return -ENOTCONN;
	local_irq_save(flags);
	vmbus_unload_atomic(true);
	local_irq_restore(flags);
	return count;
}

static const struct file_operations vmbus_crash_unload_fops = {
	.owner	= THIS_MODULE,
	.write	= vmbus_crash_unload_write,
	.llseek	= noop_llseek,
};

/**
 * vmbus_crash_init() - install the crash handler and debugfs crash_unload
 * @debugfs_dir: hv_vmbus's debugfs directory
 *
 * Context: module init, connected.
 * Return: 0, or -EBUSY if another crash handler is installed (the
 * connection then has no crash path; logged).
 */
int vmbus_crash_init(struct dentry *debugfs_dir)
{
	int ret;

	atomic_set(&vmbus_crash_started, 0);
	cpumask_clear(&vmbus_crash_lockless);
	debugfs_create_file("crash_unload", 0200, debugfs_dir, NULL,
			    &vmbus_crash_unload_fops);
	/* A callback: the platform layer calls it on panic, kexec, reboot. */
	ret = vmbus_hv_set_crash_handler(vmbus_crash_handler);
	if (ret)
		pr_warn("no crash path: another crash handler is installed (%d)\n",
			ret);
	vmbus_crash_handler_set = !ret;
	return ret;
}

/**
 * vmbus_crash_exit() - remove the crash handler
 *
 * Returns once no CPU runs it any more.
 *
 * Context: module exit or an init error path, may sleep.
 */
void vmbus_crash_exit(void)
{
	if (vmbus_crash_handler_set)
		vmbus_hv_clear_crash_handler();
	vmbus_crash_handler_set = false;
}
