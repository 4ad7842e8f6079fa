// SPDX-License-Identifier: GPL-2.0
/*
 * vmbus_sim: the heartbeat integration component.
 *
 * Every heartbeat_period_ms the host sends ICMSGTYPE_HEARTBEAT with
 * seq_num = the last sequence number the guest answered correctly; the
 * guest must answer seq_num + 1 with HV_S_OK.  A right answer moves the
 * sequence on (heartbeat_ok), a wrong one leaves it (heartbeat_bad).
 * The framework (sim_ic.c) negotiates, frames and checks the packets.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/seq_file.h>
#include <linux/string.h>

#include "sim_ic.h"

static_assert(sizeof(struct heartbeat_msg_data) == 40);

enum {
	SIM_HB_PERIOD_MS = 1000,
	/* The request's bit in the IC's pending word. */
	SIM_HB_PEND = 0,
};

enum { SIM_HB_SENT, SIM_HB_OK, SIM_HB_BAD, SIM_HB_COUNTERS };

static struct sim_ic_counter sim_hb_counters[SIM_HB_COUNTERS] = {
	[SIM_HB_SENT]	= { .name = "heartbeat_sent" },
	[SIM_HB_OK]	= { .name = "heartbeat_ok" },
	[SIM_HB_BAD]	= { .name = "heartbeat_bad" },
};

/* Message versions, ascending, as Hyper-V hosts list them. */
static const u32 sim_hb_versions[] = { SIM_IC_V(1, 0), SIM_IC_V(3, 0) };

static struct sim_ic_tick sim_hb_tick = {
	.kind = SIM_IC_HEARTBEAT,
	.bit = SIM_HB_PEND,
	.period_ms = SIM_HB_PERIOD_MS,
};

/* The last sequence number the guest answered correctly. */
static u64 sim_hb_seq;

static bool sim_hb_build(struct sim_ic_chan *c)
{
	struct heartbeat_msg_data *hb;

	if (!sim_ic_take(SIM_IC_HEARTBEAT, SIM_HB_PEND))
		return false;
	hb = sim_ic_req_start(c, ICMSGTYPE_HEARTBEAT, sizeof(*hb));
	/* One heartbeat channel at a time: its service owns the sequence. */
	c->seq = READ_ONCE(sim_hb_seq);
	hb->seq_num = c->seq;
	c->sent_stat = &sim_hb_counters[SIM_HB_SENT].v;
	return true;
}

static void sim_hb_answer(struct sim_ic_chan *c, const struct icmsg_hdr *hdr,
			  const u8 *body, u32 len)
{
	u64 seq;

	if (!hdr || len < sizeof(seq)) {
		if (hdr)
			sim_ic_proto_error(c, "heartbeat answer of %u bytes\n",
					   len);
		atomic64_inc(&sim_hb_counters[SIM_HB_BAD].v);
		return;
	}
	memcpy(&seq, body, sizeof(seq));
	if (hdr->status != HV_S_OK || seq != c->seq + 1) {
		pr_warn_ratelimited("ic heartbeat: sent %llu, answer %llu status %#x\n",
				    c->seq, seq, hdr->status);
		atomic64_inc(&sim_hb_counters[SIM_HB_BAD].v);
		return;
	}
	WRITE_ONCE(sim_hb_seq, seq);
	atomic64_inc(&sim_hb_counters[SIM_HB_OK].v);
}

static void sim_hb_stats(struct seq_file *m)
{
	seq_printf(m, "heartbeat_seq %llu\n", READ_ONCE(sim_hb_seq));
}

static const struct sim_ic_ops sim_hb_ops = {
	.versions = sim_hb_versions,
	.nr_versions = ARRAY_SIZE(sim_hb_versions),
	.build = sim_hb_build,
	.answer = sim_hb_answer,
	.counters = sim_hb_counters,
	.nr_counters = ARRAY_SIZE(sim_hb_counters),
	.stats = sim_hb_stats,
	.tick = &sim_hb_tick,
};

/**
 * sim_ic_heartbeat_init() - hand the heartbeat IC's ops to sim_ic.c
 *
 * Context: module init, after sim_ic_init() and before the control plane.
 */
void sim_ic_heartbeat_init(void)
{
	sim_ic_register(SIM_IC_HEARTBEAT, &sim_hb_ops);
}
