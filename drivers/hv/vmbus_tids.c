// SPDX-License-Identifier: GPL-2.0
/*
 * Completions for ids nobody awaits.
 *
 * A driver that sets next_request_id_callback but no requestor
 * (hv_storvsc: the block layer's tag + 1) maps the host's transaction ids
 * to its requests itself, and looks an id up without knowing whether it
 * already had its answer.  A duplicate completion, or one with an id never
 * sent, would reach a request that is finished or already reused.  So for
 * such a channel the core keeps the ids the callback gave to packets that
 * ask for a completion, each with a count, from the moment the packet is
 * written (under the outbound ring lock, before the host can see it) until
 * the driver consumes its completion (__hv_pkt_iter_next()).  The reader
 * skips any VM_PKT_COMP whose id is not kept: a log line and the
 * completions_dropped statistic (debugfs hv_vmbus/stats).  Id 0 is not
 * checked: no request has it, and it marks the host's unsolicited messages,
 * which the driver checks itself.  If memory for the table runs out (at
 * open, or for an entry), the channel does not check: no valid completion
 * is ever dropped for want of an entry.
 *
 * The limit: the ids are the driver's, and it reuses them.  A copy that
 * arrives after the driver has finished the request and sent a new one with
 * the same id (the same block-layer tag) matches the new request, exactly
 * as the driver's own lookup would; only a copy for an id nobody awaits is
 * caught.  The simulator sends its duplicate right behind the original.
 *
 * channel.c allocates the table at open and frees it at close;
 * ring_buffer.c calls the rest.  This file calls no other guest file.
 */
#define pr_fmt(fmt) "hv_vmbus: " fmt

#include <linux/hyperv.h>
#include <linux/slab.h>
#include <linux/xarray.h>

#include "hyperv_vmbus.h"

/**
 * vmbus_tids_alloc() - start keeping ids, if the channel's driver has its own
 * @ch: a channel about to open
 *
 * Context: process context, may sleep.
 */
void vmbus_tids_alloc(struct vmbus_channel *ch)
{
	struct vmbus_chan *vc = to_vmbus_chan(ch);

	if (!ch->next_request_id_callback || ch->rqstor_size)
		return;
	vc->tids = kmalloc(sizeof(*vc->tids), GFP_KERNEL);
	if (!vc->tids) {
		pr_warn("relid %u: no memory for transaction ids; completions not checked\n",
			ch->offermsg.child_relid);
		return;
	}
	xa_init_flags(vc->tids, XA_FLAGS_LOCK_IRQ);
	set_bit(VMBUS_CHAN_TID_GUARD, &vc->flags);
}

/**
 * vmbus_tids_free() - forget the ids, at close
 * @ch: the channel, its reader stopped
 *
 * Context: process context.
 */
void vmbus_tids_free(struct vmbus_channel *ch)
{
	struct vmbus_chan *vc = to_vmbus_chan(ch);
	struct xarray *tids = vc->tids;
	unsigned long flags;

	if (!tids)
		return;
	/* A writer tests the flag under the ring lock: none uses @tids after. */
	spin_lock_irqsave(&ch->outbound.ring_lock, flags);
	clear_bit(VMBUS_CHAN_TID_GUARD, &vc->flags);
	WRITE_ONCE(vc->tids, NULL);
	spin_unlock_irqrestore(&ch->outbound.ring_lock, flags);
	xa_destroy(tids);
	kfree(tids);
}

/**
 * vmbus_tid_sent() - keep a transaction id that awaits its completion
 * @ch: a channel with VMBUS_CHAN_TID_GUARD
 * @tid: the id the driver's callback gave a packet about to be written
 *
 * Context: the outbound ring lock held, interrupts off.
 */
void vmbus_tid_sent(struct vmbus_channel *ch, u64 tid)
{
	struct vmbus_chan *vc = to_vmbus_chan(ch);
	unsigned long flags;
	void *old;

	/* vmbus_tids_free() clears the table under the same lock. */
	lockdep_assert_held(&ch->outbound.ring_lock);
	xa_lock_irqsave(vc->tids, flags);
	old = xa_load(vc->tids, tid);
	old = __xa_store(vc->tids, tid,
			 xa_mk_value(old ? xa_to_value(old) + 1 : 1), GFP_ATOMIC);
	xa_unlock_irqrestore(vc->tids, flags);
	if (!xa_is_err(old))
		return;
	/* Published before the packet: a reader that sees it sees this. */
	clear_bit(VMBUS_CHAN_TID_GUARD, &vc->flags);
	pr_warn("relid %u: no memory for transaction ids; completions no longer checked\n",
		ch->offermsg.child_relid);
}

/**
 * vmbus_tid_awaited() - whether a completion's id awaits its answer
 * @ch: a channel with VMBUS_CHAN_TID_GUARD
 * @tid: the id of an inbound VM_PKT_COMP (untrusted)
 *
 * A completion that no request awaits is logged and counted here; its
 * caller drops it.
 *
 * Context: the channel's reader.
 * Return: true if @tid awaits a completion.
 */
bool vmbus_tid_awaited(struct vmbus_channel *ch, u64 tid)
{
	struct xarray *tids = READ_ONCE(to_vmbus_chan(ch)->tids);

	if (!tids || xa_load(tids, tid))
		return true;
	/* The guard may have been given up after this packet's id was not kept. */
	if (!test_bit(VMBUS_CHAN_TID_GUARD, &to_vmbus_chan(ch)->flags))
		return true;
	vmbus_stat_inc(VMBUS_STAT_COMPLETIONS_DROPPED);
	pr_warn_ratelimited("relid %u: completion for transaction id %#llx, which no request awaits; dropped\n",
			    ch->offermsg.child_relid, tid);
	return false;
}

/**
 * vmbus_tid_answered() - a completion the driver consumed
 * @ch: a channel with VMBUS_CHAN_TID_GUARD
 * @tid: its id, which vmbus_tid_awaited() accepted
 *
 * Context: the channel's reader.
 */
void vmbus_tid_answered(struct vmbus_channel *ch, u64 tid)
{
	struct xarray *tids = READ_ONCE(to_vmbus_chan(ch)->tids);
	unsigned long flags, n;
	void *old;

	if (!tids)
		return;
	xa_lock_irqsave(tids, flags);
	old = xa_load(tids, tid);
	n = old ? xa_to_value(old) : 0;
	if (n > 1)
		__xa_store(tids, tid, xa_mk_value(n - 1), GFP_ATOMIC);
	else if (n)
		__xa_erase(tids, tid);
	xa_unlock_irqrestore(tids, flags);
}
