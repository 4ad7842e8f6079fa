// SPDX-License-Identifier: GPL-2.0
/*
 * vmbus_sim: open channels, their rings and the echo back end (vmbus-sim.rst,
 * host behaviour
 * 11-13, 15).
 *
 *   OPENCHANNEL   -> OPENCHANNEL_RESULT (optionally after an early packet)
 *   CLOSECHANNEL  -> the host stops using the rings (no answer)
 *   MODIFYCHANNEL -> new target VP; MODIFYCHANNEL_RESPONSE from 5.3
 *
 * Names are the host's: its "in" ring is the guest's outbound ring (the
 * GPADL's pages [0, offset)), its "out" ring the guest's inbound ring
 * (pages [offset, n)).  The host owns in.read_index, in.interrupt_mask,
 * in.pending_send_sz's consumer side, out.write_index and
 * out.pending_send_sz; it keeps its own copies of the indices it owns and
 * never trusts what it reads back from shared memory.
 *
 * Contexts:
 *  - sim_lock (the host work item, the control plane): open, close,
 *    modify, rescind, disconnect.  They publish or unpublish the channel
 *    in sim_opens[] (RCU) and stop its work.
 *  - the guest's signal_event, any context: looks the channel up under
 *    RCU, counts the signal and queues the channel's work.
 *  - the channel's work and poll (sim_async_wq; the work of a local back
 *    end: sim_local_wq, sim_open_queue()), under the channel's mutex: all
 *    ring access.  They never take sim_lock, so sim_lock
 *    holders may wait for them.
 *
 * Back ends: each device class the host serves has a struct sim_backend
 * (see sim_backend_find()): the echo device here, and those other files
 * register (sim_ring_register_backends(): the integration components of
 * sim_ic.c, the SCSI controller of sim_storvsc.c).  The ring contract
 * (peek, write, signal, consume, poll) is this file's; a back end's service function runs in
 * the channel's work and uses sim_ring_drain() and sim_ring_send().  A
 * channel of a class without a back end is never read by the host.
 *
 * Ring contract, as the host reads (the guest writes its outbound ring in
 * hv_ringbuffer_write()):
 *
 *   host (reader)                      guest (writer)
 *   interrupt_mask = 1 while draining  store write_index
 *   ...consume, publish read_index     virt_mb()
 *   interrupt_mask = 0                 load interrupt_mask, read_index
 *   virt_mb()                          signal if mask 0 and ring was
 *   load write_index: more? drain on     empty before the write
 *
 * Forbidden: the host sees no new write_index AND the guest sees the mask
 * set or the ring non-empty (then nobody would process the packet).  The
 * two full barriers make it impossible (store buffering).
 *
 * A guest signal is *spurious* when the work it triggers finds nothing to
 * do: no unread packet in the host's in ring and, if the host waits for
 * room in the out ring, still no room.  A signal that races with a drain
 * in progress (the guest looked at the mask just before the host set it)
 * can count as spurious too; a correct guest makes that rare, not
 * impossible.  A *missed* signal is counted by the poll (every
 * SIM_POLL_MS): the host has something to do (unread packets while it is
 * not blocked on the out ring, or room in the out ring while it is), no
 * signal came since the last run of the work, and every poll for
 * SIM_MISSED_MS found the same.  The guest owed a signal then: the host
 * leaves the in ring unmasked and fully drained whenever it is not
 * blocked.  The wait is long because a guest vCPU may be descheduled
 * between its index store and its signal (a loaded host running TCG
 * stalls a vCPU for well over 100 ms); a guest that really missed a signal
 * leaves the ring stuck for good.  A missed signal is a guest bug; the
 * poll processes the data so traffic goes on.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/atomic.h>
#include <linux/cpumask.h>
#include <linux/jiffies.h>
#include <linux/lockdep.h>
#include <linux/mutex.h>
#include <linux/rcupdate.h>
#include <linux/sched.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/vmalloc.h>

#include "sim.h"

static_assert(sizeof(struct hv_ring_buffer) == PAGE_SIZE);
static_assert(offsetof(struct hv_ring_buffer, interrupt_mask) == 8);
static_assert(offsetof(struct hv_ring_buffer, pending_send_sz) == 12);
static_assert(offsetof(struct hv_ring_buffer, feature_bits) == 64);
static_assert(sizeof(struct vmpacket_descriptor) == 16);
static_assert(sizeof(struct vmbus_channel_open_channel) == 148);
static_assert(sizeof(struct vmbus_channel_open_result) == 20);
static_assert(sizeof(struct vmbus_channel_close_channel) == 12);
static_assert(sizeof(struct vmbus_channel_modifychannel) == 16);
static_assert(sizeof(struct vmbus_channel_modifychannel_response) == 16);

enum {
	/* The trailing u64 after every packet: the writer's old index << 32. */
	SIM_PKT_TRAILER	= sizeof(u64),
	/* Safety poll period of an open echo channel. */
	SIM_POLL_MS	= 50,
	/* How long work without a signal must last to be a missed signal. */
	SIM_MISSED_MS	= 2000,
	/* Files that register back ends: the ICs, storvsc, hv_sock. */
	SIM_BACKEND_GROUPS = 4,
};

/**
 * struct sim_ring - the host's view of one ring
 * @hdr: the ring's header page, followed by its data mapped twice
 * @data: the data area
 * @size: bytes in the data area
 * @index: the index the host owns (in: read, out: write), its own copy
 */
struct sim_ring {
	struct hv_ring_buffer *hdr;
	u8 *data;
	u32 size;
	u32 index;
};

enum sim_open_counter {
	SIM_OC_PKTS_IN,
	SIM_OC_PKTS_OUT,
	SIM_OC_BYTES_IN,
	SIM_OC_BYTES_OUT,
	SIM_OC_SPURIOUS,
	SIM_OC_MISSED,
	SIM_OC_ERRORS,
	SIM_OC_COUNT
};

/**
 * struct sim_open - an open channel
 * @relid: its relid
 * @gpadl: handle of the GPADL its rings live in
 * @be: its class's back end, NULL if the host does not serve the class
 * @priv: the back end's, from its open to its close
 * @hvs_service: the device's &enum sim_hvsock_service (sim_hvsock.c)
 * @events: the channel record's event count (outlives this object)
 * @rcu: frees it after signal_event callers are done
 * @target_vp: the VP its events go to; written under @lock
 * @signals: guest signals since the work last ran
 * @lock: serializes every ring access and @target_vp
 * @work: the back end's service, on a signal, a poll's or a kick's word
 * @poll: the safety poll
 * @in: the guest's outbound ring
 * @out: the guest's inbound ring
 * @pkt: one packet copied out of @in, @in.size bytes
 * @blocked: waiting for room in @out (pending_send_sz set there)
 * @need: the room it waits for; the host's copy of that pending_send_sz
 * @suspect: the polls since @suspect_at found work and no signal
 * @suspect_at: when the first of them did, in jiffies
 * @dead: corrupted by the control plane or bad guest input: no more ring
 *	access
 * @counters: see &enum sim_open_counter; any context
 */
struct sim_open {
	u32 relid;
	u32 gpadl;
	const struct sim_backend *be;
	void *priv;
	u8 hvs_service;
	atomic64_t *events;
	struct rcu_head rcu;

	u32 target_vp;
	atomic_t signals;

	struct mutex lock;	/* see above */
	struct work_struct work;
	struct delayed_work poll;
	struct sim_ring in;
	struct sim_ring out;
	u8 *pkt;
	bool blocked;
	u32 need;
	bool suspect;
	unsigned long suspect_at;
	bool dead;

	atomic64_t counters[SIM_OC_COUNT];
};

/* Published under sim_lock, looked up under RCU by signal_event. */
static struct sim_open __rcu *sim_opens[SIM_MAX_RELID + 1];

/* Relids whose offer the guest holds: their connection ids are valid. */
static DECLARE_BITMAP(sim_conn_ids, SIM_MAX_RELID + 1);

static void sim_oc_add(struct sim_open *o, enum sim_open_counter c, u64 n)
{
	atomic64_add(n, &o->counters[c]);
}

/* A guest ring error: counted for the channel and the host. */
static void sim_open_error(struct sim_open *o, const char *why)
{
	sim_oc_add(o, SIM_OC_ERRORS, 1);
	sim_stat_inc(SIM_STAT_RING_ERRORS);
	sim_guest_error("relid %u: %s; the host stops using the channel\n",
			o->relid, why);
	o->dead = true;
}

static bool sim_index_ok(const struct sim_ring *r, u32 index)
{
	return index < r->size && IS_ALIGNED(index, 8);
}

static u32 sim_used(const struct sim_ring *r, u32 read, u32 write)
{
	return write >= read ? write - read : r->size - read + write;
}

/*
 * Event to the guest: the relid's bit on the target VP (vmbus-sim.rst, host
 * behaviour 12).
 */
static void sim_open_signal(struct sim_open *o)
{
	enum sim_event_result res;

	lockdep_assert_held(&o->lock);
	res = sim_synic_signal(READ_ONCE(o->target_vp), o->relid);
	if (res == SIM_EVENT_SET) {
		atomic64_inc(o->events);
		sim_stat_inc(SIM_STAT_EVENTS_SET);
	} else if (res == SIM_EVENT_COALESCED) {
		sim_stat_inc(SIM_STAT_EVENTS_COALESCED);
	} else {
		/*
		 * The channel's VP has no SynIC: the guest took that CPU
		 * down without moving the channel first, and the signal is
		 * lost (a real host has no page to set the bit in).
		 */
		sim_stat_inc(SIM_STAT_EVENTS_OFF);
	}
}

/*
 * Room for @total bytes in the out ring, as the guest's writer rule has
 * it: the ring never fills completely.  Returns -EIO for a bad read index.
 */
static int sim_out_room(struct sim_open *o, u32 total)
{
	u32 read = READ_ONCE(o->out.hdr->read_index);

	if (!sim_index_ok(&o->out, read)) {
		sim_open_error(o, "inbound read_index out of range");
		return -EIO;
	}
	return o->out.size - sim_used(&o->out, read, o->out.index) > total;
}

/*
 * Write one packet of @len bytes (descriptor and payload, 8-aligned) and
 * its trailer into the out ring, which has room, and signal the guest if
 * the contract says so.
 */
static void sim_out_write(struct sim_open *o, const void *pkt, u32 len)
{
	struct sim_ring *r = &o->out;
	u32 old = r->index;
	u64 trailer = (u64)old << 32;

	lockdep_assert_held(&o->lock);
	memcpy(r->data + old, pkt, len);
	memcpy(r->data + old + len, &trailer, sizeof(trailer));
	r->index = (old + len + SIM_PKT_TRAILER) % r->size;
	/*
	 * The packet is in place before the index: pairs with the guest's
	 * acquire load of write_index in vmbus_iter_avail().
	 */
	virt_mb();
	WRITE_ONCE(r->hdr->write_index, r->index);
	sim_oc_add(o, SIM_OC_PKTS_OUT, 1);
	sim_oc_add(o, SIM_OC_BYTES_OUT, len);
	sim_stat_inc(SIM_STAT_PACKETS_OUT);
	/*
	 * The index store before the loads of the mask and the read index:
	 * pairs with the virt_mb() in the guest's hv_pkt_iter_close() between
	 * its read_index store and its look at our ring state.  Signal only
	 * on empty -> non-empty and an unmasked reader.
	 */
	virt_mb();
	if (!READ_ONCE(r->hdr->interrupt_mask) &&
	    READ_ONCE(r->hdr->read_index) == old)
		sim_open_signal(o);
}

/*
 * Back-pressure: tell the guest's reader how much room the host needs,
 * then look again.  Returns 1 if room appeared meanwhile, 0 to wait for
 * the guest's signal, -EIO.
 */
static int sim_out_wait(struct sim_open *o, u32 total)
{
	int room;

	WRITE_ONCE(o->out.hdr->pending_send_sz, total);
	/*
	 * pending_send_sz before the second look at read_index: pairs with
	 * the virt_mb() in hv_pkt_iter_close() between the guest's read_index
	 * store and its load of pending_send_sz.  Either we see the room or
	 * the guest sees our request and signals the crossing.
	 */
	virt_mb();
	room = sim_out_room(o, total);
	if (room == 1)
		WRITE_ONCE(o->out.hdr->pending_send_sz, 0);
	o->blocked = !room;
	o->need = total;
	return room;
}

/* Signal the guest's writer if the room we made crossed its request. */
static void sim_in_consumed(struct sim_open *o, u32 old_read, u32 write)
{
	struct sim_ring *r = &o->in;
	u32 pending, before, now;

	/*
	 * Every read of the packet before the guest may overwrite it: orders
	 * the copy-out before the index store, and the store before the load
	 * of pending_send_sz.  Pairs with the virt_mb() in the guest's
	 * hv_ringbuffer_write() path (vmbus_signal_on_write()) and with its
	 * write of pending_send_sz before it re-checks the ring.
	 */
	virt_mb();
	WRITE_ONCE(r->hdr->read_index, r->index);
	/* The index store before the load of pending_send_sz; see above. */
	virt_mb();
	pending = READ_ONCE(r->hdr->pending_send_sz);
	if (!pending)
		return;
	before = r->size - sim_used(r, old_read, write);
	now = r->size - sim_used(r, r->index, write);
	if (before <= pending && now > pending)
		sim_open_signal(o);
}

/*
 * Copy the packet at the host's read index out of the in ring and check
 * it.  Returns its length (descriptor and payload, without trailer), 0 if
 * the ring is empty, -EIO.
 */
static int sim_in_peek(struct sim_open *o, u32 *write)
{
	struct sim_ring *r = &o->in;
	struct vmpacket_descriptor d;
	u32 avail, len;
	u64 trailer;

	*write = READ_ONCE(r->hdr->write_index);
	if (!sim_index_ok(r, *write)) {
		sim_open_error(o, "outbound write_index out of range");
		return -EIO;
	}
	/* Packet bytes after the index: pairs with the guest's release store
	 * of write_index in hv_ringbuffer_write().
	 */
	virt_rmb();
	avail = sim_used(r, r->index, *write);
	if (!avail)
		return 0;
	memcpy(&d, r->data + r->index, sizeof(d));
	len = (u32)d.len8 << 3;
	if (len < sizeof(d) || len + SIM_PKT_TRAILER > avail ||
	    ((u32)d.offset8 << 3) > len) {
		sim_open_error(o, "outbound packet length beyond the data");
		return -EIO;
	}
	memcpy(o->pkt, r->data + r->index, len);
	memcpy(&trailer, r->data + r->index + len, sizeof(trailer));
	/* Check what was copied: the guest may change the ring meanwhile. */
	if (memcmp(o->pkt, &d, sizeof(d)) || trailer != (u64)r->index << 32) {
		sim_open_error(o, "outbound packet changed or bad trailer");
		return -EIO;
	}
	return len;
}

/* Echo packets until the in ring is empty or the out ring full. */
static bool sim_echo_drain(struct sim_open *o,
			   void (*seen)(struct sim_open *o, const void *pkt,
					u32 len))
{
	struct sim_ring *in = &o->in;
	bool did = false;
	u32 write, old;
	int len, room;

	for (;;) {
		len = sim_in_peek(o, &write);
		if (len <= 0)
			return did;
		room = sim_out_room(o, len + SIM_PKT_TRAILER);
		if (!room)
			room = sim_out_wait(o, len + SIM_PKT_TRAILER);
		if (room <= 0)
			return did;
		sim_oc_add(o, SIM_OC_PKTS_IN, 1);
		sim_oc_add(o, SIM_OC_BYTES_IN, len);
		sim_stat_inc(SIM_STAT_PACKETS_IN);
		if (seen)
			seen(o, o->pkt, len);
		sim_out_write(o, o->pkt, len);
		old = in->index;
		in->index = (old + len + SIM_PKT_TRAILER) % in->size;
		sim_in_consumed(o, old, write);
		did = true;
		/*
		 * A guest that keeps writing keeps us here: let the CPU go
		 * (process context, only our channel's mutex held).
		 */
		cond_resched();
	}
}

/*
 * One service pass: mask the guest's signals while draining, then unmask
 * and look once more (see the table at the top).  Blocked on the out
 * ring, the mask stays set: the guest's reader signal restarts us.
 */
static bool sim_echo_pass(struct sim_open *o,
			  void (*seen)(struct sim_open *o, const void *pkt,
				       u32 len))
{
	bool did = false;

	for (;;) {
		WRITE_ONCE(o->in.hdr->interrupt_mask, 1);
		did |= sim_echo_drain(o, seen);
		if (o->dead || o->blocked)
			return did;
		WRITE_ONCE(o->in.hdr->interrupt_mask, 0);
		/* Pairs with the guest's virt_mb() in vmbus_signal_on_write(). */
		virt_mb();
		if (READ_ONCE(o->in.hdr->write_index) == o->in.index)
			return did;
	}
}

static bool sim_echo_service(struct sim_open *o)
{
	return sim_echo_pass(o, NULL);
}

/**
 * sim_ring_echo() - send every packet the guest wrote back to it
 * @o: the channel; its lock held (a back end's service)
 * @seen: if not NULL, shown each packet (descriptor, payload, padding;
 *	@len bytes) before it goes back; the copy is checked against the
 *	ring and valid until @seen returns
 *
 * A packet is taken only when the guest's inbound ring has room for it;
 * without room the guest's reader signal runs the service again.
 *
 * Context: the channel's work, may sleep.
 * Return: whether a packet was echoed.
 */
bool sim_ring_echo(struct sim_open *o,
		   void (*seen)(struct sim_open *o, const void *pkt, u32 len))
{
	lockdep_assert_held(&o->lock);
	return sim_echo_pass(o, seen);
}

/* Whether the host has something to do that a guest signal should start. */
static bool sim_open_pending(struct sim_open *o)
{
	if (o->blocked)
		return sim_out_room(o, o->need) == 1;
	return READ_ONCE(o->in.hdr->write_index) != o->in.index;
}

/*
 * Queue @o's work: on the current CPU's sim_local_wq for a local back end,
 * else on sim_async_wq.  Every queueing of o->work goes through here: a
 * work item queued on two workqueues could run on both at once, and
 * cancel_work_sync() waits only for the last one.
 */
static void sim_open_queue(struct sim_open *o)
{
	if (o->be->local) {
		/* Preemption off: the CPU stays online meanwhile. */
		queue_work_on(get_cpu(), sim_local_wq, &o->work);
		put_cpu();
	} else {
		queue_work(sim_async_wq, &o->work);
	}
}

static void sim_open_work(struct work_struct *work)
{
	struct sim_open *o = container_of(work, struct sim_open, work);
	int sigs;
	bool did;

	mutex_lock(&o->lock);
	sigs = atomic_xchg(&o->signals, 0);
	o->suspect = false;
	if (o->dead) {
		mutex_unlock(&o->lock);
		return;
	}
	did = o->blocked && sim_open_pending(o);
	if (o->blocked && !o->dead) {
		/* Look again; a drain that still finds no room blocks anew. */
		o->blocked = false;
		WRITE_ONCE(o->out.hdr->pending_send_sz, 0);
	}
	if (!o->dead)
		did |= o->be->service(o);
	if (!did && sigs) {
		sim_oc_add(o, SIM_OC_SPURIOUS, 1);
		sim_stat_inc(SIM_STAT_RING_SPURIOUS);
	}
	mutex_unlock(&o->lock);
}

static void sim_open_poll(struct work_struct *work)
{
	struct sim_open *o = container_of(to_delayed_work(work),
					  struct sim_open, poll);

	mutex_lock(&o->lock);
	if (!o->dead && !atomic_read(&o->signals) && sim_open_pending(o)) {
		if (!o->suspect) {
			o->suspect = true;
			o->suspect_at = jiffies;
		} else if (time_after_eq(jiffies, o->suspect_at +
					 msecs_to_jiffies(SIM_MISSED_MS))) {
			sim_oc_add(o, SIM_OC_MISSED, 1);
			sim_stat_inc(SIM_STAT_RING_MISSED);
			sim_guest_error("relid %u: missed signal (%u ms without one)\n",
					o->relid, jiffies_to_msecs(jiffies - o->suspect_at));
			o->suspect = false;
			sim_open_queue(o);
		}
	} else {
		o->suspect = false;
	}
	mutex_unlock(&o->lock);
	queue_delayed_work(sim_async_wq, &o->poll,
			   msecs_to_jiffies(SIM_POLL_MS));
}

static const struct sim_backend sim_echo_backend = {
	.guid = SIM_TEST_ECHO_GUID,
	.name = "echo",
	.service = sim_echo_service,
};

/*
 * The back ends other files registered with sim_ring_register_backends()
 * (the integration components of sim_ic.c, the SCSI controller of
 * sim_storvsc.c) and the Hyper-V socket back end of sim_hvsock.c, at module
 * init, before any channel can be opened; read-only after that.
 */
static struct {
	const struct sim_backend *be;
	unsigned int n;
} sim_more_backends[SIM_BACKEND_GROUPS];
static unsigned int sim_nr_backend_groups;
static const struct sim_backend *sim_hvsock_be;

/**
 * sim_ring_register_backends() - serve more device classes
 * @be: the back ends, one per class; they live as long as the module
 * @n: how many
 *
 * Context: module init, before the control plane and the guest can open
 * a channel; at most SIM_BACKEND_GROUPS calls.
 */
void sim_ring_register_backends(const struct sim_backend *be, unsigned int n)
{
	if (WARN_ON_ONCE(sim_nr_backend_groups == ARRAY_SIZE(sim_more_backends)))
		return;
	sim_more_backends[sim_nr_backend_groups].be = be;
	sim_more_backends[sim_nr_backend_groups].n = n;
	sim_nr_backend_groups++;
}

/**
 * sim_ring_register_hvsock_backend() - serve the Hyper-V socket channels
 * @be: the back end of every device offered for hv_sock
 *
 * Context: module init, as sim_ring_register_backends().
 */
void sim_ring_register_hvsock_backend(const struct sim_backend *be)
{
	sim_hvsock_be = be;
}

/* The back end of a device: NULL if the host does not serve its class. */
static const struct sim_backend *sim_backend_find(const struct sim_device *dev)
{
	const guid_t *class_id = &dev->class_id;
	unsigned int g, i;

	if (dev->hvsock)
		return sim_hvsock_be;
	if (guid_equal(class_id, &sim_echo_backend.guid))
		return &sim_echo_backend;
	for (g = 0; g < sim_nr_backend_groups; g++)
		for (i = 0; i < sim_more_backends[g].n; i++)
			if (guid_equal(class_id, &sim_more_backends[g].be[i].guid))
				return &sim_more_backends[g].be[i];
	return NULL;
}

/**
 * sim_ring_drain() - take every packet the guest wrote to the host
 * @o: the channel; its lock held (a back end's service)
 * @handle: called with each packet (descriptor, payload, padding; @len
 *	bytes), copied out of the ring, checked against the ring and
 *	consumed; the copy is valid until @handle returns
 *
 * The guest's signals are masked while draining, then unmasked and the
 * ring looked at once more (see the table at the top).  The back end
 * checks everything inside the packet.
 *
 * Context: the channel's work, may sleep.
 * Return: whether a packet was taken.
 */
bool sim_ring_drain(struct sim_open *o,
		    void (*handle)(struct sim_open *o, const void *pkt, u32 len))
{
	struct sim_ring *in = &o->in;
	bool did = false;
	u32 write, old;
	int len;

	lockdep_assert_held(&o->lock);
	for (;;) {
		WRITE_ONCE(in->hdr->interrupt_mask, 1);
		while ((len = sim_in_peek(o, &write)) > 0) {
			sim_oc_add(o, SIM_OC_PKTS_IN, 1);
			sim_oc_add(o, SIM_OC_BYTES_IN, len);
			sim_stat_inc(SIM_STAT_PACKETS_IN);
			old = in->index;
			in->index = (old + len + SIM_PKT_TRAILER) % in->size;
			sim_in_consumed(o, old, write);
			handle(o, o->pkt, len);
			did = true;
			cond_resched();
		}
		if (o->dead)
			return did;
		WRITE_ONCE(in->hdr->interrupt_mask, 0);
		/* Pairs with the guest's virt_mb() in vmbus_signal_on_write(). */
		virt_mb();
		if (READ_ONCE(in->hdr->write_index) == in->index)
			return did;
	}
}

/**
 * sim_ring_send() - write one packet into the guest's inbound ring
 * @o: the channel; its lock held (a back end's service)
 * @pkt: descriptor and payload
 * @len: their length, a multiple of 8
 *
 * Signals the guest as the ring contract says.  Without room the host
 * asks the guest's reader for it (pending_send_sz); the guest's signal
 * runs the service again.
 *
 * Context: the channel's work, may sleep.
 * Return: 0; -EAGAIN if there is no room yet; -EMSGSIZE if the ring is
 * too small for @len; -EIO if the channel is broken.
 */
int sim_ring_send(struct sim_open *o, const void *pkt, u32 len)
{
	u32 total = len + SIM_PKT_TRAILER;
	int room;

	lockdep_assert_held(&o->lock);
	if (o->dead)
		return -EIO;
	if (!IS_ALIGNED(len, 8) || total >= o->out.size)
		return -EMSGSIZE;
	room = sim_out_room(o, total);
	if (!room)
		room = sim_out_wait(o, total);
	if (room < 0)
		return -EIO;
	if (!room)
		return -EAGAIN;
	sim_out_write(o, pkt, len);
	return 0;
}

/**
 * sim_ring_kick() - run a back end's service on its channel soon
 * @relid: the channel
 * @be: the back end the caller expects there
 *
 * Context: any.
 * Return: true if @relid is open with @be.
 */
bool sim_ring_kick(u32 relid, const struct sim_backend *be)
{
	struct sim_open *o;
	bool open;

	if (!relid || relid > SIM_MAX_RELID)
		return false;
	rcu_read_lock();
	o = rcu_dereference(sim_opens[relid]);
	open = o && o->be == be;
	if (open)
		sim_open_queue(o);
	rcu_read_unlock();
	return open;
}

/**
 * sim_ring_relid() - the relid of an open channel
 * @o: the channel
 *
 * Return: its relid.
 */
u32 sim_ring_relid(const struct sim_open *o)
{
	return o->relid;
}

/**
 * sim_ring_priv() - the back end's data of an open channel
 * @o: the channel
 *
 * Return: what the back end's open stored with sim_ring_set_priv().
 */
void *sim_ring_priv(const struct sim_open *o)
{
	return o->priv;
}

/**
 * sim_ring_hvs_service() - the Hyper-V socket service of an open channel
 * @o: the channel, open with sim_hvsock_backend
 *
 * Return: its &enum sim_hvsock_service.
 */
u8 sim_ring_hvs_service(const struct sim_open *o)
{
	return o->hvs_service;
}

/**
 * sim_ring_data_sizes() - the data bytes of an open channel's two rings
 * @o: the channel
 * @guest_out: set to the guest's outbound ring's (the first in its GPADL)
 * @guest_in: set to the guest's inbound ring's
 *
 * Each ring's size less its header page.
 */
void sim_ring_data_sizes(const struct sim_open *o, u32 *guest_out, u32 *guest_in)
{
	*guest_out = o->in.size;
	*guest_in = o->out.size;
}

/**
 * sim_ring_set_priv() - store the back end's data of a channel
 * @o: the channel, in its back end's open
 * @priv: the data; the back end frees it in its close
 */
void sim_ring_set_priv(struct sim_open *o, void *priv)
{
	o->priv = priv;
}

/**
 * sim_ring_signal() - the guest's HvSignalEvent
 * @conn_id: the connection id it signalled
 *
 * Context: any (the guest signals from interrupts too).
 * Return: HV_STATUS_SUCCESS for the connection id of an offer the guest
 * holds, HV_STATUS_INVALID_CONNECTION_ID (a guest error) otherwise.
 */
u64 sim_ring_signal(u32 conn_id)
{
	struct sim_open *o;
	u32 relid;

	/* The mapping of the current connection (resume_conn_ids). */
	if (!sim_dev_chan_relid(conn_id, &relid) ||
	    !test_bit(relid, sim_conn_ids)) {
		sim_guest_error("signal_event on connection id %#x: no channel\n",
				conn_id);
		return HV_STATUS_INVALID_CONNECTION_ID;
	}
	sim_stat_inc(SIM_STAT_SIGNALS);
	rcu_read_lock();
	o = rcu_dereference(sim_opens[relid]);
	if (o && o->be) {
		atomic_inc(&o->signals);
		sim_open_queue(o);
	}
	/* Other channels have no back end: the host never reads them. */
	rcu_read_unlock();
	return HV_STATUS_SUCCESS;
}

/**
 * sim_ring_conn_id_set() - the guest holds the offer at @relid, or not
 * @relid: the channel
 * @held: whether its connection id takes signals
 *
 * Context: under sim_lock.
 */
void sim_ring_conn_id_set(u32 relid, bool held)
{
	lockdep_assert_held(&sim_lock);
	if (held)
		set_bit(relid, sim_conn_ids);
	else
		clear_bit(relid, sim_conn_ids);
}

static struct sim_open *sim_open_get(u32 relid)
{
	return rcu_dereference_protected(sim_opens[relid],
					 lockdep_is_held(&sim_lock));
}

static int sim_ring_map(struct sim_ring *r, const struct sim_gpadl *g,
			u32 first, u32 n)
{
	r->hdr = sim_gpadl_map_ring(g, first, n);
	if (!r->hdr)
		return -ENOMEM;
	r->data = (u8 *)r->hdr + PAGE_SIZE;
	r->size = (n - 1) << PAGE_SHIFT;
	/* What the guest left in its indices is its business, not ours. */
	r->index = 0;
	return 0;
}

static void sim_open_free(struct sim_open *o)
{
	if (o->in.hdr)
		vunmap(o->in.hdr);
	if (o->out.hdr)
		vunmap(o->out.hdr);
	kvfree(o->pkt);
	kfree(o);
}

static struct sim_open *sim_open_alloc(struct sim_chan *ch,
				       const struct sim_gpadl *g,
				       const struct vmbus_channel_open_channel *msg)
{
	u32 off = msg->downstream_ringbuffer_pageoffset;
	u32 n = sim_gpadl_pages(g);
	struct sim_open *o;

	o = kzalloc(sizeof(*o), GFP_KERNEL);
	if (!o)
		return NULL;
	o->relid = ch->relid;
	o->gpadl = msg->ringbuffer_gpadlhandle;
	o->be = sim_backend_find(ch->dev);
	o->hvs_service = ch->dev->hvs_service;
	o->events = &ch->events;
	o->target_vp = msg->target_vp;
	mutex_init(&o->lock);
	INIT_WORK(&o->work, sim_open_work);
	INIT_DELAYED_WORK(&o->poll, sim_open_poll);
	if (sim_ring_map(&o->in, g, 0, off) ||
	    sim_ring_map(&o->out, g, off, n - off))
		goto err_free;
	o->pkt = kvmalloc(o->in.size, GFP_KERNEL);
	if (!o->pkt)
		goto err_free;
	return o;

err_free:
	sim_open_free(o);
	return NULL;
}

/* Stop every user of @o and free it; it is unpublished already. */
static void sim_open_destroy(struct sim_open *o)
{
	/*
	 * After this no signal_event caller sees @o or queues its work.
	 * Expedited: this runs in the host work item, which handles no other
	 * message meanwhile, and a normal grace period (about 20 ms under
	 * TCG, measured with `make bench-control`) made every close cost the
	 * guest five times what an open does.
	 */
	synchronize_rcu_expedited();
	cancel_delayed_work_sync(&o->poll);
	/* The poll may have queued the work before it stopped. */
	cancel_work_sync(&o->work);
	/* No work of @o runs or can start: the back end lets go. */
	if (o->be && o->be->close)
		o->be->close(o);
	sim_gpadl_put(o->gpadl);
	sim_open_free(o);
}

/**
 * sim_ring_close() - the host stops using a channel's rings
 * @relid: the channel; nothing happens if it is not open
 *
 * Returns once no host context touches the rings.
 *
 * Context: under sim_lock, may sleep.
 */
void sim_ring_close(u32 relid)
{
	struct sim_open *o = sim_open_get(relid);

	if (!o)
		return;
	RCU_INIT_POINTER(sim_opens[relid], NULL);
	sim_open_destroy(o);
}

static void sim_send_open_result(const struct vmbus_channel_open_channel *msg,
				 u32 status)
{
	struct vmbus_channel_open_result res = {
		.header.msgtype = CHANNELMSG_OPENCHANNEL_RESULT,
		.child_relid = msg->child_relid,
		.openid = msg->openid,
		.status = status,
	};

	if (sim_msg_send(&res, sizeof(res)))
		pr_err("sending OPENCHANNEL_RESULT failed\n");
}

/* Checks of an OPENCHANNEL for an offered channel; the GPADL or NULL. */
static struct sim_gpadl *sim_open_check(const struct vmbus_channel_open_channel *msg)
{
	u32 off = msg->downstream_ringbuffer_pageoffset;
	struct sim_gpadl *g;

	if (sim_open_get(msg->child_relid)) {
		sim_guest_error("OPENCHANNEL: relid %u is open\n",
				msg->child_relid);
		return NULL;
	}
	g = sim_gpadl_ready(msg->ringbuffer_gpadlhandle, msg->child_relid);
	if (!g) {
		sim_guest_error("OPENCHANNEL: relid %u: GPADL %u unknown, incomplete or in use\n",
				msg->child_relid, msg->ringbuffer_gpadlhandle);
		return NULL;
	}
	if (off < 2 || off > sim_gpadl_pages(g) ||
	    sim_gpadl_pages(g) - off < 2) {
		sim_guest_error("OPENCHANNEL: relid %u: ring page offset %u of %u pages\n",
				msg->child_relid, off, sim_gpadl_pages(g));
		return NULL;
	}
	if (msg->target_vp >= nr_cpu_ids || !sim_synic_enabled(msg->target_vp)) {
		sim_guest_error("OPENCHANNEL: relid %u: target_vp %u\n",
				msg->child_relid, msg->target_vp);
		return NULL;
	}
	return g;
}

/*
 * The early packet of the open_early_packet mode (vmbus-sim.rst, host
 * behaviour 11).
 */
static void sim_open_early_packet(struct sim_open *o)
{
	struct {
		struct vmpacket_descriptor d;
		u64 payload;
	} pkt = {
		.d.type = VM_PKT_DATA_INBAND,
		.d.offset8 = sizeof(pkt.d) >> 3,
		.d.len8 = sizeof(pkt) >> 3,
		.payload = 0x796c726165ULL,	/* "early" */
	};

	mutex_lock(&o->lock);
	if (sim_out_room(o, sizeof(pkt) + SIM_PKT_TRAILER) == 1)
		sim_out_write(o, &pkt, sizeof(pkt));
	mutex_unlock(&o->lock);
}

/**
 * sim_ring_open() - CHANNELMSG_OPENCHANNEL from the guest
 * @data: the message
 * @size: its size
 * @conn_id: the connection id it came on
 *
 * A channel the host rescinded gets no answer (vmbus-sim.rst, host behaviour
 * 9); a bad request
 * is a guest error answered with a failure status.
 *
 * Context: the host work item, under sim_lock.
 */
void sim_ring_open(const void *data, u32 size, u32 conn_id)
{
	const struct vmbus_channel_open_channel *msg = data;
	u32 status = READ_ONCE(sim_modes.open_status);
	struct sim_chan *ch = sim_chan_get(msg->child_relid);
	struct sim_gpadl *g = NULL;
	struct sim_open *o;

	if (ch && ch->held && ch->state == SIM_CHAN_RESCINDED)
		return;
	if (ch && ch->held &&
	    sim_rescind_instead(SIM_RESCIND_INSTEAD_OPEN, msg->child_relid))
		return;
	if (!ch || !ch->held)
		sim_guest_error("OPENCHANNEL for relid %u, not offered\n",
				msg->child_relid);
	else
		g = sim_open_check(msg);
	if (!g) {
		sim_send_open_result(msg, SIM_STATUS_FAIL);
		return;
	}
	if (status) {
		sim_send_open_result(msg, status);
		return;
	}
	o = sim_open_alloc(ch, g, msg);
	if (!o) {
		sim_send_open_result(msg, SIM_STATUS_FAIL);
		return;
	}
	if (o->be && o->be->open && o->be->open(o->be, o)) {
		sim_open_free(o);
		sim_send_open_result(msg, SIM_STATUS_FAIL);
		return;
	}
	sim_gpadl_get(g);
	rcu_assign_pointer(sim_opens[o->relid], o);
	if (o->be)
		queue_delayed_work(sim_async_wq, &o->poll,
				   msecs_to_jiffies(SIM_POLL_MS));
	if (READ_ONCE(sim_modes.open_early_packet))
		sim_open_early_packet(o);
	sim_send_open_result(msg, 0);
	/* A back end may speak first (the ICs negotiate). */
	if (o->be && o->be->open)
		sim_open_queue(o);
}

/**
 * sim_ring_close_msg() - CHANNELMSG_CLOSECHANNEL from the guest
 * @data: the message
 * @size: its size
 * @conn_id: the connection id it came on
 *
 * Context: the host work item, under sim_lock.
 */
void sim_ring_close_msg(const void *data, u32 size, u32 conn_id)
{
	const struct vmbus_channel_close_channel *msg = data;
	struct sim_chan *ch;

	if (msg->child_relid > SIM_MAX_RELID ||
	    !sim_open_get(msg->child_relid)) {
		ch = msg->child_relid <= SIM_MAX_RELID ?
		     sim_chan_get(msg->child_relid) : NULL;
		/* A rescind closed it first: the guest raced, no error. */
		if (!ch || ch->state != SIM_CHAN_RESCINDED)
			sim_guest_error("CLOSECHANNEL for relid %u, not open\n",
					msg->child_relid);
		return;
	}
	sim_ring_close(msg->child_relid);
}

/**
 * sim_ring_modify() - CHANNELMSG_MODIFYCHANNEL from the guest (4.1+: the
 *	caller refuses it at older versions)
 * @data: the message
 * @size: its size
 * @conn_id: the connection id it came on
 * @version: the protocol version of the connection
 *
 * The new target takes effect under the channel's lock, so once the
 * MODIFYCHANNEL_RESPONSE is queued no event goes to the old VP
 * (vmbus-sim.rst, host behaviour
 * 15).
 *
 * Context: the host work item, under sim_lock.
 */
void sim_ring_modify(const void *data, u32 size, u32 conn_id, u32 version)
{
	const struct vmbus_channel_modifychannel *msg = data;
	struct vmbus_channel_modifychannel_response res = {
		.header.msgtype = CHANNELMSG_MODIFYCHANNEL_RESPONSE,
		.child_relid = msg->child_relid,
	};
	struct sim_open *o = NULL;

	sim_stat_inc(SIM_STAT_MODIFYCHANNELS);
	if (msg->child_relid <= SIM_MAX_RELID)
		o = sim_open_get(msg->child_relid);
	if (o && sim_rescind_instead(SIM_RESCIND_INSTEAD_MODIFY, msg->child_relid))
		return;
	if (!o || msg->target_vp >= nr_cpu_ids ||
	    !sim_synic_enabled(msg->target_vp)) {
		sim_guest_error("MODIFYCHANNEL: relid %u %s, target_vp %u\n",
				msg->child_relid, o ? "open" : "not open",
				msg->target_vp);
		res.status = SIM_STATUS_FAIL;
	} else {
		mutex_lock(&o->lock);
		WRITE_ONCE(o->target_vp, msg->target_vp);
		mutex_unlock(&o->lock);
	}
	if (version >= VERSION_WIN10_V5_3 && sim_msg_send(&res, sizeof(res)))
		pr_err("sending MODIFYCHANNEL_RESPONSE failed\n");
}

/**
 * sim_ring_rescind() - the host stops using a channel it rescinds
 * @relid: the channel
 *
 * Stops the rings, then answers pending GPADL creates with a failure and
 * drops the channel's GPADLs, all before the caller queues the RESCIND.
 *
 * Context: under sim_lock, may sleep.
 */
void sim_ring_rescind(u32 relid)
{
	sim_ring_close(relid);
	sim_gpadl_rescind(relid);
}

/**
 * sim_ring_disconnect() - the connection ended: close and forget all
 *
 * Context: under sim_lock, may sleep (UNLOAD, reset, module exit).
 */
void sim_ring_disconnect(void)
{
	u32 relid;

	lockdep_assert_held(&sim_lock);
	for (relid = 1; relid <= SIM_MAX_RELID; relid++) {
		sim_ring_close(relid);
		clear_bit(relid, sim_conn_ids);
	}
	sim_gpadl_destroy_all();
}

/* Corrupt the out ring of @o as the control plane asked, and signal. */
static int sim_open_corrupt(struct sim_open *o, enum sim_corrupt how)
{
	struct vmpacket_descriptor d = {
		.type = VM_PKT_DATA_INBAND,
		.offset8 = sizeof(d) >> 3,
	};

	if (o->dead)
		return -EIO;
	if (how == SIM_CORRUPT_WRITE_INDEX) {
		WRITE_ONCE(o->out.hdr->write_index, o->out.size + 8);
	} else {
		if (sim_out_room(o, sizeof(d) + SIM_PKT_TRAILER) != 1)
			return -EAGAIN;
		/* A descriptor that claims far more than was written. */
		d.len8 = U16_MAX;
		memcpy(o->out.data + o->out.index, &d, sizeof(d));
		o->out.index = (o->out.index + sizeof(d) + SIM_PKT_TRAILER) %
			       o->out.size;
		/* The bytes before the index, as in sim_out_write(). */
		virt_mb();
		WRITE_ONCE(o->out.hdr->write_index, o->out.index);
	}
	/* The host broke the ring: it uses it no more. */
	o->dead = true;
	sim_open_signal(o);
	return 0;
}

/**
 * sim_ring_corrupt() - the hostile-ring modes of the control plane
 * @relid: an open channel
 * @how: what to corrupt in the guest's inbound ring
 *
 * Context: process context, may sleep.
 * Return: 0; -ENOENT if @relid is not open; -EIO if it is already broken;
 * -EAGAIN if the ring has no room for the bad packet.
 */
int sim_ring_corrupt(u32 relid, enum sim_corrupt how)
{
	struct sim_open *o;
	int ret = -ENOENT;

	if (relid > SIM_MAX_RELID)
		return -ENOENT;
	mutex_lock(&sim_lock);
	o = sim_open_get(relid);
	if (o) {
		mutex_lock(&o->lock);
		ret = sim_open_corrupt(o, how);
		mutex_unlock(&o->lock);
	}
	mutex_unlock(&sim_lock);
	return ret;
}

/**
 * sim_ring_reset_stats() - zero the counters of every open channel
 *
 * Context: any (part of reset_stats).
 */
void sim_ring_reset_stats(void)
{
	struct sim_open *o;
	unsigned int i;
	u32 relid;

	rcu_read_lock();
	for (relid = 1; relid <= SIM_MAX_RELID; relid++) {
		o = rcu_dereference(sim_opens[relid]);
		for (i = 0; o && i < SIM_OC_COUNT; i++)
			atomic64_set(&o->counters[i], 0);
	}
	rcu_read_unlock();
}

/**
 * sim_ring_show() - the channels file: one line per open channel
 * @m: the seq_file
 *
 * ``relid target_vp pkts_in pkts_out bytes_in bytes_out spurious_signals
 * missed_signals errors``
 *
 * Context: process context, may sleep.
 */
void sim_ring_show(struct seq_file *m)
{
	struct sim_open *o;
	unsigned int i;
	u32 relid;

	mutex_lock(&sim_lock);
	for (relid = 1; relid <= SIM_MAX_RELID; relid++) {
		o = sim_open_get(relid);
		if (!o)
			continue;
		seq_printf(m, "%u %u", relid, READ_ONCE(o->target_vp));
		for (i = 0; i < SIM_OC_COUNT; i++)
			seq_printf(m, " %lld", atomic64_read(&o->counters[i]));
		seq_putc(m, '\n');
	}
	mutex_unlock(&sim_lock);
}
