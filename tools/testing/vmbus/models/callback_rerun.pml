/* SPDX-License-Identifier: GPL-2.0 */
/*
 * callback_rerun.pml - a channel's callback against the host's writes and
 * interrupts: the callback never runs twice at once, and a packet written
 * while it runs is not left behind (the interrupt_mask handshake of
 * drivers/hv/ring_buffer.c, the tasklet and the event scan of
 * drivers/hv/vmbus_event.c, in the default HV_CALL_BATCHED mode).
 *
 * Processes and the code they stand for:
 *   host        sim_out_write() for NPKT packets into the guest's inbound
 *               ring: store write_index, virt_mb(), load interrupt_mask
 *               and read_index, and signal only on an unmasked reader and
 * an empty -> non-empty ring (vmbus-sim.rst, host behaviour 13);
 * sim_synic_signal()
 *               sets the relid's bit on the target CPU's event page with a
 *               fully ordered test-and-set and raises the interrupt only on
 * its 0 -> 1 transition (vmbus-sim.rst, host behaviour 12).  The target CPU
 * is
 *               chosen anew for every signal, so a retarget
 *               (MODIFYCHANNEL, vmbus-sim.rst, host behaviour 15) is included.
 *   isr(c)      vmbus_isr() -> vmbus_event_scan() on CPU c:
 *               READ_ONCE() of the flags word, sync_test_and_clear_bit(),
 *               then vmbus_chan_event() -> vmbus_chan_deliver():
 *               hv_begin_read() (interrupt_mask = 1; virt_mb()) and
 *               tasklet_schedule().
 *   softirq(c)  the kernel's tasklet_action_common() on CPU c for the
 *               channel's tasklet: tasklet_trylock() (test-and-set of
 *               TASKLET_STATE_RUN), test-and-clear of TASKLET_STATE_SCHED,
 *               the tasklet function vmbus_on_event(), tasklet_unlock()
 *               (a release).  A tasklet whose trylock fails is put back on
 *               the list of that CPU and tried again; here that CPU waits
 *               for RUN to clear, which is the same up to stuttering.
 *               vmbus_on_event() calls the driver's callback, then
 *               hv_end_read() (interrupt_mask = 0; virt_mb(); load
 *               write_index and read_index) and, if bytes are left,
 *               hv_begin_read() and the callback again, or, once its two
 *               jiffies are up, tasklet_schedule() and return.
 *               The callback is any driver's loop over hv_pkt_iter_first()
 *               / __hv_pkt_iter_next() (each loads write_index) that may
 *               stop after any packet, followed by hv_pkt_iter_close(),
 *               which stores read_index.
 *   stores      the store buffers: a store of the host or of the tasklet
 *               becomes visible to the other side at a time of its own
 *               choosing, until a barrier of the storing side waits for
 *               it.  The tasklet's read_index and interrupt_mask stores
 *               may become visible in either order (nothing orders two
 *               plain stores).  The ISR's interrupt_mask store is followed
 *               by virt_mb() and tasklet_schedule()'s fully ordered
 *               test-and-set, so it is visible at once.
 *   quiescent   runs when nothing else can move and checks the end state.
 *
 * The other steps of the code are sequentially consistent here, which is
 * what their fully ordered atomics give them.  The two store-buffering
 * patterns this protocol rests on are checked under the Linux kernel
 * memory model by Documentation/virt/hyperv/litmus/callback-mask.litmus and
 * callback-read-index.litmus, the chain of atomics from the host's event to
 * the tasklet run by callback-sched.litmus; the argument is in
 * Documentation/virt/hyperv/callbacks.rst.  Indices are packet counts: the
 * ring holds all NPKT packets, so the guest -> host signal on
 * pending_send_sz (the other direction) does not take part.  An ISR and a
 * tasklet on the same CPU are modelled as if on two: every interleaving of
 * the one is one of the other, and the tasklet's stores may land in more
 * orders.
 *
 * Properties:
 *   - the callback never runs twice at once (assertion at its entry);
 *   - packets are consumed in order, each once, and only after the host
 *     published them (assertion at each one);
 *   - no lost packet: in the end state every packet written was consumed,
 *     the ring is unmasked (the next packet would be signalled), no event
 *     bit is left set and the tasklet is neither scheduled nor running;
 *     no process is stuck outside an end state (no deadlock); the ltl
 *     formula says that every packet is consumed eventually.
 *
 * Mutants (spin -D...; run.sh runs them and requires a violation):
 *   NO_RECHECK     hv_end_read()'s answer is ignored: the tasklet returns
 *                  after unmasking.  A packet written while masked (not
 *                  signalled) stays in the ring.
 *   NO_GUEST_MB    no virt_mb() in hv_end_read(): the load of write_index
 *                  may pass the interrupt_mask = 0 store.  The host sees the
 *                  mask still set, the guest no new packet.
 *   NO_HOST_MB     the host loads interrupt_mask and read_index before its
 *                  write_index store is visible: the same, on the host's
 *                  side.
 *   CLEAR_AFTER    the ISR clears the event bit after vmbus_chan_deliver()
 *                  instead of taking it with sync_test_and_clear_bit()
 *                  first: a signal in between finds the bit set, raises no
 *                  interrupt, and is wiped out.
 *   NO_TRYLOCK     the tasklet runs without taking TASKLET_STATE_RUN: a
 *                  schedule from another CPU runs a second callback while
 *                  the first still runs.
 *   SCHED_LATE     TASKLET_STATE_SCHED is cleared after the function
 *                  returns, not before it runs: a schedule while it runs is
 *                  swallowed (the NAPI missed-event race).
 *   NO_RESCHEDULE  vmbus_on_event() stops at its deadline without
 *                  tasklet_schedule(): the ring stays masked with packets
 *                  in it.
 */

/* run.sh: mutants NO_RECHECK NO_GUEST_MB NO_HOST_MB CLEAR_AFTER NO_TRYLOCK SCHED_LATE NO_RESCHEDULE */

#define NPKT	3	/* packets the host writes, numbered 1..NPKT */
#define NCPU	2	/* CPUs, each with an ISR and a softirq */

/* The inbound ring's header, as the other side sees it. */
byte write_index;	/* packets published by the host */
byte read_index;	/* packets the guest has handed back */
bit imask;		/* interrupt_mask */

/* Store buffers: a store made but not yet visible to the other side. */
bit h_wi;		/* the host's write_index store */
byte h_wi_val;
bit g_ri;		/* the tasklet's read_index store */
byte g_ri_val;
bit g_im;		/* the tasklet's interrupt_mask store */
bit g_im_val;

/* SynIC: bit relid of each CPU's event page, and the pending interrupt. */
bit evbit[NCPU];
bit irq[NCPU];

/* The channel's tasklet (struct tasklet_struct). */
bit t_sched;		/* TASKLET_STATE_SCHED */
bit t_run;		/* TASKLET_STATE_RUN */
byte onlist;		/* on CPU onlist - 1's tasklet list; 0: on none */

/* The reader (only the tasklet touches it). */
byte priv_read;		/* priv_read_index: packets consumed */
byte incb;		/* callbacks running now */

ltl all_consumed { <> (priv_read == NPKT) }

/* The tasklet's stores; a previous store to the same place goes first. */
inline store_ri(v)
{
	atomic { !g_ri -> g_ri = 1; g_ri_val = v }
}

inline store_im(v)
{
	atomic { !g_im -> g_im = 1; g_im_val = v }
}

/* virt_mb() / smp_mb() of the tasklet: its stores are visible. */
inline guest_mb()
{
	!g_ri && !g_im
}

/* tasklet_schedule() on CPU c: test_and_set_bit(SCHED), fully ordered. */
inline tasklet_schedule(c)
{
	atomic {
		if
		:: !t_sched -> t_sched = 1; onlist = c + 1
		:: else
		fi
	}
}

/* vmbus_chan_deliver(), HV_CALL_BATCHED, under sched_lock. */
inline deliver(c)
{
	imask = 1;		/* hv_begin_read(): store, virt_mb() */
	tasklet_schedule(c)
}

active proctype host()
{
	byte k;		/* packets written */
	bit m;
	byte r;
	byte c;
	bit was;

	do
	:: k < NPKT ->
		/* The packet, virt_mb(), then the index (the barrier also
		 * drains the previous index store). */
		atomic { !h_wi -> h_wi = 1; h_wi_val = k + 1 };
		k++;
#ifndef NO_HOST_MB
		!h_wi;		/* virt_mb(): pairs with hv_end_read()'s */
#endif
		m = imask;
		if
		:: m == 0 ->
			r = read_index;
			if
			:: r == k - 1 ->
				/* sim_open_signal(): to the target VP */
				if
				:: c = 0
				:: c = 1
				fi;
				/* sync_test_and_set_bit(): fully ordered */
				atomic { !h_wi -> was = evbit[c]; evbit[c] = 1 };
				if
				:: !was -> irq[c] = 1	/* sim_synic_raise() */
				:: else
				fi
			:: else
			fi
		:: else
		fi;
		m = 0; r = 0; c = 0; was = 0
	:: else -> break
	od
}

active proctype stores()
{
end:
	do
	:: atomic { h_wi -> write_index = h_wi_val; h_wi = 0; h_wi_val = 0 }
	:: atomic { g_ri -> read_index = g_ri_val; g_ri = 0; g_ri_val = 0 }
	:: atomic { g_im -> imask = g_im_val; g_im = 0; g_im_val = 0 }
	od
}

proctype isr(byte c)
{
	bit got;

end:
	do
	:: atomic { irq[c] -> irq[c] = 0 }
		/* READ_ONCE(flags[i]): only a set bit is taken */
		if
		:: evbit[c] ->
#ifdef CLEAR_AFTER
			deliver(c);
			evbit[c] = 0
#else
			/* sync_test_and_clear_bit() */
			atomic { got = evbit[c]; evbit[c] = 0 };
			if
			:: got -> deliver(c)
			:: else
			fi
#endif
		:: else
		fi;
		got = 0
	od
}

/*
 * The driver's callback: packets in order, from the private read index, up
 * to the write_index it loads; it may stop after any packet.  Then
 * hv_pkt_iter_close() publishes what it consumed.
 */
inline callback(w)
{
	atomic { assert(incb == 0); incb++ };
	do
	:: w = write_index;	/* vmbus_iter_avail() */
		if
		:: priv_read < w ->
			/* the packet priv_read + 1: written, in order, once */
			atomic {
				assert(priv_read + 1 <= write_index);
				priv_read++
			};
			if
			:: skip
			:: break	/* a callback that returns early */
			fi
		:: else -> break
		fi
	od;
	store_ri(priv_read);	/* hv_pkt_iter_close() */
	incb--;
	w = 0
}

/* vmbus_on_event() on CPU c. */
inline on_event(c, w, r)
{
	do
	:: callback(w);
		/* hv_end_read() */
		store_im(0);
#ifndef NO_GUEST_MB
		guest_mb();	/* virt_mb(): pairs with the host's */
#endif
		/* hv_get_bytes_to_read(): its own read_index store forwards */
		r = (g_ri -> g_ri_val : read_index);
		w = write_index;
#ifdef NO_RECHECK
		break
#else
		if
		:: w == r -> break
		:: else
		fi;
		/* hv_begin_read() */
		store_im(1);
		guest_mb();
		if
		:: skip			/* time_before(jiffies, deadline) */
		:: 
#ifndef NO_RESCHEDULE
			tasklet_schedule(c);
#endif
			break
		fi
#endif
	od;
	w = 0;
	r = 0
}

proctype softirq(byte c)
{
	byte w;
	byte r;

end:
	do
#ifdef NO_TRYLOCK
	:: atomic { onlist == c + 1 -> onlist = 0 }
#else
	/* tasklet_trylock(); a failed one requeues: wait instead */
	:: atomic { onlist == c + 1 && !t_run -> onlist = 0; t_run = 1 }
#endif
#ifndef SCHED_LATE
		/* tasklet_clear_sched() */
		atomic { assert(t_sched); t_sched = 0 };
#endif
		on_event(c, w, r);
#ifdef SCHED_LATE
		t_sched = 0;
#endif
		/* tasklet_unlock(): release, the stores before RUN clears */
		atomic { guest_mb(); t_run = 0 }
	od
}

init
{
	atomic {
		run isr(0);
		run isr(1);
		run softirq(0);
		run softirq(1)
	}
}

active proctype quiescent()
{
	timeout ->
	assert(write_index == NPKT && priv_read == NPKT &&
	       read_index == NPKT);
	assert(imask == 0);
	assert(!evbit[0] && !evbit[1]);
	assert(!t_sched && !t_run && onlist == 0)
}
