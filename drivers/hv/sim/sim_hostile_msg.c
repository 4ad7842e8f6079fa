// SPDX-License-Identifier: GPL-2.0
/*
 * Hostile messages: SynIC messages a real host never sends, which the guest
 * must drop with a counter and nothing else (vmbus-core.rst, "Host
 * messages").  Written to /sys/kernel/debug/vmbus_sim/hostile_msg, one kind
 * a line:
 *
 *   timer                   a HVMSG_TIMER_EXPIRED message on the VMBus SINT
 *   oversized <relid>       RESCIND_CHANNELOFFER of <relid> whose
 *                           payload_size says 241, one more than a SynIC
 *                           message holds
 *   short <relid>           RESCIND_CHANNELOFFER of <relid>, payload_size
 *                           covering the header alone (the relid is in the
 *                           slot all the same)
 *   unknown                 message type 0x7fff
 *   guest_type              REQUESTOFFERS, a type only the guest sends
 *   unsolicited_version     a VERSION_RESPONSE nobody asked for
 *   unsolicited_open <relid>
 *                           an OPENCHANNEL_RESULT for <relid> with an open
 *                           id the guest never used
 *   unknown_gpadl <relid>   GPADL_CREATED for <relid> and a GPADL handle
 *                           the guest never used
 *   unknown_torndown        GPADL_TORNDOWN of a GPADL handle the guest
 *                           never used
 *
 * The guest counts timer in msgs_foreign and every other kind in msgs_bad.
 * Each kind also says "success" in its status field where it has one, so a
 * guest that acted on it would act as if the host had agreed.  Reading the
 * file shows the injected count per kind since load; hostile_msgs in stats
 * counts them since the stats were last reset.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/atomic.h>
#include <linux/bits.h>
#include <linux/ktime.h>
#include <linux/mutex.h>
#include <asm/hyperv-tlfs.h>

#include "sim.h"

enum sim_hmsg_kind {
	SIM_HMSG_TIMER,
	SIM_HMSG_OVERSIZED,
	SIM_HMSG_SHORT,
	SIM_HMSG_UNKNOWN,
	SIM_HMSG_GUEST_TYPE,
	SIM_HMSG_UNSOL_VERSION,
	SIM_HMSG_UNSOL_OPEN,
	SIM_HMSG_UNKNOWN_GPADL,
	SIM_HMSG_UNKNOWN_TORNDOWN,
	SIM_HMSG_KINDS
};

static const char * const sim_hmsg_names[SIM_HMSG_KINDS] = {
	[SIM_HMSG_TIMER]		= "timer",
	[SIM_HMSG_OVERSIZED]		= "oversized",
	[SIM_HMSG_SHORT]		= "short",
	[SIM_HMSG_UNKNOWN]		= "unknown",
	[SIM_HMSG_GUEST_TYPE]		= "guest_type",
	[SIM_HMSG_UNSOL_VERSION]	= "unsolicited_version",
	[SIM_HMSG_UNSOL_OPEN]		= "unsolicited_open",
	[SIM_HMSG_UNKNOWN_GPADL]	= "unknown_gpadl",
	[SIM_HMSG_UNKNOWN_TORNDOWN]	= "unknown_torndown",
};

/* The kinds that take the relid of a channel the host has. */
#define SIM_HMSG_AT_RELID (BIT(SIM_HMSG_OVERSIZED) | BIT(SIM_HMSG_SHORT) | \
			   BIT(SIM_HMSG_UNSOL_OPEN) | BIT(SIM_HMSG_UNKNOWN_GPADL))

/*
 * A message type past every one the protocol defines, and GPADL handles
 * and an open id above the ranges the guest allocates from.
 */
enum {
	SIM_HMSG_TYPE_UNKNOWN = 0x7fff,
	SIM_HMSG_GPADL = 0xdead0001,
	SIM_HMSG_OPENID = 0xdead0002,
};

static atomic64_t sim_hmsg_count[SIM_HMSG_KINDS];

/* The payload of each kind, built on the stack of sim_hmsg_inject(). */
union sim_hmsg_payload {
	struct vmbus_channel_message_header hdr;
	struct hv_timer_message_payload timer;
	struct vmbus_channel_rescind_offer rescind;
	struct vmbus_channel_version_response version;
	struct vmbus_channel_open_result open;
	struct vmbus_channel_gpadl_created created;
	struct vmbus_channel_gpadl_torndown torndown;
	u8 bytes[HV_MESSAGE_PAYLOAD_BYTE_COUNT];
};

static int sim_hmsg_inject(unsigned int kind, u32 relid)
{
	union sim_hmsg_payload p = {};
	u32 hv_type = SIM_HVMSG_VMBUS, size, claimed;
	int ret;

	switch (kind) {
	case SIM_HMSG_TIMER:
		hv_type = HVMSG_TIMER_EXPIRED;
		p.timer.expiration_time = ktime_get_ns() / 100;
		p.timer.delivery_time = p.timer.expiration_time;
		size = sizeof(p.timer);
		break;
	case SIM_HMSG_OVERSIZED:
	case SIM_HMSG_SHORT:
		p.rescind.header.msgtype = CHANNELMSG_RESCIND_CHANNELOFFER;
		p.rescind.child_relid = relid;
		size = sizeof(p.rescind);
		break;
	case SIM_HMSG_UNKNOWN:
		p.hdr.msgtype = (enum vmbus_channel_message_type)SIM_HMSG_TYPE_UNKNOWN;
		size = sizeof(p.hdr) + sizeof(u64);
		break;
	case SIM_HMSG_GUEST_TYPE:
		p.hdr.msgtype = CHANNELMSG_REQUESTOFFERS;
		size = sizeof(p.hdr);
		break;
	case SIM_HMSG_UNSOL_VERSION:
		p.version.header.msgtype = CHANNELMSG_VERSION_RESPONSE;
		p.version.version_supported = 1;
		size = sizeof(p.version);
		break;
	case SIM_HMSG_UNSOL_OPEN:
		p.open.header.msgtype = CHANNELMSG_OPENCHANNEL_RESULT;
		p.open.child_relid = relid;
		p.open.openid = SIM_HMSG_OPENID;
		size = sizeof(p.open);
		break;
	case SIM_HMSG_UNKNOWN_GPADL:
		p.created.header.msgtype = CHANNELMSG_GPADL_CREATED;
		p.created.child_relid = relid;
		p.created.gpadl = SIM_HMSG_GPADL;
		size = sizeof(p.created);
		break;
	case SIM_HMSG_UNKNOWN_TORNDOWN:
		p.torndown.header.msgtype = CHANNELMSG_GPADL_TORNDOWN;
		p.torndown.gpadl = SIM_HMSG_GPADL;
		size = sizeof(p.torndown);
		break;
	default:
		return -EINVAL;
	}
	claimed = size;
	if (kind == SIM_HMSG_OVERSIZED)
		claimed = HV_MESSAGE_PAYLOAD_BYTE_COUNT + 1;
	else if (kind == SIM_HMSG_SHORT)
		claimed = sizeof(p.hdr);

	if (SIM_HMSG_AT_RELID & BIT(kind)) {
		mutex_lock(&sim_lock);
		ret = relid <= SIM_MAX_RELID && sim_chan_get(relid) ? 0 : -ENOENT;
		mutex_unlock(&sim_lock);
		if (ret)
			return ret;
	}
	ret = sim_msg_send_raw(hv_type, &p, size, claimed);
	if (ret)
		return ret;
	sim_stat_inc(SIM_STAT_HOSTILE_MSGS);
	pr_info("hostile message %s (SynIC type %#x, %u bytes, payload_size %u)\n",
		sim_hmsg_names[kind], hv_type, size, claimed);
	return 0;
}

static const struct sim_hostile_kinds sim_hmsg_kinds = {
	.names		= sim_hmsg_names,
	.arg_mask	= SIM_HMSG_AT_RELID,
	.counts		= sim_hmsg_count,
	.n		= SIM_HMSG_KINDS,
	.inject		= sim_hmsg_inject,
};

/**
 * sim_hostile_msg_debugfs_init() - create hostile_msg
 * @dir: /sys/kernel/debug/vmbus_sim/
 *
 * Context: module init, may sleep.
 */
void sim_hostile_msg_debugfs_init(struct dentry *dir)
{
	sim_hostile_file(dir, "hostile_msg", &sim_hmsg_kinds);
}
