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
 *   SUBCHANNEL (NVSP 5)    ALLOCATE on the primary: up to the NIC's queues
 *                          less one; the completion says how many, and
 *                          host work offers them (sim_proto.c offers this
 *                          class's sub-channels only on request)
 *
 * The buffers come on the primary and serve every channel of the NIC
 * (struct sim_nv_dev): the guest sends from any channel's packets out of
 * the one send buffer, and each channel's received frames take slots of
 * the one receive buffer.
 *
 * Host -> guest RNDIS messages (control answers, status indications and
 * received frames) are carved from the guest's receive buffer: one slot
 * each, named by a VM_PKT_DATA_USING_XFER_PAGES packet whose transaction id
 * is the slot; the guest's completion with that id frees the slot.
 *
 * RNDIS: INITIALIZE (one packet per message), QUERY (MAC, frame size: the
 * NIC's host MTU, 1500 unless "mtu <mac> <n>" set another, link
 * speed, media state, offload capabilities: IPv4 TCP and UDP checksums
 * both ways and LSOv2; RSS capabilities: the
 * NIC's queues and a 128-entry table, or not supported for a NIC of one
 * queue), SET (packet filter; RSS parameters: Toeplitz hash, table, key,
 * kept; offload parameters: what the guest turned on), RESET, KEEPALIVE,
 * HALT, and INDICATE_STATUS media connect / disconnect when the control
 * plane moves the link.
 *
 * Task offload: a data packet's per-packet information may ask the host
 * to cut a large TCP send into segments of the MSS (sim_nv_lso()) or to
 * compute a TCP or UDP checksum (sim_nv_tx_csum()), on the host's own copy
 * of the message; received IPv4 TCP and UDP frames carry the checksums
 * the host checked (sim_nv_rx_csum()).
 *
 * The switch: each NIC has a MAC; a frame the guest sends on one NIC goes
 * to the receive queue of the NIC with the destination MAC, a broadcast or
 * multicast frame to every other NIC, into the receive queue of one of its
 * open channels: with RSS on, the one the guest's indirection table names
 * for the Toeplitz hash of the frame's addresses (and TCP ports), else the
 * primary's.  A NIC whose link is down, whose
 * primary is not open or whose packet filter is 0 takes nothing; a full
 * receive queue, a receive buffer with no free slot, or a frame longer
 * than the sending or the receiving NIC's host MTU allows, drops the frame.
 * Every drop is counted.
 *
 * Contexts and locks:
 *  - a channel's service (the ring work, under the channel's lock) owns
 *    its struct sim_nv_chan, except @map_node and its receive queue; the
 *    services of a NIC's channels share its struct sim_nv_dev, whose
 *    slots they take and free with atomic bit operations;
 *  - sim_nv_lock (a spinlock) guards the NIC table, each channel's receive
 *    queue, each NIC's channel pointers and RSS state; nothing else is
 *    taken under it;
 *  - the buffers' GPADLs are found and mapped by sim_nv_map_work under
 *    sim_lock (the service cannot take sim_lock: a channel's close holds it
 *    while it waits for the service); requests travel on sim_nv_map_list
 *    under sim_nv_map_lock;
 *  - open and close run under sim_lock, and so does the count of a
 *    struct sim_nv_dev's users;
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
#include <linux/ip.h>
#include <linux/list.h>
#include <linux/lockdep.h>
#include <linux/minmax.h>
#include <linux/mm.h>
#include <linux/rndis.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/string.h>
#include <linux/tcp.h>
#include <linux/uaccess.h>
#include <linux/udp.h>
#include <linux/vmalloc.h>
#include <net/checksum.h>
#include <net/ip.h>

#include "../compat.h"
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
	SIM_NVSP_SUBCHANNEL		= 133,
	SIM_NVSP_SUBCHANNEL_ALLOCATE	= 1,

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
		/* SUBCHANNEL: op and count; its completion: status and count */
		struct {
			u32 op_status;
			u32 count;
		} subchn;
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

/* An NDIS object header. */
struct sim_ndis_hdr {
	u8 type;
	u8 rev;
	u16 size;
} __packed;

/* What QUERY of the RSS capabilities answers (NDIS revision 2). */
struct sim_ndis_rss_caps {
	struct sim_ndis_hdr h;
	u32 flags;
	u32 msi_vectors;
	u32 queues;
	u16 itab_entries;
} __packed;

static_assert(sizeof(struct sim_ndis_rss_caps) == 18);

/*
 * The RSS parameters the guest sets, naturally aligned as hv_netvsc lays
 * them out; the indirection table and the key follow at their offsets.
 */
struct sim_ndis_rss_params {
	struct sim_ndis_hdr h;
	u16 flags;
	u16 base_cpu;
	u32 hash_info;
	u16 itab_bytes;
	u32 itab_off;
	u16 key_bytes;
	u32 key_off;
	u32 masks_off;
	u32 nmasks;
	u32 mask_bytes;
};

static_assert(sizeof(struct sim_ndis_rss_params) == 40);

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
	/* Channels of one NIC at most: the primary and its sub-channels. */
	SIM_NV_MAX_QUEUES	= 8,
	/* RSS indirection table entries the host offers; key bytes. */
	SIM_NV_ITAB		= 128,
	SIM_NV_KEY		= 40,
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
	SIM_NDIS_OBJECT_TYPE_RSS_CAPS = 0x88,
	SIM_NDIS_OBJECT_TYPE_RSS_PARAMS = 0x89,
	/* RSS parameter flags and hash information (NDIS). */
	SIM_RSS_DISABLE		= 0x0010,
	SIM_RSS_ITAB_UNCHANGED	= 0x0004,
	SIM_RSS_KEY_UNCHANGED	= 0x0008,
	SIM_RSS_HASH_UNCHANGED	= 0x0002,
	SIM_RSS_FUNC_MASK	= 0xff,
	SIM_RSS_FUNC_TOEPLITZ	= 0x01,
	SIM_RSS_HASH_IPV4	= 0x0100,
	SIM_RSS_HASH_TCP_IPV4	= 0x0200,
	SIM_RSS_HASH_IPV6	= 0x0400,
	SIM_RSS_HASH_TCP_IPV6	= 0x1000,
	SIM_OID_OFFLOAD_ENCAP	= 0x0101010a,
	/*
	 * Task offload, IPv4 only (the host's NDIS 6.0 capability block):
	 * checksums of TCP (with options) and UDP both ways, and large send
	 * (LSOv2) of TCP up to SIM_NV_LSO_MAX bytes in at least 2 segments.
	 */
	SIM_NDIS_ENCAP_8023	= 0x0002,
	SIM_NDIS_OBJECT_TYPE_DEFAULT = 0x80,
	SIM_NDIS_CSUM_TCP4	= 0x010 | 0x004,
	SIM_NDIS_CSUM_UDP4	= 0x040,
	SIM_NV_LSO_MAX		= 62780,
	SIM_NV_LSO_MIN_SEGS	= 2,
	/* The smallest MSS a large send may ask for (TCP's own minimum). */
	SIM_NV_LSO_MIN_MSS	= 88,
	/* Offsets in the capability block and in the offload parameters. */
	SIM_CAPS_IP4_TXENC	= 4,
	SIM_CAPS_IP4_TXCSUM	= 8,
	SIM_CAPS_IP4_RXENC	= 12,
	SIM_CAPS_IP4_RXCSUM	= 16,
	SIM_CAPS_LSO2_IP4_ENCAP	= 80,
	SIM_CAPS_LSO2_IP4_MAX	= 84,
	SIM_CAPS_LSO2_IP4_MINSG	= 88,
	SIM_PARAMS_TCP4		= 5,
	SIM_PARAMS_UDP4		= 6,
	SIM_PARAMS_LSO2_IP4	= 11,
	SIM_PARAMS_LSO2_IP6	= 12,
	/* Offload parameter values: 0 leaves the setting as it is. */
	SIM_PARAM_TX_RX_OFF	= 1,
	SIM_PARAM_TX_ONLY	= 2,
	SIM_PARAM_RX_ONLY	= 3,
	SIM_PARAM_TX_RX_ON	= 4,
	SIM_PARAM_LSO_OFF	= 1,
	SIM_PARAM_LSO_ON	= 2,
	/* Per-packet information types, and the bits of their values. */
	SIM_PPI_CSUM		= 0,
	SIM_PPI_LSO		= 2,
	SIM_PPI_HDR		= 12,
	SIM_CSUM_TX_IPV4	= BIT(0),
	SIM_CSUM_TX_IPV6	= BIT(1),
	SIM_CSUM_TX_TCP		= BIT(2),
	SIM_CSUM_TX_UDP		= BIT(3),
	SIM_CSUM_TX_IP		= BIT(4),
	SIM_CSUM_RX_TCP_FAILED	= BIT(0),
	SIM_CSUM_RX_UDP_FAILED	= BIT(1),
	SIM_CSUM_RX_TCP_OK	= BIT(3),
	SIM_CSUM_RX_UDP_OK	= BIT(4),
	SIM_CSUM_RX_IP_OK	= BIT(5),
	SIM_LSO_V2		= BIT(30),
	SIM_LSO_IPV6		= BIT(31),
	/* A segment of a large send: a frame of the largest host MTU. */
	SIM_NV_SEG_MAX		= ETH_HLEN + 9216,
};

/* Offloads the guest turned on (OID_TCP_OFFLOAD_PARAMETERS). */
enum {
	SIM_NV_OFF_TX_TCP4	= BIT(0),
	SIM_NV_OFF_TX_UDP4	= BIT(1),
	SIM_NV_OFF_RX_TCP4	= BIT(2),
	SIM_NV_OFF_RX_UDP4	= BIT(3),
	SIM_NV_OFF_LSO4		= BIT(4),
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
	SIM_NV_SUB_REQUESTS,
	SIM_NV_SUB_GRANTED,
	SIM_NV_SUB_CLOSED,
	SIM_NV_RSS_SETS,
	SIM_NV_OFFLOAD_SETS,
	SIM_NV_TX_CSUM,
	SIM_NV_LSO_SENDS,
	SIM_NV_LSO_SEGMENTS,
	SIM_NV_RX_CSUM_OK,
	SIM_NV_RX_CSUM_BAD,
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
	[SIM_NV_SUB_REQUESTS]		= "subchannel_requests",
	[SIM_NV_SUB_GRANTED]		= "subchannels_granted",
	[SIM_NV_SUB_CLOSED]		= "subchannel_closes",
	[SIM_NV_RSS_SETS]		= "rss_parameter_sets",
	[SIM_NV_OFFLOAD_SETS]		= "offload_parameter_sets",
	[SIM_NV_TX_CSUM]		= "tx_checksums_offloaded",
	[SIM_NV_LSO_SENDS]		= "lso_sends",
	[SIM_NV_LSO_SEGMENTS]		= "lso_segments",
	[SIM_NV_RX_CSUM_OK]		= "rx_checksums_good",
	[SIM_NV_RX_CSUM_BAD]		= "rx_checksums_bad",
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
	bool checked;	/* @csum_info is set: a frame is checked once */
	u32 csum_info;	/* the receive checksum PPI's value, 0 for none */
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
 * struct sim_nv_buf - the receive or the send buffer of a NIC
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

/**
 * struct sim_nv_dev - what the open channels of one NIC share
 * @users: the open channels of the NIC that hold it; under sim_lock
 * @recv: the receive buffer: the guest hands it over on the primary, and
 *	every channel carves its receive slots from it
 * @send: the send buffer, from which the guest sends on any channel
 * @version: the negotiated NVSP version, 0 before INIT (primary's service)
 * @mtu: the NIC's host MTU when the primary opened: what QUERY answers
 * @slot: bytes of one receive slot, from @mtu (sim_nv_slot_size())
 * @nslots: slots in the receive buffer
 * @slots: busy slots; atomic bit operations, as every channel's service
 *	takes and frees them
 * @nbusy: busy slots, the guest's completions outstanding
 * @halted: RNDIS HALT came; WRITE_ONCE() by the primary's service
 * @offloads: SIM_NV_OFF_* the guest turned on; WRITE_ONCE() by the
 *	service of the channel the SET came on (hv_netvsc's primary; SETs
 *	racing on two channels: the last one wins), read by every channel's
 *
 * Made by the primary's open; the last channel's close frees it, so a
 * sub-channel's service never finds the buffers gone.  @slots and @nslots
 * are published with @recv's state (sim_nv_map_buf()).
 */
struct sim_nv_dev {
	unsigned int users;
	struct sim_nv_buf recv;
	struct sim_nv_buf send;
	u32 version;
	u32 mtu;
	u32 slot;
	u32 nslots;
	unsigned long *slots;
	atomic_t nbusy;
	bool halted;
	u32 offloads;
};

struct sim_nic;

/**
 * struct sim_nv_chan - the host's state of one open NIC channel
 * @o: the channel
 * @nic: its NIC
 * @dev: what it shares with the NIC's other channels
 * @q: its queue: 0 for the primary, else the sub-channel index
 * @map_node: on sim_nv_map_list while a buffer waits for its mapping
 *	(the primary only)
 * @cursor: where the next slot search starts
 * @link_sent: the link state the guest was told last (1 up); primary
 * @cur: a message that found no room in the ring yet; sent first
 * @ctlq: RNDIS messages of the host, before the frames
 * @rxq: frames the switch gave this channel; under sim_nv_lock
 * @nrxq: how many; under sim_nv_lock
 * @backlog: completions waiting for room in the ring
 * @nbacklog: how many
 * @msg: scratch for a message gathered from GPA direct ranges (or
 *	copied from the send buffer): the host's own copy, which it may change
 * @seg: scratch for one segment of a large send
 */
struct sim_nv_chan {
	struct sim_open *o;
	struct sim_nic *nic;
	struct sim_nv_dev *dev;
	u16 q;
	struct list_head map_node;
	u32 cursor;
	int link_sent;
	struct sim_nv_frame *cur;
	struct list_head ctlq;
	struct list_head rxq;
	unsigned int nrxq;
	struct list_head backlog;
	unsigned int nbacklog;
	u8 *msg;
	u8 *seg;
};

/**
 * enum sim_nv_fault - a fault the host injects once on a NIC's channel
 * @SIM_NV_FAULT_NONE: none pending
 * @SIM_NV_FAULT_UNKNOWN_TID: a send completion whose transaction id the
 *	guest never issued (%SIM_NV_BOGUS_TID)
 * @SIM_NV_FAULT_BAD_CSUM: the next IPv4 TCP or UDP frame with a payload
 *	that the NIC receives has its last byte changed in transit (the host
 *	then finds its checksum bad)
 * @SIM_NV_FAULT_BAD_RNDIS: a receive slot holding an RNDIS header whose
 *	length claims more than the slot's range
 */
enum sim_nv_fault {
	SIM_NV_FAULT_NONE,
	SIM_NV_FAULT_UNKNOWN_TID,
	SIM_NV_FAULT_BAD_RNDIS,
	SIM_NV_FAULT_BAD_CSUM,
};

/* Out of every guest requestor's range, and none of its reserved values. */
#define SIM_NV_BOGUS_TID	0xdead0000beefULL

/**
 * struct sim_nic - one NIC of the switch
 * @used: the slot of the table is taken
 * @mac: its MAC address, what QUERY answers
 * @instance: the instance GUID of its offer
 * @queues: channels it offers at most (RSS capabilities): the primary and
 *	@queues - 1 sub-channels, which the guest asks for
 * @link_up: the link the control plane set
 * @mtu: the host MTU: the largest frame, less its Ethernet header, the
 *	switch takes from or gives to this NIC; a channel opened later
 *	reports it and sizes its receive slots for it
 * @filter: the guest's packet filter; 0 takes no frame
 * @dev: the state its open channels share, while the primary is open
 * @chans: the open channels by queue, NULL where none
 * @relids: their relids, 0 where none
 * @rss: the guest enabled receive side scaling
 * @rss_hash: the hash types it asked for (SIM_RSS_HASH_*)
 * @rss_key: the Toeplitz key
 * @rss_itab: the indirection table: a queue for each hash value modulo
 *	@rss_nitab
 * @rss_nitab: its entries
 * @rx_queue: frames the switch gave each queue since the NIC was added
 * @fault: the fault the control plane asked for, until the primary's
 *	service injects it
 * @rx_slots: the most receive slots the NIC may have busy at once, 0
 *	for all (a host short of receive buffer); WRITE_ONCE()
 * @send_delay_ms: how long the host takes to complete each send (a slow
 *	host); WRITE_ONCE()
 *
 * Under sim_nv_lock; the channels' services read @rx_slots and
 * @send_delay_ms without it.
 */
struct sim_nic {
	bool used;
	u8 mac[ETH_ALEN];
	guid_t instance;
	u16 queues;
	bool link_up;
	u32 mtu;
	u32 filter;
	struct sim_nv_dev *dev;
	struct sim_nv_chan *chans[SIM_NV_MAX_QUEUES];
	u32 relids[SIM_NV_MAX_QUEUES];
	bool rss;
	u32 rss_hash;
	u8 rss_key[SIM_NV_KEY];
	u8 rss_itab[SIM_NV_ITAB];
	u32 rss_nitab;
	u64 rx_queue[SIM_NV_MAX_QUEUES];
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
	struct sim_ndis_rss_caps rss = {
		.h.type = SIM_NDIS_OBJECT_TYPE_RSS_CAPS,
		.h.rev = 2,
		.h.size = sizeof(rss),
		.msi_vectors = c->nic->queues,
		.queues = c->nic->queues,
		.itab_entries = SIM_NV_ITAB,
	};
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
		v = c->dev->mtu;
		break;
	case RNDIS_OID_GEN_LINK_SPEED:
		v = SIM_NV_SPEED;
		break;
	case SIM_OID_TCP_OFFLOAD_HW_CAPS:
		/* An NDIS 6.0 block: IPv4 checksums and large send. */
		caps[0] = SIM_NDIS_OBJECT_TYPE_OFFLOAD;
		caps[1] = 1;
		caps[2] = SIM_NDIS_OFFLOAD_SIZE_6_0;
		put_unaligned_le32(SIM_NDIS_ENCAP_8023, caps + SIM_CAPS_IP4_TXENC);
		put_unaligned_le32(SIM_NDIS_CSUM_TCP4 | SIM_NDIS_CSUM_UDP4,
				   caps + SIM_CAPS_IP4_TXCSUM);
		put_unaligned_le32(SIM_NDIS_ENCAP_8023, caps + SIM_CAPS_IP4_RXENC);
		put_unaligned_le32(SIM_NDIS_CSUM_TCP4 | SIM_NDIS_CSUM_UDP4,
				   caps + SIM_CAPS_IP4_RXCSUM);
		put_unaligned_le32(SIM_NDIS_ENCAP_8023, caps + SIM_CAPS_LSO2_IP4_ENCAP);
		put_unaligned_le32(SIM_NV_LSO_MAX, caps + SIM_CAPS_LSO2_IP4_MAX);
		put_unaligned_le32(SIM_NV_LSO_MIN_SEGS, caps + SIM_CAPS_LSO2_IP4_MINSG);
		sim_nv_query_done(c, q->req_id, 0, caps, sizeof(caps));
		return;
	case SIM_OID_RSS_CAPS:
		/* A NIC of one queue has no RSS: the guest runs one channel. */
		if (c->nic->queues > 1) {
			sim_nv_query_done(c, q->req_id, 0, &rss, sizeof(rss));
			return;
		}
		fallthrough;
	default:
		sim_nv_query_done(c, q->req_id, RNDIS_STATUS_NOT_SUPPORTED,
				  NULL, 0);
		return;
	}
	sim_nv_query_done(c, q->req_id, 0, &v, sizeof(v));
}

/*
 * SET of the RSS parameters, @len bytes at @p: checked whole before any
 * of it applies.  The table's entries are queues of the NIC (hv_netvsc
 * writes channel numbers there); the host hashes with Toeplitz only.
 */
static u32 sim_nv_set_rss(struct sim_nv_chan *c, const u8 *p, u32 len)
{
	struct sim_ndis_rss_params r;
	struct sim_nic *nic = c->nic;
	u32 i, n = 0, itab[SIM_NV_ITAB];
	bool itab_new, key_new;

	if (len < sizeof(r))
		return RNDIS_STATUS_INVALID_LENGTH;
	memcpy(&r, p, sizeof(r));
	if (r.h.type != SIM_NDIS_OBJECT_TYPE_RSS_PARAMS) {
		sim_nv_guest_error(c, "RSS parameters of object type", r.h.type);
		return RNDIS_STATUS_INVALID_DATA;
	}
	if (r.flags & SIM_RSS_DISABLE) {
		spin_lock(&sim_nv_lock);
		nic->rss = false;
		spin_unlock(&sim_nv_lock);
		sim_nv_inc(SIM_NV_RSS_SETS);
		return RNDIS_STATUS_SUCCESS;
	}
	if (!(r.flags & SIM_RSS_HASH_UNCHANGED) &&
	    (r.hash_info & SIM_RSS_FUNC_MASK) != SIM_RSS_FUNC_TOEPLITZ) {
		sim_nv_guest_error(c, "RSS hash function", r.hash_info);
		return RNDIS_STATUS_NOT_SUPPORTED;
	}
	itab_new = !(r.flags & SIM_RSS_ITAB_UNCHANGED);
	if (itab_new) {
		n = r.itab_bytes / sizeof(u32);
		if (!n || n > SIM_NV_ITAB || r.itab_bytes % sizeof(u32) ||
		    r.itab_off > len || len - r.itab_off < r.itab_bytes) {
			sim_nv_guest_error(c, "RSS indirection table of bytes",
					   r.itab_bytes);
			return RNDIS_STATUS_INVALID_DATA;
		}
		memcpy(itab, p + r.itab_off, r.itab_bytes);
		for (i = 0; i < n; i++) {
			if (itab[i] >= nic->queues) {
				sim_nv_guest_error(c, "RSS table entry names queue",
						   itab[i]);
				return RNDIS_STATUS_INVALID_DATA;
			}
		}
	}
	key_new = !(r.flags & SIM_RSS_KEY_UNCHANGED);
	if (key_new && (r.key_bytes != SIM_NV_KEY || r.key_off > len ||
			len - r.key_off < SIM_NV_KEY)) {
		sim_nv_guest_error(c, "RSS key of bytes", r.key_bytes);
		return RNDIS_STATUS_INVALID_DATA;
	}
	spin_lock(&sim_nv_lock);
	if (!(r.flags & SIM_RSS_HASH_UNCHANGED))
		nic->rss_hash = r.hash_info;
	if (itab_new) {
		for (i = 0; i < n; i++)
			nic->rss_itab[i] = itab[i];
		nic->rss_nitab = n;
	}
	if (key_new)
		memcpy(nic->rss_key, p + r.key_off, SIM_NV_KEY);
	/* Enabled once the host has a table to spread by. */
	nic->rss = nic->rss_nitab;
	spin_unlock(&sim_nv_lock);
	sim_nv_inc(SIM_NV_RSS_SETS);
	return RNDIS_STATUS_SUCCESS;
}

/*
 * One checksum setting of the offload parameters into @on: @tx and @rx
 * (SIM_NV_OFF_*) as the value asks, 0 leaving both as they are; false for
 * a value NDIS does not define.
 */
static bool sim_nv_csum_param(u8 v, u32 tx, u32 rx, u32 *on)
{
	switch (v) {
	case 0:
		return true;
	case SIM_PARAM_TX_RX_OFF:
		*on &= ~(tx | rx);
		return true;
	case SIM_PARAM_TX_ONLY:
		*on = (*on & ~rx) | tx;
		return true;
	case SIM_PARAM_RX_ONLY:
		*on = (*on & ~tx) | rx;
		return true;
	case SIM_PARAM_TX_RX_ON:
		*on |= tx | rx;
		return true;
	}
	return false;
}

/*
 * SET of the offload parameters (an NDIS object: header, then one byte
 * per offload), @len bytes at @p: the IPv4 TCP and UDP checksums and
 * LSOv2 for IPv4, which this host offers; turning on any other offload is
 * refused.  Checked whole before any of it applies.
 */
static u32 sim_nv_set_offloads(struct sim_nv_chan *c, const u8 *p, u32 len)
{
	static const u8 others[] = { 4, 7, 8, 9, 10, SIM_PARAMS_LSO2_IP6 };
	u32 on = READ_ONCE(c->dev->offloads);
	unsigned int i;

	if (len < SIM_PARAMS_LSO2_IP6 + 1 || p[0] != SIM_NDIS_OBJECT_TYPE_DEFAULT) {
		sim_nv_guest_error(c, "offload parameters of bytes", len);
		return RNDIS_STATUS_INVALID_DATA;
	}
	if (!sim_nv_csum_param(p[SIM_PARAMS_TCP4], SIM_NV_OFF_TX_TCP4, SIM_NV_OFF_RX_TCP4, &on) ||
	    !sim_nv_csum_param(p[SIM_PARAMS_UDP4], SIM_NV_OFF_TX_UDP4, SIM_NV_OFF_RX_UDP4, &on))
		return RNDIS_STATUS_INVALID_DATA;
	if (p[SIM_PARAMS_LSO2_IP4] == SIM_PARAM_LSO_ON)
		on |= SIM_NV_OFF_LSO4;
	else if (p[SIM_PARAMS_LSO2_IP4] == SIM_PARAM_LSO_OFF)
		on &= ~SIM_NV_OFF_LSO4;
	else if (p[SIM_PARAMS_LSO2_IP4])
		return RNDIS_STATUS_INVALID_DATA;
	/* The IPv4 header checksum, IPv6, LSOv1, IPsec: not offered. */
	for (i = 0; i < ARRAY_SIZE(others); i++)
		if (p[others[i]] > SIM_PARAM_TX_RX_OFF)
			return RNDIS_STATUS_NOT_SUPPORTED;
	WRITE_ONCE(c->dev->offloads, on);
	sim_nv_inc(SIM_NV_OFFLOAD_SETS);
	return RNDIS_STATUS_SUCCESS;
}

static u32 sim_nv_set(struct sim_nv_chan *c, const struct sim_rndis_req *s,
		      u32 len)
{
	u32 filter;

	if (s->bufoff < sizeof(*s) || s->bufoff > len ||
	    len - s->bufoff < s->buflen)
		return RNDIS_STATUS_INVALID_DATA;
	switch (s->oid) {
	case RNDIS_OID_GEN_CURRENT_PACKET_FILTER:
		if (s->buflen < sizeof(filter))
			return RNDIS_STATUS_INVALID_DATA;
		memcpy(&filter, (const u8 *)s + s->bufoff, sizeof(filter));
		spin_lock(&sim_nv_lock);
		c->nic->filter = filter;
		spin_unlock(&sim_nv_lock);
		return RNDIS_STATUS_SUCCESS;
	case SIM_OID_RSS_PARAMS:
		if (c->nic->queues < 2)
			return RNDIS_STATUS_NOT_SUPPORTED;
		return sim_nv_set_rss(c, (const u8 *)s + s->bufoff, s->buflen);
	case SIM_OID_TCP_OFFLOAD_PARAMETERS:
		return sim_nv_set_offloads(c, (const u8 *)s + s->bufoff, s->buflen);
	case SIM_OID_OFFLOAD_ENCAP:
		return RNDIS_STATUS_SUCCESS;
	}
	return RNDIS_STATUS_NOT_SUPPORTED;
}

/*
 * The Toeplitz hash of @n bytes at @in under @key (SIM_NV_KEY bytes, so
 * @n is at most SIM_NV_KEY - 4): for each bit set in the input, the 32
 * key bits that start at that bit's position are XORed into the result.
 */
static u32 sim_nv_toeplitz(const u8 *key, const u8 *in, unsigned int n)
{
	u32 hash = 0, window = get_unaligned_be32(key);
	unsigned int i, b;

	for (i = 0; i < n; i++) {
		for (b = 0; b < 8; b++) {
			if (in[i] & (0x80 >> b))
				hash ^= window;
			window = (window << 1) | ((key[i + 4] >> (7 - b)) & 1);
		}
	}
	return hash;
}

/*
 * The bytes RSS hashes for @frame under the hash types @types, into @in:
 * source and destination address, then the TCP ports when @types has TCP
 * for the frame's IP version and the frame is TCP and not a fragment.
 * 0 for a frame that is not hashed (not IP, too short, a type not asked
 * for): it goes to the primary's queue.
 */
static unsigned int sim_nv_flow(const u8 *frame, u32 len, u32 types, u8 *in)
{
	const u8 *ip = frame + ETH_HLEN;
	u32 left = len - ETH_HLEN;
	unsigned int ihl;

	switch (get_unaligned_be16(frame + 2 * ETH_ALEN)) {
	case ETH_P_IP:
		if (left < 20 || ip[0] >> 4 != 4)
			return 0;
		ihl = (ip[0] & 0xf) * 4;
		if (ihl < 20 || ihl > left)
			return 0;
		memcpy(in, ip + 12, 8);
		if ((types & SIM_RSS_HASH_TCP_IPV4) && ip[9] == IPPROTO_TCP &&
		    !(get_unaligned_be16(ip + 6) & 0x3fff) && left - ihl >= 4) {
			memcpy(in + 8, ip + ihl, 4);
			return 12;
		}
		return types & SIM_RSS_HASH_IPV4 ? 8 : 0;
	case ETH_P_IPV6:
		if (left < 40 || ip[0] >> 4 != 6)
			return 0;
		memcpy(in, ip + 8, 32);
		if ((types & SIM_RSS_HASH_TCP_IPV6) && ip[6] == IPPROTO_TCP &&
		    left >= 44) {
			memcpy(in + 32, ip + 40, 4);
			return 36;
		}
		return types & SIM_RSS_HASH_IPV6 ? 32 : 0;
	}
	return 0;
}

/*
 * The known answers of the NDIS RSS verification example: under its key,
 * 66.9.149.187:2794 -> 161.142.100.80:1766 hashes to 0x323e8fc2 by
 * addresses and to 0x51ccc178 with the TCP ports.
 */
static bool sim_nv_toeplitz_ok(void)
{
	static const u8 key[SIM_NV_KEY] = {
		0x6d, 0x5a, 0x56, 0xda, 0x25, 0x5b, 0x0e, 0xc2, 0x41, 0x67,
		0x25, 0x3d, 0x43, 0xa3, 0x8f, 0xb0, 0xd0, 0xca, 0x2b, 0xcb,
		0xae, 0x7b, 0x30, 0xb4, 0x77, 0xcb, 0x2d, 0xa3, 0x80, 0x30,
		0xf2, 0x0c, 0x6a, 0x42, 0xb7, 0x3b, 0xbe, 0xac, 0x01, 0xfa,
	};
	static const u8 in[12] = {
		66, 9, 149, 187, 161, 142, 100, 80, 0x0a, 0xea, 0x06, 0xe6,
	};

	return sim_nv_toeplitz(key, in, 8) == 0x323e8fc2 &&
	       sim_nv_toeplitz(key, in, 12) == 0x51ccc178;
}

/* The open channel of @to that takes @frame; under sim_nv_lock. */
static unsigned int sim_nv_queue(struct sim_nic *to, const u8 *frame, u32 len)
{
	u8 in[SIM_NV_KEY - 4];
	unsigned int n, q;

	if (!to->rss)
		return 0;
	n = sim_nv_flow(frame, len, to->rss_hash, in);
	if (!n)
		return 0;
	q = to->rss_itab[sim_nv_toeplitz(to->rss_key, in, n) % to->rss_nitab];
	/* A queue whose channel is not open (yet): the primary takes it. */
	return to->chans[q] ? q : 0;
}

/* A frame the guest sent: to the switch. */
static void sim_nv_switch(struct sim_nv_chan *c, const u8 *frame, u32 len)
{
	struct sim_nic *from = c->nic, *to;
	u32 kick[SIM_NV_MAX_NICS];
	unsigned int i, q, nkick = 0;
	struct sim_nv_chan *dst;
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
		if (!to->chans[0] || !to->filter) {
			sim_nv_inc(SIM_NV_DROP_NOT_READY);
			continue;
		}
		if (len > ETH_HLEN + to->mtu) {
			sim_nv_inc(SIM_NV_DROP_OVERSIZE);
			continue;
		}
		q = sim_nv_queue(to, frame, len);
		dst = to->chans[q];
		if (dst->nrxq >= SIM_NV_RXQ_MAX) {
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
		f->checked = false;
		memcpy(f->data, frame, len);
		list_add_tail(&f->node, &dst->rxq);
		dst->nrxq++;
		to->rx_queue[q]++;
		sim_nv_inc(SIM_NV_SWITCHED);
		kick[nkick++] = to->relids[q];
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

/*
 * The IPv4 packet in the Ethernet frame at @f (@len bytes): its header,
 * the offset of its payload in @f and the payload's length; NULL for
 * anything else, a malformed header or a fragment.  @lso: the total length
 * is 0 (a large send's), the packet runs to the end of the frame.
 */
static struct iphdr *sim_nv_ipv4(u8 *f, u32 len, bool lso, u32 *l4off, u32 *l4len)
{
	struct iphdr *ip = (struct iphdr *)(f + ETH_HLEN);
	u32 ihl, tot;

	if (len < ETH_HLEN + sizeof(*ip) || get_unaligned_be16(f + 12) != ETH_P_IP)
		return NULL;
	ihl = ip->ihl * 4;
	tot = lso ? len - ETH_HLEN : be16_to_cpu(ip->tot_len);
	if (ip->version != 4 || ihl < sizeof(*ip) || tot < ihl || tot > len - ETH_HLEN ||
	    (be16_to_cpu(ip->frag_off) & (IP_MF | IP_OFFSET)))
		return NULL;
	*l4off = ETH_HLEN + ihl;
	*l4len = tot - ihl;
	return ip;
}

/* The checksum a TCP or UDP header at @l4 would have (@ip's pseudo header). */
static __sum16 sim_nv_l4_csum(const struct iphdr *ip, const u8 *l4, u32 l4len)
{
	return csum_tcpudp_magic(ip->saddr, ip->daddr, l4len, ip->protocol,
				 csum_partial(l4, l4len, 0));
}

/* Offset of the checksum in a TCP or UDP header that fits @l4len; 0 if not. */
static u32 sim_nv_csum_at(u8 proto, u32 l4len)
{
	if (proto == IPPROTO_TCP && l4len >= sizeof(struct tcphdr))
		return offsetof(struct tcphdr, check);
	if (proto == IPPROTO_UDP && l4len >= sizeof(struct udphdr))
		return offsetof(struct udphdr, check);
	return 0;
}

/*
 * Checksum offload of a frame the guest sent (@info: the PPI's value):
 * the TCP or UDP checksum of the IPv4 packet computed into @f, as the
 * guest asked and turned on; false for a request the host cannot carry
 * out (IPv6, an offset that is not the transport header's, a protocol
 * other than the one named).
 */
static bool sim_nv_tx_csum(struct sim_nv_chan *c, u8 *f, u32 len, u32 info)
{
	bool tcp = info & SIM_CSUM_TX_TCP, udp = info & SIM_CSUM_TX_UDP;
	u32 on = READ_ONCE(c->dev->offloads), l4off, l4len, at;
	struct iphdr *ip;
	__sum16 sum;

	if (!tcp && !udp)
		return !(info & (SIM_CSUM_TX_IPV6 | SIM_CSUM_TX_IP));
	ip = sim_nv_ipv4(f, len, false, &l4off, &l4len);
	if (!ip || !(info & SIM_CSUM_TX_IPV4) || (info & SIM_CSUM_TX_IP) || (tcp && udp) ||
	    !(on & (tcp ? SIM_NV_OFF_TX_TCP4 : SIM_NV_OFF_TX_UDP4)) ||
	    ip->protocol != (tcp ? IPPROTO_TCP : IPPROTO_UDP) ||
	    ((info >> 16) & 0x3ff) != l4off)
		return false;
	at = sim_nv_csum_at(ip->protocol, l4len);
	if (!at)
		return false;
	put_unaligned((__force u16)0, (u16 *)(f + l4off + at));
	sum = sim_nv_l4_csum(ip, f + l4off, l4len);
	if (udp && !sum)
		sum = CSUM_MANGLED_0;
	put_unaligned((__force u16)sum, (u16 *)(f + l4off + at));
	sim_nv_inc(SIM_NV_TX_CSUM);
	return true;
}

/*
 * A large send (LSOv2, IPv4): the TCP segment at @f, of @len bytes with
 * headers that say nothing of its length and at most SIM_NV_LSO_MAX bytes
 * of payload, cut into segments of at most the PPI's MSS (88 or more),
 * each with its IP total length, id, header checksum, TCP sequence
 * number, flags (FIN and PSH only on the last, CWR only on the first)
 * and checksum, and each given to the switch.  False for a request
 * the host cannot carry out.
 */
static bool sim_nv_lso(struct sim_nv_chan *c, u8 *f, u32 len, u32 info)
{
	u32 mss = info & 0xfffff, l4off, l4len, hdr, thl, off, n, seq;
	struct iphdr *ip, *sip;
	struct tcphdr *th, *sth;
	u16 id;

	ip = sim_nv_ipv4(f, len, true, &l4off, &l4len);
	if (!ip || !(info & SIM_LSO_V2) || (info & SIM_LSO_IPV6) ||
	    !(READ_ONCE(c->dev->offloads) & SIM_NV_OFF_LSO4) || ip->protocol != IPPROTO_TCP ||
	    ((info >> 20) & 0x3ff) != l4off || l4len < sizeof(*th))
		return false;
	th = (struct tcphdr *)(f + l4off);
	thl = th->doff * 4;
	hdr = l4off + thl;
	if (thl < sizeof(*th) || thl > l4len || mss < SIM_NV_LSO_MIN_MSS ||
	    hdr + mss > SIM_NV_SEG_MAX || len - hdr > SIM_NV_LSO_MAX)
		return false;
	sim_nv_inc(SIM_NV_LSO_SENDS);
	id = be16_to_cpu(ip->id);
	seq = be32_to_cpu(th->seq);
	for (off = 0; off < len - hdr || off == 0; off += n) {
		n = min(mss, len - hdr - off);
		memcpy(c->seg, f, hdr);
		memcpy(c->seg + hdr, f + hdr + off, n);
		sip = (struct iphdr *)(c->seg + ETH_HLEN);
		sth = (struct tcphdr *)(c->seg + l4off);
		sip->tot_len = cpu_to_be16(hdr - ETH_HLEN + n);
		sip->id = cpu_to_be16(id++);
		sip->check = 0;
		sip->check = ip_fast_csum(sip, sip->ihl);
		sth->seq = cpu_to_be32(seq + off);
		if (off + n < len - hdr) {
			sth->fin = 0;
			sth->psh = 0;
		}
		if (off)
			sth->cwr = 0;
		sth->check = 0;
		sth->check = sim_nv_l4_csum(sip, c->seg + l4off, thl + n);
		sim_nv_inc(SIM_NV_LSO_SEGMENTS);
		sim_nv_switch(c, c->seg, hdr + n);
		if (!n)
			break;
	}
	return true;
}

/*
 * A data packet's per-packet information (@ppi_len bytes at @ppi, from
 * the guest): the values of the checksum and large-send entries, if any,
 * into @csum and @lso; false for entries that do not fit.
 */
static bool sim_nv_ppis(const u8 *ppi, u32 ppi_len, u32 *csum, u32 *lso, bool *has_csum,
			bool *has_lso)
{
	u32 at = 0, size, type, off;

	while (ppi_len - at >= SIM_PPI_HDR) {
		size = get_unaligned_le32(ppi + at);
		/* An entry marked internal is not the checksum or LSO one. */
		type = get_unaligned_le32(ppi + at + 4);
		off = get_unaligned_le32(ppi + at + 8);
		if (size < SIM_PPI_HDR || size > ppi_len - at || off < SIM_PPI_HDR ||
		    off > size || size - off < sizeof(u32))
			return false;
		if (type == SIM_PPI_CSUM) {
			*csum = get_unaligned_le32(ppi + at + off);
			*has_csum = true;
		} else if (type == SIM_PPI_LSO) {
			*lso = get_unaligned_le32(ppi + at + off);
			*has_lso = true;
		}
		at += size;
	}
	return at == ppi_len;
}

/*
 * A data packet of the guest (@p, @body bytes from it on, the host's own
 * copy): its frame, after the offloads its PPIs ask for, to the switch.
 */
static u32 sim_nv_data(struct sim_nv_chan *c, u8 *p, u32 body)
{
	const struct sim_rndis_pkt *pk = (const void *)p;
	bool has_csum = false, has_lso = false;
	u32 csum = 0, lso = 0;
	u8 *f = p + pk->data_offset;

	if (pk->ppi_len && (pk->ppi_offset < sizeof(*pk) || pk->ppi_offset > body ||
			    pk->ppi_len > body - pk->ppi_offset ||
			    !sim_nv_ppis(p + pk->ppi_offset, pk->ppi_len, &csum, &lso,
					 &has_csum, &has_lso))) {
		sim_nv_guest_error(c, "malformed per-packet information of bytes", pk->ppi_len);
		return RNDIS_STATUS_INVALID_DATA;
	}
	if (has_lso) {
		if (sim_nv_lso(c, f, pk->data_len, lso))
			return RNDIS_STATUS_SUCCESS;
		sim_nv_guest_error(c, "large send the host cannot do, PPI", lso);
		return RNDIS_STATUS_INVALID_DATA;
	}
	if (has_csum && !sim_nv_tx_csum(c, f, pk->data_len, csum)) {
		sim_nv_guest_error(c, "checksum offload the host cannot do, PPI", csum);
		return RNDIS_STATUS_INVALID_DATA;
	}
	sim_nv_switch(c, f, pk->data_len);
	return RNDIS_STATUS_SUCCESS;
}

/* One RNDIS message of @len bytes from the guest; its RNDIS status. */
static u32 sim_nv_rndis(struct sim_nv_chan *c, u8 *msg, u32 len)
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
		return sim_nv_data(c, msg + sizeof(*h), body);
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
		WRITE_ONCE(c->dev->halted, false);
		sim_nv_ctl(c, &init, sizeof(init));
		return RNDIS_STATUS_SUCCESS;
	case RNDIS_MSG_HALT:
		WRITE_ONCE(c->dev->halted, true);
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
static bool sim_nv_rndis_all(struct sim_nv_chan *c, u8 *buf, u32 len)
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
	struct sim_nv_buf *b = &c->dev->send;
	const u8 *va;
	u32 len;

	/* Pairs with the release of READY in sim_nv_map_buf(): va is set. */
	va = smp_load_acquire(&b->state) == SIM_NV_BUF_READY ? b->va : NULL;

	if (idx != SIM_NV_NO_SECTION) {
		if (!va || READ_ONCE(b->revoked) ||
		    idx >= b->size / SIM_NV_SEND_SECTION ||
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
	/* The checksum PPI of a received frame: 16 bytes. */
	u32 need = sizeof(struct sim_rndis_hdr) + sizeof(struct sim_rndis_pkt) + 16 +
		   ETH_HLEN + mtu;

	return max_t(u32, SIM_NV_SLOT_MIN, ALIGN(need, SIM_NV_SLOT_ALIGN));
}

/* Ask sim_nv_map_work for @b's GPADL. */
static void sim_nv_buf_request(struct sim_nv_chan *c, struct sim_nv_buf *b,
			       u64 tid, const struct sim_nvsp *m, u16 id)
{
	struct sim_nvsp ans = { .type = b == &c->dev->recv ?
		SIM_NVSP_SEND_RECV_BUF_COMPLETE : SIM_NVSP_SEND_SEND_BUF_COMPLETE };

	/* The buffers serve every channel; the primary hands them over. */
	if (b->state != SIM_NV_BUF_NONE || m->buf.id != id ||
	    !c->dev->version || c->q) {
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
	struct sim_nv_dev *d = c->dev;
	struct sim_nvsp ans = {};
	u32 state;
	bool ok;

	/* Pairs with the release in sim_nv_map_buf(): a READY buffer is mapped. */
	state = smp_load_acquire(&b->state);
	ok = state == SIM_NV_BUF_READY;

	if (b->answered || (state != SIM_NV_BUF_READY && state != SIM_NV_BUF_FAILED))
		return;
	b->answered = true;
	if (b == &d->recv) {
		ans.type = SIM_NVSP_SEND_RECV_BUF_COMPLETE;
		ans.recv_done.status = ok ? SIM_NVSP_STAT_SUCCESS : SIM_NVSP_STAT_FAIL;
		ans.recv_done.num_sections = 1;
		ans.recv_done.sub_alloc_size = d->slot;
		ans.recv_done.num_sub_allocs = d->nslots;
		ans.recv_done.end_offset = d->nslots * d->slot;
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
	for (i = ARRAY_SIZE(sim_nv_versions) - 1; i >= 0 && !c->q; i--) {
		if (sim_nv_versions[i] >= m->init.min_ver &&
		    sim_nv_versions[i] <= m->init.max_ver) {
			c->dev->version = sim_nv_versions[i];
			ans.init_done.version = c->dev->version;
			ans.init_done.status = SIM_NVSP_STAT_SUCCESS;
			break;
		}
	}
	sim_nv_send_comp(c, tid, &ans);
}

/*
 * SUBCHANNEL ALLOCATE on the primary, NVSP 5 on: up to the NIC's queues
 * less one; the completion says how many, and host work offers them.
 */
static void sim_nv_subchannels(struct sim_nv_chan *c, u64 tid,
			       const struct sim_nvsp *m)
{
	struct sim_nvsp ans = {
		.type = SIM_NVSP_SUBCHANNEL,
		.subchn.op_status = SIM_NVSP_STAT_FAIL,
	};
	u32 n = min_t(u32, m->subchn.count, c->nic->queues - 1);

	sim_nv_inc(SIM_NV_SUB_REQUESTS);
	if (c->q || c->dev->version < 0x50000 ||
	    m->subchn.op_status != SIM_NVSP_SUBCHANNEL_ALLOCATE ||
	    !m->subchn.count || !n) {
		sim_nv_guest_error(c, "sub-channel request refused, count",
				   m->subchn.count);
	} else if (!sim_proto_offer_subs_later(sim_ring_relid(c->o),
					       &c->nic->instance, n,
					       &sim_nv_stats[SIM_NV_SUB_GRANTED])) {
		ans.subchn.op_status = SIM_NVSP_STAT_SUCCESS;
		ans.subchn.count = n;
	} else {
		sim_nv_inc(SIM_NV_ERRORS);
	}
	sim_nv_send_comp(c, tid, &ans);
}

/* The guest's completion of a transfer-page packet: its slot is free. */
static void sim_nv_recv_done(struct sim_nv_chan *c, const struct vmpacket_descriptor *d)
{
	struct sim_nv_dev *nd = c->dev;
	u64 slot = d->trans_id;

	/* Pairs with the release in sim_nv_map_buf(): the slots exist. */
	if (smp_load_acquire(&nd->recv.state) != SIM_NV_BUF_READY ||
	    slot >= nd->nslots || !test_and_clear_bit(slot, nd->slots)) {
		sim_nv_guest_error(c, "completion of unknown receive slot", slot);
		return;
	}
	atomic_dec(&nd->nbusy);
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
		sim_nv_buf_request(c, &c->dev->recv, d->trans_id, &m, SIM_NV_RECV_BUF_ID);
		return;
	case SIM_NVSP_SEND_SEND_BUF:
		sim_nv_buf_request(c, &c->dev->send, d->trans_id, &m, 0);
		return;
	case SIM_NVSP_REVOKE_RECV_BUF:
		WRITE_ONCE(c->dev->recv.revoked, true);
		return;
	case SIM_NVSP_REVOKE_SEND_BUF:
		WRITE_ONCE(c->dev->send.revoked, true);
		return;
	case SIM_NVSP_SUBCHANNEL:
		sim_nv_subchannels(c, d->trans_id, &m);
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
	struct sim_nv_dev *d = c->dev;
	unsigned long s;

	if (atomic_inc_return(&d->nbusy) > cap && cap)
		goto none;
	/* Every channel's service takes slots: claim one atomically. */
	do {
		s = find_next_zero_bit(d->slots, d->nslots, c->cursor);
		if (s >= d->nslots)
			s = find_first_zero_bit(d->slots, d->nslots);
		if (s >= d->nslots)
			goto none;
	} while (test_and_set_bit(s, d->slots));
	c->cursor = s + 1;
	return s;
none:
	atomic_dec(&d->nbusy);
	return -1;
}

static void sim_nv_slot_put(struct sim_nv_dev *d, int slot)
{
	clear_bit(slot, d->slots);
	atomic_dec(&d->nbusy);
}

/*
 * The receive checksum information for frame @f of @len bytes, as a NIC
 * that checked it reports it (a PPI value): for an IPv4 TCP or UDP packet
 * while the guest turned that on, the transport checksum found good or
 * bad (the IPv4 header's too when good); 0 for anything else, which the
 * guest checks itself.
 */
static u32 sim_nv_rx_csum(const struct sim_nv_dev *d, u8 *f, u32 len)
{
	u32 on = READ_ONCE(d->offloads), l4off, l4len;
	struct iphdr *ip = sim_nv_ipv4(f, len, false, &l4off, &l4len);
	bool tcp;

	if (!ip || !sim_nv_csum_at(ip->protocol, l4len))
		return 0;
	tcp = ip->protocol == IPPROTO_TCP;
	if (!(on & (tcp ? SIM_NV_OFF_RX_TCP4 : SIM_NV_OFF_RX_UDP4)))
		return 0;
	if (ip_fast_csum(ip, ip->ihl) ||
	    (sim_nv_l4_csum(ip, f + l4off, l4len) &&
	     (tcp || get_unaligned((u16 *)(f + l4off + offsetof(struct udphdr, check)))))) {
		sim_nv_inc(SIM_NV_RX_CSUM_BAD);
		return tcp ? SIM_CSUM_RX_TCP_FAILED : SIM_CSUM_RX_UDP_FAILED;
	}
	sim_nv_inc(SIM_NV_RX_CSUM_OK);
	return SIM_CSUM_RX_IP_OK | (tcp ? SIM_CSUM_RX_TCP_OK : SIM_CSUM_RX_UDP_OK);
}

/*
 * The bad_csum fault: if it is armed for @c's NIC and frame @f is an IPv4
 * TCP or UDP packet with a payload, its last byte changes, as a frame
 * damaged on the wire would, and the fault is spent.
 */
static void sim_nv_damage(struct sim_nv_chan *c, struct sim_nv_frame *f)
{
	u32 l4off, l4len, hl;
	struct iphdr *ip;
	bool hit = false;

	if (READ_ONCE(c->nic->fault) != SIM_NV_FAULT_BAD_CSUM)
		return;
	ip = sim_nv_ipv4(f->data, f->len, false, &l4off, &l4len);
	if (!ip || !sim_nv_csum_at(ip->protocol, l4len))
		return;
	hl = ip->protocol == IPPROTO_TCP ?
	     ((struct tcphdr *)(f->data + l4off))->doff * 4 : sizeof(struct udphdr);
	if (l4len <= hl)
		return;
	spin_lock(&sim_nv_lock);
	if (c->nic->fault == SIM_NV_FAULT_BAD_CSUM) {
		c->nic->fault = SIM_NV_FAULT_NONE;
		hit = true;
	}
	spin_unlock(&sim_nv_lock);
	if (!hit)
		return;
	f->data[l4off + l4len - 1] ^= 0xff;
	sim_nv_inc(SIM_NV_FAULTS);
}

/*
 * Put @f into a slot and name it with a transfer-page packet.  Returns 0
 * when it went (or was dropped), -EAGAIN when it must wait.
 */
static int sim_nv_deliver(struct sim_nv_chan *c, struct sim_nv_frame *f)
{
	struct sim_rndis_hdr h = { .type = RNDIS_MSG_PACKET };
	struct sim_rndis_pkt p = { .data_offset = sizeof(p) };
	struct sim_nv_dev *d = c->dev;
	u8 *at;
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
	struct {
		u32 size;
		u32 type;
		u32 offset;
		u32 value;
	} __packed ppi = { .size = sizeof(ppi), .type = SIM_PPI_CSUM, .offset = SIM_PPI_HDR };
	u32 hlen = sizeof(h) + sizeof(p), total;
	int slot, ret;

	if (!f->rndis) {
		/* Once, even if the ring is full and the frame waits. */
		if (!f->checked) {
			sim_nv_damage(c, f);
			f->csum_info = sim_nv_rx_csum(d, f->data, f->len);
			f->checked = true;
		}
		ppi.value = f->csum_info;
		if (ppi.value) {
			p.ppi_offset = sizeof(p);
			p.ppi_len = sizeof(ppi);
			p.data_offset = sizeof(p) + sizeof(ppi);
			hlen += sizeof(ppi);
		}
	}
	total = f->rndis ? f->len : hlen + f->len;

	if (total > d->slot) {
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
	at = d->recv.va + (size_t)slot * d->slot;
	if (f->rndis) {
		memcpy(at, f->data, f->len);
	} else {
		h.len = total;
		p.data_len = f->len;
		memcpy(at, &h, sizeof(h));
		memcpy(at + sizeof(h), &p, sizeof(p));
		if (p.ppi_len)
			memcpy(at + sizeof(h) + sizeof(p), &ppi, sizeof(ppi));
		memcpy(at + hlen, f->data, f->len);
	}
	x.h.d.trans_id = slot;
	x.h.range.byte_offset = slot * d->slot;
	x.h.range.byte_count = total;
	ret = sim_ring_send(c->o, &x, sizeof(x));
	if (ret == -EAGAIN) {
		sim_nv_slot_put(d, slot);
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
	if (READ_ONCE(c->dev->halted))
		return NULL;
	spin_lock(&sim_nv_lock);
	f = list_first_entry_or_null(&c->rxq, struct sim_nv_frame, node);
	if (f) {
		list_del(&f->node);
		c->nrxq--;
	}
	spin_unlock(&sim_nv_lock);
	return f;
}

/*
 * A media state indication if the link moved since the guest was told;
 * on the primary, where the guest's RNDIS control lives.
 */
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

	if (c->q)
		return;
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

/* Whether the receive buffer is mapped and not revoked: slots to fill. */
static bool sim_nv_recv_ready(struct sim_nv_dev *d)
{
	/* Pairs with the release in sim_nv_map_buf(): the slots exist. */
	return smp_load_acquire(&d->recv.state) == SIM_NV_BUF_READY &&
	       !READ_ONCE(d->recv.revoked);
}

/* Fill receive slots while there is room. */
static bool sim_nv_rx(struct sim_nv_chan *c)
{
	bool did = false;

	if (!sim_nv_recv_ready(c->dev))
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
		.len = 2 * c->dev->slot,
	};
	struct sim_nvsp ans = {
		.type = SIM_NVSP_SEND_RNDIS_PKT_COMPLETE,
		.rndis_done.status = SIM_NVSP_STAT_SUCCESS,
	};
	enum sim_nv_fault f;

	if (c->q || !sim_nv_recv_ready(c->dev))
		return false;
	spin_lock(&sim_nv_lock);
	f = c->nic->fault;
	/* A damaged frame waits for a frame to damage (sim_nv_damage()). */
	if (f == SIM_NV_FAULT_BAD_CSUM)
		f = SIM_NV_FAULT_NONE;
	else
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

	/* The primary asked for the buffers: it answers. */
	if (!c->q) {
		sim_nv_buf_answer(c, &c->dev->recv);
		sim_nv_buf_answer(c, &c->dev->send);
	}
	did |= sim_nv_fault(c);
	/* While completions wait for room, take no new request. */
	if (sim_nv_flush(c, &did))
		did |= sim_ring_drain(o, sim_nv_packet);
	did |= sim_nv_rx(c);
	return did;
}

/* The receive buffer's slots; false if it has none (the guest's error). */
static bool sim_nv_slots_make(struct sim_nv_dev *d, u32 relid)
{
	/*
	 * The guest's own size may end inside the last page, and it refuses
	 * slots beyond it: none there.
	 */
	d->nslots = (d->recv.size - PAGE_SIZE) / d->slot;
	if (!d->nslots) {
		/* Refused: every host message would wait forever. */
		sim_guest_error("netvsc: relid %u: buffer of %u bytes < a slot (%u)\n",
				relid, d->recv.size, d->slot);
		return false;
	}
	d->slots = bitmap_zalloc(d->nslots, GFP_KERNEL);
	if (!d->slots)
		d->nslots = 0;
	return d->slots;
}

/* Map the GPADL of a pending buffer of @d; under sim_lock. */
static void sim_nv_map_buf(struct sim_nv_dev *d, struct sim_nv_buf *b, u32 relid)
{
	u32 state = SIM_NV_BUF_FAILED;
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
		if (b != &d->recv || sim_nv_slots_make(d, relid))
			state = SIM_NV_BUF_READY;
	}
	/*
	 * va, size and the slots before the state: the channels' services
	 * read it with acquire (sim_nv_buf_answer(), sim_nv_send_rndis(),
	 * sim_nv_recv_ready(), sim_nv_recv_done()).
	 */
	smp_store_release(&b->state, state);
}

static void sim_nv_map_fn(struct work_struct *work)
{
	struct sim_nv_chan *c;
	u32 relid;

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
		relid = sim_ring_relid(c->o);
		sim_nv_map_buf(c->dev, &c->dev->recv, relid);
		sim_nv_map_buf(c->dev, &c->dev->send, relid);
		sim_ring_kick(relid, &sim_netvsc_backend);
	}
	mutex_unlock(&sim_lock);
}

/*
 * The NIC of the device @ch belongs to whose channel of that queue is not
 * open, and which may open it: a sub-channel needs its primary open (the
 * buffers it shares come from there).  Under sim_nv_lock.
 */
static struct sim_nic *sim_nv_nic_for(const struct sim_chan *ch)
{
	u16 q = ch->sub_index;
	unsigned int i;

	for (i = 0; i < SIM_NV_MAX_NICS; i++) {
		struct sim_nic *nic = &sim_nics[i];

		if (!nic->used || !guid_equal(&nic->instance, &ch->dev->instance))
			continue;
		if (q >= nic->queues || nic->chans[q] || (q && !nic->dev))
			return NULL;
		return nic;
	}
	return NULL;
}

static void sim_nv_chan_free(struct sim_nv_chan *c)
{
	kvfree(c->msg);
	kvfree(c->seg);
	kfree(c);
}

static int sim_nv_open(const struct sim_backend *be, struct sim_open *o)
{
	struct sim_chan *ch = sim_chan_get(sim_ring_relid(o));
	struct sim_nv_dev *d = NULL;
	struct sim_nic *nic;
	struct sim_nv_chan *c;

	lockdep_assert_held(&sim_lock);
	if (!ch)
		return -ENOENT;
	c = kzalloc(sizeof(*c), GFP_KERNEL);
	if (!c)
		return -ENOMEM;
	c->msg = kvmalloc(SIM_NV_MAX_MSG, GFP_KERNEL);
	c->seg = kvmalloc(SIM_NV_SEG_MAX, GFP_KERNEL);
	if (!ch->sub_index)
		d = kzalloc(sizeof(*d), GFP_KERNEL);
	if (!c->msg || !c->seg || (!ch->sub_index && !d)) {
		kfree(d);
		sim_nv_chan_free(c);
		return -ENOMEM;
	}
	c->o = o;
	c->q = ch->sub_index;
	c->link_sent = -1;
	INIT_LIST_HEAD(&c->map_node);
	INIT_LIST_HEAD(&c->ctlq);
	INIT_LIST_HEAD(&c->rxq);
	INIT_LIST_HEAD(&c->backlog);
	spin_lock(&sim_nv_lock);
	nic = sim_nv_nic_for(ch);
	if (nic) {
		if (d) {
			d->mtu = nic->mtu;
			d->slot = sim_nv_slot_size(d->mtu);
			nic->dev = d;
			nic->filter = 0;
			nic->rss = false;
			nic->rss_nitab = 0;
		}
		c->dev = nic->dev;
		c->dev->users++;
		c->nic = nic;
		nic->chans[c->q] = c;
		nic->relids[c->q] = sim_ring_relid(o);
	}
	spin_unlock(&sim_nv_lock);
	if (!nic) {
		/*
		 * A NIC the control plane did not make (a plain "add"), or a
		 * sub-channel without its primary.
		 */
		kfree(d);
		sim_nv_chan_free(c);
		return -ENOENT;
	}
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
	u32 subs[SIM_NV_MAX_QUEUES] = {};
	struct sim_nv_dev *d = c->dev;
	struct sim_nic *nic = c->nic;
	unsigned int q;
	LIST_HEAD(rxq);

	lockdep_assert_held(&sim_lock);
	/*
	 * Without its primary a NIC has no buffers the host may use: a
	 * guest that tears them down before it closes its sub-channels
	 * (the order before VMBus 4.0) gets those closed here, so that no
	 * service writes into a buffer the guest was told is gone.
	 */
	if (!c->q) {
		spin_lock(&sim_nv_lock);
		for (q = 1; q < SIM_NV_MAX_QUEUES; q++)
			subs[q] = nic->relids[q];
		spin_unlock(&sim_nv_lock);
		for (q = 1; q < SIM_NV_MAX_QUEUES; q++)
			if (subs[q])
				sim_ring_close(subs[q]);
	}
	spin_lock(&sim_nv_map_lock);
	list_del_init(&c->map_node);
	spin_unlock(&sim_nv_map_lock);
	spin_lock(&sim_nv_lock);
	nic->chans[c->q] = NULL;
	nic->relids[c->q] = 0;
	if (!c->q) {
		/* No frame is switched to a NIC without its primary. */
		nic->dev = NULL;
		nic->filter = 0;
		nic->rss = false;
		/* A fault not yet injected goes with the channel it was meant for. */
		nic->fault = SIM_NV_FAULT_NONE;
	}
	list_splice_init(&c->rxq, &rxq);
	c->nrxq = 0;
	spin_unlock(&sim_nv_lock);
	if (c->q)
		sim_nv_inc(SIM_NV_SUB_CLOSED);
	sim_nv_free_list(&rxq);
	sim_nv_free_list(&c->ctlq);
	sim_nv_free_list(&c->backlog);
	kfree(c->cur);
	sim_nv_chan_free(c);
	/* The last channel of the NIC takes the buffers with it. */
	if (--d->users)
		return;
	sim_nv_buf_release(&d->recv);
	sim_nv_buf_release(&d->send);
	bitmap_free(d->slots);
	kfree(d);
}

static const struct sim_backend sim_netvsc_backend = {
	HV_NIC_GUID,
	.name = "netvsc",
	.open = sim_nv_open,
	.service = sim_nv_service,
	.close = sim_nv_close,
};

/*
 * A NIC offered anew has its link up, as a new one does: a link an earlier
 * run took down does not carry over.  Called right after the offer was
 * queued, long before the guest can open the device and ask.
 */
static void sim_nv_link_reset(struct sim_nic *nic)
{
	spin_lock(&sim_nv_lock);
	nic->link_up = true;
	spin_unlock(&sim_nv_lock);
}

/*
 * add <mac> [<queues>]: a new NIC on the switch, offered to the guest, with
 * up to <queues> channels (1..SIM_NV_MAX_QUEUES, default 1).  For a NIC
 * the switch knows (a later test run), its offer again, with the queues
 * it had unless <queues> says otherwise; the count changes only while no
 * channel of the NIC is open and its device is not offered (-EBUSY).  A
 * NIC offered anew comes back with its link up (sim_nv_link_reset()).
 */
static int sim_nv_add_cmd(char *arg)
{
	char *mac_s = strsep(&arg, " ");
	struct sim_nic *nic = NULL;
	unsigned int i, old, queues = 1;
	u8 mac[ETH_ALEN];
	guid_t inst;
	bool busy;
	int ret;

	if (!mac_pton(mac_s, mac) || !is_valid_ether_addr(mac))
		return -EINVAL;
	if (arg && kstrtouint(skip_spaces(arg), 10, &queues))
		return -EINVAL;
	if (!queues || queues > SIM_NV_MAX_QUEUES) {
		pr_warn_ratelimited("netvsc/control: %u queues is outside 1..%u\n",
				    queues, SIM_NV_MAX_QUEUES);
		return -ERANGE;
	}
	sim_nv_instance(mac, &inst);
	spin_lock(&sim_nv_lock);
	nic = sim_nic_by_mac(mac);
	if (nic) {
		if (!arg)
			queues = nic->queues;
		busy = queues != nic->queues && nic->dev;
		spin_unlock(&sim_nv_lock);
		if (busy)
			return -EBUSY;
		if (queues == nic->queues) {
			ret = sim_proto_dev_add(&sim_netvsc_backend.guid, &inst,
						queues - 1);
			if (!ret)
				sim_nv_link_reset(nic);
			return ret == -EEXIST ? 0 : ret;
		}
		/* Before the offer: the guest's open reads it. */
		old = nic->queues;
		WRITE_ONCE(nic->queues, queues);
		ret = sim_proto_dev_add(&sim_netvsc_backend.guid, &inst, queues - 1);
		if (ret)
			WRITE_ONCE(nic->queues, old);
		else
			sim_nv_link_reset(nic);
		return ret == -EEXIST ? -EBUSY : ret;
	}
	for (i = 0; i < SIM_NV_MAX_NICS && !nic; i++)
		if (!sim_nics[i].used)
			nic = &sim_nics[i];
	if (nic) {
		memset(nic, 0, sizeof(*nic));
		nic->used = true;
		ether_addr_copy(nic->mac, mac);
		nic->instance = inst;
		nic->queues = queues;
		nic->link_up = true;
		nic->mtu = SIM_NV_MTU_DEFAULT;
	}
	spin_unlock(&sim_nv_lock);
	if (!nic)
		return -ENOSPC;
	ret = sim_proto_dev_add(&sim_netvsc_backend.guid, &inst, queues - 1);
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
		relid = nic->relids[0];
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

/* fault <mac> unknown_tid|bad_rndis|bad_csum */
static int sim_nv_fault_cmd(char *arg)
{
	/* Indexed by the fault's value less one (0 is SIM_NV_FAULT_NONE). */
	static const char * const words[] = {
		[SIM_NV_FAULT_UNKNOWN_TID - 1] = "unknown_tid",
		[SIM_NV_FAULT_BAD_RNDIS - 1] = "bad_rndis",
		[SIM_NV_FAULT_BAD_CSUM - 1] = "bad_csum",
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
	else if (!nic->relids[0])
		ret = -ENOTCONN;
	else if (nic->fault != SIM_NV_FAULT_NONE)
		ret = -EBUSY;
	else
		nic->fault = i + 1;
	if (!ret)
		relid = nic->relids[0];
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

/* What netvsc/nics shows of one NIC; snapshot under sim_nv_lock. */
struct sim_nv_nic_line {
	u8 mac[ETH_ALEN];
	u32 relid;
	bool link_up;
	u32 filter;
	unsigned int nrxq;
	int busy;
	u32 mtu;
	u32 rx_slots;
	u32 send_delay_ms;
	u16 queues;
	u16 open;
	bool rss;
	u64 rx_queue[SIM_NV_MAX_QUEUES];
};

static void sim_nv_nic_snap(const struct sim_nic *nic, struct sim_nv_nic_line *l)
{
	unsigned int q;

	ether_addr_copy(l->mac, nic->mac);
	l->relid = nic->relids[0];
	l->link_up = nic->link_up;
	l->filter = nic->filter;
	l->nrxq = 0;
	l->open = 0;
	for (q = 0; q < nic->queues; q++) {
		if (nic->chans[q]) {
			l->nrxq += nic->chans[q]->nrxq;
			l->open++;
		}
	}
	l->busy = nic->dev ? atomic_read(&nic->dev->nbusy) : 0;
	l->mtu = nic->mtu;
	l->rx_slots = nic->rx_slots;
	l->send_delay_ms = nic->send_delay_ms;
	l->queues = nic->queues;
	l->rss = nic->rss;
	memcpy(l->rx_queue, nic->rx_queue, sizeof(l->rx_queue));
}

/*
 * One line per NIC: MAC, relid of the open primary, link, filter, frames
 * queued for the guest, busy slots, host MTU, receive slot cap, send
 * completion delay, then its queues: how many it offers, how many
 * channels are open, whether RSS is on, and the frames the switch gave
 * each queue.
 */
static int sim_nv_nics_show(struct seq_file *m, void *unused)
{
	struct sim_nv_nic_line *snap;
	unsigned int i, n = 0, q;

	snap = kmalloc_array(SIM_NV_MAX_NICS, sizeof(*snap), GFP_KERNEL);
	if (!snap)
		return -ENOMEM;
	spin_lock(&sim_nv_lock);
	for (i = 0; i < SIM_NV_MAX_NICS; i++)
		if (sim_nics[i].used)
			sim_nv_nic_snap(&sim_nics[i], &snap[n++]);
	spin_unlock(&sim_nv_lock);
	for (i = 0; i < n; i++) {
		seq_printf(m, "%pM relid %u link %s filter %#x rxq %u busy %d mtu %u rx_slots %u send_delay_ms %u queues %u open %u rss %s rx_queue",
			   snap[i].mac, snap[i].relid,
			   snap[i].link_up ? "up" : "down",
			   snap[i].filter, snap[i].nrxq, snap[i].busy,
			   snap[i].mtu, snap[i].rx_slots, snap[i].send_delay_ms,
			   snap[i].queues, snap[i].open,
			   snap[i].rss ? "on" : "off");
		for (q = 0; q < snap[i].queues; q++)
			seq_printf(m, "%c%llu", q ? ',' : ' ', snap[i].rx_queue[q]);
		seq_putc(m, '\n');
	}
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
	/* A host whose hash is wrong would spread nothing the guest expects. */
	WARN(!sim_nv_toeplitz_ok(), "netvsc: Toeplitz hash fails its known answers\n");
	sim_ring_register_backends(&sim_netvsc_backend, 1);
	/* hv_netvsc asks for its sub-channels (NVSP SUBCHANNEL) when it wants them. */
	sim_proto_subs_on_request(&sim_netvsc_backend.guid);
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
	/* Every channel closed, and with it its receive queue. */
	for (i = 0; i < SIM_NV_MAX_NICS; i++)
		sim_nics[i].used = false;
}
