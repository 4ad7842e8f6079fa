// SPDX-License-Identifier: GPL-2.0
/*
 * The guest's connection to the host: the connection state (vmbus_conn,
 * and vmbus_connection, the part the distribution's drivers read), posting
 * channel messages (with retry in order), requests that wait for an answer,
 * protocol version negotiation, REQUEST_OFFERS, and UNLOAD.
 *
 * Every other guest file reads vmbus_conn; this file calls none of them
 * (only msglog.c, to log what it posts).
 */
#define pr_fmt(fmt) "hv_vmbus: " fmt

#include <linux/delay.h>
#include <linux/io.h>
#include <linux/jiffies.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/string.h>

#include "hyperv_vmbus.h"

/* The guest's connection state; see struct vmbus_conn. */
struct vmbus_conn vmbus_conn;

struct vmbus_connection vmbus_connection = {
	.conn_state = DISCONNECTED,
	.channel_mutex = __MUTEX_INITIALIZER(vmbus_connection.channel_mutex),
};

/* The negotiated protocol version; 0 while not connected. */
__u32 vmbus_proto_version;

/**
 * vmbus_conn_init() - set up vmbus_conn before anything uses it
 * @hv: the hypervisor back end
 *
 * Context: module init.
 */
void vmbus_conn_init(const struct vmbus_hypervisor *hv)
{
	vmbus_conn.hv = hv;
	vmbus_conn.connect_cpu = VMBUS_CONNECT_CPU;
	mutex_init(&vmbus_conn.post_lock);
	spin_lock_init(&vmbus_conn.req_lock);
	INIT_LIST_HEAD(&vmbus_conn.requests);
	init_completion(&vmbus_conn.alloffers);
	init_completion(&vmbus_conn.pm_complete);
	complete_all(&vmbus_conn.pm_complete);
	INIT_LIST_HEAD(&vmbus_conn.channels);
	INIT_LIST_HEAD(&vmbus_conn.held);
	WRITE_ONCE(vmbus_conn.unloading, false);
	WRITE_ONCE(vmbus_conn.crash_unload, false);
}

/**
 * vmbus_conn_pages_alloc() - the interrupt page and the two monitor pages
 *
 * The monitor pages go to the host in INITIATE_CONTACT; uio_hv_generic maps
 * them and the interrupt page for user space.
 *
 * Context: process context, may sleep.
 * Return: 0 or -ENOMEM.
 */
int vmbus_conn_pages_alloc(void)
{
	struct vmbus_connection *c = &vmbus_connection;

	c->int_page = (void *)get_zeroed_page(GFP_KERNEL);
	c->monitor_pages[0] = (void *)get_zeroed_page(GFP_KERNEL);
	c->monitor_pages[1] = (void *)get_zeroed_page(GFP_KERNEL);
	if (!c->int_page || !c->monitor_pages[0] || !c->monitor_pages[1]) {
		vmbus_conn_pages_free();
		return -ENOMEM;
	}
	/* The receive half first, the send half second. */
	c->recv_int_page = c->int_page;
	c->send_int_page = c->int_page + PAGE_SIZE / 2;
	return 0;
}

/**
 * vmbus_conn_pages_free() - free what vmbus_conn_pages_alloc() allocated
 *
 * Context: process context; the host no longer has the pages (UNLOAD).
 */
void vmbus_conn_pages_free(void)
{
	struct vmbus_connection *c = &vmbus_connection;

	free_page((unsigned long)c->int_page);
	free_page((unsigned long)c->monitor_pages[0]);
	free_page((unsigned long)c->monitor_pages[1]);
	c->int_page = NULL;
	c->send_int_page = NULL;
	c->recv_int_page = NULL;
	c->monitor_pages[0] = NULL;
	c->monitor_pages[1] = NULL;
}

/* Versions the guest speaks, most preferred first. */
static const u32 vmbus_versions[] = {
	VERSION_WIN10_V5_3,
	VERSION_WIN10_V5_2,
	VERSION_WIN10_V5_1,
	VERSION_WIN10_V5,
	VERSION_WIN10_V4_1,
	VERSION_WIN10,
	VERSION_WIN8_1,
	VERSION_WIN8,
};

/* Retry policy of HvPostMessage for statuses that can clear by themselves. */
enum vmbus_post_retry {
	VMBUS_POST_ATTEMPTS	= 20,
	VMBUS_POST_DELAY_MIN_US	= 100,
	VMBUS_POST_DELAY_MAX_US	= 20000,
};

static bool vmbus_post_transient(u64 status)
{
	switch (status) {
	case HV_STATUS_INSUFFICIENT_BUFFERS:	/* host queue full */
	case HV_STATUS_INSUFFICIENT_MEMORY:
	case HV_STATUS_INVALID_CONNECTION_ID:	/* host still setting up */
	case VMBUS_HV_STATUS_TIME_OUT:
		return true;
	default:
		return false;
	}
}

/*
 * INITIATE_CONTACT refused with INVALID_CONNECTION_ID: the host has no such
 * message connection (connection id 4 came with 5.0), so it does not speak
 * the version; vmbus-core.rst, "Connecting".
 */
static bool vmbus_post_no_conn_id(const void *msg, u64 status)
{
	const struct vmbus_channel_message_header *hdr = msg;

	return status == HV_STATUS_INVALID_CONNECTION_ID &&
	       hdr->msgtype == CHANNELMSG_INITIATE_CONTACT;
}

static int vmbus_post_once(void *msg, u32 size)
{
	const struct vmbus_hypervisor *hv = vmbus_conn.hv;
	unsigned int delay = VMBUS_POST_DELAY_MIN_US;
	u64 status;
	int i;

	lockdep_assert_held(&vmbus_conn.post_lock);
	for (i = 0; i < VMBUS_POST_ATTEMPTS; i++) {
		status = hv->post_message(READ_ONCE(vmbus_conn.msg_conn_id),
					  VMBUS_HV_MSG_TYPE_CHANNEL, msg, size);
		if (status == HV_STATUS_SUCCESS) {
			vmbus_msglog_add(vmbus_msglog_out, msg, size);
			vmbus_stat_inc(VMBUS_STAT_POSTS);
			return 0;
		}
		if (vmbus_post_no_conn_id(msg, status))
			return -ECONNREFUSED;
		if (!vmbus_post_transient(status))
			break;
		vmbus_stat_inc(VMBUS_STAT_POST_RETRIES);
		usleep_range(delay, 2 * delay);
		delay = min_t(unsigned int, 2 * delay, VMBUS_POST_DELAY_MAX_US);
	}
	vmbus_stat_inc(VMBUS_STAT_POST_FAILURES);
	pr_err("posting message type %u failed: hypervisor status %llu%s\n",
	       ((struct vmbus_channel_message_header *)msg)->msgtype, status,
	       vmbus_post_transient(status) ? " (gave up retrying)" : "");
	return -EIO;
}

/**
 * vmbus_post_msg() - post a channel message to the host
 * @msg: the message, starting with struct vmbus_channel_message_header
 * @size: its length, at most %HV_MESSAGE_PAYLOAD_BYTE_COUNT
 *
 * Retries transient hypervisor failures with back-off.  Posts are
 * serialized, so messages reach the host in the order of the calls.
 *
 * Context: process context, may sleep.
 * Return: 0, -EINVAL for a bad size, -ECONNREFUSED for an INITIATE_CONTACT
 * to a connection id the host does not have, or -EIO if the hypervisor
 * refused it.
 */
int vmbus_post_msg(void *msg, u32 size)
{
	int ret;

	if (WARN_ON_ONCE(size > HV_MESSAGE_PAYLOAD_BYTE_COUNT))
		return -EINVAL;
	might_sleep();
	mutex_lock(&vmbus_conn.post_lock);
	ret = vmbus_post_once(msg, size);
	mutex_unlock(&vmbus_conn.post_lock);
	return ret;
}

/**
 * vmbus_request_init() - prepare a request that waits for an answer
 * @req: the request
 * @resp_type: the message type that answers it
 */
void vmbus_request_init(struct vmbus_request *req, u32 resp_type)
{
	INIT_LIST_HEAD(&req->node);
	req->resp_type = resp_type;
	req->relid = 0;
	req->key = 0;
	req->status = 0;
	init_completion(&req->done);
	req->resp_len = 0;
}

/**
 * vmbus_request_bind() - say which channel and key the answer must name
 * @req: a request prepared with vmbus_request_init()
 * @relid: the channel; a rescind of it completes @req with -ENODEV
 * @key: the open id or GPADL handle the answer carries, or 0
 */
void vmbus_request_bind(struct vmbus_request *req, u32 relid, u32 key)
{
	req->relid = relid;
	req->key = key;
}

/*
 * The channel and key an answer names, read from the private copy; the
 * dispatch table guaranteed the length of each type.
 */
static void vmbus_answer_ids(u32 type, const void *msg, u32 *relid, u32 *key)
{
	const struct vmbus_channel_open_result *open = msg;
	const struct vmbus_channel_gpadl_created *created = msg;
	const struct vmbus_channel_gpadl_torndown *torndown = msg;
	const struct vmbus_channel_modifychannel_response *modify = msg;

	*relid = 0;
	*key = 0;
	switch (type) {
	case CHANNELMSG_OPENCHANNEL_RESULT:
		*relid = open->child_relid;
		*key = open->openid;
		break;
	case CHANNELMSG_GPADL_CREATED:
		*relid = created->child_relid;
		*key = created->gpadl;
		break;
	case CHANNELMSG_GPADL_TORNDOWN:
		*key = torndown->gpadl;
		break;
	case CHANNELMSG_MODIFYCHANNEL_RESPONSE:
		*relid = modify->child_relid;
		break;
	}
}

static bool vmbus_request_matches(struct vmbus_request *req, u32 type,
				  u32 relid, u32 key)
{
	if (req->resp_type != type || completion_done(&req->done))
		return false;
	/* A TORNDOWN names only the GPADL. */
	if (type != CHANNELMSG_GPADL_TORNDOWN && req->relid != relid)
		return false;
	return req->key == key;
}

/**
 * vmbus_requests_cancel() - fail every request about a rescinded channel
 * @relid: the channel
 *
 * The host answers nothing about a channel once it rescinded it.
 *
 * Context: message work; takes a spinlock.
 */
void vmbus_requests_cancel(u32 relid)
{
	struct vmbus_request *req;

	spin_lock_irq(&vmbus_conn.req_lock);
	list_for_each_entry(req, &vmbus_conn.requests, node) {
		if (req->relid != relid || completion_done(&req->done))
			continue;
		req->status = -ENODEV;
		complete(&req->done);
	}
	spin_unlock_irq(&vmbus_conn.req_lock);
}

/**
 * vmbus_request_add() - list a request before its message is posted
 * @req: the request
 *
 * The answer can arrive before the post returns.  Follow with
 * vmbus_wait_request(), also when posting failed.
 *
 * The caller's own rescind check came before this, so a rescind may have
 * been handled in between: vmbus_requests_cancel() then did not see @req,
 * and the host will not answer it.  The rescind sets the relid's bit in
 * vmbus_conn.rescinded before it takes req_lock to cancel, so under that
 * lock either the cancel finds @req on the list or the bit is seen here
 * and @req completes with -ENODEV at once.
 */
void vmbus_request_add(struct vmbus_request *req)
{
	spin_lock_irq(&vmbus_conn.req_lock);
	list_add_tail(&req->node, &vmbus_conn.requests);
	if (req->relid && req->relid <= VMBUS_MAX_RELID &&
	    test_bit(req->relid, vmbus_conn.rescinded)) {
		req->status = -ENODEV;
		complete(&req->done);
	}
	spin_unlock_irq(&vmbus_conn.req_lock);
}

void vmbus_request_del(struct vmbus_request *req)
{
	spin_lock_irq(&vmbus_conn.req_lock);
	list_del_init(&req->node);
	spin_unlock_irq(&vmbus_conn.req_lock);
}

/**
 * vmbus_post_request() - post a message and wait for its answer
 * @msg: the message
 * @size: its length
 * @req: a request prepared with vmbus_request_init()
 * @timeout_s: how long to wait for the answer
 *
 * Context: process context, may sleep.
 * Return: 0 with the answer in @req, -ETIMEDOUT, -ENODEV if the channel
 * @req is bound to was rescinded, or what vmbus_post_msg() returned.
 */
int vmbus_post_request(void *msg, u32 size, struct vmbus_request *req,
		       unsigned int timeout_s)
{
	int ret;

	vmbus_request_add(req);
	ret = vmbus_post_msg(msg, size);
	if (ret) {
		vmbus_request_del(req);
		return ret;
	}
	return vmbus_wait_request(req, timeout_s);
}

/**
 * vmbus_wait_request() - wait for the answer to a listed request
 * @req: a request added with vmbus_request_add() whose message went out
 * @timeout_s: how long to wait
 *
 * Unlists @req.
 *
 * Context: process context, may sleep.
 * Return: 0, -ETIMEDOUT, or -ENODEV if its channel was rescinded.
 */
int vmbus_wait_request(struct vmbus_request *req, unsigned int timeout_s)
{
	int ret = 0;

	if (!wait_for_completion_timeout(&req->done, timeout_s * HZ))
		ret = -ETIMEDOUT;
	vmbus_request_del(req);
	return ret ?: req->status;
}

/**
 * vmbus_request_complete() - hand a host answer to the request waiting for it
 * @type: the answer's message type
 * @msg: the answer, copied out of the message slot already
 * @len: its length
 *
 * Context: message work; takes a spinlock.
 * Return: false if no request waits for this answer (the host sent a
 * response to a request never made).
 */
bool vmbus_request_complete(u32 type, const void *msg, u32 len)
{
	struct vmbus_request *req;
	bool found = false;
	u32 relid, key;

	vmbus_answer_ids(type, msg, &relid, &key);
	spin_lock_irq(&vmbus_conn.req_lock);
	list_for_each_entry(req, &vmbus_conn.requests, node) {
		if (!vmbus_request_matches(req, type, relid, key))
			continue;
		memcpy(req->resp, msg, len);
		req->resp_len = len;
		complete(&req->done);
		found = true;
		break;
	}
	spin_unlock_irq(&vmbus_conn.req_lock);
	return found;
}

/* One INITIATE_CONTACT; returns 1 if the host accepted @version, 0 if not. */
static int vmbus_try_version(u32 version)
{
	const struct vmbus_hypervisor *hv = vmbus_conn.hv;
	struct vmbus_channel_initiate_contact msg = {
		.header.msgtype = CHANNELMSG_INITIATE_CONTACT,
		.vmbus_version_requested = version,
		.target_vcpu = hv->vp_index(vmbus_conn.connect_cpu),
		.monitor_page1 = virt_to_phys(vmbus_connection.monitor_pages[0]),
		.monitor_page2 = virt_to_phys(vmbus_connection.monitor_pages[1]),
	};
	struct vmbus_channel_version_response *resp;
	struct vmbus_request *req;
	int ret;

	if (version >= VERSION_WIN10_V5) {
		msg.msg_sint = VMBUS_MESSAGE_SINT;
		WRITE_ONCE(vmbus_conn.msg_conn_id, VMBUS_MESSAGE_CONNECTION_ID_4);
	} else {
		msg.interrupt_page = virt_to_phys(vmbus_connection.int_page);
		WRITE_ONCE(vmbus_conn.msg_conn_id, VMBUS_MESSAGE_CONNECTION_ID);
	}

	req = kmalloc(sizeof(*req), GFP_KERNEL);
	if (!req)
		return -ENOMEM;
	vmbus_request_init(req, CHANNELMSG_VERSION_RESPONSE);
	ret = vmbus_post_request(&msg, sizeof(msg), req, VMBUS_VERSION_TIMEOUT_S);
	if (ret == -ECONNREFUSED) {
		/* A host before 5.0: the next version may be its own. */
		pr_info("version %u.%u: the host has no connection id %u\n",
			vmbus_ver_major(version), vmbus_ver_minor(version),
			vmbus_conn.msg_conn_id);
		ret = 0;
		goto out;
	}
	if (ret == -ETIMEDOUT)
		pr_err("no VERSION_RESPONSE from the host for version %u.%u\n",
		       vmbus_ver_major(version), vmbus_ver_minor(version));
	if (ret)
		goto out;

	resp = (void *)req->resp;
	ret = resp->version_supported ? 1 : 0;
	if (ret && version >= VERSION_WIN10_V5) {
		if (req->resp_len < sizeof(*resp)) {
			pr_err("VERSION_RESPONSE for %u.%u lacks the message connection id\n",
			       vmbus_ver_major(version), vmbus_ver_minor(version));
			ret = -EPROTO;
			goto out;
		}
		WRITE_ONCE(vmbus_conn.msg_conn_id, resp->msg_conn_id);
	}
out:
	kfree(req);
	return ret;
}

static int vmbus_negotiate(void)
{
	u32 lowest;
	int i, ret;

	for (i = 0; i < ARRAY_SIZE(vmbus_versions); i++) {
		ret = vmbus_try_version(vmbus_versions[i]);
		if (ret < 0)
			return ret;
		if (ret) {
			WRITE_ONCE(vmbus_conn.version, vmbus_versions[i]);
			vmbus_proto_version = vmbus_versions[i];
			vmbus_connection.msg_conn_id = vmbus_conn.msg_conn_id;
			vmbus_connection.conn_state = CONNECTED;
			return 0;
		}
	}
	lowest = vmbus_versions[ARRAY_SIZE(vmbus_versions) - 1];
	pr_err("no VMBus protocol version in common with the host (guest speaks %u.%u to %u.%u)\n",
	       vmbus_ver_major(lowest), vmbus_ver_minor(lowest),
	       vmbus_ver_major(vmbus_versions[0]), vmbus_ver_minor(vmbus_versions[0]));
	return -EPROTONOSUPPORT;
}

/**
 * vmbus_request_offers_timeout() - REQUEST_OFFERS, then wait for
 *	ALLOFFERS_DELIVERED
 * @timeout_s: how long to wait, in seconds
 *
 * Context: process context, may sleep; connected.
 * Return: 0, -ETIMEDOUT, or the error of the post.
 */
int vmbus_request_offers_timeout(unsigned int timeout_s)
{
	struct vmbus_channel_message_header msg = {
		.msgtype = CHANNELMSG_REQUESTOFFERS,
	};
	int ret;

	reinit_completion(&vmbus_conn.alloffers);
	ret = vmbus_post_msg(&msg, sizeof(msg));
	if (ret)
		return ret;
	if (!wait_for_completion_timeout(&vmbus_conn.alloffers, timeout_s * HZ)) {
		pr_err("no ALLOFFERS_DELIVERED from the host within %u s\n",
		       timeout_s);
		return -ETIMEDOUT;
	}
	return 0;
}

/**
 * vmbus_request_offers() - request the offers of a new connection
 *
 * Context: process context, may sleep; connected.
 * Return: as vmbus_request_offers_timeout().
 */
int vmbus_request_offers(void)
{
	return vmbus_request_offers_timeout(VMBUS_ALLOFFERS_TIMEOUT_S);
}

/**
 * vmbus_connect() - negotiate the protocol version and request the offers
 *
 * Context: process context, may sleep; the SynIC of the connect CPU is up.
 * Return: 0 once ALLOFFERS_DELIVERED arrived; -EPROTONOSUPPORT if host and
 * guest share no version; -ETIMEDOUT if the host did not answer; -EIO if
 * the hypervisor refused a message.
 */
int vmbus_connect(void)
{
	int ret;

	vmbus_connection.conn_state = CONNECTING;
	ret = vmbus_negotiate();
	if (ret) {
		vmbus_connection.conn_state = DISCONNECTED;
		return ret;
	}
	pr_info("Vmbus version:%u.%u\n", vmbus_ver_major(vmbus_conn.version),
		vmbus_ver_minor(vmbus_conn.version));

	ret = vmbus_request_offers();
	if (ret)
		vmbus_disconnect();
	return ret;
}

/**
 * vmbus_reconnect() - contact the host again at the version used before
 * @version: the version of the connection that hibernation ended
 *
 * A resumed guest must speak the protocol its drivers negotiated with, so
 * only @version is tried.  Offers are not requested here.
 *
 * Context: process context, may sleep; the SynIC of the connect CPU is up.
 * Return: 0, -EPROTONOSUPPORT if the host refused @version, -ETIMEDOUT or
 * -EIO.
 */
int vmbus_reconnect(u32 version)
{
	int ret;

	vmbus_connection.conn_state = CONNECTING;
	ret = vmbus_try_version(version);
	if (ret != 1) {
		vmbus_connection.conn_state = DISCONNECTED;
		pr_err("resume: the host did not accept version %u.%u again (%d)\n",
		       vmbus_ver_major(version), vmbus_ver_minor(version), ret);
		return ret ? ret : -EPROTONOSUPPORT;
	}
	WRITE_ONCE(vmbus_conn.version, version);
	vmbus_proto_version = version;
	vmbus_connection.msg_conn_id = vmbus_conn.msg_conn_id;
	vmbus_connection.conn_state = CONNECTED;
	return 0;
}

/**
 * vmbus_disconnect() - send UNLOAD and wait for UNLOAD_RESPONSE
 *
 * Waits at most %VMBUS_UNLOAD_TIMEOUT_S: a host that does not answer must
 * not keep the guest from unloading.
 *
 * Context: process context, may sleep.
 */
void vmbus_disconnect(void)
{
	struct vmbus_channel_message_header msg = {
		.msgtype = CHANNELMSG_UNLOAD,
	};
	struct vmbus_request *req;
	int ret;

	vmbus_connection.conn_state = DISCONNECTING;
	req = kmalloc(sizeof(*req), GFP_KERNEL);
	if (!req) {
		/* Without a request the response is unexpected, but harmless. */
		vmbus_post_msg(&msg, sizeof(msg));
		goto out;
	}
	vmbus_request_init(req, CHANNELMSG_UNLOAD_RESPONSE);
	ret = vmbus_post_request(&msg, sizeof(msg), req, VMBUS_UNLOAD_TIMEOUT_S);
	if (ret == -ETIMEDOUT)
		pr_err("no UNLOAD_RESPONSE from the host within %d s\n",
		       VMBUS_UNLOAD_TIMEOUT_S);
	kfree(req);
out:
	WRITE_ONCE(vmbus_conn.version, 0);
	vmbus_proto_version = 0;
	vmbus_connection.conn_state = DISCONNECTED;
}

/**
 * vmbus_set_event() - HvSignalEvent on a channel's connection id
 * @channel: the channel
 *
 * Context: any.
 */
void vmbus_set_event(struct vmbus_channel *channel)
{
	u64 status;

	/* The crash path ended the connection: the host knows no channel. */
	if (READ_ONCE(vmbus_conn.crash_unload))
		return;
	status = vmbus_conn.hv->signal_event(channel->sig_event, 0);
	if (status != HV_STATUS_SUCCESS)
		pr_warn_ratelimited("relid %u: signalling the host failed: status %llu\n",
				    channel->offermsg.child_relid, status);
}
