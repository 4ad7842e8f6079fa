// SPDX-License-Identifier: GPL-2.0
/*
 * vmbus_sim: monitor pages (vmbus-sim.rst, host behaviour 14).
 *
 * A guest that names two monitor pages in INITIATE_CONTACT may get offers
 * with monitor_allocated set and a monitor id: trigger group id / 32, bit
 * id % 32.  To signal such a channel the guest (or a userspace driver that
 * mapped the page, such as uio_hv_generic's clients) sets that bit in the
 * pending word of the group in the second page, the child-to-parent page,
 * instead of calling HvSignalEvent.  The host scans the enabled groups,
 * takes the pending bits with an atomic exchange and treats each as a
 * signal on the channel that owns the monitor id.
 *
 * The host writes, for each monitor id it hands out, the latency and the
 * connection id into the page's parameter block and enables the group in
 * trigger_state; nothing it reads back from the page but the pending
 * words is used.  Which channel a bit belongs to comes from the host's own
 * table, never from the page.
 *
 * Modes (sim_modes.monitor):
 *  0  no monitor ids: every offer has monitor_allocated 0 (the default)
 *  1  immediate scan: the scanner looks every SIM_MON_IMMEDIATE_US
 *  2  latency scan: it looks once per sim_modes.monitor_latency (100 ns
 *     units), the latency it also writes into the page
 *
 * Locking: sim_mon.lock (a spinlock) covers the mapped pages and the owner
 * table; the scanner takes it around each scan, sim_lock holders around
 * each change.  The scanner is a kthread that sleeps while no monitor id
 * is handed out.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/atomic.h>
#include <linux/delay.h>
#include <linux/err.h>
#include <linux/kthread.h>
#include <linux/mm.h>
#include <linux/spinlock.h>
#include <linux/wait.h>
#include <linux/hyperv/vmbus_monitor.h>

#include "sim.h"

enum {
	SIM_MON_GROUPS		= 4,
	SIM_MON_BITS		= 32,
	SIM_MON_IDS		= SIM_MON_GROUPS * SIM_MON_BITS,
	/* Scan period of the immediate mode. */
	SIM_MON_IMMEDIATE_US	= 50,
};

static_assert((int)SIM_MON_IDS <= (int)SIM_MONITOR_NONE);

/**
 * struct sim_mon_state - the host's view of the guest's monitor pages
 * @lock: see the top of this file
 * @pages: the two pages of the connection, mapped; NULL when none
 * @owner: relid of the channel each monitor id belongs to, 0 if free
 * @nr_owned: monitor ids handed out
 * @wq: the scanner waits here while @nr_owned is 0
 * @thread: the scanner
 */
struct sim_mon_state {
	spinlock_t lock;	/* the pages and the owner table */
	struct hv_monitor_page *pages[2];
	u32 owner[SIM_MON_IDS];
	unsigned int nr_owned;
	wait_queue_head_t wq;
	struct task_struct *thread;
};

static struct sim_mon_state sim_mon = {
	.lock = __SPIN_LOCK_UNLOCKED(sim_mon.lock),
	.wq = __WAIT_QUEUE_HEAD_INITIALIZER(sim_mon.wq),
};

/* A guest page the host may keep: ordinary RAM, pinned by a reference. */
static struct hv_monitor_page *sim_mon_map(u64 gpa)
{
	u64 pfn = gpa >> PAGE_SHIFT;
	struct page *page;

	if (!PAGE_ALIGNED(gpa) || pfn != (unsigned long)pfn ||
	    !pfn_valid(pfn))
		return NULL;
	page = pfn_to_page(pfn);
	if (PageReserved(page) || PageHighMem(page) || !get_page_unless_zero(page))
		return NULL;
	return page_address(page);
}

static void sim_mon_unmap(struct hv_monitor_page *p)
{
	if (p)
		put_page(virt_to_page(p));
}

/**
 * sim_monitor_connect() - take the monitor pages of a new connection
 * @gpa1: INITIATE_CONTACT's monitor_page1 (parent to child)
 * @gpa2: its monitor_page2 (child to parent), 0 for none
 *
 * Return: 0, also when the guest gave no pages (its offers then carry no
 * monitor id); -EINVAL (a guest error) for pages the host cannot use.
 *
 * Context: under sim_lock, with no connection (sim_monitor_disconnect()
 * ran).
 */
int sim_monitor_connect(u64 gpa1, u64 gpa2)
{
	struct hv_monitor_page *p1, *p2;

	lockdep_assert_held(&sim_lock);
	if (!gpa1 && !gpa2)
		return 0;
	p1 = sim_mon_map(gpa1);
	p2 = sim_mon_map(gpa2);
	if (!p1 || !p2 || p1 == p2) {
		sim_mon_unmap(p1);
		sim_mon_unmap(p2);
		sim_guest_error("INITIATE_CONTACT: unusable monitor pages %#llx %#llx\n",
				gpa1, gpa2);
		return -EINVAL;
	}
	spin_lock(&sim_mon.lock);
	sim_mon.pages[0] = p1;
	sim_mon.pages[1] = p2;
	spin_unlock(&sim_mon.lock);
	return 0;
}

/**
 * sim_monitor_disconnect() - forget the pages and every monitor id
 *
 * Context: under sim_lock (UNLOAD, a reset, module exit).
 */
void sim_monitor_disconnect(void)
{
	struct hv_monitor_page *p1, *p2;

	lockdep_assert_held(&sim_lock);
	spin_lock(&sim_mon.lock);
	p1 = sim_mon.pages[0];
	p2 = sim_mon.pages[1];
	sim_mon.pages[0] = NULL;
	sim_mon.pages[1] = NULL;
	memset(sim_mon.owner, 0, sizeof(sim_mon.owner));
	sim_mon.nr_owned = 0;
	spin_unlock(&sim_mon.lock);
	sim_mon_unmap(p1);
	sim_mon_unmap(p2);
}

/* The latency the host writes into the page, in 100 ns units. */
static u16 sim_mon_latency(void)
{
	return READ_ONCE(sim_modes.monitor) == SIM_MONITOR_LATENCY ?
	       READ_ONCE(sim_modes.monitor_latency) : 1;
}

/**
 * sim_monitor_assign() - a monitor id for the offer of @relid
 * @relid: the channel about to be offered
 *
 * Hands out the lowest free id when the mode asks for monitor ids and the
 * guest gave pages, and fills in its latency and connection id.
 *
 * Return: the id, or SIM_MONITOR_NONE.
 *
 * Context: under sim_lock.
 */
u8 sim_monitor_assign(u32 relid)
{
	struct hv_monitor_page *p;
	unsigned int id, grp, bit;

	lockdep_assert_held(&sim_lock);
	if (!READ_ONCE(sim_modes.monitor))
		return SIM_MONITOR_NONE;
	spin_lock(&sim_mon.lock);
	p = sim_mon.pages[1];
	for (id = 0; p && id < SIM_MON_IDS; id++)
		if (!sim_mon.owner[id])
			break;
	if (!p || id == SIM_MON_IDS) {
		spin_unlock(&sim_mon.lock);
		return SIM_MONITOR_NONE;
	}
	grp = id / SIM_MON_BITS;
	bit = id % SIM_MON_BITS;
	sim_mon.owner[id] = relid;
	sim_mon.nr_owned++;
	WRITE_ONCE(p->latency[grp][bit], sim_mon_latency());
	WRITE_ONCE(p->parameter[grp][bit].connectionid.asu32,
		   sim_dev_chan_conn_id(relid));
	WRITE_ONCE(p->parameter[grp][bit].flagnumber, 0);
	/* A stale bit from an earlier owner is not a signal for this one. */
	clear_bit(bit, (unsigned long *)&p->trigger_group[grp].as_uint64);
	WRITE_ONCE(p->trigger_state.asu32,
		   READ_ONCE(p->trigger_state.asu32) | BIT(grp));
	spin_unlock(&sim_mon.lock);
	wake_up(&sim_mon.wq);
	return id;
}

/**
 * sim_monitor_release() - the guest no longer holds the offer of @relid
 * @relid: the channel
 *
 * Context: under sim_lock.
 */
void sim_monitor_release(u32 relid)
{
	unsigned int id;

	lockdep_assert_held(&sim_lock);
	spin_lock(&sim_mon.lock);
	for (id = 0; id < SIM_MON_IDS; id++) {
		if (sim_mon.owner[id] == relid) {
			sim_mon.owner[id] = 0;
			sim_mon.nr_owned--;
		}
	}
	spin_unlock(&sim_mon.lock);
}

/*
 * One scan of the child-to-parent page: take each enabled group's pending
 * bits at once (the guest sets them with locked operations) and signal
 * their channels.  A bit without an owner is a guest error.
 */
static void sim_mon_scan(void)
{
	struct hv_monitor_page *p;
	unsigned long pending;
	unsigned int grp, bit;
	u32 relid;

	spin_lock(&sim_mon.lock);
	p = sim_mon.pages[1];
	for (grp = 0; p && grp < SIM_MON_GROUPS; grp++) {
		if (!READ_ONCE(p->trigger_group[grp].pending))
			continue;
		pending = xchg(&p->trigger_group[grp].pending, 0);
		for_each_set_bit(bit, &pending, SIM_MON_BITS) {
			relid = sim_mon.owner[grp * SIM_MON_BITS + bit];
			if (!relid) {
				sim_guest_error("monitor bit %u of group %u set: no channel\n",
						bit, grp);
				continue;
			}
			sim_stat_inc(SIM_STAT_MONITOR_SIGNALS);
			sim_ring_signal(sim_dev_chan_conn_id(relid));
		}
	}
	spin_unlock(&sim_mon.lock);
	sim_stat_inc(SIM_STAT_MONITOR_SCANS);
}

static bool sim_mon_busy(void)
{
	return READ_ONCE(sim_mon.nr_owned) && READ_ONCE(sim_modes.monitor);
}

static int sim_mon_thread(void *unused)
{
	unsigned long us;

	while (!kthread_should_stop()) {
		wait_event_interruptible(sim_mon.wq,
					 sim_mon_busy() || kthread_should_stop());
		if (kthread_should_stop())
			break;
		sim_mon_scan();
		if (READ_ONCE(sim_modes.monitor) == SIM_MONITOR_LATENCY)
			us = max(1U, READ_ONCE(sim_modes.monitor_latency) / 10);
		else
			us = SIM_MON_IMMEDIATE_US;
		usleep_range(us, us + us / 4 + 1);
	}
	return 0;
}

/**
 * sim_monitor_init() - start the scanner
 *
 * Return: 0 or the error of kthread_run().
 */
int sim_monitor_init(void)
{
	struct task_struct *t = kthread_run(sim_mon_thread, NULL,
					    "vmbus_sim_mon");

	if (IS_ERR(t))
		return PTR_ERR(t);
	sim_mon.thread = t;
	return 0;
}

/**
 * sim_monitor_exit() - stop the scanner; the connection is gone
 */
void sim_monitor_exit(void)
{
	kthread_stop(sim_mon.thread);
}
