// SPDX-License-Identifier: GPL-2.0
/*
 * The channel API drivers call: rings, GPADLs, open and close, sending and
 * receiving packets, request ids, retargeting, signalling the host.
 *
 * Open:  ring pages -> GPADL (GPADL_HEADER + BODY..., wait GPADL_CREATED)
 *        -> callback installed -> OPENCHANNEL, wait OPENCHANNEL_RESULT.
 * Close: callback quiesced -> CLOSECHANNEL -> GPADL_TEARDOWN, wait
 *        GPADL_TORNDOWN -> ring pages freed.
 * A rescinded channel gets no more answers from the host: waiters are
 * completed with -ENODEV by the rescind (vmbus_requests_cancel()), and close
 * sends nothing.
 */
#define pr_fmt(fmt) "hv_vmbus: " fmt

#include <linux/kernel.h>
#include <linux/sched.h>
#include <linux/wait.h>
#include <linux/mm.h>
#include <linux/slab.h>
#include <linux/module.h>
#include <linux/hyperv.h>
#include <linux/uio.h>
#include <linux/interrupt.h>
#include <linux/cpu.h>

#include <asm/sync_bitops.h>
#include <asm/page.h>

#include "hyperv_vmbus.h"

/* Deadlines for the host's answers about a channel, in seconds. */
enum { VMBUS_CHANNEL_TIMEOUT_S = 30 };

/* PFNs that fit after the GPADL header and its range, and in a body. */
#define VMBUS_GPADL_HEADER_PFNS						\
	((HV_MESSAGE_PAYLOAD_BYTE_COUNT -				\
	  sizeof(struct vmbus_channel_gpadl_header) -			\
	  sizeof(struct gpa_range)) / sizeof(u64))
#define VMBUS_GPADL_BODY_PFNS						\
	((HV_MESSAGE_PAYLOAD_BYTE_COUNT -				\
	  sizeof(struct vmbus_channel_gpadl_body)) / sizeof(u64))

static atomic_t vmbus_next_gpadl = ATOMIC_INIT(0xe1e10);

static void *vmbus_gpadl_msg_alloc(u32 size)
{
	return kzalloc(size, GFP_KERNEL);
}

/* GPADL_BODY messages for the PFNs after the header's. */
static int vmbus_gpadl_send_bodies(u32 gpadl, void *kbuffer, u32 pages)
{
	struct vmbus_channel_gpadl_body *body;
	u32 done = VMBUS_GPADL_HEADER_PFNS, n, i;
	int ret = 0;

	body = vmbus_gpadl_msg_alloc(HV_MESSAGE_PAYLOAD_BYTE_COUNT);
	if (!body)
		return -ENOMEM;
	while (done < pages) {
		n = min_t(u32, pages - done, VMBUS_GPADL_BODY_PFNS);
		body->header.msgtype = CHANNELMSG_GPADL_BODY;
		body->gpadl = gpadl;
		for (i = 0; i < n; i++)
			body->pfn[i] = virt_to_hvpfn(kbuffer + (u64)(done + i) * PAGE_SIZE);
		ret = vmbus_post_msg(body, sizeof(*body) + n * sizeof(u64));
		if (ret)
			break;
		done += n;
	}
	kfree(body);
	return ret;
}

static int vmbus_gpadl_create(struct vmbus_channel *ch, void *kbuffer, u32 size,
			      u32 gpadl)
{
	u32 pages = size >> PAGE_SHIFT, n = min_t(u32, pages, VMBUS_GPADL_HEADER_PFNS);
	struct vmbus_channel_gpadl_created *created;
	struct vmbus_channel_gpadl_header *hdr;
	struct vmbus_request *req;
	u32 i, len;
	int ret;

	len = sizeof(*hdr) + sizeof(struct gpa_range) + n * sizeof(u64);
	hdr = vmbus_gpadl_msg_alloc(len);
	req = kmalloc(sizeof(*req), GFP_KERNEL);
	if (!hdr || !req) {
		ret = -ENOMEM;
		goto out;
	}
	hdr->header.msgtype = CHANNELMSG_GPADL_HEADER;
	hdr->child_relid = ch->offermsg.child_relid;
	hdr->gpadl = gpadl;
	hdr->rangecount = 1;
	hdr->range_buflen = sizeof(struct gpa_range) + pages * sizeof(u64);
	hdr->range[0].byte_count = size;
	hdr->range[0].byte_offset = 0;
	for (i = 0; i < n; i++)
		hdr->range[0].pfn_array[i] = virt_to_hvpfn(kbuffer + (u64)i * PAGE_SIZE);

	vmbus_request_init(req, CHANNELMSG_GPADL_CREATED);
	vmbus_request_bind(req, ch->offermsg.child_relid, gpadl);
	/* Listed before the header goes out; answered after the last body. */
	vmbus_request_add(req);
	ret = vmbus_post_msg(hdr, len);
	if (!ret && pages > n)
		ret = vmbus_gpadl_send_bodies(gpadl, kbuffer, pages);
	if (ret) {
		vmbus_request_del(req);
		goto out;
	}
	ret = vmbus_wait_request(req, VMBUS_CHANNEL_TIMEOUT_S);
	if (ret)
		goto out;
	created = (void *)req->resp;
	if (created->creation_status) {
		pr_err("relid %u: host refused GPADL %u: status %#x\n",
		       ch->offermsg.child_relid, gpadl, created->creation_status);
		ret = -EIO;
	}
out:
	kfree(req);
	kfree(hdr);
	return ret;
}

/**
 * vmbus_establish_gpadl() - share a buffer with the host
 * @channel: the channel the GPADL belongs to
 * @kbuffer: page-aligned, physically contiguous buffer
 * @size: its size, a multiple of PAGE_SIZE
 * @gpadl: filled in with the handle; pass it to vmbus_teardown_gpadl()
 *
 * Context: process context, may sleep (waits for the host).
 * Return: 0; -EINVAL for a bad buffer; -ENODEV if the channel was rescinded;
 * -EIO if the host refused; -ETIMEDOUT; -ENOMEM.
 */
int vmbus_establish_gpadl(struct vmbus_channel *channel, void *kbuffer,
			  u32 size, struct vmbus_gpadl *gpadl)
{
	u32 handle;
	int ret;

	if (!size || !PAGE_ALIGNED(size) || !PAGE_ALIGNED(kbuffer))
		return -EINVAL;
	if (READ_ONCE(channel->rescind))
		return -ENODEV;
	handle = atomic_inc_return(&vmbus_next_gpadl);
	ret = vmbus_gpadl_create(channel, kbuffer, size, handle);
	if (ret)
		return ret;
	gpadl->gpadl_handle = handle;
	gpadl->size = size;
	gpadl->buffer = kbuffer;
	gpadl->decrypted = false;
	return 0;
}

/**
 * vmbus_teardown_gpadl() - stop sharing a buffer with the host
 * @channel: the channel the GPADL belongs to
 * @gpadl: what vmbus_establish_gpadl() filled in; cleared here
 *
 * On a rescinded channel nothing is sent: the host already forgot it.
 *
 * Context: process context, may sleep (waits for the host).
 * Return: 0, or -ETIMEDOUT / -EIO if the host did not confirm (the buffer
 * must then not be reused for anything the host could see).
 */
int vmbus_teardown_gpadl(struct vmbus_channel *channel, struct vmbus_gpadl *gpadl)
{
	struct vmbus_channel_gpadl_teardown msg = {
		.header.msgtype = CHANNELMSG_GPADL_TEARDOWN,
		.child_relid = channel->offermsg.child_relid,
		.gpadl = gpadl->gpadl_handle,
	};
	struct vmbus_request *req;
	int ret = 0;

	if (!gpadl->gpadl_handle)
		return 0;
	if (!READ_ONCE(channel->rescind) && READ_ONCE(vmbus_conn.version)) {
		req = kmalloc(sizeof(*req), GFP_KERNEL);
		if (!req)
			return -ENOMEM;
		vmbus_request_init(req, CHANNELMSG_GPADL_TORNDOWN);
		vmbus_request_bind(req, msg.child_relid, msg.gpadl);
		ret = vmbus_post_request(&msg, sizeof(msg), req,
					 VMBUS_CHANNEL_TIMEOUT_S);
		kfree(req);
		/* Rescinded meanwhile: the host tore it down itself. */
		if (ret == -ENODEV)
			ret = 0;
	}
	if (ret)
		pr_err("relid %u: GPADL %u teardown failed: %d\n",
		       msg.child_relid, msg.gpadl, ret);
	gpadl->gpadl_handle = 0;
	return ret;
}

/**
 * vmbus_alloc_ring() - allocate and map a channel's two rings
 * @channel: a channel that is not open
 * @send_size: outbound ring size in bytes, header page included
 * @recv_size: inbound ring size in bytes, header page included
 *
 * Context: process context, may sleep.
 * Return: 0, -EINVAL for sizes that are not page multiples, -ENOMEM.
 */
int vmbus_alloc_ring(struct vmbus_channel *channel, u32 send_size,
		     u32 recv_size)
{
	u32 send_pages = send_size >> PAGE_SHIFT, recv_pages = recv_size >> PAGE_SHIFT;
	u32 max_pkt = channel->max_pkt_size ?: VMBUS_DEFAULT_MAX_PKT_SIZE;
	struct page *page;
	int ret;

	if (!PAGE_ALIGNED(send_size) || !PAGE_ALIGNED(recv_size) ||
	    send_pages < 2 || recv_pages < 2)
		return -EINVAL;
	page = alloc_pages(GFP_KERNEL | __GFP_ZERO,
			   get_order(send_size + recv_size));
	if (!page)
		return -ENOMEM;
	channel->ringbuffer_page = page;
	channel->ringbuffer_pagecount = send_pages + recv_pages;
	channel->ringbuffer_send_offset = send_pages;

	ret = hv_ringbuffer_init(&channel->outbound, page, send_pages, max_pkt);
	if (ret)
		goto err_free_pages;
	ret = hv_ringbuffer_init(&channel->inbound, page + send_pages,
				 recv_pages, max_pkt);
	if (ret)
		goto err_cleanup_out;
	return 0;

err_cleanup_out:
	hv_ringbuffer_cleanup(&channel->outbound);
err_free_pages:
	__free_pages(page, get_order(send_size + recv_size));
	channel->ringbuffer_page = NULL;
	return ret;
}

/**
 * vmbus_free_ring() - free what vmbus_alloc_ring() allocated
 * @channel: a channel that is closed
 *
 * Ring pages the host may still map (see vmbus_ring_host_held()) are
 * leaked instead: counted in the rings_leaked stat, with a rate-limited
 * warning.  Only the guest's own mapping of them goes.
 *
 * Context: process context, may sleep.
 */
void vmbus_free_ring(struct vmbus_channel *channel)
{
	hv_ringbuffer_cleanup(&channel->outbound);
	hv_ringbuffer_cleanup(&channel->inbound);
	if (!channel->ringbuffer_page)
		return;
	if (test_and_clear_bit(VMBUS_CHAN_RING_HOST_HELD,
			       &to_vmbus_chan(channel)->flags)) {
		vmbus_stat_inc(VMBUS_STAT_RINGS_LEAKED);
		pr_warn_ratelimited("relid %u: the host may still use the ring: %u pages leaked\n",
				    channel->offermsg.child_relid,
				    channel->ringbuffer_pagecount);
	} else {
		__free_pages(channel->ringbuffer_page,
			     get_order(channel->ringbuffer_pagecount << PAGE_SHIFT));
	}
	channel->ringbuffer_page = NULL;
}

/**
 * vmbus_ring_host_held() - note that the host may still map the rings
 * @ch: the channel
 * @err: how the host's answer failed: what a request or post returned
 *
 * A wait that timed out or ended in a rescind got no answer, so the host
 * may have acted on the request (created the GPADL, opened the channel);
 * a CLOSECHANNEL or GPADL_TEARDOWN that was not delivered or not answered
 * leaves the rings mapped.  Either way vmbus_free_ring() must not give the
 * pages back.  A refusal (-EIO) or a post the host never took needs none of
 * this, except in teardown, where the caller passes any error.
 */
static void vmbus_ring_host_held(struct vmbus_channel *ch, int err)
{
	if (err)
		set_bit(VMBUS_CHAN_RING_HOST_HELD, &to_vmbus_chan(ch)->flags);
}

/* A request's error that leaves the host's side unknown. */
static int vmbus_unanswered(int err)
{
	return err == -ETIMEDOUT || err == -ENODEV ? err : 0;
}

static void vmbus_rqstor_free(struct vmbus_channel *ch)
{
	struct vmbus_requestor *rq = &ch->requestor;

	vmbus_tids_free(ch);
	kfree(rq->req_arr);
	bitmap_free(rq->req_bitmap);
	rq->req_arr = NULL;
	rq->req_bitmap = NULL;
	rq->size = 0;
}

static int vmbus_rqstor_alloc(struct vmbus_channel *ch)
{
	struct vmbus_requestor *rq = &ch->requestor;
	u32 i, size = ch->rqstor_size;

	spin_lock_init(&rq->req_lock);
	if (!size) {
		vmbus_tids_alloc(ch);
		return 0;
	}
	rq->req_arr = kcalloc(size, sizeof(u64), GFP_KERNEL);
	rq->req_bitmap = bitmap_zalloc(size, GFP_KERNEL);
	if (!rq->req_arr || !rq->req_bitmap) {
		vmbus_rqstor_free(ch);
		return -ENOMEM;
	}
	/* Free slots are chained: req_arr[i] is the next free slot. */
	for (i = 0; i < size; i++)
		rq->req_arr[i] = i + 1;
	rq->size = size;
	rq->next_request_id = 0;
	return 0;
}

/**
 * vmbus_next_request_id() - map a request address to a fresh id
 * @channel: the channel
 * @rqst_addr: the caller's cookie
 *
 * Channels without a requestor use the address itself.  The write path
 * calls this through channel->next_request_id_callback for packets that
 * request a completion; drivers that use the requestor set that callback
 * to this function.
 *
 * Context: any; serialized by the outbound ring lock or the requestor lock.
 * Return: the id (slot + 1), or VMBUS_RQST_ERROR if every slot is in use.
 */
u64 vmbus_next_request_id(struct vmbus_channel *channel, u64 rqst_addr)
{
	struct vmbus_requestor *rq = &channel->requestor;
	unsigned long flags;
	u64 slot;

	/*
	 * Never call channel->next_request_id_callback here: drivers that use
	 * the requestor install this very function as that callback.
	 */
	if (!rq->size)
		return rqst_addr;
	spin_lock_irqsave(&rq->req_lock, flags);
	slot = rq->next_request_id;
	if (slot >= rq->size) {
		spin_unlock_irqrestore(&rq->req_lock, flags);
		return VMBUS_RQST_ERROR;
	}
	rq->next_request_id = rq->req_arr[slot];
	rq->req_arr[slot] = rqst_addr;
	__set_bit(slot, rq->req_bitmap);
	spin_unlock_irqrestore(&rq->req_lock, flags);
	return slot + 1;
}

/**
 * __vmbus_request_addr_match() - look up and free a request id
 * @channel: the channel
 * @trans_id: the id from the host's answer (untrusted)
 * @rqst_addr: the address it must map to, or VMBUS_RQST_ADDR_ANY
 *
 * Context: the caller holds the requestor lock.
 * Return: the request address, or VMBUS_RQST_ERROR for an id that is out
 * of range, not in use, or not mapped to @rqst_addr.
 */
u64 __vmbus_request_addr_match(struct vmbus_channel *channel, u64 trans_id,
			       u64 rqst_addr)
{
	struct vmbus_requestor *rq = &channel->requestor;
	u64 slot = trans_id - 1, addr;

	lockdep_assert_held(&rq->req_lock);
	if (!rq->size)
		return trans_id;
	if (trans_id == 0 || slot >= rq->size || !test_bit(slot, rq->req_bitmap))
		return VMBUS_RQST_ERROR;
	addr = rq->req_arr[slot];
	if (rqst_addr != VMBUS_RQST_ADDR_ANY && addr != rqst_addr)
		return VMBUS_RQST_ERROR;
	__clear_bit(slot, rq->req_bitmap);
	rq->req_arr[slot] = rq->next_request_id;
	rq->next_request_id = slot;
	return addr;
}

/**
 * vmbus_request_addr_match() - look up and free a request id
 * @channel: the channel
 * @trans_id: the id from the host's answer (untrusted)
 * @rqst_addr: the address it must map to, or VMBUS_RQST_ADDR_ANY
 *
 * Context: any; takes the requestor lock.
 * Return: as __vmbus_request_addr_match().
 */
u64 vmbus_request_addr_match(struct vmbus_channel *channel, u64 trans_id,
			     u64 rqst_addr)
{
	struct vmbus_requestor *rq = &channel->requestor;
	unsigned long flags;
	u64 addr;

	spin_lock_irqsave(&rq->req_lock, flags);
	addr = __vmbus_request_addr_match(channel, trans_id, rqst_addr);
	spin_unlock_irqrestore(&rq->req_lock, flags);
	return addr;
}

/**
 * vmbus_request_addr() - look up and free a request id, any address
 * @channel: the channel
 * @trans_id: the id from the host's answer (untrusted)
 *
 * Context: any.
 * Return: as __vmbus_request_addr_match().
 */
u64 vmbus_request_addr(struct vmbus_channel *channel, u64 trans_id)
{
	return vmbus_request_addr_match(channel, trans_id, VMBUS_RQST_ADDR_ANY);
}

/* Quiesce the callback: after this no CPU runs it for this channel. */
static void vmbus_reset_cb(struct vmbus_channel *ch)
{
	unsigned long flags;

	tasklet_disable(&ch->callback_event);
	/* Pairs with vmbus_chan_deliver() (vmbus_event.c), under sched_lock. */
	spin_lock_irqsave(&ch->sched_lock, flags);
	WRITE_ONCE(ch->onchannel_callback, NULL);
	spin_unlock_irqrestore(&ch->sched_lock, flags);
	tasklet_enable(&ch->callback_event);
}

static int vmbus_send_open(struct vmbus_channel *ch, void *userdata, u32 len)
{
	struct vmbus_channel_open_channel msg = {
		.header.msgtype = CHANNELMSG_OPENCHANNEL,
		.child_relid = ch->offermsg.child_relid,
		.openid = ch->offermsg.child_relid,
		.ringbuffer_gpadlhandle = ch->ringbuffer_gpadlhandle.gpadl_handle,
		.target_vp = vmbus_conn.hv->vp_index(ch->target_cpu),
		.downstream_ringbuffer_pageoffset = ch->ringbuffer_send_offset,
	};
	struct vmbus_channel_open_result *res;
	struct vmbus_request *req;
	int ret;

	if (len > MAX_USER_DEFINED_BYTES)
		return -EINVAL;
	if (len)
		memcpy(msg.userdata, userdata, len);
	req = kmalloc(sizeof(*req), GFP_KERNEL);
	if (!req)
		return -ENOMEM;
	vmbus_request_init(req, CHANNELMSG_OPENCHANNEL_RESULT);
	vmbus_request_bind(req, msg.child_relid, msg.openid);
	ret = vmbus_post_request(&msg, sizeof(msg), req, VMBUS_CHANNEL_TIMEOUT_S);
	if (!ret) {
		res = (void *)req->resp;
		if (res->status) {
			pr_err("relid %u: host refused to open: status %#x\n",
			       msg.child_relid, res->status);
			ret = -EIO;
		}
	}
	kfree(req);
	return ret;
}

/**
 * vmbus_connect_ring() - open a channel whose rings are allocated
 * @channel: the channel, rings from vmbus_alloc_ring()
 * @onchannel_callback: called when the host signals the channel
 * @context: its argument
 *
 * Context: process context, may sleep (waits for the host).
 * Return: 0; -EINVAL if the channel is not closed; -ENODEV if it was
 * rescinded; -EIO if the host refused; -ETIMEDOUT; -ENOMEM.
 */
int vmbus_connect_ring(struct vmbus_channel *channel,
		       void (*onchannel_callback)(void *context), void *context)
{
	return vmbus_open_rings(channel, NULL, 0, onchannel_callback, context);
}

/**
 * vmbus_open_rings() - the common part of vmbus_open() and vmbus_connect_ring()
 * @ch: the channel, rings allocated
 * @userdata: offer-specific data for the host, or NULL
 * @userdatalen: its length, at most MAX_USER_DEFINED_BYTES
 * @cb: the channel callback
 * @context: its argument
 *
 * Context: process context, may sleep.
 * Return: as vmbus_connect_ring().
 */
int vmbus_open_rings(struct vmbus_channel *ch, void *userdata, u32 userdatalen,
		     void (*cb)(void *context), void *context)
{
	int ret;

	if (ch->state != CHANNEL_OFFER_STATE || !ch->ringbuffer_page)
		return -EINVAL;
	if (READ_ONCE(ch->rescind))
		return -ENODEV;
	ret = vmbus_rqstor_alloc(ch);
	if (ret)
		return ret;
	hv_ringbuffer_reset(&ch->outbound);
	hv_ringbuffer_reset(&ch->inbound);
	to_vmbus_chan(ch)->in_unchecked = false;
	to_vmbus_chan(ch)->in_pub = 0;
	to_vmbus_chan(ch)->out_write = 0;
	ret = vmbus_establish_gpadl(ch, page_address(ch->ringbuffer_page),
				    ch->ringbuffer_pagecount << PAGE_SHIFT,
				    &ch->ringbuffer_gpadlhandle);
	if (ret) {
		vmbus_ring_host_held(ch, vmbus_unanswered(ret));
		goto err_free_rqstor;
	}

	/* Installed before OPENCHANNEL: the host may signal before answering. */
	ch->channel_callback_context = context;
	WRITE_ONCE(ch->onchannel_callback, cb);
	/*
	 * A CPU may have gone offline since the offer placed the channel
	 * there.  Once OPENING, the channel holds its CPU online
	 * (vmbus_synic_offline() refuses), so OPENCHANNEL names a CPU whose
	 * SynIC is enabled.
	 */
	cpus_read_lock();
	if (!cpu_online(ch->target_cpu))
		WRITE_ONCE(ch->target_cpu, vmbus_conn.connect_cpu);
	ch->state = CHANNEL_OPENING_STATE;
	cpus_read_unlock();
	ret = vmbus_send_open(ch, userdata, userdatalen);
	if (ret)
		goto err_reset_cb;
	ch->state = CHANNEL_OPENED_STATE;
	return 0;

err_reset_cb:
	vmbus_ring_host_held(ch, vmbus_unanswered(ret));
	vmbus_reset_cb(ch);
	ch->state = CHANNEL_OFFER_STATE;
	vmbus_ring_host_held(ch, vmbus_teardown_gpadl(ch, &ch->ringbuffer_gpadlhandle));
err_free_rqstor:
	vmbus_rqstor_free(ch);
	return ret;
}

/**
 * vmbus_open() - allocate a channel's rings and open it
 * @channel: the channel
 * @send_ringbuffer_size: outbound ring size, a multiple of PAGE_SIZE
 * @recv_ringbuffer_size: inbound ring size, a multiple of PAGE_SIZE
 * @userdata: offer-specific data for the host, or NULL
 * @userdatalen: its length
 * @onchannel_callback: called when the host signals the channel
 * @context: its argument
 *
 * Context: process context, may sleep.
 * Return: as vmbus_connect_ring(), or the error of vmbus_alloc_ring().
 */
int vmbus_open(struct vmbus_channel *channel, u32 send_ringbuffer_size,
	       u32 recv_ringbuffer_size, void *userdata, u32 userdatalen,
	       void (*onchannel_callback)(void *context), void *context)
{
	int ret;

	ret = vmbus_alloc_ring(channel, send_ringbuffer_size,
			       recv_ringbuffer_size);
	if (ret)
		return ret;
	ret = vmbus_open_rings(channel, userdata, userdatalen,
			       onchannel_callback, context);
	if (ret)
		vmbus_free_ring(channel);
	return ret;
}

static int vmbus_send_close(struct vmbus_channel *ch)
{
	struct vmbus_channel_close_channel *msg = &ch->close_msg.msg;
	int ret;

	memset(msg, 0, sizeof(*msg));
	msg->header.msgtype = CHANNELMSG_CLOSECHANNEL;
	msg->child_relid = ch->offermsg.child_relid;
	ret = vmbus_post_msg(msg, sizeof(*msg));
	if (ret)
		pr_err("relid %u: CLOSECHANNEL not delivered\n",
		       msg->child_relid);
	return ret;
}

/* Close one channel; a rescinded sub-channel is freed afterwards. */
static int vmbus_close_one(struct vmbus_channel *ch)
{
	bool rescinded = READ_ONCE(ch->rescind);
	int ret;

	if (ch->state != CHANNEL_OPENED_STATE)
		return -EINVAL;
	vmbus_reset_cb(ch);
	ch->state = CHANNEL_OFFER_STATE;
	if (!rescinded && READ_ONCE(vmbus_conn.version))
		vmbus_ring_host_held(ch, vmbus_send_close(ch));
	ret = vmbus_teardown_gpadl(ch, &ch->ringbuffer_gpadlhandle);
	vmbus_ring_host_held(ch, ret);
	vmbus_rqstor_free(ch);
	if (test_and_clear_bit(VMBUS_CHAN_REMOVE_ON_CLOSE,
			       &to_vmbus_chan(ch)->flags))
		queue_work(vmbus_chan_wq(ch), &to_vmbus_chan(ch)->destroy_work);
	return ret;
}

/*
 * An open sub-channel of @primary, with a reference so that its memory
 * stays while it is closed outside the channel mutex (a rescinded one is
 * destroyed as it closes), or NULL when none is open.
 */
static struct vmbus_chan *vmbus_open_subchannel_get(struct vmbus_channel *primary)
{
	struct vmbus_chan *found = NULL;
	struct vmbus_channel *sc;

	mutex_lock(&vmbus_connection.channel_mutex);
	list_for_each_entry(sc, &primary->sc_list, sc_list) {
		if (sc->state == CHANNEL_OPENED_STATE) {
			found = to_vmbus_chan(sc);
			kref_get(&found->ref);
			break;
		}
	}
	mutex_unlock(&vmbus_connection.channel_mutex);
	return found;
}

/**
 * vmbus_disconnect_ring() - close a primary channel and its sub-channels
 * @channel: the primary channel
 *
 * The rings stay allocated (see vmbus_free_ring()).
 *
 * Context: process context, may sleep.
 * Return: 0, -EINVAL for a sub-channel or a channel that is not open, or
 * the error of the GPADL teardown.
 */
int vmbus_disconnect_ring(struct vmbus_channel *channel)
{
	struct vmbus_chan *vc;

	if (channel->primary_channel)
		return -EINVAL;
	/* Closing waits for the host, so it cannot hold the channel mutex. */
	while ((vc = vmbus_open_subchannel_get(channel))) {
		vmbus_close_one(&vc->ch);
		vmbus_free_ring(&vc->ch);
		vmbus_chan_put(vc);
	}
	return vmbus_close_one(channel);
}

/**
 * vmbus_close() - close a channel and free its rings
 * @channel: the channel; for a primary, its open sub-channels close too
 *
 * Context: process context, may sleep.
 */
void vmbus_close(struct vmbus_channel *channel)
{
	struct vmbus_chan *vc = to_vmbus_chan(channel);

	/*
	 * A rescinded sub-channel is destroyed by a work item queued as it
	 * closes: its memory must stay until its rings are freed here.
	 */
	kref_get(&vc->ref);
	if (channel->primary_channel)
		vmbus_close_one(channel);
	else
		vmbus_disconnect_ring(channel);
	vmbus_free_ring(channel);
	vmbus_chan_put(vc);
}

/**
 * vmbus_sendpacket_getid() - send a packet and report its transaction id
 * @channel: an open channel
 * @buffer: the payload
 * @bufferlen: its length
 * @requestid: the caller's cookie (VMBUS_NO_RQSTOR: none)
 * @trans_id: if not NULL, set to the id the host will echo
 * @type: VM_PKT_* type
 * @flags: VMBUS_DATA_PACKET_FLAG_* flags
 *
 * Context: any.
 * Return: 0, -EAGAIN if the ring is full, -ENODEV if rescinded, -EIO if
 * broken.
 */
int vmbus_sendpacket_getid(struct vmbus_channel *channel, void *buffer,
			   u32 bufferlen, u64 requestid, u64 *trans_id,
			   enum vmbus_packet_type type, u32 flags)
{
	u32 len = sizeof(struct vmpacket_descriptor) + bufferlen;
	struct vmpacket_descriptor desc = {
		.type = type,
		.flags = flags,
		.offset8 = sizeof(struct vmpacket_descriptor) >> 3,
		.len8 = ALIGN(len, 8) >> 3,
		.trans_id = VMBUS_RQST_ERROR,
	};
	struct kvec kv[2] = {
		{ .iov_base = &desc, .iov_len = sizeof(desc) },
		{ .iov_base = buffer, .iov_len = bufferlen },
	};

	return hv_ringbuffer_write(channel, kv, bufferlen ? 2 : 1, requestid,
				   trans_id);
}

/**
 * vmbus_sendpacket() - send a packet
 * @channel: an open channel
 * @buffer: the payload
 * @bufferlen: its length
 * @requestid: the caller's cookie
 * @type: VM_PKT_* type
 * @flags: VMBUS_DATA_PACKET_FLAG_* flags
 *
 * Context: any.
 * Return: as vmbus_sendpacket_getid().
 */
int vmbus_sendpacket(struct vmbus_channel *channel, void *buffer,
		     u32 bufferlen, u64 requestid,
		     enum vmbus_packet_type type, u32 flags)
{
	return vmbus_sendpacket_getid(channel, buffer, bufferlen, requestid,
				      NULL, type, flags);
}

/**
 * vmbus_sendpacket_mpb_desc() - send a packet with a multi-page buffer
 * @channel: an open channel
 * @desc: the packet descriptor; the caller fills in rangecount and the
 *	  page ranges (one or more)
 * @desc_size: its size
 * @buffer: the inline payload
 * @bufferlen: its length
 * @requestid: the caller's cookie
 *
 * Context: any.
 * Return: as vmbus_sendpacket_getid().
 */
int vmbus_sendpacket_mpb_desc(struct vmbus_channel *channel,
			      struct vmbus_packet_mpb_array *desc,
			      u32 desc_size, void *buffer, u32 bufferlen,
			      u64 requestid)
{
	u32 len = desc_size + bufferlen;
	struct kvec kv[2] = {
		{ .iov_base = desc, .iov_len = desc_size },
		{ .iov_base = buffer, .iov_len = bufferlen },
	};

	desc->type = VM_PKT_DATA_USING_GPA_DIRECT;
	desc->flags = VMBUS_DATA_PACKET_FLAG_COMPLETION_REQUESTED;
	desc->dataoffset8 = desc_size >> 3;
	desc->length8 = (u16)(ALIGN(len, 8) >> 3);
	desc->transactionid = VMBUS_RQST_ERROR;
	desc->reserved = 0;
	/* The caller filled in rangecount and the ranges: several are valid. */
	return hv_ringbuffer_write(channel, kv, 2, requestid, NULL);
}

/**
 * vmbus_recvpacket() - copy the next packet's payload out
 * @channel: an open channel
 * @buffer: where it goes
 * @bufferlen: room in @buffer
 * @buffer_actual_len: set to the payload length (0: no packet)
 * @requestid: set to the packet's transaction id
 *
 * Context: the channel's reader.
 * Return: 0, -ENOBUFS if @buffer is too small, -EIO if the channel broke.
 */
int vmbus_recvpacket(struct vmbus_channel *channel, void *buffer,
		     u32 bufferlen, u32 *buffer_actual_len, u64 *requestid)
{
	return hv_ringbuffer_read(channel, buffer, bufferlen,
				  buffer_actual_len, requestid, false);
}

/**
 * vmbus_recvpacket_raw() - copy the next packet out, descriptor included
 * @channel: an open channel
 * @buffer: where it goes
 * @bufferlen: room in @buffer
 * @buffer_actual_len: set to the packet length (0: no packet)
 * @requestid: set to the packet's transaction id
 *
 * Context: the channel's reader.
 * Return: as vmbus_recvpacket().
 */
int vmbus_recvpacket_raw(struct vmbus_channel *channel, void *buffer,
			 u32 bufferlen, u32 *buffer_actual_len, u64 *requestid)
{
	return hv_ringbuffer_read(channel, buffer, bufferlen,
				  buffer_actual_len, requestid, true);
}

/**
 * vmbus_send_modifychannel() - move a channel's interrupts to another VP
 * @channel: an open channel
 * @target_vp: the VP index
 *
 * From protocol 5.3 the host confirms with MODIFYCHANNEL_RESPONSE; before
 * that one more interrupt may still arrive on the old VP.
 *
 * Context: process context, may sleep.
 * Return: 0; -EINVAL before protocol 4.1; -EIO if the host refused;
 * -ETIMEDOUT; -ENODEV if the channel was rescinded.
 */
int vmbus_send_modifychannel(struct vmbus_channel *channel, u32 target_vp)
{
	struct vmbus_channel_modifychannel msg = {
		.header.msgtype = CHANNELMSG_MODIFYCHANNEL,
		.child_relid = channel->offermsg.child_relid,
		.target_vp = target_vp,
	};
	struct vmbus_channel_modifychannel_response *resp;
	struct vmbus_request *req;
	int ret;

	if (vmbus_proto_version < VERSION_WIN10_V4_1)
		return -EINVAL;
	if (vmbus_proto_version < VERSION_WIN10_V5_3)
		return vmbus_post_msg(&msg, sizeof(msg));
	req = kmalloc(sizeof(*req), GFP_KERNEL);
	if (!req)
		return -ENOMEM;
	vmbus_request_init(req, CHANNELMSG_MODIFYCHANNEL_RESPONSE);
	vmbus_request_bind(req, msg.child_relid, 0);
	ret = vmbus_post_request(&msg, sizeof(msg), req, VMBUS_CHANNEL_TIMEOUT_S);
	if (!ret) {
		resp = (void *)req->resp;
		if (resp->status) {
			pr_err("relid %u: host refused to retarget to VP %u: status %#x\n",
			       msg.child_relid, target_vp, resp->status);
			ret = -EIO;
		}
	}
	kfree(req);
	return ret;
}

/**
 * vmbus_chan_move() - move a channel's interrupts to another CPU
 * @ch: the channel
 * @cpu: the new target CPU
 *
 * An open channel is moved with MODIFYCHANNEL; a closed one only records
 * the CPU for its next open; only an online CPU is taken.  Events that
 * still arrive on the old CPU are delivered there (the ISR scans whichever
 * CPU was interrupted), so none is lost.  A channel still opening is not
 * moved: its OPENCHANNEL named the old CPU, and only a MODIFYCHANNEL after
 * the open could change that.  The callers, the CPU hotplug path
 * (vmbus_drv.c) and the channel's cpu file (vmbus_sysfs.c), hold the
 * hotplug lock already.
 *
 * Context: process context, may sleep; the CPU hotplug lock is held.
 * Return: 0; -EINVAL if @cpu is offline; -EIO for an open channel below
 * protocol 4.1; -EBUSY while the channel opens; or the error of
 * vmbus_send_modifychannel().
 */
int vmbus_chan_move(struct vmbus_channel *ch, unsigned int cpu)
{
	int ret = 0;

	if (!cpu_online(cpu))
		return -EINVAL;
	if (cpu == READ_ONCE(ch->target_cpu))
		return 0;
	if (ch->state == CHANNEL_OPENING_STATE)
		return -EBUSY;
	if (ch->state == CHANNEL_OPENED_STATE) {
		if (vmbus_proto_version < VERSION_WIN10_V4_1)
			return -EIO;
		ret = vmbus_send_modifychannel(ch, vmbus_conn.hv->vp_index(cpu));
	}
	if (!ret)
		WRITE_ONCE(ch->target_cpu, cpu);
	return ret;
}
