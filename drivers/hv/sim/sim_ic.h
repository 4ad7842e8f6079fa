/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vmbus_sim: the integration-component framework.  sim_ic.c owns the
 * channels, the negotiation, the framing of every request and answer, the
 * ticks and the control plane; one file per IC owns that IC's requests,
 * answers, counters and commands: sim_ic_heartbeat.c, sim_ic_shutdown.c,
 * sim_ic_timesync.c and sim_ic_kvp.c.  The IC files call only down into
 * sim_ic.c: each registers its struct sim_ic_ops with sim_ic_register(),
 * and sim_ic.c reaches them only through those.
 *
 * Every IC channel carries one transaction at a time, as the host sends
 * it: a VM_PKT_DATA_INBAND packet with COMPLETION_REQUESTED whose payload
 * is struct vmbuspipe_hdr + struct icmsg_hdr + the message.  The guest
 * answers in place, same transaction id, ICMSGHDRFLAG_RESPONSE set.  The
 * first transaction of every open is ICMSGTYPE_NEGOTIATE.
 */
#ifndef _VMBUS_SIM_IC_H
#define _VMBUS_SIM_IC_H

#include <linux/atomic.h>
#include <linux/hyperv.h>
#include <linux/spinlock.h>
#include <linux/types.h>
#include <linux/workqueue.h>

#include "sim.h"

struct seq_file;

/* An IC's message version: major in the high half, minor in the low. */
#define SIM_IC_V(major, minor)	((major) << 16 | (minor))

/**
 * struct sim_ic_counter - a counter of the ic/stats file
 * @name: its name in the file
 * @v: its value
 *
 * Each IC's file owns an array of these and hands it to sim_ic.c in its
 * &struct sim_ic_ops, which prints and zeroes them.
 */
struct sim_ic_counter {
	const char *name;
	atomic64_t v;
};

/**
 * struct sim_ic_tick - a period that makes one of an IC's requests due
 * @work: the tick
 * @kind: the IC
 * @bit: the request's bit in the IC's pending word
 * @period_ms: 0 stops it; written under sim_ic.c's control mutex, read
 *	by the tick
 *
 * Owned by the IC's file, run by sim_ic.c: the control plane's
 * ``<ic>_period_ms`` command sets it, the stats file shows it.
 */
struct sim_ic_tick {
	struct delayed_work work;
	enum sim_ic_kind kind;
	unsigned int bit;
	u32 period_ms;
};

enum {
	/* Largest request: pipe and IC headers and a KVP enumerate, padded. */
	SIM_IC_PKT_MAX	= 4096,
	/* Highest KVP pool number (KVP_POOL_* of <uapi/linux/hyperv.h>). */
	SIM_KVP_POOL_MAX = KVP_POOL_COUNT - 1,
	/* UTF-8 bytes of a key or value, with the NUL, from the wire. */
	SIM_KVP_KEY_UTF8 = HV_KVP_EXCHANGE_MAX_KEY_SIZE,
	SIM_KVP_VALUE_UTF8 = HV_KVP_EXCHANGE_MAX_VALUE_SIZE,
};

/**
 * struct sim_ic_chan - an open IC channel (the back end's data)
 * @kind: which IC
 * @o: the channel
 * @negotiated: versions were agreed on this open
 * @refused: the guest named no common version, or the ring failed: the
 *	host sends nothing more on this open
 * @fw_version: agreed framework version
 * @msg_version: agreed message version
 * @msg_ceiling: the highest message version the NEGOTIATE offered
 * @busy: a request is out and unanswered
 * @staged: @pkt holds a request not sent yet (no room in the ring)
 * @trans_id: the transaction id of the request in @pkt
 * @type: its ICMSGTYPE_*
 * @len: its packet length (descriptor + payload), 8-aligned
 * @sent_stat: the counter its sending bumps, NULL for none
 * @seq: heartbeat: the sequence number sent
 * @kvp_gen: KVP: the operation the request belongs to
 * @pkt: the request, descriptor first
 *
 * Touched only by the channel's open, service and close, so the channel's
 * lock (or sim_lock in open and close, when no work runs) covers it.
 */
struct sim_ic_chan {
	enum sim_ic_kind kind;
	struct sim_open *o;
	bool negotiated;
	bool refused;
	u32 fw_version;
	u32 msg_version;
	u32 msg_ceiling;

	bool busy;
	bool staged;
	u64 trans_id;
	u16 type;
	u32 len;
	atomic64_t *sent_stat;
	u64 seq;
	u32 kvp_gen;
	u8 pkt[SIM_IC_PKT_MAX] __aligned(8);
};

/**
 * struct sim_ic_ops - what one IC does after the negotiation
 * @versions: the message versions the host lists, ascending
 * @nr_versions: how many
 * @build: if a request is due, write it with sim_ic_req_start() and
 *	return true; the channel's lock held
 * @answer: the guest's answer to it, framing checked; @hdr NULL for an
 *	answer too malformed to look at; the channel's lock held
 * @negotiated: optional: versions were just agreed
 * @closed: optional: the channel closed with a request staged or out
 * @cmd: optional: a command of vmbus_sim/ic/control, @verb and its
 *	argument @arg (NULL if none); -ENOIOCTLCMD if @verb is not this IC's
 * @show: optional: the IC's own file in vmbus_sim/ic/, named after it
 * @counters: its counters in ic/stats, in the order shown
 * @nr_counters: how many
 * @stats: optional: more lines of ic/stats, after the counters
 * @tick: optional: the period that makes a request due
 */
struct sim_ic_ops {
	const u32 *versions;
	unsigned int nr_versions;
	bool (*build)(struct sim_ic_chan *c);
	void (*answer)(struct sim_ic_chan *c, const struct icmsg_hdr *hdr,
		       const u8 *body, u32 len);
	void (*negotiated)(struct sim_ic_chan *c);
	void (*closed)(struct sim_ic_chan *c);
	int (*cmd)(const char *verb, char *arg);
	int (*show)(struct seq_file *m, void *unused);
	struct sim_ic_counter *counters;
	unsigned int nr_counters;
	void (*stats)(struct seq_file *m);
	struct sim_ic_tick *tick;
};

/* sim_ic.c */
void sim_ic_register(enum sim_ic_kind kind, const struct sim_ic_ops *ops);
__printf(2, 3) void sim_ic_proto_error(struct sim_ic_chan *c,
				       const char *fmt, ...);
void *sim_ic_req_start(struct sim_ic_chan *c, u16 type, u32 body_len);
spinlock_t *sim_ic_lock(enum sim_ic_kind kind);
bool sim_ic_kick(enum sim_ic_kind kind);
void sim_ic_mark(enum sim_ic_kind kind, unsigned int bit);
void sim_ic_request(enum sim_ic_kind kind, unsigned int bit);
bool sim_ic_take(enum sim_ic_kind kind, unsigned int bit);

#endif /* _VMBUS_SIM_IC_H */
