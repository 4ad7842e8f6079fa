/* SPDX-License-Identifier: GPL-2.0 */
/*
 * crash_unload.pml - the crash path's poller against the ISR and the
 * message work of another CPU, over that CPU's SynIC message slot and
 * per-CPU ring (drivers/hv/vmbus_crash.c: vmbus_unload_atomic(),
 * vmbus_crash_poll_cpu(); vmbus_event.c: vmbus_isr(), vmbus_msg_harvest(),
 * vmbus_msg_poll_unload(); channel_mgmt.c: vmbus_msg_work()).
 *
 * Processes and the code they stand for:
 *   host      sends NMSG ordinary messages and, once the guest posted
 *             UNLOAD, the UNLOAD_RESPONSE (message RESP), one at a time
 *             into the slot of the connect CPU: it waits for the slot to be
 *             free and raises the interrupt (msg_pending and EOM are
 *             slot_handoff.pml's subject and left out here).
 *   isr       vmbus_isr() on the connect CPU: under msg_lock, unless
 *             crash_unload is set, copies the slot into the ring and frees
 *             the slot; then queues the work.
 *   work      vmbus_msg_work() on the connect CPU: under msg_lock, unless
 *             crash_unload is set, takes one entry off the ring (copy, then
 *             the tail); dispatches it outside the lock.
 *   poller    vmbus_unload_atomic() on another CPU: sets crash_unload,
 *             posts UNLOAD, then polls: with msg_lock taken by a trylock
 *             (a failed try is simply retried later), takes every ring entry
 *             from the tail to the head, moves the tail, then takes the
 *             slot and frees it; until it saw RESP.
 *   quiescent runs when nothing else can move and checks the end state.
 *
 * The ring's indices are read and written in separate steps, as the code
 * does; Promela is sequentially consistent, which the code gets from the
 * lock (and from the acquire / release pairs of the ring, which the lock
 * makes redundant on these paths).
 *
 * The fallback for a CPU stopped while holding msg_lock (read its slot
 * without the lock after VMBUS_CRASH_LOCK_MS) is not modelled: it assumes
 * that a running CPU never holds the lock that long.
 *
 * Properties:
 *   - every message is consumed (dispatched by the work, or taken by the
 *     poller) at most once (assertion at each consumption);
 *   - the work never dispatches RESP: once the poller started, the ring
 *     and the slot are its own;
 *   - in the end state the poller saw RESP and every message the host sent
 *     was consumed exactly once, none left in the ring or the slot.
 *
 * Mutants (spin -D...; run.sh runs them and requires a violation):
 *   NO_TRYLOCK  the poller reads the ring and the slot without msg_lock:
 *               it and the work take the same ring entry (consumed twice),
 *               or it frees a slot the ISR is copying.
 *   NO_FLAG     the ISR and the work do not look at crash_unload: the work
 *               dispatches RESP, which the poller then never sees.
 */

/* run.sh: mutants NO_TRYLOCK NO_FLAG */

#define NMSG	2		/* ordinary messages, numbered 1..NMSG */
#define RESP	(NMSG + 1)	/* the UNLOAD_RESPONSE */
#define RING	2		/* entries of the ring */

byte slot;		/* 0: free (HVMSG_NONE); else the message */
bit irq;		/* the connect CPU's interrupt is pending */
bit work_pending;
bit msg_lock;
bit crash_unload;
bit unload_posted;
bit found;		/* the poller saw RESP */
byte ring[RING];
byte head;
byte tail;
byte consumed[RESP + 1];	/* times each message was consumed */

inline lock(l)
{
	atomic { l == 0 -> l = 1 }
}

inline unlock(l)
{
	l = 0
}

inline consume(m)
{
	assert(consumed[m] == 0);
	consumed[m]++
}

active proctype host()
{
	byte next = 1;

	do
	:: next <= NMSG || (next == RESP && unload_posted) ->
		atomic { slot == 0 -> slot = next; irq = 1 };
		next++
	:: next > RESP -> break
	od
}

active proctype isr()
{
	byte m;

end:
	do
	:: atomic { irq -> irq = 0 };
		lock(msg_lock);
#ifndef NO_FLAG
		if
		:: crash_unload -> goto out
		:: else
		fi;
#endif
		do
		:: m = slot;
			if
			:: m == 0 -> break
			:: head - tail == RING -> break	/* stalled: out of scope */
			:: else
			fi;
			ring[head % RING] = m;
			head++;
			slot = 0
		od;
		work_pending = 1;
out:
		unlock(msg_lock);
		m = 0
	od
}

active proctype work()
{
	byte m;

end:
	do
	:: atomic { work_pending -> work_pending = 0 };
		do
		:: lock(msg_lock);
			if
#ifndef NO_FLAG
			:: crash_unload -> unlock(msg_lock); break
#endif
			:: tail == head -> unlock(msg_lock); break
			:: else
			fi;
			m = ring[tail % RING];
			tail++;
			unlock(msg_lock);
			/* vmbus_msg_dispatch() */
			assert(m != RESP);
			consume(m);
			m = 0
		od
	od
}

active proctype poller()
{
	byte t, m;

	crash_unload = 1;
	unload_posted = 1;
	do
	:: found -> break
	:: else ->
#ifndef NO_TRYLOCK
		if
		:: atomic { msg_lock == 0 -> msg_lock = 1 }
		:: atomic { msg_lock == 1 -> skip }; goto retry	/* trylock failed */
		fi;
#endif
		t = tail;
		do
		:: t != head ->
			m = ring[t % RING];
			consume(m);
			if
			:: m == RESP -> found = 1
			:: else
			fi;
			t++
		:: else -> break
		od;
		tail = t;
		m = slot;
		if
		:: m != 0 ->
			consume(m);
			if
			:: m == RESP -> found = 1
			:: else
			fi;
			slot = 0
		:: else
		fi;
#ifndef NO_TRYLOCK
		unlock(msg_lock);
#endif
retry:
		m = 0
	od
}

active proctype quiescent()
{
	byte i;

	timeout ->
	assert(found && slot == 0);
	for (i : 1 .. RESP) {
		assert(consumed[i] == 1)
	}
}
