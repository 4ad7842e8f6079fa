// SPDX-License-Identifier: GPL-2.0
/*
 * vmbus_sim: the device table and relid allocation (vmbus-sim.rst, host
 * behaviour 7).
 *
 * Every channel the host knows has a record, struct sim_chan, in a table
 * indexed by relid; a relid is busy exactly while it has a record.  A
 * record lives from the device's addition (or re-offer) until the guest no
 * longer holds the relid: at once if the guest was never offered it, else
 * at the guest's RELID_RELEASED after a rescind, or when the connection
 * ends.  So a relid is never given out again before its RELID_RELEASED.
 * New records get the lowest free relid, from 1 to SIM_MAX_RELID.
 *
 * Devices (struct sim_device) group a primary channel and its
 * sub-channels.  This file only keeps the data consistent; what is offered
 * or rescinded, and when, is decided by sim_proto.c.
 *
 * The connection ids of the channels' offers are kept here as well: relid
 * r is offered with connection id base + r, the base being the current
 * connection's (sim_resume.c picks it).
 *
 * Everything here runs in process context under sim_lock, but for the
 * lockless reads of the connection id base.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/list.h>
#include <linux/lockdep.h>
#include <linux/overflow.h>
#include <linux/random.h>
#include <linux/slab.h>

#include "sim.h"

/**
 * struct sim_dev_table - what the host knows
 * @chans: the channel records by relid; index 0 is never used
 * @devs: every device object, in the table or not
 * @conn_id_base: the connection id of relid 0 in this connection; written
 *	under sim_lock before any offer, read locklessly by signal_event and
 *	the monitor scanner
 */
struct sim_dev_table {
	struct sim_chan *chans[SIM_MAX_RELID + 1];
	struct list_head devs;
	u32 conn_id_base;
};

static struct sim_dev_table sim_devs = {
	.devs = LIST_HEAD_INIT(sim_devs.devs),
	.conn_id_base = SIM_CHAN_CONN_ID_BASE,
};

/* Lowest free relid, or 0 if there is none. */
static u32 sim_relid_alloc(void)
{
	u32 relid;

	for (relid = 1; relid <= SIM_MAX_RELID; relid++)
		if (!sim_devs.chans[relid])
			return relid;
	return 0;
}

/**
 * sim_dev_free_relids() - how many channels can still be added
 *
 * Context: under sim_lock.
 * Return: the number of relids without a record.
 */
unsigned int sim_dev_free_relids(void)
{
	unsigned int relid, n = 0;

	lockdep_assert_held(&sim_lock);
	for (relid = 1; relid <= SIM_MAX_RELID; relid++)
		n += !sim_devs.chans[relid];
	return n;
}

/*
 * An instance is taken by a device in the table and by one that will come
 * back (a re-offer is pending).  A rescinded device that only waits for
 * RELID_RELEASED does not keep its instance: the guest ignores rescinded
 * channels when it looks for a primary or a duplicate.
 */
static bool sim_dev_instance_taken(const guid_t *instance)
{
	struct sim_device *dev;

	list_for_each_entry(dev, &sim_devs.devs, node)
		if ((dev->in_table || dev->reoffer) &&
		    guid_equal(&dev->instance, instance))
			return true;
	return false;
}

static int sim_chan_alloc(struct sim_device *dev, u16 sub_index)
{
	struct sim_chan *ch;
	u32 relid;

	relid = sim_relid_alloc();
	if (!relid)
		return -ENOSPC;
	ch = kzalloc(sizeof(*ch), GFP_KERNEL);
	if (!ch)
		return -ENOMEM;
	ch->dev = dev;
	ch->relid = relid;
	ch->sub_index = sub_index;
	ch->state = SIM_CHAN_OFFERED;
	sim_devs.chans[relid] = ch;
	dev->chans[sub_index] = ch;
	dev->nr_chans++;
	return 0;
}

/**
 * sim_chan_free() - remove a record; its relid becomes free
 * @ch: the record
 *
 * The device stays, even with no record left.
 *
 * Context: under sim_lock.
 */
void sim_chan_free(struct sim_chan *ch)
{
	struct sim_device *dev = ch->dev;

	lockdep_assert_held(&sim_lock);
	sim_devs.chans[ch->relid] = NULL;
	dev->chans[ch->sub_index] = NULL;
	dev->nr_chans--;
	kfree(ch);
}

/* Records for the primary and every sub-channel, all or none. */
static int sim_dev_chans_alloc(struct sim_device *dev)
{
	unsigned int i;
	int ret;

	if (sim_dev_free_relids() < dev->nsub + 1U)
		return -ENOSPC;
	for (i = 0; i <= dev->nsub; i++) {
		ret = sim_chan_alloc(dev, i);
		if (ret)
			goto err_free_chans;
	}
	dev->in_table = true;
	return 0;

err_free_chans:
	while (i--)
		sim_chan_free(dev->chans[i]);
	return ret;
}

/**
 * sim_dev_add() - add a device to the table
 * @class_id: its class (interface type) GUID
 * @instance: its instance GUID, not taken by another device
 * @nsub: how many sub-channels it has
 * @devp: the new device, for the caller to offer
 *
 * The primary gets the lowest free relid and each sub-channel, in order,
 * the lowest one left.
 *
 * Context: process context, under sim_lock.
 * Return: 0; -EEXIST if @instance is taken; -ENOSPC if fewer than
 * @nsub + 1 relids are free; -ENOMEM.
 */
int sim_dev_add(const guid_t *class_id, const guid_t *instance, u16 nsub,
		struct sim_device **devp)
{
	struct sim_device *dev;
	int ret;

	lockdep_assert_held(&sim_lock);
	if (sim_dev_instance_taken(instance))
		return -EEXIST;
	dev = kzalloc(struct_size(dev, chans, nsub + 1), GFP_KERNEL);
	if (!dev)
		return -ENOMEM;
	guid_copy(&dev->class_id, class_id);
	guid_copy(&dev->instance, instance);
	dev->nsub = nsub;
	ret = sim_dev_chans_alloc(dev);
	if (ret) {
		kfree(dev);
		return ret;
	}
	list_add_tail(&dev->node, &sim_devs.devs);
	*devp = dev;
	return 0;
}

/**
 * sim_dev_readd() - put a rescinded device back into the table
 * @dev: a device out of the table with no record left
 *
 * New records for all its channels, at the lowest free relids; the pending
 * re-offer is done.
 *
 * Context: under sim_lock.
 * Return: 0; -ENOSPC; -ENOMEM.
 */
int sim_dev_readd(struct sim_device *dev)
{
	lockdep_assert_held(&sim_lock);
	if (WARN_ON_ONCE(dev->in_table || dev->nr_chans))
		return -EBUSY;
	dev->reoffer = false;
	return sim_dev_chans_alloc(dev);
}

/**
 * sim_dev_readd_sub() - a new record for one sub-channel of a device
 * @dev: a device in the table
 * @sub_index: a sub-channel of it that has no record
 *
 * Context: under sim_lock.
 * Return: 0; -ENOSPC; -ENOMEM.
 */
int sim_dev_readd_sub(struct sim_device *dev, u16 sub_index)
{
	lockdep_assert_held(&sim_lock);
	if (WARN_ON_ONCE(!dev->in_table || sub_index > dev->nsub ||
			 dev->chans[sub_index]))
		return -EBUSY;
	return sim_chan_alloc(dev, sub_index);
}

/* Told when an hv_sock device is freed (sim_hvsock.c). */
static void (*sim_dev_gone_fn)(const struct sim_device *dev);

/**
 * sim_dev_set_gone() - who is told that an hv_sock device is freed
 * @fn: called under sim_lock with the device about to be freed
 *
 * Context: module init, before any device exists.
 */
void sim_dev_set_gone(void (*fn)(const struct sim_device *dev))
{
	sim_dev_gone_fn = fn;
}

/**
 * sim_dev_free() - free a device that has no record left
 * @dev: the device
 *
 * Context: under sim_lock.
 */
void sim_dev_free(struct sim_device *dev)
{
	lockdep_assert_held(&sim_lock);
	WARN_ON_ONCE(dev->nr_chans);
	if (dev->hvsock && sim_dev_gone_fn)
		sim_dev_gone_fn(dev);
	list_del(&dev->node);
	kfree(dev);
}

/**
 * sim_dev_destroy_all() - free every record and device, no questions asked
 *
 * For module exit: no guest is attached and nothing else runs.
 *
 * Context: under sim_lock.
 */
void sim_dev_destroy_all(void)
{
	struct sim_device *dev, *tmp;
	u32 relid;

	lockdep_assert_held(&sim_lock);
	for (relid = 1; relid <= SIM_MAX_RELID; relid++)
		if (sim_devs.chans[relid])
			sim_chan_free(sim_devs.chans[relid]);
	list_for_each_entry_safe(dev, tmp, &sim_devs.devs, node)
		sim_dev_free(dev);
}

/**
 * sim_chan_get() - the record of a relid
 * @relid: any value, validated here
 *
 * Context: under sim_lock, which keeps the record alive.
 * Return: the record, or NULL if @relid has none.
 */
struct sim_chan *sim_chan_get(u32 relid)
{
	lockdep_assert_held(&sim_lock);
	if (!relid || relid > SIM_MAX_RELID)
		return NULL;
	return sim_devs.chans[relid];
}

static bool sim_dev_held(const struct sim_device *dev)
{
	return dev->in_table && dev->chans[0]->held;
}

/**
 * sim_dev_pick_held() - a random device whose primary the guest holds
 *
 * Context: under sim_lock.
 * Return: a device in the table whose primary was offered to the guest in
 * this connection, or NULL if there is none.
 */
struct sim_device *sim_dev_pick_held(void)
{
	struct sim_device *dev;
	unsigned int n = 0;

	lockdep_assert_held(&sim_lock);
	list_for_each_entry(dev, &sim_devs.devs, node)
		n += sim_dev_held(dev);
	if (!n)
		return NULL;
	n = get_random_u32_below(n);
	list_for_each_entry(dev, &sim_devs.devs, node)
		if (sim_dev_held(dev) && !n--)
			return dev;
	return NULL;
}

/**
 * sim_dev_list() - every device object
 *
 * Context: under sim_lock, which keeps the list stable.
 * Return: the list head of &struct sim_device.node entries.
 */
struct list_head *sim_dev_list(void)
{
	lockdep_assert_held(&sim_lock);
	return &sim_devs.devs;
}

/**
 * sim_dev_relids() - the relids that have a record
 * @relids: room for SIM_MAX_RELID entries; filled in ascending order
 *
 * Context: under sim_lock.
 * Return: how many there are.
 */
unsigned int sim_dev_relids(u32 *relids)
{
	unsigned int n = 0;
	u32 relid;

	lockdep_assert_held(&sim_lock);
	for (relid = 1; relid <= SIM_MAX_RELID; relid++)
		if (sim_devs.chans[relid])
			relids[n++] = relid;
	return n;
}

/**
 * sim_dev_relids_move() - give records new relids
 * @from: relids that have a record, each once
 * @to: the new relid of the record at @from[i]; a permutation of @from
 * @n: entries in both
 *
 * The set of busy relids stays the same; only which record owns which
 * changes.  Nothing else may know the records by relid: no channel open,
 * no GPADL, no monitor id, no offer the guest holds.
 *
 * Context: under sim_lock.
 */
void sim_dev_relids_move(const u32 *from, const u32 *to, unsigned int n)
{
	struct sim_device *dev;
	struct sim_chan *ch;
	unsigned int i;

	lockdep_assert_held(&sim_lock);
	/* Every record first learns its new relid, then leaves the table ... */
	for (i = 0; i < n; i++) {
		ch = sim_devs.chans[from[i]];
		WARN_ON_ONCE(ch->held);
		ch->relid = to[i];
		sim_devs.chans[from[i]] = NULL;
	}
	/* ... and comes back through its device: @to overlaps @from. */
	list_for_each_entry(dev, &sim_devs.devs, node) {
		for (i = 0; i <= dev->nsub; i++) {
			ch = dev->chans[i];
			if (ch)
				sim_devs.chans[ch->relid] = ch;
		}
	}
}

/**
 * sim_dev_conn_id_base_set() - the connection ids of a new connection
 * @base: the connection id of relid 0 from now on
 *
 * Context: under sim_lock, before any offer of the connection.
 */
void sim_dev_conn_id_base_set(u32 base)
{
	lockdep_assert_held(&sim_lock);
	WRITE_ONCE(sim_devs.conn_id_base, base);
}

/**
 * sim_dev_chan_conn_id() - the connection id an offer of @relid names
 * @relid: 1..SIM_MAX_RELID
 *
 * Context: any.
 * Return: the current connection's base plus @relid.
 */
u32 sim_dev_chan_conn_id(u32 relid)
{
	return READ_ONCE(sim_devs.conn_id_base) + relid;
}

/**
 * sim_dev_chan_relid() - the relid a channel connection id names
 * @conn_id: what the guest signalled
 * @relid: the relid, 0..SIM_MAX_RELID, on success
 *
 * Only the mapping of the current connection; whether the guest holds the
 * relid is the caller's question.
 *
 * Context: any.
 * Return: true if @conn_id is base + a relid in range.
 */
bool sim_dev_chan_relid(u32 conn_id, u32 *relid)
{
	u32 base = READ_ONCE(sim_devs.conn_id_base);

	if (conn_id < base || conn_id - base > SIM_MAX_RELID)
		return false;
	*relid = conn_id - base;
	return true;
}
