// SPDX-License-Identifier: GPL-2.0
/*
 * The checks of host messages that need no state: a channel message's size
 * and type, the host-written fields of an offer, and the version lists of
 * an integration component's negotiation.
 *
 * Nothing here takes a lock, allocates or touches a channel, so the file
 * also compiles as userspace C behind the shims of tools/testing/vmbus/ring/
 * for the fuzzers fuzz_msg and fuzz_icneg there
 * (Documentation/virt/hyperv/testing.rst, lane "userspace").  Everything
 * read here was written by the host.
 */
#define pr_fmt(fmt) "hv_vmbus: " fmt

#include <linux/build_bug.h>
#include <linux/hyperv.h>
#include <linux/ratelimit.h>

#include <linux/hyperv/vmbus_tl.h>

#include "hyperv_vmbus.h"

#define VMBUS_MIN_LEN(type, msg_struct)					\
	[type] = sizeof(msg_struct)

/*
 * The shortest payload of each message type the guest accepts from the
 * host; 0 for a type it never accepts (those the guest sends, and unused
 * numbers).
 */
static const u32 vmbus_msg_min_lens[CHANNELMSG_COUNT] = {
	VMBUS_MIN_LEN(CHANNELMSG_OFFERCHANNEL,
		      struct vmbus_channel_offer_channel),
	VMBUS_MIN_LEN(CHANNELMSG_RESCIND_CHANNELOFFER,
		      struct vmbus_channel_rescind_offer),
	VMBUS_MIN_LEN(CHANNELMSG_ALLOFFERS_DELIVERED,
		      struct vmbus_channel_message_header),
	/* Hosts before 5.0 may end the response before msg_conn_id. */
	[CHANNELMSG_VERSION_RESPONSE] =
		offsetof(struct vmbus_channel_version_response, msg_conn_id),
	VMBUS_MIN_LEN(CHANNELMSG_UNLOAD_RESPONSE,
		      struct vmbus_channel_message_header),
	VMBUS_MIN_LEN(CHANNELMSG_OPENCHANNEL_RESULT,
		      struct vmbus_channel_open_result),
	VMBUS_MIN_LEN(CHANNELMSG_GPADL_CREATED,
		      struct vmbus_channel_gpadl_created),
	VMBUS_MIN_LEN(CHANNELMSG_GPADL_TORNDOWN,
		      struct vmbus_channel_gpadl_torndown),
	VMBUS_MIN_LEN(CHANNELMSG_MODIFYCHANNEL_RESPONSE,
		      struct vmbus_channel_modifychannel_response),
	VMBUS_MIN_LEN(CHANNELMSG_TL_CONNECT_RESULT,
		      struct vmbus_channel_tl_connect_result),
};

static_assert(ARRAY_SIZE(vmbus_msg_min_lens) == CHANNELMSG_COUNT);

/**
 * vmbus_msg_min_len() - the shortest payload of a host message type
 * @type: the message type, as the host wrote it
 *
 * Return: the length, or 0 if the guest never accepts @type from the host.
 */
u32 vmbus_msg_min_len(u32 type)
{
	return type < CHANNELMSG_COUNT ? vmbus_msg_min_lens[type] : 0;
}

/**
 * vmbus_msg_check() - check a host message's size and type
 * @msg: a private copy of the SynIC message
 *
 * A message that passes holds a struct vmbus_channel_message_header and at
 * least vmbus_msg_min_len() of its type in payload bytes, and its
 * payload_size fits the SynIC message.
 *
 * Context: any.
 * Return: %VMBUS_MSG_OK, or why the message must be dropped.
 */
enum vmbus_msg_verdict vmbus_msg_check(const struct hv_message *msg)
{
	const struct vmbus_channel_message_header *hdr = (const void *)msg->u.payload;
	u32 len = msg->header.payload_size;
	u32 min;

	if (len > HV_MESSAGE_PAYLOAD_BYTE_COUNT || len < sizeof(*hdr))
		return VMBUS_MSG_BAD_SIZE;
	min = vmbus_msg_min_len(hdr->msgtype);
	if (!min)
		return VMBUS_MSG_BAD_TYPE;
	if (len < min)
		return VMBUS_MSG_SHORT;
	return VMBUS_MSG_OK;
}

/**
 * vmbus_offer_fields_invalid() - check the host-written fields of an offer
 *	that index guest arrays
 * @offer: the offer, already checked by vmbus_msg_check()
 *
 * Return: a reason for the log, or NULL if the relid and monitor id are in
 * range.  Whether the relid is free is the caller's to check.
 */
const char *
vmbus_offer_fields_invalid(const struct vmbus_channel_offer_channel *offer)
{
	u32 relid = offer->child_relid;

	if (relid == 0 || relid > VMBUS_MAX_RELID)
		return "relid out of range";
	if (offer->monitor_allocated && offer->monitorid >= VMBUS_MONITOR_IDS)
		return "monitor id out of range";
	return NULL;
}

/* The highest version of @want (major << 16 | minor) that @offer lists. */
static bool vmbus_ic_pick(const struct ic_version *offer, u32 n,
			  const int *want, int want_cnt, struct ic_version *pick)
{
	int i;
	u32 j;

	for (i = 0; i < want_cnt; i++) {
		for (j = 0; j < n; j++) {
			if (offer[j].major == (want[i] >> 16) &&
			    offer[j].minor == (want[i] & 0xffff)) {
				*pick = offer[j];
				return true;
			}
		}
	}
	return false;
}

/**
 * vmbus_prep_negotiate_resp() - answer an integration component's version
 *	negotiation in place
 * @icmsghdrp: the message header in @buf
 * @buf: the received packet: pipe header, message header, negotiate body
 * @buflen: its length
 * @fw_version: framework versions the driver speaks, preferred first
 * @fw_vercnt: how many
 * @srv_version: service versions the driver speaks, preferred first
 * @srv_vercnt: how many
 * @nego_fw_version: if not NULL, set to the framework version chosen
 * @nego_srv_version: if not NULL, set to the service version chosen
 *
 * The host lists its framework versions, then its service versions.  The
 * answer names one of each, the driver's most preferred that the host
 * lists, or none if either list has no match.  Counts and the buffer
 * length come from the host and are checked before use.
 *
 * Context: any.
 * Return: true if both versions were agreed.
 */
bool vmbus_prep_negotiate_resp(struct icmsg_hdr *icmsghdrp, u8 *buf,
			       u32 buflen, const int *fw_version, int fw_vercnt,
			       const int *srv_version, int srv_vercnt,
			       int *nego_fw_version, int *nego_srv_version)
{
	struct icmsg_negotiate *neg = (void *)&buf[ICMSG_HDR];
	struct ic_version fw = {}, srv = {};
	u32 nfw, nsrv;
	bool ok;

	if (buflen < ICMSG_NEGOTIATE_PKT_SIZE(0, 0))
		return false;
	nfw = neg->icframe_vercnt;
	nsrv = neg->icmsg_vercnt;
	if (nfw > IC_VERSION_NEGOTIATION_MAX_VER_COUNT ||
	    nsrv > IC_VERSION_NEGOTIATION_MAX_VER_COUNT ||
	    buflen < ICMSG_NEGOTIATE_PKT_SIZE(nfw, nsrv) ||
	    ICMSG_NEGOTIATE_PKT_SIZE(1, 1) > buflen) {
		pr_err_ratelimited("IC version negotiation with bad counts %u/%u in %u bytes\n",
				   nfw, nsrv, buflen);
		return false;
	}
	ok = vmbus_ic_pick(neg->icversion_data, nfw, fw_version, fw_vercnt, &fw) &&
	     vmbus_ic_pick(neg->icversion_data + nfw, nsrv, srv_version,
			   srv_vercnt, &srv);

	icmsghdrp->icmsgsize = sizeof(*neg) + 2 * sizeof(struct ic_version);
	neg->icframe_vercnt = ok ? 1 : 0;
	neg->icmsg_vercnt = ok ? 1 : 0;
	neg->icversion_data[0] = fw;
	neg->icversion_data[1] = srv;
	if (nego_fw_version)
		*nego_fw_version = fw.major << 16 | fw.minor;
	if (nego_srv_version)
		*nego_srv_version = srv.major << 16 | srv.minor;
	if (!ok)
		pr_err_ratelimited("IC version negotiation: no common version\n");
	return ok;
}
