// SPDX-License-Identifier: GPL-2.0
/*
 * ring_spsc.c: one producer thread writing through hv_ringbuffer_write()
 * and one consumer thread reading through hv_ringbuffer_read() and the
 * hv_pkt_iter_*() batch interface, over one 256 KiB ring (both channels
 * use the same mapping of the same pages).  Built with ThreadSanitizer:
 * a data race between the copies and the index hand-offs is reported.
 * Every packet carries its sequence number as request id and in its
 * payload; the consumer checks that none is lost, repeated or reordered
 * and that the payload is intact.  TAP on stdout.
 *
 * Usage: ring_spsc [PACKETS]   (default 10000000)
 */
#include <sched.h>
#include <stdlib.h>

#include "shim.h"
#include "tap.h"

enum { DATA_PAGES = 64, MAX_PAYLOAD = 1000 };

static struct vmbus_chan tx, rx;
static unsigned long npkts = 10000000;
static unsigned long full_waits, empty_waits, batches;
static bool stop;	/* the consumer gave up: the producer must too */

static u32 size_of(u64 seq)
{
	/*
	 * Mostly small, one in 16 up to MAX_PAYLOAD; never empty, since
	 * hv_ringbuffer_read() reports an empty ring as length 0.
	 */
	u64 h = seq * 0x9e3779b97f4a7c15ULL;

	return 1 + ((h >> 60) == 0 ? (u32)(h >> 40) % (MAX_PAYLOAD - 1) :
		    (u32)(h >> 40) % 120);
}

static void make(u8 *p, u32 len, u64 seq)
{
	u32 i;

	for (i = 0; i < len; i++)
		p[i] = (u8)(seq + i);
}

static void *producer(void *arg)
{
	struct {
		struct vmpacket_descriptor d;
		u8 payload[MAX_PAYLOAD];
	} p;
	struct kvec kv[2];
	unsigned long seq;
	u32 len;
	int rc;

	(void)arg;
	for (seq = 0; seq < npkts; seq++) {
		len = size_of(seq);
		p.d = (struct vmpacket_descriptor){ 6, 2, (u16)(ALIGN(16 + len, 8) >> 3),
						    0, 0 };
		make(p.payload, len, seq);
		kv[0] = (struct kvec){ &p.d, sizeof(p.d) };
		kv[1] = (struct kvec){ p.payload, len };
		while ((rc = hv_ringbuffer_write(&tx.ch, kv, 2, seq, NULL)) == -EAGAIN) {
			if (__atomic_load_n(&stop, __ATOMIC_RELAXED))
				return (void *)"consumer stopped";
			full_waits++;
			sched_yield();
		}
		if (rc)
			return (void *)"write failed";
	}
	return NULL;
}

static bool check(const u8 *payload, u32 len, u64 rid, u64 seq)
{
	u32 want = size_of(seq), i;

	if (rid != seq || len != ALIGN(want + 16, 8) - 16)
		return false;
	for (i = 0; i < want; i++)
		if (payload[i] != (u8)(seq + i))
			return false;
	return true;
}

static unsigned long got, bad;

static void *consumer(void *arg)
{
	static u8 buf[MAX_PAYLOAD + 64];
	struct vmpacket_descriptor *d;
	u32 actual, n;
	u64 rid;

	(void)arg;
	while (got < npkts && !bad) {
		if (got & 1024) {
			/* Batch: consume up to 16, publish read_index once. */
			n = 0;
			for (d = hv_pkt_iter_first(&rx.ch); d && n < 16;
			     d = __hv_pkt_iter_next(&rx.ch, d), n++) {
				if (!check((u8 *)d + 16, hv_pkt_len(d) - 16, d->trans_id, got)) {
					bad++;
					break;
				}
				got++;
			}
			hv_pkt_iter_close(&rx.ch);
			batches++;
			if (!n) {
				empty_waits++;
				sched_yield();
			}
			continue;
		}
		if (hv_ringbuffer_read(&rx.ch, buf, sizeof(buf), &actual, &rid, false)) {
			bad++;
			break;
		}
		if (!actual) {
			empty_waits++;
			sched_yield();
			continue;
		}
		if (!check(buf, actual, rid, got))
			bad++;
		got++;
	}
	__atomic_store_n(&stop, true, __ATOMIC_RELAXED);
	return NULL;
}

int main(int argc, char **argv)
{
	struct page *pages;
	pthread_t pt, ct;
	void *perr;

	if (argc > 1)
		npkts = strtoul(argv[1], NULL, 0);
	pages = shim_alloc_pages(DATA_PAGES + 1);
	if (!pages ||
	    hv_ringbuffer_init(&tx.ch.outbound, pages, DATA_PAGES + 1, 4096) ||
	    hv_ringbuffer_init(&rx.ch.inbound, pages, DATA_PAGES + 1, 4096)) {
		printf("Bail out! cannot map the ring\n");
		return 1;
	}
	/*
	 * One mapping for both sides: ThreadSanitizer tracks addresses, so
	 * two aliases of the same pages would hide every race between them.
	 */
	vunmap(rx.ch.inbound.ring_buffer);
	rx.ch.inbound.ring_buffer = tx.ch.outbound.ring_buffer;
	ok(tx.ch.outbound.ring_datasize == 256 * 1024, "ring data area is 256 KiB");
	pthread_create(&ct, NULL, consumer, NULL);
	pthread_create(&pt, NULL, producer, NULL);
	pthread_join(pt, &perr);
	pthread_join(ct, NULL);
	ok(!perr, "producer wrote %lu packets (%lu waits on a full ring)", npkts,
	   full_waits);
	ok(got == npkts && !bad,
	   "consumer got %lu packets, 0 lost or reordered (%lu bad, %lu batches, %lu waits on empty)",
	   got, bad, batches, empty_waits);
	ok(!test_bit(VMBUS_CHAN_BROKEN, &tx.flags) &&
	   !test_bit(VMBUS_CHAN_BROKEN, &rx.flags), "neither side broke the channel");
	ok(tx.ch.outbound.ring_buffer->read_index ==
	   tx.ch.outbound.ring_buffer->write_index, "ring empty at the end");
	hv_ringbuffer_cleanup(&tx.ch.outbound);
	rx.ch.inbound.ring_buffer = NULL;
	hv_ringbuffer_cleanup(&rx.ch.inbound);
	shim_free_pages(pages);
	return tap_done();
}
