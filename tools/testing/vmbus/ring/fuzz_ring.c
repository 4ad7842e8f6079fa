// SPDX-License-Identifier: GPL-2.0
/*
 * fuzz_ring.c: libFuzzer target for drivers/hv/ring_buffer.c with a
 * hostile host.  The input is the host-written state of both rings of one
 * channel, and how the guest uses them:
 *
 *   0  u32 inbound write_index       16  u32 outbound write_index
 *   4  u32 inbound read_index        20  u32 outbound read_index
 *   8  u32 inbound pending_send_sz   24  u32 outbound interrupt_mask
 *  12  u32 inbound feature bits      28  u16 guest packet length
 *  30  u8 guest read buffer size / 8 31  u8 mode bits (below)
 *  32  u32 write_index the host sets after the first read
 *  36  ... the inbound data area (8 KiB; the rest stays zero)
 *
 * The guest's private read index starts at the host's read_index, rounded
 * into the data area (the driver's starts at 0 and moves only by packets
 * it checked).  Packet descriptors, lengths and offsets come from the data.
 * Checked after every call, besides what the sanitizers and the guard
 * pages around the ring (shim.c) catch: return codes are ones the driver
 * documents; a packet handed out fits the buffer and the packet buffer;
 * the guest's indices stay 8-byte aligned inside the data area; an -EIO
 * goes with a broken channel; the read loop ends.
 */
#include <stdlib.h>

#include "shim.h"

enum { DATA_PAGES = 2, DATASIZE = DATA_PAGES * PAGE_SIZE, MAX_PKT = 4096,
       HDR = 36 };
enum {
	MODE_RAW = 1,		/* hv_ringbuffer_read(..., raw) */
	MODE_ITER = 2,		/* batch: hv_pkt_iter_first/next, then close */
	MODE_WRITE = 4,		/* the guest also writes a packet */
	MODE_TAMPER = 8,	/* the host moves write_index after one read */
	MODE_RESCIND = 16,	/* the channel was rescinded */
};

static struct shim_chan sc;

static u32 get32(const u8 *p)
{
	u32 v;

	memcpy(&v, p, 4);
	return v;
}

#define require(cond) do { if (!(cond)) abort(); } while (0)

static void index_ok(const struct hv_ring_buffer_info *rbi, u32 index)
{
	require(index < rbi->ring_datasize && !(index & 7));
}

static void check_pkt(const struct vmpacket_descriptor *d)
{
	struct hv_ring_buffer_info *rbi = &sc.vc.ch.inbound;

	require((void *)d == rbi->pkt_buffer);
	require(hv_pkt_len(d) >= sizeof(*d) && hv_pkt_len(d) <= rbi->pkt_buffer_size);
	require(((u32)d->offset8 << 3) <= hv_pkt_len(d));
}

static void guest_reads(const u8 *hdr)
{
	struct vmbus_channel *ch = &sc.vc.ch;
	struct hv_ring_buffer_info *rbi = &ch->inbound;
	static u8 buf[MAX_PKT + 64];
	struct vmpacket_descriptor *d;
	u32 buflen = (u32)hdr[30] * 8 + 8, actual, n;
	u8 mode = hdr[31];
	u64 rid;
	int rc;

	for (n = 0; n <= DATASIZE / 24; n++) {
		if (mode & MODE_ITER) {
			d = hv_pkt_iter_first(ch);
			for (; d; d = __hv_pkt_iter_next(ch, d), n++) {
				check_pkt(d);
				index_ok(rbi, rbi->priv_read_index);
				require(n <= DATASIZE / 24);
			}
			hv_pkt_iter_close(ch);
			index_ok(rbi, rbi->ring_buffer->read_index);
			return;
		}
		rc = hv_ringbuffer_read(ch, buf, buflen, &actual, &rid,
					mode & MODE_RAW);
		require(rc == 0 || rc == -ENOBUFS || rc == -EIO);
		require(rc != -EIO || shim_chan_broken(&sc));
		if (rc || !actual)
			return;
		require(actual <= buflen);
		index_ok(rbi, rbi->priv_read_index);
		require(rbi->ring_buffer->read_index == rbi->priv_read_index);
		if (mode & MODE_TAMPER && n == 0)
			WRITE_ONCE(rbi->ring_buffer->write_index, get32(hdr + 32));
	}
	abort();	/* more packets than the ring can hold */
}

static void guest_writes(const u8 *hdr)
{
	struct vmbus_channel *ch = &sc.vc.ch;
	struct hv_ring_buffer_info *rbi = &ch->outbound;
	static u8 pkt[65536 + 16];
	u32 len = (u32)hdr[28] | (u32)hdr[29] << 8;
	struct vmpacket_descriptor *d = (void *)pkt;
	struct kvec kv = { pkt, sizeof(*d) + len };
	/* The writer goes on from its own copy, whatever the ring says. */
	u32 before = sc.vc.out_write, shown = rbi->ring_buffer->write_index;
	int rc;

	*d = (struct vmpacket_descriptor){ 6, 2, (u16)(ALIGN(kv.iov_len, 8) >> 3),
					   0, 0 };
	rc = hv_ringbuffer_write(ch, &kv, 1, 42, NULL);
	require(rc == 0 || rc == -EAGAIN || rc == -EIO || rc == -ENODEV);
	require(rc != -EIO || shim_chan_broken(&sc));
	if (rc) {
		require(rbi->ring_buffer->write_index == shown &&
			sc.vc.out_write == before);
		return;
	}
	index_ok(rbi, rbi->ring_buffer->write_index);
	require(rbi->ring_buffer->write_index ==
		(before + ALIGN(kv.iov_len, 8) + 8) % DATASIZE &&
		sc.vc.out_write == rbi->ring_buffer->write_index);
}

int LLVMFuzzerTestOneInput(const u8 *data, size_t size)
{
	struct hv_ring_buffer *in, *out;
	u8 hdr[HDR] = { 0 };

	if (!sc.in_pages && shim_chan_init(&sc, DATA_PAGES, MAX_PKT))
		abort();
	memcpy(hdr, data, size < HDR ? size : HDR);
	in = sc.vc.ch.inbound.ring_buffer;
	out = sc.vc.ch.outbound.ring_buffer;
	memset(in->buffer, 0, DATASIZE);
	if (size > HDR)
		memcpy(in->buffer, data + HDR, size - HDR > DATASIZE ? DATASIZE : size - HDR);

	sc.vc.flags = 0;
	sc.vc.ch.rescind = hdr[31] & MODE_RESCIND;
	in->write_index = get32(hdr);
	in->read_index = get32(hdr + 4);
	in->pending_send_sz = get32(hdr + 8);
	in->feature_bits.value = get32(hdr + 12);
	in->interrupt_mask = 0;
	sc.vc.ch.inbound.priv_read_index = (get32(hdr + 4) & ~7u) % DATASIZE;
	/* What the guest last published: its own copies, always in range. */
	sc.vc.in_pub = sc.vc.ch.inbound.priv_read_index;
	sc.vc.out_write = (get32(hdr + 16) & ~7u) % DATASIZE;
	/* The ring's outbound write_index as the host may have rewritten it. */
	out->write_index = get32(hdr + 16);
	out->read_index = get32(hdr + 20);
	/* The writer's copy of the host's read index, as it last loaded it. */
	sc.vc.ch.outbound.priv_read_index = (get32(hdr + 20) & ~7u) % DATASIZE;
	sc.vc.in_unchecked = false;
	out->interrupt_mask = get32(hdr + 24);

	guest_reads(hdr);
	if (hdr[31] & MODE_WRITE)
		guest_writes(hdr);
	return 0;
}
