/* SPDX-License-Identifier: GPL-2.0 */
/*
 * suspend_work.pml - hibernation against the host's offers and rescinds
 * and the work they queue on offer_wq: the suspend that marks the
 * channels, the suspend that fails with -EBUSY, and the removal at resume
 * of a device the host did not offer again (drivers/hv/channel_mgmt.c,
 * vmbus_drv.c, vmbus_bus.c).  resume_fixup.pml covers the relid fix-ups
 * and the ISR hold-off; here relids and events are left out, and a channel
 * is named by its device.
 *
 * Start: the guest runs; channel A (1) is offered, mapped, its device
 * bound and open.  The host may hot-add device B (2).
 *
 * Processes and the code they stand for:
 *   host          until the UNLOAD: may offer B and may rescind A, each
 *                 once, at any moment (also while the guest suspends).
 *                 After the reconnect (REQUEST_OFFERS): offers each device
 *                 it still has, or drops it (removed while the guest
 *                 slept), then ALLOFFERS_DELIVERED.
 *   msg_work      the message work: vmbus_on_offer_cpus() (a re-offer of a
 *                 marked channel: vmbus_chan_fixup(); else allocate,
 *                 publish and queue the add work), vmbus_on_rescind() (mark
 *                 rescinded, queue the rescind work), vmbus_on_alloffers().
 *                 While "suspended" it leaves offers and rescinds queued:
 *                 they are handled after a failed suspend and dropped with
 *                 the connection at the UNLOAD (the protection that keeps
 *                 a failed suspend from losing them, below).  The code
 *                 copies them onto vmbus_conn.held (vmbus_msg_hold()),
 *                 keeps their order there, hands them back to the same
 *                 handlers at the end of the transition
 *                 (vmbus_channels_replay()) and frees them after the
 *                 UNLOAD (vmbus_channels_held_drop()): the same as leaving
 *                 them in msgq.  Sub-channel offers, which the code does
 *                 not hold after -EBUSY, are not modelled.
 *   worker        the ordered offer_wq: vmbus_add_channel_work() (no
 *                 device if rescinded; a probe during a PM transition is
 *                 deferred, so the channel stays closed) and
 *                 vmbus_rescind_work() in two steps, vmbus_device_remove()
 *                 (the driver's remove closes the channel) and
 *                 vmbus_chan_destroy() (unlink, RELID_RELEASED unless
 *                 released and only while connected, the free).  A work
 *                 item that is pending is not queued again, as queue_work()
 *                 of a pending work_struct does nothing.
 *   pm            the PM core and the bus's callbacks for one hibernation
 *                 transition: the drivers' suspend callbacks
 *                 (vmbus_dev_suspend(): each closes its channel; A's driver
 *                 may fail to), vmbus_bus_suspend() ->
 *                 vmbus_channels_suspend() (steps a, b, c, e of
 *                 hibernation.rst; the UNLOAD of vmbus_disconnect()), then
 *                 vmbus_bus_resume() (reconnect, vmbus_channels_resume_begin(),
 *                 the wait for ALLOFFERS_DELIVERED,
 *                 vmbus_channels_resume_end()), then the drivers' resume
 *                 callbacks (vmbus_dev_resume(), two steps: the check that
 *                 the device is still bound, then the reopen, which fails
 *                 for a rescinded channel), then the end of the transition.
 *                 On -EBUSY the PM core resumes the drivers at once.
 *   quiescent     runs when nothing else can move and checks the end state.
 *
 * Each channel_mutex section is one atomic step (nothing in it is seen by
 * a process that does not take the mutex), and so is each step below that
 * reads or writes only state of its own and one shared flag.  The steps
 * kept apart are those whose interleaving the properties are about: the
 * queueing of a work item and the flush of step b, a work item and the
 * marking of step e, the device removal and the channel's free against
 * the two steps of the driver's resume callback.
 *
 * The protections the model gives the code (each has a mutant below):
 *   P1  the message work queues its add or rescind work in the same
 *       channel_mutex section that saw "suspended" clear, and step b
 *       flushes offer_wq after setting it: a work item decided before the
 *       flag has finished before step e marks the channels;
 *   P2  resume_end marks a channel that was not offered again (rescind,
 *       released) but its removal is queued only when the PM transition
 *       has completed, after every driver's resume callback;
 *   P3  an offer or rescind that arrives while "suspended" is left queued,
 *       not dropped: after -EBUSY it is handled once the transition ends
 *       (not earlier: a rescind would remove a device whose resume
 *       callback runs), after a successful suspend it goes with the
 *       connection at the UNLOAD, which the host forgets too.
 *
 * Properties:
 *   - no work item acts on a marked (vc->fixup) or freed channel
 *     (assertions in the worker);
 *   - a device is never removed while its driver's resume callback runs,
 *     and the callback never touches a freed channel; a device that was
 *     not offered again is removed only after the transition completed;
 *   - RELID_RELEASED at most once per channel, only while connected and
 *     only for a channel the host rescinded on the current connection;
 *   - at the end: the outstanding-fix-up count is 0 (the ISR is released),
 *     no channel is marked, the transition is over, and the guest's live
 *     channels and devices are exactly the host's live devices (also after
 *     a suspend that failed); every rescinded or not-re-offered channel is
 *     freed; every channel the host rescinded on the current connection
 *     got its RELID_RELEASED; no process is stuck (invalid end states).
 *
 * Every execution is finite (bounded host, one transition), so the end-state
 * checks cover "eventually"; there is no ltl formula.
 *
 * Mutants (spin -D...; run.sh runs them and requires a violation):
 *   NO_FLUSH            step b does not flush offer_wq: a rescind work
 *                       queued before the flag runs after step e on the
 *                       marked channel, which step e counted.
 *   QUEUE_AFTER_UNLOCK  the message work queues the work after it dropped
 *                       channel_mutex (P1 without its first half): the
 *                       flush can pass before the item is queued.
 *   REMOVE_IN_RESUME    resume_end queues the removal of a channel not
 *                       offered again at once (no P2): it runs during the
 *                       transition, against the driver's resume callback.
 *   DROP_SUSPENDED      the message work ignores offers and rescinds while
 *                       "suspended" (no P3): after -EBUSY the guest keeps a
 *                       device the host rescinded or lacks one it offered.
 *   EARLY_REPLAY        -EBUSY clears "suspended" at once, so a held rescind
 *                       is handled while the drivers resume: its removal
 *                       meets the resume callback.
 */

/* run.sh: mutants NO_FLUSH QUEUE_AFTER_UNLOCK REMOVE_IN_RESUME DROP_SUSPENDED EARLY_REPLAY */

#define NCH	2	/* 1 = A (there at the start), 2 = B (hot-added) */

mtype = { OFFER, RESCIND, ALLOFFERS, ADD, REMOVE };

chan msgq = [3] of { mtype, byte };	/* host -> message work */
chan offer_wq = [4] of { mtype, byte };	/* ordered: add / rescind works */

/* vmbus_conn */
bit suspended;		/* vmbus_conn.suspended */
bit resuming;		/* vmbus_conn.resuming */
bit alloffers;		/* the completion of vmbus_on_alloffers() */
bit conn = 1;		/* connected: vmbus_conn.version != 0 */
short count;		/* vmbus_conn.fixups */
bit transition;		/* a hibernation transition is in progress */
bit wbusy;		/* the worker is between the two steps of a rescind work */

/* Guest channel objects. */
bit alloc[NCH + 1];	/* allocated, on vmbus_conn.channels */
bit pub[NCH + 1];	/* mapped at its relid */
bit rescind[NCH + 1];	/* ch->rescind */
bit fixup[NCH + 1];	/* vc->fixup: marked by the suspend */
bit released[NCH + 1];	/* vc->released */
bit freed[NCH + 1];
byte relsent[NCH + 1];	/* RELID_RELEASED sent for it */
bit dev[NCH + 1];	/* its hv_device is registered */
bit opened[NCH + 1];	/* its driver has it open */
bit susp[NCH + 1];	/* its driver's suspend callback ran */
bit in_resume[NCH + 1];	/* its driver's resume callback runs */
bit gone[NCH + 1];	/* not offered again: resume_end removes it */
bit later[NCH + 1];	/* removal to queue when the transition ends */
bit add_pend[NCH + 1];	/* add_channel_work pending on offer_wq */
bit rm_pend[NCH + 1];	/* rescind_work pending on offer_wq */

/* Host. */
byte hphase;		/* 0: old connection, 1: unloaded, 2: re-offering */
bit host_live[NCH + 1];	/* offered on the current connection, not rescinded */
bit host_resc[NCH + 1];	/* rescinded on the current connection: RELID_RELEASED owed */
bit b_offered, a_rescinded;

/* queue_work() on offer_wq; nothing if that work item is pending. */
inline queue(t, k)
{
	if
	:: t == ADD && !add_pend[k] -> add_pend[k] = 1; offer_wq!ADD,k
	:: t == REMOVE && !rm_pend[k] -> rm_pend[k] = 1; offer_wq!REMOVE,k
	:: else
	fi
}

proctype host()
{
	byte k = 1;

end:
	do
	:: atomic {
		hphase == 0 && !b_offered ->
		msgq!OFFER,2;
		b_offered = 1;
		host_live[2] = 1
	   }
	:: atomic {
		hphase == 0 && !a_rescinded ->
		msgq!RESCIND,1;
		a_rescinded = 1;
		host_live[1] = 0;
		host_resc[1] = 1
	   }
	:: hphase == 2 -> break
	od;
	/* REQUEST_OFFERS: each device it still has, or drop it */
	do
	:: k <= NCH ->
		if
		:: host_live[k] -> msgq!OFFER,k
		:: host_live[k] -> host_live[k] = 0
		:: else
		fi;
		k++
	:: else -> break
	od;
	msgq!ALLOFFERS,0
}

proctype msg_work()
{
	mtype t;
	byte k;
#ifdef QUEUE_AFTER_UNLOCK
	mtype late;
#endif

end:
	do
	:: atomic {
#ifdef DROP_SUSPENDED
		nempty(msgq) ->
#else
		/* P3: left queued while suspended */
		nempty(msgq) && !suspended ->
#endif
		msgq?t,k;
		/* under channel_mutex from here */
		if
		:: t != ALLOFFERS && suspended ->
			skip		/* DROP_SUSPENDED only: the message is lost */
		:: t == OFFER && !suspended && resuming && fixup[k] ->
			/* vmbus_chan_fixup(): the device stays */
			fixup[k] = 0;
			pub[k] = 1;
			count--
		:: t == OFFER && !suspended && !(resuming && fixup[k]) ->
			assert(!alloc[k]);
			alloc[k] = 1;
			pub[k] = 1;
#ifdef QUEUE_AFTER_UNLOCK
			late = ADD
#else
			queue(ADD, k)		/* P1: under the mutex */
#endif
		:: t == RESCIND && !suspended ->
			if
			:: pub[k] && !rescind[k] ->
				rescind[k] = 1;
#ifdef QUEUE_AFTER_UNLOCK
				late = REMOVE
#else
				queue(REMOVE, k)
#endif
			:: else		/* unknown relid, or a duplicate */
			fi
		:: t == ALLOFFERS ->
			alloffers = 1
		fi;
#ifndef QUEUE_AFTER_UNLOCK
		t = 0; k = 0
#endif
	   }
#ifdef QUEUE_AFTER_UNLOCK
	   /* channel_mutex dropped; then queue_work() */
	   atomic {
		if
		:: late != 0 -> queue(late, k)
		:: else
		fi;
		late = 0; t = 0; k = 0
	   }
#endif
	od
}

proctype worker()
{
	mtype t;
	byte k;

end:
	do
	:: atomic {
		offer_wq?t,k;
		assert(!fixup[k] && !freed[k]);
		if
		:: t == ADD ->
			/* vmbus_add_channel_work() */
			add_pend[k] = 0;
			if
			:: !rescind[k] ->
				dev[k] = 1;
				opened[k] = !transition
			:: else
			fi;
			t = 0; k = 0
		:: t == REMOVE ->
			/* vmbus_rescind_work(): vmbus_device_remove() */
			rm_pend[k] = 0;
			assert(!in_resume[k]);
			assert(!gone[k] || !transition);
			dev[k] = 0;
			opened[k] = 0;
			wbusy = 1
		fi
	   }
	   if
	   :: wbusy ->
		atomic {
			/* vmbus_chan_destroy(): unlink under channel_mutex, free */
			assert(!fixup[k] && !freed[k]);
			pub[k] = 0;
			alloc[k] = 0;
			if
			:: !released[k] && conn ->
				assert(host_resc[k] && relsent[k] == 0);
				relsent[k]++
			:: else
			fi;
			released[k] = 1;
			freed[k] = 1;
			wbusy = 0;
			t = 0; k = 0
		}
	   :: else
	   fi
	od
}

proctype pm()
{
	byte k, n;
	bit busy;

	/* The drivers' suspend callbacks; A's driver may leave A open. */
	atomic {
		transition = 1;
		k = 1;
		do
		:: k <= NCH ->
			if
			:: dev[k] -> susp[k] = 1; opened[k] = 0
			:: dev[k] && k == 1 -> susp[k] = 1
			:: else
			fi;
			k++
		:: else -> break
		od;
		k = 0
	};

	/* vmbus_channels_suspend() a: under channel_mutex */
	suspended = 1;
#ifndef NO_FLUSH
	/* b: flush_workqueue(offer_wq) */
	atomic { empty(offer_wq) && !wbusy -> skip };
#endif
	/* c: an open channel: -EBUSY */
	atomic {
		busy = (alloc[1] && opened[1]) || (alloc[2] && opened[2]);
#ifdef EARLY_REPLAY
		if
		:: busy -> suspended = 0
		:: else
		fi
#endif
	};
	if
	:: busy -> goto resume_drivers
	:: else
	fi;

	/* e: mark every channel, count them, unmap them */
	atomic {
		n = 0;
		k = 1;
		do
		:: k <= NCH ->
			if
			:: alloc[k] -> fixup[k] = 1; pub[k] = 0; n++
			:: else
			fi;
			k++
		:: else -> break
		od;
		count = n + 1;
		k = 0
	};

	/*
	 * vmbus_disconnect(): UNLOAD.  The host forgets every relid and
	 * rescind; what it sent and the guest left queued goes with the
	 * connection.
	 */
	atomic {
		conn = 0;
		do
		:: nempty(msgq) -> msgq?_,_
		:: empty(msgq) -> break
		od;
		host_resc[1] = 0;
		host_resc[2] = 0;
		hphase = 1
	};

	/* vmbus_bus_resume(): reconnect, resume_begin, REQUEST_OFFERS */
	atomic {
		conn = 1;
		suspended = 0;
		resuming = 1;
		hphase = 2
	};
	alloffers == 1;

	/* vmbus_channels_resume_end(), under channel_mutex */
	atomic {
		resuming = 0;
		n = 0;
		k = 1;
		do
		:: k <= NCH ->
			if
			:: fixup[k] ->
				fixup[k] = 0;
				released[k] = 1;
				rescind[k] = 1;
				gone[k] = 1;
#ifdef REMOVE_IN_RESUME
				queue(REMOVE, k);
#else
				later[k] = 1;	/* P2 */
#endif
				n++
			:: else
			fi;
			k++
		:: else -> break
		od;
		count = count - (n + 1);	/* atomic_sub_and_test() */
		k = 0
	};

resume_drivers:
	/* The drivers' resume callbacks, for the devices suspended above. */
	k = 1;
	do
	:: k <= NCH ->
		if
		:: susp[k] ->
			/* vmbus_dev_resume(): dev->driver still set */
			atomic {
				if
				:: dev[k] -> in_resume[k] = 1
				:: else
				fi
			};
			/* hdrv->resume(): vmbus_open(), -ENODEV if rescinded */
			atomic {
				if
				:: in_resume[k] ->
					assert(!freed[k]);
					if
					:: !rescind[k] -> opened[k] = 1
					:: else
					fi;
					in_resume[k] = 0
				:: else
				fi
			}
		:: else
		fi;
		k++
	:: else -> break
	od;

	/*
	 * The transition completed: the removals P2 kept back are queued, and
	 * after a failed suspend the message work goes on (P3).
	 */
	atomic {
		transition = 0;
		suspended = 0;
		k = 1;
		do
		:: k <= NCH ->
			if
			:: later[k] -> later[k] = 0; queue(REMOVE, k)
			:: else
			fi;
			k++
		:: else -> break
		od;
		k = 0
	}
}

proctype quiescent()
{
	byte k = 1;
	bit live;

	timeout ->
	assert(count == 0 && !transition);
	do
	:: k <= NCH ->
		live = alloc[k] && !rescind[k];
		assert(!fixup[k]);
		/* the guest's bus is the host's */
		assert(live == host_live[k]);
		assert(dev[k] == live);
		/* rescinded or not offered again: freed */
		assert(!alloc[k] || !rescind[k]);
		/* RELID_RELEASED for each rescind of this connection */
		assert(!host_resc[k] || relsent[k] == 1);
		k++
	:: else -> break
	od
}

init {
	atomic {
		alloc[1] = 1;
		pub[1] = 1;
		dev[1] = 1;
		opened[1] = 1;
		host_live[1] = 1;
		run host();
		run msg_work();
		run worker();
		run pm();
		run quiescent()
	}
}
