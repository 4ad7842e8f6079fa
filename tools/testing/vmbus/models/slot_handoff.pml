/* SPDX-License-Identifier: GPL-2.0 */
/*
 * slot_handoff.pml - the SynIC message slot between the host and the
 * guest's ISR, with msg_pending / EOM and the guest's per-CPU ring
 * (drivers/hv/vmbus_event.c: vmbus_msg_harvest(), vmbus_slot_free();
 * channel_mgmt.c: vmbus_msg_work(); the host side as
 * drivers/hv/sim/sim_msg.c and sim_synic.c do it, which is what Hyper-V
 * does).
 *
 * Processes and the code they stand for:
 *   host      sim_msg_send() of NMSG messages: queue, then deliver into the
 *             slot what it takes (sim_out_deliver() -> sim_synic_post()):
 *             a free slot is filled and the interrupt raised; a busy slot
 *             gets msg_pending, a full barrier and a second look.
 *   isr       vmbus_isr() on the connect CPU: harvest the slot into the
 *             ring while it holds a message - copy, free the slot, full
 *             barrier, EOM if msg_pending - stalling when the ring is full;
 *             queue the message work.  EOM runs the host's delivery
 *             (sim_msg_eom()) on this CPU, at once or - eom_delay_us mode -
 *             from a timer.
 *   work      vmbus_msg_work(): dispatch the ring in order, then re-harvest
 *             a stalled slot on the connect CPU with interrupts off.  It runs
 *             on the connect CPU, so it never runs while the ISR does.
 *   eom_timer the host's delayed delivery after an EOM.
 *   quiescent runs when nothing else can move and checks the end state.
 *
 * Promela is sequentially consistent; the code gets that for the slot
 * hand-off from the two full barriers (the store-buffering pattern of
 * Documentation/virt/hyperv/litmus/slot-handoff.litmus), and for the body
 * from write / read barriers around the message type (slot-body.litmus).
 *
 * Properties:
 *   - messages are dispatched in the order sent, none twice, none skipped
 *     (assertion at each dispatch);
 *   - every message is dispatched: in the end state all NMSG are, and no
 *     process is stuck outside an end state (a message left waiting forever
 *     for an EOM that never comes is an invalid end state or fails the end
 *     check); the ltl formula says the same as a liveness property.
 *
 * Mutants (spin -D...; run.sh runs them and requires a violation):
 *   NO_GUEST_MB   the guest may read msg_pending before its free of the slot
 *                 is visible (no virt_mb() in vmbus_slot_free()): the host
 *                 sees the slot busy, the guest sees no msg_pending, and the
 *                 next message waits forever.
 *   NO_REHARVEST  the message work does not re-harvest a slot left behind by
 *                 a full ring: that message waits forever.
 */

/* run.sh: mutants NO_GUEST_MB NO_REHARVEST */

#define NMSG	3	/* messages the host sends, numbered 1..NMSG */
#define RING	1	/* entries of the guest's ring; 1 makes it stall */

byte slot;		/* message_type of the slot: 0 is HVMSG_NONE, else the message */
bit msg_pending;	/* message_flags.msg_pending of the slot */

/* Host (sim_msg.c), under out_lock. */
bit out_lock;
byte queued;		/* messages the host has queued, 1..queued */
byte next = 1;		/* the oldest message not yet put into the slot */
bit eom_wait;		/* a delivery after EOM waits for the timer */
bit timer_armed;

/* Guest, connect CPU. */
bit irq;		/* interrupt pending */
bit irqs_off;		/* the ISR or the re-harvest runs: the work cannot */
byte ring[RING];
byte head;
byte tail;
bit stalled;		/* a message was left in the slot: the ring was full */
bit work_pending;	/* the message work is queued */
byte dispatched;	/* the last message dispatched */

ltl all_dispatched { <> (dispatched == NMSG) }

inline lock(m)
{
	atomic { m == 0 -> m = 1 }
}

inline unlock(m)
{
	m = 0
}

/* sim_slot_fill(): flags cleared, body, virt_wmb(), type; then raise. */
inline fill()
{
	msg_pending = 0;
	atomic { slot = next; next++; irq = 1 }
}

/* sim_out_deliver(), under out_lock. */
inline out_deliver(t)
{
	do
	:: eom_wait || next > queued -> break
	:: else ->
		t = slot;
		if
		:: t == 0 -> fill()
		:: else ->
			/* sim_slot_freed(): ask for an EOM, virt_mb(), look again */
			msg_pending = 1;
			t = slot;
			if
			:: t == 0 -> fill()
			:: else -> break
			fi
		fi
	od;
	t = 0
}

/* sim_msg_eom(), called by the guest on the connect CPU. */
inline eom(t)
{
	lock(out_lock);
	if
	:: !eom_wait && next <= queued ->
		if
		:: out_deliver(t)
		:: eom_wait = 1; timer_armed = 1	/* eom_delay_us mode */
		fi
	:: else
	fi;
	unlock(out_lock)
}

/* vmbus_msg_harvest() with vmbus_slot_free(); interrupts are off. */
inline harvest(m, p, copied)
{
	do
	:: m = slot;
		if
		:: m == 0 -> break
		:: else
		fi;
		if
		:: head - tail == RING -> stalled = 1; break
		:: else
		fi;
		/* virt_rmb(); copy; smp_store_release(head) */
		atomic { ring[head % RING] = m; head++ };
#ifdef NO_GUEST_MB
		if
		:: p = msg_pending; slot = 0
		:: slot = 0; p = msg_pending
		fi;
#else
		slot = 0;
		/* virt_mb(): pairs with the host's in sim_slot_freed() */
		p = msg_pending;
#endif
		if
		:: p -> eom(m)
		:: else
		fi;
		p = 0;
		copied = 1
	od;
	m = 0;
	if
	:: copied -> work_pending = 1	/* queue_work_on() */
	:: else
	fi;
	copied = 0
}

active proctype host()
{
	byte t;

	do
	:: queued < NMSG ->
		lock(out_lock);
		queued++;
		out_deliver(t);
		unlock(out_lock)
	:: else -> break
	od
}

active proctype eom_timer()
{
	byte t;

end:
	do
	:: timer_armed ->
		lock(out_lock);
		timer_armed = 0;
		eom_wait = 0;
		out_deliver(t);
		unlock(out_lock)
	od
}

active proctype isr()
{
	byte m;
	bit p;
	bit copied;

end:
	do
	:: atomic { irq && !irqs_off -> irq = 0; irqs_off = 1 }
		harvest(m, p, copied);
		irqs_off = 0
	od
}

active proctype work()
{
	byte m;
	bit p;
	bit copied;

end:
	do
	:: atomic { work_pending && !irqs_off -> work_pending = 0 }
		do
		:: atomic {
			!irqs_off && tail != head ->
			m = ring[tail % RING];
			/* in order, none lost, none twice */
			assert(m == dispatched + 1);
			dispatched = m;
			ring[tail % RING] = 0;
			tail++;
			m = 0
		   }
		:: atomic { !irqs_off && tail == head -> break }
		od;
#ifndef NO_REHARVEST
		if
		:: atomic { !irqs_off && stalled -> stalled = 0 }
			/* smp_call_function_single() to this CPU */
			atomic { !irqs_off -> irqs_off = 1 };
			harvest(m, p, copied);
			irqs_off = 0
		:: atomic { !irqs_off && !stalled -> skip }
		fi
#endif
	od
}

active proctype quiescent()
{
	timeout ->
	assert(queued == NMSG && dispatched == NMSG && head == tail)
}
