/* SPDX-License-Identifier: GPL-2.0 */
/*
 * rescind_isr.pml - offer, rescind and re-offer of one relid against the
 * ISRs of two CPUs (drivers/hv/vmbus_event.c, channel_mgmt.c).
 *
 * Processes and the code they stand for:
 *   host          offers the relid, sets its event bit on either CPU's event
 *                 page at any time (also before the guest has mapped the
 *                 relid, and after a rescind: a fast or hostile host),
 *                 rescinds (sometimes twice), waits for RELID_RELEASED and
 *                 may offer the relid again (a second channel instance).
 *   msg_work      vmbus_on_offer() (allocate, vmbus_relid_publish(), queue
 *                 the add work) and vmbus_on_rescind() (mark, queue the
 *                 rescind work; a duplicate is ignored).
 *   offer_worker  the ordered offer_wq: add work, and vmbus_rescind_work() ->
 *                 vmbus_chan_destroy(): vmbus_relid_unpublish() (clear the
 *                 map entry, synchronize_rcu(), drop the latch), send
 *                 RELID_RELEASED once, free.
 *   isr(c)        vmbus_event_scan() + vmbus_chan_event() on CPU c: atomic
 *                 test-and-clear of the event bit, load of the map, the latch
 *                 protocol, and delivery (vmbus_chan_deliver(), which here
 *                 only counts the event for that channel instance).
 *   quiescent     runs when nothing else can move and checks the end state.
 *
 * Promela is sequentially consistent.  The code gets that for the steps
 * modelled here from its barriers, listed where each step is modelled; the
 * litmus tests in Documentation/virt/hyperv/litmus/ check those barriers.
 * The latch protocol is modelled step by step (load, set, re-check,
 * test-and-clear), because its correctness is the interleaving of those
 * steps with the publisher's store and test-and-clear.
 *
 * Properties:
 *   - no ISR (and no publisher) delivers to a freed or uninitialized
 *     channel instance (assertion in deliver());
 *   - no lost event: an event the host set while it had a channel instance
 *     offered and not rescinded - mapped already, or not yet mapped because
 *     the guest has not processed the offer - is followed by a delivery to
 *     that instance, unless the host rescinds the instance (then the event
 *     may be dropped).  owed[k] is set when the host sets the bit and
 *     cleared by any delivery to k after that; the end state must have it
 *     clear for every instance that was not rescinded, and the ltl formula
 *     no_lost_event says that it is cleared eventually unless k is
 *     rescinded.  (A delivery stands for vmbus_chan_deliver(): counted,
 *     whether or not a callback then runs.)
 *   - RELID_RELEASED is sent at most once per instance (assertion at the
 *     send) and exactly once per rescinded instance (end state);
 *   - every rescinded instance is freed, and no process is stuck outside an
 *     end state (spin's invalid-end-state check).
 *
 * Mutants (spin -D...; run.sh runs them and requires a violation):
 *   NO_RECHECK       the ISR latches and returns without re-reading the map:
 *                    an early event is latched after the publisher looked at
 *                    the latch and is never delivered (lost event).
 *   NO_MB            the re-check may return the value of the first load, as
 *                    it may without smp_mb__after_atomic() (lost event).
 *   NO_GRACE_PERIOD  the rescind work frees without synchronize_rcu(): an ISR
 *                    that loaded the map before the unpublish uses the freed
 *                    channel.
 */

/* run.sh: mutants NO_RECHECK NO_MB NO_GRACE_PERIOD */

#define NINST	2	/* channel instances offered at the relid, in turn */
#define NEV	2	/* events the host sets in all */
#define NCPU	2	/* CPUs whose ISR scans its own event page */

mtype = { OFFER, RESCIND, ADD, RESCIND_WORK };

chan msgq = [3] of { mtype };		/* host -> message work, in order */
chan offer_wq = [2] of { mtype, byte };	/* ordered workqueue: work, instance */

byte map;		/* relid_map[relid]: 0 is NULL, else the instance */
bit latch;		/* bit relid of event_latch */
bit mutex;		/* channel_mutex */
bit evbit[NCPU];	/* bit relid of each CPU's event page (SINT 2) */
bit irq[NCPU];		/* the CPU has an interrupt pending */
bit in_rcu[NCPU];	/* the CPU's ISR is in its RCU read-side section */
bit gp_wait[NCPU];	/* synchronize_rcu() waits for the CPU's ISR to exit */

/* Guest state of each channel instance, 1..NINST (0 is unused). */
byte ginst;			/* instances the guest has allocated */
bit inited[NINST + 1];		/* allocated and initialized */
bit rescinded[NINST + 1];	/* vc->rescinded */
bit freed[NINST + 1];		/* the last reference is gone */
byte released[NINST + 1];	/* RELID_RELEASED messages sent for it */

/* Host bookkeeping. */
byte host_live;			/* instance offered and not rescinded, or 0 */
bit host_rescinded[NINST + 1];
bit owed[NINST + 1];		/* an event set for it not yet followed by a delivery */
byte events_set;

/* The end-state check below, as a liveness property. */
ltl no_lost_event {
	[] ((owed[1] -> <> (!owed[1] || host_rescinded[1])) &&
	    (owed[2] -> <> (!owed[2] || host_rescinded[2])))
}

inline lock(m)
{
	atomic { m == 0 -> m = 1 }
}

inline unlock(m)
{
	m = 0
}

/* vmbus_chan_deliver(): the channel is dereferenced here. */
inline deliver(k)
{
	d_step {
		assert(k != 0 && inited[k] && !freed[k]);
		owed[k] = 0
	}
}

/*
 * synchronize_rcu(): waits for every ISR that was inside its read-side
 * section when the grace period started; ISRs that start later are not
 * waited for (they cannot find what was unpublished before).
 */
inline synchronize_rcu(i)
{
	d_step {
		i = 0;
		do
		:: i < NCPU -> gp_wait[i] = in_rcu[i]; i++
		:: else -> break
		od;
		i = 0
	}
	do
	:: i < NCPU -> gp_wait[i] == 0; i++
	:: else -> i = 0; break
	od
}

active proctype host()
{
	byte k = 1;
	byte c;

	atomic { msgq!OFFER; host_live = k };
	do
	:: events_set < NEV ->
		/* Event bit of the relid on CPU c; interrupt on 0 -> 1 only. */
		if
		:: c = 0
		:: c = 1
		fi;
		atomic {
			events_set++;
			if
			:: host_live != 0 -> owed[host_live] = 1
			:: else
			fi;
			if
			:: !evbit[c] -> evbit[c] = 1; irq[c] = 1
			:: else
			fi;
			c = 0
		}
	:: host_live != 0 ->
		atomic { msgq!RESCIND; host_rescinded[k] = 1; host_live = 0 };
		if
		:: msgq!RESCIND		/* duplicate rescind: a hostile host */
		:: skip
		fi
	:: host_rescinded[k] && released[k] != 0 && k < NINST ->
		/* The relid is free again: offer a new instance at it. */
		k++;
		atomic { msgq!OFFER; host_live = k }
	:: !host_rescinded[k] || released[k] != 0 ->
		/* Stop; a rescinded relid is waited for until released. */
		break
	od
}

active proctype msg_work()
{
	byte ch;

end:
	do
	:: msgq?OFFER ->
		lock(mutex);
		/* vmbus_offer_invalid(): the host waits for RELID_RELEASED. */
		assert(map == 0);
		ginst++;
		inited[ginst] = 1;
		/* rcu_assign_pointer(); smp_mb() (pairs with the ISR's
		 * smp_mb__after_atomic()) */
		map = ginst;
		/* test_and_clear_bit(latch): an early event is delivered now */
		atomic {
			if
			:: latch -> latch = 0; deliver(ginst)
			:: else
			fi
		}
		unlock(mutex);
		offer_wq!ADD,ginst
	:: msgq?RESCIND ->
		lock(mutex);
		ch = map;
		if
		:: ch != 0 && !rescinded[ch] ->
			rescinded[ch] = 1;
			unlock(mutex);
			offer_wq!RESCIND_WORK,ch
		:: else ->
			/* unknown relid, or a duplicate rescind: ignored */
			unlock(mutex)
		fi;
		ch = 0
	od
}

active proctype offer_worker()
{
	byte k;
	byte i;

end:
	do
	:: offer_wq?ADD,k ->
		/* device registration: nothing the ISR sees */
		k = 0
	:: offer_wq?RESCIND_WORK,k ->
		/* vmbus_relid_unpublish() */
		lock(mutex);
		if
		:: map == k -> map = 0
		:: else
		fi;
		unlock(mutex);
#ifndef NO_GRACE_PERIOD
		synchronize_rcu(i);
#endif
		latch = 0;	/* clear_bit(): events latched for k are dropped */
		/* tasklet_kill(), list_del(); then RELID_RELEASED, once */
		assert(released[k] == 0);
		released[k]++;
		freed[k] = 1;	/* vmbus_chan_put(): the last reference */
		k = 0
	od
}

/* vmbus_chan_event(): the event bit was cleared with a full barrier. */
inline chan_event(ch)
{
	ch = map;			/* rcu_dereference() */
	if
	:: ch == 0 ->
		latch = 1;		/* set_bit() */
#if defined(NO_RECHECK)
		skip
#elif defined(NO_MB)
		/* no smp_mb__after_atomic(): the load may pass the set_bit() */
		if
		:: ch = map
		:: ch = 0
		fi;
#else
		ch = map;		/* smp_mb__after_atomic(); the re-check */
#endif
#ifndef NO_RECHECK
		if
		:: ch != 0 ->
			/* test_and_clear_bit(): one of us two delivers */
			atomic {
				if
				:: latch -> latch = 0
				:: else -> ch = 0
				fi
			}
		:: else
		fi
#endif
	:: else
	fi;
	if
	:: ch != 0 -> deliver(ch)
	:: else
	fi
}

proctype isr(byte c)
{
	byte ch;
	bit got;

end:
	do
	:: atomic { irq[c] -> irq[c] = 0; in_rcu[c] = 1 }
		/* sync_test_and_clear_bit() on the event page */
		atomic { got = evbit[c]; evbit[c] = 0 };
		if
		:: got -> chan_event(ch)
		:: else
		fi;
		atomic { in_rcu[c] = 0; gp_wait[c] = 0; got = 0; ch = 0 }
	od
}

init
{
	atomic {
		run isr(0);
		run isr(1)
	}
}

active proctype quiescent()
{
	byte k = 1;

	timeout ->
	do
	:: k <= NINST ->
		/* no lost event */
		assert(host_rescinded[k] || !owed[k]);
		/* RELID_RELEASED exactly once per rescinded instance */
		assert(released[k] == host_rescinded[k]);
		assert(freed[k] == host_rescinded[k]);
		k++
	:: else -> break
	od;
	assert(map == 0 || !freed[map])
}
