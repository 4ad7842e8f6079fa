/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vmbus_sim: the integration-component framework shared by sim_ic.c
 * (negotiation, heartbeat, shutdown, time sync, control plane) and
 * sim_ic_kvp.c (key-value pairs).  sim_ic_kvp.c calls only down into
 * sim_ic.c: it registers its struct sim_ic_ops with sim_ic_register(),
 * and sim_ic.c reaches it only through those.
 *
 * Every IC channel carries one transaction at a time, as the host sends
 * it: a VM_PKT_DATA_INBAND packet with COMPLETION_REQUESTED whose payload
 * is struct vmbuspipe_hdr + struct icmsg_hdr + the message.  The guest
 * answers in place, same transaction id, ICMSGHDRFLAG_RESPONSE set.  The
 * first transaction of every open is ICMSGTYPE_NEGOTIATE.
 */
#ifndef _VMBUS_SIM_IC_H
#define _VMBUS_SIM_IC_H

#include <linux/hyperv.h>
#include <linux/spinlock.h>
#include <linux/types.h>

#include "sim.h"

/* Counters of the stats file, in the order it shows them. */
enum sim_ic_stat {
	SIM_IC_HEARTBEAT_SENT,
	SIM_IC_HEARTBEAT_OK,
	SIM_IC_HEARTBEAT_BAD,
	SIM_IC_SHUTDOWN_SENT,
	SIM_IC_SHUTDOWN_OK,
	SIM_IC_SHUTDOWN_BAD,
	SIM_IC_TIMESYNC_SAMPLES,
	SIM_IC_TIMESYNC_SYNCS,
	SIM_IC_TIMESYNC_OK,
	SIM_IC_TIMESYNC_BAD,
	SIM_IC_KVP_SENT,
	SIM_IC_KVP_OK,
	SIM_IC_KVP_FAILED,
	SIM_IC_KVP_TIMEOUTS,
	SIM_IC_KVP_LATE,
	SIM_IC_PROTOCOL_ERRORS,
	SIM_IC_STAT_COUNT
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
 * @sent_stat: the counter its sending bumps, SIM_IC_STAT_COUNT for none
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
	enum sim_ic_stat sent_stat;
	u64 seq;
	u32 kvp_gen;
	u8 pkt[SIM_IC_PKT_MAX] __aligned(8);
};

/**
 * struct sim_ic_ops - what one IC does after the negotiation
 * @build: if a request is due, write it with sim_ic_req_start() and
 *	return true; the channel's lock held
 * @answer: the guest's answer to it, framing checked; @hdr NULL for an
 *	answer too malformed to look at; the channel's lock held
 * @negotiated: optional: versions were just agreed
 * @closed: optional: the channel closed with a request staged or out
 * @cmd: optional: a command of vmbus_sim/ic/control, @verb and its
 *	argument @arg (NULL if none); -ENOIOCTLCMD if @verb is not this IC's
 * @show: optional: the IC's own file in vmbus_sim/ic/, named after it
 */
struct sim_ic_ops {
	bool (*build)(struct sim_ic_chan *c);
	void (*answer)(struct sim_ic_chan *c, const struct icmsg_hdr *hdr,
		       const u8 *body, u32 len);
	void (*negotiated)(struct sim_ic_chan *c);
	void (*closed)(struct sim_ic_chan *c);
	int (*cmd)(const char *verb, char *arg);
	int (*show)(struct seq_file *m, void *unused);
};

/* sim_ic.c */
void sim_ic_register(enum sim_ic_kind kind, const struct sim_ic_ops *ops);
void sim_ic_stat_inc(enum sim_ic_stat stat);
__printf(2, 3) void sim_ic_proto_error(struct sim_ic_chan *c,
				       const char *fmt, ...);
void *sim_ic_req_start(struct sim_ic_chan *c, u16 type, u32 body_len);
spinlock_t *sim_ic_lock(enum sim_ic_kind kind);
bool sim_ic_kick(enum sim_ic_kind kind);

#endif /* _VMBUS_SIM_IC_H */
