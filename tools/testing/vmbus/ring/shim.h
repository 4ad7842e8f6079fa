/* SPDX-License-Identifier: GPL-2.0 */
/*
 * shim.h: the userspace ring harness's own helpers (shim.c), for the unit
 * tests, the fuzzers and the benchmark.
 */
#ifndef VMBUS_RING_SHIM_H
#define VMBUS_RING_SHIM_H

#include "hyperv_vmbus.h"

extern unsigned long shim_pr_err_count;
extern unsigned long shim_set_event_count;
/* Called by vmbus_set_event() after it counted, if set (the benchmark's
 * interrupt-driven consumer wakes on it).
 */
extern void (*shim_set_event_hook)(void);

struct page *shim_alloc_pages(unsigned int count);
void shim_free_pages(struct page *pages);

#ifndef BENCH_LINUX
/* A channel with both rings mapped the way the driver maps them. */
struct shim_chan {
	struct vmbus_chan vc;
	struct page *in_pages;
	struct page *out_pages;
};

int shim_chan_init(struct shim_chan *sc, u32 data_pages, u32 max_pkt);
void shim_chan_destroy(struct shim_chan *sc);

static inline bool shim_chan_broken(struct shim_chan *sc)
{
	return test_bit(VMBUS_CHAN_BROKEN, &sc->vc.flags);
}
#endif

/* Host side: put a packet on a ring (payload after a 16-byte descriptor),
 * or take one off.  -EAGAIN when full / empty.
 */
int host_put(struct hv_ring_buffer_info *rbi, u16 type, u16 flags, u64 tid,
	     const void *payload, u32 len);
int host_get(struct hv_ring_buffer_info *rbi, struct vmpacket_descriptor *d,
	     void *payload, u32 room, u32 *len);

#endif /* VMBUS_RING_SHIM_H */
