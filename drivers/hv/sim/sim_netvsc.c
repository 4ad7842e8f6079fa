// SPDX-License-Identifier: GPL-2.0
/*
 * vmbus_sim: synthetic network adapters (class HV_NIC_GUID) on a virtual
 * switch, served to the guest's netvsc (vmbus-sim.rst, "Synthetic network
 * adapters").
 *
 * The guest speaks NVSP on the channel; every NVSP message starts with a
 * 32-bit type.  The host answers:
 *
 *   INIT (min, max)        INIT_COMPLETE: the highest known version in
 *                          [min, max] (NVSP 1, 2, 4, 5, 6, 6.1), or FAIL
 *   SEND_NDIS_VER, SEND_NDIS_CONFIG   recorded, no answer
 *   SEND_RECV_BUF          the GPADL is mapped; RECV_BUF_COMPLETE with one
 *                          section of fixed-size slots, each big enough for
 *                          a frame of the NIC's host MTU (sim_nv_slot_size())
 *   SEND_SEND_BUF          the GPADL is mapped; SEND_BUF_COMPLETE with the
 *                          section size (SIM_NV_SEND_SECTION)
 *   REVOKE_*_BUF           the host stops using that buffer
 *   SEND_RNDIS_PKT         the RNDIS message(s), from a send-buffer section
 *                          or from the packet's GPA direct ranges; a
 *                          completion with the guest's transaction id
 *
 * Host -> guest RNDIS messages (control answers, status indications and
 * received frames) are carved from the guest's receive buffer: one slot
 * each, named by a VM_PKT_DATA_USING_XFER_PAGES packet whose transaction id
 * is the slot; the guest's completion with that id frees the slot.
 *
 * RNDIS: INITIALIZE (one packet per message), QUERY (MAC, frame size: the
 * NIC's host MTU, 1500 unless "mtu <mac> <n>" set another, link
 * speed, media state, offload capabilities: none; RSS capabilities: not
 * supported, so the guest runs one channel), SET (packet filter,
 * offload and RSS parameters accepted), RESET, KEEPALIVE, HALT, and
 * INDICATE_STATUS media connect / disconnect when the control plane moves
 * the link.
 *
 * The switch: each NIC has a MAC; a frame the guest sends on one NIC goes
 * to the receive queue of the NIC with the destination MAC, a broadcast or
 * multicast frame to every other NIC.  A NIC whose link is down, whose
 * channel is not open or whose packet filter is 0 takes nothing; a full
 * receive queue, a receive buffer with no free slot, or a frame longer
 * than the sending or the receiving NIC's host MTU allows, drops the frame.
 * Every drop is counted.
 *
 * Contexts and locks:
 *  - a channel's service (the ring work, under the channel's lock) owns
 *    its struct sim_nv_chan, except @map_node;
 *  - sim_nv_lock (a spinlock) guards the NIC table, each NIC's receive
 *    queue and its channel pointer; nothing else is taken under it;
 *  - the buffers' GPADLs are found and mapped by sim_nv_map_work under
 *    sim_lock (the service cannot take sim_lock: a channel's close holds it
 *    while it waits for the service); requests travel on sim_nv_map_list
 *    under sim_nv_map_lock;
 *  - open and close run under sim_lock;
 *  - the counters are atomic.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/atomic.h>
#include <linux/bitmap.h>
#include <linux/debugfs.h>
#include <linux/delay.h>
#include <linux/etherdevice.h>
#include <linux/fs.h>
#include <linux/highmem.h>
#include <linux/list.h>
#include <linux/lockdep.h>
#include <linux/minmax.h>
#include <linux/mm.h>
#include <linux/rndis.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/string.h>
#include <linux/uaccess.h>
#include <linux/vmalloc.h>

#include "sim.h"

/* NVSP message types and statuses (this host's names; little-endian). */
enum {
	SIM_NVSP_INIT			= 1,
	SIM_NVSP_INIT_COMPLETE		= 2,
	SIM_NVSP_SEND_NDIS_VER		= 100,
	SIM_NVSP_SEND_RECV_BUF		= 101,
	SIM_NVSP_SEND_RECV_BUF_COMPLETE	= 102,
	SIM_NVSP_REVOKE_RECV_BUF	= 103,
	SIM_NVSP_SEND_SEND_BUF		= 104,
	SIM_NVSP_SEND_SEND_BUF_COMPLETE	= 105,
	SIM_NVSP_REVOKE_SEND_BUF	= 106,
	SIM_NVSP_SEND_RNDIS_PKT		= 107,
	SIM_NVSP_SEND_RNDIS_PKT_COMPLETE = 108,
	SIM_NVSP_SEND_NDIS_CONFIG	= 125,

	SIM_NVSP_STAT_SUCCESS		= 1,
	SIM_NVSP_STAT_FAIL		= 2,

	/* The receive buffer's transfer page set id. */
	SIM_NV_RECV_BUF_ID		= 0xcafe,
	/* send_buf_section_index of a packet that does not use the buffer */
	SIM_NV_NO_SECTION		= 0xffffffff,
};

/* The NVSP versions the host knows, ascending. */
static const u32 sim_nv_versions[] = {
	0x2, 0x30002, 0x40000, 0x50000, 0x60000, 0x60001,
};

/* One NVSP message as both sides send it: type and a 36-byte body. */
struct sim_nvsp {
	u32 type;
	union {
		struct {
			u32 min_ver;
			u32 max_ver;
		} init;
		struct {
			u32 version;
			u32 max_mdl_chain_len;
			u32 status;
		} init_done;
		struct {
			u32 gpadl;
			u16 id;
		} __packed buf;
		struct {
			u32 status;
			u32 num_sections;
			u32 offset;
			u32 sub_alloc_size;
			u32 num_sub_allocs;
			u32 end_offset;
		} recv_done;
		struct {
			u32 status;
			u32 section_size;
		} send_done;
		struct {
			u32 channel_type;
			u32 section_index;
			u32 section_size;
		} rndis;
		struct {
			u32 status;
		} rndis_done;
		u8 body[36];
	};
} __packed;

static_assert(sizeof(struct sim_nvsp) == 40);

/* A completion the host sends: descriptor and NVSP message. */
struct sim_nv_comp {
	struct vmpacket_descriptor d;
	struct sim_nvsp m;
} __packed;

/*
 * A transfer-page packet: one range of the receive buffer.  The header is
 * spelled out: <linux/hyperv.h> declares its range array with one element
 * in 6.1 and as a flexible array in 6.12.
 */
struct sim_nv_xfer {
	struct {
		struct vmpacket_descriptor d;
		u16 xfer_pageset_id;
		u8 sender_owns_set;
		u8 reserved;
		u32 range_cnt;
		struct vmtransfer_page_range range;
	} __packed h;
	struct {
		u32 type;
		u32 channel_type;
		u32 section_index;
		u32 section_size;
	} m;
} __packed;

static_assert(sizeof(struct sim_nv_xfer) == 48);
static_assert(offsetof(struct sim_nv_xfer, m) == 32);

/* The RNDIS header: message type and length. */
struct sim_rndis_hdr {
	u32 type;
	u32 len;
} __packed;

/* RNDIS_MSG_PACKET's body (offsets from its start). */
struct sim_rndis_pkt {
	u32 data_offset;
	u32 data_len;
	u32 oob_offset;
	u32 oob_len;
	u32 num_oob;
	u32 ppi_offset;
	u32 ppi_len;
	u32 vc_handle;
	u32 reserved;
} __packed;

/* QUERY and SET request bodies. */
struct sim_rndis_req {
	u32 req_id;
	u32 oid;
	u32 buflen;
	u32 bufoff;
	u32 vc_handle;
} __packed;

enum {
	/*
	 * Least bytes of one receive-buffer slot; every host message fits
	 * one.  A NIC whose host MTU needs more gets bigger slots.
	 */
	SIM_NV_SLOT_MIN		= 2048,
	SIM_NV_SLOT_ALIGN	= 256,
	/* Section size of the guest's send buffer. */
	SIM_NV_SEND_SECTION	= 6144,
	/* Largest RNDIS message the host reads from GPA direct ranges. */
	SIM_NV_MAX_MSG		= 65536 + 4096,
	SIM_NV_MAX_NICS		= 16,
	/* Frames a NIC's receive queue holds. */
	SIM_NV_RXQ_MAX		= 1024,
	/* Host messages a channel holds while the ring is full. */
	SIM_NV_BACKLOG_MAX	= 4096,
	SIM_NV_CMD_MAX		= 64,
	/*
	 * The MTU the host reports (RNDIS maximum frame size) and lets
	 * through unless "mtu <mac> <n>" says otherwise, and its range.
	 */
	SIM_NV_MTU_DEFAULT	= ETH_DATA_LEN,
	SIM_NV_MTU_MIN		= ETH_MIN_MTU,
	SIM_NV_MTU_MAX		= 9216,
	/* The slowest send completion the control plane asks for. */
	SIM_NV_MAX_DELAY_MS	= 1000,
	/* 10 Gb/s in units of 100 b/s. */
	SIM_NV_SPEED		= 100000000,
	/* Size of an NDIS 6.0 offload capability block. */
	SIM_NDIS_OFFLOAD_SIZE_6_0 = 112,
	SIM_NDIS_OBJECT_TYPE_OFFLOAD = 0xa7,
	SIM_OID_TCP_OFFLOAD_PARAMETERS = 0xfc01020c,
	SIM_OID_TCP_OFFLOAD_HW_CAPS = 0xfc01020d,
	SIM_OID_RSS_CAPS	= 0x00010203,
	SIM_OID_RSS_PARAMS	= 0x00010204,
	SIM_OID_OFFLOAD_ENCAP	= 0x0101010a,
};

/* Counters of the stats file. */
enum sim_nv_stat {
	SIM_NV_OPENS,
	SIM_NV_RNDIS_CONTROL,
	SIM_NV_TX_FRAMES,
	SIM_NV_TX_GPA_DIRECT,
	SIM_NV_RX_FRAMES,
	SIM_NV_SWITCHED,
	SIM_NV_BROADCASTS,
	SIM_NV_DROP_NO_DEST,
	SIM_NV_DROP_LINK_DOWN,
	SIM_NV_DROP_NOT_READY,
	SIM_NV_DROP_QUEUE_FULL,
	SIM_NV_DROP_RECV_BUF,
	SIM_NV_DROP_OVERSIZE,
	SIM_NV_DROP_NO_MEM,
	SIM_NV_RECV_COMPLETIONS,
	SIM_NV_INDICATIONS,
	SIM_NV_ERRORS,
	SIM_NV_FAULTS,
	SIM_NV_DELAYED,
	SIM_NV_STAT_COUNT
};

static const char * const sim_nv_stat_names[SIM_NV_STAT_COUNT] = {
	[SIM_NV_OPENS]			= "opens",
	[SIM_NV_RNDIS_CONTROL]		= "rndis_control",
	[SIM_NV_TX_FRAMES]		= "tx_frames",
	[SIM_NV_TX_GPA_DIRECT]		= "tx_gpa_direct",
	[SIM_NV_RX_FRAMES]		= "rx_frames",
	[SIM_NV_SWITCHED]		= "frames_switched",
	[SIM_NV_BROADCASTS]		= "broadcasts",
	[SIM_NV_DROP_NO_DEST]		= "drops_no_destination",
	[SIM_NV_DROP_LINK_DOWN]		= "drops_link_down",
	[SIM_NV_DROP_NOT_READY]		= "drops_not_ready",
	[SIM_NV_DROP_QUEUE_FULL]	= "drops_queue_full",
	[SIM_NV_DROP_RECV_BUF]		= "drops_recv_buf_exhausted",
	[SIM_NV_DROP_OVERSIZE]		= "drops_oversize",
	[SIM_NV_DROP_NO_MEM]		= "drops_no_memory",
	[SIM_NV_RECV_COMPLETIONS]	= "recv_completions",
	[SIM_NV_INDICATIONS]		= "status_indications",
	[SIM_NV_ERRORS]			= "errors",
	[SIM_NV_FAULTS]			= "faults_injected",
	[SIM_NV_DELAYED]		= "delayed_send_completions",
};

static atomic64_t sim_nv_stats[SIM_NV_STAT_COUNT];

static void sim_nv_inc(enum sim_nv_stat s)
{
	atomic64_inc(&sim_nv_stats[s]);
}

/* A frame or a host RNDIS message waiting for a receive slot. */
struct sim_nv_frame {
	struct list_head node;
	u32 len;
	bool rndis;	/* a complete RNDIS message, not an Ethernet frame */
	u8 data[];
};

/* A buffer the guest hands the host; see sim_nv_map_work. */
enum sim_nv_buf_state {
	SIM_NV_BUF_NONE,
	SIM_NV_BUF_PENDING,	/* waiting for sim_nv_map_work */
	SIM_NV_BUF_READY,
	SIM_NV_BUF_FAILED,
};

/**
 * struct sim_nv_buf - the receive or the send buffer of a channel
 * @state: &enum sim_nv_buf_state; written by sim_nv_map_work with release
 * @answered: the completion went out
 * @revoked: the guest revoked it: no more use
 * @handle: the GPADL
 * @tid: the transaction id of the guest's request
 * @va: the mapping
 * @size: bytes mapped
 */
struct sim_nv_buf {
	u32 state;
	bool answered;
	bool revoked;
	u32 handle;
	u64 tid;
	u8 *va;
	u32 size;
};

struct sim_nic;

/**
 * struct sim_nv_chan - the host's state of one open NIC channel
 * @o: the channel
 * @nic: its NIC
 * @map_node: on sim_nv_map_list while a buffer waits for its mapping
 * @recv: the receive buffer
 * @send: the send buffer
 * @version: the negotiated NVSP version, 0 before INIT
 * @mtu: the NIC's host MTU when the channel opened: what QUERY answers
 * @slot: bytes of one receive slot, from @mtu (sim_nv_slot_size())
 * @nslots: slots in the receive buffer
 * @slots: busy slots
 * @cursor: where the next slot search starts
 * @nbusy: busy slots, the guest's completions outstanding
 * @halted: RNDIS HALT came
 * @link_sent: the link state the guest was told last (1 up)
 * @cur: a message that found no room in the ring yet; sent first
 * @ctlq: RNDIS messages of the host, before the frames
 * @backlog: completions waiting for room in the ring
 * @nbacklog: how many
 * @msg: scratch for a message gathered from GPA direct ranges
 */
struct sim_nv_chan {
	struct sim_open *o;
	struct sim_nic *nic;
	struct list_head map_node;
	struct sim_nv_buf recv;
	struct sim_nv_buf send;
	u32 version;
	u32 mtu;
	u32 slot;
	u32 nslots;
	unsigned long *slots;
	u32 cursor;
	u32 nbusy;
	bool halted;
	int link_sent;
	struct sim_nv_frame *cur;
	struct list_head ctlq;
	struct list_head backlog;
	unsigned int nbacklog;
	u8 *msg;
};

/**
 * enum sim_nv_fault - a fault the host injects once on a NIC's channel
 * @SIM_NV_FAULT_NONE: none pending
 * @SIM_NV_FAULT_UNKNOWN_TID: a send completion whose transaction id the
 *	guest never issued (%SIM_NV_BOGUS_TID)
 * @SIM_NV_FAULT_BAD_RNDIS: a receive slot holding an RNDIS header whose
 *	length claims more than the slot's range
 */
enum sim_nv_fault {
	SIM_NV_FAULT_NONE,
	SIM_NV_FAULT_UNKNOWN_TID,
	SIM_NV_FAULT_BAD_RNDIS,
};

/* Out of every guest requestor's range, and none of its reserved values. */
#define SIM_NV_BOGUS_TID	0xdead0000beefULL

/**
 * struct sim_nic - one NIC of the switch
 * @used: the slot of the table is taken
 * @mac: its MAC address, what QUERY answers
 * @instance: the instance GUID of its offer
 * @link_up: the link the control plane set
 * @mtu: the host MTU: the largest frame, less its Ethernet header, the
 *	switch takes from or gives to this NIC; a channel opened later
 *	reports it and sizes its receive slots for it
 * @filter: the guest's packet filter; 0 takes no frame
 * @relid: the open channel's relid, 0 if none
 * @chan: the open channel, NULL if none
 * @rxq: frames for the guest
 * @nrxq: how many
 * @busy: receive slots of the open channel that wait for the guest's
 *	completion; written by the channel's service with WRITE_ONCE()
 * @fault: the fault the control plane asked for, until the channel's
 *	service injects it
 * @rx_slots: the most receive slots the channel may have busy at once, 0
 *	for all (a host short of receive buffer); WRITE_ONCE()
 * @send_delay_ms: how long the host takes to complete each send (a slow
 *	host); WRITE_ONCE()
 *
 * Under sim_nv_lock, but for @busy; the channel's service reads
 * @rx_slots and @send_delay_ms without it.
 */
struct sim_nic {
	bool used;
	u8 mac[ETH_ALEN];
	guid_t instance;
	bool link_up;
	u32 mtu;
	u32 filter;
	u32 relid;
	struct sim_nv_chan *chan;
	struct list_head rxq;
	unsigned int nrxq;
	u32 busy;
	enum sim_nv_fault fault;
	u32 rx_slots;
	u32 send_delay_ms;
};

static DEFINE_SPINLOCK(sim_nv_lock);
static struct sim_nic sim_nics[SIM_NV_MAX_NICS];

static DEFINE_SPINLOCK(sim_nv_map_lock);
static LIST_HEAD(sim_nv_map_list);
static void sim_nv_map_fn(struct work_struct *work);
static DECLARE_WORK(sim_nv_map_work, sim_nv_map_fn);

static const struct sim_backend sim_netvsc_backend;

/* A protocol error of the guest: counted, reported. */
static void sim_nv_guest_error(struct sim_nv_chan *c, const char *what, u64 v)
{
	sim_nv_inc(SIM_NV_ERRORS);
	sim_guest_error("netvsc: relid %u: %s %llu\n", sim_ring_relid(c->o),
			what, v);
}

/* The instance GUID of the NIC with @mac: a fixed prefix, then the MAC. */
static void sim_nv_instance(const u8 *mac, guid_t *g)
{
	static const u8 prefix[10] = {
		0x4e, 0x49, 0x43, 0x53, 0x49, 0x4d, 0x00, 0x40, 0x80, 0x00,
	};

	memcpy(g->b, prefix, sizeof(prefix));
	memcpy(g->b + sizeof(prefix), mac, ETH_ALEN);
}

static struct sim_nic *sim_nic_by_mac(const u8 *mac)
{
	unsigned int i;

	lockdep_assert_held(&sim_nv_lock);
	for (i = 0; i < SIM_NV_MAX_NICS; i++)
		if (sim_nics[i].used && ether_addr_equal(sim_nics[i].mac, mac))
			return &sim_nics[i];
	return NULL;
}

static void sim_nv_free_list(struct list_head *l)
{
	struct sim_nv_frame *f, *tmp;

	list_for_each_entry_safe(f, tmp, l, node) {
		list_del(&f->node);
		kfree(f);
	}
}

/*
 * Send a completion, or queue it behind those waiting for room in the
 * ring.
 */
static void sim_nv_send_comp(struct sim_nv_chan *c, u64 tid,
			     const struct sim_nvsp *m)
{
	struct sim_nv_frame *f;
	struct sim_nv_comp comp = {
		.d.type = VM_PKT_COMP,
		.d.offset8 = sizeof(comp.d) >> 3,
		.d.len8 = sizeof(comp) >> 3,
		.d.trans_id = tid,
		.m = *m,
	};
	int ret = -EAGAIN;

	if (!c->nbacklog)
		ret = sim_ring_send(c->o, &comp, sizeof(comp));
	if (!ret || ret == -EIO)
		return;
	if (ret != -EAGAIN || c->nbacklog >= SIM_NV_BACKLOG_MAX) {
		sim_nv_guest_error(c, "completion dropped, backlog", c->nbacklog);
		return;
	}
	f = kmalloc(sizeof(*f) + sizeof(comp), GFP_KERNEL);
	if (!f) {
		sim_nv_inc(SIM_NV_ERRORS);
		return;
	}
	f->len = sizeof(comp);
	memcpy(f->data, &comp, sizeof(comp));
	list_add_tail(&f->node, &c->backlog);
	c->nbacklog++;
}

/* Send the completions that wait; whether none is left. */
static bool sim_nv_flush(struct sim_nv_chan *c, bool *did)
{
	struct sim_nv_frame *f, *tmp;

	list_for_each_entry_safe(f, tmp, &c->backlog, node) {
		if (sim_ring_send(c->o, f->data, f->len) == -EAGAIN)
			return false;
		list_del(&f->node);
		c->nbacklog--;
		kfree(f);
		*did = true;
	}
	return true;
}

/* Queue a host RNDIS message of @len bytes (header included). */
static void sim_nv_ctl(struct sim_nv_chan *c, const void *msg, u32 len)
{
	struct sim_nv_frame *f;

	f = kmalloc(sizeof(*f) + len, GFP_KERNEL);
	if (!f) {
		sim_nv_inc(SIM_NV_ERRORS);
		return;
	}
	f->len = len;
	f->rndis = true;
	memcpy(f->data, msg, len);
	list_add_tail(&f->node, &c->ctlq);
}

/* A QUERY_C with @len bytes of @data, or a failure @status. */
static void sim_nv_query_done(struct sim_nv_chan *c, u32 req_id, u32 status,
			      const void *data, u32 len)
{
	struct {
		struct sim_rndis_hdr h;
		u32 req_id;
		u32 status;
		u32 buflen;
		u32 bufoff;
		u8 data[SIM_NDIS_OFFLOAD_SIZE_6_0];
	} __packed r = {
		.h.type = RNDIS_MSG_QUERY_C,
		.req_id = req_id,
		.status = status,
	};

	if (!status) {
		len = min_t(u32, len, sizeof(r.data));
		r.buflen = len;
		r.bufoff = 16;
		memcpy(r.data, data, len);
	} else {
		len = 0;
	}
	r.h.len = offsetof(typeof(r), data) + len;
	sim_nv_ctl(c, &r, r.h.len);
}

static void sim_nv_query(struct sim_nv_chan *c, const struct sim_rndis_req *q)
{
	u8 caps[SIM_NDIS_OFFLOAD_SIZE_6_0] = {};
	bool up;
	u32 v;

	switch (q->oid) {
	case RNDIS_OID_802_3_PERMANENT_ADDRESS:
	case RNDIS_OID_802_3_CURRENT_ADDRESS:
		sim_nv_query_done(c, q->req_id, 0, c->nic->mac, ETH_ALEN);
		return;
	case RNDIS_OID_GEN_MEDIA_CONNECT_STATUS:
		spin_lock(&sim_nv_lock);
		up = c->nic->link_up;
		spin_unlock(&sim_nv_lock);
		c->link_sent = up;
		v = up ? 0 : 1;	/* NdisMediaStateConnected is 0 */
		break;
	case RNDIS_OID_GEN_MAXIMUM_FRAME_SIZE:
		v = c->mtu;
		break;
	case RNDIS_OID_GEN_LINK_SPEED:
		v = SIM_NV_SPEED;
		break;
	case SIM_OID_TCP_OFFLOAD_HW_CAPS:
		/* An NDIS 6.0 block that offers nothing. */
		caps[0] = SIM_NDIS_OBJECT_TYPE_OFFLOAD;
		caps[1] = 1;
		caps[2] = SIM_NDIS_OFFLOAD_SIZE_6_0;
		sim_nv_query_done(c, q->req_id, 0, caps, sizeof(caps));
		return;
	default:
		/* RSS capabilities among them: one channel. */
		sim_nv_query_done(c, q->req_id, RNDIS_STATUS_NOT_SUPPORTED,
				  NULL, 0);
		return;
	}
	sim_nv_query_done(c, q->req_id, 0, &v, sizeof(v));
}

static u32 sim_nv_set(struct sim_nv_chan *c, const struct sim_rndis_req *s,
		      u32 len)
{
	u32 filter;

	switch (s->oid) {
	case RNDIS_OID_GEN_CURRENT_PACKET_FILTER:
		if (s->buflen < sizeof(filter) || s->bufoff < sizeof(*s) ||
		    s->bufoff > len || len - s->bufoff < sizeof(filter))
			return RNDIS_STATUS_INVALID_DATA;
		memcpy(&filter, (const u8 *)s + s->bufoff, sizeof(filter));
		spin_lock(&sim_nv_lock);
		c->nic->filter = filter;
		spin_unlock(&sim_nv_lock);
		return RNDIS_STATUS_SUCCESS;
	case SIM_OID_TCP_OFFLOAD_PARAMETERS:
	case SIM_OID_RSS_PARAMS:
	case SIM_OID_OFFLOAD_ENCAP:
		return RNDIS_STATUS_SUCCESS;
	}
	return RNDIS_STATUS_NOT_SUPPORTED;
}

/* A frame the guest sent: to the switch. */
static void sim_nv_switch(struct sim_nv_chan *c, const u8 *frame, u32 len)
{
	struct sim_nic *from = c->nic, *to;
	u32 kick[SIM_NV_MAX_NICS];
	unsigned int i, nkick = 0;
	struct sim_nv_frame *f;
	bool bcast, found = false;

	sim_nv_inc(SIM_NV_TX_FRAMES);
	if (len < ETH_HLEN) {
		sim_nv_guest_error(c, "runt frame of bytes", len);
		return;
	}
	bcast = is_multicast_ether_addr(frame);
	if (bcast)
		sim_nv_inc(SIM_NV_BROADCASTS);
	spin_lock(&sim_nv_lock);
	if (!from->link_up) {
		sim_nv_inc(SIM_NV_DROP_LINK_DOWN);
		goto out;
	}
	if (len > ETH_HLEN + from->mtu) {
		sim_nv_inc(SIM_NV_DROP_OVERSIZE);
		goto out;
	}
	for (i = 0; i < SIM_NV_MAX_NICS; i++) {
		to = &sim_nics[i];
		if (!to->used || to == from)
			continue;
		if (!bcast && !ether_addr_equal(to->mac, frame))
			continue;
		/* From here on a drop is counted once, as what stopped it. */
		found = true;
		if (!to->link_up) {
			sim_nv_inc(SIM_NV_DROP_LINK_DOWN);
			continue;
		}
		if (!to->chan || !to->filter) {
			sim_nv_inc(SIM_NV_DROP_NOT_READY);
			continue;
		}
		if (len > ETH_HLEN + to->mtu) {
			sim_nv_inc(SIM_NV_DROP_OVERSIZE);
			continue;
		}
		if (to->nrxq >= SIM_NV_RXQ_MAX) {
			sim_nv_inc(SIM_NV_DROP_QUEUE_FULL);
			continue;
		}
		f = kmalloc(sizeof(*f) + len, GFP_ATOMIC);
		if (!f) {
			sim_nv_inc(SIM_NV_DROP_NO_MEM);
			continue;
		}
		f->len = len;
		f->rndis = false;
		memcpy(f->data, frame, len);
		list_add_tail(&f->node, &to->rxq);
		to->nrxq++;
		sim_nv_inc(SIM_NV_SWITCHED);
		kick[nkick++] = to->relid;
		if (!bcast)
			break;
	}
	if (!bcast && !found)
		sim_nv_inc(SIM_NV_DROP_NO_DEST);
out:
	spin_unlock(&sim_nv_lock);
	for (i = 0; i < nkick; i++)
		sim_ring_kick(kick[i], &sim_netvsc_backend);
}

/* One RNDIS message of @len bytes from the guest; its RNDIS status. */
static u32 sim_nv_rndis(struct sim_nv_chan *c, const u8 *msg, u32 len)
{
	const struct sim_rndis_hdr *h = (const void *)msg;
	const struct sim_rndis_pkt *p = (const void *)(msg + sizeof(*h));
	const struct sim_rndis_req *q = (const void *)(msg + sizeof(*h));
	u32 body = len - sizeof(*h);
	struct {
		struct sim_rndis_hdr h;
		u32 req_id;
		u32 status;
		u32 major;
		u32 minor;
		u32 dev_flags;
		u32 medium;
		u32 max_pkt;
		u32 max_xfer;
		u32 align_shift;
		u32 af_offset;
		u32 af_size;
	} __packed init = {};
	struct {
		struct sim_rndis_hdr h;
		u32 req_id;
		u32 status;
	} __packed done;

	if (h->type != RNDIS_MSG_PACKET)
		sim_nv_inc(SIM_NV_RNDIS_CONTROL);
	switch (h->type) {
	case RNDIS_MSG_PACKET:
		if (body < sizeof(*p) || p->data_offset > body ||
		    p->data_len > body - p->data_offset) {
			sim_nv_guest_error(c, "malformed RNDIS packet of bytes", len);
			return RNDIS_STATUS_INVALID_DATA;
		}
		sim_nv_switch(c, (const u8 *)p + p->data_offset, p->data_len);
		return RNDIS_STATUS_SUCCESS;
	case RNDIS_MSG_INIT:
		if (body < sizeof(u32))
			break;
		init.h.type = RNDIS_MSG_INIT_C;
		init.h.len = sizeof(init);
		init.req_id = q->req_id;
		init.major = 1;
		init.dev_flags = 1;		/* connectionless */
		init.max_pkt = 1;
		init.max_xfer = SIM_NV_SEND_SECTION;
		init.align_shift = 3;
		c->halted = false;
		sim_nv_ctl(c, &init, sizeof(init));
		return RNDIS_STATUS_SUCCESS;
	case RNDIS_MSG_HALT:
		c->halted = true;
		return RNDIS_STATUS_SUCCESS;
	case RNDIS_MSG_QUERY:
		if (body < sizeof(*q))
			break;
		sim_nv_query(c, q);
		return RNDIS_STATUS_SUCCESS;
	case RNDIS_MSG_SET:
		if (body < sizeof(*q))
			break;
		done.h.type = RNDIS_MSG_SET_C;
		done.h.len = sizeof(done);
		done.req_id = q->req_id;
		done.status = sim_nv_set(c, q, body);
		sim_nv_ctl(c, &done, sizeof(done));
		return RNDIS_STATUS_SUCCESS;
	case RNDIS_MSG_RESET:
		/* RESET_C: status, addressing reset. */
		done.h.type = RNDIS_MSG_RESET_C;
		done.h.len = sizeof(done);
		done.req_id = RNDIS_STATUS_SUCCESS;
		done.status = 0;
		sim_nv_ctl(c, &done, sizeof(done));
		return RNDIS_STATUS_SUCCESS;
	case RNDIS_MSG_KEEPALIVE:
		if (body < sizeof(u32))
			break;
		done.h.type = RNDIS_MSG_KEEPALIVE_C;
		done.h.len = sizeof(done);
		done.req_id = q->req_id;
		done.status = RNDIS_STATUS_SUCCESS;
		sim_nv_ctl(c, &done, sizeof(done));
		return RNDIS_STATUS_SUCCESS;
	}
	sim_nv_guest_error(c, "malformed or unknown RNDIS message type", h->type);
	return RNDIS_STATUS_INVALID_DATA;
}

/* The RNDIS messages of one SEND_RNDIS_PKT, back to back in @buf. */
static bool sim_nv_rndis_all(struct sim_nv_chan *c, const u8 *buf, u32 len)
{
	const struct sim_rndis_hdr *h;
	bool ok = true;
	u32 at = 0;

	while (len - at >= sizeof(*h)) {
		h = (const void *)(buf + at);
		if (h->len < sizeof(*h) || h->len > len - at) {
			sim_nv_guest_error(c, "RNDIS message length", h->len);
			return false;
		}
		if (sim_nv_rndis(c, buf + at, h->len))
			ok = false;
		at += ALIGN(h->len, 8);
		if (at > len)
			break;
	}
	return ok;
}

static bool sim_nv_pfn_ok(u64 pfn)
{
	return pfn == (unsigned long)pfn && pfn_valid(pfn) &&
	       !PageReserved(pfn_to_page(pfn));
}

/*
 * Gather the GPA direct ranges of @pkt (between its header and the
 * payload at @off) into c->msg; the byte count, or 0 for malformed ranges.
 * Each range is a byte count, an offset into its first page and the PFNs
 * of every page it touches (struct hv_mpb_array): hv_netvsc sends a frame
 * as such ranges when it does not fit a send section, one per piece of
 * the socket buffer, a piece of several pages in one range.
 */
static u32 sim_nv_gather(struct sim_nv_chan *c, const void *pkt, u32 off)
{
	const struct vmbus_packet_mpb_array *h = pkt;
	u32 at = offsetof(struct vmbus_packet_mpb_array, range);
	u32 i, j, npfn, in, chunk, left, total = 0;
	const struct hv_mpb_array *r;

	if (off < at)
		return 0;
	for (i = 0; i < h->rangecount; i++) {
		if (off - at < sizeof(*r))
			return 0;
		r = pkt + at;
		/* An empty range names no page and adds nothing. */
		if (r->offset >= PAGE_SIZE || r->len > SIM_NV_MAX_MSG - total)
			return 0;
		npfn = DIV_ROUND_UP(r->offset + r->len, PAGE_SIZE);
		if ((u64)npfn * sizeof(u64) > off - at - sizeof(*r))
			return 0;
		in = r->offset;
		left = r->len;
		for (j = 0; j < npfn; j++) {
			if (!sim_nv_pfn_ok(r->pfn_array[j]))
				return 0;
			chunk = min_t(u32, left, PAGE_SIZE - in);
			memcpy_from_page(c->msg + total, pfn_to_page(r->pfn_array[j]),
					 in, chunk);
			total += chunk;
			left -= chunk;
			in = 0;
		}
		at += sizeof(*r) + npfn * sizeof(u64);
	}
	return total;
}

/* SEND_RNDIS_PKT: the message from the send buffer or the ranges. */
static u32 sim_nv_send_rndis(struct sim_nv_chan *c, const void *pkt, u32 off,
			     const struct sim_nvsp *m)
{
	const struct vmpacket_descriptor *d = pkt;
	u32 idx = m->rndis.section_index, n = m->rndis.section_size;
	const u8 *va;
	u32 len;

	/* Pairs with the release of READY in sim_nv_map_buf(): va is set. */
	va = smp_load_acquire(&c->send.state) == SIM_NV_BUF_READY ? c->send.va : NULL;

	if (idx != SIM_NV_NO_SECTION) {
		if (!va || c->send.revoked ||
		    idx >= c->send.size / SIM_NV_SEND_SECTION ||
		    n > SIM_NV_SEND_SECTION) {
			sim_nv_guest_error(c, "bad send section", idx);
			return SIM_NVSP_STAT_FAIL;
		}
		memcpy(c->msg, va + (size_t)idx * SIM_NV_SEND_SECTION, n);
		len = n;
	} else if (d->type == VM_PKT_DATA_USING_GPA_DIRECT) {
		len = sim_nv_gather(c, pkt, off);
		if (!len) {
			sim_nv_guest_error(c, "bad GPA direct ranges, offset", off);
			return SIM_NVSP_STAT_FAIL;
		}
		sim_nv_inc(SIM_NV_TX_GPA_DIRECT);
	} else {
		sim_nv_guest_error(c, "RNDIS packet without data, type", d->type);
		return SIM_NVSP_STAT_FAIL;
	}
	return sim_nv_rndis_all(c, c->msg, len) ? SIM_NVSP_STAT_SUCCESS :
						  SIM_NVSP_STAT_FAIL;
}

/*
 * Bytes of a receive slot for frames of up to @mtu bytes past the
 * Ethernet header: the RNDIS header and packet body before the frame,
 * rounded up; never less than SIM_NV_SLOT_MIN.  hv_netvsc copies each
 * range into a buffer of the slot's size and drops a longer one, so a
 * host must make its slots (sub-allocations) as big as its largest frame.
 */
static u32 sim_nv_slot_size(u32 mtu)
{
	u32 need = sizeof(struct sim_rndis_hdr) + sizeof(struct sim_rndis_pkt) +
		   ETH_HLEN + mtu;

	return max_t(u32, SIM_NV_SLOT_MIN, ALIGN(need, SIM_NV_SLOT_ALIGN));
}

/* Ask sim_nv_map_work for @b's GPADL. */
static void sim_nv_buf_request(struct sim_nv_chan *c, struct sim_nv_buf *b,
			       u64 tid, const struct sim_nvsp *m, u16 id)
{
	struct sim_nvsp ans = { .type = b == &c->recv ?
		SIM_NVSP_SEND_RECV_BUF_COMPLETE : SIM_NVSP_SEND_SEND_BUF_COMPLETE };

	if (b->state != SIM_NV_BUF_NONE || m->buf.id != id || !c->version) {
		sim_nv_guest_error(c, "buffer request refused, id", m->buf.id);
		ans.recv_done.status = SIM_NVSP_STAT_FAIL;
		sim_nv_send_comp(c, tid, &ans);
		return;
	}
	b->handle = m->buf.gpadl;
	b->tid = tid;
	WRITE_ONCE(b->state, SIM_NV_BUF_PENDING);
	spin_lock(&sim_nv_map_lock);
	if (list_empty(&c->map_node))
		list_add_tail(&c->map_node, &sim_nv_map_list);
	spin_unlock(&sim_nv_map_lock);
	queue_work(sim_wq, &sim_nv_map_work);
}

/* Answer the buffer requests whose mapping is done. */
static void sim_nv_buf_answer(struct sim_nv_chan *c, struct sim_nv_buf *b)
{
	struct sim_nvsp ans = {};
	u32 state;
	bool ok;

	/* Pairs with the release in sim_nv_map_buf(): a READY buffer is mapped. */
	state = smp_load_acquire(&b->state);
	ok = state == SIM_NV_BUF_READY;

	if (b->answered || (state != SIM_NV_BUF_READY && state != SIM_NV_BUF_FAILED))
		return;
	b->answered = true;
	if (b == &c->recv) {
		ans.type = SIM_NVSP_SEND_RECV_BUF_COMPLETE;
		ans.recv_done.status = ok ? SIM_NVSP_STAT_SUCCESS : SIM_NVSP_STAT_FAIL;
		ans.recv_done.num_sections = 1;
		ans.recv_done.sub_alloc_size = c->slot;
		ans.recv_done.num_sub_allocs = c->nslots;
		ans.recv_done.end_offset = c->nslots * c->slot;
	} else {
		ans.type = SIM_NVSP_SEND_SEND_BUF_COMPLETE;
		ans.send_done.status = ok ? SIM_NVSP_STAT_SUCCESS : SIM_NVSP_STAT_FAIL;
		ans.send_done.section_size = SIM_NV_SEND_SECTION;
	}
	sim_nv_send_comp(c, b->tid, &ans);
}

static void sim_nv_init(struct sim_nv_chan *c, u64 tid, const struct sim_nvsp *m)
{
	struct sim_nvsp ans = { .type = SIM_NVSP_INIT_COMPLETE };
	int i;

	ans.init_done.status = SIM_NVSP_STAT_FAIL;
	for (i = ARRAY_SIZE(sim_nv_versions) - 1; i >= 0; i--) {
		if (sim_nv_versions[i] >= m->init.min_ver &&
		    sim_nv_versions[i] <= m->init.max_ver) {
			c->version = sim_nv_versions[i];
			ans.init_done.version = c->version;
			ans.init_done.status = SIM_NVSP_STAT_SUCCESS;
			break;
		}
	}
	sim_nv_send_comp(c, tid, &ans);
}

/* The guest's completion of a transfer-page packet: its slot is free. */
static void sim_nv_recv_done(struct sim_nv_chan *c, const struct vmpacket_descriptor *d)
{
	u64 slot = d->trans_id;

	if (slot >= c->nslots || !test_bit(slot, c->slots)) {
		sim_nv_guest_error(c, "completion of unknown receive slot", slot);
		return;
	}
	clear_bit(slot, c->slots);
	WRITE_ONCE(c->nic->busy, --c->nbusy);
	sim_nv_inc(SIM_NV_RECV_COMPLETIONS);
}

/* One packet from the guest; the ring code checked its framing. */
static void sim_nv_packet(struct sim_open *o, const void *pkt, u32 len)
{
	struct sim_nv_chan *c = sim_ring_priv(o);
	const struct vmpacket_descriptor *d = pkt;
	u32 off = (u32)d->offset8 << 3;
	struct sim_nvsp m = {}, ans = {};
	u32 status, delay;

	if (d->type == VM_PKT_COMP) {
		sim_nv_recv_done(c, d);
		return;
	}
	if (off < sizeof(*d) || off >= len ||
	    (d->type != VM_PKT_DATA_INBAND &&
	     d->type != VM_PKT_DATA_USING_GPA_DIRECT)) {
		sim_nv_guest_error(c, "packet type", d->type);
		return;
	}
	memcpy(&m, pkt + off, min_t(u32, len - off, sizeof(m)));
	switch (m.type) {
	case SIM_NVSP_INIT:
		sim_nv_init(c, d->trans_id, &m);
		return;
	case SIM_NVSP_SEND_NDIS_VER:
	case SIM_NVSP_SEND_NDIS_CONFIG:
		return;
	case SIM_NVSP_SEND_RECV_BUF:
		sim_nv_buf_request(c, &c->recv, d->trans_id, &m, SIM_NV_RECV_BUF_ID);
		return;
	case SIM_NVSP_SEND_SEND_BUF:
		sim_nv_buf_request(c, &c->send, d->trans_id, &m, 0);
		return;
	case SIM_NVSP_REVOKE_RECV_BUF:
		c->recv.revoked = true;
		return;
	case SIM_NVSP_REVOKE_SEND_BUF:
		c->send.revoked = true;
		return;
	case SIM_NVSP_SEND_RNDIS_PKT:
		status = sim_nv_send_rndis(c, pkt, off, &m);
		if (d->flags & VMBUS_DATA_PACKET_FLAG_COMPLETION_REQUESTED) {
			/* A slow host: the channel takes nothing meanwhile. */
			delay = READ_ONCE(c->nic->send_delay_ms);
			if (delay) {
				fsleep(delay * USEC_PER_MSEC);
				sim_nv_inc(SIM_NV_DELAYED);
			}
			ans.type = SIM_NVSP_SEND_RNDIS_PKT_COMPLETE;
			ans.rndis_done.status = status;
			sim_nv_send_comp(c, d->trans_id, &ans);
		}
		return;
	}
	sim_nv_guest_error(c, "unsupported NVSP message", m.type);
}

/* A free receive slot, marked busy; -1 if none or the NIC's cap is reached. */
static int sim_nv_slot_get(struct sim_nv_chan *c)
{
	u32 cap = READ_ONCE(c->nic->rx_slots);
	unsigned long s;

	if (cap && c->nbusy >= cap)
		return -1;
	s = find_next_zero_bit(c->slots, c->nslots, c->cursor);
	if (s >= c->nslots)
		s = find_first_zero_bit(c->slots, c->nslots);
	if (s >= c->nslots)
		return -1;
	set_bit(s, c->slots);
	c->cursor = s + 1;
	WRITE_ONCE(c->nic->busy, ++c->nbusy);
	return s;
}

/*
 * Put @f into a slot and name it with a transfer-page packet.  Returns 0
 * when it went (or was dropped), -EAGAIN when it must wait.
 */
static int sim_nv_deliver(struct sim_nv_chan *c, struct sim_nv_frame *f)
{
	struct sim_rndis_hdr h = { .type = RNDIS_MSG_PACKET };
	struct sim_rndis_pkt p = { .data_offset = sizeof(p) };
	u8 *va = c->recv.va, *at;
	struct sim_nv_xfer x = {
		.h.d.type = VM_PKT_DATA_USING_XFER_PAGES,
		.h.d.offset8 = offsetof(struct sim_nv_xfer, m) >> 3,
		.h.d.len8 = sizeof(x) >> 3,
		.h.xfer_pageset_id = SIM_NV_RECV_BUF_ID,
		.h.range_cnt = 1,
		.m.type = SIM_NVSP_SEND_RNDIS_PKT,
		.m.channel_type = f->rndis,
		.m.section_index = SIM_NV_NO_SECTION,
	};
	u32 total = f->rndis ? f->len : sizeof(h) + sizeof(p) + f->len;
	int slot, ret;

	if (total > c->slot) {
		sim_nv_inc(SIM_NV_DROP_OVERSIZE);
		return 0;
	}
	slot = sim_nv_slot_get(c);
	if (slot < 0) {
		if (f->rndis)
			return -EAGAIN;
		sim_nv_inc(SIM_NV_DROP_RECV_BUF);
		return 0;
	}
	at = va + (size_t)slot * c->slot;
	if (f->rndis) {
		memcpy(at, f->data, f->len);
	} else {
		h.len = total;
		p.data_len = f->len;
		memcpy(at, &h, sizeof(h));
		memcpy(at + sizeof(h), &p, sizeof(p));
		memcpy(at + sizeof(h) + sizeof(p), f->data, f->len);
	}
	x.h.d.trans_id = slot;
	x.h.range.byte_offset = slot * c->slot;
	x.h.range.byte_count = total;
	ret = sim_ring_send(c->o, &x, sizeof(x));
	if (ret == -EAGAIN) {
		clear_bit(slot, c->slots);
		WRITE_ONCE(c->nic->busy, --c->nbusy);
		return -EAGAIN;
	}
	if (!ret && !f->rndis)
		sim_nv_inc(SIM_NV_RX_FRAMES);
	return 0;
}

/* The next message for the guest's receive path, or NULL. */
static struct sim_nv_frame *sim_nv_next(struct sim_nv_chan *c)
{
	struct sim_nv_frame *f;

	f = list_first_entry_or_null(&c->ctlq, struct sim_nv_frame, node);
	if (f) {
		list_del(&f->node);
		return f;
	}
	if (c->halted)
		return NULL;
	spin_lock(&sim_nv_lock);
	f = list_first_entry_or_null(&c->nic->rxq, struct sim_nv_frame, node);
	if (f) {
		list_del(&f->node);
		c->nic->nrxq--;
	}
	spin_unlock(&sim_nv_lock);
	return f;
}

/* A media state indication if the link moved since the guest was told. */
static void sim_nv_link(struct sim_nv_chan *c)
{
	struct {
		struct sim_rndis_hdr h;
		u32 status;
		u32 buflen;
		u32 bufoff;
	} __packed ind = {
		.h.type = RNDIS_MSG_INDICATE,
		.h.len = sizeof(ind),
	};
	bool up;

	spin_lock(&sim_nv_lock);
	up = c->nic->link_up;
	spin_unlock(&sim_nv_lock);
	if (c->link_sent < 0 || c->link_sent == up)
		return;
	c->link_sent = up;
	ind.status = up ? RNDIS_STATUS_MEDIA_CONNECT : RNDIS_STATUS_MEDIA_DISCONNECT;
	sim_nv_inc(SIM_NV_INDICATIONS);
	sim_nv_ctl(c, &ind, sizeof(ind));
}

/* Fill receive slots while there is room. */
static bool sim_nv_rx(struct sim_nv_chan *c)
{
	bool did = false;

	/* Pairs with the release in sim_nv_map_buf(): the slots exist. */
	if (smp_load_acquire(&c->recv.state) != SIM_NV_BUF_READY ||
	    c->recv.revoked)
		return false;
	sim_nv_link(c);
	for (;;) {
		if (!c->cur)
			c->cur = sim_nv_next(c);
		if (!c->cur)
			return did;
		if (sim_nv_deliver(c, c->cur))
			return did;
		kfree(c->cur);
		c->cur = NULL;
		did = true;
	}
}

/*
 * The fault the control plane asked for, once the channel carries traffic
 * (its receive buffer is in use); it stays pending until then.
 */
static bool sim_nv_fault(struct sim_nv_chan *c)
{
	/* The malformed RNDIS header claims two slots' worth. */
	struct sim_rndis_hdr bad = {
		.type = RNDIS_MSG_PACKET,
		.len = 2 * c->slot,
	};
	struct sim_nvsp ans = {
		.type = SIM_NVSP_SEND_RNDIS_PKT_COMPLETE,
		.rndis_done.status = SIM_NVSP_STAT_SUCCESS,
	};
	enum sim_nv_fault f;

	/* Pairs with the release in sim_nv_map_buf(). */
	if (smp_load_acquire(&c->recv.state) != SIM_NV_BUF_READY || c->recv.revoked)
		return false;
	spin_lock(&sim_nv_lock);
	f = c->nic->fault;
	c->nic->fault = SIM_NV_FAULT_NONE;
	spin_unlock(&sim_nv_lock);
	switch (f) {
	case SIM_NV_FAULT_UNKNOWN_TID:
		sim_nv_send_comp(c, SIM_NV_BOGUS_TID, &ans);
		break;
	case SIM_NV_FAULT_BAD_RNDIS:
		/* Eight bytes in the slot; the header claims far more. */
		sim_nv_ctl(c, &bad, sizeof(bad));
		break;
	default:
		return false;
	}
	sim_nv_inc(SIM_NV_FAULTS);
	return true;
}

static bool sim_nv_service(struct sim_open *o)
{
	struct sim_nv_chan *c = sim_ring_priv(o);
	bool did = false;

	sim_nv_buf_answer(c, &c->recv);
	sim_nv_buf_answer(c, &c->send);
	did |= sim_nv_fault(c);
	/* While completions wait for room, take no new request. */
	if (sim_nv_flush(c, &did))
		did |= sim_ring_drain(o, sim_nv_packet);
	did |= sim_nv_rx(c);
	return did;
}

/* The receive buffer's slots; false if it has none (the guest's error). */
static bool sim_nv_slots_make(struct sim_nv_chan *c, u32 relid)
{
	/*
	 * The guest's own size may end inside the last page, and it refuses
	 * slots beyond it: none there.
	 */
	c->nslots = (c->recv.size - PAGE_SIZE) / c->slot;
	if (!c->nslots) {
		/* Refused: every host message would wait forever. */
		sim_guest_error("netvsc: relid %u: buffer of %u bytes < a slot (%u)\n",
				relid, c->recv.size, c->slot);
		return false;
	}
	c->slots = bitmap_zalloc(c->nslots, GFP_KERNEL);
	if (!c->slots)
		c->nslots = 0;
	return c->slots;
}

/* Map the GPADL of a pending buffer of @c; under sim_lock. */
static void sim_nv_map_buf(struct sim_nv_chan *c, struct sim_nv_buf *b)
{
	u32 relid = sim_ring_relid(c->o), state = SIM_NV_BUF_FAILED;
	struct sim_gpadl *g;
	u32 pages;

	if (READ_ONCE(b->state) != SIM_NV_BUF_PENDING)
		return;
	g = sim_gpadl_ready(b->handle, relid);
	pages = g ? sim_gpadl_pages(g) : 0;
	b->va = pages >= 2 ? sim_gpadl_map(g) : NULL;
	if (!b->va) {
		sim_guest_error("netvsc: relid %u: buffer GPADL %u unusable\n",
				relid, b->handle);
	} else {
		b->size = pages << PAGE_SHIFT;
		sim_gpadl_get(g);
		if (b != &c->recv || sim_nv_slots_make(c, relid))
			state = SIM_NV_BUF_READY;
	}
	/*
	 * va, size and the slots before the state: the ring service reads it
	 * with acquire (sim_nv_buf_answer(), sim_nv_send_rndis(), sim_nv_rx()).
	 */
	smp_store_release(&b->state, state);
}

static void sim_nv_map_fn(struct work_struct *work)
{
	struct sim_nv_chan *c;

	mutex_lock(&sim_lock);
	for (;;) {
		spin_lock(&sim_nv_map_lock);
		c = list_first_entry_or_null(&sim_nv_map_list,
					     struct sim_nv_chan, map_node);
		if (c)
			list_del_init(&c->map_node);
		spin_unlock(&sim_nv_map_lock);
		if (!c)
			break;
		/* Its close waits for sim_lock: @c lives while we hold it. */
		sim_nv_map_buf(c, &c->recv);
		sim_nv_map_buf(c, &c->send);
		sim_ring_kick(sim_ring_relid(c->o), &sim_netvsc_backend);
	}
	mutex_unlock(&sim_lock);
}

static int sim_nv_open(const struct sim_backend *be, struct sim_open *o)
{
	struct sim_chan *ch = sim_chan_get(sim_ring_relid(o));
	struct sim_nic *nic = NULL;
	struct sim_nv_chan *c;
	unsigned int i;

	lockdep_assert_held(&sim_lock);
	if (!ch)
		return -ENOENT;
	c = kzalloc(sizeof(*c), GFP_KERNEL);
	if (!c)
		return -ENOMEM;
	c->msg = kvmalloc(SIM_NV_MAX_MSG, GFP_KERNEL);
	if (!c->msg) {
		kfree(c);
		return -ENOMEM;
	}
	c->o = o;
	c->link_sent = -1;
	INIT_LIST_HEAD(&c->map_node);
	INIT_LIST_HEAD(&c->ctlq);
	INIT_LIST_HEAD(&c->backlog);
	spin_lock(&sim_nv_lock);
	for (i = 0; i < SIM_NV_MAX_NICS; i++) {
		if (sim_nics[i].used && !sim_nics[i].chan &&
		    guid_equal(&sim_nics[i].instance, &ch->dev->instance)) {
			nic = &sim_nics[i];
			nic->chan = c;
			nic->relid = sim_ring_relid(o);
			nic->filter = 0;
			c->mtu = nic->mtu;
			break;
		}
	}
	spin_unlock(&sim_nv_lock);
	if (!nic) {
		/* A NIC the control plane did not make (a plain "add"). */
		kvfree(c->msg);
		kfree(c);
		return -ENOENT;
	}
	c->nic = nic;
	c->slot = sim_nv_slot_size(c->mtu);
	sim_ring_set_priv(o, c);
	sim_nv_inc(SIM_NV_OPENS);
	return 0;
}

static void sim_nv_buf_release(struct sim_nv_buf *b)
{
	if (b->va) {
		vunmap(b->va);
		sim_gpadl_put(b->handle);
	}
}

static void sim_nv_close(struct sim_open *o)
{
	struct sim_nv_chan *c = sim_ring_priv(o);
	struct sim_nic *nic = c->nic;
	LIST_HEAD(rxq);

	lockdep_assert_held(&sim_lock);
	spin_lock(&sim_nv_map_lock);
	list_del_init(&c->map_node);
	spin_unlock(&sim_nv_map_lock);
	spin_lock(&sim_nv_lock);
	nic->chan = NULL;
	nic->relid = 0;
	nic->filter = 0;
	nic->busy = 0;
	/* A fault not yet injected goes with the channel it was meant for. */
	nic->fault = SIM_NV_FAULT_NONE;
	list_splice_init(&nic->rxq, &rxq);
	nic->nrxq = 0;
	spin_unlock(&sim_nv_lock);
	sim_nv_free_list(&rxq);
	sim_nv_free_list(&c->ctlq);
	sim_nv_free_list(&c->backlog);
	kfree(c->cur);
	sim_nv_buf_release(&c->recv);
	sim_nv_buf_release(&c->send);
	bitmap_free(c->slots);
	kvfree(c->msg);
	kfree(c);
}

static const struct sim_backend sim_netvsc_backend = {
	HV_NIC_GUID,
	.name = "netvsc",
	.open = sim_nv_open,
	.service = sim_nv_service,
	.close = sim_nv_close,
};

/* add <mac>: a new NIC on the switch, offered to the guest. */
static int sim_nv_add_cmd(const char *arg)
{
	struct sim_nic *nic = NULL;
	unsigned int i;
	u8 mac[ETH_ALEN];
	guid_t inst;
	int ret;

	if (!mac_pton(arg, mac) || !is_valid_ether_addr(mac))
		return -EINVAL;
	sim_nv_instance(mac, &inst);
	spin_lock(&sim_nv_lock);
	if (sim_nic_by_mac(mac)) {
		/* A NIC the switch knows: offer it again (a later test run). */
		spin_unlock(&sim_nv_lock);
		ret = sim_proto_dev_add(&sim_netvsc_backend.guid, &inst, 0);
		return ret == -EEXIST ? 0 : ret;
	}
	for (i = 0; i < SIM_NV_MAX_NICS && !nic; i++)
		if (!sim_nics[i].used)
			nic = &sim_nics[i];
	if (nic) {
		memset(nic, 0, sizeof(*nic));
		nic->used = true;
		ether_addr_copy(nic->mac, mac);
		nic->instance = inst;
		nic->link_up = true;
		nic->mtu = SIM_NV_MTU_DEFAULT;
		INIT_LIST_HEAD(&nic->rxq);
	}
	spin_unlock(&sim_nv_lock);
	if (!nic)
		return -ENOSPC;
	ret = sim_proto_dev_add(&sim_netvsc_backend.guid, &inst, 0);
	if (ret) {
		spin_lock(&sim_nv_lock);
		nic->used = false;
		spin_unlock(&sim_nv_lock);
	}
	return ret;
}

/*
 * "<mac> <word>" for the NIC commands: the index of <word> in @words and
 * the MAC; -EINVAL for anything else.
 */
static int sim_nv_mac_word(char *arg, u8 *mac, const char * const *words,
			   unsigned int n)
{
	char *mac_s = strsep(&arg, " ");
	unsigned int i;

	if (!arg || !mac_pton(mac_s, mac))
		return -EINVAL;
	arg = skip_spaces(arg);
	for (i = 0; i < n; i++)
		if (!strcmp(arg, words[i]))
			return i;
	return -EINVAL;
}

/* link <mac> up|down: the NIC's link; the guest hears of it. */
static int sim_nv_link_cmd(char *arg)
{
	static const char * const words[] = { "down", "up" };
	struct sim_nic *nic;
	u8 mac[ETH_ALEN];
	u32 relid = 0;
	int up = sim_nv_mac_word(arg, mac, words, ARRAY_SIZE(words));

	if (up < 0)
		return up;
	spin_lock(&sim_nv_lock);
	nic = sim_nic_by_mac(mac);
	if (nic) {
		nic->link_up = up;
		relid = nic->relid;
	}
	spin_unlock(&sim_nv_lock);
	if (!nic)
		return -ENOENT;
	if (relid)
		sim_ring_kick(relid, &sim_netvsc_backend);
	return 0;
}

/*
 * The NIC commands with a number, "<verb> <mac> <n>": the field of struct
 * sim_nic each sets and the range @n must be in.
 */
static const struct sim_nv_uint_cmd {
	const char *verb;
	size_t field;
	u32 min, max;
} sim_nv_uint_cmds[] = {
	/*
	 * The switch applies mtu at once; the guest learns it (and gets
	 * receive slots for it) when it next opens the NIC's channel.
	 */
	{ "mtu", offsetof(struct sim_nic, mtu), SIM_NV_MTU_MIN, SIM_NV_MTU_MAX },
	{ "rx_slots", offsetof(struct sim_nic, rx_slots), 0, U32_MAX },
	{ "send_delay_ms", offsetof(struct sim_nic, send_delay_ms), 0, SIM_NV_MAX_DELAY_MS },
};

/*
 * "<mac> <n>" for the command @cmd: the NIC's field set to @n; it takes
 * effect at once (the channel's service reads it as it goes).  -ERANGE,
 * logged, for a number out of range.
 */
static int sim_nv_mac_uint(const struct sim_nv_uint_cmd *cmd, char *arg)
{
	char *mac_s = strsep(&arg, " ");
	struct sim_nic *nic;
	u8 mac[ETH_ALEN];
	unsigned int n;

	if (!arg || !mac_pton(mac_s, mac) || kstrtouint(skip_spaces(arg), 10, &n))
		return -EINVAL;
	if (n < cmd->min || n > cmd->max) {
		pr_warn_ratelimited("netvsc/control: %s %u is outside %u..%u\n",
				    cmd->verb, n, cmd->min, cmd->max);
		return -ERANGE;
	}
	spin_lock(&sim_nv_lock);
	nic = sim_nic_by_mac(mac);
	if (nic)
		WRITE_ONCE(*(u32 *)((u8 *)nic + cmd->field), n);
	spin_unlock(&sim_nv_lock);
	return nic ? 0 : -ENOENT;
}

/* fault <mac> unknown_tid|bad_rndis */
static int sim_nv_fault_cmd(char *arg)
{
	/* Indexed by the fault's value less one (0 is SIM_NV_FAULT_NONE). */
	static const char * const words[] = {
		[SIM_NV_FAULT_UNKNOWN_TID - 1] = "unknown_tid",
		[SIM_NV_FAULT_BAD_RNDIS - 1] = "bad_rndis",
	};
	struct sim_nic *nic;
	u8 mac[ETH_ALEN];
	u32 relid = 0;
	int ret, i = sim_nv_mac_word(arg, mac, words, ARRAY_SIZE(words));

	if (i < 0)
		return i;
	ret = 0;
	spin_lock(&sim_nv_lock);
	nic = sim_nic_by_mac(mac);
	if (!nic)
		ret = -ENOENT;
	else if (!nic->relid)
		ret = -ENOTCONN;
	else if (nic->fault != SIM_NV_FAULT_NONE)
		ret = -EBUSY;
	else
		nic->fault = i + 1;
	if (!ret)
		relid = nic->relid;
	spin_unlock(&sim_nv_lock);
	if (!ret)
		sim_ring_kick(relid, &sim_netvsc_backend);
	return ret;
}

static int sim_nv_cmd(char *cmd)
{
	char *verb = strsep(&cmd, " ");
	char *arg = cmd ? skip_spaces(cmd) : NULL;
	unsigned int i;

	if (!strcmp(verb, "add") && arg)
		return sim_nv_add_cmd(arg);
	if (!strcmp(verb, "link") && arg)
		return sim_nv_link_cmd(arg);
	if (!strcmp(verb, "fault") && arg)
		return sim_nv_fault_cmd(arg);
	for (i = 0; arg && i < ARRAY_SIZE(sim_nv_uint_cmds); i++)
		if (!strcmp(verb, sim_nv_uint_cmds[i].verb))
			return sim_nv_mac_uint(&sim_nv_uint_cmds[i], arg);
	if (!strcmp(verb, "reset_stats") && !arg) {
		for (i = 0; i < SIM_NV_STAT_COUNT; i++)
			atomic64_set(&sim_nv_stats[i], 0);
		return 0;
	}
	return -EINVAL;
}

static ssize_t sim_nv_control_write(struct file *file,
				    const char __user *ubuf, size_t count,
				    loff_t *ppos)
{
	char *buf;
	int ret;

	if (!count || count >= SIM_NV_CMD_MAX)
		return -EINVAL;
	buf = memdup_user_nul(ubuf, count);
	if (IS_ERR(buf))
		return PTR_ERR(buf);
	ret = sim_nv_cmd(strim(buf));
	if (ret == -EINVAL)
		pr_warn_ratelimited("netvsc/control: invalid command\n");
	kfree(buf);
	return ret ? ret : count;
}

static const struct file_operations sim_nv_control_fops = {
	.owner	= THIS_MODULE,
	.open	= simple_open,
	.write	= sim_nv_control_write,
	.llseek	= noop_llseek,
};

/*
 * One line per NIC: MAC, relid of the open channel, link, filter, queue,
 * busy slots, host MTU, receive slot cap, send completion delay.
 */
static int sim_nv_nics_show(struct seq_file *m, void *unused)
{
	struct sim_nic *snap;
	unsigned int i;

	snap = kmalloc_array(SIM_NV_MAX_NICS, sizeof(*snap), GFP_KERNEL);
	if (!snap)
		return -ENOMEM;
	spin_lock(&sim_nv_lock);
	memcpy(snap, sim_nics, SIM_NV_MAX_NICS * sizeof(*snap));
	spin_unlock(&sim_nv_lock);
	for (i = 0; i < SIM_NV_MAX_NICS; i++)
		if (snap[i].used)
			seq_printf(m, "%pM relid %u link %s filter %#x rxq %u busy %u mtu %u rx_slots %u send_delay_ms %u\n",
				   snap[i].mac, snap[i].relid,
				   snap[i].link_up ? "up" : "down",
				   snap[i].filter, snap[i].nrxq,
				   READ_ONCE(snap[i].busy), snap[i].mtu,
				   snap[i].rx_slots, snap[i].send_delay_ms);
	kfree(snap);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(sim_nv_nics);

static int sim_nv_stats_show(struct seq_file *m, void *unused)
{
	unsigned int i;

	for (i = 0; i < SIM_NV_STAT_COUNT; i++)
		seq_printf(m, "%s %lld\n", sim_nv_stat_names[i],
			   atomic64_read(&sim_nv_stats[i]));
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(sim_nv_stats);

/**
 * sim_netvsc_debugfs_init() - create vmbus_sim/netvsc/
 * @parent: the simulator's debugfs directory
 *
 * Context: module init.
 */
void sim_netvsc_debugfs_init(struct dentry *parent)
{
	struct dentry *dir = debugfs_create_dir("netvsc", parent);

	debugfs_create_file("control", 0200, dir, NULL, &sim_nv_control_fops);
	debugfs_create_file("stats", 0444, dir, NULL, &sim_nv_stats_fops);
	debugfs_create_file("nics", 0444, dir, NULL, &sim_nv_nics_fops);
}

/**
 * sim_netvsc_init() - serve the network adapter class
 *
 * Context: module init, before the control plane exists.
 */
void sim_netvsc_init(void)
{
	sim_ring_register_backends(&sim_netvsc_backend, 1);
}

/**
 * sim_netvsc_exit() - forget the NICs
 *
 * Context: module exit, after the control plane is gone and every
 * channel closed.
 */
void sim_netvsc_exit(void)
{
	unsigned int i;

	cancel_work_sync(&sim_nv_map_work);
	for (i = 0; i < SIM_NV_MAX_NICS; i++) {
		if (sim_nics[i].used)
			sim_nv_free_list(&sim_nics[i].rxq);
		sim_nics[i].used = false;
	}
}
