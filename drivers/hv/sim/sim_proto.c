// SPDX-License-Identifier: GPL-2.0
/*
 * vmbus_sim: the host side of the VMBus connection protocol (vmbus-sim.rst,
 * host behaviour 1-4).
 *
 *   INITIATE_CONTACT -> VERSION_RESPONSE; a contact while connected resets
 *                       the bus first (no UNLOAD_RESPONSE), or is refused
 *                       (strict_contact 1)
 *   REQUEST_OFFERS   -> one OFFERCHANNEL per channel, each primary
 *                       followed by its sub-channels, ALLOFFERS_DELIVERED;
 *                       later channels are offered at once (hot add)
 *   UNLOAD           -> the connection ends; UNLOAD_RESPONSE (delayed),
 *                       or the UNLOAD is ignored (unload_respond 0); one
 *                       posted with interrupts off was answered by the
 *                       transport already (sim_msg.c)
 *   RELID_RELEASED   -> a rescinded relid is free again; a pending
 *                       re-offer goes out
 *
 * and the host's own rescinds (vmbus-sim.rst, host behaviours 9, 10): a
 * rescinded channel the
 * guest holds keeps its record, in state rescinded, until RELID_RELEASED.
 *
 * Every message comes from the guest and is checked here before use; a
 * violation is counted in guest_errors and the message is dropped (or the
 * contact refused).  Everything runs in process context under sim_lock:
 * the host work item for guest messages, the control plane for devices,
 * the delayed UNLOAD_RESPONSE, the event rounds and the bursts.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/atomic.h>
#include <linux/bitmap.h>
#include <linux/cpumask.h>
#include <linux/jiffies.h>
#include <linux/lockdep.h>
#include <linux/mutex.h>
#include <linux/printk.h>
#include <linux/slab.h>
#include <linux/workqueue.h>

#include <linux/hyperv/vmbus_tl.h>

#include "sim.h"

enum {
	/* Files that watch the protocol: sim_burst.c and sim_resume.c. */
	SIM_PROTO_WATCHERS	= 2,
};

/*
 * The watchers registered with sim_proto_watch(), at module init before
 * the guest can attach; read-only after that.
 */
static const struct sim_proto_watcher *sim_watchers[SIM_PROTO_WATCHERS];
static unsigned int sim_nr_watchers;

/* What sim_proto_notify() tells the watchers; see struct sim_proto_watcher. */
enum sim_watch_event {
	SIM_WATCH_CONNECT,
	SIM_WATCH_OFFERED,
	SIM_WATCH_REQUEST_OFFERS,
	SIM_WATCH_UNLOAD,
	SIM_WATCH_DISCONNECT,
	SIM_WATCH_DEV_DONE,
};

/*
 * Call the hook for @ev of every watcher that has one.  @ch and the
 * contact CPU go with SIM_WATCH_OFFERED, @dev and @reoffered with
 * SIM_WATCH_DEV_DONE.
 */
static void sim_proto_notify(enum sim_watch_event ev, struct sim_chan *ch,
			     struct sim_device *dev, bool reoffered)
{
	const struct sim_proto_watcher *w;
	unsigned int i;

	for (i = 0; i < sim_nr_watchers; i++) {
		w = sim_watchers[i];
		if (ev == SIM_WATCH_CONNECT && w->connect)
			w->connect();
		else if (ev == SIM_WATCH_OFFERED && w->offered)
			w->offered(ch, sim_proto_contact_cpu());
		else if (ev == SIM_WATCH_REQUEST_OFFERS && w->request_offers)
			w->request_offers();
		else if (ev == SIM_WATCH_UNLOAD && w->unload)
			w->unload();
		else if (ev == SIM_WATCH_DISCONNECT && w->disconnect)
			w->disconnect();
		else if (ev == SIM_WATCH_DEV_DONE && w->dev_done)
			w->dev_done(dev, reoffered);
	}
}

/**
 * sim_proto_watch() - tell a file above this one of protocol events
 * @w: its hooks; lives as long as the module
 *
 * Context: module init, before the control plane and the guest can reach
 * the protocol.
 */
void sim_proto_watch(const struct sim_proto_watcher *w)
{
	if (WARN_ON(sim_nr_watchers >= SIM_PROTO_WATCHERS))
		return;
	sim_watchers[sim_nr_watchers++] = w;
}

/**
 * struct sim_conn - the connection with the guest
 * @connected: a version was agreed and no UNLOAD came since
 * @offering: REQUEST_OFFERS was answered: new devices are offered at once
 * @version: the agreed version; 0 while not connected
 * @conn_id: the connection id the guest posts to while connected
 * @contact_cpu: the CPU every host message goes to
 * @unload_work: the delayed UNLOAD_RESPONSE
 * @logged: message types already reported as not handled yet
 *
 * Written under sim_lock; the fields the stats file shows are written with
 * WRITE_ONCE() and read there without the lock.
 */
struct sim_conn {
	bool connected;
	bool offering;
	u32 version;
	u32 conn_id;
	unsigned int contact_cpu;
	struct delayed_work unload_work;
	DECLARE_BITMAP(logged, CHANNELMSG_COUNT);
};

static struct sim_conn sim_conn;

/* Sizes of the host's messages on the wire. */
static_assert(sizeof(struct vmbus_channel_version_response) == 16);
static_assert(sizeof(struct vmbus_channel_offer_channel) == 196);
static_assert(sizeof(struct vmbus_channel_offer_channel) <=
	      HV_MESSAGE_PAYLOAD_BYTE_COUNT);
static_assert(offsetof(struct vmbus_channel_offer_channel, child_relid) ==
	      184);
static_assert(offsetof(struct vmbus_channel_offer_channel,
		       offer.sub_channel_index) == 180);
static_assert(sizeof(struct vmbus_channel_rescind_offer) == 12);

/**
 * struct sim_handler - how the host takes one message type from the guest
 * @handle: the handler, called under sim_lock; NULL for a type the
 *	simulator does not handle yet
 * @min_size: the smallest valid message
 * @from_guest: a guest may send this type at all
 */
struct sim_handler {
	void (*handle)(const void *msg, u32 size, u32 conn_id);
	u32 min_size;
	bool from_guest;
};

static int sim_send_hdr(enum vmbus_channel_message_type type)
{
	struct vmbus_channel_message_header hdr = { .msgtype = type };

	return sim_msg_send(&hdr, sizeof(hdr));
}

/* Sends a failed send's error to the log; the guest waits in vain. */
static void sim_send_check(int ret, const char *what)
{
	if (ret)
		pr_err("sending %s failed: %d\n", what, ret);
}

/* Offer one channel to the guest: a new instance at its relid. */
static void sim_offer(struct sim_chan *ch)
{
	const struct sim_device *dev = ch->dev;
	struct vmbus_channel_offer_channel msg = {
		.header.msgtype = CHANNELMSG_OFFERCHANNEL,
		.offer.if_type = dev->class_id,
		.offer.if_instance = dev->instance,
		.offer.sub_channel_index = ch->sub_index,
		.child_relid = ch->relid,
		.connection_id = sim_dev_chan_conn_id(ch->relid),
	};
	int ret;

	lockdep_assert_held(&sim_lock);
	if (dev->hvsock) {
		struct vmbus_hvsock_user_def *ud = (void *)msg.offer.u.pipe.user_def;

		/*
		 * Pipe mode; is_for_guest_accept (user_def[0], all hv_sock
		 * reads) says who connected.  The parameters' version is the
		 * protocol's; the silo is the host's own (zero).
		 */
		msg.offer.chn_flags = VMBUS_CHANNEL_TLNPI_PROVIDER_OFFER |
				      VMBUS_CHANNEL_NAMED_PIPE_MODE;
		msg.offer.u.pipe.pipe_mode = VMBUS_PIPE_TYPE_BYTE;
		ud->is_for_guest_accept = dev->hvsock == SIM_HVS_FROM_HOST;
		ud->version = cpu_to_le32(sim_proto_version() >= VERSION_WIN10_V5_2 ?
					  VMBUS_HVSOCK_PARAMS_V1 :
					  VMBUS_HVSOCK_PARAMS_V0);
	}
	msg.monitorid = sim_monitor_assign(ch->relid);
	msg.monitor_allocated = msg.monitorid != SIM_MONITOR_NONE;
	ret = sim_msg_send(&msg, sizeof(msg));
	sim_send_check(ret, "OFFERCHANNEL");
	if (ret) {
		sim_monitor_release(ch->relid);
		return;
	}
	ch->held = true;
	ch->retire = false;
	/* A new primary: its sub-channels wait for the guest to ask again. */
	if (!ch->sub_index)
		ch->dev->subs_granted = 0;
	atomic64_set(&ch->events, 0);
	sim_ring_conn_id_set(ch->relid, true);
	sim_stat_inc(SIM_STAT_OFFERS);
	sim_proto_notify(SIM_WATCH_OFFERED, ch, NULL, false);
}

/*
 * Offer the channels of @dev the guest does not hold yet, primary first,
 * if the guest asked for offers.  Sub-channels always come after their
 * primary (vmbus-sim.rst, host behaviour 2): the guest drops a sub-channel it
 * cannot attach.  Those of a device with @subs_on_request wait until the
 * guest asked for them.
 */
static void sim_offer_dev(struct sim_device *dev)
{
	struct sim_chan *ch;
	unsigned int i;

	if (!sim_conn.offering || !dev->in_table)
		return;
	for (i = 0; i <= dev->nsub; i++) {
		if (i && dev->subs_on_request && i > dev->subs_granted)
			break;
		ch = dev->chans[i];
		if (ch && ch->state == SIM_CHAN_OFFERED && !ch->held)
			sim_offer(ch);
	}
}

static int sim_send_rescind(u32 relid)
{
	struct vmbus_channel_rescind_offer msg = {
		.header.msgtype = CHANNELMSG_RESCIND_CHANNELOFFER,
		.child_relid = relid,
	};
	int ret = sim_msg_send(&msg, sizeof(msg));

	sim_send_check(ret, "RESCIND_CHANNELOFFER");
	return ret;
}

/**
 * sim_proto_dev_settle() - re-offer or free a device whose state changed
 * @dev: the device
 *
 * A device out of the table with no record left is added again if a
 * re-offer is pending and no burst holds it back, and freed otherwise.
 * A burst waiting for @dev hears about either.
 *
 * Context: under sim_lock.
 */
void sim_proto_dev_settle(struct sim_device *dev)
{
	int ret;

	lockdep_assert_held(&sim_lock);
	if (dev->in_table || dev->nr_chans || dev->hold)
		return;
	if (dev->reoffer) {
		ret = sim_dev_readd(dev);
		if (!ret) {
			sim_offer_dev(dev);
			sim_proto_notify(SIM_WATCH_DEV_DONE, NULL, dev, true);
			return;
		}
		pr_err("re-offer of %pUl failed: %d\n", &dev->instance, ret);
	}
	sim_proto_notify(SIM_WATCH_DEV_DONE, NULL, dev, false);
	sim_dev_free(dev);
}

/*
 * The guest no longer holds @ch (never offered, released, or the
 * connection ended): free the record, then re-offer what waited for it.
 */
static void sim_chan_gone(struct sim_chan *ch)
{
	struct sim_device *dev = ch->dev;
	u16 sub_index = ch->sub_index;
	bool reoffer = ch->reoffer;
	int ret;

	sim_ring_conn_id_set(ch->relid, false);
	sim_monitor_release(ch->relid);
	sim_chan_free(ch);
	if (reoffer && dev->in_table) {
		ret = sim_dev_readd_sub(dev, sub_index);
		if (ret)
			pr_err("re-offer of %pUl sub-channel %u failed: %d\n",
			       &dev->instance, sub_index, ret);
		else
			sim_offer_dev(dev);
	}
	sim_proto_dev_settle(dev);
}

/*
 * Rescind one channel (vmbus-sim.rst, host behaviour 9).  The host stops
 * using it at once: the
 * state changes under sim_lock before the RESCIND is queued, so an event
 * round (which also holds sim_lock) set its bit either before the RESCIND
 * was queued, and counted it for this instance, or not at all.
 */
static void sim_chan_rescind(struct sim_chan *ch, bool dup)
{
	if (!ch->held) {
		sim_chan_gone(ch);
		return;
	}
	ch->state = SIM_CHAN_RESCINDED;
	/* Rings and GPADLs go first; pending creates are answered. */
	sim_ring_rescind(ch->relid);
	sim_stat_inc(SIM_STAT_RESCINDS);
	sim_send_rescind(ch->relid);
	if (dup)
		sim_send_rescind(ch->relid);
}

/**
 * sim_proto_dev_rescind() - take a device out of the table
 * @dev: a device in the table
 * @how: plain, with a duplicate RESCIND of the primary, or to be offered
 *	again once the guest released every channel
 *
 * Sub-channels are rescinded first, then the primary.  Channels the guest
 * does not hold go at once; the others stay, rescinded, until released.
 *
 * Context: under sim_lock.
 */
void sim_proto_dev_rescind(struct sim_device *dev, enum sim_rescind_how how)
{
	struct sim_chan *ch;
	unsigned int i;

	lockdep_assert_held(&sim_lock);
	dev->in_table = false;
	dev->withheld = false;
	dev->reoffer = how == SIM_RESCIND_REOFFER;
	for (i = 1; i <= dev->nsub; i++) {
		ch = dev->chans[i];
		if (!ch)
			continue;
		/* The device's re-offer brings every sub-channel back. */
		ch->reoffer = false;
		if (ch->state == SIM_CHAN_OFFERED)
			sim_chan_rescind(ch, false);
	}
	/* Last: its going may re-offer the device at once. */
	sim_chan_rescind(dev->chans[0], how == SIM_RESCIND_DUP);
}

/*
 * Forget the connection: the guest holds no relid, nothing is offered, and
 * what waited for a RELID_RELEASED is done now (re-offers go back into the
 * table, to be offered at the next REQUEST_OFFERS).  Event rounds and
 * bursts are asked to stop; they may not be waited for under sim_lock.
 */
static void sim_disconnect(void)
{
	struct sim_device *dev, *tmp;
	struct sim_chan *ch;
	u32 relid;

	lockdep_assert_held(&sim_lock);
	/*
	 * The host closes every channel and GPADL (vmbus-sim.rst, host
	 * behaviour 4).
	 */
	sim_ring_disconnect();
	sim_monitor_disconnect();
	sim_conn.connected = false;
	sim_conn.offering = false;
	WRITE_ONCE(sim_conn.version, 0);
	WRITE_ONCE(sim_conn.conn_id, 0);
	/* Records re-added on the way have a free relid and are not held. */
	for (relid = 1; relid <= SIM_MAX_RELID; relid++) {
		ch = sim_chan_get(relid);
		if (!ch)
			continue;
		ch->held = false;
		ch->retire = false;
		if (ch->state == SIM_CHAN_RESCINDED)
			sim_chan_gone(ch);
	}
	/*
	 * Hyper-V sockets end with the connection that carried them: they are
	 * never offered again (vmbus-sim.rst, "Hyper-V sockets").  Nobody
	 * holds them now, so they go at once.
	 */
	list_for_each_entry_safe(dev, tmp, sim_dev_list(), node)
		if (dev->hvsock && dev->in_table)
			sim_proto_dev_rescind(dev, SIM_RESCIND);
	sim_events_request_stop();
	sim_proto_notify(SIM_WATCH_DISCONNECT, NULL, NULL, false);
	sim_msg_disconnect();
}

/**
 * sim_version_known() - whether @version is a protocol version of VMBus
 * @version: (major << 16) | minor
 *
 * Return: true for the versions in sim_versions.
 */
bool sim_version_known(u32 version)
{
	unsigned int i;

	for (i = 0; i < sim_nr_versions; i++)
		if (sim_versions[i] == version)
			return true;
	return false;
}

/*
 * Check an INITIATE_CONTACT.  Returns false (and counts a guest error) for
 * a contact the host refuses whatever the version; *cpu is the contact CPU,
 * CPU 0 if target_vcpu is unusable.
 */
static bool sim_contact_valid(const struct vmbus_channel_initiate_contact *msg,
			      u32 conn_id, unsigned int *cpu)
{
	u32 version = msg->vmbus_version_requested;
	bool v5 = version >= VERSION_WIN10_V5;
	u32 vp = msg->target_vcpu;

	/* vp_index() of the sim is the identity. */
	*cpu = sim_synic_enabled(vp) ? vp : 0;
	if (*cpu != vp) {
		sim_guest_error("INITIATE_CONTACT: target_vcpu %u has no enabled SynIC\n",
				vp);
		return false;
	}
	if (conn_id != (v5 ? VMBUS_MESSAGE_CONNECTION_ID_4 :
			     VMBUS_MESSAGE_CONNECTION_ID)) {
		sim_guest_error("INITIATE_CONTACT: version %#x on connection id %u\n",
				version, conn_id);
		return false;
	}
	if (v5 && msg->msg_sint != VMBUS_MESSAGE_SINT) {
		sim_guest_error("INITIATE_CONTACT: msg_sint %u\n", msg->msg_sint);
		return false;
	}
	if (!msg->monitor_page1 != !msg->monitor_page2) {
		sim_guest_error("INITIATE_CONTACT: only one monitor page\n");
		return false;
	}
	return true;
}

static bool sim_version_supported(u32 version)
{
	return sim_version_known(version) &&
	       version <= READ_ONCE(sim_modes.version_ceiling);
}

static void sim_initiate_contact(const void *data, u32 size, u32 conn_id)
{
	const struct vmbus_channel_initiate_contact *msg = data;
	struct vmbus_channel_version_response resp = {
		.header.msgtype = CHANNELMSG_VERSION_RESPONSE,
	};
	u32 version = msg->vmbus_version_requested;
	const char *old = NULL;
	unsigned int cpu;
	bool strict;

	sim_stat_inc(SIM_STAT_CONTACTS);
	strict = READ_ONCE(sim_modes.strict_contact);
	/*
	 * Hyper-V refuses a contact while the old connection is still there
	 * (no UNLOAD since), also one an earlier guest kernel left
	 * (sim_record.c); nothing of it changes.  The answer goes where the
	 * old connection's messages go.
	 */
	if (sim_record_refuse_contact(strict))
		old = "a connection of an earlier guest kernel (host record)";
	else if (sim_conn.connected && strict)
		old = "the old connection";
	if (old) {
		sim_stat_inc(SIM_STAT_CONTACTS_REFUSED_STRICT);
		pr_warn_ratelimited("strict_contact: INITIATE_CONTACT for version %#x refused: %s was not unloaded\n",
				    version, old);
		sim_send_check(sim_msg_send(&resp, sizeof(resp)),
			       "VERSION_RESPONSE");
		return;
	}
	if (sim_conn.connected) {
		/*
		 * kexec, or a resume without UNLOAD (vmbus-sim.rst, host
		 * behaviour 3).
		 */
		sim_stat_inc(SIM_STAT_RESETS);
		sim_disconnect();
	}
	/*
	 * An UNLOAD_RESPONSE still owed belongs to the old guest.  We run on
	 * the ordered sim_wq, so unload_work is not running: a plain cancel
	 * removes it whether its timer is pending or it is queued behind us.
	 */
	cancel_delayed_work(&sim_conn.unload_work);

	if (sim_contact_valid(msg, conn_id, &cpu) &&
	    sim_version_supported(version)) {
		sim_conn.connected = true;
		/* Before the first offer: relids and connection ids move. */
		sim_proto_notify(SIM_WATCH_CONNECT, NULL, NULL, false);
		WRITE_ONCE(sim_conn.version, version);
		WRITE_ONCE(sim_conn.conn_id, version >= VERSION_WIN10_V5 ?
			   READ_ONCE(sim_modes.msg_conn_id) :
			   VMBUS_MESSAGE_CONNECTION_ID);
		resp.version_supported = 1;
		/* Bad pages: a guest error, and offers without monitor ids. */
		sim_monitor_connect(msg->monitor_page1, msg->monitor_page2);
		if (version >= VERSION_WIN10_V5)
			resp.msg_conn_id = sim_conn.conn_id;
		sim_record_connected(version);
	}
	WRITE_ONCE(sim_conn.contact_cpu, cpu);
	sim_msg_connect(cpu, sim_conn.connected ? sim_conn.conn_id : 0);
	sim_send_check(sim_msg_send(&resp, sizeof(resp)), "VERSION_RESPONSE");
}

static void sim_request_offers(const void *data, u32 size, u32 conn_id)
{
	struct sim_chan *ch;
	u32 relid;

	if (!sim_conn.connected || sim_conn.offering) {
		sim_guest_error("REQUEST_OFFERS while %s\n",
				sim_conn.connected ? "already offering" :
						     "not connected");
		return;
	}
	sim_proto_notify(SIM_WATCH_REQUEST_OFFERS, NULL, NULL, false);
	sim_conn.offering = true;
	/* Primaries in relid order, each with its sub-channels. */
	for (relid = 1; relid <= SIM_MAX_RELID; relid++) {
		ch = sim_chan_get(relid);
		if (ch && !ch->sub_index)
			sim_offer_dev(ch->dev);
	}
	sim_send_check(sim_send_hdr(CHANNELMSG_ALLOFFERS_DELIVERED),
		       "ALLOFFERS_DELIVERED");
}

static void sim_unload_respond(void)
{
	lockdep_assert_held(&sim_lock);
	sim_stat_inc(SIM_STAT_UNLOAD_RESPONSES);
	sim_send_check(sim_send_hdr(CHANNELMSG_UNLOAD_RESPONSE),
		       "UNLOAD_RESPONSE");
}

static void sim_unload_work(struct work_struct *work)
{
	mutex_lock(&sim_lock);
	sim_unload_respond();
	mutex_unlock(&sim_lock);
}

static void sim_unload(const void *data, u32 size, u32 conn_id)
{
	u32 delay_ms = READ_ONCE(sim_modes.unload_delay_ms);

	sim_stat_inc(SIM_STAT_UNLOADS);
	/*
	 * Queued ahead of the UNLOAD_RESPONSE (vmbus-sim.rst, host behaviour
	 * 4).
	 */
	sim_proto_notify(SIM_WATCH_UNLOAD, NULL, NULL, false);
	/*
	 * A host too slow to act on the UNLOAD: it stays connected with all
	 * its state and sends nothing.  The guest's next INITIATE_CONTACT
	 * finds it connected and resets the bus (vmbus-sim.rst, host
	 * behaviour 3).
	 */
	if (!READ_ONCE(sim_modes.unload_respond))
		return;
	/* Answered anyway: a host answers UNLOAD in any state. */
	if (!sim_conn.connected)
		sim_guest_error("UNLOAD while not connected\n");
	sim_disconnect();
	/* The guest's crash path was answered from its post (sim_msg.c). */
	if (sim_msg_unload_answered())
		return;
	sim_record_unloaded(false);
	if (!delay_ms)
		sim_unload_respond();
	else if (!queue_delayed_work(sim_wq, &sim_conn.unload_work,
				     msecs_to_jiffies(delay_ms)))
		sim_guest_error("UNLOAD while an UNLOAD_RESPONSE is pending\n");
}

/*
 * Valid only for a relid the host rescinded and the guest still holds
 * (vmbus-sim.rst, host behaviour 10); the channel cannot be open or closed yet.
 */
static void sim_relid_released(const void *data, u32 size, u32 conn_id)
{
	const struct vmbus_channel_relid_released *msg = data;
	struct sim_chan *ch = sim_chan_get(msg->child_relid);

	/* A refused injected offer's relid (sim_hostile.c). */
	if (!ch && sim_hostile_released(msg->child_relid))
		return;
	if (!ch || ch->state != SIM_CHAN_RESCINDED) {
		sim_guest_error("RELID_RELEASED for relid %u, which is %s\n",
				msg->child_relid,
				ch ? "not rescinded" : "unknown");
		return;
	}
	sim_stat_inc(SIM_STAT_RELIDS_RELEASED);
	sim_chan_gone(ch);
}

/* MODIFYCHANNEL exists from 4.1 on; the channel's side is sim_ring.c's. */
/* The Hyper-V socket back end's TL_CONNECT_REQUEST handler (sim_hvsock.c). */
static void (*sim_tl_connect_fn)(const void *data, u32 size, u32 conn_id);

/**
 * sim_proto_set_tl_connect() - who answers TL_CONNECT_REQUEST
 * @fn: the handler, called like the other message handlers
 *
 * Context: module init, before the guest can connect.
 */
void sim_proto_set_tl_connect(void (*fn)(const void *data, u32 size, u32 conn_id))
{
	sim_tl_connect_fn = fn;
}

static void sim_tl_connect(const void *data, u32 size, u32 conn_id)
{
	if (sim_tl_connect_fn)
		sim_tl_connect_fn(data, size, conn_id);
}

static void sim_modify(const void *data, u32 size, u32 conn_id)
{
	u32 version = sim_proto_version();

	if (version < VERSION_WIN10_V4_1) {
		sim_guest_error("MODIFYCHANNEL at version %#x\n", version);
		return;
	}
	sim_ring_modify(data, size, conn_id, version);
}

/* Rescind @ch, a closed sub-channel: it comes back on the next request. */
static void sim_sub_retire(struct sim_chan *ch)
{
	ch->retire = false;
	ch->reoffer = true;
	sim_chan_rescind(ch, false);
}

/*
 * CLOSECHANNEL: the channel closes.  A sub-channel of a device whose
 * sub-channels come on request does not outlive its close: the host
 * rescinds it once the guest tore down its GPADLs (sim_gpadl_teardown_msg())
 * and offers it again only when the guest next asks for sub-channels
 * (vmbus-sim.rst, host behaviour 2).  A guest that closes its sub-channels
 * to change their number (hv_netvsc's channel count, its MTU) or for
 * hibernation then gets fresh offers.
 */
static void sim_close_msg(const void *data, u32 size, u32 conn_id)
{
	const struct vmbus_channel_close_channel *msg = data;
	struct sim_chan *ch;

	sim_ring_close_msg(data, size, conn_id);
	ch = sim_chan_get(msg->child_relid);
	if (!ch || !ch->sub_index || !ch->dev->subs_on_request ||
	    ch->state != SIM_CHAN_OFFERED || !ch->held)
		return;
	/* What was granted is spent: the next request offers anew. */
	ch->dev->subs_granted = 0;
	ch->retire = true;
	if (!sim_gpadl_chan_count(ch->relid))
		sim_sub_retire(ch);
}

/* GPADL_TEARDOWN: a closed sub-channel waiting for its last GPADL goes. */
static void sim_gpadl_teardown_msg(const void *data, u32 size, u32 conn_id)
{
	const struct vmbus_channel_gpadl_teardown *msg = data;
	struct sim_chan *ch;

	sim_gpadl_teardown(data, size, conn_id);
	ch = sim_chan_get(msg->child_relid);
	if (ch && ch->retire && ch->held && ch->state == SIM_CHAN_OFFERED &&
	    !sim_gpadl_chan_count(ch->relid))
		sim_sub_retire(ch);
}

/* Taken from the guest but handled by later work; sizes come with that. */
#define SIM_GUEST_MSG(_type)						\
	[_type] = {							\
		.min_size = sizeof(struct vmbus_channel_message_header),	\
		.from_guest = true,					\
	}

static const struct sim_handler sim_handlers[CHANNELMSG_COUNT] = {
	[CHANNELMSG_REQUESTOFFERS] = {
		.handle = sim_request_offers, .from_guest = true,
		.min_size = sizeof(struct vmbus_channel_message_header),
	},
	[CHANNELMSG_RELID_RELEASED] = {
		.handle = sim_relid_released, .from_guest = true,
		.min_size = sizeof(struct vmbus_channel_relid_released),
	},
	[CHANNELMSG_INITIATE_CONTACT] = {
		.handle = sim_initiate_contact, .from_guest = true,
		.min_size = sizeof(struct vmbus_channel_initiate_contact),
	},
	[CHANNELMSG_UNLOAD] = {
		.handle = sim_unload, .from_guest = true,
		.min_size = sizeof(struct vmbus_channel_message_header),
	},
	[CHANNELMSG_OPENCHANNEL] = {
		.handle = sim_ring_open, .from_guest = true,
		.min_size = sizeof(struct vmbus_channel_open_channel),
	},
	[CHANNELMSG_CLOSECHANNEL] = {
		.handle = sim_close_msg, .from_guest = true,
		.min_size = sizeof(struct vmbus_channel_close_channel),
	},
	[CHANNELMSG_GPADL_HEADER] = {
		.handle = sim_gpadl_header, .from_guest = true,
		.min_size = sizeof(struct vmbus_channel_gpadl_header),
	},
	[CHANNELMSG_GPADL_BODY] = {
		.handle = sim_gpadl_body, .from_guest = true,
		.min_size = sizeof(struct vmbus_channel_gpadl_body),
	},
	[CHANNELMSG_GPADL_TEARDOWN] = {
		.handle = sim_gpadl_teardown_msg, .from_guest = true,
		.min_size = sizeof(struct vmbus_channel_gpadl_teardown),
	},
	[CHANNELMSG_MODIFYCHANNEL] = {
		.handle = sim_modify, .from_guest = true,
		.min_size = sizeof(struct vmbus_channel_modifychannel),
	},
	[CHANNELMSG_TL_CONNECT_REQUEST] = {
		.handle = sim_tl_connect, .from_guest = true,
		.min_size = sizeof(struct vmbus_channel_tl_connect_request),
	},
};

static_assert(ARRAY_SIZE(sim_handlers) == CHANNELMSG_COUNT);

/* Returns the handler, or NULL (after reporting) for a message to drop. */
static const struct sim_handler *sim_handler_find(u32 type, u32 size)
{
	const struct sim_handler *h;

	if (type >= CHANNELMSG_COUNT || !sim_handlers[type].from_guest) {
		sim_guest_error("message type %u is not one a guest sends\n",
				type);
		return NULL;
	}
	h = &sim_handlers[type];
	if (size < h->min_size) {
		sim_guest_error("%s: %u bytes, at least %u expected\n",
				sim_msg_type_name(type), size, h->min_size);
		return NULL;
	}
	if (!h->handle) {
		if (!test_and_set_bit(type, sim_conn.logged))
			pr_debug("%s: not handled yet, dropped\n",
				 sim_msg_type_name(type));
		return NULL;
	}
	return h;
}

/**
 * sim_proto_handle() - the host takes one message from the guest
 * @conn_id: the connection id it was posted to (already checked against
 *	the connection state when it was posted)
 * @msg: the host's copy of the message
 * @size: its size, at least that of the message header
 *
 * Context: process context (the host work item), may sleep.
 */
void sim_proto_handle(u32 conn_id, const void *msg, u32 size)
{
	const struct vmbus_channel_message_header *hdr = msg;
	const struct sim_handler *h;

	h = sim_handler_find(hdr->msgtype, size);
	if (!h)
		return;
	mutex_lock(&sim_lock);
	h->handle(msg, size, conn_id);
	mutex_unlock(&sim_lock);
}

/* The classes whose sub-channels wait for the guest's request. */
static guid_t sim_subs_classes[2];
static unsigned int sim_nr_subs_classes;

/**
 * sim_proto_subs_on_request() - offer a class's sub-channels on request
 * @class_id: the class; devices of it added from now on offer their
 *	primary only, and each sub-channel once sim_proto_offer_subs()
 *	granted it
 *
 * Two classes at most (the SCSI controller, sim_storvsc.c, and the
 * network adapter, sim_netvsc.c).  A sub-channel of such a device that
 * the guest closes is rescinded and waits for the next request
 * (sim_close_msg()).
 *
 * Context: module init, before the control plane exists.
 */
void sim_proto_subs_on_request(const guid_t *class_id)
{
	if (WARN_ON(sim_nr_subs_classes >= ARRAY_SIZE(sim_subs_classes)))
		return;
	guid_copy(&sim_subs_classes[sim_nr_subs_classes++], class_id);
}

static bool sim_subs_class(const guid_t *class_id)
{
	unsigned int i;

	for (i = 0; i < sim_nr_subs_classes; i++)
		if (guid_equal(class_id, &sim_subs_classes[i]))
			return true;
	return false;
}

/* Offers the new device at once if the guest already asked for offers. */
static int sim_dev_add_offer(const guid_t *class_id, const guid_t *instance,
			     u16 nsub)
{
	struct sim_device *dev;
	int ret;

	lockdep_assert_held(&sim_lock);
	ret = sim_dev_add(class_id, instance, nsub, &dev);
	if (ret)
		return ret;
	dev->subs_on_request = sim_subs_class(class_id);
	sim_offer_dev(dev);
	return 0;
}

/**
 * sim_proto_offer_subs() - the guest asked for sub-channels of a device
 * @relid: the relid of the primary channel the request came on
 * @instance: the device's instance, in case @relid changed hands
 * @n: how many sub-channels; at most the device's own are offered
 *
 * Offers sub-channels 1..@n of a device added with subs_on_request whose
 * primary the guest still holds; those offered before stay.
 *
 * Context: process context, may sleep; takes sim_lock.
 * Return: how many sub-channels the guest may now hold; -ENOENT if @relid
 * is no longer such a primary.
 */
int sim_proto_offer_subs(u32 relid, const guid_t *instance, u16 n)
{
	struct sim_device *dev;
	struct sim_chan *ch;
	int ret = -ENOENT;

	mutex_lock(&sim_lock);
	ch = sim_chan_get(relid);
	if (!ch || ch->sub_index || ch->state != SIM_CHAN_OFFERED || !ch->held)
		goto out;
	dev = ch->dev;
	if (!dev->subs_on_request || !guid_equal(&dev->instance, instance))
		goto out;
	dev->subs_granted = max(dev->subs_granted, min(n, dev->nsub));
	sim_offer_dev(dev);
	ret = dev->subs_granted;
out:
	mutex_unlock(&sim_lock);
	return ret;
}

/* A request for sub-channels, for host work to offer. */
struct sim_subs_req {
	struct work_struct work;
	u32 relid;
	guid_t instance;
	u16 n;
	atomic64_t *granted;
};

static void sim_subs_req_fn(struct work_struct *work)
{
	struct sim_subs_req *r = container_of(work, struct sim_subs_req, work);
	int n = sim_proto_offer_subs(r->relid, &r->instance, r->n);

	if (n > 0)
		atomic64_add(n, r->granted);
	kfree(r);
}

/**
 * sim_proto_offer_subs_later() - sim_proto_offer_subs() from host work
 * @relid: the relid of the primary channel the request came on
 * @instance: the device's instance
 * @n: how many sub-channels
 * @granted: a counter that grows by what the guest may then hold
 *
 * For a channel's service, which answers the request first and may not
 * take sim_lock: the offers follow its answer, from sim_wq.
 *
 * Context: any; allocates with GFP_KERNEL.
 * Return: 0, or -ENOMEM.
 */
int sim_proto_offer_subs_later(u32 relid, const guid_t *instance, u16 n,
			       atomic64_t *granted)
{
	struct sim_subs_req *r = kzalloc(sizeof(*r), GFP_KERNEL);

	if (!r)
		return -ENOMEM;
	INIT_WORK(&r->work, sim_subs_req_fn);
	r->relid = relid;
	guid_copy(&r->instance, instance);
	r->n = n;
	r->granted = granted;
	queue_work(sim_wq, &r->work);
	return 0;
}

/**
 * sim_proto_dev_add() - add a device; offer it if offers were requested
 * @class_id: class GUID
 * @instance: instance GUID
 * @nsub: number of sub-channels, offered right after the primary
 *
 * Context: process context, may sleep.
 * Return: 0 or the error of sim_dev_add().
 */
int sim_proto_dev_add(const guid_t *class_id, const guid_t *instance,
		      u16 nsub)
{
	int ret;

	mutex_lock(&sim_lock);
	ret = sim_dev_add_offer(class_id, instance, nsub);
	mutex_unlock(&sim_lock);
	return ret;
}

/**
 * sim_proto_hvsock_add() - offer a Hyper-V socket connection
 * @service: offer.if_type, the service connected to
 * @endpoint: offer.if_instance, the connecting endpoint
 * @dir: &enum sim_hvsock_dir, who connects
 * @kind: &enum sim_hvsock_service, what the host side does
 *
 * Context: under sim_lock, connected.
 * Return: 0 or the error of sim_dev_add().
 */
int sim_proto_hvsock_add(const guid_t *service, const guid_t *endpoint,
			 u8 dir, u8 kind)
{
	struct sim_device *dev;
	int ret;

	lockdep_assert_held(&sim_lock);
	ret = sim_dev_add(service, endpoint, 0, &dev);
	if (ret)
		return ret;
	dev->hvsock = dir;
	dev->hvs_service = kind;
	sim_offer_dev(dev);
	return 0;
}

/**
 * sim_proto_dev_add_test() - add @n test echo devices, all or none
 * @n: how many; instance GUIDs are random
 *
 * Context: process context, may sleep.
 * Return: 0; -ENOSPC if fewer than @n relids are free; -ENOMEM (devices
 * added before the failure stay).
 */
int sim_proto_dev_add_test(unsigned int n)
{
	const guid_t class_id = SIM_TEST_ECHO_GUID;
	guid_t instance;
	int ret = 0;

	mutex_lock(&sim_lock);
	if (n > sim_dev_free_relids())
		ret = -ENOSPC;
	while (!ret && n--) {
		guid_gen(&instance);
		ret = sim_dev_add_offer(&class_id, &instance, 0);
	}
	mutex_unlock(&sim_lock);
	return ret;
}

/**
 * sim_proto_dev_clear() - remove every device
 *
 * The caller stops a running burst first.  Devices in the table are rescinded;
 * pending re-offers are dropped.  Relids the guest holds stay reserved
 * until it releases them or the connection ends.
 *
 * Context: process context, may sleep; not under sim_lock.
 */
void sim_proto_dev_clear(void)
{
	struct sim_device *dev, *tmp;

	mutex_lock(&sim_lock);
	/* Settling frees at most @dev itself, never the next entry. */
	list_for_each_entry_safe(dev, tmp, sim_dev_list(), node) {
		if (dev->in_table) {
			sim_proto_dev_rescind(dev, SIM_RESCIND);
		} else {
			dev->reoffer = false;
			sim_proto_dev_settle(dev);
		}
	}
	mutex_unlock(&sim_lock);
}

/**
 * sim_proto_rescind() - rescind a channel, on the control plane's word
 * @relid: an offered channel's relid; for a primary the whole device goes
 * @how: see &enum sim_rescind_how; for a sub-channel, a re-offer brings
 *	back that sub-channel while its primary is still offered
 *
 * Context: process context, may sleep.
 * Return: 0; -ENOENT if @relid has no channel in the offered state.
 */
int sim_proto_rescind(u32 relid, enum sim_rescind_how how)
{
	int ret;

	mutex_lock(&sim_lock);
	ret = sim_proto_rescind_locked(relid, how);
	mutex_unlock(&sim_lock);
	return ret;
}

/**
 * sim_proto_rescind_locked() - sim_proto_rescind() under sim_lock
 * @relid: as for sim_proto_rescind()
 * @how: as for sim_proto_rescind()
 *
 * Context: under sim_lock, may sleep.
 * Return: as sim_proto_rescind().
 */
int sim_proto_rescind_locked(u32 relid, enum sim_rescind_how how)
{
	struct sim_chan *ch;

	lockdep_assert_held(&sim_lock);
	ch = sim_chan_get(relid);
	if (!ch || ch->state != SIM_CHAN_OFFERED)
		return -ENOENT;
	if (!ch->sub_index) {
		sim_proto_dev_rescind(ch->dev, how);
	} else {
		ch->reoffer = how == SIM_RESCIND_REOFFER;
		sim_chan_rescind(ch, how == SIM_RESCIND_DUP);
	}
	return 0;
}

/**
 * sim_proto_rescind_instead() - the rescind_instead mode at a guest request
 * @what: the kind of request the host is about to answer
 * @relid: the channel it names
 *
 * If the mode names @what, it goes back to 0 and the host rescinds @relid
 * as ``devices rescind`` would (vmbus-sim.rst, host behaviour 19).  For
 * SIM_RESCIND_AFTER_GPADL the caller has just sent GPADL_CREATED; for the
 * others it sends no answer.
 *
 * Context: under sim_lock, may sleep.
 * Return: true if the host rescinded @relid.
 */
bool sim_proto_rescind_instead(enum sim_rescind_instead what, u32 relid)
{
	lockdep_assert_held(&sim_lock);
	if (READ_ONCE(sim_modes.rescind_instead) != what)
		return false;
	WRITE_ONCE(sim_modes.rescind_instead, SIM_RESCIND_INSTEAD_OFF);
	if (relid > SIM_MAX_RELID || sim_proto_rescind_locked(relid, SIM_RESCIND))
		return false;
	sim_stat_inc(SIM_STAT_RESCINDS_INSTEAD);
	pr_info("relid %u rescinded instead of answering\n", relid);
	return true;
}

/**
 * sim_proto_rescind_stray() - a RESCIND for a relid the host does not know
 * @relid: any value that has no record (out of range is fine: hostile)
 *
 * Context: process context, may sleep.
 * Return: 0; -ENOTCONN without a connection; -EBUSY if @relid has a
 * record; -ENOMEM.
 */
int sim_proto_rescind_stray(u32 relid)
{
	int ret = 0;

	mutex_lock(&sim_lock);
	if (!sim_conn.connected)
		ret = -ENOTCONN;
	else if (sim_chan_get(relid))
		ret = -EBUSY;
	else
		ret = sim_send_rescind(relid);
	mutex_unlock(&sim_lock);
	return ret;
}

/**
 * sim_proto_connected() - whether a guest is connected
 *
 * Context: any; a snapshot.
 * Return: true while connected.
 */
bool sim_proto_connected(void)
{
	return READ_ONCE(sim_conn.version) != 0;
}

/**
 * sim_proto_version() - the agreed version
 *
 * Context: any; a snapshot.
 * Return: the version, 0 while not connected.
 */
u32 sim_proto_version(void)
{
	return READ_ONCE(sim_conn.version);
}

/**
 * sim_proto_conn_id() - the connection id the guest posts to
 *
 * Context: any; a snapshot.
 * Return: the id (1 before 5.0, the msg_conn_id mode from 5.0), 0 while not
 * connected.
 */
u32 sim_proto_conn_id(void)
{
	return READ_ONCE(sim_conn.conn_id);
}

/**
 * sim_proto_contact_cpu() - the CPU host messages go to
 *
 * Context: any; a snapshot.
 * Return: the CPU of the last INITIATE_CONTACT, 0 before the first.
 */
unsigned int sim_proto_contact_cpu(void)
{
	return READ_ONCE(sim_conn.contact_cpu);
}

/**
 * sim_proto_init() - the host starts with no connection and no device
 *
 * Context: module init.
 */
void sim_proto_init(void)
{
	INIT_DELAYED_WORK(&sim_conn.unload_work, sim_unload_work);
}

/**
 * sim_proto_exit() - cancel the delayed UNLOAD_RESPONSE, free the devices
 *
 * The guest has detached, the control plane is gone and event rounds and
 * bursts have ended.
 *
 * Context: module exit, may sleep.
 */
void sim_proto_exit(void)
{
	cancel_delayed_work_sync(&sim_conn.unload_work);
	mutex_lock(&sim_lock);
	/* A guest that never got an UNLOAD_RESPONSE left channels open. */
	sim_ring_disconnect();
	sim_monitor_disconnect();
	sim_dev_destroy_all();
	mutex_unlock(&sim_lock);
}
