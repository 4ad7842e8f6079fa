/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Private definitions of the VMBus guest core (hv_vmbus.ko).
 */
#ifndef _HYPERV_VMBUS_H
#define _HYPERV_VMBUS_H

#include <linux/completion.h>
#include <linux/hyperv.h>
#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/spinlock.h>
#include <linux/workqueue.h>
#include <linux/hyperv/vmbus_hv.h>

/* The CPU that makes first contact; the host sends every message there. */
enum { VMBUS_CONNECT_CPU = 0 };

/* SynIC message type the guest posts VMBus channel messages with. */
enum { VMBUS_HV_MSG_TYPE_CHANNEL = 1 };

/* Deadlines of the connection protocol, in seconds. */
enum vmbus_deadlines {
	VMBUS_VERSION_TIMEOUT_S		= 10,
	VMBUS_ALLOFFERS_TIMEOUT_S	= 120,
	VMBUS_UNLOAD_TIMEOUT_S		= 10,
};

/* Entries of the per-CPU ring between the ISR and the message work. */
enum { VMBUS_MSG_RING_SIZE = 64 };

/**
 * struct vmbus_msg_ring - host messages copied out of one CPU's slot
 * @msgs: the copies
 * @head: next entry the ISR fills; written only by the ISR of that CPU
 * @tail: next entry the message work consumes; written only by it
 *
 * Single producer (the ISR, hard-IRQ on the owning CPU), single consumer
 * (that CPU's message work, which the workqueue never runs twice at once).
 */
struct vmbus_msg_ring {
	struct hv_message msgs[VMBUS_MSG_RING_SIZE];
	unsigned int head;
	unsigned int tail;
};

/**
 * struct vmbus_synic - per-CPU SynIC state of the guest
 * @msg_page: SIMP page handed to the hypervisor
 * @event_page: SIEFP page handed to the hypervisor
 * @ring: messages the ISR copied out of the slot, for @msg_work
 * @msg_work: dispatches @ring in order
 * @stalled: the ISR left a message in the slot because @ring was full;
 *	@msg_work harvests it again once it has made room
 * @enabled: the hypervisor has this CPU's pages (cpuhp callbacks only)
 * @cpu: the owning CPU
 */
struct vmbus_synic {
	struct hv_message_page *msg_page;
	union hv_synic_event_flags *event_page;
	struct vmbus_msg_ring ring;
	struct work_struct msg_work;
	bool stalled;
	bool enabled;
	unsigned int cpu;
};

/**
 * struct vmbus_request - a guest message that waits for the host's answer
 * @node: on vmbus_conn.requests
 * @resp_type: message type that answers it
 * @done: completed when the answer was copied into @resp
 * @resp: the answer
 * @resp_len: its length
 */
struct vmbus_request {
	struct list_head node;
	u32 resp_type;
	struct completion done;
	u8 resp[HV_MESSAGE_PAYLOAD_BYTE_COUNT];
	u32 resp_len;
};

/* Guest counters shown in debugfs "stats"; names in vmbus_stat_names[]. */
enum vmbus_stat {
	VMBUS_STAT_POSTS,
	VMBUS_STAT_POST_RETRIES,
	VMBUS_STAT_POST_FAILURES,
	VMBUS_STAT_MSGS_IN,
	VMBUS_STAT_MSGS_BAD,
	VMBUS_STAT_EOMS,
	VMBUS_STAT_OFFERS,
	VMBUS_STAT_OFFERS_AT_ALLOFFERS,
	VMBUS_NR_STATS
};

static inline u32 vmbus_ver_major(u32 version)
{
	return version >> 16;
}

static inline u32 vmbus_ver_minor(u32 version)
{
	return version & 0xffff;
}

/**
 * struct vmbus_conn - the guest's connection to the host
 * @hv: the hypervisor back end
 * @version: negotiated protocol version, 0 while not connected
 * @msg_conn_id: connection id every message is posted to
 * @connect_cpu: CPU that made first contact
 * @post_lock: serializes posts so that retries keep the order
 * @req_lock: protects @requests
 * @requests: guest messages waiting for an answer
 * @alloffers: ALLOFFERS_DELIVERED arrived
 * @msg_wq: runs the per-CPU message works
 * @synic: per-CPU SynIC state
 * @stats: counters
 */
struct vmbus_conn {
	const struct vmbus_hypervisor *hv;
	u32 version;
	u32 msg_conn_id;
	unsigned int connect_cpu;
	struct mutex post_lock;		/* see @post_lock above */
	spinlock_t req_lock;		/* protects @requests */
	struct list_head requests;
	struct completion alloffers;
	struct workqueue_struct *msg_wq;
	struct vmbus_synic __percpu *synic;
	atomic64_t stats[VMBUS_NR_STATS];
};

extern struct vmbus_conn vmbus_conn;

static inline void vmbus_stat_inc(enum vmbus_stat stat)
{
	atomic64_inc(&vmbus_conn.stats[stat]);
}

/* connection.c */
int vmbus_post_msg(void *msg, u32 size);
int vmbus_post_request(void *msg, u32 size, struct vmbus_request *req,
		       unsigned int timeout_s);
void vmbus_request_init(struct vmbus_request *req, u32 resp_type);
bool vmbus_request_complete(u32 type, const void *msg, u32 len);
int vmbus_connect(void);
void vmbus_disconnect(void);

/* channel_mgmt.c */
void vmbus_msg_dispatch(const struct hv_message *msg);

/* msglog.c */
struct vmbus_msglog;
struct vmbus_msglog *vmbus_msglog_alloc(void);
void vmbus_msglog_free(struct vmbus_msglog *log);
void vmbus_msglog_add(struct vmbus_msglog *log, const void *payload, u32 size);
void vmbus_msglog_debugfs(struct vmbus_msglog *log, const char *name,
			  struct dentry *dir);

extern struct vmbus_msglog *vmbus_msglog_in, *vmbus_msglog_out;

#endif /* _HYPERV_VMBUS_H */
