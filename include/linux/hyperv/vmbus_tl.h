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
 * status.  Hosts answer a refusal only from protocol 4.1 on; an older host
 * (4.0) lets the request go unanswered.
 *
 * An hv_sock offer is in pipe mode; the pipe's user_def bytes hold
 * struct vmbus_hvsock_user_def.  The guest reads only its first byte.
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
 * @endpoint_id: the request's guest_endpoint_id (first, as in the request)
 * @service_id: the request's host_service_id
 * @status: 0, or the host's (negative) status of the failure
 */
struct vmbus_channel_tl_connect_result {
	struct vmbus_channel_message_header header;
	guid_t endpoint_id;
	guid_t service_id;
	s32 status;
} __packed;

/* The host's status in a refusing TL_CONNECT_RESULT. */
#define VMBUS_TL_STATUS_CONNECTION_REFUSED	0xc0000236

/* vmbus_hvsock_user_def.version, by the protocol the host speaks. */
enum vmbus_hvsock_params_version {
	VMBUS_HVSOCK_PARAMS_V0	= 0,	/* before protocol 5.2 */
	VMBUS_HVSOCK_PARAMS_V1	= 1,	/* 5.2 and later */
};

/**
 * struct vmbus_hvsock_user_def - an hv_sock offer's pipe user_def bytes
 * @is_for_guest_accept: 1 if the host connects to a listening guest
 *	socket, 0 if this answers the guest's TL_CONNECT_REQUEST
 * @is_for_guest_container: 1 for a connection into a guest container
 * @version: &enum vmbus_hvsock_params_version, little-endian
 * @silo_id: the host silo of the connection; all zero for the host itself
 *	and before protocol 5.2
 */
struct vmbus_hvsock_user_def {
	u8 is_for_guest_accept;
	u8 is_for_guest_container;
	__le32 version;
	guid_t silo_id;
} __packed;

static_assert(sizeof(struct vmbus_hvsock_user_def) <= MAX_PIPE_USER_DEFINED_BYTES);

#endif /* _LINUX_HYPERV_VMBUS_TL_H */
