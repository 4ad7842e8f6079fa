// SPDX-License-Identifier: GPL-2.0
/*
 * Hostile offers: the host sends OFFERCHANNEL messages the guest must
 * refuse (vmbus-core.rst, "Refused offers").  Written to
 * /sys/kernel/debug/vmbus_sim/hostile_offer, one kind a line:
 *
 *   dup <relid>     the class and instance of the channel at <relid>,
 *                   at a fresh relid (a duplicate instance)
 *   orphan_sub      a sub-channel (index 1) of an instance never offered
 *   bad_monitor     monitor_allocated with monitor id 128
 *   relid0          relid 0
 *   relid_high      relid 4096
 *   reuse <relid>   a new instance at the live relid <relid>
 *
 * A fresh relid is taken from the top of the range, where the device
 * table (sim_dev.c, lowest free relid first) does not reach in tests, and
 * is remembered until the guest's RELID_RELEASED for it
 * (sim_hostile_released()).  Such a RELID_RELEASED is expected and
 * counted (hostile_released), not a guest error; one for any other relid
 * the host never gave out still is.  Reading the file shows the injected
 * count per kind.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/atomic.h>
#include <linux/bits.h>
#include <linux/bitmap.h>
#include <linux/debugfs.h>
#include <linux/fs.h>
#include <linux/mutex.h>
#include <linux/random.h>
#include <linux/seq_file.h>
#include <linux/string.h>
#include <linux/uaccess.h>

#include "sim.h"

enum sim_hostile_kind {
	SIM_HOSTILE_DUP,
	SIM_HOSTILE_ORPHAN_SUB,
	SIM_HOSTILE_BAD_MONITOR,
	SIM_HOSTILE_RELID0,
	SIM_HOSTILE_RELID_HIGH,
	SIM_HOSTILE_REUSE,
	SIM_HOSTILE_KINDS
};

static const char * const sim_hostile_names[SIM_HOSTILE_KINDS] = {
	[SIM_HOSTILE_DUP]		= "dup",
	[SIM_HOSTILE_ORPHAN_SUB]	= "orphan_sub",
	[SIM_HOSTILE_BAD_MONITOR]	= "bad_monitor",
	[SIM_HOSTILE_RELID0]		= "relid0",
	[SIM_HOSTILE_RELID_HIGH]	= "relid_high",
	[SIM_HOSTILE_REUSE]		= "reuse",
};

/* A relid above every one the guest can index (vmbus-core.rst). */
enum { SIM_HOSTILE_RELID_HIGH_VALUE = 4096, SIM_HOSTILE_MONITOR = 128 };

static atomic64_t sim_hostile_count[SIM_HOSTILE_KINDS];
/* Injected fresh relids the guest has not released yet; under sim_lock. */
static DECLARE_BITMAP(sim_hostile_relids, SIM_MAX_RELID + 1);

/* The highest relid with no record and no injected offer, or 0. */
static u32 sim_hostile_fresh_relid(void)
{
	u32 relid;

	lockdep_assert_held(&sim_lock);
	for (relid = SIM_MAX_RELID; relid > 0; relid--)
		if (!sim_chan_get(relid) && !test_bit(relid, sim_hostile_relids))
			return relid;
	return 0;
}

/**
 * sim_hostile_released() - take the guest's RELID_RELEASED for a relid
 *	the host has no record of
 * @relid: the relid released
 *
 * Context: under sim_lock (sim_proto.c's RELID_RELEASED handler).
 * Return: true if @relid was an injected fresh relid (now free again).
 */
bool sim_hostile_released(u32 relid)
{
	lockdep_assert_held(&sim_lock);
	if (relid > SIM_MAX_RELID || !test_and_clear_bit(relid, sim_hostile_relids))
		return false;
	sim_stat_inc(SIM_STAT_HOSTILE_RELEASED);
	return true;
}

static int sim_hostile_inject(enum sim_hostile_kind kind, u32 arg)
{
	struct vmbus_channel_offer_channel msg = {
		.header.msgtype = CHANNELMSG_OFFERCHANNEL,
	};
	struct sim_chan *ch;
	bool fresh = false;
	int ret;

	guid_gen(&msg.offer.if_type);
	guid_gen(&msg.offer.if_instance);
	mutex_lock(&sim_lock);
	switch (kind) {
	case SIM_HOSTILE_DUP:
		ch = arg <= SIM_MAX_RELID ? sim_chan_get(arg) : NULL;
		if (!ch || ch->sub_index) {
			ret = -ENOENT;
			goto out;
		}
		msg.offer.if_type = ch->dev->class_id;
		msg.offer.if_instance = ch->dev->instance;
		fresh = true;
		break;
	case SIM_HOSTILE_ORPHAN_SUB:
		msg.offer.sub_channel_index = 1;
		fresh = true;
		break;
	case SIM_HOSTILE_BAD_MONITOR:
		msg.monitor_allocated = 1;
		msg.monitorid = SIM_HOSTILE_MONITOR;
		fresh = true;
		break;
	case SIM_HOSTILE_RELID0:
		break;
	case SIM_HOSTILE_RELID_HIGH:
		msg.child_relid = SIM_HOSTILE_RELID_HIGH_VALUE;
		break;
	case SIM_HOSTILE_REUSE:
		ch = arg <= SIM_MAX_RELID ? sim_chan_get(arg) : NULL;
		if (!ch) {
			ret = -ENOENT;
			goto out;
		}
		msg.child_relid = arg;
		break;
	default:
		ret = -EINVAL;
		goto out;
	}
	if (fresh) {
		msg.child_relid = sim_hostile_fresh_relid();
		if (!msg.child_relid) {
			ret = -ENOSPC;
			goto out;
		}
	}
	msg.connection_id = msg.child_relid;
	ret = sim_msg_send(&msg, sizeof(msg));
	if (ret)
		goto out;
	/* Before the guest can answer: its RELID_RELEASED takes sim_lock. */
	if (fresh)
		set_bit(msg.child_relid, sim_hostile_relids);
	sim_stat_inc(SIM_STAT_HOSTILE_OFFERS);
	if (fresh)
		sim_stat_inc(SIM_STAT_HOSTILE_RELEASABLE);
	pr_info("hostile offer %s at relid %u\n", sim_hostile_names[kind],
		msg.child_relid);
out:
	mutex_unlock(&sim_lock);
	return ret;
}

static ssize_t sim_hostile_write(struct file *file, const char __user *ubuf,
				 size_t count, loff_t *ppos)
{
	const struct sim_hostile_kinds *k = file_inode(file)->i_private;
	char buf[64], *p, *word;
	unsigned int kind;
	u32 arg = 0;
	int ret;

	if (count >= sizeof(buf))
		return -EINVAL;
	if (copy_from_user(buf, ubuf, count))
		return -EFAULT;
	buf[count] = '\0';
	p = strim(buf);
	word = strsep(&p, " ");
	for (kind = 0; kind < k->n; kind++)
		if (!strcmp(word, k->names[kind]))
			break;
	if (kind == k->n)
		return -EINVAL;
	if (k->arg_mask & BIT(kind)) {
		if (!p || kstrtou32(skip_spaces(p), 10, &arg))
			return -EINVAL;
	} else if (p && *skip_spaces(p)) {
		return -EINVAL;
	}
	ret = k->inject(kind, arg);
	if (ret)
		return ret;
	atomic64_inc(&k->counts[kind]);
	return count;
}

static int sim_hostile_show(struct seq_file *m, void *v)
{
	const struct sim_hostile_kinds *k = m->private;
	unsigned int kind;

	for (kind = 0; kind < k->n; kind++)
		seq_printf(m, "%s %lld\n", k->names[kind],
			   atomic64_read(&k->counts[kind]));
	return 0;
}

static int sim_hostile_open(struct inode *inode, struct file *file)
{
	return single_open(file, sim_hostile_show, inode->i_private);
}

static const struct file_operations sim_hostile_fops = {
	.owner		= THIS_MODULE,
	.open		= sim_hostile_open,
	.read		= seq_read,
	.write		= sim_hostile_write,
	.llseek		= seq_lseek,
	.release	= single_release,
};

/**
 * sim_hostile_file() - create a control file that injects one kind a line
 * @dir: the directory
 * @name: the file's name
 * @k: its kinds; lives as long as the module
 *
 * A write is "<kind>" or, for a kind in @k->arg_mask, "<kind> <decimal>";
 * anything else is -EINVAL.  @k->inject's error is the write's; on success
 * the kind's count goes up.  A read shows "<kind> <count>" per kind.
 *
 * Context: module init, may sleep.
 */
void sim_hostile_file(struct dentry *dir, const char *name,
		      const struct sim_hostile_kinds *k)
{
	debugfs_create_file(name, 0644, dir, (void *)k, &sim_hostile_fops);
}

static int sim_hostile_offer_inject(unsigned int kind, u32 arg)
{
	return sim_hostile_inject(kind, arg);
}

static const struct sim_hostile_kinds sim_hostile_offer_kinds = {
	.names		= sim_hostile_names,
	.arg_mask	= BIT(SIM_HOSTILE_DUP) | BIT(SIM_HOSTILE_REUSE),
	.counts		= sim_hostile_count,
	.n		= SIM_HOSTILE_KINDS,
	.inject		= sim_hostile_offer_inject,
};

/**
 * sim_hostile_debugfs_init() - create hostile_offer
 * @dir: /sys/kernel/debug/vmbus_sim/
 *
 * Context: module init, may sleep.
 */
void sim_hostile_debugfs_init(struct dentry *dir)
{
	sim_hostile_file(dir, "hostile_offer", &sim_hostile_offer_kinds);
}
