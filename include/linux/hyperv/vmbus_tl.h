/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Hyper-V sockets on VMBus: the message <linux/hyperv.h> numbers
 * (CHANNELMSG_TL_CONNECT_RESULT) but does not define, shared by the guest
 * core and the simulated host.
 *
 * A guest asks for a connection with TL_CONNECT_REQUEST (guest endpoint id,
 * host service id).  The host answers with an hv_sock offer whose
 * offer.if_type is the service and offer.if_instance the endpoint, or,
 * when it refuses, with TL_CONNECT_RESULT naming both ids and a non-zero
 * status.
 */
#ifndef _LINUX_HYPERV_VMBUS_TL_H
#define _LINUX_HYPERV_VMBUS_TL_H

#include <linux/hyperv.h>
#include <linux/types.h>
#include <linux/uuid.h>

/**
 * struct vmbus_channel_tl_connect_result - the host's answer to a refused
 *	TL_CONNECT_REQUEST
 * @header: msgtype CHANNELMSG_TL_CONNECT_RESULT
 * @service_id: the request's host_service_id
 * @endpoint_id: the request's guest_endpoint_id
 * @status: 0, or the host's (negative) status of the failure
 */
struct vmbus_channel_tl_connect_result {
	struct vmbus_channel_message_header header;
	guid_t service_id;
	guid_t endpoint_id;
	s32 status;
} __packed;

#endif /* _LINUX_HYPERV_VMBUS_TL_H */
