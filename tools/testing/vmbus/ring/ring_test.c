// SPDX-License-Identifier: GPL-2.0
/*
 * ring_test.c: unit tests of drivers/hv/ring_buffer.c's write and read
 * paths, run in userspace behind the shims (shim/vmbus_shim.h), built with
 * AddressSanitizer and UndefinedBehaviorSanitizer.  TAP on stdout.
 *
 * The guest writes to the outbound ring with hv_ringbuffer_write() and the
 * test, acting as the host, takes the packets off (host_get() in shim.c);
 * the host puts packets on the inbound ring (host_put()) and the guest
 * reads them with hv_ringbuffer_read().
 */
#include <stdlib.h>

#include "shim.h"
#include "tap.h"

enum { DATA_PAGES = 2, DATASIZE = DATA_PAGES * PAGE_SIZE, MAX_PKT = 8192 };

struct pkt {
	struct vmpacket_descriptor d;
	u8 payload[MAX_PKT];
};

static struct shim_chan sc;
static struct vmbus_channel *ch = &sc.vc.ch;

static void fresh(void)
{
	if (sc.in_pages)
		shim_chan_destroy(&sc);
	if (shim_chan_init(&sc, DATA_PAGES, MAX_PKT)) {
		printf("Bail out! cannot map the rings\n");
		exit(1);
	}
}

static void fill(u8 *p, u32 len, u32 seed)
{
	u32 i;

	for (i = 0; i < len; i++)
		p[i] = (u8)(seed * 31 + i * 7 + 1);
}

/* hv_ringbuffer_write() of a data packet of @len payload bytes. */
static int guest_send(u32 len, u32 seed)
{
	static struct pkt p;
	struct kvec kv[2];

	p.d = (struct vmpacket_descriptor){ 6, sizeof(p.d) >> 3,
		(u16)(ALIGN(sizeof(p.d) + len, 8) >> 3), 0, 0 };
	fill(p.payload, len, seed);
	kv[0] = (struct kvec){ &p.d, sizeof(p.d) };
	kv[1] = (struct kvec){ p.payload, len };
	return hv_ringbuffer_write(ch, kv, 2, seed, NULL);
}

/* The host takes a packet off the outbound ring and checks it. */
static bool host_check(u32 len, u32 seed)
{
	static u8 want[MAX_PKT], got[MAX_PKT];
	struct vmpacket_descriptor d;
	u32 n;

	if (host_get(&ch->outbound, &d, got, sizeof(got), &n))
		return false;
	fill(want, len, seed);
	return d.trans_id == seed && n == ALIGN(len + 16, 8) - 16 &&
	       !memcmp(got, want, len);
}

static u32 used(struct hv_ring_buffer_info *rbi)
{
	u32 r = rbi->ring_buffer->read_index, w = rbi->ring_buffer->write_index;

	return w >= r ? w - r : rbi->ring_datasize - r + w;
}

/* Where the guest's writer last published: the ring's and its own copy. */
static void set_out_write(u32 idx)
{
	ch->outbound.ring_buffer->write_index = idx;
	sc.vc.out_write = idx;
}

/* An empty ring at @idx; the guest's side's own copies follow. */
static void set_indices(struct hv_ring_buffer_info *rbi, u32 idx)
{
	rbi->ring_buffer->read_index = idx;
	rbi->ring_buffer->write_index = idx;
	rbi->priv_read_index = idx;
	if (rbi == &ch->outbound)
		sc.vc.out_write = idx;
	else
		sc.vc.in_pub = idx;
}

static void test_write_basic(void)
{
	u8 *data;
	u64 trailer;

	fresh();
	ok(ch->outbound.ring_datasize == DATASIZE, "data area is %u bytes",
	   ch->outbound.ring_datasize);
	ok(guest_send(40, 1) == 0, "write a 40-byte payload");
	ok(ch->outbound.ring_buffer->write_index == 16 + 40 + 8,
	   "write_index moved by descriptor + payload + trailer (%u)",
	   ch->outbound.ring_buffer->write_index);
	data = ch->outbound.ring_buffer->buffer;
	memcpy(&trailer, data + 56, 8);
	ok(trailer == 0, "trailer holds the old write index << 32");
	ok(shim_set_event_count == 1 && ch->intr_out_empty == 1,
	   "empty -> non-empty signalled the host once");
	ok(guest_send(40, 2) == 0 && shim_set_event_count == 1,
	   "a second packet into a non-empty ring does not signal");
	memcpy(&trailer, data + 64 + 56, 8);
	ok(trailer == (u64)64 << 32, "second trailer holds 64 << 32");
	ok(host_check(40, 1) && host_check(40, 2), "host reads both back intact");
	ch->outbound.ring_buffer->interrupt_mask = 1;
	ok(guest_send(8, 3) == 0 && shim_set_event_count == 1,
	   "no signal while the host masks interrupts");
}

static void test_pad(void)
{
	u8 *data;
	int i, nz = 0;

	fresh();
	/* Dirty the ring so the pad bytes must be written, not found. */
	memset(ch->outbound.ring_buffer->buffer, 0xa5, 64);
	ok(guest_send(13, 4) == 0, "write a 13-byte payload");
	ok(ch->outbound.ring_buffer->write_index == 16 + 16 + 8,
	   "payload padded to 16 bytes (write_index %u)",
	   ch->outbound.ring_buffer->write_index);
	data = ch->outbound.ring_buffer->buffer;
	for (i = 16 + 13; i < 32; i++)
		nz += data[i] != 0;
	ok(nz == 0, "the 3 pad bytes are zero");
	ok(host_check(13, 4), "host reads the padded packet");

	/* Inbound: a packet whose payload has pad, read without raw. */
	{
		u8 in[5] = { 1, 2, 3, 4, 5 }, out[64];
		u32 actual;
		u64 rid;

		ok(host_put(&ch->inbound, 6, 0, 77, in, 5) == 0, "host puts 5 bytes");
		ok(hv_ringbuffer_read(ch, out, sizeof(out), &actual, &rid, false) == 0 &&
		   actual == 8 && rid == 77 && !memcmp(out, in, 5) &&
		   !out[5] && !out[6] && !out[7],
		   "guest reads payload + 3 zero pad bytes (actual %u)", actual);
		ok(host_put(&ch->inbound, 6, 0, 78, in, 5) == 0 &&
		   hv_ringbuffer_read(ch, out, sizeof(out), &actual, &rid, true) == 0 &&
		   actual == 24 && ((struct vmpacket_descriptor *)out)->trans_id == 78,
		   "raw read returns the whole 24-byte packet");
	}
}

static void test_wrap_write(void)
{
	u32 start = DATASIZE - 24, len = 100, i, bad = 0;
	u8 *data, want[100];
	u64 trailer;

	fresh();
	set_indices(&ch->outbound, start);
	ok(guest_send(len, 5) == 0, "write across the end of the data area");
	data = ch->outbound.ring_buffer->buffer;
	/* The wrapped tail landed at the start of the data pages. */
	fill(want, len, 5);
	for (i = 0; i < len; i++) {
		u32 at = (start + 16 + i) % DATASIZE;

		bad += data[at] != want[i];
	}
	ok(bad == 0, "payload bytes are at their wrapped offsets");
	memcpy(&trailer, data + (start + 16 + 104) % DATASIZE, 8);
	ok(trailer == (u64)start << 32, "trailer wrapped too");
	ok(ch->outbound.ring_buffer->write_index == (start + 128) % DATASIZE,
	   "write_index wrapped to %u", ch->outbound.ring_buffer->write_index);
	ok(host_check(len, 5), "host reads the wrapped packet");
}

static void test_wrap_read(void)
{
	u8 in[200], out[256];
	u32 actual, i, good = 0;
	u64 rid;

	fresh();
	/* Every start offset near the end, so each split point is hit. */
	for (i = 0; i < 40; i++) {
		u32 start = DATASIZE - 8 * (i + 1);

		set_indices(&ch->inbound, start);
		fill(in, sizeof(in), i);
		if (host_put(&ch->inbound, 6, 0, i, in, sizeof(in)))
			continue;
		if (!hv_ringbuffer_read(ch, out, sizeof(out), &actual, &rid, false) &&
		    actual == sizeof(in) && rid == i && !memcmp(in, out, actual) &&
		    ch->inbound.ring_buffer->read_index ==
		    (start + 16 + sizeof(in) + 8) % DATASIZE)
			good++;
	}
	ok(good == 40, "40 inbound packets split at every 8-byte point read intact (%u)",
	   good);
	ok(!shim_chan_broken(&sc), "channel not broken");
}

static void test_exact_fill(void)
{
	u32 total = 16 + 48 + 8;

	fresh();
	/* Free space just one byte-quantum above the packet: accepted. */
	ch->outbound.ring_buffer->read_index = 0;
	set_out_write(DATASIZE - total - 8);
	ok(guest_send(48, 6) == 0, "packet fits with 8 bytes to spare");
	ok(ch->outbound.ring_buffer->write_index == DATASIZE - 8,
	   "ring now holds datasize - 8 bytes");
	ok(used(&ch->outbound) == DATASIZE - 8, "used is %u",
	   used(&ch->outbound));
	ok(guest_send(0, 7) == -EAGAIN, "not even an empty packet fits now");

	/* Free space exactly the packet: rejected, full would look empty. */
	fresh();
	ch->outbound.ring_buffer->read_index = 0;
	set_out_write(DATASIZE - total);
	ok(guest_send(48, 8) == -EAGAIN, "packet exactly filling the ring is rejected");
	ok(ch->outbound.ring_buffer->write_index == DATASIZE - total,
	   "write_index unchanged");
	ok(ch->out_full_total == 1, "out_full_total counted it");

	/* Inbound: a ring the host filled to datasize - 8 reads out whole. */
	fresh();
	{
		u8 in[MAX_PKT] = { 0 }, out[MAX_PKT];
		u32 actual, n = DATASIZE - 8 - 16 - 8;
		u64 rid;

		fill(in, n, 9);
		ok(host_put(&ch->inbound, 6, 0, 9, in, n) == 0 &&
		   used(&ch->inbound) == DATASIZE - 8,
		   "host fills the inbound ring to datasize - 8");
		ok(hv_ringbuffer_read(ch, out, sizeof(out), &actual, &rid, false) == 0 &&
		   actual == n && !memcmp(in, out, n), "guest reads the %u-byte packet", n);
		ok(used(&ch->inbound) == 0, "inbound ring empty again");
	}
}

static void test_full(void)
{
	int n = 0, rc;

	fresh();
	while ((rc = guest_send(100, (u32)n)) == 0)
		n++;
	ok(rc == -EAGAIN, "writes stop with -EAGAIN after %d packets", n);
	ok(n == (DATASIZE - 8) / 128, "as many as fit (%d)", n);
	ok(ch->out_full_total == 1, "one rejection counted");
	ok(host_check(100, 0), "host drains one packet");
	ok(guest_send(100, 1000) == 0, "and the guest can write again");
	ok(guest_send(100, 1001) == -EAGAIN, "until it is full again");
}

/* Read one inbound packet and check it is number @n. */
static bool guest_check(u32 n)
{
	static u8 want[600], out[700];
	u32 len = (n * 37) % sizeof(want), actual;
	u64 rid;

	if (hv_ringbuffer_read(ch, out, sizeof(out), &actual, &rid, false) ||
	    rid != n || actual != ALIGN(len + 16, 8) - 16)
		return false;
	fill(want, len, n);
	return !memcmp(want, out, len);
}

static void test_many_in_order(void)
{
	u8 in[600];
	u32 sent = 0, got = 0, bad = 0, k, len;
	int round;

	fresh();
	/* Host and guest take turns in bursts of varied length and size. */
	for (round = 0; round < 20000; round++) {
		for (k = round % 13 + 1; k; k--) {
			len = (sent * 37) % sizeof(in);
			fill(in, len, sent);
			if (host_put(&ch->inbound, 6, 0, sent, in, len))
				break;
			sent++;
		}
		for (k = round % 11 + 1; k && got < sent; k--)
			bad += !guest_check(got++);
	}
	while (got < sent)
		bad += !guest_check(got++);
	ok(bad == 0 && sent > 100000 && used(&ch->inbound) == 0,
	   "%u inbound packets read in order, %u bad", got, bad);

	/* The outbound direction, the same way. */
	fresh();
	sent = got = bad = 0;
	for (round = 0; round < 20000; round++) {
		for (k = round % 13 + 1; k; k--) {
			if (guest_send((sent * 53) % 500, sent))
				break;
			sent++;
		}
		for (k = round % 11 + 1; k && got < sent; k--, got++)
			bad += !host_check((got * 53) % 500, got);
	}
	for (; got < sent; got++)
		bad += !host_check((got * 53) % 500, got);
	ok(bad == 0 && sent > 100000 && used(&ch->outbound) == 0,
	   "%u outbound packets read back in order, %u bad", got, bad);
}

static void test_reads_misc(void)
{
	u8 in[64] = { 0 }, out[64];
	u32 actual;
	u64 rid;

	fresh();
	ok(hv_ringbuffer_read(ch, out, sizeof(out), &actual, &rid, false) == 0 &&
	   actual == 0, "empty ring: 0 and actual 0");
	ok(host_put(&ch->inbound, 6, 0, 1, in, 64) == 0, "host puts 64 bytes");
	ok(hv_ringbuffer_read(ch, out, 32, &actual, &rid, false) == -ENOBUFS &&
	   actual == 64, "a 32-byte buffer gets -ENOBUFS and the length");
	ok(hv_ringbuffer_read(ch, out, 64, &actual, &rid, false) == 0 && actual == 64,
	   "the packet stayed in the ring");

	/* Host-written indices and lengths out of range break the channel. */
	ch->inbound.ring_buffer->write_index = DATASIZE + 8;
	ok(hv_ringbuffer_read(ch, out, 64, &actual, &rid, false) == -EIO &&
	   shim_chan_broken(&sc), "write_index beyond the data: -EIO, broken");
	ok(guest_send(8, 1) == -EIO, "a broken channel refuses writes too");

	fresh();
	ch->inbound.ring_buffer->write_index = 12;
	ok(hv_ringbuffer_read(ch, out, 64, &actual, &rid, false) == -EIO,
	   "unaligned write_index: -EIO");
	fresh();
	ok(host_put(&ch->inbound, 6, 0, 1, in, 16) == 0, "host puts 16 bytes");
	((struct vmpacket_descriptor *)ch->inbound.ring_buffer->buffer)->len8 = 200;
	ok(hv_ringbuffer_read(ch, out, 64, &actual, &rid, false) == -EIO,
	   "len8 beyond the written data: -EIO");
	fresh();
	ok(host_put(&ch->inbound, 6, 0, 1, in, 16) == 0, "host puts 16 bytes");
	((struct vmpacket_descriptor *)ch->inbound.ring_buffer->buffer)->offset8 = 5;
	ok(hv_ringbuffer_read(ch, out, 64, &actual, &rid, false) == -EIO,
	   "offset8 beyond len8: -EIO");
	/*
	 * The writer looks at the host's read_index only when the room it
	 * last saw there is short: a bad one breaks the channel then.
	 */
	fresh();
	ch->outbound.ring_buffer->read_index = 4;
	ok(guest_send(8, 1) == 0, "room enough as last seen: the bad read_index unread");
	set_out_write(DATASIZE - 8);
	ok(guest_send(8, 1) == -EIO && shim_chan_broken(&sc),
	   "unaligned outbound read_index, loaded for room: -EIO, broken");
	fresh();
	ch->rescind = true;
	ok(guest_send(8, 1) == -ENODEV, "a rescinded channel: -ENODEV");
}

/*
 * A packet longer than the driver's max_pkt_size reaches the iterator's
 * caller cut to that size (its length says so), counted; the iterator
 * steps over all of it, and the next packet is whole.
 */
static void test_iter_truncate(void)
{
	enum { SMALL_MAX = 64, LONG = 200 };
	u8 in[LONG], small[16];
	struct vmpacket_descriptor *d;
	s64 before;

	shim_chan_destroy(&sc);
	if (shim_chan_init(&sc, DATA_PAGES, SMALL_MAX)) {
		printf("Bail out! cannot map the rings\n");
		exit(1);
	}
	fill(in, LONG, 3);
	fill(small, sizeof(small), 4);
	before = atomic64_read(&vmbus_conn.stats[VMBUS_STAT_PACKETS_TRUNCATED]);
	ok(host_put(&ch->inbound, 6, 0, 1, in, LONG) == 0 &&
	   host_put(&ch->inbound, 6, 0, 2, small, sizeof(small)) == 0,
	   "host puts a 200-byte and a 16-byte packet");
	d = hv_pkt_iter_first(ch);
	ok(d && hv_pkt_len(d) == SMALL_MAX && d->trans_id == 1 &&
	   !memcmp((u8 *)d + sizeof(*d), in, SMALL_MAX - sizeof(*d)),
	   "the long packet comes cut to max_pkt_size, its first bytes intact");
	ok(atomic64_read(&vmbus_conn.stats[VMBUS_STAT_PACKETS_TRUNCATED]) == before + 1,
	   "packets_truncated counted it");
	d = d ? __hv_pkt_iter_next(ch, d) : NULL;
	ok(d && d->trans_id == 2 && hv_pkt_len(d) - (d->offset8 << 3) == sizeof(small) &&
	   !memcmp((u8 *)d + (d->offset8 << 3), small, sizeof(small)),
	   "the next packet is whole");
	ok(d && !__hv_pkt_iter_next(ch, d), "then nothing");
	hv_pkt_iter_close(ch);
	ok(ch->inbound.ring_buffer->read_index == ch->inbound.ring_buffer->write_index &&
	   !shim_chan_broken(&sc), "both consumed, the channel not broken");
	shim_chan_destroy(&sc);
	fresh();
}

/*
 * The reader's signal for room (hv_ringbuffer_read()): on the crossing of
 * the host's pending_send_sz only; a publish whose plain look found it
 * clear leaves a debt that the next look behind the barrier pays, as a
 * crossing, also on a read that finds nothing.  Packets of 1,000 bytes
 * take 1,024 of the ring's 8,192.
 */
static void test_pending_send_sz(void)
{
	struct hv_ring_buffer *rb;
	unsigned long sig;
	u8 in[1000] = { 0 }, out[1024];
	u32 actual, i;
	u64 rid;

	fresh();
	rb = ch->inbound.ring_buffer;
	for (i = 0; i < 3; i++)
		host_put(&ch->inbound, 6, 0, i, in, sizeof(in));
	/* 5,120 free; the host waits for 5,500. */
	rb->pending_send_sz = 5500;
	sig = shim_set_event_count;
	ok(hv_ringbuffer_read(ch, out, sizeof(out), &actual, &rid, false) == 0 &&
	   actual == 1000 && shim_set_event_count == sig + 1 && ch->intr_in_full == 1,
	   "6,144 free after a read: the crossing of 5,500 signals");
	ok(hv_ringbuffer_read(ch, out, sizeof(out), &actual, &rid, false) == 0 &&
	   shim_set_event_count == sig + 1,
	   "7,168 free after the next: no crossing, no signal");

	fresh();
	rb = ch->inbound.ring_buffer;
	for (i = 0; i < 3; i++)
		host_put(&ch->inbound, 6, 0, i, in, sizeof(in));
	sig = shim_set_event_count;
	ok(hv_ringbuffer_read(ch, out, sizeof(out), &actual, &rid, false) == 0 &&
	   shim_set_event_count == sig && sc.vc.in_unchecked,
	   "pending_send_sz clear at a publish with packets left: no barrier, a debt");
	/* The host asks now, having seen the read index before that read. */
	rb->pending_send_sz = 5500;
	ok(hv_ringbuffer_read(ch, out, sizeof(out), &actual, &rid, false) == 0 &&
	   shim_set_event_count == sig + 1 && !sc.vc.in_unchecked,
	   "the next publish sees the request: the debt is paid with a signal");
	rb->pending_send_sz = 0;
	ok(hv_ringbuffer_read(ch, out, sizeof(out), &actual, &rid, false) == 0 &&
	   !sc.vc.in_unchecked && shim_set_event_count == sig + 1,
	   "the read that empties the ring looks behind the barrier");

	fresh();
	rb = ch->inbound.ring_buffer;
	sc.vc.in_unchecked = true;
	rb->pending_send_sz = 100;
	sig = shim_set_event_count;
	ok(hv_ringbuffer_read(ch, out, sizeof(out), &actual, &rid, false) == 0 &&
	   actual == 0 && shim_set_event_count == sig + 1 && !sc.vc.in_unchecked,
	   "a read that finds nothing pays a debt");
	ok(hv_ringbuffer_read(ch, out, sizeof(out), &actual, &rid, false) == 0 &&
	   actual == 0 && shim_set_event_count == sig + 1,
	   "and only once");

	/* The end of a batched callback run settles a debt. */
	fresh();
	rb = ch->inbound.ring_buffer;
	for (i = 0; i < 2; i++)
		host_put(&ch->inbound, 6, 0, i, in, sizeof(in));
	sig = shim_set_event_count;
	hv_ringbuffer_read(ch, out, sizeof(out), &actual, &rid, false);
	rb->pending_send_sz = 100;
	vmbus_ring_settle(ch);
	ok(sc.vc.in_unchecked == false && shim_set_event_count == sig + 1,
	   "vmbus_ring_settle() pays the debt: a signal");

	/* A callback that runs once per interrupt takes the barrier every time. */
	fresh();
	ch->callback_mode = HV_CALL_DIRECT;
	for (i = 0; i < 2; i++)
		host_put(&ch->inbound, 6, 0, i, in, sizeof(in));
	ok(hv_ringbuffer_read(ch, out, sizeof(out), &actual, &rid, false) == 0 &&
	   actual == 1000 && !sc.vc.in_unchecked,
	   "HV_CALL_DIRECT: no debt with a packet left");
	ch->callback_mode = HV_CALL_BATCHED;
}

/*
 * The indices the guest publishes come from its own copies: a host that
 * rewrites them in the ring moves neither the writer nor the reader's
 * signalling decision.
 */
static void test_own_indices(void)
{
	struct hv_ring_buffer *rb;
	u8 in[1000] = { 0 }, out[1024];
	unsigned long sig;
	u32 actual, i;
	u64 rid;

	fresh();
	ok(guest_send(40, 1) == 0 && sc.vc.out_write == 64,
	   "the writer's own copy follows its publication (64)");
	/* Unaligned and beyond the data: a hostile host's write. */
	ch->outbound.ring_buffer->write_index = DATASIZE + 12;
	ok(guest_send(40, 2) == 0 && !shim_chan_broken(&sc) &&
	   ch->outbound.ring_buffer->write_index == 128,
	   "a host that rewrote write_index moves nothing: the next packet at 64");
	ok(host_check(40, 1) && host_check(40, 2), "and the host reads both intact");

	fresh();
	rb = ch->inbound.ring_buffer;
	for (i = 0; i < 3; i++)
		host_put(&ch->inbound, 6, 0, i, in, sizeof(in));
	ok(hv_ringbuffer_read(ch, out, sizeof(out), &actual, &rid, false) == 0 &&
	   sc.vc.in_pub == 1024, "the reader's own copy follows its publication (1,024)");
	/*
	 * 6,144 free before the next read, 7,168 after it: a crossing of
	 * 6,500.  Were the read index the host wrote (3,064: 8,184 free)
	 * taken for "before", there would be none, and the waiting host
	 * would not be signalled.
	 */
	rb->read_index = 3064;
	rb->pending_send_sz = 6500;
	sc.vc.in_unchecked = false;
	sig = shim_set_event_count;
	ok(hv_ringbuffer_read(ch, out, sizeof(out), &actual, &rid, false) == 0 &&
	   shim_set_event_count == sig + 1 && rb->read_index == 2048,
	   "a host that rewrote read_index: the crossing from the reader's own copy signals");
}

int main(void)
{
	test_write_basic();
	test_pad();
	test_wrap_write();
	test_wrap_read();
	test_exact_fill();
	test_full();
	test_many_in_order();
	test_reads_misc();
	test_iter_truncate();
	test_pending_send_sz();
	test_own_indices();
	shim_chan_destroy(&sc);
	return tap_done();
}
