// SPDX-License-Identifier: GPL-2.0
/*
 * hv_vmbus: the guest event path, in the order an interrupt takes it.
 *
 *   vmbus_isr()            SINT 2 interrupt on some CPU (hard-IRQ)
 *   vmbus_events_irq()     the event half: here, or on PREEMPT_RT in the
 *                          CPU's vmbus_irq/N thread (vmbus_events_thread())
 *   vmbus_event_scan()     takes every set relid off the CPU's SIEFP page,
 *                          up to the highest relid ever published
 *   vmbus_chan_event()     relid map lookup under RCU; unmapped: latch
 *   vmbus_chan_deliver()   runs the callback, or schedules the tasklet
 *   vmbus_on_event()       the channel's callback tasklet
 *
 * Then the writer side of the relid map (vmbus_relid_publish() and
 * vmbus_relid_unpublish(), from the channel state machine in
 * channel_mgmt.c), the hibernation hold-off (vmbus_events_release()), and
 * the message half of the ISR: the host's channel messages are copied out
 * of the SINT 2 slot into a per-CPU ring that vmbus_msg_work() in
 * channel_mgmt.c drains.
 *
 * Host message path.  The host puts one message at a time into the SINT 2
 * slot of the connect CPU's message page and interrupts that CPU.  The ISR
 * copies the message into a per-CPU ring, frees the slot and signals EOM if
 * the host marked another message pending; the CPU's message work then
 * validates and dispatches the copies in arrival order.  If the ring is full
 * the ISR leaves the message in the slot (the host waits, nothing is lost)
 * and the work harvests it once it has made room.
 *
 * The state read here (vmbus_conn's relid map, event latch, fix-up count
 * and per-CPU SynIC) belongs to the connection, connection.c.
 */
#define pr_fmt(fmt) "hv_vmbus: " fmt

#include <linux/cpu.h>
#include <linux/interrupt.h>
#include <linux/jiffies.h>
#include <linux/percpu.h>
#include <linux/rcupdate.h>
#include <linux/smp.h>
#include <linux/string.h>
#include <linux/workqueue.h>
#include <asm/sync_bitops.h>

#include "hyperv_vmbus.h"

static void vmbus_events_irq(struct vmbus_synic *s);
static void vmbus_event_scan(struct vmbus_synic *s);
static bool vmbus_chan_event(u32 relid);
static void vmbus_chan_deliver(struct vmbus_channel *ch);
static bool vmbus_msg_harvest(struct vmbus_synic *s);

/**
 * vmbus_isr() - the SINT 2 interrupt: events first, then messages
 *
 * The platform module calls it through the handler that vmbus_drv.c
 * registers with vmbus_hv_set_handler(); the message work calls it again
 * on the owning CPU (vmbus_msg_reharvest()) after the ring was full.
 *
 * Context: hard-IRQ, or interrupts disabled on the CPU whose pages it reads.
 */
void vmbus_isr(void)
{
	struct vmbus_synic *s = this_cpu_ptr(vmbus_conn.synic);
	bool harvested;

	if (!READ_ONCE(s->enabled))
		return;
	vmbus_events_irq(s);
	/*
	 * The crash path's poller may read this CPU's slot and ring from
	 * another CPU: exclusive with it, and once it started the slot is
	 * its own (vmbus_crash.c).
	 */
	raw_spin_lock(&s->msg_lock);
	harvested = !READ_ONCE(vmbus_conn.crash_unload) && vmbus_msg_harvest(s);
	raw_spin_unlock(&s->msg_lock);
	if (harvested)
		queue_work_on(s->cpu, vmbus_conn.msg_wq, &s->msg_work);
}

/*
 * Take this CPU's events, unless hibernation resume holds them off.
 * Context: the event half (vmbus_events_irq()), or between
 * vmbus_events_local_begin() and vmbus_events_local_end().
 */
static void vmbus_events_take(struct vmbus_synic *s)
{
	/*
	 * Channels are being moved to new relids (hibernation resume): leave
	 * the bits on the page; vmbus_events_release() scans every page once
	 * the count is 0.  The host raises no second interrupt for a bit that
	 * is still set, so that scan is what delivers them.
	 */
	if (!atomic_read(&vmbus_conn.fixups))
		vmbus_event_scan(s);
}

/*
 * The event half of an interrupt, or of an IPI that stands for one, on
 * this CPU.  A delivery takes the channel's sched_lock, a spinlock_t, and
 * runs HV_CALL_ISR callbacks, which take spinlock_t too (Debian's
 * uio_hv_generic wakes the readers of /dev/uioN).  On PREEMPT_RT those
 * sleep, so there the half runs in this CPU's vmbus_irq/N thread: this
 * only wakes it (vmbus_irqd_wake() in vmbus_drv.c).  Elsewhere it runs
 * here, and lockdep is told that the interrupt would be threaded on RT,
 * so that PROVE_RAW_LOCK_NESTING checks what it takes against the
 * thread's rules and not the hard interrupt's.
 *
 * Context: hard-IRQ, on the CPU of @s.
 */
static void vmbus_events_irq(struct vmbus_synic *s)
{
	if (IS_ENABLED(CONFIG_PREEMPT_RT)) {
		vmbus_irqd_wake(s);
		return;
	}
	lockdep_hardirq_threaded();
	vmbus_events_take(s);
}

/**
 * vmbus_events_thread() - the event half, in the CPU's interrupt thread
 * @s: the SynIC state of the thread's CPU
 *
 * PREEMPT_RT only: the body of the vmbus_irq/N thread that
 * vmbus_irqd_wake() woke.  The flag is cleared before the scan, so an
 * interrupt after the clear wakes the thread again, and one before it set
 * its bits before the scan reads them.
 *
 * Context: the per-CPU thread, bound to the CPU of @s; sleeps.
 */
void vmbus_events_thread(struct vmbus_synic *s)
{
	WRITE_ONCE(s->irqd_pending, false);
	/* The clear before the page: pairs with the interrupt's wake-up. */
	smp_mb();
	if (!READ_ONCE(s->enabled))
		return;
	/* The tasklets that deliveries schedule run at local_bh_enable(). */
	local_bh_disable();
	vmbus_events_take(s);
	local_bh_enable();
}

/**
 * vmbus_events_local_begin() - enter the event half's context from a task
 *
 * Bottom halves off, so the tasklets a delivery schedules run at
 * vmbus_events_local_end().  Interrupts off as well, except on
 * PREEMPT_RT: where the ISR delivers itself it must not interrupt a
 * delivery on this CPU and spin on the channel's sched_lock; on RT that
 * lock may sleep, and the ISR only wakes the thread.
 *
 * Context: process context; the caller stays on this CPU or does not
 * care which CPU's counter it counts on.
 */
static void vmbus_events_local_begin(void)
{
	local_bh_disable();
	if (!IS_ENABLED(CONFIG_PREEMPT_RT))
		local_irq_disable();
}

/**
 * vmbus_events_local_end() - leave what vmbus_events_local_begin() entered
 */
static void vmbus_events_local_end(void)
{
	if (!IS_ENABLED(CONFIG_PREEMPT_RT))
		local_irq_enable();
	local_bh_enable();
}

/**
 * vmbus_msg_reharvest() - run the ISR on this CPU again
 * @arg: unused
 *
 * vmbus_msg_work() calls it on the owning CPU through
 * smp_call_function_single() to fetch a message left in the slot while the
 * ring was full.
 *
 * Context: IPI, interrupts disabled.
 */
void vmbus_msg_reharvest(void *arg)
{
	vmbus_isr();
}

/*
 * Take every set relid off this CPU's event page, up to the word of the
 * highest relid published (scan_mark; a relid above it has no channel, and
 * publishing one takes its bits: vmbus_relid_publish()).
 * sync_test_and_clear_bit() is a full barrier between clearing the bit and
 * loading the relid map (step 4 of the publication argument at
 * vmbus_relid_publish() below).
 *
 * The CPU's events statistic grows once per scan by the events delivered,
 * not once per event: one memory update for the whole interrupt.
 */
static void vmbus_event_scan(struct vmbus_synic *s)
{
	unsigned long *flags = s->event_page[VMBUS_MESSAGE_SINT].flags;
	unsigned int i, bit, relid, words, delivered = 0;
	unsigned long word;

	words = READ_ONCE(vmbus_conn.scan_mark) / BITS_PER_LONG + 1;
	for (i = 0; i < words; i++) {
		word = READ_ONCE(flags[i]);
		for_each_set_bit(bit, &word, BITS_PER_LONG) {
			relid = i * BITS_PER_LONG + bit;
			if (!sync_test_and_clear_bit(relid, flags))
				continue;
			if (relid == 0) {	/* never a channel */
				vmbus_stat_inc(VMBUS_STAT_EVENTS_DROPPED);
				continue;
			}
			delivered += vmbus_chan_event(relid);
		}
	}
	if (delivered)
		this_cpu_add(vmbus_conn.synic->events, delivered);
}

/**
 * vmbus_chan_event() - an event for @relid was taken off an event page
 * @relid: the relid whose bit sync_test_and_clear_bit() found set
 *
 * Context: the event half (vmbus_events_irq()); the event-page bit was
 * cleared with a full barrier just before.
 * Return: true if it went to a channel (vmbus_chan_deliver()), false if it
 * was latched for a relid not yet published.
 */
static bool vmbus_chan_event(u32 relid)
{
	struct vmbus_channel *ch;
	bool delivered = false;

	rcu_read_lock();
	ch = rcu_dereference(vmbus_conn.relid_map[relid]);
	if (!ch) {
		set_bit(relid, vmbus_conn.event_latch);
		/* Pairs with smp_mb() in vmbus_relid_publish(). */
		smp_mb__after_atomic();
		ch = rcu_dereference(vmbus_conn.relid_map[relid]);
		if (!ch || !test_and_clear_bit(relid, vmbus_conn.event_latch)) {
			vmbus_stat_inc(VMBUS_STAT_EVENTS_LATCHED);
			goto out;
		}
	}
	vmbus_chan_deliver(ch);
	delivered = true;
out:
	rcu_read_unlock();
	return delivered;
}

/**
 * vmbus_chan_deliver() - run or schedule a channel's callback for an event
 * @ch: the channel, reachable from the relid map
 *
 * The callback tasklet never runs twice at once, and scheduling it while it
 * runs makes it run again, so an event during the callback is not lost.
 *
 * Context: the event half (vmbus_events_irq()), or between
 * vmbus_events_local_begin() and vmbus_events_local_end().
 */
static void vmbus_chan_deliver(struct vmbus_channel *ch)
{
	void (*cb)(void *context);

	/*
	 * sched_lock pairs with vmbus_reset_cb() in channel.c: once close
	 * cleared the callback, no ISR calls it or touches the rings it is
	 * about to free.  It also serializes the channel's event count, which
	 * ISRs on several CPUs may update (the channel was moved), and the
	 * HV_CALL_ISR callback itself.  A spinlock_t: the callback under it
	 * may take one (on PREEMPT_RT this runs in a thread,
	 * vmbus_events_irq()).  The count is the struct's own interrupts
	 * field, which shares the lock's cache line with the callback, its
	 * context and mode: with thousands of channels each event touches as
	 * few lines as can be.
	 */
	spin_lock(&ch->sched_lock);
	WRITE_ONCE(ch->interrupts, ch->interrupts + 1);
	/* A rescinded channel's host side is gone: nothing to read. */
	if (READ_ONCE(ch->rescind)) {
		vmbus_stat_inc(VMBUS_STAT_EVENTS_DROPPED);
		goto out;
	}
	cb = READ_ONCE(ch->onchannel_callback);
	if (!cb)
		goto out;
	switch (ch->callback_mode) {
	case HV_CALL_ISR:
		cb(ch->channel_callback_context);
		break;
	case HV_CALL_BATCHED:
		/* Masked until the tasklet drained the ring: hv_end_read(). */
		hv_begin_read(&ch->inbound);
		fallthrough;
	case HV_CALL_DIRECT:
		tasklet_schedule(&ch->callback_event);
	}
out:
	spin_unlock(&ch->sched_lock);
}

/**
 * vmbus_on_event() - the channel's callback tasklet
 * @t: the channel's callback_event, set up by vmbus_chan_alloc() in
 *	channel_mgmt.c
 *
 * In batched mode the ISR masked the inbound ring's
 * interrupt before scheduling it; after the callback drained the ring,
 * hv_end_read() unmasks, issues a full barrier and looks again, so a packet
 * that arrived while masked (the host did not signal it) is not left behind.
 * A tasklet scheduled while running is run once more, so an event during
 * the callback is not lost either.
 *
 * Context: softirq (tasklet).
 */
void vmbus_on_event(struct tasklet_struct *t)
{
	struct vmbus_channel *ch = from_tasklet(ch, t, callback_event);
	unsigned long deadline = jiffies + 2;
	void (*cb)(void *context);

	do {
		cb = READ_ONCE(ch->onchannel_callback);
		if (!cb)
			return;
		cb(ch->channel_callback_context);
		if (ch->callback_mode != HV_CALL_BATCHED || !ch->inbound.ring_buffer)
			return;
		/* No barrier debt of hv_ringbuffer_read() outlives the callback. */
		vmbus_ring_settle(ch);
		/* A broken ring's indices mean nothing: do not spin on them. */
		if (test_bit(VMBUS_CHAN_BROKEN, &to_vmbus_chan(ch)->flags))
			return;
		if (!hv_end_read(&ch->inbound))
			return;
		hv_begin_read(&ch->inbound);
	} while (time_before(jiffies, deadline));
	/* Still busy: let other tasklets run, come back (still masked). */
	tasklet_schedule(&ch->callback_event);
}

/*
 * The relid map.
 *
 * Publication (an offer): vmbus_relid_publish() stores the channel in
 * relid_map[relid] with release semantics and then issues a full barrier,
 * before the offer's add_channel_work is queued.  The argument that the ISR
 * never sees a half-built channel:
 *  1. the channel is fully initialized before the store (release);
 *  2. the full barrier makes the store visible to every CPU before the add
 *     work is queued, so before any driver can open the channel;
 *  3. the host signals only open channels (an early event from a hostile
 *     host is covered by the latch below);
 *  4. the ISR's sync_test_and_clear_bit() on the event page is a full
 *     barrier before its load of relid_map[relid].
 *
 * An event whose relid has no channel mapped is latched in event_latch and
 * delivered when a channel is published at that relid:
 *
 *   initially: relid_map[r] == NULL, latch bit r clear
 *   publisher (message work)          ISR (any CPU)
 *   relid_map[r] = ch                 set latch bit r
 *   smp_mb()                          smp_mb__after_atomic()
 *   if test_and_clear(latch r):       if relid_map[r] != NULL and
 *       deliver                           test_and_clear(latch r): deliver
 *   forbidden: the publisher sees the latch clear and the ISR sees
 *   relid_map[r] == NULL (the event would be lost); the two full barriers
 *   forbid it.  If both see the other, test_and_clear picks one deliverer.
 *
 * Unpublication (rescind): relid_map[r] is cleared, then synchronize_rcu()
 * waits for every ISR that may still hold the channel; only then is the
 * latch bit dropped (those events were for the dead channel), RELID_RELEASED
 * sent (the host may reuse the relid after it) and the channel freed.
 * The full argument: Documentation/virt/hyperv/channels.rst, "Publication:
 * the ISR never sees a half-built channel", "The event latch: events for a
 * relid with no channel" and "Rescind against the ISR"; the litmus tests in
 * Documentation/virt/hyperv/litmus/.
 */

/*
 * A relid above the scan mark: no ISR scanned beyond the mark, so a bit a
 * fast or hostile host set for this relid, or for one between the old mark
 * and it, before this publication is still on some CPU's event page.
 * Raise the mark, then take every bit in (old mark, relid] off every CPU's
 * page into the latch: this relid's is delivered by the publication, the
 * others when their channels are published.
 *
 *   host: set bit r; [full barrier]; interrupt the CPU
 *   ISR:  load scan_mark; scan up to its word
 *   here: store scan_mark = r; smp_mb(); sync_test_and_clear_bit(r)
 *
 * Forbidden: the ISR loads the old mark (and skips r's word) and this
 * test-and-clear finds the bit clear.  The ISR runs after the bit was set
 * (the host orders the bit before the interrupt), so if its load of the
 * mark missed this store, the store-buffering pattern with smp_mb() here
 * makes this test-and-clear see the bit.  Either way one side takes it.
 * Litmus test: Documentation/virt/hyperv/litmus/scan-mark.litmus.
 */
static void vmbus_scan_mark_raise(u32 old, u32 relid)
{
	unsigned long *flags;
	unsigned int cpu;
	u32 r;

	WRITE_ONCE(vmbus_conn.scan_mark, relid);
	/* The mark before the bits: pairs with interrupt entry in the ISR. */
	smp_mb();
	for_each_possible_cpu(cpu) {
		flags = per_cpu_ptr(vmbus_conn.synic, cpu)->event_page[VMBUS_MESSAGE_SINT].flags;
		for (r = old + 1; r <= relid; r++)
			if (test_bit(r, flags) && sync_test_and_clear_bit(r, flags))
				set_bit(r, vmbus_conn.event_latch);
	}
}

/**
 * vmbus_relid_publish() - make a channel reachable from the ISR
 * @ch: a fully initialized channel whose relid slot is empty
 *
 * Context: message work, holds channel_mutex.
 */
void vmbus_relid_publish(struct vmbus_channel *ch)
{
	u32 relid = ch->offermsg.child_relid;

	lockdep_assert_held(&vmbus_connection.channel_mutex);
	if (relid > vmbus_conn.scan_mark)
		vmbus_scan_mark_raise(vmbus_conn.scan_mark, relid);
	rcu_assign_pointer(vmbus_conn.relid_map[relid], ch);
	/* Pairs with smp_mb__after_atomic() in vmbus_chan_event(). */
	smp_mb();
	if (test_and_clear_bit(relid, vmbus_conn.event_latch)) {
		vmbus_events_local_begin();
		vmbus_chan_deliver(ch);
		/* The scan counts its own deliveries; this one is counted here. */
		this_cpu_inc(vmbus_conn.synic->events);
		vmbus_events_local_end();
	}
}

/**
 * vmbus_relid_unpublish() - make a channel unreachable from the ISR
 * @ch: a published channel
 *
 * Returns once no ISR can still use @ch.  Events latched for the relid so
 * far are dropped: they were meant for @ch.  An event-page bit set for @ch
 * but scanned only after this may still be latched and then reach the next
 * channel at this relid as a spurious event; the event page says nothing
 * about which instance a bit was for, and a callback that finds its ring
 * empty simply returns.
 *
 * Context: process context, may sleep; takes channel_mutex.
 */
void vmbus_relid_unpublish(struct vmbus_channel *ch)
{
	u32 relid = ch->offermsg.child_relid;
	bool mapped;

	mutex_lock(&vmbus_connection.channel_mutex);
	mapped = rcu_access_pointer(vmbus_conn.relid_map[relid]) == ch;
	if (mapped)
		RCU_INIT_POINTER(vmbus_conn.relid_map[relid], NULL);
	mutex_unlock(&vmbus_connection.channel_mutex);
	/*
	 * Every ISR that loaded @ch from the map has returned after this.
	 * Expedited: rescinds come in bursts (a host tearing down thousands of
	 * channels) and each waits here on the ordered offer queue.
	 */
	synchronize_rcu_expedited();
	/* Another channel's latch (after a relid move) is not ours to drop. */
	if (mapped)
		clear_bit(relid, vmbus_conn.event_latch);
}

/**
 * vmbus_relid_get() - the channel mapped at a relid
 * @relid: a relid the host sent, not yet validated
 *
 * Context: holds channel_mutex.
 * Return: the channel, or NULL if @relid is out of range or unmapped.
 */
struct vmbus_channel *vmbus_relid_get(u32 relid)
{
	lockdep_assert_held(&vmbus_connection.channel_mutex);
	if (relid == 0 || relid > VMBUS_MAX_RELID)
		return NULL;
	return rcu_dereference_protected(vmbus_conn.relid_map[relid],
					 lockdep_is_held(&vmbus_connection.channel_mutex));
}

/**
 * vmbus_events_scan_local() - take this CPU's event bits, SynIC on or off
 *
 * For CPU hotplug (vmbus_drv.c): after the SynIC of this CPU was disabled
 * the host writes nothing more to its page, so one scan then delivers
 * every bit the host set before; and once more when the CPU is back.
 *
 * Context: process context pinned to the CPU (a hotplug callback); takes
 * the bits in the event half's context (vmbus_events_local_begin()), and
 * runs the softirqs that raised (channel tasklets) when bottom halves are
 * enabled again.
 */
void vmbus_events_scan_local(void)
{
	vmbus_events_local_begin();
	vmbus_events_take(this_cpu_ptr(vmbus_conn.synic));
	vmbus_events_local_end();
}

/* An IPI that does what an interrupt on this CPU would. */
static void vmbus_events_rescan(void *arg)
{
	struct vmbus_synic *s = this_cpu_ptr(vmbus_conn.synic);

	if (READ_ONCE(s->enabled))
		vmbus_events_irq(s);
}

/**
 * vmbus_events_release() - the fix-up count reached 0: scan every event page
 *
 * Every ISR that runs after the count reached 0 scans its page; one that
 * read the count before and left its page alone ran on a CPU that this
 * scan reaches after it (an IPI, with interrupts off, cannot overtake the
 * ISR on that CPU).  So every bit set during the hold-off is taken.
 *
 * Context: process context, may sleep.
 */
void vmbus_events_release(void)
{
	cpus_read_lock();
	on_each_cpu(vmbus_events_rescan, NULL, 1);
	cpus_read_unlock();
}

/* The message half of the ISR. */

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
 * re-harvest IPI) under the CPU's msg_lock, so it is the ring's only
 * producer.
 */
static bool vmbus_msg_harvest(struct vmbus_synic *s)
{
	struct hv_message *slot = &s->msg_page->sint_message[VMBUS_MESSAGE_SINT];
	struct vmbus_msg_ring *r = &s->ring;
	bool copied = false;
	unsigned int head;

	lockdep_assert_held(&s->msg_lock);
	while (READ_ONCE(slot->header.message_type) != HVMSG_NONE) {
		head = r->head;
		/* Pairs with the release of the tail in vmbus_msg_work() (channel_mgmt.c). */
		if (head - smp_load_acquire(&r->tail) == VMBUS_MSG_RING_SIZE) {
			WRITE_ONCE(s->stalled, true);
			break;
		}
		/* The type is read before the body: pairs with the host's write. */
		virt_rmb();
		memcpy(&r->msgs[head % VMBUS_MSG_RING_SIZE], slot, sizeof(*slot));
		/* Pairs with the acquire of the head in vmbus_msg_work() (channel_mgmt.c). */
		smp_store_release(&r->head, head + 1);
		vmbus_slot_free(slot);
		copied = true;
	}
	return copied;
}

/*
 * Is @msg an UNLOAD_RESPONSE?  Its SynIC type, size and channel message
 * type come from the host.
 */
static bool vmbus_msg_is_unload_response(const struct hv_message *msg)
{
	const struct vmbus_channel_message_header *hdr = (void *)msg->u.payload;

	return READ_ONCE(msg->header.message_type) == VMBUS_HV_MSG_TYPE_CHANNEL &&
	       READ_ONCE(msg->header.payload_size) >= sizeof(*hdr) &&
	       READ_ONCE(hdr->msgtype) == CHANNELMSG_UNLOAD_RESPONSE;
}

/**
 * vmbus_msg_poll_unload() - the crash path's look at one CPU's messages
 * @s: the CPU's SynIC state
 * @locked: the caller holds @s->msg_lock
 *
 * Takes every message the ISR copied into the ring and the message work
 * has not taken, then every message in the slot, freeing it (EOM on the
 * current CPU if the host marked another message pending).  Only
 * UNLOAD_RESPONSE matters now; the rest is dropped, the connection is
 * ending.  Without @locked the ring is left alone (its producer or
 * consumer was stopped halfway) and only the slot is read.  A host that
 * refills the slot at once is read at most %VMBUS_MSG_RING_SIZE times.
 *
 * Context: interrupts off, any CPU; vmbus_conn.crash_unload is set, so no
 * ISR or message work that takes @s->msg_lock after the caller touches the
 * slot or the ring.
 * Return: true if an UNLOAD_RESPONSE was among the messages.
 */
bool vmbus_msg_poll_unload(struct vmbus_synic *s, bool locked)
{
	struct hv_message *slot = &s->msg_page->sint_message[VMBUS_MESSAGE_SINT];
	struct vmbus_msg_ring *r = &s->ring;
	unsigned int tail, n;
	bool found = false;

	if (locked) {
		lockdep_assert_held(&s->msg_lock);
		/* Pairs with the release of the head in vmbus_msg_harvest(). */
		for (tail = r->tail; tail != smp_load_acquire(&r->head); tail++)
			found |= vmbus_msg_is_unload_response(&r->msgs[tail % VMBUS_MSG_RING_SIZE]);
		/* Pairs with the acquire of the tail in vmbus_msg_harvest(). */
		smp_store_release(&r->tail, tail);
		WRITE_ONCE(s->stalled, false);
	}
	for (n = 0; n < VMBUS_MSG_RING_SIZE; n++) {
		if (READ_ONCE(slot->header.message_type) == HVMSG_NONE)
			break;
		/* The type is read before the body: pairs with the host's write. */
		virt_rmb();
		found |= vmbus_msg_is_unload_response(slot);
		vmbus_slot_free(slot);
	}
	return found;
}
