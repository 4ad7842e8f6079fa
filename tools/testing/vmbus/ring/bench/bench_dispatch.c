// SPDX-License-Identifier: GPL-2.0
/*
 * bench_dispatch.c: the channel-scheduling loop of the ISR, ns per
 * interrupt, for four loops built behind the same shims
 * (shim/vmbus_shim.h):
 *
 *   ours   vmbus_event_scan() of drivers/hv/vmbus_event.c, compiled
 *          unmodified (included below, so its static functions are
 *          reachable): the event-page scan, sync_test_and_clear_bit(), the
 *          relid map lookup, the delivery with its counters and sched_lock;
 *   linux  the target kernel's vmbus_chan_sched(), extracted from its
 *          vmbus_drv.c at bench time (bench_linux_sched.c, bench.sh);
 *   floor  the scan and one atomic test-and-clear per set bit, nothing
 *          else; like ours, it scans up to the word of the highest live
 *          relid.
 *   locked the floor plus the relid map lookup and the callback run
 *          under the channel's sched_lock (which the kernel's loop and
 *          ours both take: close and the serialization of HV_CALL_ISR
 *          callbacks rely on it); no counters, no rescind or mode check.
 *
 * One interrupt: the host side sets k bits of live relids on the SINT's
 * event page (the same in every loop), then the loop takes them.  Every
 * channel is open in HV_CALL_ISR mode with a callback that counts; each
 * run checks that every event reached its channel's callback (or, for
 * the floor, was taken).  Time is the thread's CPU time
 * (CLOCK_THREAD_CPUTIME_ID), so that a run that loses the CPU on a shared
 * machine is not charged for it.  Output: one JSON line per loop, k and live
 * relid count with the ns per interrupt of each run and their median.
 *
 * Usage: bench_dispatch RUNS
 *        bench_dispatch check   the scan mark's functional check, TAP
 *                               (make check-userspace runs it)
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "vmbus_event.c"

struct vmbus_conn vmbus_conn;
struct vmbus_connection vmbus_connection;

void hv_begin_read(struct hv_ring_buffer_info *rbi)
{
	(void)rbi;
}

u32 hv_end_read(struct hv_ring_buffer_info *rbi)
{
	(void)rbi;
	return 0;
}

void vmbus_ring_settle(struct vmbus_channel *channel)
{
	(void)channel;
}

bool queue_work_on(int cpu, struct workqueue_struct *wq, struct work_struct *work)
{
	(void)cpu; (void)wq; (void)work;
	return true;
}

void cpus_read_lock(void)
{
}

void cpus_read_unlock(void)
{
}

void on_each_cpu(void (*func)(void *info), void *info, int wait)
{
	(void)wait;
	func(info);
}

void synchronize_rcu_expedited(void)
{
}

/* PREEMPT_RT's interrupt thread: never built here (IS_ENABLED() is 0). */
void vmbus_irqd_wake(struct vmbus_synic *s)
{
	(void)s;
	abort();
}

/* bench_linux_sched.c */
void linux_sched_init(struct vmbus_channel **map);
void linux_chan_sched(union hv_synic_event_flags *pages);

enum { MAX_K = 64, MAX_LIVE = VMBUS_MAX_RELID };

static struct vmbus_chan chans[MAX_LIVE + 1];
static struct vmbus_channel *linux_map[MAX_LIVE + 1];
static union hv_synic_event_flags pages[HV_SYNIC_SINT_COUNT];
static struct vmbus_synic synic;
static u64 delivered;

static void count_cb(void *context)
{
	(void)context;
	delivered++;
}

static unsigned int floor_words;

static void setup(unsigned int live)
{
	unsigned int r;

	memset(&vmbus_conn, 0, sizeof(vmbus_conn));
	memset(chans, 0, sizeof(chans));
	memset(linux_map, 0, sizeof(linux_map));
	for (r = 1; r <= live; r++) {
		struct vmbus_channel *ch = &chans[r].ch;

		ch->offermsg.child_relid = r;
		ch->callback_mode = HV_CALL_ISR;
		ch->onchannel_callback = count_cb;
		spin_lock_init(&ch->sched_lock);
		vmbus_conn.relid_map[r] = ch;
		linux_map[r] = ch;
	}
	/* What vmbus_relid_publish() leaves: the ISR scans up to relid live. */
	vmbus_conn.scan_mark = live;
	floor_words = live / BITS_PER_LONG + 1;
	synic.event_page = pages;
	synic.enabled = true;
	vmbus_conn.synic = &synic;
	linux_sched_init(linux_map);
}

static u64 floor_taken;

/*
 * The floor, bounded by the highest live relid as ours is; with @deliver,
 * floor + lock: each taken event's channel looked up and its callback run
 * under sched_lock.  Inlined into both callers, where @deliver is a
 * constant (as the compiler does with a static inline this small).
 */
static inline void floor_loop(unsigned long *flags, bool deliver)
{
	struct vmbus_channel *ch;
	unsigned long word, m;
	unsigned int i;

	for (i = 0; i < floor_words; i++) {
		word = READ_ONCE(flags[i]);
		while (word) {
			m = word & -word;
			word &= word - 1;
			if (!(__atomic_fetch_and(&flags[i], ~m, __ATOMIC_SEQ_CST) & m))
				continue;
			if (!deliver) {
				floor_taken++;
				continue;
			}
			ch = READ_ONCE(vmbus_conn.relid_map[i * BITS_PER_LONG +
							    __builtin_ctzl(m)]);
			if (!ch)
				continue;
			spin_lock(&ch->sched_lock);
			ch->onchannel_callback(ch->channel_callback_context);
			spin_unlock(&ch->sched_lock);
		}
	}
}

static void floor_scan(unsigned long *flags)
{
	floor_loop(flags, false);
}

static void locked_scan(unsigned long *flags)
{
	floor_loop(flags, true);
}

/* The k relids of one interrupt: k <= live, spread over 1..live, distinct. */
static void pick(unsigned int live, unsigned int k, unsigned int seed, u32 *out)
{
	unsigned int n, r = seed % live;

	for (n = 0; n < k; n++)
		out[n] = (r + n * (live / k)) % live + 1;
}

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

enum { PATTERNS = 64 };

static double run(const char *impl, unsigned int live, unsigned int k,
		  unsigned int iters)
{
	static u32 relids[PATTERNS][MAX_K];
	unsigned long *flags = pages[VMBUS_MESSAGE_SINT].flags;
	unsigned int i, j, p;
	u64 want = (u64)iters * k;
	double t0, t1;

	for (p = 0; p < PATTERNS; p++)
		pick(live, k, p * 7919u, relids[p]);
	delivered = 0;
	floor_taken = 0;
	t0 = now_ns();
	for (i = 0; i < iters; i++) {
		p = i % PATTERNS;
		for (j = 0; j < k; j++)
			sync_set_bit(relids[p][j], flags);
		if (impl[0] == 'o')
			vmbus_event_scan(&synic);
		else if (!strcmp(impl, "linux"))
			linux_chan_sched(pages);
		else if (impl[0] == 'l')
			locked_scan(flags);
		else
			floor_scan(flags);
	}
	t1 = now_ns();
	if ((impl[0] == 'f' ? floor_taken : delivered) != want) {
		fprintf(stderr, "bench_dispatch: %s live %u k %u: %llu of %llu events delivered\n",
			impl, live, k, (unsigned long long)(impl[0] == 'f' ?
			floor_taken : delivered), (unsigned long long)want);
		exit(1);
	}
	return (t1 - t0) / iters;
}

static int checks, failed;

static void expect(bool ok, const char *what)
{
	printf("%sok %d - %s\n", ok ? "" : "not ", ++checks, what);
	failed += !ok;
}

/*
 * The scan mark (vmbus_relid_publish(), Documentation/virt/hyperv/
 * channels.rst): with the mark at 0 the ISR scans word 0 only.  A host
 * signals relids 70 and 75 (word 1) before the guest published either,
 * then 75 is published first.  Publication takes both bits off the page:
 * 75's event is delivered at once, 70's waits in the latch for its
 * channel; neither bit is left on the page to hide later events.
 */
static int scan_mark_check(void)
{
	unsigned long *flags = pages[VMBUS_MESSAGE_SINT].flags;
	struct vmbus_channel *c70 = &chans[70].ch, *c75 = &chans[75].ch;

	setup(80);
	memset(vmbus_conn.relid_map, 0, sizeof(vmbus_conn.relid_map));
	vmbus_conn.scan_mark = 0;
	memset(pages, 0, sizeof(pages));
	delivered = 0;
	printf("TAP version 13\n1..7\n");
	sync_set_bit(70, flags);
	sync_set_bit(75, flags);
	vmbus_event_scan(&synic);
	expect(delivered == 0 && test_bit(70, flags) && test_bit(75, flags),
	       "mark 0: the scan of word 0 leaves the bits of relids 70 and 75 alone");
	vmbus_relid_publish(c75);
	expect(vmbus_conn.scan_mark == 75, "publishing relid 75 raises the mark to 75");
	expect(delivered == 1 && !test_bit(75, flags) && !test_bit(70, flags),
	       "relid 75's event delivered at publication, both bits off the page");
	expect(test_bit(70, vmbus_conn.event_latch), "relid 70's event waits in the latch");
	vmbus_relid_publish(c70);
	expect(delivered == 2 && !test_bit(70, vmbus_conn.event_latch) &&
	       vmbus_conn.scan_mark == 75,
	       "publishing relid 70 delivers it from the latch; the mark stays 75");
	sync_set_bit(70, flags);
	sync_set_bit(75, flags);
	vmbus_event_scan(&synic);
	expect(delivered == 4 && !flags[1], "later events for both are scanned and delivered");
	sync_set_bit(80, flags);
	vmbus_event_scan(&synic);
	expect(delivered == 4 && test_bit(80, vmbus_conn.event_latch) && !flags[1],
	       "an event for unpublished relid 80 within the mark's word is latched");
	return failed ? 1 : 0;
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
	static const char *const impls[] = { "linux", "ours", "floor", "locked" };
	static const unsigned int ks[] = { 1, 8, 64 }, lives[] = { 64, 2047 };
	unsigned int runs = argc > 1 ? atoi(argv[1]) : 7;
	double ns[64];
	unsigned int a, b, c, r, iters;

	if (argc > 1 && !strcmp(argv[1], "check"))
		return scan_mark_check();
	if (runs < 1 || runs > 64)
		return 2;
	for (a = 0; a < ARRAY_SIZE(lives); a++) {
		setup(lives[a]);
		for (b = 0; b < ARRAY_SIZE(ks); b++) {
			iters = 4000000 / (ks[b] + 16);
			for (c = 0; c < ARRAY_SIZE(impls); c++) {
				run(impls[c], lives[a], ks[b], iters / 10);	/* warm */
				for (r = 0; r < runs; r++)
					ns[r] = run(impls[c], lives[a], ks[b], iters);
				printf("{\"impl\": \"%s\", \"live\": %u, \"k\": %u, \"runs\": [",
				       impls[c], lives[a], ks[b]);
				for (r = 0; r < runs; r++)
					printf("%s%.2f", r ? ", " : "", ns[r]);
				qsort(ns, runs, sizeof(ns[0]), cmp);
				printf("], \"median\": %.2f, \"min\": %.2f, \"max\": %.2f}\n",
				       ns[runs / 2], ns[0], ns[runs - 1]);
				fflush(stdout);
			}
		}
	}
	return 0;
}
