/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Private definitions of the VMBus guest core (hv_vmbus.ko).
 */
#ifndef _HYPERV_VMBUS_H
#define _HYPERV_VMBUS_H

#include <linux/list.h>
#include <linux/bitops.h>
#include <asm/sync_bitops.h>
#include <asm/hyperv-tlfs.h>
#include <linux/atomic.h>
#include <linux/hyperv.h>
#include <linux/interrupt.h>
/*
 * Symbol CRCs: the kernel's own exporting files see the tracepoint types
 * (struct static_call_mod, struct trace_eval_map) that <linux/tracepoint.h>
 * defines, and a CRC covers every type definition its symbol reaches.
 * Including it here, in every exporting file, reproduces those CRCs.
 */
#include <linux/tracepoint.h>
#include <linux/completion.h>
#include <linux/mutex.h>
#include <linux/spinlock.h>
#include <linux/workqueue.h>
#include <linux/hyperv/vmbus_hv.h>
#include <linux/hyperv/vmbus_monitor.h>

#include "compat.h"

/* The CPU that makes first contact; the host sends every message there. */
enum { VMBUS_CONNECT_CPU = 0 };

/* SynIC message type the guest posts VMBus channel messages with. */
enum { VMBUS_HV_MSG_TYPE_CHANNEL = 1 };

/* Deadlines of the connection protocol, in seconds. */
enum vmbus_deadlines {
	VMBUS_VERSION_TIMEOUT_S		= 10,
	VMBUS_ALLOFFERS_TIMEOUT_S	= 120,
	VMBUS_UNLOAD_TIMEOUT_S		= 10,
	/* Resume: the host's re-offers, up to ALLOFFERS_DELIVERED. */
	VMBUS_RESUME_TIMEOUT_S		= 10,
	/* Resume: a removal waits for the end of the PM transition. */
	VMBUS_PM_COMPLETE_TIMEOUT_S	= 60,
	/*
	 * The crash path's UNLOAD: a busy host may hold the answer for tens
	 * of seconds; a line every VMBUS_CRASH_PROGRESS_S while it waits.
	 */
	VMBUS_CRASH_UNLOAD_TIMEOUT_S	= 100,
	VMBUS_CRASH_PROGRESS_S		= 5,
};

/* Relids the host may hand out: 1 .. VMBUS_MAX_RELID (relid 0 is never used). */
enum { VMBUS_MAX_RELID = HV_EVENT_FLAGS_COUNT - 1 };

/*
 * Most offers and rescinds held while suspended for hibernation (struct
 * vmbus_conn @held): an honest host sends one offer and one rescind per
 * device in the window, far fewer than this; one that sends more loses
 * the excess (counted in held_overflow).
 */
enum { VMBUS_HELD_MAX = 256 };

/* Longest test delay of debugfs suspend_delay_ms. */
enum { VMBUS_SUSPEND_DELAY_MAX_MS = 10000 };

/*
 * How long an hv_sock connect waits for the host to accept (an offer) or
 * refuse (TL_CONNECT_RESULT); a host that answers neither leaves the
 * socket to its own connect timeout.
 */
enum { VMBUS_TL_ANSWER_MS = 1000 };

/* Monitor ids a monitored offer may name (4 trigger groups of 32). */
enum { VMBUS_MONITOR_IDS = 128 };

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
 * @work_msg: @msg_work's copy of the entry it dispatches
 * @msg_lock: taken by the ISR around its harvest of the slot, by
 *	@msg_work around taking one entry off @ring, and with a trylock by the
 *	crash path's poller (vmbus_crash.c), which must never wait for a CPU
 *	that a crash stopped
 * @stalled: the ISR left a message in the slot because @ring was full;
 *	@msg_work harvests it again once it has made room
 * @enabled: the hypervisor has this CPU's pages (cpuhp callbacks only)
 * @cpu: the owning CPU
 * @events: channel events delivered on this CPU, by the event half or
 *	between vmbus_events_local_begin() and _end() (the events statistic
 *	of debugfs hv_vmbus/stats sums them)
 * @irqd_pending: PREEMPT_RT: an interrupt woke this CPU's vmbus_irq/N
 *	thread and the thread has not started its scan yet
 */
struct vmbus_synic {
	struct hv_message_page *msg_page;
	union hv_synic_event_flags *event_page;
	struct vmbus_msg_ring ring;
	struct work_struct msg_work;
	struct hv_message work_msg;
	raw_spinlock_t msg_lock;	/* see @msg_lock above */
	bool stalled;
	bool enabled;
	unsigned int cpu;
	u64 events;
	bool irqd_pending;
};

/* Bits of vmbus_chan.flags. */
enum vmbus_chan_flag {
	VMBUS_CHAN_BROKEN,		/* bad host input: ring ops fail with -EIO */
	VMBUS_CHAN_REMOVE_ON_CLOSE,	/* rescinded while open: free at close */
	VMBUS_CHAN_RING_HOST_HELD,	/* the host may map the rings: leak them */
	/* rescinded hv_sock channel: vmbus_hvsock_device_unregister() frees it */
	VMBUS_CHAN_HVSOCK_UNREG,
	/* the driver's own ids: completions checked against @tids */
	VMBUS_CHAN_TID_GUARD,
};

/**
 * struct vmbus_chan - the guest's state of one channel
 * @ch: what drivers see; its kobj owns the memory (freed by its release)
 * @node: on vmbus_conn.channels, under vmbus_connection.channel_mutex
 * @rescinded: a rescind for this channel was accepted; set under
 *	channel_mutex by the message work (a second rescind is ignored)
 * @released: RELID_RELEASED was sent, or the connection that knew the
 *	relid is gone
 * @kobj_added: @ch.kobj is visible in sysfs (channels/<relid>)
 * @fixup: suspended for hibernation and not re-offered yet: unmapped,
 *	waiting for an offer with its instance GUID (under channel_mutex)
 * @missing: not re-offered at the resume: rescinded, its rescind work
 *	waiting for the end of the PM transition (vmbus_conn.pm_complete)
 * @flags: VMBUS_CHAN_* bits, atomic
 * @rescind_work: removes the channel after a rescind, on offer_wq
 * @destroy_work: frees a rescinded sub-channel once its driver closed it
 * @ref: held by the channel itself, and by each sub-channel on its primary
 * @tids: while open with VMBUS_CHAN_TID_GUARD, the transaction ids sent
 *	with a completion requested and not answered yet, each with its count
 *	(vmbus_tids.c)
 *
 * Field groups: these are written by the message work (offer, rescind) or
 * the ordered offer_wq (add, rescind work), under channel_mutex where the
 * comment says so.  The host-to-guest events delivered to the channel are
 * counted in @ch.interrupts, by the ISR under @ch.sched_lock, on that
 * lock's cache line (vmbus_chan_deliver()).
 */
struct vmbus_chan {
	struct vmbus_channel ch;
	struct list_head node;
	bool rescinded;
	bool released;
	bool kobj_added;
	bool fixup;
	bool missing;
	unsigned long flags;
	struct work_struct rescind_work;
	struct work_struct destroy_work;
	struct kref ref;
	struct xarray *tids;
	u32 in_len;	/* ring bytes of the inbound packet handed out last */
	/*
	 * The reader published read_index without looking at the host's
	 * pending_send_sz behind a full barrier since it last did
	 * (ring_buffer.c, vmbus_ring_publish()); the reader's alone.
	 */
	bool in_unchecked;
	/*
	 * The indices the guest itself publishes, as it last published them:
	 * the reader's inbound read_index (its lock-free reader's alone) and
	 * the writer's outbound write_index (under the outbound ring lock).
	 * The ring code works from these, never from the ring page, which
	 * the host can write and whose line the host polls
	 * (ring_buffer.c).  vmbus_open_rings() zeroes both with the rings.
	 */
	u32 in_pub;
	u32 out_write;
};

static inline struct vmbus_chan *to_vmbus_chan(struct vmbus_channel *ch)
{
	return container_of(ch, struct vmbus_chan, ch);
}

/**
 * struct vmbus_request - a guest message that waits for the host's answer
 * @node: on vmbus_conn.requests
 * @resp_type: message type that answers it
 * @relid: the channel it is about (0: none); a rescind of that channel
 *	completes it with @status -ENODEV
 * @key: what else the answer must carry (open id, GPADL handle), or 0
 * @status: 0, or -ENODEV when the channel was rescinded
 * @done: completed when the answer was copied into @resp
 * @resp: the answer
 * @resp_len: its length
 */
struct vmbus_request {
	struct list_head node;
	u32 resp_type;
	u32 relid;
	u32 key;
	int status;
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
	VMBUS_STAT_RESCINDS,
	VMBUS_STAT_RELIDS_RELEASED,
	VMBUS_STAT_EVENTS,
	VMBUS_STAT_EVENTS_LATCHED,
	VMBUS_STAT_EVENTS_DROPPED,
	VMBUS_STAT_SUSPENDS,
	VMBUS_STAT_RESUMES,
	VMBUS_STAT_FIXUPS,
	VMBUS_STAT_DEVICES_MISSING,
	VMBUS_STAT_HELD_SUSPENDED,
	VMBUS_STAT_HELD_REPLAYED,
	VMBUS_STAT_HELD_DROPPED,
	VMBUS_STAT_HELD_OVERFLOW,
	VMBUS_STAT_RINGS_LEAKED,
	VMBUS_STAT_OFFERS_REFUSED,
	VMBUS_STAT_MSGS_FOREIGN,
	VMBUS_STAT_OFFERS_HOTPLUG,
	VMBUS_STAT_COMPLETIONS_DROPPED,
	VMBUS_STAT_PACKETS_TRUNCATED,
	VMBUS_STAT_TL_REQUESTS,
	VMBUS_STAT_TL_REFUSED,
	VMBUS_STAT_TL_UNANSWERED,
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
 * @perf_cpu: the CPU the last performance channel was placed on; under
 *	channel_mutex (vmbus_chan_initial_cpu())
 * @post_lock: serializes posts so that retries keep the order
 * @req_lock: protects @requests
 * @requests: guest messages waiting for an answer
 * @alloffers: ALLOFFERS_DELIVERED arrived
 * @unloading: the guest is unloading; offers are ignored
 * @crash_unload: the crash path's UNLOAD is under way or done: the ISR and
 *	the message work leave the slots and rings to its poller (read and
 *	written under each CPU's vmbus_synic.msg_lock)
 * @suspended: hibernation suspend started and neither has resume
 *	reconnected nor has a failed suspend's transition completed: offers
 *	and rescinds are held on @held (under channel_mutex)
 * @suspend_failed: the suspend failed (-EBUSY) and its transition has not
 *	completed yet; @suspended stays set until then, but sub-channel
 *	offers, which a driver's resume callback may wait for, are handled at
 *	once (under channel_mutex)
 * @held: copies of the offers and rescinds that arrived while @suspended,
 *	in arrival order (struct vmbus_held_msg; under channel_mutex).
 *	Replayed when a failed suspend's transition completes, dropped at
 *	the UNLOAD of a successful one
 * @nheld: entries on @held, at most VMBUS_HELD_MAX (under channel_mutex)
 * @resuming: resume reconnected and waits for the re-offers, which are
 *	matched to suspended channels (under channel_mutex)
 * @fixups: channels waiting for their re-offer, plus one held by the
 *	suspend / resume path itself; while not 0 the ISR leaves the event
 *	pages alone, and when it drops to 0 every CPU scans its page
 * @suspend_version: the protocol version resume must reconnect with
 * @pm_suspended: the bus suspended for hibernation (UNLOAD sent)
 * @synic_suspended: syscore suspend disabled the connect CPU's SynIC
 * @channels: every channel, primary and sub-channel
 * @relid_map: relid -> channel, read by the ISR under RCU
 * @event_latch: events that arrived for a relid with no channel mapped;
 *	delivered when a channel is published at that relid
 * @scan_mark: the highest relid ever published since load; the ISR scans
 *	the event page up to its word only (vmbus_relid_publish() takes the
 *	bits of a relid above the old mark itself).  Written under
 *	channel_mutex, never lowered.
 * @rescinded: relids rescinded but not yet released (RELID_RELEASED not
 *	sent); under vmbus_connection.channel_mutex.  A second rescind of
 *	one is a duplicate, also after the channel left the relid map.
 *	vmbus_request_add() also reads it, under @req_lock: a bit is set
 *	before the rescind cancels the channel's requests
 * @msg_wq: runs the per-CPU message works
 * @offer_wq: ordered; adds and removes primary channels (drivers probe)
 * @subchan_wq: ordered; adds and removes sub-channels
 * @root: parent of every hv_device
 * @synic: per-CPU SynIC state
 * @stats: counters
 */
struct vmbus_conn {
	const struct vmbus_hypervisor *hv;
	u32 version;
	u32 msg_conn_id;
	unsigned int connect_cpu;
	unsigned int perf_cpu;
	struct mutex post_lock;		/* see @post_lock above */
	spinlock_t req_lock;		/* protects @requests */
	struct list_head requests;
	struct completion alloffers;
	bool unloading;
	bool crash_unload;
	bool suspended;
	bool suspend_failed;
	bool resuming;
	struct list_head held;
	unsigned int nheld;
	/* Done outside a PM transition that removes channels (hibernation.rst). */
	struct completion pm_complete;
	atomic_t fixups;
	u32 suspend_version;
	bool pm_suspended;
	bool synic_suspended;
	struct list_head channels;
	struct vmbus_channel __rcu *relid_map[VMBUS_MAX_RELID + 1];
	DECLARE_BITMAP(event_latch, VMBUS_MAX_RELID + 1);
	u32 scan_mark;
	DECLARE_BITMAP(rescinded, VMBUS_MAX_RELID + 1);
	struct workqueue_struct *msg_wq;
	struct workqueue_struct *offer_wq;
	struct workqueue_struct *subchan_wq;
	struct device *root;
	struct vmbus_synic __percpu *synic;
	atomic64_t stats[VMBUS_NR_STATS];
};

extern struct vmbus_conn vmbus_conn;

/*
 * What the distribution's drivers read of the connection (uio_hv_generic
 * maps the interrupt and monitor pages it names).  The layout and member
 * names are the exported symbol's ABI: its CRC covers them, so they must
 * stay exactly as the target kernel has them.  Only @msg_conn_id,
 * @conn_state, @int_page, @send_int_page, @recv_int_page,
 * @monitor_pages and @channel_mutex are maintained; the guest's own state
 * is in vmbus_conn.
 *
 * @channel_mutex is the guest's channel lock: it protects vmbus_conn's
 * channel list, every primary's sc_list and the writers of the relid map,
 * and is never held across anything that waits for the host.
 * uio_hv_generic takes it to walk a primary's sub-channels.
 */
enum vmbus_connect_state {
	DISCONNECTED,
	CONNECTING,
	CONNECTED,
	DISCONNECTING
};

struct vmbus_connection {
	u32 msg_conn_id;
	atomic_t offer_in_progress;
	enum vmbus_connect_state conn_state;
	atomic_t next_gpadl_handle;
	struct completion unload_event;
	void *int_page;
	void *send_int_page;
	void *recv_int_page;
	struct hv_monitor_page *monitor_pages[2];
	struct list_head chn_msg_list;
	spinlock_t channelmsg_lock;	/* unused; part of the ABI */
	struct list_head chn_list;
	struct mutex channel_mutex;	/* see above */
	struct vmbus_channel **channels;
	struct workqueue_struct *work_queue;
	struct workqueue_struct *handle_primary_chan_wq;
	struct workqueue_struct *handle_sub_chan_wq;
	struct workqueue_struct *rescind_work_queue;
	bool ignore_any_offer_msg;
	atomic_t nr_chan_close_on_suspend;
	struct completion ready_for_suspend_event;
	atomic_t nr_chan_fixup_on_resume;
	struct completion ready_for_resume_event;
};

extern struct vmbus_connection vmbus_connection;

static inline void vmbus_stat_inc(enum vmbus_stat stat)
{
	atomic64_inc(&vmbus_conn.stats[stat]);
}

/* The ordered queue that adds and removes @ch. */
static inline struct workqueue_struct *vmbus_chan_wq(struct vmbus_channel *ch)
{
	return ch->primary_channel ? vmbus_conn.subchan_wq : vmbus_conn.offer_wq;
}

/* connection.c: the connection state and the host's message channel */
void vmbus_conn_init(const struct vmbus_hypervisor *hv);
int vmbus_conn_pages_alloc(void);
void vmbus_conn_pages_free(void);
int vmbus_post_msg(void *msg, u32 size);
int vmbus_post_request(void *msg, u32 size, struct vmbus_request *req,
		       unsigned int timeout_s);
void vmbus_request_init(struct vmbus_request *req, u32 resp_type);
void vmbus_request_bind(struct vmbus_request *req, u32 relid, u32 key);
void vmbus_request_add(struct vmbus_request *req);
void vmbus_request_del(struct vmbus_request *req);
int vmbus_wait_request(struct vmbus_request *req, unsigned int timeout_s);
void vmbus_requests_cancel(u32 relid);
bool vmbus_request_complete(u32 type, const void *msg, u32 len);
int vmbus_connect(void);
void vmbus_disconnect(void);
int vmbus_reconnect(u32 version);
int vmbus_request_offers_timeout(unsigned int timeout_s);

/* vmbus_event.c: the interrupt entry, the event path, the relid map */
void vmbus_isr(void);
void vmbus_events_thread(struct vmbus_synic *s);
void vmbus_events_scan_local(void);
void vmbus_msg_reharvest(void *arg);
void vmbus_on_event(struct tasklet_struct *t);
void vmbus_relid_publish(struct vmbus_channel *ch);
void vmbus_relid_unpublish(struct vmbus_channel *ch);
struct vmbus_channel *vmbus_relid_get(u32 relid);
void vmbus_events_release(void);
bool vmbus_msg_poll_unload(struct vmbus_synic *s, bool locked);

/* vmbus_drv.c: PREEMPT_RT's per-CPU interrupt threads */
void vmbus_irqd_wake(struct vmbus_synic *s);

/* vmbus_crash.c: the connection's end without sleeping (panic, kexec) */
void vmbus_unload_atomic(bool crash);
int vmbus_crash_init(struct dentry *debugfs_dir);
void vmbus_crash_exit(void);
bool vmbus_crash_unloaded(void);

/* channel_mgmt.c */
void vmbus_msg_work(struct work_struct *work);
void vmbus_msg_dispatch(const struct hv_message *msg);
void vmbus_channels_remove_all(void);
int vmbus_channels_suspend(void);
void vmbus_channels_resume_begin(void);
void vmbus_channels_resume_end(void);
void vmbus_channels_resume_complete(void);
void vmbus_channels_held_drop(void);
extern u32 vmbus_suspend_delay_ms;
void vmbus_chan_put(struct vmbus_chan *vc);
u16 vmbus_dev_type_id(const guid_t *class);
extern const struct vmbus_device vmbus_devs[];

/* ring_buffer.c */
void vmbus_chan_break(struct vmbus_channel *ch, const char *why);
int hv_ringbuffer_init(struct hv_ring_buffer_info *rbi, struct page *pages,
		       u32 page_cnt, u32 max_pkt_size);
void hv_ringbuffer_cleanup(struct hv_ring_buffer_info *rbi);
void hv_ringbuffer_reset(struct hv_ring_buffer_info *rbi);
void vmbus_ring_settle(struct vmbus_channel *channel);
int hv_ringbuffer_write(struct vmbus_channel *ch, const struct kvec *kv_list,
			u32 kv_count, u64 requestid, u64 *trans_id);
int hv_ringbuffer_read(struct vmbus_channel *ch, void *buf, u32 buflen,
		       u32 *actual, u64 *requestid, bool raw);

/* channel.c */
int vmbus_chan_move(struct vmbus_channel *ch, unsigned int cpu);
int vmbus_open_rings(struct vmbus_channel *ch, void *userdata, u32 userdatalen,
		     void (*cb)(void *context), void *context);

/* vmbus_tids.c */
void vmbus_tids_alloc(struct vmbus_channel *ch);
void vmbus_tids_free(struct vmbus_channel *ch);
void vmbus_tid_sent(struct vmbus_channel *ch, u64 tid);
bool vmbus_tid_awaited(struct vmbus_channel *ch, u64 tid);
void vmbus_tid_answered(struct vmbus_channel *ch, u64 tid);

/**
 * enum vmbus_msg_verdict - what vmbus_msg_check() found
 * @VMBUS_MSG_OK: size and type are fine
 * @VMBUS_MSG_BAD_SIZE: payload_size shorter than the message header or
 *	longer than a SynIC message
 * @VMBUS_MSG_BAD_TYPE: a type the guest never accepts from the host
 * @VMBUS_MSG_SHORT: shorter than its type's structure
 * @VMBUS_MSG_NOT_CHANNEL: a SynIC message type other than
 *	%VMBUS_HV_MSG_TYPE_CHANNEL (a hypervisor message such as a timer's)
 */
enum vmbus_msg_verdict {
	VMBUS_MSG_OK,
	VMBUS_MSG_BAD_SIZE,
	VMBUS_MSG_BAD_TYPE,
	VMBUS_MSG_SHORT,
	VMBUS_MSG_NOT_CHANNEL,
};

/* msg_check.c: the checks of host messages that need no state */
u32 vmbus_msg_min_len(u32 type);
enum vmbus_msg_verdict vmbus_msg_check(const struct hv_message *msg);
const char *
vmbus_offer_fields_invalid(const struct vmbus_channel_offer_channel *offer);

/* vmbus_bus.c: the bus type and the devices on it */
int vmbus_bus_register(void);
void vmbus_bus_ready(bool ready);
void vmbus_bus_unregister(void);
int vmbus_device_create(struct vmbus_channel *ch);
void vmbus_device_unregister(struct hv_device *device_obj);
void vmbus_device_remove(struct vmbus_channel *ch);
void vmbus_chan_close_all(struct vmbus_channel *ch);

/* vmbus_sysfs.c */
extern const struct attribute_group *vmbus_dev_groups[];
extern const struct attribute_group *vmbus_drv_groups[];
extern const struct attribute_group *vmbus_bus_groups[];
extern const struct attribute_group *vmbus_chan_groups[];

#ifdef VMBUS_CHAN_RING_SYSFS
/* channels/<relid>/ring, for uio_hv_generic (vmbus_sysfs.c). */
int hv_create_ring_sysfs(struct vmbus_channel *channel,
			 int (*hv_mmap_ring_buffer)(struct vmbus_channel *channel,
						    struct vm_area_struct *vma));
int hv_remove_ring_sysfs(struct vmbus_channel *channel);
#endif
int vmbus_chan_sysfs_add(struct vmbus_channel *ch);
void vmbus_chan_sysfs_del(struct vmbus_channel *ch);

/**
 * struct vmbus_dynid - a device id added through the driver's new_id
 * @node: on the driver's dynids.list
 * @id: the id
 */
struct vmbus_dynid {
	struct list_head node;
	struct hv_vmbus_device_id id;
};

/* msglog.c */
struct vmbus_msglog;
struct vmbus_msglog *vmbus_msglog_alloc(void);
void vmbus_msglog_free(struct vmbus_msglog *log);
void vmbus_msglog_add(struct vmbus_msglog *log, const void *payload, u32 size);
void vmbus_msglog_debugfs(struct vmbus_msglog *log, const char *name,
			  struct dentry *dir);

extern struct vmbus_msglog *vmbus_msglog_in, *vmbus_msglog_out;

#endif /* _HYPERV_VMBUS_H */
