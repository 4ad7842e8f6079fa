/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The private header the target kernel's own ring_buffer.c includes, for
 * the benchmark's baseline build (bench.sh extracts that file into
 * build/bench/linux/, next to nothing else, so this one is found on the
 * include path).  Only what that file uses, on top of shim/vmbus_shim.h.
 */
#ifndef BENCH_LINUX_HYPERV_VMBUS_H
#define BENCH_LINUX_HYPERV_VMBUS_H

#include "../../shim/vmbus_shim.h"

#define KBUILD_MODNAME "hv_vmbus"
#define MESSAGE_DELAY 0
#define unlikely(x) __builtin_expect(!!(x), 0)
#define likely(x) __builtin_expect(!!(x), 1)
#define min(a, b) ((a) < (b) ? (a) : (b))
#define spin_is_locked(l) raw_spin_is_locked(&(l)->rlock)
#define EXPORT_SYMBOL_GPL(sym) extern int bench_export_##sym
#define BUILD_BUG_ON(cond) _Static_assert(!(cond), #cond)
#define PFN_DOWN(x) ((x) >> PAGE_SHIFT)

/* The SNP branch is never taken (hv_isolation_type_snp() is false). */
static struct {
	u64 shared_gpa_boundary;
} ms_hyperv;

static inline void hv_debug_delay_test(struct vmbus_channel *ch, int which)
{
	(void)ch;
	(void)which;
}

static inline bool hv_isolation_type_snp(void)
{
	return false;
}

static inline unsigned long page_to_pfn(struct page *p)
{
	return (unsigned long)p >> PAGE_SHIFT;
}

void *vmap_pfn(unsigned long *pfns, unsigned int count, unsigned int prot);

/* Free bytes of a ring as its writer sees them. */
static inline u32 hv_get_bytes_to_write(const struct hv_ring_buffer_info *rbi)
{
	u32 r = READ_ONCE(rbi->ring_buffer->read_index);
	u32 w = READ_ONCE(rbi->ring_buffer->write_index);

	return w >= r ? rbi->ring_datasize - (w - r) : r - w;
}

void hv_ringbuffer_pre_init(struct vmbus_channel *channel);
int hv_ringbuffer_init(struct hv_ring_buffer_info *ring_info, struct page *pages,
		       u32 page_cnt, u32 max_pkt_size);
void hv_ringbuffer_cleanup(struct hv_ring_buffer_info *ring_info);
int hv_ringbuffer_write(struct vmbus_channel *channel, const struct kvec *kv_list,
			u32 kv_count, u64 requestid, u64 *trans_id);
int hv_ringbuffer_read(struct vmbus_channel *channel, void *buffer, u32 buflen,
		       u32 *buffer_actual_len, u64 *requestid, bool raw);

#endif /* BENCH_LINUX_HYPERV_VMBUS_H */
