/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vmbus_sim: interfaces private to the simulated Hyper-V host.
 *
 * The simulator sees only what a real host sees: the calls of the
 * hypervisor boundary (<linux/hyperv/vmbus_hv.h>), the guest memory handed
 * to it and the wire formats of <linux/hyperv.h>.  It never includes the
 * guest core's private header.
 *
 * Owners:
 *  sim_synic.c    per-CPU SynIC: the guest's pages, the message slot,
 *                 event flags, interrupts
 *  sim_msg.c      message transport: the HvPostMessage queue, the outbound
 *                 queue, EOM
 *  sim_proto.c    the host side of the VMBus connection protocol
 *  sim_dev.c      the device table, relid allocation and the relid <->
 *                 connection id map of offers
 *  sim_event.c    host -> guest events on offered channels
 *  sim_monitor.c  monitor pages: monitor ids and the scanner
 *  sim_burst.c    offer -> rescind -> re-offer bursts
 *  sim_job.c      the background jobs of sim_event.c and sim_burst.c
 *  sim_resume.c   what a reconnecting guest meets: moved relids and
 *                 connection ids, withheld devices, late rescinds
 *  sim_stats.c    counters and message logs
 *  sim_ic*.c      the integration components' back ends (sim_ic.h)
 *  sim_storvsc.c  the synthetic SCSI controller's back end and its disk
 *  sim_netvsc.c   the synthetic network adapters' back end and the
 *                 virtual switch between them
 *  sim_debugfs.c  the control plane, /sys/kernel/debug/vmbus_sim/
 *  sim_base.c     the modes, the known versions, the workqueues and
 *                 sim_lock: shared data, calls no other file
 *  sim_main.c     the hypervisor ops, module init and exit
 */
#ifndef _VMBUS_SIM_H
#define _VMBUS_SIM_H

#include <linux/compiler.h>
#include <linux/hyperv.h>
#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/types.h>
#include <linux/uuid.h>
#include <linux/wait.h>
#include <linux/workqueue.h>
#include <linux/hyperv/vmbus_hv.h>

/*
 * Class GUID of the simulator's test echo device,
 * {14d57429-963f-4abd-9c40-c2eae445a6cd}.  Generated once for this
 * simulator; no real host offers it, so no in-kernel driver binds to it.
 */
#define SIM_TEST_ECHO_GUID						\
	GUID_INIT(0x14d57429, 0x963f, 0x4abd,				\
		  0x9c, 0x40, 0xc2, 0xea, 0xe4, 0x45, 0xa6, 0xcd)

enum sim_limits {
	/*
	 * Depth of the host's HvPostMessage queue (vmbus-sim.rst, host
	 * behaviour 6).
	 */
	SIM_IN_QUEUE_DEPTH	= 16,
	/* The guest's queue is not drained while more are undelivered. */
	SIM_OUT_BACKLOG		= 64,
	/* Relids are 1..SIM_MAX_RELID (vmbus-sim.rst, host behaviour 7). */
	SIM_MAX_RELID		= 2047,
	/* Lines kept by each message log. */
	SIM_LOG_LINES		= 8192,
	/* Highest connection id the msg_conn_id mode accepts. */
	SIM_MSG_CONN_ID_MAX	= 0xffff,
	/* Longest sleep between event rounds or burst steps, in us. */
	SIM_DELAY_US_MAX	= 1000000,
	/* Longest delay of the devices command `late`. */
	SIM_LATE_DELAY_MS_MAX	= 60000,
	/* A burst stops if the guest keeps a rescinded relid longer. */
	SIM_RELEASE_TIMEOUT_S	= 10,
	/* Most event bits the reoffer_events mode sets after one offer. */
	SIM_REOFFER_EVENTS_MAX	= 1000,
	/*
	 * Offer connection id of relid r: SIM_CHAN_CONN_ID_BASE + r, plus a
	 * per-connection offset with resume_conn_ids (sim_resume.c picks it,
	 * sim_dev.c keeps it).
	 */
	SIM_CHAN_CONN_ID_BASE	= 0x10000,
};

/*
 * The status of a GPADL_CREATED, OPENCHANNEL_RESULT or
 * MODIFYCHANNEL_RESPONSE the host refuses with: STATUS_UNSUCCESSFUL, as
 * Windows hosts answer.
 */
enum { SIM_STATUS_FAIL = 0xc0000001 };

/*
 * The SynIC message type the host writes into the slot for every VMBus
 * message.  The guest only tests it against HVMSG_NONE; 1 is what Linux
 * guests pass to HvPostMessage for VMBus messages too.
 */
enum { SIM_HVMSG_VMBUS = 1 };

/**
 * struct sim_modes - behaviours set through debugfs
 * @version_ceiling: highest protocol version the host accepts
 * @msg_conn_id: connection id a 5.0+ VERSION_RESPONSE names
 * @post_fail_rate: percent of HvPostMessage calls refused
 * @post_fail_status: the status those calls get
 * @eom_delay_us: upper bound of the random delay of a delivery after EOM
 * @unload_delay_ms: delay of UNLOAD_RESPONSE
 * @unload_respond: 0 = never answer UNLOAD
 * @open_status: status of every OPENCHANNEL_RESULT; non-zero refuses
 * @open_early_packet: 1 = a packet and an event precede OPENCHANNEL_RESULT
 * @monitor: monitor ids in offers and how the host scans (&enum sim_monitor_mode)
 * @monitor_latency: the scan period of SIM_MONITOR_LATENCY, 100 ns units
 * @resume_relids: 1 = new relids (a derangement) at every reconnect
 * @resume_conn_ids: 1 = new offer connection ids at every reconnect
 * @unload_rescind: a relid to rescind ahead of the next UNLOAD_RESPONSE;
 *	0 = none; the host sets it back to 0 at that UNLOAD (xchg())
 * @reoffer_events: event bits set after each offer of a reconnect
 * @teardown_respond: 0 = ignore GPADL_TEARDOWN (the GPADL stays mapped)
 * @rescind_instead: the next guest request of this kind
 *	(&enum sim_rescind_instead) is not answered: the host rescinds the
 *	channel instead and sets the mode back to 0
 * @strict_contact: 1 = an INITIATE_CONTACT while the old connection is
 *	still there (no UNLOAD since) is refused, as Hyper-V does, instead of
 *	resetting the bus
 *
 * Written by the control plane with WRITE_ONCE(), read with READ_ONCE() at
 * the point each takes effect; no lock.
 */
struct sim_modes {
	u32 version_ceiling;
	u32 msg_conn_id;
	u32 post_fail_rate;
	u32 post_fail_status;
	u32 eom_delay_us;
	u32 unload_delay_ms;
	u32 unload_respond;
	u32 open_status;
	u32 open_early_packet;
	u32 monitor;
	u32 monitor_latency;
	u32 resume_relids;
	u32 resume_conn_ids;
	u32 unload_rescind;
	u32 reoffer_events;
	u32 teardown_respond;
	u32 rescind_instead;
	u32 strict_contact;
};

/* sim_modes.rescind_instead: the request a rescind answers. */
enum sim_rescind_instead {
	SIM_RESCIND_INSTEAD_OFF,
	SIM_RESCIND_INSTEAD_OPEN,	/* OPENCHANNEL */
	SIM_RESCIND_INSTEAD_GPADL,	/* the message that completes a GPADL */
	SIM_RESCIND_INSTEAD_MODIFY,	/* MODIFYCHANNEL */
	/* GPADL_CREATED is sent, the rescind right behind it: before OPEN */
	SIM_RESCIND_AFTER_GPADL,
};

/* sim_modes.monitor; see sim_monitor.c. */
enum sim_monitor_mode {
	SIM_MONITOR_OFF,	/* offers carry no monitor id */
	SIM_MONITOR_IMMEDIATE,	/* monitor ids, scanned at once */
	SIM_MONITOR_LATENCY,	/* monitor ids, scanned at their latency */
};

/* The monitorid of an offer without monitor_allocated. */
enum { SIM_MONITOR_NONE = 0xff };

extern struct sim_modes sim_modes;

/* The host's own ordered workqueue: protocol work, delayed responses. */
extern struct workqueue_struct *sim_wq;

/* Long-running host jobs (event rounds, bursts); unbound. */
extern struct workqueue_struct *sim_async_wq;

/*
 * Per-CPU, high priority: the service of a back end with @local set
 * (struct sim_backend), queued on the CPU that signalled.
 */
extern struct workqueue_struct *sim_local_wq;

/*
 * The host's protocol lock: connection state and the device table.  Taken
 * in process context only (host work, control-plane writes).
 */
extern struct mutex sim_lock;

/* Known protocol versions, ascending. */
extern const u32 sim_versions[];
extern const unsigned int sim_nr_versions;
bool sim_version_known(u32 version);

/**
 * struct sim_era - a generation of Hyper-V hosts
 * @name: the Windows Server release, as the `era` mode spells it
 * @ceiling: the highest VMBus version its hosts accept
 */
struct sim_era {
	const char *name;
	u32 ceiling;
};

extern const struct sim_era sim_eras[];
extern const unsigned int sim_nr_eras;
bool sim_host_has_conn_id_4(void);

/* sim_base.c: the shared data above, and the workqueues' lifetime */
int sim_base_init(void);
void sim_base_exit(void);
void sim_set_rescind_instead(bool (*fn)(enum sim_rescind_instead what, u32 relid));
bool sim_rescind_instead(enum sim_rescind_instead what, u32 relid);

/* sim_stats.c */
enum sim_stat {
	SIM_STAT_CONTACTS,
	SIM_STAT_RESETS,
	SIM_STAT_UNLOADS,
	SIM_STAT_UNLOAD_RESPONSES,
	SIM_STAT_UNLOADS_ATOMIC,
	SIM_STAT_CONTACTS_REFUSED_STRICT,
	SIM_STAT_POSTS,
	SIM_STAT_POSTS_REFUSED_INJECTED,
	SIM_STAT_POSTS_REFUSED_FULL,
	SIM_STAT_POSTS_BAD_CONN_ID,
	SIM_STAT_CONTACTS_NO_CONN_ID,
	SIM_STAT_MSGS_IN,
	SIM_STAT_MSGS_OUT,
	SIM_STAT_MSG_PENDING_SET,
	SIM_STAT_EOMS,
	SIM_STAT_GUEST_ERRORS,
	SIM_STAT_EVENTS_SET,
	SIM_STAT_EVENTS_COALESCED,
	SIM_STAT_EVENTS_OFF,
	SIM_STAT_RESCINDS,
	SIM_STAT_RELIDS_RELEASED,
	SIM_STAT_OFFERS,
	SIM_STAT_BURSTS_DONE,
	SIM_STAT_CHURN_ADDS,
	SIM_STAT_CHURN_RESCINDS,
	SIM_STAT_CHURN_BUSY,
	SIM_STAT_LATE_ADDS,
	SIM_STAT_LATE_RESCINDS,
	SIM_STAT_SIGNALS,
	SIM_STAT_MODIFYCHANNELS,
	SIM_STAT_PACKETS_IN,
	SIM_STAT_PACKETS_OUT,
	SIM_STAT_RING_SPURIOUS,
	SIM_STAT_RING_MISSED,
	SIM_STAT_RING_ERRORS,
	SIM_STAT_MONITOR_SCANS,
	SIM_STAT_MONITOR_SIGNALS,
	SIM_STAT_CONNECTIONS,
	SIM_STAT_RELIDS_MOVED,
	SIM_STAT_DEVICES_WITHHELD,
	SIM_STAT_RESCINDS_INSTEAD,
	SIM_STAT_TEARDOWNS_IGNORED,
	SIM_STAT_HOSTILE_OFFERS,
	SIM_STAT_HOSTILE_RELEASABLE,
	SIM_STAT_HOSTILE_RELEASED,
	SIM_STAT_HOSTILE_MSGS,
	SIM_STAT_COUNT
};

enum sim_dir {
	SIM_IN,		/* guest -> host, accepted by HvPostMessage */
	SIM_OUT,	/* host -> guest, put into the message slot */
	SIM_NR_DIRS
};

void sim_stat_inc(enum sim_stat stat);
void sim_stat_add(enum sim_stat stat, u64 n);
u64 sim_stat_read(enum sim_stat stat);
const char *sim_stat_name(enum sim_stat stat);
void sim_msg_count(enum sim_dir dir, const void *msg, u32 size);
u64 sim_msg_count_read(enum sim_dir dir, unsigned int type);
const char *sim_msg_type_name(unsigned int type);
__printf(1, 2) void sim_guest_error(const char *fmt, ...);
void sim_stats_reset(void);
int sim_stats_init(void);
void sim_stats_exit(void);

struct seq_file;
int sim_log_show(struct seq_file *m, enum sim_dir dir);
void sim_log_clear(enum sim_dir dir);

/* sim_synic.c */
enum sim_slot_result {
	SIM_SLOT_DELIVERED,	/* in the slot, interrupt raised */
	SIM_SLOT_BUSY,		/* slot full, msg_pending set: an EOM follows */
	SIM_SLOT_OFF,		/* the CPU's SynIC is disabled */
};

/* What setting an event flag did (vmbus-sim.rst, host behaviour 12). */
enum sim_event_result {
	SIM_EVENT_SET,		/* the bit went 0 -> 1, interrupt raised */
	SIM_EVENT_COALESCED,	/* the bit was already set */
	SIM_EVENT_OFF,		/* the CPU's SynIC is disabled */
};

int sim_synic_enable(unsigned int cpu, struct hv_message_page *msg_page,
		     union hv_synic_event_flags *event_pages);
void sim_synic_disable(unsigned int cpu);
bool sim_synic_disable_atomic(unsigned int cpu);
bool sim_synic_enabled(unsigned int cpu);
/* How long a lock of ours is tried in a panic (sim_panic_trylock()). */
#define SIM_PANIC_LOCK_US	10000
bool sim_panic_trylock(raw_spinlock_t *lock);

/* Releases a lock sim_panic_trylock() took (which sparse does not see). */
static inline void sim_panic_unlock(raw_spinlock_t *lock)
{
	__acquire(lock);
	raw_spin_unlock(lock);
}

enum sim_slot_result sim_synic_post_panic(unsigned int cpu, const void *msg,
					  u32 size);
enum sim_slot_result sim_synic_post(unsigned int cpu, u32 hv_type,
				    const void *msg, u32 size, u32 claimed);
enum sim_event_result sim_synic_signal(unsigned int cpu, u32 relid);
u64 sim_synic_interrupts(unsigned int cpu);
void sim_synic_reset_stats(void);
void sim_synic_init(void);
void sim_synic_exit(void);

/* sim_msg.c */
u64 sim_msg_post(u32 conn_id, u32 hv_type, const void *payload, u32 size);
int sim_msg_send(const void *msg, u32 size);
int sim_msg_send_raw(u32 hv_type, const void *msg, u32 size, u32 claimed);
void sim_msg_eom(void);
void sim_msg_kick(void);
void sim_msg_connect(unsigned int cpu, u32 conn_id);
void sim_msg_disconnect(void);
bool sim_msg_unload_answered(void);
void sim_msg_init(void (*handler)(u32 conn_id, const void *msg, u32 size));
void sim_msg_exit(void);

/* sim_dev.c: all under sim_lock */
enum sim_chan_state {
	SIM_CHAN_OFFERED,	/* in the table; offered to a guest that asks */
	SIM_CHAN_RESCINDED,	/* rescinded, the guest still holds the relid */
};

struct sim_device;

/**
 * struct sim_chan - one channel the host knows, the owner of its relid
 * @dev: the device it belongs to
 * @relid: its relid; busy for as long as this record exists
 * @sub_index: 0 for the primary channel, 1..nsub for sub-channels
 * @state: see &enum sim_chan_state
 * @held: offered to the guest in this connection and not released; a
 *	rescinded record always has it
 * @reoffer: a sub-channel to offer again once the guest released it
 * @retire: a sub-channel the guest closed, to be rescinded once its
 *	GPADLs are gone (see sim_proto.c)
 * @events: 0 -> 1 transitions of its event flag since its last offer;
 *	atomic, because the ring work of an open channel counts its events
 *	without sim_lock (the record outlives the open channel)
 *
 * All else under sim_lock.
 */
struct sim_chan {
	struct sim_device *dev;
	u32 relid;
	u16 sub_index;
	enum sim_chan_state state;
	bool held;
	bool reoffer;
	bool retire;
	atomic64_t events;
};

/**
 * struct sim_device - a device: a primary channel and its sub-channels
 * @node: in the list of every device object
 * @class_id: class (interface type) GUID
 * @instance: instance GUID
 * @nsub: sub-channels it was added with
 * @nr_chans: records of its channels that exist
 * @in_table: its primary is offered (not rescinded); only then may its
 *	channels be offered
 * @reoffer: out of the table: add it again once no record is left
 * @hold: a burst delays that re-offer; see sim_burst.c
 * @withheld: leaves the table at the next REQUEST_OFFERS; see
 *	sim_resume.c
 * @hvsock: a Hyper-V socket connection (&enum sim_hvsock_dir), or 0
 * @hvs_service: its service (&enum sim_hvsock_service); see sim_hvsock.c
 * @subs_on_request: its sub-channels are offered only when the guest asks
 *	for them (sim_proto_offer_subs()), as for the SCSI controller
 *	and the network adapter
 * @subs_granted: with @subs_on_request, how many sub-channels the guest
 *	asked for since its primary was last offered
 * @chans: the records by sub_index; NULL where there is none
 *
 * A device out of the table lives on while records of its channels await
 * RELID_RELEASED or while a re-offer is pending.  All under sim_lock.
 */
struct sim_device {
	struct list_head node;
	guid_t class_id;
	guid_t instance;
	u16 nsub;
	u16 nr_chans;
	bool in_table;
	bool reoffer;
	bool hold;
	bool withheld;
	u8 hvsock;
	u8 hvs_service;
	bool subs_on_request;
	u16 subs_granted;
	struct sim_chan *chans[];
};

int sim_dev_add(const guid_t *class_id, const guid_t *instance, u16 nsub,
		struct sim_device **devp);
int sim_dev_readd(struct sim_device *dev);
int sim_dev_readd_sub(struct sim_device *dev, u16 sub_index);
void sim_chan_free(struct sim_chan *ch);
void sim_dev_free(struct sim_device *dev);
void sim_dev_set_gone(void (*fn)(const struct sim_device *dev));
void sim_dev_destroy_all(void);
struct sim_chan *sim_chan_get(u32 relid);
struct sim_device *sim_dev_pick_held(void);
unsigned int sim_dev_free_relids(void);
struct list_head *sim_dev_list(void);
unsigned int sim_dev_relids(u32 *relids);
void sim_dev_relids_move(const u32 *from, const u32 *to, unsigned int n);
void sim_dev_conn_id_base_set(u32 base);
u32 sim_dev_chan_conn_id(u32 relid);
bool sim_dev_chan_relid(u32 conn_id, u32 *relid);

/* sim_proto.c */
enum sim_rescind_how {
	SIM_RESCIND,		/* rescind */
	SIM_RESCIND_DUP,	/* rescind, and send the RESCIND twice */
	SIM_RESCIND_REOFFER,	/* rescind, offer again once released */
};

/**
 * struct sim_proto_watcher - hooks of a file above sim_proto.c
 * @connect: a contact was accepted, before its VERSION_RESPONSE and any
 *	offer; under sim_lock, may sleep
 * @offered: @ch was just offered; @cpu is the contact CPU; under sim_lock,
 *	may sleep
 * @request_offers: REQUEST_OFFERS came, before anything is offered;
 *	under sim_lock
 * @unload: UNLOAD came, before the UNLOAD_RESPONSE is queued; under
 *	sim_lock, may sleep
 * @disconnect: the connection ended; under sim_lock, must not wait for
 *	work that takes it
 * @dev_done: @dev was re-offered (@reoffered) or is about to be freed;
 *	under sim_lock
 *
 * Every hook is optional.  Registered with sim_proto_watch().
 */
struct sim_proto_watcher {
	void (*connect)(void);
	void (*offered)(struct sim_chan *ch, unsigned int cpu);
	void (*request_offers)(void);
	void (*unload)(void);
	void (*disconnect)(void);
	void (*dev_done)(struct sim_device *dev, bool reoffered);
};

void sim_proto_watch(const struct sim_proto_watcher *w);
void sim_proto_handle(u32 conn_id, const void *msg, u32 size);
int sim_proto_dev_add(const guid_t *class_id, const guid_t *instance,
		      u16 nsub);
int sim_proto_dev_add_test(unsigned int n);
void sim_proto_subs_on_request(const guid_t *class_id);
int sim_proto_offer_subs(u32 relid, const guid_t *instance, u16 n);
int sim_proto_offer_subs_later(u32 relid, const guid_t *instance, u16 n,
			       atomic64_t *granted);
void sim_proto_dev_clear(void);
int sim_proto_rescind(u32 relid, enum sim_rescind_how how);
int sim_proto_rescind_locked(u32 relid, enum sim_rescind_how how);
int sim_proto_rescind_stray(u32 relid);
bool sim_proto_rescind_instead(enum sim_rescind_instead what, u32 relid);
void sim_proto_set_tl_connect(void (*fn)(const void *data, u32 size, u32 conn_id));
int sim_proto_hvsock_add(const guid_t *service, const guid_t *endpoint,
			 u8 dir, u8 kind);
void sim_proto_dev_rescind(struct sim_device *dev, enum sim_rescind_how how);
void sim_proto_dev_settle(struct sim_device *dev);
bool sim_proto_connected(void);
u32 sim_proto_version(void);
u32 sim_proto_conn_id(void);
unsigned int sim_proto_contact_cpu(void);
void sim_proto_init(void);
void sim_proto_exit(void);

/* sim_gpadl.c: all under sim_lock */
struct sim_gpadl;

void sim_gpadl_header(const void *data, u32 size, u32 conn_id);
void sim_gpadl_body(const void *data, u32 size, u32 conn_id);
void sim_gpadl_teardown(const void *data, u32 size, u32 conn_id);
struct sim_gpadl *sim_gpadl_find(u32 handle);
struct sim_gpadl *sim_gpadl_ready(u32 handle, u32 relid);
u32 sim_gpadl_pages(const struct sim_gpadl *g);
void sim_gpadl_get(struct sim_gpadl *g);
void sim_gpadl_put(u32 handle);
void *sim_gpadl_map_ring(const struct sim_gpadl *g, u32 first, u32 n);
void *sim_gpadl_map(const struct sim_gpadl *g);
void sim_gpadl_rescind(u32 relid);
unsigned int sim_gpadl_chan_count(u32 relid);
void sim_gpadl_destroy_all(void);
void sim_gpadl_set_close(void (*close)(u32 relid));

/* sim_ring.c */
enum sim_corrupt {
	SIM_CORRUPT_WRITE_INDEX,	/* write_index beyond the ring */
	SIM_CORRUPT_LEN,		/* a packet longer than the data */
};

void sim_ring_open(const void *data, u32 size, u32 conn_id);
void sim_ring_close_msg(const void *data, u32 size, u32 conn_id);
void sim_ring_modify(const void *data, u32 size, u32 conn_id, u32 version);
void sim_ring_close(u32 relid);
void sim_ring_rescind(u32 relid);
void sim_ring_disconnect(void);
void sim_ring_conn_id_set(u32 relid, bool held);
u64 sim_ring_signal(u32 conn_id);
int sim_ring_corrupt(u32 relid, enum sim_corrupt how);
void sim_ring_show(struct seq_file *m);
void sim_ring_reset_stats(void);

/* sim_monitor.c */
int sim_monitor_connect(u64 gpa1, u64 gpa2);
void sim_monitor_disconnect(void);
u8 sim_monitor_assign(u32 relid);
void sim_monitor_release(u32 relid);
int sim_monitor_init(void);
void sim_monitor_exit(void);

struct sim_open;

/**
 * struct sim_backend - how the host serves the open channels of a class
 * @guid: the device class (named so the HV_*_GUID initializers fit)
 * @name: for the log
 * @open: optional: a channel of @be's class is being opened; may store its
 *	data with sim_ring_set_priv(); an error refuses the open.  Under
 *	sim_lock, before the channel is published.  A back end with @open
 *	gets a service run right after the OPENCHANNEL_RESULT.
 * @service: the channel's work, under the channel's lock: take what the
 *	guest wrote (sim_ring_drain()), send what is due (sim_ring_send());
 *	returns whether it did anything
 * @close: optional: the channel closed and none of its work runs or can
 *	start again; free the data.  Under sim_lock.
 * @local: the channel's work runs on sim_local_wq, on the CPU that queued
 *	it (after a guest signal, the signalling CPU), rather than on any CPU
 *	(sim_async_wq): a request is served where it was sent, and its
 *	completion interrupts the channel's target CPU from there, with no
 *	wake-up of another CPU in between.  For request and response devices
 *	whose service is short (the SCSI controller).
 */
struct sim_backend {
	guid_t guid;
	const char *name;
	int (*open)(const struct sim_backend *be, struct sim_open *o);
	bool (*service)(struct sim_open *o);
	void (*close)(struct sim_open *o);
	bool local;
};

void sim_ring_register_backends(const struct sim_backend *be, unsigned int n);
void sim_ring_register_hvsock_backend(const struct sim_backend *be);
bool sim_ring_echo(struct sim_open *o,
		   void (*seen)(struct sim_open *o, const void *pkt, u32 len));
bool sim_ring_drain(struct sim_open *o,
		    void (*handle)(struct sim_open *o, const void *pkt, u32 len));
int sim_ring_send(struct sim_open *o, const void *pkt, u32 len);
bool sim_ring_kick(u32 relid, const struct sim_backend *be);
u32 sim_ring_relid(const struct sim_open *o);
void *sim_ring_priv(const struct sim_open *o);
u8 sim_ring_hvs_service(const struct sim_open *o);
void sim_ring_data_sizes(const struct sim_open *o, u32 *guest_out, u32 *guest_in);
void sim_ring_set_priv(struct sim_open *o, void *priv);

/* sim_hvsock.c */
enum sim_hvsock_dir {
	SIM_HVS_NONE,
	SIM_HVS_FROM_GUEST,	/* the guest's TL_CONNECT_REQUEST */
	SIM_HVS_FROM_HOST,	/* the host connects to a guest listener */
};

enum sim_hvsock_service {
	SIM_HVS_ECHO,
	SIM_HVS_SINK,
	SIM_HVS_SOURCE,
	SIM_HVS_REFUSE,
	SIM_HVS_SERVICES,
};

struct dentry;
void sim_hvsock_init(void);
void sim_hvsock_connect_request(const void *data, u32 size, u32 conn_id);
void sim_hvsock_dev_gone(const struct sim_device *dev);
void sim_hvsock_debugfs_init(struct dentry *dir);

/* sim_ic.c */
enum sim_ic_kind {
	SIM_IC_HEARTBEAT,
	SIM_IC_SHUTDOWN,
	SIM_IC_TIMESYNC,
	SIM_IC_KVP,
	SIM_IC_COUNT
};

struct dentry;
void sim_ic_debugfs_init(struct dentry *parent);
void sim_ic_init(void);
void sim_ic_exit(void);

/* sim_hostile.c */

/**
 * struct sim_hostile_kinds - what a hostile-injection control file takes
 * @names: each kind's word
 * @arg_mask: bit k set: kind k takes a decimal argument
 * @counts: injected per kind, counted by sim_hostile_file()'s write
 * @n: the number of kinds
 * @inject: sends one of kind (< @n) with the argument (0 if none);
 *	returns 0 or -errno, which the write returns
 */
struct sim_hostile_kinds {
	const char *const *names;
	unsigned long arg_mask;
	atomic64_t *counts;
	unsigned int n;
	int (*inject)(unsigned int kind, u32 arg);
};

void sim_hostile_file(struct dentry *dir, const char *name,
		      const struct sim_hostile_kinds *k);
bool sim_hostile_released(u32 relid);
void sim_hostile_debugfs_init(struct dentry *dir);

/* sim_hostile_msg.c */
void sim_hostile_msg_debugfs_init(struct dentry *dir);

/* sim_record.c */
int sim_record_init(void);
void sim_record_debugfs_init(struct dentry *dir);
void sim_record_exit(void);
bool sim_record_refuse_contact(bool strict);
void sim_record_connected(u32 version);
void sim_record_unloaded(bool atomic);

/* sim_storvsc.c */
void sim_storvsc_init(void);
void sim_storvsc_debugfs_init(struct dentry *parent);
void sim_storvsc_exit(void);

/* sim_netvsc.c */
void sim_netvsc_init(void);
void sim_netvsc_debugfs_init(struct dentry *parent);
void sim_netvsc_exit(void);

/* sim_ic_heartbeat.c, sim_ic_shutdown.c, sim_ic_timesync.c, sim_ic_kvp.c */
void sim_ic_heartbeat_init(void);
void sim_ic_shutdown_init(void);
void sim_ic_timesync_init(void);
void sim_ic_timesync_exit(void);
void sim_kvp_init(void);

/* sim_job.c */

/**
 * struct sim_job - a background job of the control plane (sim_job.c)
 * @ctl: serializes starting and stopping
 * @work: the run, on sim_async_wq
 * @wait: wakes the run's sleeps on @stop; the owner may wait on it for
 *	its own conditions too
 * @stop: end the run after its current step; lockless
 * @active: a run is queued or running; lockless, cleared after @run
 * @run: the body of a run
 */
struct sim_job {
	struct mutex ctl;	/* see above */
	struct work_struct work;
	wait_queue_head_t wait;
	bool stop;
	bool active;
	void (*run)(struct sim_job *job);
};

void sim_job_init(struct sim_job *job, void (*run)(struct sim_job *job));
int sim_job_claim(struct sim_job *job);
void sim_job_launch(struct sim_job *job);
bool sim_job_stopping(struct sim_job *job);
void sim_job_sleep(struct sim_job *job, u32 us);
void sim_job_request_stop(struct sim_job *job);
void sim_job_stop(struct sim_job *job);
bool sim_job_active(struct sim_job *job);
void sim_job_exit(struct sim_job *job);

/* sim_event.c */
int sim_events_fire(u32 rounds, int cpu, u32 delay_us);
void sim_events_stop(void);
void sim_events_request_stop(void);
bool sim_events_active(void);
void sim_events_chan_fire(struct sim_chan *ch, unsigned int cpu, u32 n);
void sim_events_init(void);
void sim_events_exit(void);

/* sim_burst.c */
int sim_burst_start(u32 count, u32 max_delay_us);
void sim_burst_stop(void);
bool sim_burst_active(void);
#define SIM_CHURN_POOL_MAX	64
int sim_churn_start(u32 count, u32 max_delay_us, u32 pool);
void sim_churn_stop(void);
bool sim_churn_active(void);
int sim_late_start(u32 delay_ms, u32 relid, const guid_t *instance);
void sim_late_stop(void);
void sim_burst_init(void);
void sim_burst_exit(void);

/* sim_resume.c */
void sim_resume_init(void);
int sim_resume_withhold(const guid_t *instance);

/* sim_debugfs.c */
void sim_debugfs_init(void);
void sim_debugfs_exit(void);

#endif /* _VMBUS_SIM_H */
