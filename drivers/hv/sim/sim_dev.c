// SPDX-License-Identifier: GPL-2.0
/*
 * vmbus_sim: the device table and relid allocation (HOST.md 7).
 *
 * A relid is busy while a device in the table has it, or while the guest
 * holds it: from its offer until the guest's RELID_RELEASED, or until the
 * connection ends (UNLOAD, a new INITIATE_CONTACT).  New devices get the
 * lowest relid that is not busy, from 1 to SIM_MAX_RELID.
 *
 * Everything here runs in process context under sim_lock.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/bitmap.h>
#include <linux/list.h>
#include <linux/lockdep.h>
#include <linux/slab.h>

#include "sim.h"

/**
 * struct sim_dev_table - devices the host offers
 * @list: the devices, in relid order
 * @used: relids of devices in @list
 * @held: relids the guest was offered and has not released
 */
struct sim_dev_table {
	struct list_head list;
	DECLARE_BITMAP(used, SIM_MAX_RELID + 1);
	DECLARE_BITMAP(held, SIM_MAX_RELID + 1);
};

static struct sim_dev_table sim_devs = {
	.list = LIST_HEAD_INIT(sim_devs.list),
};

static bool sim_relid_busy(u32 relid)
{
	return test_bit(relid, sim_devs.used) || test_bit(relid, sim_devs.held);
}

/* Lowest free relid, or 0 if there is none. */
static u32 sim_relid_alloc(void)
{
	u32 relid;

	for (relid = 1; relid <= SIM_MAX_RELID; relid++)
		if (!sim_relid_busy(relid))
			return relid;
	return 0;
}

/**
 * sim_dev_free_relids() - how many devices can still be added
 *
 * Context: under sim_lock.
 * Return: the number of relids that are not busy.
 */
unsigned int sim_dev_free_relids(void)
{
	unsigned int relid, n = 0;

	lockdep_assert_held(&sim_lock);
	for (relid = 1; relid <= SIM_MAX_RELID; relid++)
		n += !sim_relid_busy(relid);
	return n;
}

static bool sim_dev_instance_known(const guid_t *instance)
{
	struct sim_device *dev;

	list_for_each_entry(dev, &sim_devs.list, node)
		if (guid_equal(&dev->instance, instance))
			return true;
	return false;
}

static void sim_dev_insert(struct sim_device *new)
{
	struct sim_device *dev;

	list_for_each_entry(dev, &sim_devs.list, node)
		if (dev->relid > new->relid)
			break;
	/* Before the first higher relid, or at the tail. */
	list_add_tail(&new->node, &dev->node);
	set_bit(new->relid, sim_devs.used);
}

/**
 * sim_dev_add() - add a device to the table
 * @class_id: its class (interface type) GUID
 * @instance: its instance GUID, unique in the table
 * @devp: the new device, for the caller to offer
 *
 * Context: process context, under sim_lock.
 * Return: 0; -EEXIST if @instance is in the table; -ENOSPC if no relid is
 * free; -ENOMEM.
 */
int sim_dev_add(const guid_t *class_id, const guid_t *instance,
		struct sim_device **devp)
{
	struct sim_device *dev;
	u32 relid;

	lockdep_assert_held(&sim_lock);
	if (sim_dev_instance_known(instance))
		return -EEXIST;
	relid = sim_relid_alloc();
	if (!relid)
		return -ENOSPC;
	dev = kzalloc(sizeof(*dev), GFP_KERNEL);
	if (!dev)
		return -ENOMEM;
	guid_copy(&dev->class_id, class_id);
	guid_copy(&dev->instance, instance);
	dev->relid = relid;
	sim_dev_insert(dev);
	*devp = dev;
	return 0;
}

/**
 * sim_dev_clear() - remove every device from the table
 *
 * Relids the guest holds stay busy until it releases them.
 *
 * Context: process context, under sim_lock.
 */
void sim_dev_clear(void)
{
	struct sim_device *dev, *tmp;

	lockdep_assert_held(&sim_lock);
	list_for_each_entry_safe(dev, tmp, &sim_devs.list, node) {
		list_del(&dev->node);
		clear_bit(dev->relid, sim_devs.used);
		kfree(dev);
	}
}

/**
 * sim_dev_hold() - the guest was offered @relid
 * @relid: 1..SIM_MAX_RELID
 *
 * Context: under sim_lock.
 */
void sim_dev_hold(u32 relid)
{
	lockdep_assert_held(&sim_lock);
	set_bit(relid, sim_devs.held);
}

/**
 * sim_dev_release() - the guest released @relid
 * @relid: any value the guest sent
 *
 * Context: under sim_lock.
 * Return: true if the guest held @relid; false otherwise (a guest error).
 */
bool sim_dev_release(u32 relid)
{
	lockdep_assert_held(&sim_lock);
	if (!relid || relid > SIM_MAX_RELID)
		return false;
	return test_and_clear_bit(relid, sim_devs.held);
}

/**
 * sim_dev_release_all() - the connection ended: the guest holds nothing
 *
 * Context: under sim_lock.
 */
void sim_dev_release_all(void)
{
	lockdep_assert_held(&sim_lock);
	bitmap_zero(sim_devs.held, SIM_MAX_RELID + 1);
}

/**
 * sim_dev_list() - the devices, in relid order
 *
 * Context: under sim_lock, which keeps the list stable.
 * Return: the list head of &struct sim_device.node entries.
 */
struct list_head *sim_dev_list(void)
{
	lockdep_assert_held(&sim_lock);
	return &sim_devs.list;
}
