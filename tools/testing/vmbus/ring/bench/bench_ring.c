// SPDX-License-Identifier: GPL-2.0
/*
 * bench_ring.c: packets per second through one VMBus ring, one producer and
 * one consumer thread, each pinned to its own CPU.  Built four times
 * (bench.sh):
 *
 *   BENCH_OURS      drivers/hv/ring_buffer.c
 *   BENCH_LINUX     the target kernel's ring_buffer.c, extracted at bench
 *                   time
 *   BENCH_PLAIN     a plain SPSC ring with the same copies: descriptor and
 *                   payload in, trailer, whole packet out; no checks, no
 *                   lock
 *   BENCH_CONTRACT  the plain ring plus the least that the signalling
 *                   contract (Documentation/virt/hyperv/channels.rst, "The
 *                   ring") costs any VMBus ring: after publishing
 *                   write_index the writer issues a full barrier and loads
 *                   interrupt_mask and read_index, and signals on empty to
 *                   non-empty; after publishing read_index the reader loads
 *                   pending_send_sz, and only if it is set takes the barrier
 *                   and signals on the crossing.  Still no checks, no lock.
 *
 * All four use the same shims (shim/vmbus_shim.h), the same double-mapped
 * 256 KiB ring and the same packets.  Every packet carries its sequence
 * number as its transaction id; the consumer counts each one that is not
 * the next expected (lost, repeated or reordered).
 *
 * Two consumers:
 *   poll  busy-polls the ring: throughput;
 *   irq   plays an interrupt-driven host: it keeps interrupt_mask set
 *         while it drains, and on an empty ring clears it, issues a full
 *         barrier, looks once more and then sleeps on a futex until the
 *         producer's vmbus_set_event() (the hypercall's stand-in, which
 *         wakes it) fires.  Counts the producer's notifications per 1,000
 *         packets.  Not for the plain ring, which has no notification.
 *
 * Prints one JSON object per payload size: the Mpps of each of RUNS runs
 * (default and at most REPS) and their median, the packets out of
 * sequence, and in irq mode the notifications per 1,000 packets of each
 * run and their median.  bench.sh runs the three one run at a time, in
 * turn, so that a change in the machine's speed hits all of them alike.
 *
 * Usage: bench_ring NAME [PACKETS_64B [poll|irq [RUNS]]]
 */
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "hyperv_vmbus.h"

/*
 * <linux/futex.h> wants the uapi types, which the shims replace: the two
 * operations, by their ABI numbers (FUTEX_WAIT, FUTEX_WAKE, private).
 */
#define BENCH_FUTEX_WAIT (0 | 128)
#define BENCH_FUTEX_WAKE (1 | 128)

struct page *shim_alloc_pages(unsigned int count);
/* shim.h is not included: BENCH_LINUX builds against the kernel's layout. */
extern unsigned long shim_set_event_count;
extern void (*shim_set_event_hook)(void);

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

#if defined(BENCH_PLAIN) || defined(BENCH_CONTRACT)
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
#ifdef BENCH_CONTRACT
	/*
	 * The write_index store before the loads: pairs with the reader's
	 * barrier between clearing interrupt_mask and looking at write_index
	 * again.
	 */
	virt_mb();
	if (!READ_ONCE(rb->interrupt_mask) && READ_ONCE(rb->read_index) == start)
		vmbus_set_event(tx);
#endif
	return 0;
}

#ifdef BENCH_CONTRACT
static bool contract_owed;

/*
 * The reader's side of the contract after it published read_index, as our
 * reader does it for a batched callback: a plain load of pending_send_sz
 * that finds it clear skips the barrier and owes one, which the next read
 * that finds the ring empty pays (@check).  The bench's producer never
 * sets pending_send_sz, so the signal is never sent; what is measured is
 * the load per packet and the barrier per empty ring.
 */
static void contract_look(struct hv_ring_buffer_info *rbi, bool check)
{
	struct hv_ring_buffer *rb = rbi->ring_buffer;
	u32 pending, w, free_now;

	if (!check && !READ_ONCE(rb->pending_send_sz)) {
		contract_owed = true;
		return;
	}
	/*
	 * The read_index store before the pending_send_sz load: pairs with
	 * the writer's barrier between setting pending_send_sz and loading
	 * read_index again.
	 */
	virt_mb();
	contract_owed = false;
	pending = READ_ONCE(rb->pending_send_sz);
	if (!pending)
		return;
	w = READ_ONCE(rb->write_index);
	free_now = rbi->ring_datasize -
		   (w >= rbi->priv_read_index ? w - rbi->priv_read_index :
		    rbi->ring_datasize - rbi->priv_read_index + w);
	if (free_now > pending)
		vmbus_set_event(rx);
}
#endif

static int plain_read(void *buf, u32 *actual, u64 *rid)
{
	struct hv_ring_buffer_info *rbi = &rx->inbound;
	struct hv_ring_buffer *rb = rbi->ring_buffer;
	u32 r = rbi->priv_read_index, len;
	u32 w = __atomic_load_n(&rb->write_index, __ATOMIC_ACQUIRE);
	struct vmpacket_descriptor d;

	*actual = 0;
	if (r == w) {
#ifdef BENCH_CONTRACT
		if (contract_owed)
			contract_look(rbi, true);
#endif
		return 0;
	}
	memcpy(&d, rb->buffer + r, sizeof(d));
	len = (u32)d.len8 << 3;
	memcpy(buf, rb->buffer + r, len);
	*actual = len - ((u32)d.offset8 << 3);
	*rid = d.trans_id;
	rbi->priv_read_index = (r + len + 8) % rbi->ring_datasize;
	__atomic_store_n(&rb->read_index, rbi->priv_read_index, __ATOMIC_RELEASE);
#ifdef BENCH_CONTRACT
	contract_look(rbi, false);
#endif
	return 0;
}
#endif

static int ring_write(const struct kvec *kv, u32 n, u64 seq)
{
#if defined(BENCH_PLAIN) || defined(BENCH_CONTRACT)
	(void)seq;
	return plain_write(kv, n);
#else
	return hv_ringbuffer_write(tx, kv, n, seq, NULL);
#endif
}

static int ring_read(void *buf, u32 len, u32 *actual, u64 *rid)
{
	int ret;

#if defined(BENCH_PLAIN) || defined(BENCH_CONTRACT)
	(void)len;
	ret = plain_read(buf, actual, rid);
#else
	ret = hv_ringbuffer_read(rx, buf, len, actual, rid, false);
#endif
	/*
	 * Nothing reads @buf after the copy: without this the compiler may
	 * drop the plain ring's copy-out, which it sees whole, and the
	 * baseline would skip half of the work the others do.
	 */
	__asm__ __volatile__("" : : "r"(buf) : "memory");
	return ret;
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
	for (i = 0; i < cur_n; i++) {
		/* The plain ring copies the id from here, the others set it. */
		p.d.trans_id = i;
		while (ring_write(kv, 2, i) == -EAGAIN)
			;
	}
	return NULL;
}

/* The irq consumer's doorbell: bumped and woken by each notification. */
static u32 doorbell;

static void ring_doorbell(void)
{
	__atomic_fetch_add(&doorbell, 1, __ATOMIC_SEQ_CST);
	syscall(SYS_futex, &doorbell, BENCH_FUTEX_WAKE, 1, NULL, NULL, 0);
}

static void set_mask(u32 v)
{
	__atomic_store_n(&rx->inbound.ring_buffer->interrupt_mask, v, __ATOMIC_RELAXED);
}

static bool ring_empty(void)
{
	struct hv_ring_buffer *rb = rx->inbound.ring_buffer;

	return __atomic_load_n(&rb->write_index, __ATOMIC_ACQUIRE) ==
	       __atomic_load_n(&rb->read_index, __ATOMIC_RELAXED);
}

/*
 * The irq consumer found the ring empty: unmask, full barrier, look again
 * (pairs with the producer's barrier between publishing write_index and
 * reading interrupt_mask and read_index), then sleep until notified.  A
 * lost notification would leave it asleep: after 10 s it says so and the
 * run fails.
 */
static void irq_wait(void)
{
	struct timespec ts = { .tv_sec = 10 };
	u32 seen = __atomic_load_n(&doorbell, __ATOMIC_SEQ_CST);

	set_mask(0);
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (ring_empty() &&
	    syscall(SYS_futex, &doorbell, BENCH_FUTEX_WAIT, seen, &ts, NULL, 0) &&
	    errno == ETIMEDOUT && ring_empty()) {
		fprintf(stderr, "bench: irq consumer: no notification for 10 s with the ring empty\n");
		exit(1);
	}
	set_mask(1);
}

static unsigned long out_of_sequence;

/*
 * One run: the consumer's time from the first packet to the last; in irq
 * mode also the notifications per 1,000 packets (*@per_k).
 */
static double run_once(u32 size, unsigned long n, bool irq, double *per_k)
{
	static u8 buf[MAX_PAYLOAD + 64];
	unsigned long got = 0, sig0;
	double t0 = 0, t;
	pthread_t pt;
	u32 actual;
	u64 rid;

	cur_size = size;
	cur_n = n;
	set_mask(irq);
	sig0 = __atomic_load_n(&shim_set_event_count, __ATOMIC_SEQ_CST);
	__atomic_store_n(&go, 0, __ATOMIC_RELEASE);
	pthread_create(&pt, NULL, producer, NULL);
	__atomic_store_n(&go, 1, __ATOMIC_RELEASE);
	while (got < n) {
		if (ring_read(buf, sizeof(buf), &actual, &rid)) {
			fprintf(stderr, "bench: read failed\n");
			exit(1);
		}
		if (!actual) {
			if (irq)
				irq_wait();
			continue;
		}
		if (!got)
			t0 = now();
		out_of_sequence += rid != got;
		got++;
	}
	t = now() - t0;
	pthread_join(pt, NULL);
	*per_k = (__atomic_load_n(&shim_set_event_count, __ATOMIC_SEQ_CST) - sig0) *
		 1000.0 / n;
	return (n - 1) / t / 1e6;
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static unsigned int runs = REPS;

/* Median of @runs values; @v is left sorted. */
static double median(double *v)
{
	qsort(v, runs, sizeof(double), cmp);
	return v[runs / 2];
}

static void print_list(const char *name, const double *v)
{
	unsigned int r;

	printf(", \"%s\": [", name);
	for (r = 0; r < runs; r++)
		printf("%s%.4f", r ? ", " : "", v[r]);
	printf("]");
}

int main(int argc, char **argv)
{
	unsigned long base = argc > 2 ? strtoul(argv[2], NULL, 0) : 2000000;
	bool irq = argc > 3 && !strcmp(argv[3], "irq");
	struct page *pages = shim_alloc_pages(DATA_PAGES + 1);
	double mpps[REPS], per_k[REPS], sorted[REPS];
	unsigned int s, r;

	if (argc > 4)
		runs = strtoul(argv[4], NULL, 0);
	if (argc < 2 || !pages || (argc > 3 && !irq && strcmp(argv[3], "poll")) ||
	    !runs || runs > REPS) {
		fprintf(stderr, "usage: bench_ring NAME [PACKETS_64B [poll|irq [RUNS]]]\n");
		return 2;
	}
#ifdef BENCH_PLAIN
	if (irq) {
		fprintf(stderr, "bench_ring: the plain ring has no notifications\n");
		return 2;
	}
#endif
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
	if (irq)
		shim_set_event_hook = ring_doorbell;
	pin(0);
	for (s = 0; s < ARRAY_SIZE(sizes); s++) {
		/* Fewer packets for larger sizes: about equal bytes per run. */
		unsigned long n = base * 64 / sizes[s] > base / 16 ?
				  base * 64 / sizes[s] : base / 16;

		out_of_sequence = 0;
		for (r = 0; r < runs; r++)
			mpps[r] = run_once(sizes[s], n, irq, &per_k[r]);
		printf("{\"impl\": \"%s\", \"mode\": \"%s\", \"size\": %u, \"packets\": %lu",
		       argv[1], irq ? "irq" : "poll", sizes[s], n);
		print_list("mpps", mpps);
		memcpy(sorted, mpps, sizeof(sorted));
		printf(", \"median\": %.4f", median(sorted));
		if (irq) {
			print_list("notify_per_1000", per_k);
			memcpy(sorted, per_k, sizeof(sorted));
			printf(", \"notify_median\": %.2f", median(sorted));
		}
		printf(", \"out_of_sequence\": %lu}\n", out_of_sequence);
		fflush(stdout);
		if (out_of_sequence)
			return 1;
	}
	return 0;
}
