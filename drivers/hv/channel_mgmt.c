// SPDX-License-Identifier: GPL-2.0
/*
 * Host message dispatch: one table indexed by message type says who handles
 * a message and how long it must at least be.  Every message handed in here
 * is a private copy; nothing is read from shared memory any more.
 */
#define pr_fmt(fmt) "hv_vmbus: " fmt

#include <linux/build_bug.h>
#include <linux/ratelimit.h>

#include "hyperv_vmbus.h"

/**
 * struct vmbus_msg_handler - how one host message type is handled
 * @handle: the handler; called from the message work, must not wait for
 *	the host
 * @min_len: the shortest payload the handler accepts
 */
struct vmbus_msg_handler {
	void (*handle)(const struct vmbus_channel_message_header *hdr, u32 len);
	u32 min_len;
};

static void vmbus_on_response(const struct vmbus_channel_message_header *hdr,
			      u32 len)
{
	if (!vmbus_request_complete(hdr->msgtype, hdr, len)) {
		vmbus_stat_inc(VMBUS_STAT_MSGS_BAD);
		pr_warn_ratelimited("host answered a request never made (type %u)\n",
				    hdr->msgtype);
	}
}

static void vmbus_on_offer(const struct vmbus_channel_message_header *hdr,
			   u32 len)
{
	const struct vmbus_channel_offer_channel *offer = (const void *)hdr;

	if (offer->child_relid == 0 || offer->child_relid >= HV_EVENT_FLAGS_COUNT) {
		vmbus_stat_inc(VMBUS_STAT_MSGS_BAD);
		pr_warn_ratelimited("offer with invalid relid %u ignored\n",
				    offer->child_relid);
		return;
	}
	vmbus_stat_inc(VMBUS_STAT_OFFERS);
}

static void vmbus_on_alloffers(const struct vmbus_channel_message_header *hdr,
			       u32 len)
{
	atomic64_set(&vmbus_conn.stats[VMBUS_STAT_OFFERS_AT_ALLOFFERS],
		     atomic64_read(&vmbus_conn.stats[VMBUS_STAT_OFFERS]));
	complete(&vmbus_conn.alloffers);
}

#define VMBUS_HANDLER(type, fn, msg_struct)				\
	[type] = { .handle = fn, .min_len = sizeof(msg_struct) }

static const struct vmbus_msg_handler vmbus_msg_handlers[CHANNELMSG_COUNT] = {
	VMBUS_HANDLER(CHANNELMSG_OFFERCHANNEL, vmbus_on_offer,
		      struct vmbus_channel_offer_channel),
	VMBUS_HANDLER(CHANNELMSG_ALLOFFERS_DELIVERED, vmbus_on_alloffers,
		      struct vmbus_channel_message_header),
	/* Hosts before 5.0 may end the response before msg_conn_id. */
	[CHANNELMSG_VERSION_RESPONSE] = {
		.handle = vmbus_on_response,
		.min_len = offsetof(struct vmbus_channel_version_response,
				    msg_conn_id),
	},
	VMBUS_HANDLER(CHANNELMSG_UNLOAD_RESPONSE, vmbus_on_response,
		      struct vmbus_channel_message_header),
};

static_assert(ARRAY_SIZE(vmbus_msg_handlers) == CHANNELMSG_COUNT);

/**
 * vmbus_msg_dispatch() - validate one host message and hand it to its handler
 * @msg: a private copy of the SynIC message
 *
 * Context: the message work of the CPU it arrived on; may not wait for the
 * host.
 */
void vmbus_msg_dispatch(const struct hv_message *msg)
{
	const struct vmbus_channel_message_header *hdr = (const void *)msg->u.payload;
	u32 len = msg->header.payload_size;
	const struct vmbus_msg_handler *h = NULL;

	vmbus_stat_inc(VMBUS_STAT_MSGS_IN);
	if (len > HV_MESSAGE_PAYLOAD_BYTE_COUNT || len < sizeof(*hdr)) {
		pr_warn_ratelimited("host message with bad size %u dropped\n", len);
		goto bad;
	}
	vmbus_msglog_add(vmbus_msglog_in, hdr, len);
	if (hdr->msgtype < CHANNELMSG_COUNT)
		h = &vmbus_msg_handlers[hdr->msgtype];
	if (!h || !h->handle) {
		pr_warn_ratelimited("host message of unexpected type %u dropped\n",
				    hdr->msgtype);
		goto bad;
	}
	if (len < h->min_len) {
		pr_warn_ratelimited("host message type %u too short (%u < %u) dropped\n",
				    hdr->msgtype, len, h->min_len);
		goto bad;
	}
	h->handle(hdr, len);
	return;
bad:
	vmbus_stat_inc(VMBUS_STAT_MSGS_BAD);
}
