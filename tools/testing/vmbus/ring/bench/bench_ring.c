// SPDX-License-Identifier: GPL-2.0
/*
 * bench_ring.c: packets per second through one VMBus ring, one producer and
 * one consumer thread, each pinned to its own CPU and busy-polling.  Built
 * three times (bench.sh):
 *
 *   BENCH_OURS   drivers/hv/ring_buffer.c
 *   BENCH_LINUX  the target kernel's ring_buffer.c, extracted at bench time
 *   BENCH_PLAIN  a plain SPSC ring with the same copies: descriptor and
 *                payload in, trailer, whole packet out; no checks, no lock
 *
 * All three use the same shims (shim/vmbus_shim.h), the same double-mapped
 * 256 KiB ring and the same packets.  Prints one JSON object per payload
 * size: the Mpps of each of REPS runs and their median.
 *
 * Usage: bench_ring NAME [PACKETS_64B]
 */
#define _GNU_SOURCE
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "hyperv_vmbus.h"

struct page *shim_alloc_pages(unsigned int count);

enum { DATA_PAGES = 64, MAX_PAYLOAD = 16384, REPS = 5 };
static const u32 sizes[] = { 64, 256, 1024, 4096, 16384 };

#if defined(BENCH_OURS)
static struct vmbus_chan txc, rxc;
#define tx (&txc.ch)
#define rx (&rxc.ch)
#else
static struct vmbus_channel txch, rxch;
#define tx (&txch)
#define rx (&rxch)
#endif

#ifdef BENCH_LINUX
void vmbus_setevent(struct vmbus_channel *channel)
{
	vmbus_set_event(channel);
}

void *vmap_pfn(unsigned long *pfns, unsigned int count, unsigned int prot)
{
	(void)pfns;
	(void)count;
	(void)prot;
	return NULL;
}
#endif

#ifdef BENCH_PLAIN
/* The plain ring: the driver's layout, none of its checks. */
static int plain_write(const struct kvec *kv, u32 n)
{
	struct hv_ring_buffer_info *rbi = &tx->outbound;
	struct hv_ring_buffer *rb = rbi->ring_buffer;
	u32 w = rb->write_index, len = 0, i, start = w, free;
	u32 r = __atomic_load_n(&rb->read_index, __ATOMIC_ACQUIRE);
	u64 trailer = (u64)start << 32;

	for (i = 0; i < n; i++)
		len += kv[i].iov_len;
	free = w >= r ? rbi->ring_datasize - (w - r) : r - w;
	if (free <= ALIGN(len, 8) + 8)
		return -EAGAIN;
	for (i = 0; i < n; i++) {
		memcpy(rb->buffer + w, kv[i].iov_base, kv[i].iov_len);
		w += kv[i].iov_len;
	}
	w = start + ALIGN(len, 8);
	memcpy(rb->buffer + w, &trailer, 8);
	__atomic_store_n(&rb->write_index, (w + 8) % rbi->ring_datasize,
			 __ATOMIC_RELEASE);
	return 0;
}

static int plain_read(void *buf, u32 *actual)
{
	struct hv_ring_buffer_info *rbi = &rx->inbound;
	struct hv_ring_buffer *rb = rbi->ring_buffer;
	u32 r = rbi->priv_read_index, len;
	u32 w = __atomic_load_n(&rb->write_index, __ATOMIC_ACQUIRE);
	struct vmpacket_descriptor d;

	*actual = 0;
	if (r == w)
		return 0;
	memcpy(&d, rb->buffer + r, sizeof(d));
	len = (u32)d.len8 << 3;
	memcpy(buf, rb->buffer + r, len);
	*actual = len - ((u32)d.offset8 << 3);
	rbi->priv_read_index = (r + len + 8) % rbi->ring_datasize;
	__atomic_store_n(&rb->read_index, rbi->priv_read_index, __ATOMIC_RELEASE);
	return 0;
}
#endif

static int ring_write(const struct kvec *kv, u32 n, u64 seq)
{
#ifdef BENCH_PLAIN
	(void)seq;
	return plain_write(kv, n);
#else
	return hv_ringbuffer_write(tx, kv, n, seq, NULL);
#endif
}

static int ring_read(void *buf, u32 len, u32 *actual)
{
#ifdef BENCH_PLAIN
	(void)len;
	return plain_read(buf, actual);
#else
	u64 rid;

	return hv_ringbuffer_read(rx, buf, len, actual, &rid, false);
#endif
}

static void pin(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static u32 cur_size;
static unsigned long cur_n;
static int go;

static void *producer(void *arg)
{
	static struct {
		struct vmpacket_descriptor d;
		u8 payload[MAX_PAYLOAD];
	} p;
	struct kvec kv[2];
	unsigned long i;

	(void)arg;
	pin(1);
	memset(p.payload, 0x5a, sizeof(p.payload));
	while (!__atomic_load_n(&go, __ATOMIC_ACQUIRE))
		;
	p.d = (struct vmpacket_descriptor){ 6, 2, (u16)((16 + cur_size) >> 3), 0, 0 };
	kv[0] = (struct kvec){ &p.d, sizeof(p.d) };
	kv[1] = (struct kvec){ p.payload, cur_size };
	for (i = 0; i < cur_n; i++)
		while (ring_write(kv, 2, i) == -EAGAIN)
			;
	return NULL;
}

/* One run: the consumer's time from the first packet to the last. */
static double run_once(u32 size, unsigned long n)
{
	static u8 buf[MAX_PAYLOAD + 64];
	unsigned long got = 0;
	double t0 = 0;
	pthread_t pt;
	u32 actual;

	cur_size = size;
	cur_n = n;
	__atomic_store_n(&go, 0, __ATOMIC_RELEASE);
	pthread_create(&pt, NULL, producer, NULL);
	__atomic_store_n(&go, 1, __ATOMIC_RELEASE);
	while (got < n) {
		if (ring_read(buf, sizeof(buf), &actual)) {
			fprintf(stderr, "bench: read failed\n");
			exit(1);
		}
		if (!actual)
			continue;
		if (!got)
			t0 = now();
		got++;
	}
	pthread_join(pt, NULL);
	return (n - 1) / (now() - t0) / 1e6;
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
	unsigned long base = argc > 2 ? strtoul(argv[2], NULL, 0) : 2000000;
	struct page *pages = shim_alloc_pages(DATA_PAGES + 1);
	double mpps[REPS], sorted[REPS];
	unsigned int s, r;

	if (argc < 2 || !pages) {
		fprintf(stderr, "usage: bench_ring NAME [PACKETS_64B]\n");
		return 2;
	}
#ifdef BENCH_LINUX
	hv_ringbuffer_pre_init(tx);
	hv_ringbuffer_pre_init(rx);
#endif
	if (hv_ringbuffer_init(&tx->outbound, pages, DATA_PAGES + 1, MAX_PAYLOAD + 64) ||
	    hv_ringbuffer_init(&rx->inbound, pages, DATA_PAGES + 1, MAX_PAYLOAD + 64)) {
		fprintf(stderr, "bench: cannot map the ring\n");
		return 1;
	}
	/* One mapping for both sides, as the driver and host share pages. */
	vunmap(rx->inbound.ring_buffer);
	rx->inbound.ring_buffer = tx->outbound.ring_buffer;
	pin(0);
	for (s = 0; s < ARRAY_SIZE(sizes); s++) {
		/* Fewer packets for larger sizes: about equal bytes per run. */
		unsigned long n = base * 64 / sizes[s] > base / 16 ?
				  base * 64 / sizes[s] : base / 16;

		for (r = 0; r < REPS; r++)
			mpps[r] = run_once(sizes[s], n);
		memcpy(sorted, mpps, sizeof(sorted));
		qsort(sorted, REPS, sizeof(double), cmp);
		printf("{\"impl\": \"%s\", \"size\": %u, \"packets\": %lu, \"mpps\": [",
		       argv[1], sizes[s], n);
		for (r = 0; r < REPS; r++)
			printf("%s%.4f", r ? ", " : "", mpps[r]);
		printf("], \"median\": %.4f}\n", sorted[REPS / 2]);
		fflush(stdout);
	}
	return 0;
}
