// SPDX-License-Identifier: GPL-2.0
/*
 * vmbus_sim: the message transport, both ways (vmbus-sim.rst, host behaviours
 * 5 and 6).
 *
 * Guest -> host: HvPostMessage copies the message into a bounded queue of
 * SIM_IN_QUEUE_DEPTH entries and returns at once; the host's work item
 * takes the messages out in order and hands them to the protocol.  The
 * host stops taking them while more than SIM_OUT_BACKLOG of its own
 * messages are undelivered, and starts again when EOMs drain its queue.
 *
 * Host -> guest: every message goes to the contact CPU's slot, in order,
 * through an unbounded queue.  A busy slot gets msg_pending; the guest's
 * EOM delivers the next message (at once, or after a random delay in the
 * eom_delay_us mode).
 *
 * An UNLOAD posted with interrupts off (the guest's crash path,
 * drivers/hv/vmbus_crash.c) is answered at once, from the post itself: the
 * guest polls its slots with interrupts off and, on a panic, no other CPU
 * runs the host's work item.  Until the next contact an EOM from any CPU
 * then moves the queue, since the crashing CPU frees the contact CPU's
 * slot (vmbus-sim.rst, host behaviour 4).  In a panic (oops_in_progress)
 * the other CPUs were stopped wherever they were, maybe holding any of our
 * locks: the UNLOAD is then answered without the queues, straight into the
 * contact CPU's slot or, if that is busy, at the EOM of the guest's poller
 * that frees it (sim_unload_panic()).
 *
 * Contexts: sim_msg_post() and sim_msg_eom() run in any context, EOM with
 * interrupts off on the guest's CPU, so both locks are irqsave spinlocks;
 * the EOM comes from the guest's hard-IRQ handler, so out_lock and every
 * lock under it are raw_spinlock_t (a spinlock_t sleeps on PREEMPT_RT).
 * Lock order: in_lock -> log lock; out_lock -> SynIC lock -> log lock.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/hrtimer.h>
#include <linux/ktime.h>
#include <linux/list.h>
#include <linux/overflow.h>
#include <linux/prandom.h>
#include <linux/random.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/string.h>
#include <linux/workqueue.h>
#include <asm/hyperv-tlfs.h>

#include "sim.h"

struct sim_in_msg {
	u32 conn_id;
	u32 size;
	u8 data[HV_MESSAGE_PAYLOAD_BYTE_COUNT] __aligned(8);
};

/*
 * @hv_type and @claimed are SIM_HVMSG_VMBUS and @size but for the hostile
 * messages of sim_hostile_msg.c: another SynIC message type, or a
 * payload_size that is not the size.
 */
struct sim_out_msg {
	struct list_head node;
	u32 hv_type;
	u32 size;
	u32 claimed;
	u8 data[] __aligned(8);
};

/**
 * struct sim_transport - both message queues
 * @in_lock: guards @in_ring, @in_head, @in_count and @in_conn_id
 * @in_ring: accepted guest messages, oldest at @in_head
 * @in_head: index of the oldest entry
 * @in_count: entries in @in_ring
 * @in_conn_id: the one connection id valid for every message but
 *	INITIATE_CONTACT while connected; 0 while not connected
 * @in_work: takes messages out of @in_ring (on sim_wq)
 * @in_msg: @in_work's private copy of the message it handles
 * @out_lock: guards @out_queue, @out_done, @out_len, @out_cpu and @eom_wait
 * @out_queue: undelivered host messages, oldest first
 * @out_done: delivered messages, freed in process context (sim_msg_send()),
 *	never under @out_lock or in the EOM's hard-IRQ context
 * @out_len: entries in @out_queue; read locklessly by @in_work
 * @out_cpu: the contact CPU, whose slot every message goes to
 * @eom_wait: a delivery after EOM is waiting for @eom_timer
 * @eom_timer: delays that delivery in the eom_delay_us mode
 * @eom_rnd: draws that delay; get_random_*() may take a spinlock_t, which
 *	the EOM's hard-IRQ context under @out_lock must not
 * @crash_eom: an UNLOAD came with interrupts off: an EOM from any CPU
 *	delivers (under @out_lock; cleared by the next contact)
 * @unloads_answered: UNLOADs answered from the post; the protocol then
 *	sends no UNLOAD_RESPONSE of its own for them
 * @panic_answer: a panicking guest's UNLOAD_RESPONSE waits for the slot
 */
struct sim_transport {
	spinlock_t in_lock;		/* see above */
	struct sim_in_msg in_ring[SIM_IN_QUEUE_DEPTH];
	unsigned int in_head;
	unsigned int in_count;
	u32 in_conn_id;
	struct work_struct in_work;
	struct sim_in_msg in_msg;

	raw_spinlock_t out_lock;	/* see above */
	struct list_head out_queue;
	struct list_head out_done;
	unsigned int out_len;
	unsigned int out_cpu;
	bool eom_wait;
	struct hrtimer eom_timer;
	struct rnd_state eom_rnd;
	bool crash_eom;
	atomic_t unloads_answered;
	bool panic_answer;
};

static struct sim_transport sim_tp;

/* Message connection ids a post may use before a connection exists. */
static bool sim_contact_conn_id(u32 conn_id)
{
	return conn_id == VMBUS_MESSAGE_CONNECTION_ID ||
	       (conn_id == VMBUS_MESSAGE_CONNECTION_ID_4 &&
		sim_host_has_conn_id_4());
}

static bool sim_conn_id_valid(u32 conn_id, u32 type)
{
	lockdep_assert_held(&sim_tp.in_lock);
	if (type == CHANNELMSG_INITIATE_CONTACT || !sim_tp.in_conn_id)
		return sim_contact_conn_id(conn_id);
	return conn_id == sim_tp.in_conn_id;
}

/*
 * INITIATE_CONTACT to connection id 4 on a host before 5.0: how a guest
 * finds out that the host is older than 5.0, not a guest error.
 */
static bool sim_contact_probe(u32 conn_id, u32 type)
{
	return type == CHANNELMSG_INITIATE_CONTACT &&
	       conn_id == VMBUS_MESSAGE_CONNECTION_ID_4;
}

/*
 * Fault injection.  INVALID_CONNECTION_ID on INITIATE_CONTACT tells the
 * guest that the host has no such connection (the version is not
 * supported), never "try again": injection leaves that combination out.
 */
static bool sim_post_injected(u32 type)
{
	u32 rate = READ_ONCE(sim_modes.post_fail_rate);

	if (type == CHANNELMSG_INITIATE_CONTACT &&
	    READ_ONCE(sim_modes.post_fail_status) ==
	    HV_STATUS_INVALID_CONNECTION_ID)
		return false;
	return rate && get_random_u32_below(100) < rate;
}

/* Queue a copy; the caller checked the size.  Returns an HV_STATUS_*. */
static u64 sim_in_queue(const struct sim_in_msg *m, u32 type)
{
	u64 status = HV_STATUS_SUCCESS;
	bool bad_conn_id = false;
	unsigned long flags;

	spin_lock_irqsave(&sim_tp.in_lock, flags);
	if (!sim_conn_id_valid(m->conn_id, type)) {
		status = HV_STATUS_INVALID_CONNECTION_ID;
		bad_conn_id = !sim_contact_probe(m->conn_id, type);
		sim_stat_inc(bad_conn_id ? SIM_STAT_POSTS_BAD_CONN_ID :
					   SIM_STAT_CONTACTS_NO_CONN_ID);
	} else if (sim_post_injected(type)) {
		sim_stat_inc(SIM_STAT_POSTS_REFUSED_INJECTED);
		status = READ_ONCE(sim_modes.post_fail_status);
	} else if (sim_tp.in_count == SIM_IN_QUEUE_DEPTH) {
		sim_stat_inc(SIM_STAT_POSTS_REFUSED_FULL);
		status = HV_STATUS_INSUFFICIENT_BUFFERS;
	} else {
		sim_tp.in_ring[(sim_tp.in_head + sim_tp.in_count) %
			       SIM_IN_QUEUE_DEPTH] = *m;
		sim_tp.in_count++;
		/* Under in_lock, so the log shows the acceptance order. */
		sim_msg_count(SIM_IN, m->data, m->size);
		queue_work(sim_wq, &sim_tp.in_work);
	}
	spin_unlock_irqrestore(&sim_tp.in_lock, flags);
	if (bad_conn_id)
		sim_guest_error("post: type %u to connection id %u refused\n",
				type, m->conn_id);
	return status;
}

static void sim_out_deliver(void);

/* A queue entry holding a copy of @msg; every field set. */
static struct sim_out_msg *sim_out_alloc(u32 hv_type, const void *msg, u32 size,
					 u32 claimed, gfp_t gfp)
{
	struct sim_out_msg *m = kmalloc(struct_size(m, data, size), gfp);

	if (!m)
		return NULL;
	m->hv_type = hv_type;
	m->size = size;
	m->claimed = claimed;
	memcpy(m->data, msg, size);
	return m;
}

/*
 * The guest's crash path posted UNLOAD with interrupts off: queue the
 * UNLOAD_RESPONSE behind what is undelivered and deliver what the slot
 * takes, now.  The host's work item still handles the UNLOAD (the
 * connection's state goes), without a second response.
 */
static void sim_unload_atomic(void)
{
	struct vmbus_channel_message_header hdr = {
		.msgtype = CHANNELMSG_UNLOAD_RESPONSE,
	};
	struct sim_out_msg *m;
	unsigned long flags;

	sim_stat_inc(SIM_STAT_UNLOADS_ATOMIC);
	if (!READ_ONCE(sim_modes.unload_respond))
		return;
	m = sim_out_alloc(SIM_HVMSG_VMBUS, &hdr, sizeof(hdr), sizeof(hdr), GFP_ATOMIC);
	if (!m) {
		pr_warn("UNLOAD with interrupts off: no memory for the answer; the host work item answers\n");
		return;
	}
	atomic_inc(&sim_tp.unloads_answered);
	sim_stat_inc(SIM_STAT_UNLOAD_RESPONSES);
	raw_spin_lock_irqsave(&sim_tp.out_lock, flags);
	list_add_tail(&m->node, &sim_tp.out_queue);
	WRITE_ONCE(sim_tp.out_len, sim_tp.out_len + 1);
	sim_tp.crash_eom = true;
	sim_out_deliver();
	raw_spin_unlock_irqrestore(&sim_tp.out_lock, flags);
	/* After a crash no work item of ours runs again: the record now. */
	sim_record_unloaded(true);
}

/* The panic answer into the contact CPU's slot, if it is free now. */
static void sim_panic_deliver(void)
{
	struct vmbus_channel_message_header hdr = {
		.msgtype = CHANNELMSG_UNLOAD_RESPONSE,
	};

	if (sim_synic_post_panic(READ_ONCE(sim_tp.out_cpu), &hdr,
				 sizeof(hdr)) == SIM_SLOT_DELIVERED)
		WRITE_ONCE(sim_tp.panic_answer, false);
}

/*
 * A panicking guest posted UNLOAD: no lock of ours can be counted on, and
 * no work item of ours runs again.  Nothing is queued or logged; the
 * answer goes into the contact CPU's slot now, or at the EOM of the
 * guest's poller once it freed that slot (the slot's msg_pending asks for
 * that EOM).
 */
static u64 sim_unload_panic(u32 conn_id)
{
	if (conn_id != READ_ONCE(sim_tp.in_conn_id))
		return HV_STATUS_INVALID_CONNECTION_ID;
	sim_stat_inc(SIM_STAT_UNLOADS_ATOMIC);
	if (!READ_ONCE(sim_modes.unload_respond))
		return HV_STATUS_SUCCESS;
	sim_stat_inc(SIM_STAT_UNLOAD_RESPONSES);
	WRITE_ONCE(sim_tp.panic_answer, true);
	sim_panic_deliver();
	sim_record_unloaded(true);
	return HV_STATUS_SUCCESS;
}

/**
 * sim_msg_unload_answered() - was this UNLOAD answered from its post?
 *
 * Consumes one answer of sim_unload_atomic(): the protocol handles the
 * UNLOADs in order, and each answered one was counted when it was queued.
 *
 * Context: the host's work item, under sim_lock.
 * Return: true if the protocol must not send an UNLOAD_RESPONSE for it.
 */
bool sim_msg_unload_answered(void)
{
	return atomic_add_unless(&sim_tp.unloads_answered, -1, 0);
}

/**
 * sim_msg_post() - HvPostMessage
 * @conn_id: connection id the guest posts to
 * @hv_type: the SynIC message type; positive and below 0x80000000 (the
 *	upper half belongs to the hypervisor)
 * @payload: the message, starting with its vmbus_channel_message_header
 * @size: its size
 *
 * Checks, in this order: the size and type, the connection id, fault
 * injection, room in the queue.
 *
 * Context: any; does not sleep.
 * Return: HV_STATUS_SUCCESS if the message was queued;
 * HV_STATUS_INVALID_PARAMETER for a bad size or type;
 * HV_STATUS_INVALID_CONNECTION_ID for a connection id the state does not
 * allow or the host does not have (4 before 5.0); the post_fail_status
 * mode when fault injection refuses it;
 * HV_STATUS_INSUFFICIENT_BUFFERS when the queue is full.
 */
u64 sim_msg_post(u32 conn_id, u32 hv_type, const void *payload, u32 size)
{
	struct vmbus_channel_message_header hdr;
	struct sim_in_msg m;
	u64 status;

	sim_stat_inc(SIM_STAT_POSTS);
	if (size < sizeof(hdr) || size > HV_MESSAGE_PAYLOAD_BYTE_COUNT ||
	    !hv_type || hv_type >= 0x80000000U) {
		sim_guest_error("post: bad size %u or message type %#x\n",
				size, hv_type);
		return HV_STATUS_INVALID_PARAMETER;
	}
	/* One copy out of guest memory; everything below looks at it. */
	m.conn_id = conn_id;
	m.size = size;
	memcpy(m.data, payload, size);
	memcpy(&hdr, m.data, sizeof(hdr));

	if (hdr.msgtype == CHANNELMSG_UNLOAD && irqs_disabled() && oops_in_progress)
		return sim_unload_panic(conn_id);
	status = sim_in_queue(&m, hdr.msgtype);
	if (status == HV_STATUS_SUCCESS && hdr.msgtype == CHANNELMSG_UNLOAD &&
	    irqs_disabled())
		sim_unload_atomic();
	return status;
}

static bool sim_out_backlogged(void)
{
	return READ_ONCE(sim_tp.out_len) > SIM_OUT_BACKLOG;
}

static bool sim_in_pop(struct sim_in_msg *m)
{
	unsigned long flags;
	bool popped = false;

	/*
	 * A stale backlog reading is harmless: sim_out_deliver() queues this
	 * work again when the backlog falls to SIM_OUT_BACKLOG.
	 */
	if (sim_out_backlogged())
		return false;
	spin_lock_irqsave(&sim_tp.in_lock, flags);
	if (sim_tp.in_count) {
		*m = sim_tp.in_ring[sim_tp.in_head];
		sim_tp.in_head = (sim_tp.in_head + 1) % SIM_IN_QUEUE_DEPTH;
		sim_tp.in_count--;
		popped = true;
	}
	spin_unlock_irqrestore(&sim_tp.in_lock, flags);
	return popped;
}

/* Who takes the accepted messages; set by sim_msg_init(). */
static void (*sim_msg_handler)(u32 conn_id, const void *msg, u32 size);

static void sim_in_work(struct work_struct *work)
{
	struct sim_in_msg *m = &sim_tp.in_msg;

	/* sim_wq is ordered: one instance at a time owns in_msg. */
	while (sim_in_pop(m)) {
		sim_msg_handler(m->conn_id, m->data, m->size);
		cond_resched();
	}
}

static void sim_out_free(struct list_head *list)
{
	struct sim_out_msg *m, *tmp;

	list_for_each_entry_safe(m, tmp, list, node) {
		list_del(&m->node);
		kfree(m);
	}
}

/* Move queued messages into the slot until it is busy. */
static void sim_out_deliver(void)
{
	struct sim_out_msg *m;

	lockdep_assert_held(&sim_tp.out_lock);
	while (!sim_tp.eom_wait) {
		m = list_first_entry_or_null(&sim_tp.out_queue,
					     struct sim_out_msg, node);
		if (!m || sim_synic_post(sim_tp.out_cpu, m->hv_type, m->data,
					 m->size, m->claimed) != SIM_SLOT_DELIVERED)
			break;
		/*
		 * Under out_lock, so the log shows the delivery order.  Another
		 * SynIC type has no channel message header to count by.
		 */
		if (m->hv_type == SIM_HVMSG_VMBUS)
			sim_msg_count(SIM_OUT, m->data, m->size);
		list_move_tail(&m->node, &sim_tp.out_done);
		WRITE_ONCE(sim_tp.out_len, sim_tp.out_len - 1);
		if (sim_tp.out_len == SIM_OUT_BACKLOG)
			queue_work(sim_wq, &sim_tp.in_work);
	}
}

/**
 * sim_msg_send_raw() - send a SynIC message of any type and claimed size
 * @hv_type: the SynIC message type (%SIM_HVMSG_VMBUS for a channel message)
 * @msg: the payload
 * @size: the bytes of @msg to copy, at most HV_MESSAGE_PAYLOAD_BYTE_COUNT
 * @claimed: the payload_size the slot's header will say
 *
 * sim_msg_send() with the two header fields a real host always gets right
 * left to the caller: the hostile messages of sim_hostile_msg.c.  @claimed
 * is not checked, on purpose (it may exceed what the slot holds); @size
 * over HV_MESSAGE_PAYLOAD_BYTE_COUNT is a caller bug and WARNs.  The
 * message queues in order with every other; only a %SIM_HVMSG_VMBUS one is
 * counted in msg_out.
 *
 * Context: process context, may sleep.
 * Return: 0; -EINVAL for a bad size or a zero @hv_type; -ENOMEM.
 */
int sim_msg_send_raw(u32 hv_type, const void *msg, u32 size, u32 claimed)
{
	struct sim_out_msg *m;
	unsigned long flags;
	LIST_HEAD(done);

	if (WARN_ON_ONCE(size > HV_MESSAGE_PAYLOAD_BYTE_COUNT) || !hv_type)
		return -EINVAL;
	m = sim_out_alloc(hv_type, msg, size, claimed, GFP_KERNEL);
	if (!m)
		return -ENOMEM;

	raw_spin_lock_irqsave(&sim_tp.out_lock, flags);
	list_add_tail(&m->node, &sim_tp.out_queue);
	WRITE_ONCE(sim_tp.out_len, sim_tp.out_len + 1);
	sim_out_deliver();
	list_splice_init(&sim_tp.out_done, &done);
	raw_spin_unlock_irqrestore(&sim_tp.out_lock, flags);
	sim_out_free(&done);
	return 0;
}

/**
 * sim_msg_send() - send a message to the guest
 * @msg: the message, starting with its vmbus_channel_message_header
 * @size: its size, at most HV_MESSAGE_PAYLOAD_BYTE_COUNT
 *
 * Queues a copy behind every message not yet delivered and delivers what
 * the contact CPU's slot takes.
 *
 * Context: process context, may sleep.
 * Return: 0; -EINVAL for a bad size; -ENOMEM.
 */
int sim_msg_send(const void *msg, u32 size)
{
	return sim_msg_send_raw(SIM_HVMSG_VMBUS, msg, size, size);
}

/**
 * sim_msg_kick() - deliver what the contact CPU's slot takes now
 *
 * For a SynIC that was just enabled.
 *
 * Context: any.
 */
void sim_msg_kick(void)
{
	unsigned long flags;

	raw_spin_lock_irqsave(&sim_tp.out_lock, flags);
	sim_out_deliver();
	raw_spin_unlock_irqrestore(&sim_tp.out_lock, flags);
}

/* The EOM of @cpu moves the queue; under out_lock. */
static void sim_eom_deliver(unsigned int cpu)
{
	u64 delay_ns;
	u32 max_us;

	lockdep_assert_held(&sim_tp.out_lock);
	if ((cpu != sim_tp.out_cpu && !sim_tp.crash_eom) || sim_tp.eom_wait ||
	    list_empty(&sim_tp.out_queue))
		return;
	max_us = READ_ONCE(sim_modes.eom_delay_us);
	if (!max_us) {
		sim_out_deliver();
		return;
	}
	delay_ns = (u64)(prandom_u32_state(&sim_tp.eom_rnd) % (max_us + 1)) *
		   NSEC_PER_USEC;
	sim_tp.eom_wait = true;
	hrtimer_start(&sim_tp.eom_timer, ns_to_ktime(delay_ns),
		      HRTIMER_MODE_REL_SOFT);
}

/**
 * sim_msg_eom() - the guest's end-of-message on the current CPU
 *
 * The guest freed its slot and saw msg_pending.  The next message goes in
 * at once, or after a random 0..eom_delay_us microseconds.  An EOM on a CPU
 * that has nothing pending is counted and otherwise ignored.  After an
 * UNLOAD with interrupts off an EOM from any CPU counts: the guest's crash
 * path frees the contact CPU's slot from the CPU it runs on.
 *
 * Context: any, interrupts off, on the guest CPU whose slot was freed.
 */
void sim_msg_eom(void)
{
	unsigned int cpu = smp_processor_id();
	unsigned long flags;

	sim_stat_inc(SIM_STAT_EOMS);
	/* From the panicking guest's poller: no queue, no lock. */
	if (READ_ONCE(sim_tp.panic_answer)) {
		sim_panic_deliver();
		return;
	}
	if (!oops_in_progress) {
		raw_spin_lock_irqsave(&sim_tp.out_lock, flags);
		sim_eom_deliver(cpu);
		raw_spin_unlock_irqrestore(&sim_tp.out_lock, flags);
		return;
	}
	local_irq_save(flags);
	if (sim_panic_trylock(&sim_tp.out_lock)) {
		sim_eom_deliver(cpu);
		sim_panic_unlock(&sim_tp.out_lock);
	}
	local_irq_restore(flags);
}

static enum hrtimer_restart sim_eom_timer_fn(struct hrtimer *timer)
{
	unsigned long flags;

	raw_spin_lock_irqsave(&sim_tp.out_lock, flags);
	sim_tp.eom_wait = false;
	sim_out_deliver();
	raw_spin_unlock_irqrestore(&sim_tp.out_lock, flags);
	return HRTIMER_NORESTART;
}

/**
 * sim_msg_connect() - start a connection: INITIATE_CONTACT was handled
 * @cpu: the contact CPU; every later message goes to its slot
 * @conn_id: the connection id the guest must post to from now on; 0 if
 *	the contact was refused
 *
 * Messages queued for an earlier connection are dropped (a new contact is
 * a new guest, or the same one after kexec); one already in the slot stays
 * there.  Called before the VERSION_RESPONSE is sent, so the guest's next
 * post already finds the new connection id.
 *
 * Context: process context, under sim_lock.
 */
void sim_msg_connect(unsigned int cpu, u32 conn_id)
{
	unsigned long flags;
	LIST_HEAD(stale);

	lockdep_assert_held(&sim_lock);
	spin_lock_irqsave(&sim_tp.in_lock, flags);
	sim_tp.in_conn_id = conn_id;
	spin_unlock_irqrestore(&sim_tp.in_lock, flags);

	/*
	 * Dropping the backlog queues no in_work: the caller runs in it and
	 * takes the next message when it returns.
	 */
	raw_spin_lock_irqsave(&sim_tp.out_lock, flags);
	list_splice_init(&sim_tp.out_queue, &stale);
	list_splice_tail_init(&sim_tp.out_done, &stale);
	WRITE_ONCE(sim_tp.out_len, 0);
	sim_tp.out_cpu = cpu;
	sim_tp.crash_eom = false;
	raw_spin_unlock_irqrestore(&sim_tp.out_lock, flags);
	sim_out_free(&stale);
}

/**
 * sim_msg_disconnect() - the connection is gone (UNLOAD)
 *
 * Only the well-known connection ids are valid again.  Messages already
 * queued are still delivered, in order, to the contact CPU.
 *
 * Context: process context, under sim_lock.
 */
void sim_msg_disconnect(void)
{
	unsigned long flags;

	lockdep_assert_held(&sim_lock);
	spin_lock_irqsave(&sim_tp.in_lock, flags);
	sim_tp.in_conn_id = 0;
	spin_unlock_irqrestore(&sim_tp.in_lock, flags);
}

/**
 * sim_msg_init() - set up both queues, empty
 * @handler: takes each accepted message, in order, on sim_wq
 *	(sim_proto_handle())
 *
 * Context: module init.
 */
void sim_msg_init(void (*handler)(u32 conn_id, const void *msg, u32 size))
{
	sim_msg_handler = handler;
	spin_lock_init(&sim_tp.in_lock);
	INIT_WORK(&sim_tp.in_work, sim_in_work);
	raw_spin_lock_init(&sim_tp.out_lock);
	INIT_LIST_HEAD(&sim_tp.out_queue);
	INIT_LIST_HEAD(&sim_tp.out_done);
	atomic_set(&sim_tp.unloads_answered, 0);
	hrtimer_init(&sim_tp.eom_timer, CLOCK_MONOTONIC, HRTIMER_MODE_REL_SOFT);
	prandom_seed_state(&sim_tp.eom_rnd, get_random_u64());
	sim_tp.eom_timer.function = sim_eom_timer_fn;
}

/**
 * sim_msg_exit() - stop the EOM timer and free what is still queued
 *
 * The guest has detached: no post or EOM can come.  The caller destroys
 * sim_wq (which runs in_work) after this, and the timer is the only other
 * thing that could queue in_work, so it is cancelled first.
 *
 * Context: module exit, may sleep.
 */
void sim_msg_exit(void)
{
	hrtimer_cancel(&sim_tp.eom_timer);
	cancel_work_sync(&sim_tp.in_work);
	sim_out_free(&sim_tp.out_queue);
	sim_out_free(&sim_tp.out_done);
	sim_tp.out_len = 0;
}
