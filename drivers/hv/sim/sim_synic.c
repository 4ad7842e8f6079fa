// SPDX-License-Identifier: GPL-2.0
/*
 * vmbus_sim: the per-CPU synthetic interrupt controller.
 *
 * The guest hands the host two of its own pages per CPU: the message page
 * (one 256-byte slot per SINT) and the event-flag page (one bitmap per
 * SINT).  The host writes VMBus messages into slot VMBUS_MESSAGE_SINT and
 * sets relid bits in bitmap VMBUS_MESSAGE_SINT, then raises the SINT: the
 * guest's handler, vmbus_hv_interrupt(), runs in hard-IRQ context on that
 * CPU.
 *
 * Raising the SINT:
 *  - on the local CPU, a per-CPU IRQ_WORK_INIT_HARD irq_work (a self-IPI;
 *    irq_work_queue_on() is not exported on 6.1);
 *  - on another CPU, smp_call_function_single_async() with that CPU's
 *    call_single_data (irq_work_queue_on() is not exported on 6.1 or
 *    6.12); on PREEMPT_RT that IPI only queues the target's irq_work.
 * Both run the handler in hard-IRQ context on the target.  Which one is
 * used is decided with preemption disabled.  A raise that finds its
 * irq_work or IPI still queued sends nothing: the queued one has not run
 * the guest's handler yet and will see what the raiser wrote (see the
 * barrier pairs below).
 *
 * Locking: synic->lock (irqsave) covers the page pointers.  Every host write
 * to the guest's pages happens under it, so sim_synic_disable() returning
 * means the host no longer touches them.  It is a raw_spinlock_t: the
 * guest's EOM takes it in hard-IRQ context (sim_msg_eom()), where a
 * spinlock_t sleeps on PREEMPT_RT; it is held only for a page access.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/atomic.h>
#include <linux/cpumask.h>
#include <linux/delay.h>
#include <linux/irq_work.h>
#include <linux/percpu.h>
#include <linux/printk.h>
#include <linux/smp.h>
#include <linux/spinlock.h>
#include <linux/string.h>
#include <asm/hyperv-tlfs.h>
#include <asm/sync_bitops.h>

#include "sim.h"

/**
 * struct sim_synic - the host's view of one CPU's SynIC
 * @lock: guards @msg_page and @event_pages
 * @msg_page: the guest's message page; NULL while disabled
 * @event_pages: the guest's event-flag pages; NULL while disabled
 * @enabled: SINT unmasked; read locklessly by the interrupt side
 * @csd: IPI to this CPU from another one
 * @ipi_queued: @csd is queued and its function has not started yet
 * @irq_work: self-IPI, queued only on this CPU
 * @interrupts: guest handler invocations on this CPU
 */
struct sim_synic {
	raw_spinlock_t lock;	/* see above */
	struct hv_message_page *msg_page;
	union hv_synic_event_flags *event_pages;
	bool enabled;

	call_single_data_t csd;
	atomic_t ipi_queued;
	struct irq_work irq_work;

	atomic64_t interrupts;
};

static DEFINE_PER_CPU(struct sim_synic, sim_synics);

/* The slot layout the host writes (TLFS). */
static_assert(sizeof(struct hv_message) == HV_MESSAGE_SIZE);
static_assert(offsetof(struct hv_message, u.payload) == 16);
static_assert(offsetof(struct hv_message_header, message_flags) == 5);
static_assert(sizeof(struct hv_message_page) ==
	      HV_SYNIC_SINT_COUNT * HV_MESSAGE_SIZE);

/* Hard-IRQ context on the SynIC's own CPU. */
static void sim_synic_fire(struct sim_synic *s)
{
	/* A masked SINT interrupts nobody. */
	if (!READ_ONCE(s->enabled))
		return;
	atomic64_inc(&s->interrupts);
	vmbus_hv_interrupt();
}

static void sim_synic_ipi(void *info)
{
	struct sim_synic *s = info;

	/*
	 * PREEMPT_RT forbids raising a softirq (the guest's tasklets) from a
	 * function call IPI: there the interrupt goes on in this CPU's hard
	 * irq_work, an interrupt of its own as the SINT's vector is on a real
	 * host.  Queued before the clear below, so sim_synic_exit(), which
	 * waits for the clear first, finds it for irq_work_sync().
	 */
	if (IS_ENABLED(CONFIG_PREEMPT_RT))
		irq_work_queue(&s->irq_work);
	atomic_set(&s->ipi_queued, 0);
	/*
	 * Order the clear before the guest's loads from its pages.  Pairs with
	 * the full barrier of atomic_xchg() in sim_synic_raise():
	 *
	 *   raiser                       this CPU
	 *   write slot / event bit       ipi_queued = 0
	 *   xchg(ipi_queued, 1) (mb)     smp_mb__after_atomic()
	 *   sees 1: sends nothing        guest reads slot / event bit
	 *
	 * Forbidden: the raiser sees 1 and the guest misses the write.  On
	 * PREEMPT_RT the guest reads in the irq_work, which runs after this
	 * function returns.
	 */
	smp_mb__after_atomic();
	/*
	 * sim_synic_exit() polls for the clear: a wake-up would take a wait
	 * queue's spinlock_t, which this hard-IRQ context must not.
	 */
	if (!IS_ENABLED(CONFIG_PREEMPT_RT))
		sim_synic_fire(s);
}

static void sim_synic_irq_work(struct irq_work *work)
{
	sim_synic_fire(container_of(work, struct sim_synic, irq_work));
}

/*
 * Raise the SINT of @cpu.  Any context.  The caller's writes to the guest's
 * pages are ordered before the "already queued" tests: irq_work_queue()
 * claims with a fully ordered atomic_fetch_or() that pairs with the smp_mb()
 * in irq_work_single(); the IPI side uses the xchg/mb pair documented in
 * sim_synic_ipi().
 */
static void sim_synic_raise(unsigned int cpu)
{
	struct sim_synic *s = per_cpu_ptr(&sim_synics, cpu);

	/* The local/remote decision must hold until the raise is done. */
	preempt_disable();
	if (cpu == smp_processor_id()) {
		irq_work_queue(&s->irq_work);
	} else if (!atomic_xchg(&s->ipi_queued, 1) &&
		   smp_call_function_single_async(cpu, &s->csd)) {
		/* The CPU is offline: there is nobody to interrupt. */
		atomic_set(&s->ipi_queued, 0);
	}
	preempt_enable();
}

/**
 * sim_synic_enable() - the guest enables the SynIC of @cpu
 * @cpu: the CPU; the caller runs pinned to it
 * @msg_page: the guest's message page (SIMP)
 * @event_pages: the guest's event-flag pages (SIEFP), one per SINT
 *
 * The caller then delivers the messages waiting for this CPU's slot
 * (sim_msg_kick()).
 *
 * Context: process context.
 * Return: 0; -EINVAL for a bad CPU or page; -EBUSY if already enabled.
 */
int sim_synic_enable(unsigned int cpu, struct hv_message_page *msg_page,
		     union hv_synic_event_flags *event_pages)
{
	struct sim_synic *s;
	unsigned long flags;
	int ret = 0;

	if (cpu >= nr_cpu_ids || !cpu_possible(cpu) || !msg_page ||
	    !event_pages) {
		sim_guest_error("synic_enable: bad cpu %u or page\n", cpu);
		return -EINVAL;
	}
	s = per_cpu_ptr(&sim_synics, cpu);
	raw_spin_lock_irqsave(&s->lock, flags);
	if (s->enabled) {
		ret = -EBUSY;
	} else {
		s->msg_page = msg_page;
		s->event_pages = event_pages;
		WRITE_ONCE(s->enabled, true);
	}
	raw_spin_unlock_irqrestore(&s->lock, flags);
	if (ret)
		sim_guest_error("synic_enable: cpu%u already enabled\n", cpu);
	return ret;
}

/* Under @s->lock, or in a panic without it. */
static void sim_synic_detach(struct sim_synic *s)
{
	WRITE_ONCE(s->enabled, false);
	s->msg_page = NULL;
	s->event_pages = NULL;
}

/**
 * sim_synic_disable() - the guest masks the SINT and detaches its pages
 * @cpu: the CPU; the caller runs pinned to it
 *
 * After this returns the host writes nothing more to the pages of @cpu, and
 * an interrupt still queued for @cpu does not call the guest's handler.
 * Messages for @cpu stay queued until it is enabled again.
 *
 * Context: any; does not sleep (an irqsave spinlock).
 */
void sim_synic_disable(unsigned int cpu)
{
	struct sim_synic *s;
	unsigned long flags;

	if (cpu >= nr_cpu_ids || !cpu_possible(cpu)) {
		sim_guest_error("synic_disable: bad cpu %u\n", cpu);
		return;
	}
	s = per_cpu_ptr(&sim_synics, cpu);
	raw_spin_lock_irqsave(&s->lock, flags);
	sim_synic_detach(s);
	raw_spin_unlock_irqrestore(&s->lock, flags);
}

/**
 * sim_panic_trylock() - take @lock in a panic, or find out it is lost
 * @lock: a lock of ours, interrupts off
 *
 * A panic stops the other CPUs with an NMI wherever they are, also inside
 * our critical sections, and they never leave them.  So in a panic a lock
 * is only tried, for SIM_PANIC_LOCK_US (a running CPU holds ours for a
 * few microseconds); after that its holder is taken to be stopped and the
 * caller goes on without it, as the guest's crash path does with its own
 * locks (drivers/hv/vmbus_crash.c).
 *
 * Context: interrupts off.
 * Return: true if @lock is now held (release it with sim_panic_unlock()),
 * false if the caller goes on without it.
 */
bool sim_panic_trylock(raw_spinlock_t *lock)
{
	unsigned int us;

	for (us = 0; us < SIM_PANIC_LOCK_US; us++) {
		if (raw_spin_trylock(lock)) {
			/* For sparse: sim_panic_unlock() releases it. */
			__release(lock);
			return true;
		}
		udelay(1);
	}
	pr_warn_ratelimited("panic: a stopped CPU holds one of the host's locks; going on without it\n");
	return false;
}

/**
 * sim_synic_disable_atomic() - sim_synic_disable() from the guest's crash
 *	path
 * @cpu: the CPU; any CPU may call it for any other
 *
 * The simulated SynIC is memory, not per-CPU registers, so every CPU's can
 * be reached from any CPU.  In a panic its lock is only tried
 * (sim_panic_trylock()).
 *
 * Context: any, interrupts off; does not sleep.
 * Return: true.
 */
bool sim_synic_disable_atomic(unsigned int cpu)
{
	struct sim_synic *s;

	if (!oops_in_progress) {
		sim_synic_disable(cpu);
		return true;
	}
	if (cpu >= nr_cpu_ids || !cpu_possible(cpu))
		return true;
	s = per_cpu_ptr(&sim_synics, cpu);
	if (sim_panic_trylock(&s->lock)) {
		sim_synic_detach(s);
		sim_panic_unlock(&s->lock);
	} else {
		sim_synic_detach(s);
	}
	return true;
}

/**
 * sim_synic_enabled() - whether the guest has enabled the SynIC of @cpu
 * @cpu: any CPU number, validated here
 *
 * Context: any.
 * Return: true if @cpu is a possible CPU with its SynIC enabled.
 */
bool sim_synic_enabled(unsigned int cpu)
{
	if (cpu >= nr_cpu_ids || !cpu_possible(cpu))
		return false;
	return READ_ONCE(per_cpu_ptr(&sim_synics, cpu)->enabled);
}

/*
 * The slot is busy: ask for an EOM and re-check.  Returns true if the guest
 * freed the slot meanwhile.
 */
static bool sim_slot_freed(struct hv_message *slot)
{
	union hv_message_flags flags;

	flags.asu8 = READ_ONCE(slot->header.message_flags.asu8);
	if (!flags.msg_pending) {
		flags.msg_pending = 1;
		WRITE_ONCE(slot->header.message_flags.asu8, flags.asu8);
		sim_stat_inc(SIM_STAT_MSG_PENDING_SET);
	}
	/*
	 * Order the msg_pending store before the re-load of message_type.
	 * Pairs with the guest's full barrier between its store of
	 * HVMSG_NONE and its load of msg_pending:
	 *
	 *   host                         guest
	 *   msg_pending = 1              message_type = HVMSG_NONE
	 *   virt_mb()                    full barrier
	 *   load message_type            load msg_pending
	 *
	 * Forbidden: the host sees the slot busy and the guest sees no
	 * msg_pending (nobody would ever send the next message).  Both seeing
	 * the other's store is allowed: the EOM that follows is spurious.
	 */
	virt_mb();
	return READ_ONCE(slot->header.message_type) == HVMSG_NONE;
}

static void sim_slot_fill(struct hv_message *slot, u32 hv_type, const void *msg,
			  u32 size, u32 claimed)
{
	slot->header.payload_size = claimed;
	WRITE_ONCE(slot->header.message_flags.asu8, 0);
	slot->header.sender = 0;
	memcpy(slot->u.payload, msg, size);
	/*
	 * Body before type.  Pairs with the guest's read barrier between its
	 * load of message_type and its copy of the body.
	 */
	virt_wmb();
	WRITE_ONCE(slot->header.message_type, hv_type);
}

/* The slot of @s takes the message, or gets msg_pending; under @s->lock. */
static enum sim_slot_result sim_slot_put(struct sim_synic *s, u32 hv_type,
					 const void *msg, u32 size, u32 claimed)
{
	struct hv_message *slot;

	if (!s->msg_page)
		return SIM_SLOT_OFF;
	slot = &s->msg_page->sint_message[VMBUS_MESSAGE_SINT];
	if (READ_ONCE(slot->header.message_type) != HVMSG_NONE &&
	    !sim_slot_freed(slot))
		return SIM_SLOT_BUSY;
	sim_slot_fill(slot, hv_type, msg, size, claimed);
	return SIM_SLOT_DELIVERED;
}

/**
 * sim_synic_post() - put a message into the VMBus message slot of @cpu
 * @cpu: target CPU
 * @hv_type: the SynIC message type, %SIM_HVMSG_VMBUS for a channel message
 * @msg: the payload; for %SIM_HVMSG_VMBUS it starts with a
 *	vmbus_channel_message_header
 * @size: the bytes of @msg copied, at most HV_MESSAGE_PAYLOAD_BYTE_COUNT
 * @claimed: the payload_size written into the header; @size but for a
 *	hostile host (sim_hostile_msg.c)
 *
 * If the slot is busy, sets msg_pending so that the guest signals EOM when
 * it frees the slot, and delivers nothing.
 *
 * Context: any; callers serialize deliveries to one CPU.
 * Return: what happened, see &enum sim_slot_result.
 */
enum sim_slot_result sim_synic_post(unsigned int cpu, u32 hv_type,
				    const void *msg, u32 size, u32 claimed)
{
	struct sim_synic *s = per_cpu_ptr(&sim_synics, cpu);
	enum sim_slot_result ret;
	unsigned long flags;

	raw_spin_lock_irqsave(&s->lock, flags);
	ret = sim_slot_put(s, hv_type, msg, size, claimed);
	raw_spin_unlock_irqrestore(&s->lock, flags);
	if (ret == SIM_SLOT_DELIVERED)
		sim_synic_raise(cpu);
	return ret;
}

/**
 * sim_synic_post_panic() - sim_synic_post() for a panicking guest
 * @cpu: target CPU
 * @msg: a channel message, starting with its vmbus_channel_message_header
 * @size: its size, at most HV_MESSAGE_PAYLOAD_BYTE_COUNT
 *
 * The SynIC lock is only tried (sim_panic_trylock()), and no interrupt is
 * raised: the panicking guest polls its slots with interrupts off.
 *
 * Context: a panic, interrupts off.
 * Return: as sim_synic_post().
 */
enum sim_slot_result sim_synic_post_panic(unsigned int cpu, const void *msg,
					  u32 size)
{
	struct sim_synic *s = per_cpu_ptr(&sim_synics, cpu);
	enum sim_slot_result ret;

	if (sim_panic_trylock(&s->lock)) {
		ret = sim_slot_put(s, SIM_HVMSG_VMBUS, msg, size, size);
		sim_panic_unlock(&s->lock);
	} else {
		ret = sim_slot_put(s, SIM_HVMSG_VMBUS, msg, size, size);
	}
	return ret;
}

/**
 * sim_synic_signal() - set @relid's event flag on @cpu
 * @cpu: target CPU, validated here
 * @relid: the channel's relid
 *
 * Sets bit @relid of the SINT VMBUS_MESSAGE_SINT event flags of @cpu and
 * raises the interrupt only on a 0 -> 1 transition of that bit
 * (vmbus-sim.rst, host behaviour
 * 12): a set bit means the guest has not scanned it yet, and the
 * interrupt raised when it was set will make it do so.
 *
 * Context: any.
 * Return: %SIM_EVENT_SET if the bit went from 0 to 1; %SIM_EVENT_COALESCED
 * if it was set already; %SIM_EVENT_OFF if @cpu has no enabled SynIC or
 * @relid has no bit.
 */
enum sim_event_result sim_synic_signal(unsigned int cpu, u32 relid)
{
	enum sim_event_result ret = SIM_EVENT_OFF;
	unsigned long *flags_page;
	struct sim_synic *s;
	unsigned long flags;

	if (relid >= HV_EVENT_FLAGS_COUNT || !sim_synic_enabled(cpu))
		return SIM_EVENT_OFF;
	s = per_cpu_ptr(&sim_synics, cpu);
	raw_spin_lock_irqsave(&s->lock, flags);
	/*
	 * Fully ordered: the caller's ring writes come before the bit.  Pairs
	 * with the guest's sync_test_and_clear_bit() before it reads the ring.
	 */
	if (s->event_pages) {
		flags_page = s->event_pages[VMBUS_MESSAGE_SINT].flags;
		ret = sync_test_and_set_bit(relid, flags_page) ?
		      SIM_EVENT_COALESCED : SIM_EVENT_SET;
	}
	raw_spin_unlock_irqrestore(&s->lock, flags);
	/*
	 * A guest scan that clears the bit before this raise lands costs
	 * only a spurious interrupt: the raise is ordered after the set (see
	 * sim_synic_raise()), so the scan it causes cannot miss it.
	 */
	if (ret == SIM_EVENT_SET)
		sim_synic_raise(cpu);
	return ret;
}

/**
 * sim_synic_interrupts() - guest handler invocations on @cpu
 * @cpu: a possible CPU
 *
 * Context: any.
 * Return: the count since load or the last reset.
 */
u64 sim_synic_interrupts(unsigned int cpu)
{
	return atomic64_read(&per_cpu_ptr(&sim_synics, cpu)->interrupts);
}

/**
 * sim_synic_reset_stats() - zero the per-CPU interrupt counters
 *
 * Context: any.
 */
void sim_synic_reset_stats(void)
{
	unsigned int cpu;

	for_each_possible_cpu(cpu)
		atomic64_set(&per_cpu_ptr(&sim_synics, cpu)->interrupts, 0);
}

/**
 * sim_synic_init() - set up every possible CPU's SynIC, all disabled
 *
 * Context: module init.
 */
void sim_synic_init(void)
{
	struct sim_synic *s;
	unsigned int cpu;

	for_each_possible_cpu(cpu) {
		s = per_cpu_ptr(&sim_synics, cpu);
		raw_spin_lock_init(&s->lock);
		INIT_CSD(&s->csd, sim_synic_ipi, s);
		s->irq_work = IRQ_WORK_INIT_HARD(sim_synic_irq_work);
	}
}

/**
 * sim_synic_exit() - wait until no interrupt of ours is still queued
 *
 * The guest has detached and nothing raises interrupts any more.  Still
 * queued may be an irq_work (irq_work_sync() waits until it has run) or an
 * IPI (we poll until its function has started).  A function that has
 * started runs with interrupts off, and the module loader's
 * synchronize_rcu() before freeing our text waits for it to return.
 *
 * Context: module exit, may sleep.
 */
void sim_synic_exit(void)
{
	struct sim_synic *s;
	unsigned int cpu;

	for_each_possible_cpu(cpu) {
		s = per_cpu_ptr(&sim_synics, cpu);
		/*
		 * An IPI may queue the irq_work (PREEMPT_RT): the IPI first.
		 * Cleared by sim_synic_ipi(), or by a raise to an offline CPU.
		 */
		while (atomic_read(&s->ipi_queued))
			usleep_range(500, 1000);
		irq_work_sync(&s->irq_work);
		if (s->enabled)
			pr_warn("cpu%u: SynIC still enabled at exit\n", cpu);
	}
}
