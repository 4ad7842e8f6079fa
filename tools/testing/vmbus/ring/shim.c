// SPDX-License-Identifier: GPL-2.0
/*
 * shim.c: the kernel functions drivers/hv/ring_buffer.c calls, in
 * userspace (declared in shim/vmbus_shim.h), and ring set-up for the tests.
 *
 * The ring's data pages are mapped twice in a row, as the driver's vmap()
 * does: pages come from a memfd (shim_alloc_pages()), and vmap() maps the
 * file's pages again in the order asked, between two PROT_NONE guard pages,
 * so a read past either end faults instead of reading a neighbour.
 */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "hyperv_vmbus.h"
#include "shim.h"

#ifndef BENCH_LINUX
struct vmbus_connection vmbus_connection;
/* ring_buffer.c counts in the connection's statistics (vmbus_stat_inc()). */
struct vmbus_conn vmbus_conn;
#endif
unsigned long shim_pr_err_count;
unsigned long shim_set_event_count;
void (*shim_set_event_hook)(void);

void shim_printk(const char *fmt, ...)
{
	va_list ap;

	__atomic_fetch_add(&shim_pr_err_count, 1, __ATOMIC_RELAXED);
	if (!getenv("VMBUS_SHIM_VERBOSE"))
		return;
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
}

void vmbus_set_event(struct vmbus_channel *channel)
{
	(void)channel;
	__atomic_fetch_add(&shim_set_event_count, 1, __ATOMIC_RELAXED);
	if (shim_set_event_hook)
		shim_set_event_hook();
}

/*
 * The transaction-id table of vmbus_tids.c (not built here): the shim's
 * channels never set VMBUS_CHAN_TID_GUARD, so ring_buffer.c never calls
 * these.
 */
void vmbus_tid_sent(struct vmbus_channel *ch, u64 tid)
{
	(void)ch;
	(void)tid;
	abort();
}

bool vmbus_tid_awaited(struct vmbus_channel *ch, u64 tid)
{
	(void)ch;
	(void)tid;
	abort();
}

void vmbus_tid_answered(struct vmbus_channel *ch, u64 tid)
{
	(void)ch;
	(void)tid;
	abort();
}

void *kzalloc(size_t size, gfp_t gfp)
{
	(void)gfp;
	return calloc(1, size ? size : 1);
}

void *kcalloc(size_t n, size_t size, gfp_t gfp)
{
	(void)gfp;
	return calloc(n ? n : 1, size ? size : 1);
}

void kfree(const void *p)
{
	free((void *)p);
}

struct reciprocal_value reciprocal_value(u32 d)
{
	struct reciprocal_value r = { 0, 0, 0 };
	int l = d > 1 ? 32 - __builtin_clz(d - 1) : 0;

	/* m = floor(2^32 * (2^l - d) / d) + 1, as the kernel defines it */
	r.m = (u32)((((u64)1 << 32) * (((u64)1 << l) - d)) / (d ? d : 1) + 1);
	r.sh1 = l > 1 ? 1 : l;
	r.sh2 = l > 1 ? l - 1 : 0;
	return r;
}

/* Page allocations that vmap() can map again. */
struct shim_area {
	u8 *base;
	size_t len;
	int fd;
};
#define SHIM_MAX_AREAS 64
static struct shim_area areas[SHIM_MAX_AREAS];
static struct shim_area maps[SHIM_MAX_AREAS];
static pthread_mutex_t areas_lock = PTHREAD_MUTEX_INITIALIZER;

static struct shim_area *slot(struct shim_area *tab)
{
	int i;

	for (i = 0; i < SHIM_MAX_AREAS; i++)
		if (!tab[i].base)
			return &tab[i];
	return NULL;
}

struct page *shim_alloc_pages(unsigned int count)
{
	struct shim_area *a;
	size_t len = (size_t)count * PAGE_SIZE;
	void *p;
	int fd;

	fd = memfd_create("vmbus-ring", 0);
	if (fd < 0)
		return NULL;
	if (ftruncate(fd, len) < 0)
		goto err;
	p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED)
		goto err;
	pthread_mutex_lock(&areas_lock);
	a = slot(areas);
	if (a)
		*a = (struct shim_area){ p, len, fd };
	pthread_mutex_unlock(&areas_lock);
	if (a)
		return p;
	munmap(p, len);
err:
	close(fd);
	return NULL;
}

void shim_free_pages(struct page *pages)
{
	int i;

	pthread_mutex_lock(&areas_lock);
	for (i = 0; i < SHIM_MAX_AREAS; i++) {
		if (areas[i].base != (u8 *)pages)
			continue;
		munmap(areas[i].base, areas[i].len);
		close(areas[i].fd);
		areas[i] = (struct shim_area){ NULL, 0, -1 };
	}
	pthread_mutex_unlock(&areas_lock);
}

static bool page_of(const struct page *pg, int *fd, off_t *off)
{
	const u8 *p = (const u8 *)pg;
	int i;

	for (i = 0; i < SHIM_MAX_AREAS; i++) {
		if (areas[i].base && p >= areas[i].base &&
		    p < areas[i].base + areas[i].len) {
			*fd = areas[i].fd;
			*off = p - areas[i].base;
			return true;
		}
	}
	return false;
}

void *vmap(struct page **pages, unsigned int count, unsigned long flags,
	   unsigned int prot)
{
	size_t len = ((size_t)count + 2) * PAGE_SIZE;
	struct shim_area *m;
	unsigned int i;
	u8 *base;
	off_t off;
	int fd;

	(void)flags;
	(void)prot;
	base = mmap(NULL, len, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (base == MAP_FAILED)
		return NULL;
	pthread_mutex_lock(&areas_lock);
	for (i = 0; i < count; i++) {
		if (!page_of(pages[i], &fd, &off) ||
		    mmap(base + (i + 1) * PAGE_SIZE, PAGE_SIZE,
			 PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED, fd,
			 off) == MAP_FAILED)
			goto err;
	}
	m = slot(maps);
	if (!m)
		goto err;
	*m = (struct shim_area){ base, len, -1 };
	pthread_mutex_unlock(&areas_lock);
	return base + PAGE_SIZE;
err:
	pthread_mutex_unlock(&areas_lock);
	munmap(base, len);
	return NULL;
}

void vunmap(const void *addr)
{
	const u8 *base = (const u8 *)addr - PAGE_SIZE;
	int i;

	pthread_mutex_lock(&areas_lock);
	for (i = 0; i < SHIM_MAX_AREAS; i++) {
		if (maps[i].base != base)
			continue;
		munmap(maps[i].base, maps[i].len);
		maps[i] = (struct shim_area){ NULL, 0, -1 };
	}
	pthread_mutex_unlock(&areas_lock);
}

#ifndef BENCH_LINUX	/* the kernel's own ring_buffer.c has no vmbus_chan */
/* Test rings: one channel's inbound and outbound rings. */
int shim_chan_init(struct shim_chan *sc, u32 data_pages, u32 max_pkt)
{
	memset(sc, 0, sizeof(*sc));
	sc->in_pages = shim_alloc_pages(data_pages + 1);
	sc->out_pages = shim_alloc_pages(data_pages + 1);
	if (!sc->in_pages || !sc->out_pages)
		return -ENOMEM;
	if (hv_ringbuffer_init(&sc->vc.ch.inbound, sc->in_pages, data_pages + 1,
			       max_pkt) ||
	    hv_ringbuffer_init(&sc->vc.ch.outbound, sc->out_pages,
			       data_pages + 1, max_pkt))
		return -ENOMEM;
	sc->vc.ch.offermsg.child_relid = 1;
	return 0;
}

void shim_chan_destroy(struct shim_chan *sc)
{
	hv_ringbuffer_cleanup(&sc->vc.ch.inbound);
	hv_ringbuffer_cleanup(&sc->vc.ch.outbound);
	shim_free_pages(sc->in_pages);
	shim_free_pages(sc->out_pages);
}
#endif

/* The host side: what a well-behaved host does with the rings. */
int host_put(struct hv_ring_buffer_info *rbi, u16 type, u16 flags, u64 tid,
	     const void *payload, u32 len)
{
	struct hv_ring_buffer *rb = rbi->ring_buffer;
	u32 size = rbi->ring_datasize, w, r, used, total;
	struct vmpacket_descriptor d;
	u64 trailer;
	u8 *data = rb->buffer;

	total = (u32)ALIGN(sizeof(d) + len, 8);
	w = READ_ONCE(rb->write_index);
	r = READ_ONCE(rb->read_index);
	used = w >= r ? w - r : size - r + w;
	if (size - used <= total + 8)
		return -EAGAIN;
	d = (struct vmpacket_descriptor){ type, sizeof(d) >> 3, total >> 3,
					  flags, tid };
	memcpy(data + w, &d, sizeof(d));
	memcpy(data + w + sizeof(d), payload, len);
	memset(data + w + sizeof(d) + len, 0, total - sizeof(d) - len);
	trailer = (u64)w << 32;
	memcpy(data + w + total, &trailer, 8);
	WRITE_ONCE(rb->write_index, (w + total + 8) % size);
	return 0;
}

int host_get(struct hv_ring_buffer_info *rbi, struct vmpacket_descriptor *d,
	     void *payload, u32 room, u32 *len)
{
	struct hv_ring_buffer *rb = rbi->ring_buffer;
	u32 size = rbi->ring_datasize, w, r, plen;
	u8 *data = rb->buffer;

	r = READ_ONCE(rb->read_index);
	w = READ_ONCE(rb->write_index);
	if (r == w)
		return -EAGAIN;
	memcpy(d, data + r, sizeof(*d));
	plen = ((u32)d->len8 << 3) - ((u32)d->offset8 << 3);
	if (plen > room)
		return -ENOBUFS;
	memcpy(payload, data + r + ((u32)d->offset8 << 3), plen);
	*len = plen;
	WRITE_ONCE(rb->read_index, (r + ((u32)d->len8 << 3) + 8) % size);
	return 0;
}
