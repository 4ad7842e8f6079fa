// SPDX-License-Identifier: GPL-2.0
/*
 * VMBus ring buffers.
 *
 * A ring is one header page (struct hv_ring_buffer: write_index,
 * read_index, interrupt_mask, pending_send_sz, feature bits) followed by the
 * data pages.  The data pages are mapped twice in a row, so a packet that
 * wraps around the end is still one contiguous copy.
 *
 * Packets are 8-byte aligned: a struct vmpacket_descriptor, the payload,
 * padding, then a trailing u64 holding the writer's old write index << 32.
 *
 * The host writes the inbound ring's write_index, the outbound ring's
 * read_index, interrupt_mask and pending_send_sz of its side; all of them
 * are untrusted.  Each is read once with READ_ONCE() into a local, checked,
 * and only the local is used.  The two indices the guest publishes (the
 * outbound write_index, the inbound read_index) are never read back from
 * the ring to decide anything (only the debug view shows the ring's): the
 * guest keeps its own copy of each (struct vmbus_chan), so a host that
 * rewrites them moves nothing, and the writer does not load the header
 * line the host polls before it has a packet to publish.  A packet is
 * copied out of the ring before it is parsed.  A bad index or length marks
 * the channel broken: later ring operations fail with -EIO, and the log
 * says why once.
 *
 * Signalling contract (the host enforces and counts it):
 *  - the writer signals only when the ring goes from empty to non-empty and
 *    the reader's interrupt_mask is clear;
 *  - the reader signals the writer only when the free space it just made
 *    crosses the writer's pending_send_sz.
 */
#define pr_fmt(fmt) "hv_vmbus: " fmt

#include <linux/kernel.h>
#include <linux/mm.h>
#include <linux/hyperv.h>
#include <linux/uio.h>
#include <linux/vmalloc.h>
#include <linux/slab.h>
#include <linux/io.h>

#include "hyperv_vmbus.h"

/* The trailing u64 after every packet. */
enum { VMBUS_PKT_TRAILER = sizeof(u64) };

static_assert(sizeof(struct hv_ring_buffer) == PAGE_SIZE);
static_assert(offsetof(struct hv_ring_buffer, pending_send_sz) == 12);
static_assert(offsetof(struct hv_ring_buffer, feature_bits) == 64);
static_assert(sizeof(struct vmpacket_descriptor) == 16);

/**
 * vmbus_chan_break() - mark a channel broken after bad host input
 * @ch: the channel
 * @why: what was wrong, for the log
 *
 * Context: any.
 */
void vmbus_chan_break(struct vmbus_channel *ch, const char *why)
{
	struct vmbus_chan *vc = to_vmbus_chan(ch);

	if (!test_and_set_bit(VMBUS_CHAN_BROKEN, &vc->flags))
		pr_err("relid %u: %s; channel broken\n",
		       ch->offermsg.child_relid, why);
}

static bool vmbus_chan_broken(struct vmbus_channel *ch)
{
	return test_bit(VMBUS_CHAN_BROKEN, &to_vmbus_chan(ch)->flags);
}

static bool vmbus_tid_guarded(struct vmbus_channel *ch)
{
	return test_bit(VMBUS_CHAN_TID_GUARD, &to_vmbus_chan(ch)->flags);
}

/**
 * hv_ringbuffer_init() - map a ring and prepare its bookkeeping
 * @rbi: the ring
 * @pages: the ring's first page (header), followed by @page_cnt - 1 data pages
 * @page_cnt: pages in the ring, header included; at least 2
 * @max_pkt_size: the largest packet the reader copies out
 *
 * Context: process context, may sleep.
 * Return: 0, -EINVAL or -ENOMEM.
 */
int hv_ringbuffer_init(struct hv_ring_buffer_info *rbi, struct page *pages,
		       u32 page_cnt, u32 max_pkt_size)
{
	struct page **map;
	u32 i, data = page_cnt - 1;

	if (page_cnt < 2)
		return -EINVAL;
	map = kcalloc(2 * data + 1, sizeof(*map), GFP_KERNEL);
	if (!map)
		return -ENOMEM;
	map[0] = pages;
	for (i = 0; i < 2 * data; i++)
		map[i + 1] = &pages[1 + i % data];
	rbi->ring_buffer = vmap(map, 2 * data + 1, VM_MAP, PAGE_KERNEL);
	kfree(map);
	if (!rbi->ring_buffer)
		return -ENOMEM;

	rbi->pkt_buffer = kzalloc(max_pkt_size, GFP_KERNEL);
	if (!rbi->pkt_buffer) {
		vunmap(rbi->ring_buffer);
		rbi->ring_buffer = NULL;
		return -ENOMEM;
	}
	rbi->pkt_buffer_size = max_pkt_size;
	rbi->ring_buffer->feature_bits.value = 1;	/* feat_pending_send_sz */
	rbi->ring_size = page_cnt << PAGE_SHIFT;
	rbi->ring_size_div10_reciprocal = reciprocal_value(rbi->ring_size / 10);
	rbi->ring_datasize = rbi->ring_size - sizeof(struct hv_ring_buffer);
	rbi->priv_read_index = 0;
	spin_lock_init(&rbi->ring_lock);
	mutex_init(&rbi->ring_buffer_mutex);
	return 0;
}

/**
 * hv_ringbuffer_reset() - an empty ring for a new open
 * @rbi: the ring, mapped and not in use
 *
 * A channel may be opened again on the rings it used before
 * (vmbus_disconnect_ring() and vmbus_connect_ring()); the host starts
 * every open at index 0, so the guest must too, with the interrupt
 * unmasked and no send request pending.
 *
 * Context: process context; no one uses the ring.
 */
void hv_ringbuffer_reset(struct hv_ring_buffer_info *rbi)
{
	struct hv_ring_buffer *rb = rbi->ring_buffer;

	rb->write_index = 0;
	rb->read_index = 0;
	rb->interrupt_mask = 0;
	rb->pending_send_sz = 0;
	rb->feature_bits.value = 1;	/* feat_pending_send_sz */
	rbi->priv_read_index = 0;
}

/**
 * hv_ringbuffer_cleanup() - unmap a ring
 * @rbi: the ring; nothing happens if it is not mapped
 *
 * Context: process context; the ring is no longer used by anyone.
 */
void hv_ringbuffer_cleanup(struct hv_ring_buffer_info *rbi)
{
	mutex_lock(&rbi->ring_buffer_mutex);
	if (rbi->ring_buffer)
		vunmap(rbi->ring_buffer);
	rbi->ring_buffer = NULL;
	kfree(rbi->pkt_buffer);
	rbi->pkt_buffer = NULL;
	rbi->pkt_buffer_size = 0;
	mutex_unlock(&rbi->ring_buffer_mutex);
}

/* A host-written index: inside the data area and 8-byte aligned. */
static bool vmbus_index_ok(const struct hv_ring_buffer_info *rbi, u32 index)
{
	return index < rbi->ring_datasize && IS_ALIGNED(index, 8);
}

static u32 vmbus_ring_used(const struct hv_ring_buffer_info *rbi, u32 read,
			   u32 write)
{
	return write >= read ? write - read : rbi->ring_datasize - read + write;
}

/**
 * vmbus_ring_step() - an index moved on by some bytes, wrapped
 * @rbi: the ring
 * @index: a checked index, inside the data area
 * @n: bytes, no more than the data area holds
 *
 * One subtraction wraps it: the data size is not a power of two in
 * general, and a division per packet is dear.
 *
 * Return: (@index + @n) modulo the data size.
 */
static u32 vmbus_ring_step(const struct hv_ring_buffer_info *rbi, u32 index,
			   u32 n)
{
	index += n;
	if (index >= rbi->ring_datasize)
		index -= rbi->ring_datasize;
	return index;
}

/**
 * vmbus_setevent() - signal the host that a channel has work
 * @channel: the channel
 *
 * A channel the host offered with a monitor id is signalled through the
 * child-to-parent monitor page: its bit in the trigger group's pending
 * word, which the host scans at the group's latency.  Other channels, and
 * monitored ones a driver put in low-latency mode, use HvSignalEvent on
 * the offer's connection id.  The caller's ring update is ordered before
 * either by the full barrier of the ring code's signalling decision; the
 * locked bit operation is what the host's atomic exchange pairs with.
 *
 * Context: any.
 */
void vmbus_setevent(struct vmbus_channel *channel)
{
	struct hv_monitor_page *mp = vmbus_connection.monitor_pages[1];

	++channel->sig_events;
	if (channel->offermsg.monitor_allocated && !channel->low_latency && mp) {
		sync_set_bit(channel->monitor_bit,
			     (unsigned long *)&mp->trigger_group[channel->monitor_grp].pending);
		return;
	}
	vmbus_set_event(channel);
}

/* Signal the host after a write, if the contract says so. */
static void vmbus_signal_on_write(struct vmbus_channel *ch, u32 old_write)
{
	struct hv_ring_buffer *rb = ch->outbound.ring_buffer;

	/* Order the write_index store before the loads below: pairs with the
	 * host's barrier between clearing interrupt_mask and re-reading
	 * write_index.
	 */
	virt_mb();
	if (READ_ONCE(rb->interrupt_mask))
		return;
	/* Signal only if the host had read everything: empty -> non-empty. */
	if (old_write == READ_ONCE(rb->read_index)) {
		++ch->intr_out_empty;
		vmbus_setevent(ch);
	}
}

/*
 * The transaction id a packet goes out with.  Only a packet that asks the
 * host for a completion gets an id from the driver's
 * next_request_id_callback (vmbus_next_request_id() for drivers that use
 * the channel's requestor, a driver's own tag map otherwise); every other
 * packet, such as a completion that echoes the host's id back, carries the
 * caller's @requestid unchanged, as does any packet of a driver that set
 * no callback.  The callback runs under the outbound ring lock, so ids are
 * taken in ring order and none is taken for a packet that finds no room.
 */
static u64 vmbus_ring_trans_id(struct vmbus_channel *ch,
			       const struct vmpacket_descriptor *desc,
			       u64 requestid)
{
	u64 (*next_id)(struct vmbus_channel *ch, u64 rqst_addr);
	u64 tid;

	next_id = ch->next_request_id_callback;
	if (!(desc->flags & VMBUS_DATA_PACKET_FLAG_COMPLETION_REQUESTED) || !next_id)
		return requestid;
	tid = next_id(ch, requestid);
	if (tid == VMBUS_NO_RQSTOR)
		return requestid;
	/* The driver's own ids: remember this one until it is answered. */
	if (tid != VMBUS_RQST_ERROR && vmbus_tid_guarded(ch))
		vmbus_tid_sent(ch, tid);
	return tid;
}

/**
 * hv_ringbuffer_write() - write one packet to the outbound ring
 * @ch: an open channel
 * @kv_list: the packet's pieces; the first starts with its descriptor
 * @kv_count: number of pieces
 * @requestid: the caller's request id, or VMBUS_NO_RQSTOR
 * @trans_id: if not NULL, set to the transaction id written
 *
 * Context: any; takes the outbound ring lock with interrupts disabled.
 * Return: 0; -EAGAIN if the ring has no room (or no request id is free);
 * -ENODEV if the channel was rescinded; -EIO if it is broken.
 */
int hv_ringbuffer_write(struct vmbus_channel *ch, const struct kvec *kv_list,
			u32 kv_count, u64 requestid, u64 *trans_id)
{
	struct hv_ring_buffer_info *rbi = &ch->outbound;
	u32 i, len = 0, total, read, write, old_write;
	struct vmpacket_descriptor *desc;
	unsigned long flags;
	u64 tid, trailer;
	const u64 zero = 0;
	void *data;

	for (i = 0; i < kv_count; i++)
		len += kv_list[i].iov_len;
	total = ALIGN(len, 8) + VMBUS_PKT_TRAILER;

	spin_lock_irqsave(&rbi->ring_lock, flags);
	if (READ_ONCE(ch->rescind)) {
		spin_unlock_irqrestore(&rbi->ring_lock, flags);
		return -ENODEV;
	}
	if (vmbus_chan_broken(ch) || !rbi->ring_buffer)
		goto err_io;
	/* The guest's own copy: the host has no say in where we write. */
	write = to_vmbus_chan(ch)->out_write;
	/*
	 * Room, first from the host's read index as this lock's holder last
	 * saw it (priv_read_index, which an outbound ring has no other use
	 * for): the host's reads only move it on towards write_index, so the
	 * room it shows is never more than there is, and the line the host
	 * writes is loaded only when that room is short.  Never fill the
	 * ring completely: full would look empty.
	 */
	read = rbi->priv_read_index;
	if (rbi->ring_datasize - vmbus_ring_used(rbi, read, write) <= total) {
		read = READ_ONCE(rbi->ring_buffer->read_index);
		if (!vmbus_index_ok(rbi, read)) {
			vmbus_chan_break(ch, "outbound ring index out of range");
			goto err_io;
		}
		rbi->priv_read_index = read;
		if (rbi->ring_datasize - vmbus_ring_used(rbi, read, write) <= total) {
			++ch->out_full_total;
			spin_unlock_irqrestore(&rbi->ring_lock, flags);
			return -EAGAIN;
		}
	}
	tid = vmbus_ring_trans_id(ch, kv_list[0].iov_base, requestid);
	if (tid == VMBUS_RQST_ERROR) {
		spin_unlock_irqrestore(&rbi->ring_lock, flags);
		return -EAGAIN;
	}

	old_write = write;
	data = hv_get_ring_buffer(rbi);
	desc = data + write;
	/*
	 * The padding: zero the last 8-byte word the payload ends in, before
	 * the payload overwrites the part of it that is not padding.  The
	 * data pages are mapped twice, so the word never wraps.
	 */
	if (len & 7)
		memcpy(data + write + (len & ~7u), &zero, sizeof(zero));
	for (i = 0; i < kv_count; i++) {
		memcpy(data + write, kv_list[i].iov_base, kv_list[i].iov_len);
		write += kv_list[i].iov_len;
	}
	desc->trans_id = tid;
	write = old_write + ALIGN(len, 8);
	trailer = (u64)old_write << 32;
	memcpy(data + write, &trailer, sizeof(trailer));
	write = vmbus_ring_step(rbi, old_write, total);

	/*
	 * The packet is in place before the host can see the new index: a
	 * release orders every store (and load) of the packet before the
	 * index store; pairs with the host's barrier between loading
	 * write_index and reading the packet (channels.rst, "The ring").
	 */
	virt_store_release(&rbi->ring_buffer->write_index, write);
	to_vmbus_chan(ch)->out_write = write;
	spin_unlock_irqrestore(&rbi->ring_lock, flags);

	if (trans_id)
		*trans_id = tid;
	vmbus_signal_on_write(ch, old_write);
	return 0;

err_io:
	spin_unlock_irqrestore(&rbi->ring_lock, flags);
	return -EIO;
}

/* Bytes the reader may still consume, from its private read index. */
static u32 vmbus_iter_avail(struct vmbus_channel *ch)
{
	struct hv_ring_buffer_info *rbi = &ch->inbound;
	u32 write;

	/* The packet bytes are read after the index: an acquire, which pairs
	 * with the host's barrier between writing a packet and publishing
	 * write_index.
	 */
	write = virt_load_acquire(&rbi->ring_buffer->write_index);
	if (!vmbus_index_ok(rbi, write)) {
		vmbus_chan_break(ch, "inbound write index out of range");
		return 0;
	}
	return vmbus_ring_used(rbi, rbi->priv_read_index, write);
}

/**
 * vmbus_pkt_peek() - find and check the next unread inbound packet
 * @channel: an open channel; the caller is its only reader
 * @d: set to the packet's descriptor as checked (and cut, see below)
 *
 * Reads the descriptor out of the ring once and checks it against the
 * bytes the host has published.  A packet longer than the ring's packet
 * buffer (the driver's max_pkt_size) is cut to it: @d says so in its own
 * length and data offset, with a rate-limited line and the
 * packets_truncated statistic; the reader still steps over all of it
 * (in_len).  Completions that no request awaits are stepped over here.
 *
 * Context: as hv_pkt_iter_first().
 * Return: where the packet starts in the ring, hv_pkt_len(@d) bytes of it
 * to be copied out; NULL if there is none or the ring is corrupt.
 */
static const void *vmbus_pkt_peek(struct vmbus_channel *channel,
				  struct vmpacket_descriptor *d)
{
	struct hv_ring_buffer_info *rbi = &channel->inbound;
	bool dropped = false;
	const void *src;
	u32 avail, len;

	if (!rbi->ring_buffer || vmbus_chan_broken(channel))
		return NULL;
again:
	avail = vmbus_iter_avail(channel);
	if (avail < sizeof(*d) + VMBUS_PKT_TRAILER) {
		/* No packet follows to close the iteration: give the room back. */
		if (dropped)
			hv_pkt_iter_close(channel);
		return NULL;
	}
	src = hv_get_ring_buffer(rbi) + rbi->priv_read_index;
	memcpy(d, src, sizeof(*d));
	len = (u32)d->len8 << 3;
	if (len < sizeof(*d) || len + VMBUS_PKT_TRAILER > avail ||
	    ((u32)d->offset8 << 3) > len) {
		vmbus_chan_break(channel, "inbound packet length beyond the data");
		return NULL;
	}
	/*
	 * A completion that no request awaits (the driver's own ids) never
	 * reaches the driver; its bytes go back to the host with the next
	 * hv_pkt_iter_close().  Id 0 is never sent: it marks the host's own
	 * messages, which the driver checks itself.
	 */
	if (d->type == VM_PKT_COMP && d->trans_id && vmbus_tid_guarded(channel) &&
	    !vmbus_tid_awaited(channel, d->trans_id)) {
		rbi->priv_read_index = vmbus_ring_step(rbi, rbi->priv_read_index,
						       len + VMBUS_PKT_TRAILER);
		dropped = true;
		goto again;
	}
	to_vmbus_chan(channel)->in_len = len;
	if (len > rbi->pkt_buffer_size) {
		/*
		 * More than the driver takes (a newer host's longer packet, or
		 * a hostile one): the driver gets the part that fits, which
		 * says so in its own length; the iterator still steps over the
		 * whole packet (in_len).
		 */
		len = rbi->pkt_buffer_size & ~7u;
		if (len < sizeof(*d)) {
			vmbus_chan_break(channel, "inbound packet larger than the driver allows");
			return NULL;
		}
		pr_warn_ratelimited("relid %u: inbound packet of %u bytes, more than the driver takes; it gets the first %u\n",
				    channel->offermsg.child_relid, (u32)d->len8 << 3, len);
		vmbus_stat_inc(VMBUS_STAT_PACKETS_TRUNCATED);
		d->len8 = len >> 3;
		if (d->offset8 > d->len8)
			d->offset8 = d->len8;
	}
	return src;
}

/**
 * hv_pkt_iter_first() - the next unread inbound packet, copied out
 * @channel: an open channel; the caller is its only reader
 *
 * The packet is validated and copied into the ring's packet buffer; the
 * returned descriptor points there and stays valid until the next call.
 * A packet longer than that buffer (the driver's max_pkt_size) is handed
 * out cut to it, its length and data offset saying so, with a
 * rate-limited line and the packets_truncated statistic; the iterator
 * still steps over all of it.
 *
 * Context: the channel's callback, or the caller that serializes reads.
 * Return: the packet, or NULL if there is none or the ring is corrupt.
 */
struct vmpacket_descriptor *hv_pkt_iter_first(struct vmbus_channel *channel)
{
	struct vmpacket_descriptor d, *copy;
	const void *src;

	src = vmbus_pkt_peek(channel, &d);
	if (!src)
		return NULL;
	copy = channel->inbound.pkt_buffer;
	memcpy(copy, src, hv_pkt_len(&d));
	/* The host may have changed the ring since: keep what was checked. */
	*copy = d;
	return copy;
}

/**
 * vmbus_pkt_consume() - step over the inbound packet handed out last
 * @channel: the channel
 * @pkt: that packet's descriptor, as checked
 *
 * Moves the private read index only; hv_pkt_iter_close() publishes it.
 *
 * Context: as hv_pkt_iter_first().
 */
static void vmbus_pkt_consume(struct vmbus_channel *channel,
			      const struct vmpacket_descriptor *pkt)
{
	struct hv_ring_buffer_info *rbi = &channel->inbound;

	if (pkt->type == VM_PKT_COMP && vmbus_tid_guarded(channel))
		vmbus_tid_answered(channel, pkt->trans_id);
	/* The whole packet, also where the driver got only its first part. */
	rbi->priv_read_index = vmbus_ring_step(rbi, rbi->priv_read_index,
					       to_vmbus_chan(channel)->in_len +
					       VMBUS_PKT_TRAILER);
}

/**
 * __hv_pkt_iter_next() - consume a packet and return the next one
 * @channel: the channel
 * @pkt: what hv_pkt_iter_first() or this function returned last
 *
 * The read index the host sees is not moved until hv_pkt_iter_close().
 *
 * Context: as hv_pkt_iter_first().
 * Return: the next packet, or NULL.
 */
struct vmpacket_descriptor *
__hv_pkt_iter_next(struct vmbus_channel *channel,
		   const struct vmpacket_descriptor *pkt)
{
	vmbus_pkt_consume(channel, pkt);
	return hv_pkt_iter_first(channel);
}

/**
 * vmbus_ring_publish() - publish the packets consumed so far
 * @channel: the channel
 * @check: look at the host's pending_send_sz behind a full barrier even if
 *	a plain look finds it clear
 *
 * Moves the read index the host sees, then signals the host if the room
 * this made crosses the host's pending_send_sz.  That decision needs a
 * full barrier between the index store and the load of pending_send_sz
 * (the host sets pending_send_sz, issues one and looks at read_index
 * again), and on a busy ring the barrier is most of a packet's cost: it
 * waits until the store owns the line the host writes write_index to.
 * So without @check a plain load decides first, and a clear
 * pending_send_sz skips the barrier.  That look may miss a request the
 * host is making at that moment, and the host then waits: the reader
 * owes it a look behind the barrier, and takes it with @check
 * (hv_ringbuffer_read() whenever it leaves the ring with no packet
 * unread or the channel's callback is not batched, vmbus_ring_settle()
 * when a batched callback returns, and hv_pkt_iter_close() always).
 * Until then the host waits, at most until the callback run ends:
 * @in_unchecked keeps the debt.
 *
 * Context: as hv_pkt_iter_first().
 */
static void vmbus_ring_publish(struct vmbus_channel *channel, bool check)
{
	struct hv_ring_buffer_info *rbi = &channel->inbound;
	struct vmbus_chan *vc = to_vmbus_chan(channel);
	u32 old_read, pending, free_before, free_now, write;
	bool owed;

	if (!rbi->ring_buffer)
		return;
	old_read = vc->in_pub;
	/*
	 * Every read of the consumed packets happens before the index moves:
	 * a release orders those loads before the store (a read barrier
	 * would order them only before later loads); pairs with the host's
	 * barrier between loading read_index and writing into the room it
	 * gives (channels.rst, "The ring").
	 */
	virt_store_release(&rbi->ring_buffer->read_index, rbi->priv_read_index);
	vc->in_pub = rbi->priv_read_index;

	if (!rbi->ring_buffer->feature_bits.feat_pending_send_sz)
		return;
	if (!check && !READ_ONCE(rbi->ring_buffer->pending_send_sz)) {
		vc->in_unchecked = true;
		return;
	}
	/* The index store is visible before pending_send_sz is read: pairs
	 * with the host's barrier between setting pending_send_sz and
	 * re-reading read_index.
	 */
	virt_mb();
	owed = vc->in_unchecked;
	vc->in_unchecked = false;
	pending = READ_ONCE(rbi->ring_buffer->pending_send_sz);
	if (!pending)
		return;
	write = READ_ONCE(rbi->ring_buffer->write_index);
	if (!vmbus_index_ok(rbi, write))
		return;
	free_now = rbi->ring_datasize -
		   vmbus_ring_used(rbi, rbi->priv_read_index, write);
	/*
	 * Signal only on the crossing: not enough room before, enough now.
	 * After publishes that skipped the barrier, "before" is the last
	 * look behind it, which is not known: the room may have crossed in
	 * any of them, so enough room now is the crossing.
	 */
	free_before = owed ? 0 : rbi->ring_datasize -
				 vmbus_ring_used(rbi, old_read, write);
	if (free_before > pending || free_now <= pending)
		return;
	++channel->intr_in_full;
	vmbus_setevent(channel);
}

/**
 * hv_pkt_iter_close() - publish the packets consumed so far
 * @channel: the channel
 *
 * Moves the read index the host sees and signals the host if the space
 * this made crosses its pending_send_sz.
 *
 * Context: as hv_pkt_iter_first().
 */
void hv_pkt_iter_close(struct vmbus_channel *channel)
{
	vmbus_ring_publish(channel, true);
}

/**
 * vmbus_ring_settle() - pay a debt hv_ringbuffer_read() left
 * @channel: the channel
 *
 * A look at pending_send_sz behind the barrier if a publish since the last
 * one skipped it (vmbus_ring_publish()), so that no debt outlives the
 * callback run that made it.
 *
 * Context: the channel's reader, after its callback returned.
 */
void vmbus_ring_settle(struct vmbus_channel *channel)
{
	if (to_vmbus_chan(channel)->in_unchecked)
		vmbus_ring_publish(channel, true);
}

/**
 * hv_ringbuffer_read() - copy one inbound packet out
 * @ch: an open channel
 * @buf: where the packet goes
 * @buflen: room in @buf
 * @actual: set to the packet's length (payload, or whole packet if @raw)
 * @requestid: set to the packet's transaction id
 * @raw: copy the whole packet, descriptor included
 *
 * Context: the channel's reader.
 * Return: 0 (also with *@actual == 0 when there is no packet), -ENOBUFS if
 * @buf is too small (the packet stays in the ring), -EIO if broken.
 */
int hv_ringbuffer_read(struct vmbus_channel *ch, void *buf, u32 buflen,
		       u32 *actual, u64 *requestid, bool raw)
{
	struct vmpacket_descriptor d;
	const void *src;
	u32 offset, len;

	*actual = 0;
	*requestid = 0;
	if (vmbus_chan_broken(ch))
		return -EIO;
	src = vmbus_pkt_peek(ch, &d);
	if (!src) {
		/* Nothing to read: pay what an earlier publish owes. */
		vmbus_ring_settle(ch);
		return vmbus_chan_broken(ch) ? -EIO : 0;
	}
	offset = raw ? 0 : (u32)d.offset8 << 3;
	len = hv_pkt_len(&d) - offset;
	*actual = len;
	*requestid = d.trans_id;
	if (len > buflen)
		return -ENOBUFS;
	/*
	 * One copy, straight out of the ring into @buf, which is as private
	 * as the packet buffer; what it holds of the descriptor is the
	 * checked one, as hv_pkt_iter_first() hands out.  The packet is
	 * at least a descriptor long, so the part of it in @buf fits.
	 */
	memcpy(buf, src + offset, len);
	if (offset < sizeof(d))
		memcpy(buf, (const void *)&d + offset, sizeof(d) - offset);
	vmbus_pkt_consume(ch, &d);
	/*
	 * Publish per packet, as a reader that may not come back must.  The
	 * barrier is skipped (vmbus_ring_publish()) only while packets are
	 * left unread and the reader is a batched callback: vmbus_on_event()
	 * settles the debt when the callback returns (vmbus_ring_settle()).
	 * A callback of the other modes runs once per interrupt, and the host
	 * raises no interrupt while it waits for room in a ring that is not
	 * empty.
	 */
	vmbus_ring_publish(ch, ch->callback_mode != HV_CALL_BATCHED ||
			   vmbus_iter_avail(ch) == 0);
	return 0;
}

/**
 * hv_ringbuffer_get_debuginfo() - the state of a ring, for sysfs and debugfs
 * @ring_info: the ring
 * @debug_info: filled in
 *
 * Context: process context (takes the ring's mutex).
 * Return: 0, or -EINVAL if the ring is not mapped.
 */
int hv_ringbuffer_get_debuginfo(struct hv_ring_buffer_info *ring_info,
				struct hv_ring_buffer_debug_info *debug_info)
{
	u32 read, write;

	mutex_lock(&ring_info->ring_buffer_mutex);
	if (!ring_info->ring_buffer) {
		mutex_unlock(&ring_info->ring_buffer_mutex);
		return -EINVAL;
	}
	read = READ_ONCE(ring_info->ring_buffer->read_index);
	write = READ_ONCE(ring_info->ring_buffer->write_index);
	debug_info->current_interrupt_mask =
		READ_ONCE(ring_info->ring_buffer->interrupt_mask);
	debug_info->current_read_index = read;
	debug_info->current_write_index = write;
	if (vmbus_index_ok(ring_info, read) && vmbus_index_ok(ring_info, write)) {
		debug_info->bytes_avail_toread =
			vmbus_ring_used(ring_info, read, write);
		debug_info->bytes_avail_towrite = ring_info->ring_datasize -
			debug_info->bytes_avail_toread;
	} else {
		debug_info->bytes_avail_toread = 0;
		debug_info->bytes_avail_towrite = 0;
	}
	mutex_unlock(&ring_info->ring_buffer_mutex);
	return 0;
}

/**
 * hv_ringbuffer_spinlock_busy() - is someone writing to the outbound ring
 * @channel: the channel
 *
 * Context: any.
 * Return: true if the outbound ring's lock is held.
 */
bool hv_ringbuffer_spinlock_busy(struct vmbus_channel *channel)
{
	spinlock_t *lock = &channel->outbound.ring_lock;

	/*
	 * A question about someone else's lock, not an assertion that we
	 * hold it; lockdep has no equivalent.  On PREEMPT_RT a spinlock_t
	 * is an rt_mutex.
	 */
#ifdef CONFIG_PREEMPT_RT
	return rt_mutex_base_is_locked(&lock->lock);
#else
	return raw_spin_is_locked(&lock->rlock);
#endif
}
