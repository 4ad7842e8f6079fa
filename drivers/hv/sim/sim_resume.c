// SPDX-License-Identifier: GPL-2.0
/*
 * vmbus_sim: what a reconnecting guest meets (vmbus-sim.rst, host behaviours
 * 3, 4, 8).
 *
 * A guest that unloads, kexecs or resumes from hibernation connects again
 * and asks for offers again.  A real host then offers the same devices
 * (same instance GUIDs), but not necessarily at the same relids, not with
 * the same connection ids, and not necessarily all of them; and a rescind
 * may still be on its way when the guest says UNLOAD.  The modes here make
 * the simulator do each of those on purpose:
 *
 *  resume_relids    1: at each accepted INITIATE_CONTACT that follows an
 *                   earlier connection, every record gets a new relid, a
 *                   random derangement of the relids in use
 *  resume_conn_ids  1: connection number n (0 for the first accepted
 *                   since the module loaded) offers relid r with
 *                   connection id 0x10000 + (n % 16) * 0x1000 + r
 *  reoffer_events   N: after each OFFERCHANNEL of a connection that
 *                   follows an earlier one, the new relid's event bit is
 *                   set N times on the contact CPU
 *  unload_rescind   relid: the next UNLOAD is preceded by a rescind of
 *                   that relid; the mode then goes back to 0
 *
 * and the control plane's `devices withhold <instance>`: the device leaves
 * the table silently at the next REQUEST_OFFERS instead of being offered.
 *
 * The relid permutation runs under sim_lock between the end of the last
 * connection and the first offer of the new one: no channel is open, no
 * GPADL exists, no monitor id and no connection id is handed out (the end
 * of the connection dropped them all), and no record is rescinded (those
 * went with the connection).  So the device table is the only thing keyed
 * by relid that has to follow; the records carry their relid with them.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/lockdep.h>
#include <linux/random.h>
#include <linux/slab.h>

#include "sim.h"

enum {
	/* resume_conn_ids 1: the connection ids move by this much ... */
	SIM_CONN_ID_STEP	= 0x1000,
	/* ... and repeat after this many connections. */
	SIM_CONN_ID_SPREAD	= 16,
	/* Shuffles tried for a derangement before a cyclic one is taken. */
	SIM_DERANGE_TRIES	= 64,
};

static_assert((int)SIM_MAX_RELID < (int)SIM_CONN_ID_STEP);

/**
 * struct sim_resume - the host's memory of earlier connections
 * @nr_conns: connections accepted since the module loaded; not zeroed by
 *	reset_stats
 * @reconnect: the current connection follows an earlier one
 *
 * Both under sim_lock.  The connection ids themselves are sim_dev.c's.
 */
struct sim_resume {
	u64 nr_conns;
	bool reconnect;
};

static struct sim_resume sim_rs;

/*
 * A uniformly random permutation of 0..n-1 (Fisher-Yates), redrawn until
 * it moves every index.  About e draws are needed on average; should
 * SIM_DERANGE_TRIES not suffice, Sattolo's variant, which always gives one
 * n-cycle, is taken instead.  n is at least 2.
 */
static void sim_derange(u32 *perm, u32 n)
{
	unsigned int tries;
	bool fixed;
	u32 i, j;

	for (tries = 0; tries <= SIM_DERANGE_TRIES; tries++) {
		for (i = 0; i < n; i++)
			perm[i] = i;
		for (i = n - 1; i > 0; i--) {
			j = tries < SIM_DERANGE_TRIES ?
			    get_random_u32_below(i + 1) :
			    get_random_u32_below(i);
			swap(perm[i], perm[j]);
		}
		fixed = false;
		for (i = 0; i < n && !fixed; i++)
			fixed = perm[i] == i;
		if (!fixed)
			return;
	}
}

/* Give every record a new relid; returns how many moved. */
static unsigned int sim_resume_permute(void)
{
	u32 *from, *to, *perm;
	unsigned int moved = 0;
	u32 i, n;

	from = kmalloc_array(SIM_MAX_RELID, sizeof(*from), GFP_KERNEL);
	to = kmalloc_array(SIM_MAX_RELID, sizeof(*to), GFP_KERNEL);
	perm = kmalloc_array(SIM_MAX_RELID, sizeof(*perm), GFP_KERNEL);
	if (!from || !to || !perm) {
		pr_err("resume_relids: no memory, relids stay where they are\n");
		goto out_free;
	}
	n = sim_dev_relids(from);
	if (n < 2)
		goto out_free;
	sim_derange(perm, n);
	for (i = 0; i < n; i++) {
		to[i] = from[perm[i]];
		moved += to[i] != from[i];
	}
	sim_dev_relids_move(from, to, n);
out_free:
	kfree(perm);
	kfree(to);
	kfree(from);
	return moved;
}

/**
 * sim_resume_connect() - a contact was accepted: a new connection begins
 *
 * Counts the connection, picks its connection id base (sim_dev.c keeps
 * it) and, in a connection that follows an earlier one with resume_relids
 * 1, moves every record to a new relid.  Called before the VERSION_RESPONSE is queued, so before
 * any offer of the connection.
 *
 * Context: under sim_lock, not connected before (the previous connection
 * has ended), may sleep.
 */
static void sim_resume_connect(void)
{
	u32 base = SIM_CHAN_CONN_ID_BASE;
	unsigned int moved;

	lockdep_assert_held(&sim_lock);
	sim_rs.reconnect = sim_rs.nr_conns > 0;
	if (READ_ONCE(sim_modes.resume_conn_ids))
		base += (sim_rs.nr_conns % SIM_CONN_ID_SPREAD) *
			SIM_CONN_ID_STEP;
	sim_dev_conn_id_base_set(base);
	sim_rs.nr_conns++;
	sim_stat_inc(SIM_STAT_CONNECTIONS);
	if (!sim_rs.reconnect || !READ_ONCE(sim_modes.resume_relids))
		return;
	moved = sim_resume_permute();
	sim_stat_add(SIM_STAT_RELIDS_MOVED, moved);
	pr_debug("resume_relids: %u relids moved\n", moved);
}

/**
 * sim_resume_offered() - @ch was just offered: the reoffer_events burst
 * @ch: the record, offered in this connection
 * @cpu: the contact CPU
 *
 * Sets the relid's event bit reoffer_events times, in a connection that
 * follows an earlier one: the guest meets them while it fixes up its
 * channels, or before it even saw the offer.
 *
 * Context: under sim_lock, may sleep.
 */
static void sim_resume_offered(struct sim_chan *ch, unsigned int cpu)
{
	u32 n = READ_ONCE(sim_modes.reoffer_events);

	lockdep_assert_held(&sim_lock);
	if (sim_rs.reconnect && n)
		sim_events_chan_fire(ch, cpu, n);
}

/**
 * sim_resume_withhold() - leave a device out of the next offers
 * @instance: the instance GUID of a device in the table
 *
 * Context: process context, may sleep; not under sim_lock.
 * Return: 0; -ENOENT if no device in the table has @instance.
 */
int sim_resume_withhold(const guid_t *instance)
{
	struct sim_device *dev;
	int ret = -ENOENT;

	mutex_lock(&sim_lock);
	list_for_each_entry(dev, sim_dev_list(), node) {
		if (dev->in_table && guid_equal(&dev->instance, instance)) {
			dev->withheld = true;
			ret = 0;
			break;
		}
	}
	mutex_unlock(&sim_lock);
	return ret;
}

/**
 * sim_resume_request_offers() - drop the withheld devices
 *
 * Called for REQUEST_OFFERS before anything is offered: each withheld
 * device leaves the table as a host that lost it would, with no message.
 * The guest holds none of its relids (nothing was offered yet in this
 * connection), so its records go at once.
 *
 * Context: under sim_lock.
 */
static void sim_resume_request_offers(void)
{
	struct sim_device *dev, *tmp;

	lockdep_assert_held(&sim_lock);
	/* Each rescind frees at most @dev itself, never the next entry. */
	list_for_each_entry_safe(dev, tmp, sim_dev_list(), node) {
		if (!dev->in_table || !dev->withheld)
			continue;
		pr_info("%pUl withheld: not offered, out of the table\n",
			&dev->instance);
		sim_stat_inc(SIM_STAT_DEVICES_WITHHELD);
		sim_proto_dev_rescind(dev, SIM_RESCIND);
	}
}

/**
 * sim_resume_unload() - the unload_rescind mode, at an UNLOAD
 *
 * Rescinds the relid the mode names, if it is offered, so its RESCIND is
 * queued ahead of the UNLOAD_RESPONSE (vmbus-sim.rst, host behaviour 4), and
 * sets the mode back
 * to 0 in any case.
 *
 * Context: under sim_lock, may sleep.
 */
static void sim_resume_unload(void)
{
	u32 relid = xchg(&sim_modes.unload_rescind, 0);

	lockdep_assert_held(&sim_lock);
	if (!relid)
		return;
	if (sim_proto_rescind_locked(relid, SIM_RESCIND))
		pr_info("unload_rescind: relid %u is not offered, nothing rescinded\n",
			relid);
	else
		pr_info("unload_rescind: relid %u rescinded ahead of the UNLOAD_RESPONSE\n",
			relid);
}

/**
 * sim_resume_init() - watch the protocol for the events above
 *
 * Context: module init, after sim_proto_init().
 */
void sim_resume_init(void)
{
	static const struct sim_proto_watcher watcher = {
		.connect = sim_resume_connect,
		.offered = sim_resume_offered,
		.request_offers = sim_resume_request_offers,
		.unload = sim_resume_unload,
	};

	sim_proto_watch(&watcher);
}
