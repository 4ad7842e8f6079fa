// SPDX-License-Identifier: GPL-2.0
/*
 * fuzz_msg.c: libFuzzer target for the guest's checks of host channel
 * messages, drivers/hv/msg_check.c compiled unmodified: vmbus_msg_check(),
 * which vmbus_msg_dispatch() (drivers/hv/channel_mgmt.c) runs on every
 * message before its handler, and vmbus_offer_fields_invalid(), which
 * guards the arrays an offer's relid and monitor id index.
 *
 * The input is the SynIC message as the host wrote it (missing bytes are
 * zero, extra bytes ignored):
 *
 *   0  u32 message_type   4  u8 payload_size   5  u8 message_flags
 *   8  u64 sender        16  payload (240 bytes): the channel message
 *
 * Checked for every input: the verdict is the one the VMBus protocol's
 * message sizes give (the table below, written from the protocol, not
 * from msg_check.c); a message that passes is copied into a heap buffer
 * of exactly payload_size bytes and read there as its type's structure,
 * so AddressSanitizer reports any type whose minimum is shorter than its
 * structure; an accepted offer's relid and monitor id index arrays of
 * exactly the guest's sizes.
 */
#include <stdlib.h>

#include <linux/hyperv/vmbus_tl.h>

#include "shim.h"

#define require(cond) do { if (!(cond)) abort(); } while (0)

/* The protocol's structure sizes the guest relies on. */
static_assert(sizeof(struct vmbus_channel_message_header) == 8);
static_assert(sizeof(struct vmbus_channel_offer_channel) == 196);
static_assert(sizeof(struct vmbus_channel_rescind_offer) == 12);
static_assert(sizeof(struct vmbus_channel_version_response) == 16);
static_assert(sizeof(struct vmbus_channel_open_result) == 20);
static_assert(sizeof(struct vmbus_channel_gpadl_created) == 20);
static_assert(sizeof(struct vmbus_channel_gpadl_torndown) == 12);
static_assert(sizeof(struct vmbus_channel_modifychannel_response) == 16);
static_assert(sizeof(struct vmbus_channel_tl_connect_result) == 44);

/*
 * What the guest accepts from the host: the message types the host sends,
 * and the bytes of each the guest reads (version_response: a host before
 * VMBus 5.0 ends it before msg_conn_id).  0: never accepted.
 */
static const u32 accepted[CHANNELMSG_COUNT] = {
	[CHANNELMSG_OFFERCHANNEL] = 196,
	[CHANNELMSG_RESCIND_CHANNELOFFER] = 12,
	[CHANNELMSG_ALLOFFERS_DELIVERED] = 8,
	[CHANNELMSG_VERSION_RESPONSE] = 12,
	[CHANNELMSG_UNLOAD_RESPONSE] = 8,
	[CHANNELMSG_OPENCHANNEL_RESULT] = 20,
	[CHANNELMSG_GPADL_CREATED] = 20,
	[CHANNELMSG_GPADL_TORNDOWN] = 12,
	[CHANNELMSG_MODIFYCHANNEL_RESPONSE] = 16,
	[CHANNELMSG_TL_CONNECT_RESULT] = 44,
};

/* Bytes a handler of @type reads: its structure, as the guest declares it. */
static u32 struct_len(u32 type)
{
	switch (type) {
	case CHANNELMSG_OFFERCHANNEL:
		return sizeof(struct vmbus_channel_offer_channel);
	case CHANNELMSG_RESCIND_CHANNELOFFER:
		return sizeof(struct vmbus_channel_rescind_offer);
	case CHANNELMSG_VERSION_RESPONSE:
		return offsetof(struct vmbus_channel_version_response, msg_conn_id);
	case CHANNELMSG_OPENCHANNEL_RESULT:
		return sizeof(struct vmbus_channel_open_result);
	case CHANNELMSG_GPADL_CREATED:
		return sizeof(struct vmbus_channel_gpadl_created);
	case CHANNELMSG_GPADL_TORNDOWN:
		return sizeof(struct vmbus_channel_gpadl_torndown);
	case CHANNELMSG_MODIFYCHANNEL_RESPONSE:
		return sizeof(struct vmbus_channel_modifychannel_response);
	case CHANNELMSG_TL_CONNECT_RESULT:
		return sizeof(struct vmbus_channel_tl_connect_result);
	default:
		return sizeof(struct vmbus_channel_message_header);
	}
}

static enum vmbus_msg_verdict expected(u32 type, u32 len)
{
	if (len < 8 || len > HV_MESSAGE_PAYLOAD_BYTE_COUNT)
		return VMBUS_MSG_BAD_SIZE;
	if (type >= CHANNELMSG_COUNT || !accepted[type])
		return VMBUS_MSG_BAD_TYPE;
	return len < accepted[type] ? VMBUS_MSG_SHORT : VMBUS_MSG_OK;
}

static void check_offer(const struct vmbus_channel_offer_channel *offer)
{
	static struct vmbus_channel *relid_map[VMBUS_MAX_RELID + 1];
	static u8 monitor_use[VMBUS_MONITOR_IDS];
	u32 relid = offer->child_relid;
	bool fine = relid >= 1 && relid <= 2047 &&
		    (!offer->monitor_allocated || offer->monitorid < 128);
	const char *why = vmbus_offer_fields_invalid(offer);

	require(!why == fine);
	if (why)
		return;
	/* What vmbus_on_offer() indexes with them; ASan sees overruns. */
	require(!relid_map[relid]);
	if (offer->monitor_allocated)
		monitor_use[offer->monitorid]++;
}

int LLVMFuzzerTestOneInput(const u8 *data, size_t size)
{
	struct hv_message msg = { 0 };
	const struct vmbus_channel_message_header *hdr;
	enum vmbus_msg_verdict v;
	u32 len, type, min;
	u8 *copy, scratch[HV_MESSAGE_PAYLOAD_BYTE_COUNT];

	memcpy(&msg, data, size < sizeof(msg) ? size : sizeof(msg));
	hdr = (const void *)msg.u.payload;
	len = msg.header.payload_size;
	type = hdr->msgtype;

	v = vmbus_msg_check(&msg);
	require(v == expected(type, len));
	min = vmbus_msg_min_len(type);
	require(min == (type < CHANNELMSG_COUNT ? accepted[type] : 0));
	if (v != VMBUS_MSG_OK)
		return 0;

	/* The handler's view: exactly len bytes, read as its structure. */
	copy = malloc(len);
	require(copy);
	memcpy(copy, msg.u.payload, len);
	memcpy(scratch, copy, struct_len(type));
	if (type == CHANNELMSG_OFFERCHANNEL)
		check_offer((const void *)copy);
	free(copy);
	return 0;
}
