// SPDX-License-Identifier: GPL-2.0
/*
 * A record of the channel messages the guest posted and received, for
 * debugfs: one line per message, "<seq> <type> <size> <crc32>", the last
 * VMBUS_MSGLOG_SIZE of them.  The simulated host keeps the same record of
 * its side, so a test can prove that every message arrived, intact and in
 * order, by comparing the two.
 */
#include <linux/crc32.h>
#include <linux/debugfs.h>
#include <linux/fs.h>
#include <linux/hyperv.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/vmalloc.h>

#include "hyperv_vmbus.h"

enum { VMBUS_MSGLOG_SIZE = 8192 };

struct vmbus_msglog_entry {
	u32 type;
	u32 size;
	u32 crc;
};

struct vmbus_msglog {
	spinlock_t lock;	/* protects everything below */
	u64 count;		/* messages logged since the last clear */
	struct vmbus_msglog_entry ent[VMBUS_MSGLOG_SIZE];
};

struct vmbus_msglog *vmbus_msglog_in, *vmbus_msglog_out;

struct vmbus_msglog *vmbus_msglog_alloc(void)
{
	struct vmbus_msglog *log = vzalloc(sizeof(*log));

	if (log)
		spin_lock_init(&log->lock);
	return log;
}

void vmbus_msglog_free(struct vmbus_msglog *log)
{
	vfree(log);
}

/**
 * vmbus_msglog_add() - record one message
 * @log: the log
 * @payload: the message, starting with its vmbus_channel_message_header
 * @size: its length in bytes
 *
 * Context: any; takes a spinlock with interrupts disabled.
 */
void vmbus_msglog_add(struct vmbus_msglog *log, const void *payload, u32 size)
{
	const struct vmbus_channel_message_header *hdr = payload;
	struct vmbus_msglog_entry e = {
		.type = size >= sizeof(*hdr) ? hdr->msgtype : 0,
		.size = size,
		.crc = crc32_le(0, payload, size),
	};
	unsigned long flags;

	spin_lock_irqsave(&log->lock, flags);
	log->ent[log->count % VMBUS_MSGLOG_SIZE] = e;
	log->count++;
	spin_unlock_irqrestore(&log->lock, flags);
}

/* The seq_file position is the message's sequence number minus one. */
static void *msglog_start(struct seq_file *m, loff_t *pos)
	__acquires(&log->lock)
{
	struct vmbus_msglog *log = m->private;
	u64 first;

	spin_lock_irq(&log->lock);
	first = log->count > VMBUS_MSGLOG_SIZE ?
		log->count - VMBUS_MSGLOG_SIZE : 0;
	if (*pos < first)
		*pos = first;
	return *pos < log->count ? pos : NULL;
}

static void *msglog_next(struct seq_file *m, void *v, loff_t *pos)
{
	struct vmbus_msglog *log = m->private;

	++*pos;
	return *pos < log->count ? pos : NULL;
}

static void msglog_stop(struct seq_file *m, void *v)
	__releases(&log->lock)
{
	struct vmbus_msglog *log = m->private;

	spin_unlock_irq(&log->lock);
}

static int msglog_show(struct seq_file *m, void *v)
{
	struct vmbus_msglog *log = m->private;
	u64 seq = *(loff_t *)v;
	const struct vmbus_msglog_entry *e = &log->ent[seq % VMBUS_MSGLOG_SIZE];

	seq_printf(m, "%llu %u %u %08x\n", seq + 1, e->type, e->size, e->crc);
	return 0;
}

static const struct seq_operations msglog_sops = {
	.start	= msglog_start,
	.next	= msglog_next,
	.stop	= msglog_stop,
	.show	= msglog_show,
};

static int msglog_open(struct inode *inode, struct file *file)
{
	int ret = seq_open(file, &msglog_sops);

	if (!ret)
		((struct seq_file *)file->private_data)->private =
			inode->i_private;
	return ret;
}

/* Any write clears the log. */
static ssize_t msglog_write(struct file *file, const char __user *buf,
			    size_t len, loff_t *ppos)
{
	struct vmbus_msglog *log = file_inode(file)->i_private;

	spin_lock_irq(&log->lock);
	log->count = 0;
	spin_unlock_irq(&log->lock);
	return len;
}

static const struct file_operations msglog_fops = {
	.owner		= THIS_MODULE,
	.open		= msglog_open,
	.read		= seq_read,
	.llseek		= seq_lseek,
	.write		= msglog_write,
	.release	= seq_release,
};

void vmbus_msglog_debugfs(struct vmbus_msglog *log, const char *name,
			  struct dentry *dir)
{
	debugfs_create_file(name, 0600, dir, log, &msglog_fops);
}
