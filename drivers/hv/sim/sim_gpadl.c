// SPDX-License-Identifier: GPL-2.0
/*
 * vmbus_sim: the host side of GPADLs (vmbus-sim.rst, host behaviour 16).
 *
 *   GPADL_HEADER (+ GPADL_BODY...) -> GPADL_CREATED once every PFN came
 *   GPADL_TEARDOWN                 -> GPADL_TORNDOWN once the host no
 *                                     longer uses the pages
 *
 * A GPADL names guest page frames.  The guest runs in the same kernel, so
 * the host maps them with vmap(); it takes no page reference, since the
 * guest owns the pages and frees them only after GPADL_TORNDOWN (or after
 * a rescind, which tears down the host's side before the RESCIND is
 * queued).  Every field comes from the guest and is checked here: a PFN
 * the kernel does not treat as ordinary RAM is refused.
 *
 * Everything here runs in process context under sim_lock.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/list.h>
#include <linux/lockdep.h>
#include <linux/mm.h>
#include <linux/overflow.h>
#include <linux/slab.h>
#include <linux/vmalloc.h>
#include "../compat.h"

#include "sim.h"

static_assert(sizeof(struct vmbus_channel_gpadl_header) == 20);
static_assert(sizeof(struct gpa_range) == 8);
static_assert(sizeof(struct vmbus_channel_gpadl_body) == 16);
static_assert(sizeof(struct vmbus_channel_gpadl_created) == 20);
static_assert(sizeof(struct vmbus_channel_gpadl_teardown) == 16);
static_assert(sizeof(struct vmbus_channel_gpadl_torndown) == 12);

/*
 * Closes the channel whose rings live in a GPADL the guest tears down
 * while it is open (sim_ring_close()); set once at module init by
 * sim_gpadl_set_close(), so this file does not call up into sim_ring.c.
 */
static void (*sim_gpadl_close_ring)(u32 relid);

/**
 * sim_gpadl_set_close() - how to close a channel whose GPADL goes
 * @close: closes the channel of a relid (sim_ring_close())
 *
 * Context: module init, before the guest can attach.
 */
void sim_gpadl_set_close(void (*close)(u32 relid))
{
	sim_gpadl_close_ring = close;
}

/**
 * struct sim_gpadl - one GPADL the guest created or is creating
 * @node: in sim_gpadls
 * @handle: the guest's handle, unique among live GPADLs
 * @relid: the channel it was created for
 * @npages: PFNs the header announced
 * @have: PFNs received so far; complete when equal to @npages
 * @users: open channels whose rings live in it (0 or 1)
 * @pfns: the PFNs, checked
 *
 * All under sim_lock.
 */
struct sim_gpadl {
	struct list_head node;
	u32 handle;
	u32 relid;
	u32 npages;
	u32 have;
	u32 users;
	u64 pfns[];
};

static LIST_HEAD(sim_gpadls);

enum {
	/* Largest GPADL the host maps: 64 MiB, far above any ring. */
	SIM_GPADL_MAX_PAGES	= 16384,
	/* A guest cannot make the host hold more than this many. */
	SIM_GPADL_MAX		= 4096,
};

static unsigned int sim_gpadl_count;

/**
 * sim_gpadl_find() - a live GPADL by handle
 * @handle: the guest's handle
 *
 * Context: under sim_lock.
 * Return: the GPADL, complete or not, or NULL.
 */
struct sim_gpadl *sim_gpadl_find(u32 handle)
{
	struct sim_gpadl *g;

	lockdep_assert_held(&sim_lock);
	list_for_each_entry(g, &sim_gpadls, node)
		if (g->handle == handle)
			return g;
	return NULL;
}

static void sim_gpadl_free(struct sim_gpadl *g)
{
	list_del(&g->node);
	sim_gpadl_count--;
	kvfree(g);
}

static void sim_gpadl_send_created(u32 relid, u32 handle, u32 status)
{
	struct vmbus_channel_gpadl_created msg = {
		.header.msgtype = CHANNELMSG_GPADL_CREATED,
		.child_relid = relid,
		.gpadl = handle,
		.creation_status = status,
	};

	if (sim_msg_send(&msg, sizeof(msg)))
		pr_err("sending GPADL_CREATED failed\n");
}

static void sim_gpadl_send_torndown(u32 handle)
{
	struct vmbus_channel_gpadl_torndown msg = {
		.header.msgtype = CHANNELMSG_GPADL_TORNDOWN,
		.gpadl = handle,
	};

	if (sim_msg_send(&msg, sizeof(msg)))
		pr_err("sending GPADL_TORNDOWN failed\n");
}

/* Ordinary RAM only: never let a guest make the host map anything else. */
static bool sim_pfn_ok(u64 pfn)
{
	return pfn == (unsigned long)pfn && pfn_valid(pfn) &&
	       !PageReserved(pfn_to_page(pfn));
}

/* Take @n PFNs; a bad one fails the whole GPADL. */
static bool sim_gpadl_add_pfns(struct sim_gpadl *g, const u64 *pfns, u32 n)
{
	u32 i;

	if (n > g->npages - g->have) {
		sim_guest_error("GPADL %u: %u PFNs more than announced\n",
				g->handle, n - (g->npages - g->have));
		return false;
	}
	for (i = 0; i < n; i++) {
		g->pfns[g->have] = get_unaligned(&pfns[i]);
		if (!sim_pfn_ok(g->pfns[g->have])) {
			sim_guest_error("GPADL %u: PFN %#llx is not guest RAM\n",
					g->handle, g->pfns[g->have]);
			return false;
		}
		g->have++;
	}
	return true;
}

/* Answer a GPADL that received everything, or one that failed. */
static void sim_gpadl_settle(struct sim_gpadl *g, bool ok)
{
	if (!ok) {
		sim_gpadl_send_created(g->relid, g->handle, SIM_STATUS_FAIL);
		sim_gpadl_free(g);
	} else if (g->have == g->npages) {
		u32 relid = g->relid;

		/* A rescind instead frees @g with the channel's GPADLs. */
		if (sim_rescind_instead(SIM_RESCIND_INSTEAD_GPADL, relid))
			return;
		sim_gpadl_send_created(relid, g->handle, 0);
		sim_rescind_instead(SIM_RESCIND_AFTER_GPADL, relid);
	}
}

/* The header's own checks; returns the page count, 0 if invalid. */
static u32 sim_gpadl_header_pages(const struct vmbus_channel_gpadl_header *msg,
				  u32 size, u32 *inline_pfns)
{
	const struct gpa_range *range = msg->range;
	u32 count, offset, pages;

	if (size < sizeof(*msg) + sizeof(*range) || msg->rangecount != 1) {
		sim_guest_error("GPADL_HEADER %u: %u ranges, %u bytes\n",
				msg->gpadl, msg->rangecount, size);
		return 0;
	}
	count = get_unaligned(&range->byte_count);
	offset = get_unaligned(&range->byte_offset);
	pages = DIV_ROUND_UP((u64)count + offset, PAGE_SIZE);
	*inline_pfns = (size - sizeof(*msg) - sizeof(*range)) / sizeof(u64);
	if (!count || offset >= PAGE_SIZE || pages > SIM_GPADL_MAX_PAGES ||
	    msg->range_buflen != sizeof(*range) + pages * sizeof(u64) ||
	    *inline_pfns > pages) {
		sim_guest_error("GPADL_HEADER %u: %u bytes at %u, range_buflen %u, %u PFNs\n",
				msg->gpadl, count, offset, msg->range_buflen,
				*inline_pfns);
		return 0;
	}
	return pages;
}

/**
 * sim_gpadl_header() - CHANNELMSG_GPADL_HEADER from the guest
 * @data: the message
 * @size: its size, at least that of the header
 * @conn_id: the connection id it came on
 *
 * Context: the host work item, under sim_lock.
 */
void sim_gpadl_header(const void *data, u32 size, u32 conn_id)
{
	const struct vmbus_channel_gpadl_header *msg = data;
	u32 pages, inline_pfns;
	struct sim_chan *ch;
	struct sim_gpadl *g;

	ch = sim_chan_get(msg->child_relid);
	if (!ch || !ch->held || ch->state != SIM_CHAN_OFFERED) {
		/* A rescinded channel lost the race: no guest error. */
		if (!ch || !ch->held)
			sim_guest_error("GPADL_HEADER %u for relid %u, not offered\n",
					msg->gpadl, msg->child_relid);
		sim_gpadl_send_created(msg->child_relid, msg->gpadl,
				       SIM_STATUS_FAIL);
		return;
	}
	pages = sim_gpadl_header_pages(msg, size, &inline_pfns);
	if (pages && sim_gpadl_find(msg->gpadl)) {
		sim_guest_error("GPADL_HEADER: handle %u is in use\n",
				msg->gpadl);
		pages = 0;
	}
	if (pages && sim_gpadl_count >= SIM_GPADL_MAX) {
		sim_guest_error("GPADL_HEADER %u: too many GPADLs\n", msg->gpadl);
		pages = 0;
	}
	g = pages ? kvzalloc(struct_size(g, pfns, pages), GFP_KERNEL) : NULL;
	if (!g) {
		sim_gpadl_send_created(msg->child_relid, msg->gpadl,
				       SIM_STATUS_FAIL);
		return;
	}
	g->handle = msg->gpadl;
	g->relid = msg->child_relid;
	g->npages = pages;
	list_add_tail(&g->node, &sim_gpadls);
	sim_gpadl_count++;
	sim_gpadl_settle(g, sim_gpadl_add_pfns(g, msg->range[0].pfn_array,
					       inline_pfns));
}

/**
 * sim_gpadl_body() - CHANNELMSG_GPADL_BODY from the guest
 * @data: the message; it names the GPADL by handle only
 * @size: its size, at least that of the body header
 * @conn_id: the connection id it came on
 *
 * Context: the host work item, under sim_lock.
 */
void sim_gpadl_body(const void *data, u32 size, u32 conn_id)
{
	const struct vmbus_channel_gpadl_body *msg = data;
	u32 n = (size - sizeof(*msg)) / sizeof(u64);
	struct sim_gpadl *g = sim_gpadl_find(msg->gpadl);

	if (!g || g->have == g->npages) {
		sim_guest_error("GPADL_BODY for GPADL %u, %s\n", msg->gpadl,
				g ? "already complete" : "unknown");
		return;
	}
	sim_gpadl_settle(g, n && sim_gpadl_add_pfns(g, msg->pfn, n));
}

/**
 * sim_gpadl_teardown() - CHANNELMSG_GPADL_TEARDOWN from the guest
 * @data: the message
 * @size: its size
 * @conn_id: the connection id it came on
 *
 * A GPADL that still carries an open channel's rings is a guest error;
 * the host closes that channel first, so the pages are unused when
 * GPADL_TORNDOWN goes out.  With teardown_respond 0 the host ignores the
 * request: the GPADL stays mapped and nothing is sent (vmbus-sim.rst, host
 * behaviour 20).
 *
 * Context: the host work item, under sim_lock.
 */
void sim_gpadl_teardown(const void *data, u32 size, u32 conn_id)
{
	const struct vmbus_channel_gpadl_teardown *msg = data;
	struct sim_gpadl *g = sim_gpadl_find(msg->gpadl);
	struct sim_chan *ch;

	if (!g || g->relid != msg->child_relid) {
		ch = sim_chan_get(msg->child_relid);
		/* Rescinded meanwhile: the host already tore it down. */
		if (!ch || ch->state != SIM_CHAN_RESCINDED)
			sim_guest_error("GPADL_TEARDOWN of GPADL %u, relid %u: unknown\n",
					msg->gpadl, msg->child_relid);
		return;
	}
	if (!READ_ONCE(sim_modes.teardown_respond)) {
		sim_stat_inc(SIM_STAT_TEARDOWNS_IGNORED);
		return;
	}
	if (g->users) {
		sim_guest_error("GPADL_TEARDOWN of GPADL %u: relid %u still open\n",
				g->handle, g->relid);
		sim_gpadl_close_ring(g->relid);
	}
	sim_gpadl_send_torndown(g->handle);
	sim_gpadl_free(g);
}

/**
 * sim_gpadl_chan_count() - the GPADLs of a channel, complete or not
 * @relid: the channel's relid
 *
 * Context: under sim_lock.
 * Return: how many.
 */
unsigned int sim_gpadl_chan_count(u32 relid)
{
	struct sim_gpadl *g;
	unsigned int n = 0;

	lockdep_assert_held(&sim_lock);
	list_for_each_entry(g, &sim_gpadls, node)
		n += g->relid == relid;
	return n;
}

/**
 * sim_gpadl_ready() - a complete GPADL of @relid
 * @handle: the guest's handle
 * @relid: the channel it must belong to
 *
 * Context: under sim_lock.
 * Return: the GPADL, or NULL if none with that handle and relid is
 * complete and unused.
 */
struct sim_gpadl *sim_gpadl_ready(u32 handle, u32 relid)
{
	struct sim_gpadl *g = sim_gpadl_find(handle);

	if (!g || g->relid != relid || g->have != g->npages || g->users)
		return NULL;
	return g;
}

/**
 * sim_gpadl_pages() - pages in a complete GPADL
 * @g: the GPADL
 *
 * Context: under sim_lock.
 * Return: the page count.
 */
u32 sim_gpadl_pages(const struct sim_gpadl *g)
{
	return g->npages;
}

/**
 * sim_gpadl_get() - note that an open channel uses @g
 * @g: the GPADL
 *
 * Context: under sim_lock.
 */
void sim_gpadl_get(struct sim_gpadl *g)
{
	lockdep_assert_held(&sim_lock);
	g->users++;
}

/**
 * sim_gpadl_put() - the open channel no longer uses @handle
 * @handle: the GPADL's handle; it may be gone already (rescind, reset)
 *
 * Context: under sim_lock.
 */
void sim_gpadl_put(u32 handle)
{
	struct sim_gpadl *g = sim_gpadl_find(handle);

	if (g && g->users)
		g->users--;
}

/**
 * sim_gpadl_map_ring() - map a ring that lives in pages of a GPADL
 * @g: a complete GPADL
 * @first: the ring's first page (its header) within @g
 * @n: pages in the ring, header included; at least 2
 *
 * The data pages are mapped twice in a row after the header, so a packet
 * that wraps is one contiguous copy for the host as for the guest.
 *
 * Context: process context, may sleep.
 * Return: the mapping (vunmap() it), or NULL.
 */
void *sim_gpadl_map_ring(const struct sim_gpadl *g, u32 first, u32 n)
{
	struct page **map;
	u32 i, data = n - 1;
	void *va;

	if (n < 2 || first > g->npages || n > g->npages - first)
		return NULL;
	map = kcalloc(2 * data + 1, sizeof(*map), GFP_KERNEL);
	if (!map)
		return NULL;
	map[0] = pfn_to_page(g->pfns[first]);
	for (i = 0; i < 2 * data; i++)
		map[i + 1] = pfn_to_page(g->pfns[first + 1 + i % data]);
	va = vmap(map, 2 * data + 1, VM_MAP, PAGE_KERNEL);
	kfree(map);
	return va;
}

/**
 * sim_gpadl_map() - map every page of a complete GPADL, in order
 * @g: the GPADL
 *
 * For a buffer the guest hands a device's back end (netvsc's receive and
 * send buffers), as opposed to a ring.
 *
 * Context: process context, may sleep.
 * Return: the mapping (vunmap() it), or NULL.
 */
void *sim_gpadl_map(const struct sim_gpadl *g)
{
	struct page **map;
	void *va;
	u32 i;

	map = kvcalloc(g->npages, sizeof(*map), GFP_KERNEL);
	if (!map)
		return NULL;
	for (i = 0; i < g->npages; i++)
		map[i] = pfn_to_page(g->pfns[i]);
	va = vmap(map, g->npages, VM_MAP, PAGE_KERNEL);
	kvfree(map);
	return va;
}

/**
 * sim_gpadl_rescind() - the host drops every GPADL of a rescinded channel
 * @relid: the channel; its open state was torn down already
 *
 * A GPADL still being created is answered with a failure first
 * (vmbus-sim.rst, host behaviour
 * 9), so the guest's wait ends before the RESCIND arrives.  Complete ones
 * go silently: the guest sends no teardown for a rescinded channel.
 *
 * Context: under sim_lock, before the RESCIND is queued.
 */
void sim_gpadl_rescind(u32 relid)
{
	struct sim_gpadl *g, *tmp;

	lockdep_assert_held(&sim_lock);
	list_for_each_entry_safe(g, tmp, &sim_gpadls, node) {
		if (g->relid != relid)
			continue;
		if (g->have != g->npages)
			sim_gpadl_send_created(relid, g->handle, SIM_STATUS_FAIL);
		sim_gpadl_free(g);
	}
}

/**
 * sim_gpadl_destroy_all() - forget every GPADL, telling the guest nothing
 *
 * The connection ended (UNLOAD, reset, module exit); every open channel
 * was torn down first.
 *
 * Context: under sim_lock.
 */
void sim_gpadl_destroy_all(void)
{
	struct sim_gpadl *g, *tmp;

	lockdep_assert_held(&sim_lock);
	list_for_each_entry_safe(g, tmp, &sim_gpadls, node)
		sim_gpadl_free(g);
}
