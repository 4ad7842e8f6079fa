// SPDX-License-Identifier: GPL-2.0
/*
 * vmbus_echo_drv: a guest driver for the simulated host's echo device.
 *
 * The host echoes every packet the guest sends on an open channel back
 * into the guest's inbound ring, unchanged.  This driver opens the primary
 * channel and every sub-channel, and drives traffic from debugfs:
 *
 *   /sys/kernel/debug/vmbus_echo/<device>/run     (write)
 *	"bulk <count> <minsize> <maxsize>": count packets, round-robin over
 *	the open channels, without waiting for their echoes;
 *	"pingpong <count> <size>": one packet at a time, each echo awaited.
 *	The write runs the traffic in the writer's context and returns the
 *	length written only if every echo came back once, intact and in
 *	order; -EIO if one did not or a ring broke, -ETIMEDOUT if the traffic
 *	stalled for stall_ms, -ENODEV if a channel was rescinded.
 *	"api <count>": on the primary channel, count rounds of three packets,
 *	each echo awaited and checked against the send API's contract (see
 *	echo_api_round()); -EIO if one broke it.
 *   /sys/kernel/debug/vmbus_echo/<device>/result  (read)
 *	"relid sent received bad out_of_order" per channel of the last run,
 *	then "total ..." and "elapsed_ns N".
 *
 * With the module parameter netvsc_ids=1, every channel is opened as
 * hv_netvsc opens its channels: with a requestor (rqstor_size) and
 * next_request_id_callback = vmbus_next_request_id.  With
 * suspend_keep_open=1 the hibernation suspend callback leaves the channels
 * open, so that the bus's suspend fails with -EBUSY (a test of that path).
 *
 * Every payload starts with struct echo_hdr: the per-channel sequence
 * number, the payload length, the run's generation and a checksum of the
 * pattern that fills the rest; the transaction id repeats generation and
 * sequence.  The receive side (the channel callback) checks all of it.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/atomic.h>
#include <linux/debugfs.h>
#include <linux/hyperv.h>
#include <linux/ktime.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/uaccess.h>
#include <linux/wait.h>

#include "compat.h"

static unsigned int ring_size = 256 * 1024;
module_param(ring_size, uint, 0444);
MODULE_PARM_DESC(ring_size, "bytes per ring (each direction), header page included");

static unsigned int stall_ms = 10000;
module_param(stall_ms, uint, 0644);
MODULE_PARM_DESC(stall_ms, "a run fails with -ETIMEDOUT after this long without progress");

static bool netvsc_ids;
module_param(netvsc_ids, bool, 0444);
MODULE_PARM_DESC(netvsc_ids, "open channels with a requestor and vmbus_next_request_id, as hv_netvsc does");

static bool suspend_keep_open;
module_param(suspend_keep_open, bool, 0644);
MODULE_PARM_DESC(suspend_keep_open, "the hibernation suspend callback leaves the channels open (the bus's suspend fails)");

enum echo_limits {
	ECHO_MAX_PAYLOAD	= 16 * 1024,
	ECHO_CMD_MAX		= 80,
	/* Descriptor, payload padded to 8, trailing u64. */
	ECHO_MAX_PKT		= ECHO_MAX_PAYLOAD + 16 + 8,
	/* Requests in flight per channel with netvsc_ids. */
	ECHO_RQSTOR_SIZE	= 64,
	/* The copy of an api round's echo, descriptor included. */
	ECHO_API_PKT		= 128,
};

/* The sim's test echo class. */
#define ECHO_CLASS_GUID							\
	GUID_INIT(0x14d57429, 0x963f, 0x4abd, 0x9c, 0x40, 0xc2, 0xea,	\
		  0xe4, 0x45, 0xa6, 0xcd)

struct echo_hdr {
	__le32 seq;
	__le32 len;	/* payload bytes, this header included */
	__le32 csum;	/* echo_pattern_csum() of the bytes after the header */
	__le16 gen;
	__le16 chan;
};

static_assert(sizeof(struct echo_hdr) == 16);

struct echo_dev;

/**
 * struct echo_chan - one open channel of an echo device
 * @ch: the VMBus channel
 * @edev: its device
 * @node: on edev->chans, under edev->lock
 * @tx_seq: next sequence number to send; the run only
 * @pending: pending_send_sz is set; the run only
 * @sent: packets sent in this run; written by the run
 * @rx_seq: next sequence number expected; the callback only
 * @received: echoes received in this run; written by the callback
 * @bad: echoes that were not what was sent; written by the callback
 * @out_of_order: echoes with an unexpected sequence number; the callback
 * @dead: rescinded (callback of the rescind work)
 * @broken: the core found the inbound ring corrupt (channel callback)
 * @api_len: bytes of the last echo an api run received, in @api_pkt
 * @api_pkt: that echo; written by the callback before @received counts it
 *
 * The run resets the counters only while no packet of its generation is in
 * flight; a late echo of an earlier run has another generation and counts
 * as bad.
 */
struct echo_chan {
	struct vmbus_channel *ch;
	struct echo_dev *edev;
	struct list_head node;

	u32 tx_seq;
	bool pending;
	atomic_long_t sent;

	u32 rx_seq;
	atomic_long_t received;
	atomic_long_t bad;
	atomic_long_t out_of_order;

	bool dead;
	bool broken;

	u32 api_len;
	u8 api_pkt[ECHO_API_PKT];
};

/**
 * struct echo_dev - an echo device bound to this driver
 * @hdev: the VMBus device
 * @node: on echo_devs, under echo_devs_lock
 * @lock: protects @chans, @nchans, @stopping, @suspended; held while a
 *	channel opens
 * @chans: open channels, the primary first
 * @nchans: their number
 * @stopping: remove started; no channel opens any more
 * @suspended: between the suspend and resume callbacks of hibernation;
 *	no channel opens
 * @kept_open: the suspend callback left the channels open
 *	(suspend_keep_open); the resume callback has nothing to reopen
 * @run_lock: one run at a time; @gen and @elapsed_ns change under it
 * @gen: generation of the current or last run
 * @api: an api run is on: the callback keeps the echoes for it
 * @elapsed_ns: duration of the last run
 * @wq: the run waits here for room or echoes; channel callbacks wake it
 * @dir: debugfs directory
 */
struct echo_dev {
	struct hv_device *hdev;
	struct list_head node;

	struct mutex lock;	/* see @lock above */
	struct list_head chans;
	unsigned int nchans;
	bool stopping;
	bool suspended;
	bool kept_open;

	struct mutex run_lock;	/* see @run_lock above */
	u16 gen;
	bool api;
	u64 elapsed_ns;

	wait_queue_head_t wq;
	struct dentry *dir;
};

/*
 * Sub-channel offers are handed to us from the core's work queue; this
 * list lets that callback find the device only while it is bound.
 */
static LIST_HEAD(echo_devs);
static DEFINE_MUTEX(echo_devs_lock);
/* Channels' per_channel_state, read by rescind callbacks; a leaf lock. */
static DEFINE_SPINLOCK(echo_state_lock);
static struct dentry *echo_root;

/* ---- payload --------------------------------------------------------------- */

static u64 echo_pattern_word(u32 seq, u16 gen, u16 chan, u32 i)
{
	u64 seed = (u64)gen << 48 | (u64)chan << 32 | seq;

	return (seed + i) * 0x9e3779b97f4a7c15ULL;
}

/* One pass over the pattern: fill it (@fill) or compare against it. */
static bool echo_pattern(void *data, const struct echo_hdr *h, bool fill,
			 u32 *csum)
{
	u32 seq = le32_to_cpu(h->seq), len = le32_to_cpu(h->len) - sizeof(*h);
	u16 gen = le16_to_cpu(h->gen), chan = le16_to_cpu(h->chan);
	u8 *p = data + sizeof(*h);
	u64 word, c = 0;
	__le64 want;
	u32 i, n;

	for (i = 0; i * 8 < len; i++) {
		n = min_t(u32, 8, len - i * 8);
		word = echo_pattern_word(seq, gen, chan, i);
		want = cpu_to_le64(word);
		if (fill)
			memcpy(p + i * 8, &want, n);
		else if (memcmp(p + i * 8, &want, n))
			return false;
		c = rol64(c, 7) ^ word;
	}
	*csum = (u32)c ^ (u32)(c >> 32);
	return true;
}

static u64 echo_trans_id(u16 gen, u32 seq)
{
	return (u64)gen << 32 | seq;
}

/* Mixed sizes: log-uniform between @min and @max, reproducible per @i. */
static u32 echo_size(u64 i, u32 min, u32 max)
{
	u64 h = (i + 1) * 0x9e3779b97f4a7c15ULL;
	u32 span = ilog2(max) - ilog2(min) + 1, hi;

	h ^= h >> 29;
	hi = min_t(u32, max, min << ((h >> 8) % span) << 1);
	return min + (u32)((h >> 20) % (hi - min + 1));
}

static void echo_fill(struct echo_chan *ec, void *buf, u32 len, u16 chan)
{
	struct echo_hdr *h = buf;
	u32 csum;

	h->seq = cpu_to_le32(ec->tx_seq);
	h->len = cpu_to_le32(len);
	h->gen = cpu_to_le16(ec->edev->gen);
	h->chan = cpu_to_le16(chan);
	echo_pattern(buf, h, true, &csum);
	h->csum = cpu_to_le32(csum);
}

/* ---- receive: the channel callback ----------------------------------------- */

/* Is @desc an intact echo of this run?  The packet is already a copy. */
static bool echo_intact(struct echo_chan *ec, const struct vmpacket_descriptor *desc,
			u32 *seq)
{
	const struct echo_hdr *h = hv_pkt_data(desc);
	u32 datalen = hv_pkt_datalen(desc), len, csum;
	u16 gen = READ_ONCE(ec->edev->gen);

	if (desc->type != VM_PKT_DATA_INBAND || desc->flags ||
	    datalen < sizeof(*h))
		return false;
	len = le32_to_cpu(h->len);
	*seq = le32_to_cpu(h->seq);
	if (len < sizeof(*h) || len > ECHO_MAX_PAYLOAD || ALIGN(len, 8) != datalen ||
	    le16_to_cpu(h->gen) != gen || desc->trans_id != echo_trans_id(gen, *seq))
		return false;
	return echo_pattern((void *)h, h, false, &csum) &&
	       csum == le32_to_cpu(h->csum);
}

static void echo_rx(struct echo_chan *ec, const struct vmpacket_descriptor *desc)
{
	u32 seq = 0;

	if (READ_ONCE(ec->edev->api)) {
		/* Whole packet: hv_pkt_data() starts after offset8. */
		ec->api_len = min_t(u32, (u32)desc->len8 << 3, ECHO_API_PKT);
		memcpy(ec->api_pkt, desc, ec->api_len);
		/* The copy before the count: pairs with the run's acquire. */
		smp_mb__before_atomic();
	} else if (!echo_intact(ec, desc, &seq)) {
		if (atomic_long_inc_return(&ec->bad) == 1)
			dev_err(&ec->edev->hdev->device,
				"relid %u: echo %u not what was sent\n",
				ec->ch->offermsg.child_relid, seq);
	} else if (seq != ec->rx_seq) {
		if (atomic_long_inc_return(&ec->out_of_order) == 1)
			dev_err(&ec->edev->hdev->device,
				"relid %u: echo %u where %u was due\n",
				ec->ch->offermsg.child_relid, seq, ec->rx_seq);
		ec->rx_seq = seq + 1;
	} else {
		ec->rx_seq++;
	}
	atomic_long_inc(&ec->received);
}

/*
 * Runs in the channel's tasklet (never twice at once for one channel), on
 * every host signal: echoes arrived, or the host made room in the outbound
 * ring (pending_send_sz crossed).  Either way the run may go on.
 */
static void echo_chan_cb(void *context)
{
	struct echo_chan *ec = context;
	struct vmpacket_descriptor *desc;
	u32 len;
	u64 rid;

	foreach_vmbus_pkt(desc, ec->ch)
		echo_rx(ec, desc);
	/*
	 * The iterator ends on an empty ring and on a corrupt one alike; a
	 * zero-length read tells them apart: -EIO once the core marked the
	 * channel broken (-ENOBUFS: a packet arrived meanwhile, the tasklet
	 * comes back for it).
	 */
	if (vmbus_recvpacket(ec->ch, NULL, 0, &len, &rid) == -EIO &&
	    !READ_ONCE(ec->broken)) {
		dev_err(&ec->edev->hdev->device,
			"relid %u: inbound ring broken; the run fails\n",
			ec->ch->offermsg.child_relid);
		WRITE_ONCE(ec->broken, true);
	}
	wake_up(&ec->edev->wq);
}

/* ---- channels ---------------------------------------------------------------- */

static struct echo_chan *echo_chan_find(struct echo_dev *edev,
					struct vmbus_channel *ch)
{
	struct echo_chan *ec;

	lockdep_assert_held(&edev->lock);
	list_for_each_entry(ec, &edev->chans, node)
		if (ec->ch == ch)
			return ec;
	return NULL;
}

/*
 * The rescind work calls this (process context).  per_channel_state is
 * cleared under echo_state_lock before the channel is closed and its
 * echo_chan freed (echo_chans_close()), so what is found here is alive.
 */
static void echo_chan_rescind(struct vmbus_channel *ch)
{
	struct echo_chan *ec;

	spin_lock(&echo_state_lock);
	ec = ch->per_channel_state;
	if (ec) {
		WRITE_ONCE(ec->dead, true);
		wake_up(&ec->edev->wq);
	}
	spin_unlock(&echo_state_lock);
}

/*
 * Opens @ch once: probe and the sub-channel callback may both find the
 * same sub-channel (see echo_probe()).
 */
static int echo_chan_open(struct echo_dev *edev, struct vmbus_channel *ch)
{
	struct echo_chan *ec;
	int ret;

	lockdep_assert_held(&edev->lock);
	if (edev->stopping || edev->suspended || echo_chan_find(edev, ch))
		return 0;
	ec = kzalloc(sizeof(*ec), GFP_KERNEL);
	if (!ec)
		return -ENOMEM;
	ec->ch = ch;
	ec->edev = edev;
	ch->max_pkt_size = ECHO_MAX_PKT;
	if (netvsc_ids) {
		ch->rqstor_size = ECHO_RQSTOR_SIZE;
		ch->next_request_id_callback = vmbus_next_request_id;
		ch->request_addr_callback = vmbus_request_addr;
	}
	ch->per_channel_state = ec;
	vmbus_set_chn_rescind_callback(ch, echo_chan_rescind);
	ret = vmbus_open(ch, ring_size, ring_size, NULL, 0, echo_chan_cb, ec);
	if (ret) {
		dev_err(&edev->hdev->device, "relid %u: open failed: %d\n",
			ch->offermsg.child_relid, ret);
		ch->per_channel_state = NULL;
		kfree(ec);
		return ret;
	}
	list_add_tail(&ec->node, &edev->chans);
	edev->nchans++;
	return 0;
}

static struct echo_dev *echo_dev_find(struct vmbus_channel *primary)
{
	struct echo_dev *edev;

	lockdep_assert_held(&echo_devs_lock);
	list_for_each_entry(edev, &echo_devs, node)
		if (edev->hdev->channel == primary)
			return edev;
	return NULL;
}

/* A sub-channel was offered (core work queue, process context). */
static void echo_sc_create(struct vmbus_channel *sc)
{
	struct echo_dev *edev;

	mutex_lock(&echo_devs_lock);
	edev = echo_dev_find(sc->primary_channel);
	if (edev) {
		mutex_lock(&edev->lock);
		echo_chan_open(edev, sc);
		mutex_unlock(&edev->lock);
	}
	mutex_unlock(&echo_devs_lock);
}

/*
 * Closes every channel, the sub-channels first; vmbus_close() of the
 * primary then finds none open.  A rescinded sub-channel may be freed by
 * the core as soon as it is closed, so it is forgotten before.
 */
static void echo_chans_close(struct echo_dev *edev)
{
	struct echo_chan *ec, *tmp;

	mutex_lock(&edev->lock);
	list_for_each_entry_safe_reverse(ec, tmp, &edev->chans, node) {
		spin_lock(&echo_state_lock);
		ec->ch->per_channel_state = NULL;
		spin_unlock(&echo_state_lock);
		vmbus_close(ec->ch);
		list_del(&ec->node);
		kfree(ec);
	}
	edev->nchans = 0;
	mutex_unlock(&edev->lock);
}

/* ---- traffic ------------------------------------------------------------------ */

static int echo_chan_error(const struct echo_chan *ec)
{
	if (READ_ONCE(ec->dead))
		return -ENODEV;
	if (READ_ONCE(ec->broken))
		return -EIO;
	return 0;
}

static bool echo_room(struct echo_chan *ec, u32 need)
{
	return hv_get_bytes_to_write(&ec->ch->outbound) > need ||
	       echo_chan_error(ec);
}

static void echo_pending_clear(struct echo_chan *ec)
{
	if (ec->pending) {
		set_channel_pending_send_size(ec->ch, 0);
		ec->pending = false;
	}
}

/*
 * Sends one packet; while the ring is full, asks the host to signal when
 * @need bytes are free (pending_send_sz) and waits for that.
 */
static int echo_send(struct echo_chan *ec, void *buf, u32 len)
{
	u32 need = ALIGN(sizeof(struct vmpacket_descriptor) + len, 8) + sizeof(u64);
	u64 tid = echo_trans_id(ec->edev->gen, ec->tx_seq);
	long left = msecs_to_jiffies(stall_ms);
	int ret;

	for (;;) {
		ret = vmbus_sendpacket(ec->ch, buf, len, tid, VM_PKT_DATA_INBAND, 0);
		if (ret != -EAGAIN)
			break;
		if (!ec->pending) {
			set_channel_pending_send_size(ec->ch, need);
			ec->pending = true;
			/*
			 * pending_send_sz is visible before the retry reads
			 * read_index: pairs with the host's barrier between
			 * publishing read_index and reading pending_send_sz.
			 * One of the two sides sees the other.
			 */
			virt_mb();
			continue;
		}
		left = wait_event_timeout(ec->edev->wq, echo_room(ec, need), left);
		if (!left) {
			ret = -ETIMEDOUT;
			break;
		}
		ret = echo_chan_error(ec);
		if (ret)
			break;
	}
	echo_pending_clear(ec);
	if (!ret) {
		ec->tx_seq++;
		atomic_long_inc(&ec->sent);
	}
	return ret;
}

static bool echo_chan_done(const struct echo_chan *ec)
{
	return atomic_long_read(&ec->received) >= atomic_long_read(&ec->sent) ||
	       echo_chan_error(ec);
}

/* Waits until every echo of @ec is back, or nothing moved for stall_ms. */
static int echo_wait_echoes(struct echo_chan *ec)
{
	long seen = -1, now;

	while (!echo_chan_done(ec)) {
		now = atomic_long_read(&ec->received);
		if (now == seen)
			return -ETIMEDOUT;
		seen = now;
		wait_event_timeout(ec->edev->wq, echo_chan_done(ec),
				   msecs_to_jiffies(stall_ms));
	}
	return echo_chan_error(ec);
}

static void echo_chans_reset(struct echo_dev *edev)
{
	struct echo_chan *ec;

	lockdep_assert_held(&edev->lock);
	list_for_each_entry(ec, &edev->chans, node) {
		ec->tx_seq = 0;
		ec->rx_seq = 0;
		atomic_long_set(&ec->sent, 0);
		atomic_long_set(&ec->received, 0);
		atomic_long_set(&ec->bad, 0);
		atomic_long_set(&ec->out_of_order, 0);
	}
}

struct echo_run {
	bool api;
	bool pingpong;
	u64 count;
	u32 min, max;
	struct echo_chan **chans;
	unsigned int nchans;
	void *buf;
};

static int echo_run_one(struct echo_run *r, u64 i)
{
	struct echo_chan *ec = r->chans[i % r->nchans];
	u32 len = r->pingpong ? r->min : echo_size(i, r->min, r->max);
	int ret;

	echo_fill(ec, r->buf, len, i % r->nchans);
	ret = echo_send(ec, r->buf, len);
	if (!ret && r->pingpong)
		ret = echo_wait_echoes(ec);
	return ret;
}

static int echo_run_traffic(struct echo_run *r)
{
	unsigned int c;
	int ret = 0;
	u64 i;

	for (i = 0; i < r->count && !ret; i++) {
		if (fatal_signal_pending(current))
			return -EINTR;
		ret = echo_run_one(r, i);
		cond_resched();
	}
	for (c = 0; c < r->nchans && !ret; c++)
		ret = echo_wait_echoes(r->chans[c]);
	return ret;
}

/* The run's verdict from the counters: every echo once, intact, in order. */
static int echo_run_verdict(struct echo_run *r, int ret)
{
	struct echo_chan *ec;
	unsigned int c;

	for (c = 0; c < r->nchans; c++) {
		ec = r->chans[c];
		if (!ret)
			ret = echo_chan_error(ec);
		if (!ret && (atomic_long_read(&ec->bad) ||
			     atomic_long_read(&ec->out_of_order) ||
			     atomic_long_read(&ec->received) !=
			     atomic_long_read(&ec->sent)))
			ret = -EIO;
	}
	return ret;
}

/* ---- api: what the send calls put on the wire ------------------------------- */

/* Sends counted before the echo is awaited; the echo's copy after. */
static int echo_api_echo(struct echo_chan *ec, int sent,
			 const struct vmpacket_descriptor **d)
{
	int ret = sent;

	if (!ret)
		ret = echo_wait_echoes(ec);
	/* The copy after the count: pairs with echo_rx(). */
	smp_rmb();
	*d = (const void *)ec->api_pkt;
	if (!ret && ec->api_len < sizeof(**d))
		ret = -EIO;
	return ret;
}

/* Does the echo's transaction id name request @rid? */
static bool echo_api_id(struct echo_chan *ec, u64 trans_id, u64 rid)
{
	return (netvsc_ids ? vmbus_request_addr(ec->ch, trans_id) : trans_id) == rid;
}

static int echo_api_fail(struct echo_chan *ec, const char *what, u64 want, u64 got)
{
	dev_err(&ec->edev->hdev->device, "relid %u: api: %s: expected %#llx, got %#llx\n",
		ec->ch->offermsg.child_relid, what, want, got);
	return -EIO;
}

/* Two ranges: 100 bytes at offset 8 of one page, 5000 bytes over two. */
static u32 echo_api_ranges(struct vmbus_packet_mpb_array *desc, u64 pfn)
{
	struct hv_mpb_array *r = &desc->range;

	desc->rangecount = 2;
	r->len = 100;
	r->offset = 8;
	r->pfn_array[0] = pfn;
	r = (void *)&r->pfn_array[1];
	r->len = 5000;
	r->offset = 0;
	r->pfn_array[0] = pfn + 1;
	r->pfn_array[1] = pfn + 2;
	return (u8 *)&r->pfn_array[2] - (u8 *)desc;
}

/*
 * One round on @ec, each echo awaited (the host echoes every byte):
 *  1. vmbus_sendpacket(), inband, completion requested, requestid @rid:
 *     the echo's transaction id maps back to @rid (through
 *     vmbus_request_addr() with netvsc_ids, which frees the id);
 *  2. vmbus_sendpacket(), VM_PKT_COMP without completion requested, the
 *     host's id @hid (what a driver sends to complete a host's packet):
 *     the echo carries @hid itself, no id from the requestor;
 *  3. vmbus_sendpacket_mpb_desc() with two ranges: the echo carries
 *     rangecount 2 and both ranges as the caller built them, completion
 *     requested, and its id maps back to @rid.
 */
static int echo_api_round(struct echo_chan *ec, u64 rid, u64 hid)
{
	u64 descbuf[8] = { }, payload[2] = { rid, hid };
	struct vmbus_packet_mpb_array *desc = (void *)descbuf;
	const struct vmpacket_descriptor *d;
	u32 len;
	int ret;

	ret = echo_api_echo(ec, vmbus_sendpacket(ec->ch, payload, sizeof(payload), rid,
						 VM_PKT_DATA_INBAND,
						 VMBUS_DATA_PACKET_FLAG_COMPLETION_REQUESTED), &d);
	if (ret)
		return ret;
	if (!echo_api_id(ec, d->trans_id, rid))
		return echo_api_fail(ec, "inband request's id", rid, d->trans_id);

	atomic_long_inc(&ec->sent);
	ret = echo_api_echo(ec, vmbus_sendpacket(ec->ch, payload, sizeof(payload), hid,
						 VM_PKT_COMP, 0), &d);
	if (ret)
		return ret;
	if (d->type != VM_PKT_COMP || d->trans_id != hid)
		return echo_api_fail(ec, "completion's id", hid, d->trans_id);

	len = echo_api_ranges(desc, PFN_DOWN(virt_to_phys(ec->api_pkt)));
	atomic_long_inc(&ec->sent);
	ret = echo_api_echo(ec, vmbus_sendpacket_mpb_desc(ec->ch, desc, len, payload,
							  sizeof(payload), rid), &d);
	if (ret)
		return ret;
	if (d->type != VM_PKT_DATA_USING_GPA_DIRECT || ec->api_len < len ||
	    ((const struct vmbus_packet_mpb_array *)d)->rangecount != 2)
		return echo_api_fail(ec, "multi-range packet's rangecount", 2,
				     ((const struct vmbus_packet_mpb_array *)d)->rangecount);
	if (memcmp((const u8 *)d + offsetof(typeof(*desc), range),
		   (u8 *)desc + offsetof(typeof(*desc), range),
		   len - offsetof(typeof(*desc), range)))
		return echo_api_fail(ec, "multi-range packet's ranges", 0, 1);
	if (!(d->flags & VMBUS_DATA_PACKET_FLAG_COMPLETION_REQUESTED) ||
	    !echo_api_id(ec, d->trans_id, rid))
		return echo_api_fail(ec, "multi-range request's id", rid, d->trans_id);
	return 0;
}

/* @r->count rounds on the first channel (the primary). */
static int echo_api_run(struct echo_dev *edev, struct echo_run *r)
{
	struct echo_chan *ec = r->chans[0];
	int ret = 0;
	u64 i;

	WRITE_ONCE(edev->api, true);
	for (i = 0; i < r->count && !ret; i++) {
		atomic_long_inc(&ec->sent);
		ret = echo_api_round(ec, 0xa91d0000ULL + i, 0x4057000000ULL + i);
	}
	WRITE_ONCE(edev->api, false);
	return ret;
}

/* Snapshot of the open channels; they stay open until remove drains runs. */
static int echo_run_chans(struct echo_dev *edev, struct echo_run *r)
{
	struct echo_chan *ec;

	mutex_lock(&edev->lock);
	r->chans = kcalloc(max(edev->nchans, 1U), sizeof(*r->chans), GFP_KERNEL);
	r->nchans = 0;
	if (r->chans)
		list_for_each_entry(ec, &edev->chans, node)
			r->chans[r->nchans++] = ec;
	WRITE_ONCE(edev->gen, edev->gen + 1);
	echo_chans_reset(edev);
	mutex_unlock(&edev->lock);
	if (!r->chans)
		return -ENOMEM;
	return r->nchans ? 0 : -ENODEV;
}

static int echo_run(struct echo_dev *edev, struct echo_run *r)
{
	ktime_t start;
	int ret;

	r->buf = kmalloc(ECHO_MAX_PAYLOAD, GFP_KERNEL);
	if (!r->buf)
		return -ENOMEM;
	mutex_lock(&edev->run_lock);
	ret = echo_run_chans(edev, r);
	if (!ret) {
		start = ktime_get();
		ret = r->api ? echo_api_run(edev, r) : echo_run_traffic(r);
		edev->elapsed_ns = ktime_get_ns() - ktime_to_ns(start);
		ret = echo_run_verdict(r, ret);
	}
	mutex_unlock(&edev->run_lock);
	if (ret)
		dev_err(&edev->hdev->device, "%s run of %llu packets failed: %d\n",
			r->api ? "api" : r->pingpong ? "pingpong" : "bulk", r->count, ret);
	kfree(r->chans);
	kfree(r->buf);
	return ret;
}

static int echo_parse(const char *cmd, struct echo_run *r)
{
	char extra;

	memset(r, 0, sizeof(*r));
	if (sscanf(cmd, "bulk %llu %u %u %c", &r->count, &r->min, &r->max,
		   &extra) == 3) {
		r->pingpong = false;
	} else if (sscanf(cmd, "pingpong %llu %u %c", &r->count, &r->min,
			  &extra) == 2) {
		r->pingpong = true;
		r->max = r->min;
	} else if (sscanf(cmd, "api %llu %c", &r->count, &extra) == 1) {
		r->api = true;
		r->min = sizeof(struct echo_hdr);
		r->max = r->min;
	} else {
		return -EINVAL;
	}
	if (!r->count || r->min < sizeof(struct echo_hdr) || r->min > r->max ||
	    r->max > ECHO_MAX_PAYLOAD)
		return -EINVAL;
	return 0;
}

/* ---- debugfs ------------------------------------------------------------------ */

static ssize_t echo_run_write(struct file *file, const char __user *ubuf,
			      size_t count, loff_t *ppos)
{
	struct echo_dev *edev = file->private_data;
	char cmd[ECHO_CMD_MAX];
	struct echo_run r;
	int ret;

	if (count >= sizeof(cmd))
		return -EINVAL;
	if (copy_from_user(cmd, ubuf, count))
		return -EFAULT;
	cmd[count] = '\0';
	ret = echo_parse(cmd, &r);
	if (!ret)
		ret = echo_run(edev, &r);
	return ret ? ret : count;
}

static const struct file_operations echo_run_fops = {
	.owner	= THIS_MODULE,
	.open	= simple_open,
	.write	= echo_run_write,
	.llseek	= noop_llseek,
};

static void echo_result_line(struct seq_file *s, const char *name,
			     const long v[4])
{
	seq_printf(s, "%s %ld %ld %ld %ld\n", name, v[0], v[1], v[2], v[3]);
}

static int echo_result_show(struct seq_file *s, void *unused)
{
	struct echo_dev *edev = s->private;
	long total[4] = { }, v[4];
	struct echo_chan *ec;
	char relid[16];
	int i;

	/* Not under run_lock: a stalled run must not hide its counters. */
	mutex_lock(&edev->lock);
	list_for_each_entry(ec, &edev->chans, node) {
		v[0] = atomic_long_read(&ec->sent);
		v[1] = atomic_long_read(&ec->received);
		v[2] = atomic_long_read(&ec->bad);
		v[3] = atomic_long_read(&ec->out_of_order);
		for (i = 0; i < 4; i++)
			total[i] += v[i];
		snprintf(relid, sizeof(relid), "%u", ec->ch->offermsg.child_relid);
		echo_result_line(s, relid, v);
	}
	mutex_unlock(&edev->lock);
	echo_result_line(s, "total", total);
	seq_printf(s, "elapsed_ns %llu\n", READ_ONCE(edev->elapsed_ns));
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(echo_result);

/* ---- driver ------------------------------------------------------------------- */

static struct echo_dev *echo_dev_alloc(struct hv_device *hdev)
{
	struct echo_dev *edev = kzalloc(sizeof(*edev), GFP_KERNEL);

	if (!edev)
		return NULL;
	edev->hdev = hdev;
	mutex_init(&edev->lock);
	mutex_init(&edev->run_lock);
	INIT_LIST_HEAD(&edev->chans);
	init_waitqueue_head(&edev->wq);
	return edev;
}

/*
 * Sub-channels offered before the callback was set are already on the
 * primary's sc_list; later ones come through the callback, and one that
 * is added while this walks may be found by both: echo_chan_open() opens
 * it once.  The core adds to sc_list and reads the callback under
 * vmbus_connection.channel_mutex, which this walk cannot hold across
 * vmbus_open(), so the walk relies on vmbus_set_sc_create_callback()
 * (the same mutex) having run first: a sub-channel added after it gets
 * the callback, one added before it is on the list.
 */
static void echo_open_subchannels(struct echo_dev *edev)
{
	struct vmbus_channel *primary = edev->hdev->channel, *sc;

	mutex_lock(&edev->lock);
	list_for_each_entry(sc, &primary->sc_list, sc_list)
		echo_chan_open(edev, sc);
	mutex_unlock(&edev->lock);
}

static int echo_probe(struct hv_device *hdev, const struct hv_vmbus_device_id *id)
{
	struct echo_dev *edev = echo_dev_alloc(hdev);
	int ret;

	if (!edev)
		return -ENOMEM;
	hv_set_drvdata(hdev, edev);
	mutex_lock(&edev->lock);
	ret = echo_chan_open(edev, hdev->channel);
	mutex_unlock(&edev->lock);
	if (ret)
		goto err_free;
	mutex_lock(&echo_devs_lock);
	list_add_tail(&edev->node, &echo_devs);
	mutex_unlock(&echo_devs_lock);
	vmbus_set_sc_create_callback(hdev->channel, echo_sc_create);
	/* The callback is visible before the walk reads sc_list. */
	smp_mb();
	echo_open_subchannels(edev);
	edev->dir = debugfs_create_dir(dev_name(&hdev->device), echo_root);
	debugfs_create_file("run", 0200, edev->dir, edev, &echo_run_fops);
	debugfs_create_file("result", 0444, edev->dir, edev, &echo_result_fops);
	dev_info(&hdev->device, "echo device bound, %u channels open\n",
		 edev->nchans);
	return 0;

err_free:
	kfree(edev);
	return ret;
}

/*
 * Who may still use @edev: a run (a debugfs write: debugfs_remove() waits
 * for it; it ends at once when a channel is rescinded, else at the latest
 * stall_ms after the host stops answering), the sub-channel callback (it
 * finds @edev only on echo_devs), rescind callbacks (they find an
 * echo_chan only through per_channel_state, see echo_chans_close()) and
 * channel callbacks (vmbus_close() quiesces them).
 */
static vmbus_remove_ret echo_remove(struct hv_device *hdev)
{
	struct echo_dev *edev = hv_get_drvdata(hdev);

	/*
	 * The sub-channel callback stays set, as the distribution's storvsc
	 * and netvsc leave theirs: hv_vmbus forgets it once this returns
	 * (vmbus_remove()), so a sub-channel offered after rmmod never calls
	 * into this module (echo_traffic_test checks it).  Until then the
	 * callback finds no device: @edev leaves echo_devs first.
	 */
	mutex_lock(&echo_devs_lock);
	list_del(&edev->node);
	mutex_unlock(&echo_devs_lock);
	mutex_lock(&edev->lock);
	edev->stopping = true;
	mutex_unlock(&edev->lock);
	debugfs_remove(edev->dir);
	echo_chans_close(edev);
	dev_info(&hdev->device, "echo device unbound\n");
	kfree(edev);
	return VMBUS_REMOVE_OK;
}

/*
 * Hibernation: every channel closes before the bus suspends (no run is in
 * progress: a run is a debugfs write, and its writer is frozen only once
 * the write returned).  After the bus resumed, the primary opens again;
 * the host offers the sub-channels anew, and those the walk of sc_list
 * misses arrive through echo_sc_create() after @suspended was cleared.
 */
static int echo_suspend(struct hv_device *hdev)
{
	struct echo_dev *edev = hv_get_drvdata(hdev);

	if (READ_ONCE(suspend_keep_open)) {
		edev->kept_open = true;
		dev_info(&hdev->device, "echo device suspended with its channels open\n");
		return 0;
	}
	mutex_lock(&edev->run_lock);
	mutex_lock(&edev->lock);
	edev->suspended = true;
	mutex_unlock(&edev->lock);
	echo_chans_close(edev);
	mutex_unlock(&edev->run_lock);
	dev_info(&hdev->device, "echo device suspended\n");
	return 0;
}

static int echo_resume(struct hv_device *hdev)
{
	struct echo_dev *edev = hv_get_drvdata(hdev);
	int ret;

	if (edev->kept_open) {
		edev->kept_open = false;
		dev_info(&hdev->device, "echo device resumed; its channels stayed open\n");
		return 0;
	}
	mutex_lock(&edev->lock);
	edev->suspended = false;
	ret = echo_chan_open(edev, hdev->channel);
	mutex_unlock(&edev->lock);
	if (ret)
		return ret;
	echo_open_subchannels(edev);
	dev_info(&hdev->device, "echo device resumed at relid %u, %u channels open\n",
		 hdev->channel->offermsg.child_relid, edev->nchans);
	return 0;
}

static const struct hv_vmbus_device_id echo_ids[] = {
	{ .guid = ECHO_CLASS_GUID },
	{ },
};
MODULE_DEVICE_TABLE(vmbus, echo_ids);

static struct hv_driver echo_drv = {
	.name		= "vmbus_echo_drv",
	.id_table	= echo_ids,
	.probe		= echo_probe,
	.remove		= echo_remove,
	.suspend	= echo_suspend,
	.resume		= echo_resume,
};

static int __init echo_init(void)
{
	int ret;

	if (ring_size < 2 * PAGE_SIZE || !PAGE_ALIGNED(ring_size) ||
	    ring_size < 4 * ECHO_MAX_PKT)
		return -EINVAL;
	echo_root = debugfs_create_dir("vmbus_echo", NULL);
	ret = vmbus_driver_register(&echo_drv);
	if (ret)
		debugfs_remove(echo_root);
	return ret;
}

static void __exit echo_exit(void)
{
	vmbus_driver_unregister(&echo_drv);
	debugfs_remove(echo_root);
}

module_init(echo_init);
module_exit(echo_exit);
MODULE_DESCRIPTION("VMBus echo device driver for traffic tests");
MODULE_LICENSE("GPL");
