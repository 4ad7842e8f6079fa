// SPDX-License-Identifier: GPL-2.0
/*
 * Host message dispatch, and the channel offer / rescind state machine.
 *
 * One table indexed by message type says who handles a message; whether
 * the guest accepts the type at all and how long it must at least be is
 * vmbus_msg_check() in msg_check.c.  Every message handed in here is a
 * private copy; nothing is read from shared memory any more.
 *
 * Offers and rescinds are handled in two steps.  The message work (which
 * must never wait for the host, since the host's answers arrive through it)
 * validates the message, allocates or marks the channel and updates the
 * relid map; then it queues the part that may block - registering or
 * removing the device, which runs driver probe / remove - on the ordered
 * offer_wq.  Because offer_wq is ordered, a channel's rescind work always
 * runs after its add work.
 */
#define pr_fmt(fmt) "hv_vmbus: " fmt

#include <linux/build_bug.h>
#include <linux/cpu.h>
#include <linux/cpumask.h>
#include <linux/delay.h>
#include <linux/interrupt.h>
#include <linux/kobject.h>
#include <linux/ratelimit.h>
#include <linux/slab.h>
#include <linux/smp.h>
#include <linux/workqueue.h>

#include <linux/hyperv/vmbus_tl.h>

#include "hyperv_vmbus.h"

/**
 * struct vmbus_msg_handler - how one host message type is handled
 * @handle: the handler; called from the message work, must not wait for
 *	the host.  The message is at least vmbus_msg_min_len() of its type
 *	long (msg_check.c).
 */
struct vmbus_msg_handler {
	void (*handle)(const struct vmbus_channel_message_header *hdr, u32 len);
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

/* Known device classes; the index of the last entry means unknown. */
const struct vmbus_device vmbus_devs[] = {
	{ .dev_type = HV_IDE,		HV_IDE_GUID,		.perf_device = true },
	{ .dev_type = HV_SCSI,		HV_SCSI_GUID,		.perf_device = true },
	{ .dev_type = HV_FC,		HV_SYNTHFC_GUID,	.perf_device = true },
	{ .dev_type = HV_NIC,		HV_NIC_GUID,		.perf_device = true },
	{ .dev_type = HV_ND,		HV_ND_GUID,		.perf_device = true },
	{ .dev_type = HV_PCIE,		HV_PCIE_GUID,		.perf_device = false },
	{ .dev_type = HV_FB,		HV_SYNTHVID_GUID,	.perf_device = false },
	{ .dev_type = HV_KBD,		HV_KBD_GUID,		.perf_device = false },
	{ .dev_type = HV_MOUSE,		HV_MOUSE_GUID,		.perf_device = false },
	{ .dev_type = HV_KVP,		HV_KVP_GUID,		.perf_device = false },
	{ .dev_type = HV_TS,		HV_TS_GUID,		.perf_device = false },
	{ .dev_type = HV_HB,		HV_HEART_BEAT_GUID,	.perf_device = false },
	{ .dev_type = HV_SHUTDOWN,	HV_SHUTDOWN_GUID,	.perf_device = false },
	{ .dev_type = HV_FCOPY,		HV_FCOPY_GUID,		.perf_device = false },
	{ .dev_type = HV_BACKUP,	HV_VSS_GUID,		.perf_device = false },
	{ .dev_type = HV_DM,		HV_DM_GUID,		.perf_device = false },
	{ .dev_type = HV_UNKNOWN },
};

/**
 * vmbus_dev_type_id() - the device type of a class GUID
 * @class: the offer's interface type
 *
 * Return: an enum vmbus_dev_type value, %HV_UNKNOWN for other classes.
 */
u16 vmbus_dev_type_id(const guid_t *class)
{
	int i;

	for (i = 0; i < HV_UNKNOWN; i++)
		if (guid_equal(&vmbus_devs[i].guid, class))
			return vmbus_devs[i].dev_type;
	return HV_UNKNOWN;
}

static void vmbus_chan_release(struct kobject *kobj)
{
	struct vmbus_channel *ch = container_of(kobj, struct vmbus_channel, kobj);

	pr_debug("channel %u destroyed\n", ch->offermsg.child_relid);
	kfree(to_vmbus_chan(ch));
}

static const struct kobj_type vmbus_chan_ktype = {
	.release	= vmbus_chan_release,
	.sysfs_ops	= &kobj_sysfs_ops,
	.default_groups	= vmbus_chan_groups,
};

static void vmbus_chan_free_ref(struct kref *ref)
{
	struct vmbus_chan *vc = container_of(ref, struct vmbus_chan, ref);
	struct vmbus_channel *primary = vc->ch.primary_channel;

	/* sysfs readers of channels/<relid> are drained by the delete. */
	mutex_lock(&vmbus_connection.channel_mutex);
	vmbus_chan_sysfs_del(&vc->ch);
	mutex_unlock(&vmbus_connection.channel_mutex);
	kobject_put(&vc->ch.kobj);
	if (primary)
		vmbus_chan_put(to_vmbus_chan(primary));
}

/**
 * vmbus_chan_put() - drop a reference to a channel
 * @vc: the channel
 *
 * Context: process context (the last put may sleep in kobject_del()).
 */
void vmbus_chan_put(struct vmbus_chan *vc)
{
	kref_put(&vc->ref, vmbus_chan_free_ref);
}

static void vmbus_add_channel_work(struct work_struct *work);
static void vmbus_rescind_work(struct work_struct *work);
static void vmbus_destroy_work(struct work_struct *work);

static struct vmbus_chan *
vmbus_chan_alloc(const struct vmbus_channel_offer_channel *offer)
{
	struct vmbus_chan *vc = kzalloc(sizeof(*vc), GFP_KERNEL);
	struct vmbus_channel *ch;

	if (!vc)
		return NULL;
	ch = &vc->ch;
	kobject_init(&ch->kobj, &vmbus_chan_ktype);
	kref_init(&vc->ref);
	INIT_LIST_HEAD(&vc->node);
	INIT_WORK(&vc->rescind_work, vmbus_rescind_work);
	INIT_WORK(&vc->destroy_work, vmbus_destroy_work);
	INIT_WORK(&ch->add_channel_work, vmbus_add_channel_work);
	INIT_LIST_HEAD(&ch->listentry);
	INIT_LIST_HEAD(&ch->sc_list);
	init_completion(&ch->rescind_event);
	spin_lock_init(&ch->sched_lock);
	spin_lock_init(&ch->inbound.ring_lock);
	spin_lock_init(&ch->outbound.ring_lock);
	/* A callback: vmbus_chan_deliver() (vmbus_event.c) schedules it. */
	tasklet_setup(&ch->callback_event, vmbus_on_event);

	ch->offermsg = *offer;
	ch->state = CHANNEL_OFFER_STATE;
	ch->callback_mode = HV_CALL_BATCHED;
	ch->target_cpu = VMBUS_CONNECT_CPU;
	ch->is_dedicated_interrupt = offer->is_dedicated_interrupt;
	ch->sig_event = offer->connection_id;
	ch->monitor_grp = offer->monitorid / 32;
	ch->monitor_bit = offer->monitorid % 32;
	ch->device_id = vmbus_dev_type_id(&offer->offer.if_type);
	pr_debug("channel %u created\n", offer->child_relid);
	return vc;
}

/*
 * The live primary channel with @offer's class and instance, or NULL.  A
 * channel on its way out (rescinded, or not re-offered after hibernation)
 * does not count: a new offer of its instance makes a new channel, whose
 * device is added after the old one is removed (both on offer_wq).
 */
static struct vmbus_channel *
vmbus_find_primary(const struct vmbus_channel_offer_channel *offer)
{
	struct vmbus_chan *vc;

	lockdep_assert_held(&vmbus_connection.channel_mutex);
	list_for_each_entry(vc, &vmbus_conn.channels, node) {
		const struct vmbus_channel_offer *o = &vc->ch.offermsg.offer;

		if (!vc->ch.primary_channel && !vc->rescinded && !vc->fixup &&
		    !READ_ONCE(vc->ch.rescind) &&
		    guid_equal(&o->if_type, &offer->offer.if_type) &&
		    guid_equal(&o->if_instance, &offer->offer.if_instance))
			return &vc->ch;
	}
	return NULL;
}

/* Rescinded, unmapped, RELID_RELEASED not sent yet. */
static bool vmbus_relid_rescinded(u32 relid)
{
	lockdep_assert_held(&vmbus_connection.channel_mutex);
	return relid && relid <= VMBUS_MAX_RELID &&
	       test_bit(relid, vmbus_conn.rescinded);
}

/*
 * Host-written fields of an offer that the guest relies on.  Returns a
 * reason for the log, or NULL if the offer is acceptable.  *@release is
 * set when the refused offer's relid is free on the guest's side, so the
 * host may have its record of it back (vmbus_offer_refuse()).
 */
static const char *
vmbus_offer_invalid(const struct vmbus_channel_offer_channel *offer,
		    bool *release)
{
	u32 relid = offer->child_relid;
	const char *why;

	*release = false;
	if (relid == 0 || relid > VMBUS_MAX_RELID)
		return vmbus_offer_fields_invalid(offer);
	/* A relid of a live or rescinded channel of ours is never handed back. */
	if (vmbus_relid_get(relid))
		return "relid already in use";
	if (vmbus_relid_rescinded(relid))
		return "relid not released yet";
	*release = true;
	why = vmbus_offer_fields_invalid(offer);
	if (why)
		return why;
	if (!offer->offer.sub_channel_index && !is_hvsock_offer(offer) &&
	    vmbus_find_primary(offer))
		return "duplicate instance";
	return NULL;
}

/*
 * Hibernation resume: an offer for a suspended primary channel (same class
 * and instance GUID) moves that channel to the offer's relid, with the
 * offer's connection id and monitor id, and publishes it there exactly as
 * a new offer is published (vmbus_relid_publish()).  The device, the
 * driver's binding and the channel object stay.  Returns true if @offer
 * was such a re-offer.
 */
static bool vmbus_chan_fixup(const struct vmbus_channel_offer_channel *offer)
{
	struct vmbus_chan *vc;
	struct vmbus_channel *ch;
	u32 old;

	lockdep_assert_held(&vmbus_connection.channel_mutex);
	if (offer->offer.sub_channel_index)
		return false;
	list_for_each_entry(vc, &vmbus_conn.channels, node) {
		ch = &vc->ch;
		if (!vc->fixup ||
		    !guid_equal(&ch->offermsg.offer.if_type, &offer->offer.if_type) ||
		    !guid_equal(&ch->offermsg.offer.if_instance,
				&offer->offer.if_instance))
			continue;
		old = ch->offermsg.child_relid;
		ch->offermsg = *offer;
		ch->sig_event = offer->connection_id;
		ch->is_dedicated_interrupt = offer->is_dedicated_interrupt;
		ch->monitor_grp = offer->monitorid / 32;
		ch->monitor_bit = offer->monitorid % 32;
		vc->fixup = false;
		vmbus_relid_publish(ch);
		vmbus_stat_inc(VMBUS_STAT_FIXUPS);
		pr_debug("resume: %pUl moved from relid %u to %u\n",
			 &offer->offer.if_instance, old, offer->child_relid);
		/* Never the last count: resume holds one until it ends. */
		atomic_dec(&vmbus_conn.fixups);
		return true;
	}
	return false;
}

/* channels/<relid> follows a channel that moved to @relid. */
static void vmbus_chan_rename(u32 relid)
{
	struct vmbus_channel *ch;
	char name[16];
	int ret = 0;

	snprintf(name, sizeof(name), "%u", relid);
	mutex_lock(&vmbus_connection.channel_mutex);
	ch = vmbus_relid_get(relid);
	if (ch && to_vmbus_chan(ch)->kobj_added)
		ret = kobject_rename(&ch->kobj, name);
	mutex_unlock(&vmbus_connection.channel_mutex);
	if (ret)
		pr_err("relid %u: renaming channels/<relid> failed: %d\n", relid, ret);
}

/*
 * Hyper-V socket connects waiting for the host's answer: an hv_sock offer
 * for the same ids (accepted) or TL_CONNECT_RESULT (refused).
 */
static LIST_HEAD(vmbus_tl_waits);
static DEFINE_SPINLOCK(vmbus_tl_lock);

/**
 * struct vmbus_tl_wait - one TL_CONNECT_REQUEST waiting for its answer
 * @node: on vmbus_tl_waits
 * @service: the host service id asked for
 * @endpoint: the guest endpoint id
 * @status: 0 accepted, or -ECONNREFUSED; valid once @done is complete
 * @done: completed by the answer
 */
struct vmbus_tl_wait {
	struct list_head node;
	guid_t service;
	guid_t endpoint;
	int status;
	struct completion done;
};

/*
 * Hand the answer for (@service, @endpoint) to the oldest connect waiting
 * for it.  Returns false if none waits.
 */
static bool vmbus_tl_answer(const guid_t *service, const guid_t *endpoint,
			    int status)
{
	struct vmbus_tl_wait *w;
	bool found = false;

	spin_lock(&vmbus_tl_lock);
	list_for_each_entry(w, &vmbus_tl_waits, node) {
		if (!guid_equal(&w->service, service) ||
		    !guid_equal(&w->endpoint, endpoint))
			continue;
		list_del_init(&w->node);
		w->status = status;
		complete(&w->done);
		found = true;
		break;
	}
	spin_unlock(&vmbus_tl_lock);
	return found;
}

static void vmbus_on_tl_result(const struct vmbus_channel_message_header *hdr,
			       u32 len)
{
	const struct vmbus_channel_tl_connect_result *msg = (const void *)hdr;
	/* Any failure status refuses; 0 means an offer follows. */
	int status = msg->status ? -ECONNREFUSED : 0;

	if (!vmbus_tl_answer(&msg->service_id, &msg->endpoint_id, status))
		pr_debug("TL_CONNECT_RESULT %#x for %pUl: no connect waits\n",
			 msg->status, &msg->service_id);
	else if (status)
		pr_debug("host refused hv_sock connection to %pUl: %#x\n",
			 &msg->service_id, msg->status);
}

/**
 * vmbus_send_tl_connect_request() - ask the host for an hv_sock connection
 * @shv_guest_servie_id: the guest's endpoint GUID
 * @shv_host_servie_id: the host service GUID
 *
 * Sends TL_CONNECT_REQUEST.  From protocol 4.1 on, where hosts answer a
 * refusal with TL_CONNECT_RESULT, waits up to VMBUS_TL_ANSWER_MS for the
 * answer: an hv_sock offer for the two ids accepts (its device is probed,
 * and hv_sock's socket connected, after this returns), a failure status
 * refuses.  A 4.0 host answers only by the offer, so there this returns
 * at once and a refused connect ends at the caller's own connect timeout;
 * so does one whose answer is late.
 *
 * Context: process context, may sleep.
 * Return: 0 (accepted, no answer in time, or sent to a 4.0 host),
 * -ECONNREFUSED if the host refused, -EINVAL before protocol 4.0, -EIO if
 * the request was not delivered.
 */
int vmbus_send_tl_connect_request(const guid_t *shv_guest_servie_id,
				  const guid_t *shv_host_servie_id)
{
	struct vmbus_channel_tl_connect_request msg = {
		.header.msgtype = CHANNELMSG_TL_CONNECT_REQUEST,
		.guest_endpoint_id = *shv_guest_servie_id,
		.host_service_id = *shv_host_servie_id,
	};
	struct vmbus_tl_wait w = {
		.service = *shv_host_servie_id,
		.endpoint = *shv_guest_servie_id,
	};
	unsigned long timeout;
	int ret;

	if (vmbus_proto_version < VERSION_WIN10)
		return -EINVAL;
	vmbus_stat_inc(VMBUS_STAT_TL_REQUESTS);
	if (vmbus_proto_version < VERSION_WIN10_V4_1)
		return vmbus_post_msg(&msg, sizeof(msg));
	init_completion(&w.done);
	/* Listed before the request goes out: the answer may come at once. */
	spin_lock(&vmbus_tl_lock);
	list_add_tail(&w.node, &vmbus_tl_waits);
	spin_unlock(&vmbus_tl_lock);
	ret = vmbus_post_msg(&msg, sizeof(msg));
	timeout = msecs_to_jiffies(VMBUS_TL_ANSWER_MS);
	if (!ret) {
		if (wait_for_completion_killable_timeout(&w.done, timeout) > 0)
			ret = w.status;
		else
			vmbus_stat_inc(VMBUS_STAT_TL_UNANSWERED);
	}
	if (ret == -ECONNREFUSED)
		vmbus_stat_inc(VMBUS_STAT_TL_REFUSED);
	spin_lock(&vmbus_tl_lock);
	list_del(&w.node);
	spin_unlock(&vmbus_tl_lock);
	return ret;
}

/**
 * vmbus_chan_initial_cpu() - the CPU a new channel's events go to
 * @ch: a channel just allocated from its offer
 * @cpus_held: the caller holds cpus_read_lock()
 *
 * Channels of performance devices (storage, network: &vmbus_devs'
 * perf_device), primary and sub-channels alike, are spread round-robin
 * over the online CPUs, so that a multi-queue driver's interrupts do not
 * all land on one CPU.  Every other channel, and every channel below
 * protocol 3.0 (VERSION_WIN8), where the host sends events to the connect
 * CPU only, starts there.  User space moves channels later through their
 * cpu file (vmbus_chan_move()).  Without @cpus_held (a CPU is going up
 * or down), every channel starts on the connect CPU, which stays online
 * while connected.
 *
 * Context: under channel_mutex, and with @cpus_held under
 * cpus_read_lock(), so the CPU picked is online until the channel opens
 * (vmbus_open_rings() checks again).
 * Return: an online CPU.
 */
static unsigned int vmbus_chan_initial_cpu(const struct vmbus_channel *ch,
					   bool cpus_held)
{
	unsigned int cpu;

	lockdep_assert_held(&vmbus_connection.channel_mutex);
	if (!cpus_held || vmbus_proto_version < VERSION_WIN8 ||
	    ch->device_id >= HV_UNKNOWN ||
	    !vmbus_devs[ch->device_id].perf_device)
		return vmbus_conn.connect_cpu;
	cpu = cpumask_next(vmbus_conn.perf_cpu, cpu_online_mask);
	if (cpu >= nr_cpu_ids)
		cpu = cpumask_first(cpu_online_mask);
	vmbus_conn.perf_cpu = cpu;
	return cpu;
}

static void vmbus_send_relid_released(u32 relid)
{
	struct vmbus_channel_relid_released msg = {
		.header.msgtype = CHANNELMSG_RELID_RELEASED,
		.child_relid = relid,
	};

	if (vmbus_post_msg(&msg, sizeof(msg)))
		pr_err("relid %u: RELID_RELEASED not delivered\n", relid);
	else
		vmbus_stat_inc(VMBUS_STAT_RELIDS_RELEASED);
}

/**
 * struct vmbus_held_msg - an offer or rescind held while suspended
 * @node: on vmbus_conn.held, in arrival order
 * @len: the message's length, as vmbus_msg_check() accepted it
 * @data: the message; zeroed beyond @len
 */
struct vmbus_held_msg {
	struct list_head node;
	u32 len;
	u8 data[HV_MESSAGE_PAYLOAD_BYTE_COUNT] __aligned(8);
};

/* Test hook (debugfs suspend_delay_ms): a sleep in the suspend's window. */
u32 vmbus_suspend_delay_ms;

static u32 vmbus_msg_relid(const struct vmbus_channel_message_header *hdr)
{
	if (hdr->msgtype == CHANNELMSG_OFFERCHANNEL)
		return ((const struct vmbus_channel_offer_channel *)hdr)->child_relid;
	return ((const struct vmbus_channel_rescind_offer *)hdr)->child_relid;
}

/**
 * vmbus_msg_hold() - keep an offer or rescind for later, if suspended
 * @hdr: the message, validated by vmbus_msg_check()
 * @len: its length
 * @replay: the message is a held one being handled now
 *
 * While the bus suspends for hibernation the guest acts on no offer or
 * rescind, but it may not forget one either: if the suspend fails, the
 * host still holds the connection and never sends it again.  So the
 * message is copied onto vmbus_conn.held, and so is every one that arrives
 * while older ones wait there, to keep the host's order.  After a failed
 * suspend a sub-channel offer is not held: a driver's resume callback may
 * wait for it, and a new sub-channel removes no device.  Beyond
 * %VMBUS_HELD_MAX the message is lost (held_overflow).
 *
 * Context: the message work, under channel_mutex, which the caller holds
 * from this check until the message's work is queued.
 * Return: true if the caller must not handle the message now.
 */
static bool vmbus_msg_hold(const struct vmbus_channel_message_header *hdr,
			   u32 len, bool replay)
{
	const char *what = hdr->msgtype == CHANNELMSG_OFFERCHANNEL ? "offer" :
							       "rescind";
	struct vmbus_held_msg *h = NULL;

	lockdep_assert_held(&vmbus_connection.channel_mutex);
	if (replay ||
	    (!vmbus_conn.suspended && list_empty(&vmbus_conn.held)))
		return false;
	if (vmbus_conn.suspend_failed &&
	    hdr->msgtype == CHANNELMSG_OFFERCHANNEL &&
	    ((const struct vmbus_channel_offer_channel *)hdr)->offer.sub_channel_index)
		return false;
	/* vmbus_msg_check() never passes more than a SynIC payload. */
	if (vmbus_conn.nheld < VMBUS_HELD_MAX && len <= sizeof(h->data))
		h = kzalloc(sizeof(*h), GFP_KERNEL);
	if (!h) {
		vmbus_stat_inc(VMBUS_STAT_HELD_OVERFLOW);
		pr_err_ratelimited("%s of relid %u lost while suspended: %s\n",
				   what, vmbus_msg_relid(hdr),
				   vmbus_conn.nheld >= VMBUS_HELD_MAX ?
				   "too many messages held already" :
				   "no memory to hold it");
		return true;
	}
	h->len = len;
	memcpy(h->data, hdr, len);
	list_add_tail(&h->node, &vmbus_conn.held);
	vmbus_conn.nheld++;
	vmbus_stat_inc(VMBUS_STAT_HELD_SUSPENDED);
	pr_info_ratelimited("%s of relid %u held: suspended for hibernation\n",
			    what, vmbus_msg_relid(hdr));
	return true;
}

/* Takes every held message off the list, under channel_mutex. */
static unsigned int vmbus_held_free_locked(void)
{
	struct vmbus_held_msg *h, *tmp;
	unsigned int n = 0;

	lockdep_assert_held(&vmbus_connection.channel_mutex);
	list_for_each_entry_safe(h, tmp, &vmbus_conn.held, node) {
		list_del(&h->node);
		kfree(h);
		n++;
	}
	vmbus_conn.nheld = 0;
	return n;
}

/**
 * vmbus_channels_held_drop() - forget the messages held during a suspend
 *
 * After the UNLOAD the host has forgotten every relid of the connection,
 * and offers again after the reconnect what it still has: an offer or
 * rescind held from the old connection must not be handled on the new one.
 *
 * Context: process context; after UNLOAD_RESPONSE, or at reconnect.
 */
void vmbus_channels_held_drop(void)
{
	unsigned int n;

	mutex_lock(&vmbus_connection.channel_mutex);
	n = vmbus_held_free_locked();
	mutex_unlock(&vmbus_connection.channel_mutex);
	if (!n)
		return;
	atomic64_add(n, &vmbus_conn.stats[VMBUS_STAT_HELD_DROPPED]);
	pr_info("suspend: %u offer(s) and rescind(s) held meanwhile dropped with the old connection\n",
		n);
}

/*
 * Refuse an offer: log it, count it, and hand its relid back when
 * @release.  The relid is the host's number for its own record of the
 * channel; a host keeps that record until RELID_RELEASED, so without one
 * a refused relid stays taken on the host's side for good.  Not handed
 * back: relid 0 or above VMBUS_MAX_RELID (no channel of any host has
 * one, so no record to free, and the guest does not echo numbers it
 * cannot index), a relid the guest still holds for a live or rescinded
 * channel (its RELID_RELEASED would free the host's record of a channel
 * the guest still uses), and any offer while unloading (the connection is
 * going; the host drops all its records with it).  An offer that arrives
 * while suspended is held, not refused (vmbus_msg_hold()).
 * Context: the message work, channel_mutex not held.
 */
static void vmbus_offer_refuse(const struct vmbus_channel_offer_channel *offer,
			       const char *why, bool release)
{
	vmbus_stat_inc(VMBUS_STAT_MSGS_BAD);
	vmbus_stat_inc(VMBUS_STAT_OFFERS_REFUSED);
	pr_warn_ratelimited("offer for relid %u refused: %s%s\n",
			    offer->child_relid, why,
			    release ? ", relid released" : "");
	if (release && READ_ONCE(vmbus_conn.version))
		vmbus_send_relid_released(offer->child_relid);
}

static void vmbus_on_offer_cpus(const struct vmbus_channel_offer_channel *offer,
				u32 len, bool cpus_held, bool replay)
{
	struct vmbus_channel *primary = NULL;
	bool release = false;
	const char *why;
	struct vmbus_chan *vc;

	mutex_lock(&vmbus_connection.channel_mutex);
	if (READ_ONCE(vmbus_conn.unloading)) {
		mutex_unlock(&vmbus_connection.channel_mutex);
		vmbus_stat_inc(VMBUS_STAT_MSGS_BAD);
		pr_warn_ratelimited("offer for relid %u ignored: unloading\n",
				    offer->child_relid);
		return;
	}
	if (vmbus_msg_hold(&offer->header, len, replay)) {
		mutex_unlock(&vmbus_connection.channel_mutex);
		return;
	}
	why = vmbus_offer_invalid(offer, &release);
	if (!why && vmbus_conn.resuming && vmbus_chan_fixup(offer)) {
		mutex_unlock(&vmbus_connection.channel_mutex);
		vmbus_chan_rename(offer->child_relid);
		return;
	}
	if (!why && offer->offer.sub_channel_index) {
		primary = vmbus_find_primary(offer);
		if (!primary)
			why = "sub-channel without a primary";
	}
	vc = why ? NULL : vmbus_chan_alloc(offer);
	if (!why && !vc)
		why = "no memory for the channel";
	if (why) {
		mutex_unlock(&vmbus_connection.channel_mutex);
		vmbus_offer_refuse(offer, why, release);
		return;
	}
	if (primary) {
		kref_get(&to_vmbus_chan(primary)->ref);
		vc->ch.primary_channel = primary;
	}
	vc->ch.target_cpu = vmbus_chan_initial_cpu(&vc->ch, cpus_held);
	list_add_tail(&vc->node, &vmbus_conn.channels);
	vmbus_relid_publish(&vc->ch);
	/*
	 * The publication above is complete before the add work can run.
	 * Queued before channel_mutex goes: vmbus_channels_suspend() sets
	 * suspended under it and then flushes the workqueues, so no add work
	 * of an offer taken before the flag can start after that flush.
	 */
	queue_work(vmbus_chan_wq(&vc->ch), &vc->ch.add_channel_work);
	mutex_unlock(&vmbus_connection.channel_mutex);
	vmbus_stat_inc(VMBUS_STAT_OFFERS);
	if (is_hvsock_offer(offer))
		vmbus_tl_answer(&offer->offer.if_type, &offer->offer.if_instance, 0);
}

/*
 * Placement reads the online CPUs: hotplug waits while an offer is added.
 * Only a trylock: a CPU going down may be waiting for this work to take
 * its MODIFYCHANNEL_RESPONSE (vmbus_cpu_evacuate() in vmbus_drv.c), and
 * then the offer goes to the connect CPU instead.
 */
static void vmbus_offer_take(const struct vmbus_channel_message_header *hdr,
			     u32 len, bool replay)
{
	if (!cpus_read_trylock()) {
		vmbus_stat_inc(VMBUS_STAT_OFFERS_HOTPLUG);
		vmbus_on_offer_cpus((const void *)hdr, len, false, replay);
		return;
	}
	vmbus_on_offer_cpus((const void *)hdr, len, true, replay);
	cpus_read_unlock();
}

static void vmbus_on_offer(const struct vmbus_channel_message_header *hdr,
			   u32 len)
{
	vmbus_offer_take(hdr, len, false);
}

static void vmbus_add_subchannel(struct vmbus_channel *sc)
{
	struct vmbus_channel *primary = sc->primary_channel;
	void (*cb)(struct vmbus_channel *new_sc);

	mutex_lock(&vmbus_connection.channel_mutex);
	list_add_tail(&sc->sc_list, &primary->sc_list);
	cb = primary->sc_creation_callback;
	if (!vmbus_chan_sysfs_add(sc))
		to_vmbus_chan(sc)->kobj_added = true;
	mutex_unlock(&vmbus_connection.channel_mutex);
	if (cb)
		cb(sc);
}

static void vmbus_add_channel_work(struct work_struct *work)
{
	struct vmbus_channel *ch = container_of(work, struct vmbus_channel,
						add_channel_work);

	/* Rescinded before it was added: the rescind work cleans up. */
	if (READ_ONCE(ch->rescind))
		return;
	if (ch->primary_channel)
		vmbus_add_subchannel(ch);
	else if (vmbus_device_create(ch))
		pr_err("relid %u: registering the device failed\n",
		       ch->offermsg.child_relid);
	WRITE_ONCE(ch->probe_done, true);
}

/*
 * Last step of a channel: unreachable from the ISR, no callback running,
 * the relid handed back to the host (once), the list entry gone.  The
 * memory goes with the last reference (vmbus_chan_destroy()); an hv_sock
 * channel unlinked at suspend keeps it for its socket (vmbus_hvsock_suspend()).
 * Unlinking twice is harmless.
 */
static void vmbus_chan_unlink(struct vmbus_chan *vc, bool release_relid)
{
	struct vmbus_channel *ch = &vc->ch;

	vmbus_relid_unpublish(ch);
	/* No ISR can schedule the tasklet now; wait for a running one. */
	tasklet_kill(&ch->callback_event);
	mutex_lock(&vmbus_connection.channel_mutex);
	list_del_init(&vc->node);
	if (ch->primary_channel)
		list_del_init(&ch->sc_list);
	/*
	 * From RELID_RELEASED on, the host may offer the relid again.  Once
	 * released (or forgotten at a suspend), the bit may be another
	 * channel's.
	 */
	if (vc->rescinded && !vc->released)
		clear_bit(ch->offermsg.child_relid, vmbus_conn.rescinded);
	mutex_unlock(&vmbus_connection.channel_mutex);
	if (release_relid && !vc->released && READ_ONCE(vmbus_conn.version))
		vmbus_send_relid_released(ch->offermsg.child_relid);
	vc->released = true;
}

static void vmbus_chan_destroy(struct vmbus_chan *vc, bool release_relid)
{
	vmbus_chan_unlink(vc, release_relid);
	vmbus_chan_put(vc);
}

static void vmbus_destroy_work(struct work_struct *work)
{
	vmbus_chan_destroy(container_of(work, struct vmbus_chan, destroy_work),
			   true);
}

/*
 * A rescinded primary loses its device (the driver's remove closes the
 * channel); a rescinded sub-channel that its driver still has open is freed
 * when the driver closes it (vmbus_close_one()).
 */
static void vmbus_rescind_work(struct work_struct *work)
{
	struct vmbus_chan *vc = container_of(work, struct vmbus_chan,
					     rescind_work);
	struct vmbus_channel *ch = &vc->ch;
	void (*rescind_cb)(struct vmbus_channel *ch);

	/*
	 * A device not offered again at a resume: removed once every device
	 * resumed, never against its driver's resume callback.  The ordered
	 * workqueue waits too, so an offer of the same instance that came
	 * after step 4 is still added after this removal.  A sub-channel
	 * (no device of its own; its own workqueue, on which a driver's
	 * resume may wait for new sub-channels) does not wait.
	 */
	if (READ_ONCE(vc->missing) && !ch->primary_channel &&
	    !wait_for_completion_timeout(&vmbus_conn.pm_complete,
					 VMBUS_PM_COMPLETE_TIMEOUT_S * HZ))
		pr_warn("%pUl: the PM transition did not end in %u s; removing it now\n",
			&ch->offermsg.offer.if_instance, VMBUS_PM_COMPLETE_TIMEOUT_S);
	/* Cleared when the driver unbinds (vmbus_bus.c, vmbus_remove()). */
	mutex_lock(&vmbus_connection.channel_mutex);
	rescind_cb = READ_ONCE(ch->chn_rescind_callback);
	mutex_unlock(&vmbus_connection.channel_mutex);
	if (rescind_cb) {
		rescind_cb(ch);
		/*
		 * hv_sock keeps reading a connection's ring after the rescind
		 * and removes the device when its socket goes, through
		 * vmbus_hvsock_device_unregister(), which then frees the
		 * channel.  It may have done so in the callback already.
		 */
		if (is_hvsock_channel(ch) && READ_ONCE(ch->device_obj)) {
			set_bit(VMBUS_CHAN_HVSOCK_UNREG, &vc->flags);
			return;
		}
	}
	if (!ch->primary_channel) {
		vmbus_device_remove(ch);
		vmbus_chan_close_all(ch);
	} else if (ch->state != CHANNEL_OFFER_STATE) {
		set_bit(VMBUS_CHAN_REMOVE_ON_CLOSE, &vc->flags);
		/* Closed meanwhile: nobody else will see the bit. */
		if (ch->state != CHANNEL_OFFER_STATE ||
		    !test_and_clear_bit(VMBUS_CHAN_REMOVE_ON_CLOSE, &vc->flags))
			return;
	}
	vmbus_chan_destroy(vc, true);
}

/* Under channel_mutex: what a rescind changes at once. */
static void vmbus_chan_mark_rescinded(struct vmbus_chan *vc)
{
	struct vmbus_channel *ch = &vc->ch;

	lockdep_assert_held(&vmbus_connection.channel_mutex);
	vc->rescinded = true;
	set_bit(ch->offermsg.child_relid, vmbus_conn.rescinded);
	/* The ISR stops delivering, waiters see the rescind. */
	WRITE_ONCE(ch->rescind, true);
	complete_all(&ch->rescind_event);
}

/*
 * After vmbus_chan_mark_rescinded(), under channel_mutex: the rescind work
 * of a rescind taken before vmbus_channels_suspend() set suspended is
 * queued before that flag and so before the flush that follows it.
 */
static void vmbus_chan_rescind_start(struct vmbus_chan *vc)
{
	lockdep_assert_held(&vmbus_connection.channel_mutex);
	vmbus_requests_cancel(vc->ch.offermsg.child_relid);
	queue_work(vmbus_chan_wq(&vc->ch), &vc->rescind_work);
}

static void vmbus_rescind_take(const struct vmbus_channel_message_header *hdr,
			       u32 len, bool replay)
{
	const struct vmbus_channel_rescind_offer *msg = (const void *)hdr;
	struct vmbus_channel *ch;
	const char *why = NULL;
	struct vmbus_chan *vc;

	mutex_lock(&vmbus_connection.channel_mutex);
	if (vmbus_msg_hold(hdr, len, replay)) {
		mutex_unlock(&vmbus_connection.channel_mutex);
		return;
	}
	ch = vmbus_relid_get(msg->child_relid);
	if (ch && to_vmbus_chan(ch)->rescinded)
		why = "duplicate rescind";
	else if (!ch && vmbus_relid_rescinded(msg->child_relid))
		why = "duplicate rescind";	/* already unmapped, not released */
	else if (!ch)
		why = "unknown relid";
	if (why) {
		mutex_unlock(&vmbus_connection.channel_mutex);
		vmbus_stat_inc(VMBUS_STAT_MSGS_BAD);
		pr_warn_ratelimited("rescind of relid %u ignored: %s\n",
				    msg->child_relid, why);
		return;
	}
	vc = to_vmbus_chan(ch);
	vmbus_chan_mark_rescinded(vc);
	vmbus_chan_rescind_start(vc);
	mutex_unlock(&vmbus_connection.channel_mutex);
	vmbus_stat_inc(VMBUS_STAT_RESCINDS);
}

static void vmbus_on_rescind(const struct vmbus_channel_message_header *hdr,
			     u32 len)
{
	vmbus_rescind_take(hdr, len, false);
}

/* The first sub-channel (@sub) or primary channel (!@sub) on the list. */
static struct vmbus_chan *vmbus_chan_first(bool sub)
{
	struct vmbus_chan *vc, *found = NULL;

	mutex_lock(&vmbus_connection.channel_mutex);
	list_for_each_entry(vc, &vmbus_conn.channels, node) {
		if (!!vc->ch.primary_channel == sub) {
			found = vc;
			break;
		}
	}
	mutex_unlock(&vmbus_connection.channel_mutex);
	return found;
}

/**
 * vmbus_channels_remove_all() - remove every channel at unload
 *
 * The host has forgotten the connection (UNLOAD), so no relid is released
 * one by one.  Sub-channels go before their primaries.
 *
 * Context: process context; the message path is stopped and offer_wq
 * drained, so nothing adds or rescinds channels any more.
 */
void vmbus_channels_remove_all(void)
{
	struct vmbus_chan *vc;

	mutex_lock(&vmbus_connection.channel_mutex);
	vmbus_held_free_locked();
	mutex_unlock(&vmbus_connection.channel_mutex);

	while ((vc = vmbus_chan_first(true)))
		vmbus_chan_destroy(vc, false);
	while ((vc = vmbus_chan_first(false))) {
		vmbus_device_remove(&vc->ch);
		vmbus_chan_destroy(vc, false);
	}
}

/*
 * Hibernation.
 *
 * Suspend (the bus's noirq callback, after every driver's suspend callback
 * closed its channels): offers and rescinds are held, not acted on
 * (vmbus_msg_hold(); replayed after a failed suspend, dropped after the
 * UNLOAD of a successful one); queued adds and rescinds finish;
 * sub-channels and hv_sock channels, which the host does not offer again,
 * are freed; every other channel is marked for a fix-up and unmapped, and
 * from then on the ISR leaves the event pages alone.  Then the caller
 * sends UNLOAD.
 *
 * Resume: the caller reconnects and requests offers; each re-offer of a
 * marked channel moves it to its new relid (vmbus_chan_fixup()).  At
 * ALLOFFERS_DELIVERED, or after a timeout, a channel still marked is
 * removed with its device.  When the count of outstanding fix-ups reaches
 * 0 the ISR is released and every CPU scans its event page, so an event
 * the host set meanwhile is delivered then, to the channel now at that
 * relid, or latched for the one to come (see the relid map in
 * connection.c).  The argument and the model:
 * Documentation/virt/hyperv/hibernation.rst.
 */

/* The first open channel, or NULL; its name goes into the log. */
static struct vmbus_channel *vmbus_chan_open_one(void)
{
	struct vmbus_chan *vc;

	lockdep_assert_held(&vmbus_connection.channel_mutex);
	/* hv_sock's are rescinded by the suspend (vmbus_hvsock_suspend()). */
	list_for_each_entry(vc, &vmbus_conn.channels, node)
		if (vc->ch.state != CHANNEL_OFFER_STATE &&
		    !is_hvsock_channel(&vc->ch))
			return &vc->ch;
	return NULL;
}

/* The first sub-channel or hv_sock channel, which do not come back. */
static struct vmbus_chan *vmbus_chan_first_transient(void)
{
	struct vmbus_chan *vc, *found = NULL;

	mutex_lock(&vmbus_connection.channel_mutex);
	list_for_each_entry(vc, &vmbus_conn.channels, node) {
		if (vc->ch.primary_channel || is_hvsock_channel(&vc->ch)) {
			found = vc;
			break;
		}
	}
	mutex_unlock(&vmbus_connection.channel_mutex);
	return found;
}

/* An hv_sock channel that @pred picks, or NULL; under channel_mutex. */
static struct vmbus_chan *vmbus_hvsock_find(bool (*pred)(struct vmbus_chan *vc))
{
	struct vmbus_chan *vc;

	lockdep_assert_held(&vmbus_connection.channel_mutex);
	list_for_each_entry(vc, &vmbus_conn.channels, node)
		if (is_hvsock_channel(&vc->ch) && pred(vc))
			return vc;
	return NULL;
}

static bool vmbus_hvsock_live(struct vmbus_chan *vc)
{
	return !vc->rescinded;
}

static bool vmbus_hvsock_held(struct vmbus_chan *vc)
{
	return test_bit(VMBUS_CHAN_HVSOCK_UNREG, &vc->flags);
}

/*
 * hv_sock connections do not survive hibernation: the host does not offer
 * them again.  Each one the host has not rescinded is rescinded here as if
 * it had (the rescind work runs hv_sock's callback, which ends the socket's
 * connection), without RELID_RELEASED (the UNLOAD releases every relid).
 * A channel whose socket is still open is left to
 * vmbus_hvsock_device_unregister() by that work: hv_sock reads its ring
 * until the socket goes, so it stays open and bound.  It is unlinked from
 * the list and the relid map now (no event reaches it, the resume does not
 * wait for it) and freed by that call, whose close posts nothing (the
 * channel is rescinded) and frees rings the host forgot at the UNLOAD.
 */
static void vmbus_hvsock_suspend(void)
{
	struct vmbus_chan *vc;
	unsigned int n = 0;

	for (;;) {
		mutex_lock(&vmbus_connection.channel_mutex);
		vc = vmbus_hvsock_find(vmbus_hvsock_live);
		if (vc) {
			vmbus_chan_mark_rescinded(vc);
			/* The host did not rescind it: no RELID_RELEASED. */
			vc->released = true;
			vmbus_chan_rescind_start(vc);
		}
		mutex_unlock(&vmbus_connection.channel_mutex);
		if (!vc)
			break;
		flush_workqueue(vmbus_conn.offer_wq);
		n++;
	}
	for (;;) {
		mutex_lock(&vmbus_connection.channel_mutex);
		vc = vmbus_hvsock_find(vmbus_hvsock_held);
		/* The socket's release may free it meanwhile. */
		if (vc)
			kref_get(&vc->ref);
		mutex_unlock(&vmbus_connection.channel_mutex);
		if (!vc)
			break;
		vmbus_chan_unlink(vc, false);
		vmbus_chan_put(vc);
	}
	if (n)
		pr_info("suspend: %u hv_sock connection(s) ended: they do not survive hibernation\n",
			n);
}

/**
 * vmbus_channels_suspend() - prepare the channels for hibernation
 *
 * From the start, offers and rescinds are held (vmbus_msg_hold()).  If the
 * suspend fails they stay held, and "suspended" stays set, until the PM
 * transition completes (vmbus_channels_resume_complete()): handled earlier,
 * a rescind would remove a device whose driver's resume callback runs.
 *
 * Context: process context, may sleep; the bus's noirq suspend.
 * Return: 0, or -EBUSY if a channel is still open (no channel changed).
 */
int vmbus_channels_suspend(void)
{
	struct vmbus_channel *open;
	struct vmbus_chan *vc;
	unsigned int n = 0;
	u32 delay_ms;

	mutex_lock(&vmbus_connection.channel_mutex);
	WRITE_ONCE(vmbus_conn.suspended, true);
	vmbus_conn.suspend_failed = false;
	mutex_unlock(&vmbus_connection.channel_mutex);
	delay_ms = min_t(u32, READ_ONCE(vmbus_suspend_delay_ms),
			 VMBUS_SUSPEND_DELAY_MAX_MS);
	if (delay_ms) {
		pr_info("suspend: test delay of %u ms with messages held\n", delay_ms);
		msleep(delay_ms);
	}
	/* Offers and rescinds handled before the flag finish now. */
	flush_workqueue(vmbus_conn.offer_wq);
	flush_workqueue(vmbus_conn.subchan_wq);

	mutex_lock(&vmbus_connection.channel_mutex);
	open = vmbus_chan_open_one();
	if (open) {
		pr_err("suspend: relid %u (%pUl) is still open; its driver did not close it\n",
		       open->offermsg.child_relid, &open->offermsg.offer.if_instance);
		/* "suspended" stays: the held messages wait for the end. */
		vmbus_conn.suspend_failed = true;
		mutex_unlock(&vmbus_connection.channel_mutex);
		return -EBUSY;
	}
	mutex_unlock(&vmbus_connection.channel_mutex);
	/* Only once the suspend cannot fail: the host still sees them. */
	vmbus_hvsock_suspend();

	while ((vc = vmbus_chan_first_transient())) {
		if (!vc->ch.primary_channel)
			vmbus_device_remove(&vc->ch);
		vmbus_chan_destroy(vc, false);
	}

	mutex_lock(&vmbus_connection.channel_mutex);
	list_for_each_entry(vc, &vmbus_conn.channels, node) {
		vc->fixup = true;
		n++;
	}
	/* Held off from here; the +1 is the suspend / resume path's own. */
	atomic_set(&vmbus_conn.fixups, n + 1);
	list_for_each_entry(vc, &vmbus_conn.channels, node)
		RCU_INIT_POINTER(vmbus_conn.relid_map[vc->ch.offermsg.child_relid],
				 NULL);
	/* The host forgets every relid at UNLOAD. */
	bitmap_zero(vmbus_conn.rescinded, VMBUS_MAX_RELID + 1);
	mutex_unlock(&vmbus_connection.channel_mutex);
	/* No ISR still holds a channel it found at its old relid. */
	synchronize_rcu();
	bitmap_zero(vmbus_conn.event_latch, VMBUS_MAX_RELID + 1);
	vmbus_stat_inc(VMBUS_STAT_SUSPENDS);
	pr_info("suspend: %u channels wait for their re-offer\n", n);
	return 0;
}

/**
 * vmbus_channels_resume_begin() - the host's offers are re-offers from now
 *
 * Context: process context; reconnected, before REQUEST_OFFERS.
 */
void vmbus_channels_resume_begin(void)
{
	unsigned int n;

	mutex_lock(&vmbus_connection.channel_mutex);
	WRITE_ONCE(vmbus_conn.suspended, false);
	vmbus_conn.resuming = true;
	/* Normally none: the UNLOAD dropped them (vmbus_channels_held_drop()). */
	n = vmbus_held_free_locked();
	mutex_unlock(&vmbus_connection.channel_mutex);
	if (n) {
		atomic64_add(n, &vmbus_conn.stats[VMBUS_STAT_HELD_DROPPED]);
		pr_warn("resume: %u message(s) the host sent after its UNLOAD_RESPONSE dropped\n",
			n);
	}
}

/**
 * vmbus_channels_resume_end() - rescind what was not re-offered, release the ISR
 *
 * A channel the host did not offer again is rescinded here, so its
 * driver's resume callback, which the PM core runs after this one, finds
 * it gone; its rescind work is queued now, in order with later offers on
 * the ordered workqueue, and waits for vmbus_channels_resume_complete()
 * before it removes the device, never against that callback.
 *
 * Context: process context, may sleep; ALLOFFERS_DELIVERED arrived or the
 * wait for it timed out.
 */
void vmbus_channels_resume_end(void)
{
	struct vmbus_chan *vc;
	unsigned int gone = 0;

	mutex_lock(&vmbus_connection.channel_mutex);
	vmbus_conn.resuming = false;
	list_for_each_entry(vc, &vmbus_conn.channels, node) {
		if (!vc->fixup)
			continue;
		pr_warn("%pUl was not offered again after resume; removing it\n",
			&vc->ch.offermsg.offer.if_instance);
		vc->fixup = false;
		if (!gone)
			reinit_completion(&vmbus_conn.pm_complete);
		WRITE_ONCE(vc->missing, true);
		/* Its relid means nothing to the host any more. */
		vc->released = true;
		WRITE_ONCE(vc->ch.rescind, true);
		complete_all(&vc->ch.rescind_event);
		queue_work(vmbus_chan_wq(&vc->ch), &vc->rescind_work);
		vmbus_stat_inc(VMBUS_STAT_DEVICES_MISSING);
		gone++;
	}
	mutex_unlock(&vmbus_connection.channel_mutex);
	if (atomic_sub_and_test(gone + 1, &vmbus_conn.fixups))
		vmbus_events_release();
	vmbus_stat_inc(VMBUS_STAT_RESUMES);
}

/* The oldest held message, or NULL (then nothing is held any more). */
static struct vmbus_held_msg *vmbus_held_first(void)
{
	struct vmbus_held_msg *h;

	mutex_lock(&vmbus_connection.channel_mutex);
	h = list_first_entry_or_null(&vmbus_conn.held, struct vmbus_held_msg, node);
	mutex_unlock(&vmbus_connection.channel_mutex);
	return h;
}

/**
 * vmbus_channels_replay() - handle what a failed suspend held
 *
 * Clears "suspended", then hands each held offer and rescind, oldest
 * first, to its handler as if it had just arrived.  A message stays on
 * the list until it has been handled, so one that arrives meanwhile is
 * held behind it (vmbus_msg_hold()) and the host's order is kept; an
 * offer and a rescind of the same relid, both held, end as the host's
 * did: the channel is added and then rescinded, with RELID_RELEASED.
 *
 * Context: process context; the transition of the failed suspend has
 * completed.
 */
static void vmbus_channels_replay(void)
{
	struct vmbus_held_msg *h;
	unsigned int n = 0;

	mutex_lock(&vmbus_connection.channel_mutex);
	if (!vmbus_conn.suspend_failed) {
		mutex_unlock(&vmbus_connection.channel_mutex);
		return;
	}
	vmbus_conn.suspend_failed = false;
	WRITE_ONCE(vmbus_conn.suspended, false);
	if (vmbus_conn.nheld)
		pr_info("suspend failed: handling %u offer(s) and rescind(s) held meanwhile\n",
			vmbus_conn.nheld);
	mutex_unlock(&vmbus_connection.channel_mutex);

	while ((h = vmbus_held_first())) {
		const struct vmbus_channel_message_header *hdr = (const void *)h->data;

		if (hdr->msgtype == CHANNELMSG_OFFERCHANNEL)
			vmbus_offer_take(hdr, h->len, true);
		else
			vmbus_rescind_take(hdr, h->len, true);
		mutex_lock(&vmbus_connection.channel_mutex);
		list_del(&h->node);
		vmbus_conn.nheld--;
		mutex_unlock(&vmbus_connection.channel_mutex);
		kfree(h);
		n++;
	}
	if (n)
		atomic64_add(n, &vmbus_conn.stats[VMBUS_STAT_HELD_REPLAYED]);
}

/**
 * vmbus_channels_resume_complete() - the PM transition is over
 *
 * Every device's resume callback has run: the rescind work of the
 * channels vmbus_channels_resume_end() found missing may remove their
 * devices now, and after a failed suspend the offers and rescinds held
 * meanwhile are handled (vmbus_channels_replay()).  Nothing waits after a
 * transition without a resume, or one in which the host offered
 * everything again.
 *
 * Context: process context (the root device's complete callback).
 */
void vmbus_channels_resume_complete(void)
{
	complete_all(&vmbus_conn.pm_complete);
	vmbus_channels_replay();
}

static void vmbus_on_alloffers(const struct vmbus_channel_message_header *hdr,
			       u32 len)
{
	atomic64_set(&vmbus_conn.stats[VMBUS_STAT_OFFERS_AT_ALLOFFERS],
		     atomic64_read(&vmbus_conn.stats[VMBUS_STAT_OFFERS]));
	complete(&vmbus_conn.alloffers);
}

static const struct vmbus_msg_handler vmbus_msg_handlers[CHANNELMSG_COUNT] = {
	[CHANNELMSG_OFFERCHANNEL]		= { vmbus_on_offer },
	[CHANNELMSG_RESCIND_CHANNELOFFER]	= { vmbus_on_rescind },
	[CHANNELMSG_ALLOFFERS_DELIVERED]	= { vmbus_on_alloffers },
	[CHANNELMSG_VERSION_RESPONSE]		= { vmbus_on_response },
	[CHANNELMSG_UNLOAD_RESPONSE]		= { vmbus_on_response },
	[CHANNELMSG_OPENCHANNEL_RESULT]		= { vmbus_on_response },
	[CHANNELMSG_GPADL_CREATED]		= { vmbus_on_response },
	[CHANNELMSG_GPADL_TORNDOWN]		= { vmbus_on_response },
	[CHANNELMSG_MODIFYCHANNEL_RESPONSE]	= { vmbus_on_response },
	[CHANNELMSG_TL_CONNECT_RESULT]		= { vmbus_on_tl_result },
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
	enum vmbus_msg_verdict v = vmbus_msg_check(msg);

	vmbus_stat_inc(VMBUS_STAT_MSGS_IN);
	if (v == VMBUS_MSG_NOT_CHANNEL) {
		/* Not a VMBus message; its payload is not parsed. */
		vmbus_stat_inc(VMBUS_STAT_MSGS_FOREIGN);
		pr_warn_ratelimited("SynIC message of type %#x on the VMBus SINT dropped\n",
				    msg->header.message_type);
		return;
	}
	if (v == VMBUS_MSG_BAD_SIZE) {
		pr_warn_ratelimited("host message with bad size %u dropped\n", len);
		goto bad;
	}
	vmbus_msglog_add(vmbus_msglog_in, hdr, len);
	if (v == VMBUS_MSG_BAD_TYPE) {
		pr_warn_ratelimited("host message of unexpected type %u dropped\n",
				    hdr->msgtype);
		goto bad;
	}
	if (v == VMBUS_MSG_SHORT) {
		pr_warn_ratelimited("host message type %u too short (%u < %u) dropped\n",
				    hdr->msgtype, len, vmbus_msg_min_len(hdr->msgtype));
		goto bad;
	}
	/* Every type vmbus_msg_check() accepts has a handler. */
	if (WARN_ON_ONCE(!vmbus_msg_handlers[hdr->msgtype].handle))
		goto bad;
	vmbus_msg_handlers[hdr->msgtype].handle(hdr, len);
	return;
bad:
	vmbus_stat_inc(VMBUS_STAT_MSGS_BAD);
}

/**
 * vmbus_msg_work() - dispatch the messages one CPU's ISR copied out
 * @work: the CPU's vmbus_synic.msg_work, set up by vmbus_synic_alloc()
 *
 * The ring's single consumer; its producer is vmbus_msg_harvest() in
 * vmbus_event.c.
 *
 * Context: process context, on msg_wq; never runs twice at once for a CPU.
 */
void vmbus_msg_work(struct work_struct *work)
{
	struct vmbus_synic *s = container_of(work, struct vmbus_synic, msg_work);
	struct vmbus_msg_ring *r = &s->ring;
	struct hv_message *msg = &s->work_msg;
	bool stalled;

	for (;;) {
		/*
		 * One entry at a time under msg_lock, dispatched outside it:
		 * the crash path's poller (vmbus_crash.c) may take the ring
		 * over at any point, and then this work takes nothing more.
		 */
		raw_spin_lock_irq(&s->msg_lock);
		if (READ_ONCE(vmbus_conn.crash_unload) ||
		    /* Pairs with the release of the head in vmbus_msg_harvest(). */
		    r->tail == smp_load_acquire(&r->head)) {
			stalled = !READ_ONCE(vmbus_conn.crash_unload) &&
				  READ_ONCE(s->stalled);
			WRITE_ONCE(s->stalled, false);
			raw_spin_unlock_irq(&s->msg_lock);
			break;
		}
		memcpy(msg, &r->msgs[r->tail % VMBUS_MSG_RING_SIZE], sizeof(*msg));
		/* Pairs with the acquire of the tail in vmbus_msg_harvest(). */
		smp_store_release(&r->tail, r->tail + 1);
		raw_spin_unlock_irq(&s->msg_lock);
		vmbus_msg_dispatch(msg);
	}
	/* A message left in the slot while the ring was full: fetch it now. */
	if (stalled)
		smp_call_function_single(s->cpu, vmbus_msg_reharvest, NULL, 1);
}

/**
 * vmbus_set_sc_create_callback() - be told of new sub-channels
 * @primary_channel: the primary channel
 * @sc_cr_cb: called, in process context, for each sub-channel offered
 *
 * Sub-channels offered before the call are on @primary_channel->sc_list.
 *
 * Context: process context, may sleep.
 */
void vmbus_set_sc_create_callback(struct vmbus_channel *primary_channel,
				  void (*sc_cr_cb)(struct vmbus_channel *new_sc))
{
	/*
	 * Under the lock vmbus_add_subchannel() holds while it lists a
	 * sub-channel and reads the callback: a driver that sets the callback
	 * and then walks sc_list sees every sub-channel at least once.
	 */
	mutex_lock(&vmbus_connection.channel_mutex);
	primary_channel->sc_creation_callback = sc_cr_cb;
	mutex_unlock(&vmbus_connection.channel_mutex);
}

/**
 * vmbus_set_chn_rescind_callback() - be told when the host rescinds a channel
 * @channel: the channel
 * @chn_rescind_cb: called from the rescind work, before the device goes
 *
 * Context: any.
 */
void vmbus_set_chn_rescind_callback(struct vmbus_channel *channel,
				    void (*chn_rescind_cb)(struct vmbus_channel *))
{
	/* Read by the rescind work under channel_mutex; set in probe. */
	WRITE_ONCE(channel->chn_rescind_callback, chn_rescind_cb);
}

/**
 * vmbus_hvsock_device_unregister() - remove an hv_sock connection's device
 * @channel: the connection's channel
 *
 * The host always rescinds an hv_sock channel when the connection closes;
 * this waits for that rescind and for its work (which runs hv_sock's
 * rescind callback), then removes the device and, once the rescind work
 * has left the channel to this call, frees it (RELID_RELEASED).  Called
 * from that callback itself (hv_sock drops its last socket reference there
 * when the guest closed first), it removes the device without waiting:
 * waiting for offer_wq there would wait for itself, and the rescind work
 * frees the channel once the callback returns.
 *
 * Context: process context, may sleep.
 */
void vmbus_hvsock_device_unregister(struct vmbus_channel *channel)
{
	struct vmbus_chan *vc = to_vmbus_chan(channel);

	if (WARN_ON(!is_hvsock_channel(channel)))
		return;
	wait_for_completion(&channel->rescind_event);
	if (current_work() == &vc->rescind_work) {
		vmbus_device_remove(channel);
		return;
	}
	flush_workqueue(vmbus_conn.offer_wq);
	vmbus_device_remove(channel);
	if (test_and_clear_bit(VMBUS_CHAN_HVSOCK_UNREG, &vc->flags))
		vmbus_chan_destroy(vc, true);
}
