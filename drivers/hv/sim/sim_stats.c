// SPDX-License-Identifier: GPL-2.0
/*
 * vmbus_sim: counters and message logs.
 *
 * Counters are atomic64_t, updated from any context without a lock; a
 * reset that races with updates may keep an update or lose it.
 *
 * Each direction keeps a log of its last SIM_LOG_LINES messages, one line
 * `<seq> <type> <size> <crc32>` per message (vmbus-sim.rst, "Message logs"), seq
 * counting from 1 since the last clear.  The caller of sim_msg_count() holds the
 * lock that orders the messages of its direction (the queue lock), so the
 * log order is the acceptance or delivery order.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/atomic.h>
#include <linux/crc32.h>
#include <linux/mm.h>
#include <linux/printk.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/string.h>

#include "sim.h"

static const char * const sim_stat_names[SIM_STAT_COUNT] = {
	[SIM_STAT_CONTACTS]		= "contacts",
	[SIM_STAT_RESETS]		= "resets",
	[SIM_STAT_UNLOADS]		= "unloads",
	[SIM_STAT_UNLOAD_RESPONSES]	= "unload_responses",
	[SIM_STAT_UNLOADS_ATOMIC]	= "unloads_atomic",
	[SIM_STAT_CONTACTS_REFUSED_STRICT] = "contacts_refused_strict",
	[SIM_STAT_POSTS]		= "posts",
	[SIM_STAT_POSTS_REFUSED_INJECTED] = "posts_refused_injected",
	[SIM_STAT_POSTS_REFUSED_FULL]	= "posts_refused_full",
	[SIM_STAT_POSTS_BAD_CONN_ID]	= "posts_bad_conn_id",
	[SIM_STAT_CONTACTS_NO_CONN_ID]	= "contacts_no_conn_id",
	[SIM_STAT_MSGS_IN]		= "msgs_in",
	[SIM_STAT_MSGS_OUT]		= "msgs_out",
	[SIM_STAT_MSG_PENDING_SET]	= "msg_pending_set",
	[SIM_STAT_EOMS]			= "eoms",
	[SIM_STAT_GUEST_ERRORS]		= "guest_errors",
	[SIM_STAT_EVENTS_SET]		= "events_set",
	[SIM_STAT_EVENTS_COALESCED]	= "events_coalesced",
	[SIM_STAT_EVENTS_OFF]		= "events_off",
	[SIM_STAT_RESCINDS]		= "rescinds",
	[SIM_STAT_RELIDS_RELEASED]	= "relids_released",
	[SIM_STAT_OFFERS]		= "offers",
	[SIM_STAT_BURSTS_DONE]		= "bursts_done",
	[SIM_STAT_CHURN_ADDS]		= "churn_adds",
	[SIM_STAT_CHURN_RESCINDS]	= "churn_rescinds",
	[SIM_STAT_CHURN_BUSY]		= "churn_busy",
	[SIM_STAT_LATE_ADDS]		= "late_adds",
	[SIM_STAT_LATE_RESCINDS]	= "late_rescinds",
	[SIM_STAT_SIGNALS]		= "signals",
	[SIM_STAT_MODIFYCHANNELS]	= "modifychannels",
	[SIM_STAT_PACKETS_IN]		= "packets_in",
	[SIM_STAT_PACKETS_OUT]		= "packets_out",
	[SIM_STAT_RING_SPURIOUS]	= "ring_spurious_signals",
	[SIM_STAT_RING_MISSED]		= "ring_missed_signals",
	[SIM_STAT_RING_ERRORS]		= "ring_errors",
	[SIM_STAT_MONITOR_SCANS]	= "monitor_scans",
	[SIM_STAT_MONITOR_SIGNALS]	= "monitor_signals",
	[SIM_STAT_CONNECTIONS]		= "connections",
	[SIM_STAT_RELIDS_MOVED]		= "relids_moved",
	[SIM_STAT_DEVICES_WITHHELD]	= "devices_withheld",
	[SIM_STAT_RESCINDS_INSTEAD]	= "rescinds_instead",
	[SIM_STAT_TEARDOWNS_IGNORED]	= "teardowns_ignored",
	[SIM_STAT_HOSTILE_OFFERS]	= "hostile_offers",
	[SIM_STAT_HOSTILE_RELEASABLE]	= "hostile_releasable",
	[SIM_STAT_HOSTILE_RELEASED]	= "hostile_released",
	[SIM_STAT_HOSTILE_MSGS]		= "hostile_msgs",
};

/* The CHANNELMSG_ suffixes; the last entry counts types out of range. */
static const char * const sim_msg_names[CHANNELMSG_COUNT + 1] = {
	[CHANNELMSG_INVALID]			= "INVALID",
	[CHANNELMSG_OFFERCHANNEL]		= "OFFERCHANNEL",
	[CHANNELMSG_RESCIND_CHANNELOFFER]	= "RESCIND_CHANNELOFFER",
	[CHANNELMSG_REQUESTOFFERS]		= "REQUESTOFFERS",
	[CHANNELMSG_ALLOFFERS_DELIVERED]	= "ALLOFFERS_DELIVERED",
	[CHANNELMSG_OPENCHANNEL]		= "OPENCHANNEL",
	[CHANNELMSG_OPENCHANNEL_RESULT]		= "OPENCHANNEL_RESULT",
	[CHANNELMSG_CLOSECHANNEL]		= "CLOSECHANNEL",
	[CHANNELMSG_GPADL_HEADER]		= "GPADL_HEADER",
	[CHANNELMSG_GPADL_BODY]			= "GPADL_BODY",
	[CHANNELMSG_GPADL_CREATED]		= "GPADL_CREATED",
	[CHANNELMSG_GPADL_TEARDOWN]		= "GPADL_TEARDOWN",
	[CHANNELMSG_GPADL_TORNDOWN]		= "GPADL_TORNDOWN",
	[CHANNELMSG_RELID_RELEASED]		= "RELID_RELEASED",
	[CHANNELMSG_INITIATE_CONTACT]		= "INITIATE_CONTACT",
	[CHANNELMSG_VERSION_RESPONSE]		= "VERSION_RESPONSE",
	[CHANNELMSG_UNLOAD]			= "UNLOAD",
	[CHANNELMSG_UNLOAD_RESPONSE]		= "UNLOAD_RESPONSE",
	[CHANNELMSG_18]				= "18",
	[CHANNELMSG_19]				= "19",
	[CHANNELMSG_20]				= "20",
	[CHANNELMSG_TL_CONNECT_REQUEST]		= "TL_CONNECT_REQUEST",
	[CHANNELMSG_MODIFYCHANNEL]		= "MODIFYCHANNEL",
	[CHANNELMSG_TL_CONNECT_RESULT]		= "TL_CONNECT_RESULT",
	[CHANNELMSG_MODIFYCHANNEL_RESPONSE]	= "MODIFYCHANNEL_RESPONSE",
	[CHANNELMSG_COUNT]			= "UNKNOWN",
};

static_assert(CHANNELMSG_COUNT == 25);

struct sim_log_entry {
	u32 type;
	u32 size;
	u32 crc;
};

/**
 * struct sim_log - one direction's message log
 * @lock: guards @next_seq and @ring
 * @next_seq: seq of the next message logged; 1 after a clear
 * @ring: SIM_LOG_LINES entries; seq s is at (s - 1) % SIM_LOG_LINES
 */
struct sim_log {
	raw_spinlock_t lock;	/* see above; taken in hard-IRQ context */
	u64 next_seq;
	struct sim_log_entry *ring;
};

static atomic64_t sim_stats[SIM_STAT_COUNT];
static atomic64_t sim_msg_counts[SIM_NR_DIRS][CHANNELMSG_COUNT + 1];
static struct sim_log sim_logs[SIM_NR_DIRS];

/**
 * sim_stat_inc() - count one event
 * @stat: the counter
 *
 * Context: any.
 */
void sim_stat_inc(enum sim_stat stat)
{
	atomic64_inc(&sim_stats[stat]);
}

/**
 * sim_stat_add() - count @n events
 * @stat: the counter
 * @n: how many
 *
 * Context: any.
 */
void sim_stat_add(enum sim_stat stat, u64 n)
{
	atomic64_add(n, &sim_stats[stat]);
}

/**
 * sim_stat_read() - read a counter
 * @stat: the counter
 *
 * Context: any.
 * Return: its value.
 */
u64 sim_stat_read(enum sim_stat stat)
{
	return atomic64_read(&sim_stats[stat]);
}

/**
 * sim_stat_name() - a counter's name in the stats file
 * @stat: the counter
 *
 * Return: the name.
 */
const char *sim_stat_name(enum sim_stat stat)
{
	return sim_stat_names[stat];
}

/**
 * sim_msg_type_name() - the CHANNELMSG_ suffix of a message type
 * @type: 0..CHANNELMSG_COUNT; CHANNELMSG_COUNT stands for every type out
 *	of range
 *
 * Return: the name.
 */
const char *sim_msg_type_name(unsigned int type)
{
	return sim_msg_names[min_t(unsigned int, type, CHANNELMSG_COUNT)];
}

static void sim_log_add(struct sim_log *log, u32 type, const void *msg,
			u32 size)
{
	struct sim_log_entry e = {
		.type = type,
		.size = size,
		.crc = crc32_le(0, msg, size),
	};
	unsigned long flags;

	raw_spin_lock_irqsave(&log->lock, flags);
	log->ring[(log->next_seq - 1) % SIM_LOG_LINES] = e;
	log->next_seq++;
	raw_spin_unlock_irqrestore(&log->lock, flags);
}

/**
 * sim_msg_count() - count and log one message
 * @dir: %SIM_IN for one the host accepted, %SIM_OUT for one it delivered
 * @msg: the host's copy, starting with its vmbus_channel_message_header
 * @size: its size, at least the header's
 *
 * Context: any; the caller holds the lock that orders @dir's messages.
 */
void sim_msg_count(enum sim_dir dir, const void *msg, u32 size)
{
	const struct vmbus_channel_message_header *hdr = msg;
	u32 type = hdr->msgtype;

	sim_stat_inc(dir == SIM_IN ? SIM_STAT_MSGS_IN : SIM_STAT_MSGS_OUT);
	atomic64_inc(&sim_msg_counts[dir][min_t(u32, type, CHANNELMSG_COUNT)]);
	sim_log_add(&sim_logs[dir], type, msg, size);
}

/**
 * sim_msg_count_read() - messages of one type counted in one direction
 * @dir: the direction
 * @type: 0..CHANNELMSG_COUNT, the last standing for all types out of range
 *
 * Context: any.
 * Return: the count.
 */
u64 sim_msg_count_read(enum sim_dir dir, unsigned int type)
{
	return atomic64_read(&sim_msg_counts[dir][min_t(unsigned int, type,
							CHANNELMSG_COUNT)]);
}

/**
 * sim_guest_error() - count and report a guest protocol error
 * @fmt: printf format of the report
 *
 * Context: any.
 */
void sim_guest_error(const char *fmt, ...)
{
	struct va_format vaf;
	va_list args;

	sim_stat_inc(SIM_STAT_GUEST_ERRORS);
	va_start(args, fmt);
	vaf.fmt = fmt;
	vaf.va = &args;
	pr_warn_ratelimited("guest error: %pV", &vaf);
	va_end(args);
}

/**
 * sim_log_clear() - empty a log; the next message gets seq 1
 * @dir: which log
 *
 * Context: any.
 */
void sim_log_clear(enum sim_dir dir)
{
	struct sim_log *log = &sim_logs[dir];
	unsigned long flags;

	raw_spin_lock_irqsave(&log->lock, flags);
	log->next_seq = 1;
	raw_spin_unlock_irqrestore(&log->lock, flags);
}

/* Copy the log out under its lock; returns the seq of snap[0]. */
static u64 sim_log_snapshot(struct sim_log *log, struct sim_log_entry *snap,
			    unsigned int *nr)
{
	unsigned long flags;
	u64 first, seq;

	raw_spin_lock_irqsave(&log->lock, flags);
	first = log->next_seq > SIM_LOG_LINES ?
		log->next_seq - SIM_LOG_LINES : 1;
	for (seq = first; seq < log->next_seq; seq++)
		snap[seq - first] = log->ring[(seq - 1) % SIM_LOG_LINES];
	*nr = log->next_seq - first;
	raw_spin_unlock_irqrestore(&log->lock, flags);
	return first;
}

/**
 * sim_log_show() - print a log, oldest line first
 * @m: the seq_file
 * @dir: which log
 *
 * Context: process context, may sleep.
 * Return: 0 or -ENOMEM.
 */
int sim_log_show(struct seq_file *m, enum sim_dir dir)
{
	struct sim_log_entry *snap;
	unsigned int i, nr;
	u64 first;

	snap = kvmalloc_array(SIM_LOG_LINES, sizeof(*snap), GFP_KERNEL);
	if (!snap)
		return -ENOMEM;
	first = sim_log_snapshot(&sim_logs[dir], snap, &nr);
	for (i = 0; i < nr; i++)
		seq_printf(m, "%llu %u %u %08x\n", first + i, snap[i].type,
			   snap[i].size, snap[i].crc);
	kvfree(snap);
	return 0;
}

/**
 * sim_stats_reset() - zero the counters of this file and clear both logs
 *
 * The counters of other files have their own resets; the reset_stats file
 * runs them all (sim_debugfs.c).
 *
 * Context: any.
 */
void sim_stats_reset(void)
{
	unsigned int i, t;

	for (i = 0; i < SIM_STAT_COUNT; i++)
		atomic64_set(&sim_stats[i], 0);
	for (i = 0; i < SIM_NR_DIRS; i++) {
		for (t = 0; t <= CHANNELMSG_COUNT; t++)
			atomic64_set(&sim_msg_counts[i][t], 0);
		sim_log_clear(i);
	}
}

/**
 * sim_stats_init() - allocate both logs
 *
 * Context: module init, may sleep.
 * Return: 0 or -ENOMEM.
 */
int sim_stats_init(void)
{
	unsigned int i;

	for (i = 0; i < SIM_NR_DIRS; i++) {
		raw_spin_lock_init(&sim_logs[i].lock);
		sim_logs[i].next_seq = 1;
		sim_logs[i].ring = kvcalloc(SIM_LOG_LINES,
					    sizeof(*sim_logs[i].ring),
					    GFP_KERNEL);
		if (!sim_logs[i].ring) {
			sim_stats_exit();
			return -ENOMEM;
		}
	}
	return 0;
}

/**
 * sim_stats_exit() - free both logs
 *
 * Context: module exit (or init failure), may sleep.
 */
void sim_stats_exit(void)
{
	unsigned int i;

	for (i = 0; i < SIM_NR_DIRS; i++) {
		kvfree(sim_logs[i].ring);
		sim_logs[i].ring = NULL;
	}
}
