/* SPDX-License-Identifier: GPL-2.0 */
/*
 * resume_fixup.pml - hibernation resume: the host's re-offers move the
 * suspended channels to new relids while the ISRs of two CPUs are held off,
 * late rescinds and a hot-added device race the fix-ups and the release of
 * the ISRs (drivers/hv/channel_mgmt.c, vmbus_event.c, vmbus_drv.c).
 *
 * Start: vmbus_channels_suspend() has run (two channels, A at relid 1 and
 * B at relid 2, marked for a fix-up and unmapped; the latch empty; the
 * count of outstanding fix-ups 2 + 1), UNLOAD was sent, vmbus_bus_resume()
 * reconnected and vmbus_channels_resume_begin() set "resuming"; the
 * REQUEST_OFFERS is out.  A bit the host set for relid 1 before the
 * suspend may still be on CPU 0's event page (its interrupt was taken by
 * an ISR that left the page alone): an event for an old relid.
 *
 * Processes and the code they stand for:
 *   host          the simulated host after reconnect: gives A, B and a new
 *                 device D the relids 1..3 - the same (A 1, B 2, D 3),
 *                 swapped (A 2, B 1), or rotated (A 3, B 1, D 2: A moves
 *                 to a relid nobody had, D gets B's old one); offers A and
 *                 B (either order; a device it does not offer is one that
 *                 went away, or was rescinded during the suspend), then
 *                 ALLOFFERS_DELIVERED; hot-adds D at any time, before or
 *                 after ALLOFFERS.  In the step that queues an offer it may
 *                 set the new relid's event bit on either CPU (the earliest
 *                 event there can be: the guest has not seen the offer),
 *                 and once more at any later time for any offered and not
 *                 rescinded instance; the interrupt is raised on a 0 -> 1
 *                 transition only.  It rescinds one offered instance at
 *                 any time after its offer, or none.
 *   msg_work      vmbus_on_offer() -> vmbus_chan_fixup() (a re-offer of a
 *                 marked channel: new relid, vmbus_relid_publish(),
 *                 atomic_dec() of the count) or a new channel (D);
 *                 vmbus_on_rescind(); vmbus_on_alloffers() (complete()).
 *   resume        the rest of vmbus_bus_resume(): the wait for
 *                 ALLOFFERS_DELIVERED, then vmbus_channels_resume_end():
 *                 "resuming" off, a channel still marked is queued for
 *                 removal (released set: the host forgot its relid),
 *                 atomic_sub_and_test(gone + 1) and, if it reached 0,
 *                 vmbus_events_release() (on_each_cpu(), waiting).
 *   rescind_work  the ordered offer_wq running vmbus_rescind_work() ->
 *                 vmbus_chan_destroy(): vmbus_relid_unpublish() (clear
 *                 the map entry only if it still holds this channel,
 *                 synchronize_rcu(), drop the latch only then), then
 *                 RELID_RELEASED unless released, then the free.
 *   isr(c)        CPU c: vmbus_isr() (atomic_read() of the count; the
 *                 event scan only if it is 0) and vmbus_events_rescan()
 *                 (the IPI of the release: scan unconditionally).  Both run
 *                 with interrupts off on CPU c, so one CPU runs one at a
 *                 time; both are RCU readers.  The scan is
 *                 vmbus_event_scan(): sync_test_and_clear_bit() of each
 *                 set relid's bit, then vmbus_chan_event(): load of the
 *                 map, and for NULL the latch protocol (set, re-check,
 *                 test-and-clear), then vmbus_chan_deliver(), which here
 *                 counts the event for the channel (deliver()).
 *
 * Steps that no other process can observe in between are merged into one
 * atomic step (each says why); the steps whose interleaving matters stay
 * apart: the ISR's count check and its scan against the count drop and
 * the IPIs, the map load and the delivery against the unpublish and the
 * free, the publisher's map store and its latch check against the ISR's
 * latch protocol.
 *   quiescent     runs when nothing else can move and checks the end state.
 *
 * Promela is sequentially consistent; the orderings the code gets from its
 * barriers are checked by the litmus tests in
 * Documentation/virt/hyperv/litmus/ (relid-publish, event-latch,
 * rescind-rcu, resume-release).  Every execution of this model is finite
 * (the host does a bounded number of things and every guest step consumes
 * a message, a work item, an interrupt, an IPI or a bit), so the end-state
 * checks below cover "eventually".
 *
 * Properties:
 *   - no dispatch to a freed channel, and none to a stale one: deliver(k, r)
 *     for an event scanned (or latched) at relid r asserts that channel k
 *     is allocated, not freed, no longer waiting for its fix-up, and owns
 *     relid r now (relid[k] == r).  The ISR reaches a channel only through
 *     map[r], so a dispatch to a channel that is still at, or has moved
 *     away from, the relid the event was taken at would mean that map[r]
 *     held a channel that does not own r: a slot of the dead connection
 *     left mapped, or a new slot published before the channel moved;
 *   - the hold-off: no event is dispatched while the count is not 0
 *     (assertion in deliver());
 *   - no lost event: owed[k] is set when the host sets an event bit for
 *     instance k while it has k offered and not rescinded (also before the
 *     guest processed the offer, and during the hold-off), and cleared by
 *     any dispatch to k; at the end it must be clear unless the host
 *     rescinded k.  Also no event bit is left on a page, and no latch bit
 *     is left for a relid that has a channel mapped;
 *   - the count reaches 0; every channel the host rescinded or did not
 *     offer again is freed, the others are not; RELID_RELEASED is sent once
 *     per rescinded instance and never for one not offered again;
 *   - no deadlock: no process is stuck outside an end state.
 *
 * Mutants (spin -D...; run.sh runs them and requires a violation):
 *   NO_RESCAN        vmbus_channels_resume_end() drops the count but does
 *                    not scan the event pages: a bit the host set during
 *                    the hold-off raised its only interrupt then, and stays
 *                    on the page (lost event).
 *   NO_HOLDOFF       vmbus_isr() scans whatever the count: an event is
 *                    dispatched during the fix-ups.
 *   NO_HOLD          the suspend counts only the channels, not the resume
 *                    path's own 1 (the code still subtracts gone + 1): the
 *                    last fix-up's atomic_dec() releases the ISRs with no
 *                    scan, and the count then goes below 0 and holds them
 *                    off again for good.
 *   NO_PUBLISH_MB    vmbus_relid_publish() without smp_mb(): its
 *                    test_and_clear_bit() of the latch, which is unordered
 *                    when it finds the bit clear, may read the latch before
 *                    the map store is visible.  An ISR that scans the
 *                    hot-added D's early event then latches it unseen.
 *   NO_MAPPED_CHECK  vmbus_relid_unpublish() clears map[r] and the latch
 *                    without checking that map[r] still holds the channel
 *                    being destroyed: destroying a channel that was not
 *                    offered again empties its old relid, which a moved
 *                    channel now owns.
 */

/* run.sh: mutants NO_RESCAN NO_HOLDOFF NO_HOLD NO_PUBLISH_MB NO_MAPPED_CHECK */

#define NCPU	2	/* CPUs, each with an event page and an ISR */
#define NREL	3	/* relids 1..NREL */
#define NCH	3	/* channels: 1 = A, 2 = B (suspended), 3 = D (hot-added) */
#define NEV	1	/* events the host sets later, in all */

/* Bit r of CPU c's event page (SINT 2). */
#define EV(c, r)	((c) * (NREL + 1) + (r))

mtype = { OFFER, RESCIND, ALLOFFERS };

chan msgq = [5] of { mtype, byte, byte };	/* host -> message work: ch, relid */
chan offer_wq = [3] of { byte };		/* rescind work items, in order */

/* vmbus_conn.fixups: the channels still waiting, plus the path's own 1. */
#ifdef NO_HOLD
short count = 2;
#else
short count = 3;
#endif
bit resuming = 1;	/* vmbus_conn.resuming */
bit alloffers;		/* the completion vmbus_on_alloffers() completes */
bit mutex;		/* channel_mutex */
byte map[NREL + 1];	/* relid_map: 0 is NULL */
bit latch[NREL + 1];	/* event_latch */
bit evbit[NCPU * (NREL + 1)];
bit irq[NCPU];		/* an interrupt is pending on the CPU */
bit ipi[NCPU];		/* vmbus_events_rescan() is queued on the CPU */
bit in_rcu[NCPU];	/* the CPU runs an ISR or the rescan (irqs off) */
bit gp_wait[NCPU];	/* synchronize_rcu() waits for that CPU */

/* Guest state of the channel objects. */
bit inited[NCH + 1];	/* allocated and initialized */
bit fixup[NCH + 1];	/* vc->fixup */
byte relid[NCH + 1];	/* ch->offermsg.child_relid */
bit rescind[NCH + 1];	/* ch->rescind (vc->rescinded for a host rescind) */
bit released[NCH + 1];	/* vc->released */
byte relsent[NCH + 1];	/* RELID_RELEASED messages sent for it */
bit freed[NCH + 1];	/* the last reference is gone */

/* Host bookkeeping. */
byte newrel[NCH + 1];	/* the relid of each device on the new connection */
bit host_offered[NCH + 1];
bit host_live[NCH + 1];	/* offered and not rescinded */
bit host_rescinded[NCH + 1];
bit owed[NCH + 1];	/* an event set for it not yet followed by a dispatch */
byte events_set;

inline lock(m)
{
	atomic { m == 0 -> m = 1 }
}

inline unlock(m)
{
	m = 0
}

/* vmbus_chan_deliver(): the channel is dereferenced here. */
inline deliver(k, r)
{
	d_step {
		assert(k != 0 && inited[k] && !freed[k]);	/* not freed */
		assert(!fixup[k] && relid[k] == r);		/* not stale */
		assert(count == 0);				/* held off */
		owed[k] = 0
	}
}

/*
 * synchronize_rcu(), started in the step that emptied the map entry: it
 * waits for the CPUs that were inside an ISR or the rescan then; an ISR
 * that starts later cannot find the channel.
 */
inline gp_start()
{
	gp_wait[0] = in_rcu[0];
	gp_wait[1] = in_rcu[1]
}

inline gp_wait_done()
{
	gp_wait[0] == 0 && gp_wait[1] == 0
}

/*
 * vmbus_relid_publish(), the map store: channel_mutex held, the channel
 * initialized and relid[k] set.  With NO_PUBLISH_MB the load of the latch
 * bit that the next step's test_and_clear_bit() does is made here, before
 * the store is visible.
 */
inline publish_store(k, r)
{
#ifdef NO_PUBLISH_MB
	seen = latch[r];
#endif
	map[r] = k			/* rcu_assign_pointer() */
}

/*
 * vmbus_relid_publish(), after smp_mb() (which pairs with the ISR's
 * smp_mb__after_atomic()): test_and_clear_bit() of the latch; an event
 * latched for the relid is delivered now.
 */
inline publish_latch(k, r)
{
#ifdef NO_PUBLISH_MB
	if
	:: seen && latch[r] -> latch[r] = 0; deliver(k, r)
	:: else
	fi
#else
	if
	:: latch[r] -> latch[r] = 0; deliver(k, r)
	:: else
	fi
#endif
}

/*
 * The host queues the offer of device k, which is live from then on, and
 * at once (before the guest can have seen the offer) may set the event bit
 * of the new relid on either CPU: the earliest event the protocol allows.
 */
inline offer(k)
{
	atomic {
		msgq!OFFER,k,newrel[k];
		host_offered[k] = 1;
		host_live[k] = 1;
		if
		:: skip
		:: c = 0; set_event(k, c)
		:: c = 1; set_event(k, c)
		fi;
		c = 0
	}
}

/*
 * An event for device k on CPU c's page: its relid's bit, and an
 * interrupt if the bit was clear.
 */
inline set_event(k, c)
{
	events_set++;
	owed[k] = 1;
	if
	:: !evbit[EV(c, newrel[k])] -> evbit[EV(c, newrel[k])] = 1; irq[c] = 1
	:: else
	fi
}

proctype host()
{
	byte k, c;
	bit all_sent;
	byte nresc;

	/* The relids of the new connection: any permutation. */
	if
	:: newrel[1] = 1; newrel[2] = 2; newrel[3] = 3
	:: newrel[1] = 2; newrel[2] = 1; newrel[3] = 3
	:: newrel[1] = 3; newrel[2] = 1; newrel[3] = 2
	fi;
	do
	:: !all_sent && !host_offered[1] -> offer(1)
	:: !all_sent && !host_offered[2] -> offer(2)
	:: !host_offered[3] -> offer(3)		/* hot-add, at any time */
	:: !all_sent ->
		/* A or B not offered by now: not coming back */
		msgq!ALLOFFERS,0,0;
		all_sent = 1
	:: events_set < NEV &&
	   (host_live[1] || host_live[2] || host_live[3]) ->
		/* a later event, at any time */
		if
		:: host_live[1] -> k = 1
		:: host_live[2] -> k = 2
		:: host_live[3] -> k = 3
		fi;
		if
		:: c = 0
		:: c = 1
		fi;
		atomic { set_event(k, c); k = 0; c = 0 }
	:: nresc < 1 && (host_live[1] || host_live[2] || host_live[3]) ->
		if
		:: host_live[1] -> k = 1
		:: host_live[2] -> k = 2
		:: host_live[3] -> k = 3
		fi;
		atomic {
			msgq!RESCIND,0,newrel[k];
			host_live[k] = 0;
			host_rescinded[k] = 1;
			nresc++;
			k = 0
		}
	:: all_sent -> break
	od
}

proctype msg_work()
{
	byte k, r, ch;
	bit seen;

end:
	do
	/*
	 * An offer is two steps: up to the map store (the first thing the ISR
	 * can see; the rest is under channel_mutex), then the latch check,
	 * the count and the unlock (the count is not 0 after it, and the
	 * mutex orders it against the other holders alone).
	 */
	:: atomic {
		msgq?OFFER,k,r;
		/* vmbus_on_offer(), under channel_mutex */
		lock(mutex);
		assert(map[r] == 0);	/* the host offers free relids */
		if
		:: k != 3 ->
			/*
			 * vmbus_chan_fixup(): A and B are offered before
			 * ALLOFFERS, so resume_end has not run yet.
			 */
			assert(resuming && fixup[k]);
			fixup[k] = 0
		:: else ->
			inited[k] = 1	/* a new channel: vmbus_chan_alloc() */
		fi;
		relid[k] = r;
#ifndef NO_PUBLISH_MB
		publish_store(k, r)
	   };
#else
		skip
	   };
		publish_store(k, r);
#endif
		atomic {
			publish_latch(k, r);
			if
			:: k != 3 -> count--	/* atomic_dec() */
			:: else
			fi;
			unlock(mutex);
			k = 0; r = 0; seen = 0
		}
	:: atomic {
		msgq?RESCIND,k,r;
		/* vmbus_on_rescind(), under channel_mutex */
		lock(mutex);
		ch = map[r];
		if
		:: ch != 0 && !rescind[ch] ->
			rescind[ch] = 1;
			offer_wq!ch
		:: else			/* unknown relid: ignored */
		fi;
		unlock(mutex);
		k = 0; r = 0; ch = 0
	   }
	:: atomic {
		msgq?ALLOFFERS,k,r;
		alloffers = 1;		/* vmbus_on_alloffers(): complete() */
		k = 0; r = 0
	   }
	od
}

proctype resume()
{
	byte k = 1;
	byte gone;
	bit zero;

	/* wait_for_completion_timeout() returned */
	alloffers == 1;
	atomic {
		/* vmbus_channels_resume_end(), under channel_mutex */
		lock(mutex);
		resuming = 0;
		do
		:: k <= 2 ->
			if
			:: fixup[k] ->
				fixup[k] = 0;
				released[k] = 1;
				rescind[k] = 1;
				offer_wq!k;
				gone++
			:: else
			fi;
			k++
		:: else -> break
		od;
		unlock(mutex)
	};
	/*
	 * The IPIs are sent in the step that drops the count: an IPI that is
	 * queued but has not run yet is the same, to an ISR, as one not sent.
	 */
	atomic {
		/* atomic_sub_and_test(gone + 1) */
		count = count - (gone + 1);
		zero = (count == 0);
#ifndef NO_RESCAN
		/* vmbus_events_release(): on_each_cpu(), IPIs sent */
		if
		:: zero -> ipi[0] = 1; ipi[1] = 1
		:: else
		fi
#endif
	};
	/* on_each_cpu() waits for both */
	ipi[0] == 0 && ipi[1] == 0
}

proctype rescind_work()
{
	byte k, r;
	bit mapped;

end:
	do
	/*
	 * The grace period starts in the step that empties the map entry: an
	 * ISR that enters later finds the entry empty either way.
	 */
	:: atomic {
		offer_wq?k;
		/* vmbus_rescind_work(): device removal, nothing the ISR sees */
		/* vmbus_chan_destroy() -> vmbus_relid_unpublish() */
		lock(mutex);
		r = relid[k];
#ifdef NO_MAPPED_CHECK
		mapped = 1;
		map[r] = 0;
#else
		mapped = (map[r] == k);
		if
		:: mapped -> map[r] = 0
		:: else
		fi;
#endif
		unlock(mutex);
		gp_start()	/* synchronize_rcu() */
	   };
		atomic {
			gp_wait_done();
			if
			:: mapped -> latch[r] = 0
			:: else
			fi;
			/* tasklet_kill(); list_del(); RELID_RELEASED unless released */
			if
			:: !released[k] -> relsent[k]++
			:: else
			fi;
			released[k] = 1;
			freed[k] = 1;	/* vmbus_chan_put(): the last reference */
			k = 0; r = 0; mapped = 0
		}
	od
}

/*
 * vmbus_event_scan() on CPU c, from relid r + 1 on: the next set bit,
 * sync_test_and_clear_bit() and (a full barrier later) the load of map[r]
 * into ch, in one step.  Nobody but the host reads the bit, and its set
 * after the clear is a 0 -> 1 with an interrupt: the same as a set after
 * the load.  A bit set behind the scan position interrupts too.  No bit
 * left: the ISR (or the rescan) returns, r = 0.
 */
inline next_bit(c, r, ch)
{
	r++;
	do
	:: r <= NREL && !evbit[EV(c, r)] -> r++
	:: else -> break
	od;
	if
	:: r <= NREL ->
		evbit[EV(c, r)] = 0;
		ch = map[r]			/* rcu_dereference() */
	:: else ->
		r = 0;
		in_rcu[c] = 0;			/* return from the ISR */
		gp_wait[c] = 0;
		if
		:: rescan -> rescan = 0; ipi[c] = 0	/* IPI done */
		:: else
		fi
	fi
}

/*
 * vmbus_chan_event(r), after the load of map[r] into ch.  The latch
 * protocol (set_bit(), smp_mb__after_atomic(), the re-check,
 * test_and_clear_bit()) is one step: under sequential consistency every
 * outcome of its interleaving with the publisher's store and
 * test_and_clear_bit() is also an outcome of the step before or after
 * them; what the barriers must prevent is modelled by NO_PUBLISH_MB.
 */
inline chan_event(r, ch)
{
	if
	:: ch == 0 ->
		latch[r] = 1;		/* set_bit() */
		ch = map[r];		/* the re-check */
		if
		:: ch != 0 && latch[r] -> latch[r] = 0	/* we deliver */
		:: else -> ch = 0	/* latched, or the publisher delivers */
		fi
	:: else
	fi;
	if
	:: ch != 0 -> deliver(ch, r)
	:: else
	fi;
	ch = 0
}

/*
 * CPU c: vmbus_isr() and vmbus_events_rescan(), each with interrupts off
 * (an RCU reader, in_rcu), so one at a time; the scan is one step per set
 * bit, between its load of the map and its delivery.
 */
proctype isr(byte c)
{
	byte r, ch;
	bit rescan;

end:
	do
	:: atomic {
		irq[c] && !in_rcu[c] -> irq[c] = 0;
		/* vmbus_isr(): atomic_read() of the count */
#ifndef NO_HOLDOFF
		if
		:: count != 0	/* held off: the bits stay on the page */
		:: else ->
#endif
			in_rcu[c] = 1;
			next_bit(c, r, ch)
#ifndef NO_HOLDOFF
		fi
#endif
	   }
	:: atomic {
		ipi[c] && !in_rcu[c] ->
		/* vmbus_events_rescan() */
		in_rcu[c] = 1;
		rescan = 1;
		next_bit(c, r, ch)
	   }
	:: atomic {
		r != 0 ->
		chan_event(r, ch);
		next_bit(c, r, ch)
	   }
	od
}

init
{
	atomic {
		/* After vmbus_channels_suspend(): A at 1, B at 2, both marked. */
		inited[1] = 1; fixup[1] = 1; relid[1] = 1;
		inited[2] = 1; fixup[2] = 1; relid[2] = 2;
		/* A bit set for relid 1 before the suspend, maybe. */
		if
		:: evbit[EV(0, 1)] = 1
		:: skip
		fi;
		run host();
		run msg_work();
		run resume();
		run rescind_work();
		run isr(0);
		run isr(1);
		run quiescent()
	}
}

proctype quiescent()
{
	byte k = 1;

	timeout ->
	assert(count == 0);
	do
	:: k <= NCH ->
		/* no lost event */
		assert(host_rescinded[k] || !owed[k]);
		/* freed: rescinded, or not offered again (A, B) */
		assert(freed[k] == (host_rescinded[k] ||
				    (k != 3 && !host_offered[k])));
		/* RELID_RELEASED exactly once per rescinded instance */
		assert(relsent[k] == host_rescinded[k]);
		k++
	:: else -> break
	od;
	k = 0;
	do
	:: k < NCPU * (NREL + 1) ->
		assert(!evbit[k]);	/* no bit left on a page */
		k++
	:: else -> break
	od;
	k = 1;
	do
	:: k <= NREL ->
		/* nothing latched for a relid with a channel */
		assert(!latch[k] || map[k] == 0);
		assert(map[k] == 0 || !freed[map[k]]);
		k++
	:: else -> break
	od
}
