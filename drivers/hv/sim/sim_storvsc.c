// SPDX-License-Identifier: GPL-2.0
/*
 * vmbus_sim: synthetic SCSI controllers (class HV_SCSI_GUID) with RAM
 * disks or disks kept in a file or block device, served to the guest's
 * storvsc (vmbus-sim.rst, "Synthetic SCSI controller").
 *
 * The guest speaks the VSTOR protocol: every packet carries one 64-byte
 * VSTOR packet (operation, flags, status and a 52-byte payload) and asks
 * for a completion; the host answers each with a VM_PKT_COMP packet that
 * echoes the guest's transaction id and carries the VSTOR packet back,
 * operation COMPLETE_IO, with the status and the payload filled in.
 *
 *   BEGIN_INITIALIZATION       status 0
 *   QUERY_PROTOCOL_VERSION     0 for 5.1 (Win8), 6.0 (Win8.1), 6.2 (Win10);
 *                              STATUS_REVISION_MISMATCH for any other
 *   QUERY_PROPERTIES           as many sub-channels as the device was
 *                              added with (multi-channel flag when that is
 *                              not 0), 2 MiB per transfer
 *   END_INITIALIZATION         status 0; EXECUTE_SRB is valid from here on
 *   CREATE_SUB_CHANNELS        on the primary after END_INITIALIZATION,
 *                              1..max sub-channels: status 0, and the
 *                              host offers that many (sim_proto.c offers
 *                              this class's sub-channels only on request)
 *   EXECUTE_SRB                a SCSI command for the target below; a
 *                              sub-channel takes it from its open on
 *   RESET_LUN/_ADAPTER/_BUS    status 0
 *   anything else              a failure status
 *
 * EXECUTE_SRB's data lies in guest memory named by the packet itself:
 * VM_PKT_DATA_USING_GPA_DIRECT, one range (byte count, offset in the
 * first page, PFNs).  Every field is checked (offsets and counts against
 * the packet, each PFN against the kernel's RAM, as for GPADLs); a bad one
 * is a guest error and fails the request with SRB_STATUS_INVALID_REQUEST.
 * The guest runs in the same kernel, so the host copies through the
 * guest's pages directly, one page at a time.
 *
 * The SCSI target: path 0, target 0, LUNs 0..n-1 (control plane `luns`)
 * are direct-access disks of 512-byte blocks, vendor "Msft", model
 * "Virtual Disk", each controller its own: RAM of the size the control
 * plane gave, or the file or block device it named for that controller
 * and LUN (`backing`), which the host reads and writes through the VFS
 * (vfs_iter_read/write over the guest's pages; SYNCHRONIZE CACHE is an
 * fsync).  REPORT LUNS there lists the LUNs that have a disk.  Every other
 * LUN answers INQUIRY with peripheral qualifier 3 (no LUN there); another
 * path or target, or a controller without disks, also REPORT LUNS with an
 * empty list.  Supported: TEST UNIT READY, REQUEST SENSE, INQUIRY (standard;
 * VPD 0x00, 0x80, 0x83, 0xb0, 0xb1, 0xb2), REPORT LUNS, READ CAPACITY
 * (10) and (16), MODE SENSE (6) and (10) (caching page, WCE as set; all pages),
 * READ/WRITE (6), (10), (16), SYNCHRONIZE CACHE (10) and (16), and while
 * the control plane offers discard (`discard 1`, at load), UNMAP and WRITE
 * SAME (16): thin provisioning with unmapped blocks reading as zeros
 * (LBPME and LBPRZ in READ CAPACITY (16), LBPU and LBPWS in VPD 0xb2, the
 * limits in VPD 0xb0), RAM zeroed, a store's range punched out (or
 * written with zeros where it cannot be punched).  Anything
 * else is CHECK CONDITION with fixed-format sense data: ILLEGAL REQUEST
 * with INVALID COMMAND OPERATION CODE, INVALID FIELD IN CDB, LBA OUT OF
 * RANGE or LOGICAL UNIT NOT SUPPORTED (and for UNMAP's parameter list,
 * INVALID FIELD IN PARAMETER LIST or PARAMETER LIST LENGTH ERROR).
 *
 * Host faults, armed through the control plane (vmbus-sim.rst, "Synthetic
 * SCSI controller"): the next N READ/WRITE commands fail with a medium
 * error; the next N completions each follow an extra completion with a
 * transaction id no request has, or an extra completion too short to hold
 * a VSTOR packet, or are sent twice (the copy right behind the
 * original); every completion waits delay_ms first; the answers to the
 * next N EXECUTE_SRB requests are held until the control plane says
 * `release` (sent as they were) or `abort` (failed: LOGICAL UNIT NOT
 * SUPPORTED), or the channel closes (cancelled), which is how a test has
 * requests in flight when the host revokes the controller.  Each injection
 * is counted, and the guest must fail only the command concerned.
 *
 * Contexts and locks:
 *  - a channel's open and close run under sim_lock, count the open
 *    channels and keep the list of them (the channels file); the
 *    control plane changes the disk layout and frees the disks only under
 *    sim_lock and while none is open, so a channel's service uses its
 *    controller's disks unlocked;
 *  - a channel's service (the ring work, under the channel's lock) owns
 *    its struct sim_stv_chan;
 *  - the counters are atomic;
 *  - a sub-channel request is offered from host work (sim_wq), which
 *    takes sim_lock: the channel's service may not.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/atomic.h>
#include <linux/bvec.h>
#include <linux/debugfs.h>
#include <linux/delay.h>
#include <linux/falloc.h>
#include <linux/fs.h>
#include <linux/highmem.h>
#include <linux/list.h>
#include <linux/lockdep.h>
#include <linux/minmax.h>
#include <linux/mm.h>
#include <linux/namei.h>
#include <linux/sched/mm.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/uaccess.h>
#include <linux/uio.h>
#include <linux/vmalloc.h>
#include "../compat.h"
#include <scsi/scsi_proto.h>

#include "sim.h"

/*
 * The VSTOR wire format, as the guest's storvsc sends it (this host's own
 * definitions; all little-endian).
 */
enum sim_stv_op {
	SIM_STV_OP_COMPLETE_IO		= 1,
	SIM_STV_OP_REMOVE_DEVICE	= 2,
	SIM_STV_OP_EXECUTE_SRB		= 3,
	SIM_STV_OP_RESET_LUN		= 4,
	SIM_STV_OP_RESET_ADAPTER	= 5,
	SIM_STV_OP_RESET_BUS		= 6,
	SIM_STV_OP_BEGIN_INIT		= 7,
	SIM_STV_OP_END_INIT		= 8,
	SIM_STV_OP_QUERY_VERSION	= 9,
	SIM_STV_OP_QUERY_PROPERTIES	= 10,
	SIM_STV_OP_ENUMERATE_BUS	= 11,
	SIM_STV_OP_FCHBA_DATA		= 12,
	SIM_STV_OP_CREATE_SUB_CHANNELS	= 13,
};

/**
 * struct sim_stv_srb - the SCSI request block of EXECUTE_SRB
 * @length: size of this block as the guest counts it
 * @srb_status: SRB_STATUS_* of the answer
 * @scsi_status: SAM status of the answer
 * @port: the guest's host number
 * @path: SCSI channel
 * @target: SCSI target id
 * @lun: SCSI LUN
 * @cdb_length: bytes of @cdb
 * @sense_length: bytes of sense data: room in the request, used in the
 *	answer
 * @data_in: 0 write, 1 read, 2 no data
 * @reserved: unused
 * @transfer_length: bytes of data: asked for in the request, moved in the
 *	answer
 * @cdb: the command (request) or the sense data (answer)
 * @reserve: unused
 * @queue_tag: unused
 * @queue_action: unused
 * @srb_flags: SRB_FLAGS_*
 * @timeout: seconds
 * @queue_sort_key: unused
 */
struct sim_stv_srb {
	u16 length;
	u8 srb_status;
	u8 scsi_status;
	u8 port;
	u8 path;
	u8 target;
	u8 lun;
	u8 cdb_length;
	u8 sense_length;
	u8 data_in;
	u8 reserved;
	u32 transfer_length;
	u8 cdb[20];
	u16 reserve;
	u8 queue_tag;
	u8 queue_action;
	u32 srb_flags;
	u32 timeout;
	u32 queue_sort_key;
} __packed;

/* QUERY_PROPERTIES' answer. */
struct sim_stv_props {
	u32 reserved;
	u16 max_channel_count;
	u16 reserved1;
	u32 flags;
	u32 max_transfer_bytes;
	u64 reserved2;
} __packed;

/* One VSTOR packet: the payload of every packet both ways. */
struct sim_stv_pkt {
	u32 operation;
	u32 flags;
	u32 status;
	union {
		struct sim_stv_srb srb;
		struct sim_stv_props props;
		struct {
			u16 major_minor;
			u16 revision;
		} __packed version;
		u16 sub_channel_count;
		u8 buffer[52];
	};
} __packed;

/* A completion: descriptor and VSTOR packet. */
struct sim_stv_comp {
	struct vmpacket_descriptor d;
	struct sim_stv_pkt p;
} __packed;

static_assert(sizeof(struct sim_stv_srb) == 52);
static_assert(offsetof(struct sim_stv_srb, transfer_length) == 12);
static_assert(offsetof(struct sim_stv_srb, cdb) == 16);
static_assert(offsetof(struct sim_stv_srb, srb_flags) == 40);
static_assert(sizeof(struct sim_stv_props) == 24);
static_assert(offsetof(struct sim_stv_props, max_transfer_bytes) == 12);
static_assert(sizeof(struct sim_stv_pkt) == 64);
static_assert(offsetof(struct sim_stv_pkt, srb) == 12);
static_assert(sizeof(struct sim_stv_comp) == 80);
static_assert(sizeof(struct vmbus_packet_mpb_array) == 32);
static_assert(offsetof(struct vmbus_packet_mpb_array, range) == 24);

/* SRB status codes and flags the answers use. */
enum {
	SIM_SRB_SUCCESS		= 0x01,
	SIM_SRB_ERROR		= 0x04,
	SIM_SRB_INVALID_REQUEST	= 0x06,
	SIM_SRB_AUTOSENSE_VALID	= 0x80,
};

/* QUERY_PROPERTIES' flag: CREATE_SUB_CHANNELS is supported. */
#define SIM_STV_MULTI_CHANNEL	0x1

enum {
	/* The protocol versions the host accepts (major << 8 | minor). */
	SIM_STV_WIN8		= 0x0501,
	SIM_STV_WIN8_1		= 0x0600,
	SIM_STV_WIN10		= 0x0602,
	/* QUERY_PROTOCOL_VERSION's refusal, as Windows answers it. */
	SIM_STV_REVISION_MISMATCH = 0xc0000059,
	/* Largest transfer of one request (QUERY_PROPERTIES). */
	SIM_STV_MAX_XFER	= 2048 * 1024,
	SIM_STV_BLOCK		= 512,
	/* LUNs of a controller, controllers with disks. */
	SIM_STV_MAX_LUNS	= 8,
	SIM_STV_MAX_CTLS	= 8,
	/* Largest disk the control plane makes, in MiB. */
	SIM_STV_MAX_MB		= 512,
	/* Completions a channel holds while the guest's ring is full. */
	SIM_STV_BACKLOG_MAX	= 4096,
	SIM_STV_CMD_MAX		= 256,
	SIM_STV_MAX_DELAY_MS	= 10000,
	SIM_STV_MAX_FAULTS	= 1000000,
	/* First transaction id of the bogus completions: no tag has it. */
	SIM_STV_BOGUS_ID	= 0x7fff0000,
	/* VSTOR bytes in a short completion; bytes after one in a long one. */
	SIM_STV_SHORT_LEN	= 8,
	SIM_STV_LONG_EXTRA	= 64,
	/* Fixed-format sense data. */
	SIM_STV_SENSE_LEN	= 18,
	/*
	 * Discard (VPD 0xb0): blocks one UNMAP or WRITE SAME may name (32 MiB),
	 * descriptors of one UNMAP, the granularity sd aligns discards to.
	 */
	SIM_STV_MAX_UNMAP	= 65536,
	SIM_STV_MAX_UNMAP_DESC	= 16,
	SIM_STV_UNMAP_GRAN	= 8,
	SIM_STV_UNMAP_HDR	= 8,
	SIM_STV_UNMAP_DESC	= 16,
};

/* Counters of the stats file. */
enum sim_stv_stat {
	SIM_STV_OPENS,
	SIM_STV_CONTROL_OPS,
	SIM_STV_REQUESTS,
	SIM_STV_COMPLETIONS,
	SIM_STV_READS,
	SIM_STV_WRITES,
	SIM_STV_FLUSHES,
	SIM_STV_BYTES_READ,
	SIM_STV_BYTES_WRITTEN,
	SIM_STV_CHECK_CONDITIONS,
	SIM_STV_ERRORS,
	SIM_STV_BACKLOGGED,
	SIM_STV_CANCELLED,
	SIM_STV_INJ_MEDIUM_ERRORS,
	SIM_STV_INJ_BOGUS_IDS,
	SIM_STV_INJ_SHORT,
	SIM_STV_INJ_LONG,
	SIM_STV_INJ_DUPLICATES,
	SIM_STV_DELAYED,
	SIM_STV_SUB_REQUESTS,
	SIM_STV_SUB_GRANTED,
	SIM_STV_HELD,
	SIM_STV_RELEASED,
	SIM_STV_ABORTED,
	SIM_STV_BACKING_ERRORS,
	SIM_STV_UNMAPS,
	SIM_STV_WRITE_SAMES,
	SIM_STV_BLOCKS_UNMAPPED,
	SIM_STV_STAT_COUNT
};

static const char * const sim_stv_stat_names[SIM_STV_STAT_COUNT] = {
	[SIM_STV_OPENS]			= "opens",
	[SIM_STV_CONTROL_OPS]		= "control_ops",
	[SIM_STV_REQUESTS]		= "requests",
	[SIM_STV_COMPLETIONS]		= "completions",
	[SIM_STV_READS]			= "reads",
	[SIM_STV_WRITES]		= "writes",
	[SIM_STV_FLUSHES]		= "flushes",
	[SIM_STV_BYTES_READ]		= "bytes_read",
	[SIM_STV_BYTES_WRITTEN]		= "bytes_written",
	[SIM_STV_CHECK_CONDITIONS]	= "check_conditions",
	[SIM_STV_ERRORS]		= "errors",
	[SIM_STV_BACKLOGGED]		= "backlogged",
	[SIM_STV_CANCELLED]		= "cancelled",
	[SIM_STV_INJ_MEDIUM_ERRORS]	= "injected_medium_errors",
	[SIM_STV_INJ_BOGUS_IDS]		= "injected_bogus_ids",
	[SIM_STV_INJ_SHORT]		= "injected_short_completions",
	[SIM_STV_INJ_LONG]		= "injected_long_completions",
	[SIM_STV_INJ_DUPLICATES]	= "injected_duplicate_ids",
	[SIM_STV_DELAYED]		= "delayed_completions",
	[SIM_STV_SUB_REQUESTS]		= "sub_channel_requests",
	[SIM_STV_SUB_GRANTED]		= "sub_channels_granted",
	[SIM_STV_HELD]			= "held",
	[SIM_STV_RELEASED]		= "released",
	[SIM_STV_ABORTED]		= "aborted",
	[SIM_STV_BACKING_ERRORS]	= "backing_errors",
	[SIM_STV_UNMAPS]		= "unmaps",
	[SIM_STV_WRITE_SAMES]		= "write_sames",
	[SIM_STV_BLOCKS_UNMAPPED]	= "blocks_unmapped",
};

/* Faults the control plane arms: how many injections are left. */
enum sim_stv_fault {
	SIM_STV_FAULT_MEDIUM_ERROR,
	SIM_STV_FAULT_BOGUS_ID,
	SIM_STV_FAULT_SHORT,
	SIM_STV_FAULT_LONG,
	SIM_STV_FAULT_HOLD,
	SIM_STV_FAULT_DUPLICATE,
	SIM_STV_FAULT_COUNT
};

static const char * const sim_stv_fault_names[SIM_STV_FAULT_COUNT] = {
	[SIM_STV_FAULT_MEDIUM_ERROR]	= "medium_error",
	[SIM_STV_FAULT_BOGUS_ID]	= "bogus_id",
	[SIM_STV_FAULT_SHORT]		= "short_completion",
	[SIM_STV_FAULT_LONG]		= "long_completion",
	[SIM_STV_FAULT_HOLD]		= "hold",
	[SIM_STV_FAULT_DUPLICATE]	= "duplicate_id",
};

static atomic_t sim_stv_faults[SIM_STV_FAULT_COUNT];
/* Every completion waits this long first (0..SIM_STV_MAX_DELAY_MS). */
static unsigned int sim_stv_delay_ms;
/* The caching page's WCE: the disks say they have a write cache. */
static bool sim_stv_write_cache = true;
/* Disks offer logical block provisioning (UNMAP, WRITE SAME (16)). */
static bool sim_stv_discard = true;

/* Takes one injection of @f if one is armed. */
static bool sim_stv_fault(enum sim_stv_fault f)
{
	return atomic_add_unless(&sim_stv_faults[f], -1, 0);
}

static atomic64_t sim_stv_stats[SIM_STV_STAT_COUNT];

/**
 * struct sim_stv_disk - the store of one LUN
 * @bytes: its size, a multiple of the block; 0: no disk at this LUN
 * @mem: RAM of @bytes, or NULL
 * @file: else the file or block device that keeps the data (owned by
 *	sim_stv_backing)
 */
struct sim_stv_disk {
	u64 bytes;
	u8 *mem;
	struct file *file;
};

/**
 * struct sim_stv_ctl - the disks of one controller (device instance)
 * @instance: the controller
 * @index: controllers are numbered as they first open (serial numbers)
 * @disk: LUN i's store, for i < sim_stv_luns
 */
struct sim_stv_ctl {
	guid_t instance;
	unsigned int index;
	struct sim_stv_disk disk[SIM_STV_MAX_LUNS];
};

/**
 * struct sim_stv_backing - a file or block device named for a LUN
 * @file: open for reading and writing (O_EXCL: a block device is ours)
 * @path: as the control plane named it, for the backing file
 */
struct sim_stv_backing {
	struct file *file;
	char *path;
};

/*
 * The disk size and the LUNs of every controller; a controller's disks,
 * made when one of its channels first opens and kept across closes (a
 * reload or a hibernation finds its data again).  All under sim_lock; the
 * disks are freed and the layout changed only while no channel is open,
 * so a channel's service uses its controller's disks unlocked.
 */
static u64 sim_stv_disk_bytes;
static unsigned int sim_stv_luns = 1;
/* [controller index][LUN]: the stores named by `backing`. */
static struct sim_stv_backing sim_stv_backing[SIM_STV_MAX_CTLS][SIM_STV_MAX_LUNS];
static struct sim_stv_ctl *sim_stv_ctls[SIM_STV_MAX_CTLS];
static unsigned int sim_stv_nctls;
static unsigned int sim_stv_nopen;

/* The version the guest last agreed on; for the stats file. */
static u32 sim_stv_version;

/**
 * struct sim_stv_chan - the host's state of one open channel
 * @o: the channel
 * @node: in sim_stv_chans
 * @relid: its relid
 * @sub_index: 0 for the primary, else a sub-channel
 * @nsub: sub-channels of the device
 * @instance: the device's instance
 * @ctl: its disks; NULL while the disk size is 0
 * @ready: END_INITIALIZATION came, or a sub-channel
 * @backlog: completions waiting for room in the guest's ring, in order
 * @nbacklog: how many
 * @held: answers the hold fault keeps back, in order
 * @answer_held: SIM_STV_RELEASE or SIM_STV_ABORT when the control plane
 *	asked for @held to be answered, else 0
 * @requests: EXECUTE_SRB packets served on this channel
 * @bv: a bio_vec per page of the largest transfer, for a backed disk
 */
struct sim_stv_chan {
	struct sim_open *o;
	struct list_head node;
	u32 relid;
	u16 sub_index;
	u16 nsub;
	guid_t instance;
	struct sim_stv_ctl *ctl;
	bool ready;
	struct list_head backlog;
	unsigned int nbacklog;
	struct list_head held;
	atomic_t answer_held;
	atomic64_t requests;
	struct bio_vec *bv;
};

/* How the held answers go out: as they were, or aborted. */
enum {
	SIM_STV_RELEASE	= 1,
	SIM_STV_ABORT	= 2,
};

/* The open channels, under sim_lock. */
static LIST_HEAD(sim_stv_chans);

struct sim_stv_pending {
	struct list_head node;
	u32 len;
	struct sim_stv_comp c;
	/* What follows the VSTOR packet in a long completion (fault). */
	u8 tail[SIM_STV_LONG_EXTRA];
};

/**
 * struct sim_stv_buf - the guest memory of one request, checked
 * @pfns: the range's PFNs, in the packet's copy
 * @offset: where the data starts in the first page
 * @len: bytes of data
 * @bv: the channel's room to describe the range to the VFS
 */
struct sim_stv_buf {
	const u64 *pfns;
	u32 offset;
	u32 len;
	struct bio_vec *bv;
};

static void sim_stv_inc(enum sim_stv_stat s)
{
	atomic64_inc(&sim_stv_stats[s]);
}

static void sim_stv_add(enum sim_stv_stat s, u64 n)
{
	atomic64_add(n, &sim_stv_stats[s]);
}

/*
 * A page the host may use: RAM, and not reserved unless the host only
 * reads it (a write from the shared zero page, which is reserved).
 */
static bool sim_stv_pfn_ok(u64 pfn, bool host_reads)
{
	return pfn == (unsigned long)pfn && pfn_valid(pfn) &&
	       (host_reads || !PageReserved(pfn_to_page(pfn)));
}

/*
 * Copy @n bytes at @pos of the request's data to or from @mem.  The
 * caller keeps @pos + @n within @b->len.
 */
static void sim_stv_copy(const struct sim_stv_buf *b, u32 pos, u8 *mem,
			 u32 n, bool to_guest)
{
	u64 at = (u64)b->offset + pos;
	u32 in, chunk;
	struct page *page;

	while (n) {
		in = offset_in_page(at);
		chunk = min_t(u32, n, PAGE_SIZE - in);
		page = pfn_to_page(b->pfns[at >> PAGE_SHIFT]);
		if (to_guest)
			memcpy_to_page(page, in, mem, chunk);
		else
			memcpy_from_page(mem, page, in, chunk);
		at += chunk;
		mem += chunk;
		n -= chunk;
	}
}

/*
 * The data of a VM_PKT_DATA_USING_GPA_DIRECT packet: one range between
 * the descriptor and the VSTOR packet at @off; @host_reads for a request
 * that only moves data to the disk.  Returns false for a malformed one.
 */
static bool sim_stv_gpa_range(const void *pkt, u32 off, struct sim_stv_buf *b,
			      bool host_reads)
{
	const struct vmbus_packet_mpb_array *h = pkt;
	u32 i, npfn;

	if (off < sizeof(*h) || h->rangecount != 1)
		return false;
	if (h->range.offset >= PAGE_SIZE || h->range.len > SIM_STV_MAX_XFER)
		return false;
	npfn = DIV_ROUND_UP(h->range.offset + h->range.len, PAGE_SIZE);
	if ((u64)npfn * sizeof(u64) > off - sizeof(*h))
		return false;
	for (i = 0; i < npfn; i++)
		if (!sim_stv_pfn_ok(h->range.pfn_array[i], host_reads))
			return false;
	b->pfns = h->range.pfn_array;
	b->offset = h->range.offset;
	b->len = h->range.len;
	return true;
}

/* CHECK CONDITION with fixed-format sense data. */
static void sim_stv_check(struct sim_stv_srb *srb, u8 key, u8 asc, u8 ascq)
{
	u8 *s = srb->cdb;

	memset(srb->cdb, 0, sizeof(srb->cdb));
	s[0] = 0x70;			/* current error, fixed format */
	s[2] = key;
	s[7] = SIM_STV_SENSE_LEN - 8;	/* additional sense length */
	s[12] = asc;
	s[13] = ascq;
	srb->scsi_status = SAM_STAT_CHECK_CONDITION;
	srb->srb_status = SIM_SRB_ERROR | SIM_SRB_AUTOSENSE_VALID;
	srb->sense_length = SIM_STV_SENSE_LEN;
	srb->transfer_length = 0;
	sim_stv_inc(SIM_STV_CHECK_CONDITIONS);
}

static void sim_stv_illegal(struct sim_stv_srb *srb, u8 asc)
{
	sim_stv_check(srb, ILLEGAL_REQUEST, asc, 0);
}

/* ASCs of ILLEGAL REQUEST. */
enum {
	SIM_ASC_INVALID_OPCODE	= 0x20,
	SIM_ASC_LBA_RANGE	= 0x21,
	SIM_ASC_INVALID_FIELD	= 0x24,
	SIM_ASC_LUN_UNSUPPORTED	= 0x25,
	SIM_ASC_INVALID_PARAM	= 0x26,
	SIM_ASC_PARAM_LENGTH	= 0x1a,
};

static void sim_stv_good(struct sim_stv_srb *srb, u32 moved)
{
	memset(srb->cdb, 0, sizeof(srb->cdb));
	srb->scsi_status = SAM_STAT_GOOD;
	srb->srb_status = SIM_SRB_SUCCESS;
	srb->sense_length = 0;
	srb->transfer_length = moved;
}

/*
 * Return @len bytes of @data, cut to @alloc and to the guest's buffer;
 * only into a buffer the request marked as data in (the pages of any
 * other were checked for reading only).
 */
static void sim_stv_data_in(struct sim_stv_srb *srb, const struct sim_stv_buf *b,
			    u32 limit, u8 *data, u32 len, u32 alloc)
{
	u32 n = min3(len, alloc, limit);

	if (n && srb->data_in != 1) {
		sim_stv_illegal(srb, SIM_ASC_INVALID_FIELD);
		return;
	}
	if (n)
		sim_stv_copy(b, 0, data, n, true);
	sim_stv_good(srb, n);
}

static const char sim_stv_vendor[8] = "Msft    ";
static const char sim_stv_model[16] = "Virtual Disk    ";
static const char sim_stv_rev[4] = "1.0 ";
/* VMBUSSIM, then the controller's index and the LUN, two hex digits each. */
enum { SIM_STV_SERIAL_LEN = 12 };

/* Standard INQUIRY data; peripheral qualifier 3 where there is no disk. */
static u32 sim_stv_inquiry_std(u8 *d, bool present)
{
	memset(d, 0, 36);
	d[0] = present ? TYPE_DISK : 0x7f;
	d[2] = 0x05;		/* SPC-3 */
	d[3] = 0x02;		/* response data format 2 */
	d[4] = 36 - 5;
	d[7] = 0x02;		/* CmdQue */
	memcpy(d + 8, sim_stv_vendor, 8);
	memcpy(d + 16, sim_stv_model, 16);
	memcpy(d + 32, sim_stv_rev, 4);
	return 36;
}

/* A VPD page of disk @lun of @ctl; 0 for one the disk does not have. */
static u32 sim_stv_inquiry_vpd(u8 *d, u8 page, const struct sim_stv_ctl *ctl, u8 lun)
{
	static const u8 pages[] = { 0x00, 0x80, 0x83, 0xb0, 0xb1, 0xb2 };
	char serial[SIM_STV_SERIAL_LEN + 1];
	u32 len, n;

	snprintf(serial, sizeof(serial), "VMBUSSIM%02x%02x", ctl->index & 0xff, lun);
	memset(d, 0, 64);
	d[1] = page;
	switch (page) {
	case 0x00:
		memcpy(d + 4, pages, sizeof(pages));
		len = sizeof(pages);
		break;
	case 0x80:
		len = SIM_STV_SERIAL_LEN;
		memcpy(d + 4, serial, len);
		break;
	case 0x83:
		/* One T10 vendor id designator: vendor, model, serial. */
		n = 8 + 16 + SIM_STV_SERIAL_LEN;
		d[4] = 0x02;	/* ASCII */
		d[5] = 0x01;	/* LU, T10 vendor id */
		d[7] = n;
		memcpy(d + 8, sim_stv_vendor, 8);
		memcpy(d + 16, sim_stv_model, 16);
		memcpy(d + 32, serial, SIM_STV_SERIAL_LEN);
		len = 4 + n;
		break;
	case 0xb0:
		/*
		 * Block limits: the largest transfer, in blocks; with discard,
		 * WSNZ (WRITE SAME of 0 blocks refused) and the UNMAP and WRITE
		 * SAME limits.
		 */
		put_unaligned_be32(SIM_STV_MAX_XFER / SIM_STV_BLOCK, d + 8);
		if (READ_ONCE(sim_stv_discard)) {
			d[4] = 0x01;
			put_unaligned_be32(SIM_STV_MAX_UNMAP, d + 20);
			put_unaligned_be32(SIM_STV_MAX_UNMAP_DESC, d + 24);
			put_unaligned_be32(SIM_STV_UNMAP_GRAN, d + 28);
			put_unaligned_be64(SIM_STV_MAX_UNMAP, d + 36);
		}
		len = 0x3c;
		break;
	case 0xb1:
		/* Block device characteristics: not rotating. */
		put_unaligned_be16(1, d + 4);
		len = 0x3c;
		break;
	case 0xb2:
		/*
		 * Logical block provisioning: with discard, UNMAP and WRITE SAME
		 * (16) with UNMAP (LBPU, LBPWS), unmapped blocks read as zeros
		 * (LBPRZ 001b), thin provisioned; else nothing.
		 */
		if (READ_ONCE(sim_stv_discard)) {
			d[5] = 0x80 | 0x40 | 0x04;
			d[6] = 0x02;
		}
		len = 4;
		break;
	default:
		return 0;
	}
	put_unaligned_be16(len, d + 2);
	return 4 + len;
}

/*
 * The caching page (0x08) at @p: the write cache as the control plane
 * says, read cache on, nothing changeable.
 */
static u32 sim_stv_caching_page(u8 *p, bool changeable)
{
	memset(p, 0, 20);
	p[0] = 0x08;
	p[1] = 0x12;
	if (!changeable && READ_ONCE(sim_stv_write_cache))
		p[2] = 0x04;	/* WCE */
	return 20;
}

/* MODE SENSE (6) and (10): no block descriptors, the caching page. */
static void sim_stv_mode_sense(struct sim_stv_srb *srb, const u8 *cdb,
			       const struct sim_stv_buf *b, u32 limit)
{
	bool ten = cdb[0] == MODE_SENSE_10;
	u8 pc = cdb[2] >> 6, page = cdb[2] & 0x3f, sub = cdb[3];
	u32 hdr = ten ? 8 : 4, len, alloc;
	u8 d[32];

	if (pc == 3 || (page != 0x08 && page != 0x3f) ||
	    (sub && !(page == 0x3f && sub == 0xff))) {
		sim_stv_illegal(srb, SIM_ASC_INVALID_FIELD);
		return;
	}
	memset(d, 0, sizeof(d));
	len = hdr + sim_stv_caching_page(d + hdr, pc == 1);
	if (ten) {
		put_unaligned_be16(len - 2, d);
		alloc = get_unaligned_be16(cdb + 7);
	} else {
		d[0] = len - 1;
		alloc = cdb[4];
	}
	sim_stv_data_in(srb, b, limit, d, len, alloc);
}

/*
 * Move @bytes between the request's pages and @file at @at, through the
 * VFS (a block device's page cache, a file system); 0 or a negative errno,
 * -EIO for a short transfer.  In the channel's work, which may sleep; no
 * I/O from reclaim meanwhile, which could wait for a guest disk on this
 * very host.
 */
static ssize_t sim_stv_file_io(struct file *file, const struct sim_stv_buf *b,
			       u32 bytes, u64 at, bool write)
{
	u64 pos = b->offset;
	u32 left = bytes, in, chunk, n = 0;
	struct iov_iter it;
	unsigned int noio;
	loff_t off = at;
	ssize_t ret;

	while (left) {
		in = offset_in_page(pos);
		chunk = min_t(u32, left, PAGE_SIZE - in);
		bvec_set_page(&b->bv[n++], pfn_to_page(b->pfns[pos >> PAGE_SHIFT]), chunk, in);
		pos += chunk;
		left -= chunk;
	}
	iov_iter_bvec(&it, write ? ITER_SOURCE : ITER_DEST, b->bv, n, bytes);
	noio = memalloc_noio_save();
	if (write) {
		/* No write cache: each write stable before it is answered. */
		vmbus_file_start_write(file);
		ret = vfs_iter_write(file, &it, &off,
				     READ_ONCE(sim_stv_write_cache) ? 0 : RWF_DSYNC);
		vmbus_file_end_write(file);
	} else {
		ret = vfs_iter_read(file, &it, &off, 0);
	}
	memalloc_noio_restore(noio);
	if (ret >= 0 && ret != bytes)
		ret = -EIO;
	return ret < 0 ? ret : 0;
}

/*
 * A failure of the backing store: MEDIUM ERROR, WRITE ERROR or
 * UNRECOVERED READ ERROR for @what, counted and logged.
 */
static void sim_stv_backing_error(struct sim_stv_srb *srb, const char *what, u64 at,
				  ssize_t err)
{
	bool write = strcmp(what, "read");

	sim_stv_check(srb, MEDIUM_ERROR, write ? 0x0c : 0x11, 0);
	sim_stv_inc(SIM_STV_BACKING_ERRORS);
	pr_warn_ratelimited("storvsc: LUN %u: backing store %s at byte %llu failed: %zd\n",
			    srb->lun, what, at, err);
}

/* READ/WRITE (6), (10), (16) on @disk. */
static void sim_stv_rw(struct sim_stv_srb *srb, const u8 *cdb,
		       const struct sim_stv_buf *b, u32 limit,
		       const struct sim_stv_disk *disk)
{
	bool write = cdb[0] == WRITE_6 || cdb[0] == WRITE_10 ||
		     cdb[0] == WRITE_16;
	u64 lba, blocks, bytes, at, nblocks = disk->bytes / SIM_STV_BLOCK;
	ssize_t err;

	switch (cdb[0]) {
	case READ_6:
	case WRITE_6:
		lba = get_unaligned_be24(cdb + 1) & 0x1fffff;
		blocks = cdb[4] ? cdb[4] : 256;
		break;
	case READ_10:
	case WRITE_10:
		lba = get_unaligned_be32(cdb + 2);
		blocks = get_unaligned_be16(cdb + 7);
		break;
	default:
		lba = get_unaligned_be64(cdb + 2);
		blocks = get_unaligned_be32(cdb + 10);
		break;
	}
	bytes = blocks * SIM_STV_BLOCK;
	if (lba > nblocks || blocks > nblocks - lba) {
		sim_stv_illegal(srb, SIM_ASC_LBA_RANGE);
		return;
	}
	if (bytes > limit || srb->data_in != (write ? 0 : 1)) {
		sim_stv_illegal(srb, SIM_ASC_INVALID_FIELD);
		return;
	}
	if (sim_stv_fault(SIM_STV_FAULT_MEDIUM_ERROR)) {
		/* WRITE ERROR or UNRECOVERED READ ERROR, nothing moved. */
		sim_stv_check(srb, MEDIUM_ERROR, write ? 0x0c : 0x11, 0);
		sim_stv_inc(SIM_STV_INJ_MEDIUM_ERRORS);
		return;
	}
	at = lba * SIM_STV_BLOCK;
	if (bytes && disk->file) {
		err = sim_stv_file_io(disk->file, b, bytes, at, write);
		if (err) {
			sim_stv_backing_error(srb, write ? "write" : "read", at, err);
			return;
		}
	} else if (bytes) {
		sim_stv_copy(b, 0, disk->mem + at, bytes, !write);
	}
	if (write) {
		sim_stv_inc(SIM_STV_WRITES);
		sim_stv_add(SIM_STV_BYTES_WRITTEN, bytes);
	} else {
		sim_stv_inc(SIM_STV_READS);
		sim_stv_add(SIM_STV_BYTES_READ, bytes);
	}
	sim_stv_good(srb, bytes);
}

/*
 * Write @bytes at @at of @file, each block a copy of @block (NULL: zeros),
 * through the VFS a page at a time; 0 or a negative errno.  In the
 * channel's work, as sim_stv_file_io().
 */
static int sim_stv_file_fill(struct file *file, u64 at, u64 bytes, const u8 *block)
{
	unsigned int noio = memalloc_noio_save(), i;
	loff_t pos = at;
	ssize_t n = 0;
	u8 *page;

	page = kzalloc(PAGE_SIZE, GFP_KERNEL);
	if (!page) {
		memalloc_noio_restore(noio);
		return -ENOMEM;
	}
	for (i = 0; block && i < PAGE_SIZE / SIM_STV_BLOCK; i++)
		memcpy(page + i * SIM_STV_BLOCK, block, SIM_STV_BLOCK);
	while (bytes) {
		n = kernel_write(file, page, min_t(u64, bytes, PAGE_SIZE), &pos);
		if (n <= 0)
			break;
		bytes -= n;
	}
	kfree(page);
	memalloc_noio_restore(noio);
	if (bytes)
		return n < 0 ? n : -EIO;
	return 0;
}

/* With no write cache, what an unmap or a fill changed is stable first. */
static int sim_stv_file_stable(struct file *file, u64 at, u64 bytes)
{
	unsigned int noio;
	int err;

	if (READ_ONCE(sim_stv_write_cache))
		return 0;
	noio = memalloc_noio_save();
	err = vfs_fsync_range(file, at, at + bytes - 1, 1);
	memalloc_noio_restore(noio);
	return err;
}

/*
 * Unmap @blocks at @lba of @disk: they read as zeros from now on.  RAM is
 * cleared; a store's range is punched out (a file system's hole, a block
 * device's zeroing without writing), else written with zeros.  The caller
 * checked the range.  0 or a negative errno.
 */
static int sim_stv_deallocate(const struct sim_stv_disk *disk, u64 lba, u64 blocks)
{
	u64 at = lba * SIM_STV_BLOCK, bytes = blocks * SIM_STV_BLOCK;
	unsigned int noio;
	int err;

	if (!disk->file) {
		memset(disk->mem + at, 0, bytes);
		return 0;
	}
	noio = memalloc_noio_save();
	err = vfs_fallocate(disk->file, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, at, bytes);
	memalloc_noio_restore(noio);
	/* A store that cannot punch, or not at 512-byte granularity. */
	if (err == -EOPNOTSUPP || err == -EINVAL)
		err = sim_stv_file_fill(disk->file, at, bytes, NULL);
	return err ? err : sim_stv_file_stable(disk->file, at, bytes);
}

/*
 * The data-out of @srb into @buf: exactly @len bytes of a write, else
 * CHECK CONDITION (invalid field: wrong direction or too short).
 */
static bool sim_stv_data_out(struct sim_stv_srb *srb, const struct sim_stv_buf *b,
			     u32 limit, u8 *buf, u32 len)
{
	if (srb->data_in != 0 || limit < len) {
		sim_stv_illegal(srb, SIM_ASC_INVALID_FIELD);
		return false;
	}
	sim_stv_copy(b, 0, buf, len, false);
	return true;
}

/*
 * UNMAP: a parameter list of a header and up to SIM_STV_MAX_UNMAP_DESC
 * block descriptors (LBA, count), at most SIM_STV_MAX_UNMAP blocks in all.
 * Every descriptor is checked before any block is unmapped: a list shorter
 * than its header is PARAMETER LIST LENGTH ERROR; lengths that disagree,
 * or too many descriptors or blocks, INVALID FIELD IN PARAMETER LIST; a
 * range past the end, LBA OUT OF RANGE.  No ANCHOR.
 */
static void sim_stv_unmap(struct sim_stv_srb *srb, const u8 *cdb,
			  const struct sim_stv_buf *b, u32 limit,
			  const struct sim_stv_disk *disk)
{
	u8 list[SIM_STV_UNMAP_HDR + SIM_STV_UNMAP_DESC * SIM_STV_MAX_UNMAP_DESC];
	u64 nblocks = disk->bytes / SIM_STV_BLOCK, lba, total = 0;
	u32 plen = get_unaligned_be16(cdb + 7), dlen, n, i, cnt;
	int err;

	if (cdb[1] & 0x01) {
		sim_stv_illegal(srb, SIM_ASC_INVALID_FIELD);
		return;
	}
	if (!plen) {
		/* An empty parameter list unmaps nothing. */
		sim_stv_good(srb, 0);
		return;
	}
	if (plen < SIM_STV_UNMAP_HDR) {
		sim_stv_illegal(srb, SIM_ASC_PARAM_LENGTH);
		return;
	}
	if (plen > limit) {
		sim_stv_illegal(srb, SIM_ASC_INVALID_FIELD);
		return;
	}
	/* Bytes past the room for the most descriptors are padding. */
	if (!sim_stv_data_out(srb, b, limit, list, min_t(u32, plen, sizeof(list))))
		return;
	dlen = get_unaligned_be16(list + 2);
	n = dlen / SIM_STV_UNMAP_DESC;
	/* A descriptor cut short is refused, not ignored. */
	if (get_unaligned_be16(list) != dlen + 6 || dlen % SIM_STV_UNMAP_DESC ||
	    SIM_STV_UNMAP_HDR + dlen > plen || n > SIM_STV_MAX_UNMAP_DESC) {
		sim_stv_illegal(srb, SIM_ASC_INVALID_PARAM);
		return;
	}
	for (i = 0; i < n; i++) {
		lba = get_unaligned_be64(list + SIM_STV_UNMAP_HDR + i * SIM_STV_UNMAP_DESC);
		cnt = get_unaligned_be32(list + SIM_STV_UNMAP_HDR + i * SIM_STV_UNMAP_DESC + 8);
		if (lba > nblocks || cnt > nblocks - lba) {
			sim_stv_illegal(srb, SIM_ASC_LBA_RANGE);
			return;
		}
		total += cnt;
	}
	if (total > SIM_STV_MAX_UNMAP) {
		sim_stv_illegal(srb, SIM_ASC_INVALID_PARAM);
		return;
	}
	for (i = 0; i < n; i++) {
		lba = get_unaligned_be64(list + SIM_STV_UNMAP_HDR + i * SIM_STV_UNMAP_DESC);
		cnt = get_unaligned_be32(list + SIM_STV_UNMAP_HDR + i * SIM_STV_UNMAP_DESC + 8);
		err = cnt ? sim_stv_deallocate(disk, lba, cnt) : 0;
		if (err) {
			sim_stv_backing_error(srb, "unmap", lba * SIM_STV_BLOCK, err);
			return;
		}
		sim_stv_add(SIM_STV_BLOCKS_UNMAPPED, cnt);
	}
	sim_stv_inc(SIM_STV_UNMAPS);
	sim_stv_good(srb, plen);
}

/*
 * WRITE SAME (16): one block of data-out (none with NDOB: zeros) written
 * to every block of the range.  With UNMAP, or NDOB, the blocks must read
 * as zeros and are unmapped instead (a block of other data with UNMAP is
 * written, as SBC allows).  0 blocks is refused (WSNZ), as is more than
 * SIM_STV_MAX_UNMAP and ANCHOR.
 */
static void sim_stv_write_same(struct sim_stv_srb *srb, const u8 *cdb,
			       const struct sim_stv_buf *b, u32 limit,
			       const struct sim_stv_disk *disk)
{
	u64 nblocks = disk->bytes / SIM_STV_BLOCK, lba = get_unaligned_be64(cdb + 2), i;
	bool unmap = cdb[1] & 0x08, ndob = cdb[1] & 0x01, dealloc;
	u32 blocks = get_unaligned_be32(cdb + 10);
	u8 block[SIM_STV_BLOCK];
	int err = 0;

	if ((cdb[1] & 0x10) || !blocks || blocks > SIM_STV_MAX_UNMAP) {
		sim_stv_illegal(srb, SIM_ASC_INVALID_FIELD);
		return;
	}
	if (lba > nblocks || blocks > nblocks - lba) {
		sim_stv_illegal(srb, SIM_ASC_LBA_RANGE);
		return;
	}
	if (ndob)
		memset(block, 0, sizeof(block));
	else if (!sim_stv_data_out(srb, b, limit, block, sizeof(block)))
		return;
	dealloc = (unmap || ndob) && !memchr_inv(block, 0, sizeof(block));
	if (dealloc) {
		err = sim_stv_deallocate(disk, lba, blocks);
	} else if (disk->file) {
		err = sim_stv_file_fill(disk->file, lba * SIM_STV_BLOCK,
					(u64)blocks * SIM_STV_BLOCK, block);
		if (!err)
			err = sim_stv_file_stable(disk->file, lba * SIM_STV_BLOCK,
						  (u64)blocks * SIM_STV_BLOCK);
	} else {
		for (i = 0; i < blocks; i++)
			memcpy(disk->mem + (lba + i) * SIM_STV_BLOCK, block, SIM_STV_BLOCK);
	}
	if (err) {
		sim_stv_backing_error(srb, "write same", lba * SIM_STV_BLOCK, err);
		return;
	}
	sim_stv_inc(SIM_STV_WRITE_SAMES);
	if (dealloc) {
		sim_stv_add(SIM_STV_BLOCKS_UNMAPPED, blocks);
	} else {
		sim_stv_inc(SIM_STV_WRITES);
		sim_stv_add(SIM_STV_BYTES_WRITTEN, (u64)blocks * SIM_STV_BLOCK);
	}
	sim_stv_good(srb, ndob ? 0 : SIM_STV_BLOCK);
}

/*
 * Commands every address answers, with or without a disk: @ctl has the
 * disks of this target (NULL: none), @present whether @srb's LUN is one.
 */
static bool sim_stv_any_lun(struct sim_stv_srb *srb, const u8 *cdb,
			    const struct sim_stv_buf *b, u32 limit,
			    const struct sim_stv_ctl *ctl, bool present)
{
	u8 d[8 + 8 * SIM_STV_MAX_LUNS];
	u32 len, n, i;

	switch (cdb[0]) {
	case INQUIRY:
		/* A page code without EVPD, or a page the disk lacks: 0. */
		if (cdb[1] & 0x01)
			len = present ? sim_stv_inquiry_vpd(d, cdb[2], ctl, srb->lun) : 0;
		else
			len = cdb[2] ? 0 : sim_stv_inquiry_std(d, present);
		if (len)
			sim_stv_data_in(srb, b, limit, d, len,
					get_unaligned_be16(cdb + 3));
		else
			sim_stv_illegal(srb, SIM_ASC_INVALID_FIELD);
		return true;
	case REPORT_LUNS:
		/* The target's disks (single level), else an empty list. */
		memset(d, 0, sizeof(d));
		for (i = 0, n = 0; ctl && i < sim_stv_luns; i++)
			if (ctl->disk[i].bytes)
				d[8 + 8 * n++ + 1] = i;
		put_unaligned_be32(8 * n, d);
		sim_stv_data_in(srb, b, limit, d, 8 + 8 * n,
				get_unaligned_be32(cdb + 6));
		return true;
	case REQUEST_SENSE:
		memset(d, 0, SIM_STV_SENSE_LEN);
		d[0] = 0x70;
		d[7] = SIM_STV_SENSE_LEN - 8;
		if (!present) {
			d[2] = ILLEGAL_REQUEST;
			d[12] = SIM_ASC_LUN_UNSUPPORTED;
		}
		sim_stv_data_in(srb, b, limit, d, SIM_STV_SENSE_LEN, cdb[4]);
		return true;
	}
	return false;
}

/* One SCSI command to @ctl's target; the answer is written into @srb. */
static void sim_stv_scsi(struct sim_stv_srb *srb, const struct sim_stv_buf *b,
			 const struct sim_stv_ctl *ctl)
{
	const struct sim_stv_ctl *target = !srb->path && !srb->target ? ctl : NULL;
	bool present = target && srb->lun < sim_stv_luns && target->disk[srb->lun].bytes;
	const struct sim_stv_disk *disk = present ? &target->disk[srb->lun] : NULL;
	u32 limit = min(srb->transfer_length, b->len);
	u8 cdb[16], d[32];
	u64 last;
	int err;

	if (!srb->cdb_length || srb->cdb_length > sizeof(cdb)) {
		sim_stv_illegal(srb, SIM_ASC_INVALID_FIELD);
		return;
	}
	memset(cdb, 0, sizeof(cdb));
	memcpy(cdb, srb->cdb, srb->cdb_length);
	if (sim_stv_any_lun(srb, cdb, b, limit, target, present))
		return;
	if (!present) {
		sim_stv_illegal(srb, SIM_ASC_LUN_UNSUPPORTED);
		return;
	}
	last = disk->bytes / SIM_STV_BLOCK - 1;
	switch (cdb[0]) {
	case TEST_UNIT_READY:
		sim_stv_good(srb, 0);
		return;
	case READ_CAPACITY:
		put_unaligned_be32(min_t(u64, last, U32_MAX), d);
		put_unaligned_be32(SIM_STV_BLOCK, d + 4);
		sim_stv_data_in(srb, b, limit, d, 8, 8);
		return;
	case SERVICE_ACTION_IN_16:
		if ((cdb[1] & 0x1f) != SAI_READ_CAPACITY_16)
			break;
		memset(d, 0, 32);
		put_unaligned_be64(last, d);
		put_unaligned_be32(SIM_STV_BLOCK, d + 8);
		/* LBPME, LBPRZ: provisioning, unmapped blocks read as zeros. */
		if (READ_ONCE(sim_stv_discard))
			d[14] = 0x80 | 0x40;
		sim_stv_data_in(srb, b, limit, d, 32,
				get_unaligned_be32(cdb + 10));
		return;
	case MODE_SENSE:
	case MODE_SENSE_10:
		sim_stv_mode_sense(srb, cdb, b, limit);
		return;
	case READ_6:
	case READ_10:
	case READ_16:
	case WRITE_6:
	case WRITE_10:
	case WRITE_16:
		sim_stv_rw(srb, cdb, b, limit, disk);
		return;
	case UNMAP:
		if (!READ_ONCE(sim_stv_discard))
			break;
		sim_stv_unmap(srb, cdb, b, limit, disk);
		return;
	case WRITE_SAME_16:
		if (!READ_ONCE(sim_stv_discard))
			break;
		sim_stv_write_same(srb, cdb, b, limit, disk);
		return;
	case SYNCHRONIZE_CACHE:
	case SYNCHRONIZE_CACHE_16:
		/* The whole disk, whatever range the CDB names. */
		sim_stv_inc(SIM_STV_FLUSHES);
		err = 0;
		if (disk->file) {
			unsigned int noio = memalloc_noio_save();

			err = vfs_fsync(disk->file, 1);
			memalloc_noio_restore(noio);
		}
		if (err)
			sim_stv_backing_error(srb, "flush", 0, err);
		else
			sim_stv_good(srb, 0);
		return;
	}
	sim_stv_illegal(srb, SIM_ASC_INVALID_OPCODE);
}

/* A protocol error of the guest: counted, reported. */
static void sim_stv_guest_error(struct sim_open *o, const char *what, u32 v)
{
	sim_stv_inc(SIM_STV_ERRORS);
	sim_guest_error("storvsc: relid %u: %s %u\n", sim_ring_relid(o), what, v);
}

/*
 * Send the first @len bytes of a completion, or queue them behind those
 * waiting for room.
 */
static void sim_stv_send(struct sim_stv_chan *c, const struct sim_stv_comp *comp, u32 len)
{
	struct sim_stv_pending *p;
	int ret = -EAGAIN;

	if (!c->nbacklog)
		ret = sim_ring_send(c->o, comp, len);
	if (!ret || ret == -EIO)
		return;
	if (ret != -EAGAIN || c->nbacklog >= SIM_STV_BACKLOG_MAX) {
		sim_stv_guest_error(c->o, "completion dropped, backlog", c->nbacklog);
		return;
	}
	p = kmalloc(sizeof(*p), GFP_KERNEL);
	if (!p) {
		sim_stv_inc(SIM_STV_ERRORS);
		return;
	}
	/* A long completion's tail follows @comp (sim_stv_complete()). */
	memcpy(&p->c, comp, min_t(u32, len, sizeof(p->c) + sizeof(p->tail)));
	p->len = len;
	list_add_tail(&p->node, &c->backlog);
	c->nbacklog++;
	sim_stv_inc(SIM_STV_BACKLOGGED);
}

/*
 * A completion for the guest, after the faults armed for it: the wait,
 * then an extra completion with an id no request has, or one too short
 * for a VSTOR packet; the completion with SIM_STV_LONG_EXTRA bytes of
 * 0xa5 after its VSTOR packet (a newer host's longer packet, which the
 * guest must take by the part it knows); or the completion twice.
 */
static void sim_stv_complete(struct sim_stv_chan *c, const struct sim_stv_comp *comp)
{
	unsigned int delay = READ_ONCE(sim_stv_delay_ms);
	struct {
		struct sim_stv_comp c;
		u8 tail[SIM_STV_LONG_EXTRA];
	} __packed lng;
	struct sim_stv_comp bad;
	u32 len = sizeof(bad.d) + SIM_STV_SHORT_LEN;

	if (delay) {
		msleep(delay);
		sim_stv_inc(SIM_STV_DELAYED);
	}
	if (sim_stv_fault(SIM_STV_FAULT_BOGUS_ID)) {
		bad = *comp;
		bad.d.trans_id = SIM_STV_BOGUS_ID +
			atomic64_inc_return(&sim_stv_stats[SIM_STV_INJ_BOGUS_IDS]);
		sim_stv_send(c, &bad, sizeof(bad));
	}
	if (sim_stv_fault(SIM_STV_FAULT_SHORT)) {
		bad = *comp;
		bad.d.trans_id = SIM_STV_BOGUS_ID;
		bad.d.len8 = len >> 3;
		sim_stv_inc(SIM_STV_INJ_SHORT);
		sim_stv_send(c, &bad, len);
	}
	if (sim_stv_fault(SIM_STV_FAULT_LONG)) {
		lng.c = *comp;
		lng.c.d.len8 = sizeof(lng) >> 3;
		memset(lng.tail, 0xa5, sizeof(lng.tail));
		sim_stv_inc(SIM_STV_INJ_LONG);
		sim_stv_send(c, &lng.c, sizeof(lng));
	} else {
		sim_stv_send(c, comp, sizeof(*comp));
	}
	if (sim_stv_fault(SIM_STV_FAULT_DUPLICATE)) {
		sim_stv_inc(SIM_STV_INJ_DUPLICATES);
		sim_stv_send(c, comp, sizeof(*comp));
	}
}

/* Send what waits; whether the backlog is empty now. */
static bool sim_stv_flush(struct sim_stv_chan *c, bool *did)
{
	struct sim_stv_pending *p, *tmp;
	int ret;

	list_for_each_entry_safe(p, tmp, &c->backlog, node) {
		ret = sim_ring_send(c->o, &p->c, p->len);
		if (ret == -EAGAIN)
			return false;
		list_del(&p->node);
		c->nbacklog--;
		kfree(p);
		*did = true;
	}
	return true;
}

/*
 * CREATE_SUB_CHANNELS: 1..nsub on the initialized primary; the offers
 * follow from host work.
 */
static u32 sim_stv_create_subs(struct sim_stv_chan *c, u16 n)
{
	sim_stv_inc(SIM_STV_SUB_REQUESTS);
	if (c->sub_index || !c->ready || !n || n > c->nsub) {
		sim_stv_guest_error(c->o, "CREATE_SUB_CHANNELS refused, count", n);
		return SIM_STATUS_FAIL;
	}
	if (sim_proto_offer_subs_later(c->relid, &c->instance, n,
				       &sim_stv_stats[SIM_STV_SUB_GRANTED])) {
		sim_stv_inc(SIM_STV_ERRORS);
		return SIM_STATUS_FAIL;
	}
	return 0;
}

/* The protocol operations other than EXECUTE_SRB. */
static u32 sim_stv_control(struct sim_stv_chan *c, struct sim_stv_pkt *p)
{
	u16 v;

	sim_stv_inc(SIM_STV_CONTROL_OPS);
	switch (p->operation) {
	case SIM_STV_OP_BEGIN_INIT:
		c->ready = false;
		return 0;
	case SIM_STV_OP_QUERY_VERSION:
		v = p->version.major_minor;
		if (v != SIM_STV_WIN8 && v != SIM_STV_WIN8_1 &&
		    v != SIM_STV_WIN10)
			return SIM_STV_REVISION_MISMATCH;
		WRITE_ONCE(sim_stv_version, v);
		return 0;
	case SIM_STV_OP_QUERY_PROPERTIES:
		memset(p->buffer, 0, sizeof(p->buffer));
		p->props.max_channel_count = c->nsub;
		p->props.flags = c->nsub ? SIM_STV_MULTI_CHANNEL : 0;
		p->props.max_transfer_bytes = SIM_STV_MAX_XFER;
		return 0;
	case SIM_STV_OP_END_INIT:
		c->ready = true;
		return 0;
	case SIM_STV_OP_CREATE_SUB_CHANNELS:
		return sim_stv_create_subs(c, p->sub_channel_count);
	case SIM_STV_OP_RESET_LUN:
	case SIM_STV_OP_RESET_ADAPTER:
	case SIM_STV_OP_RESET_BUS:
		return 0;
	}
	/* FCHBA_DATA, host-to-guest operations. */
	sim_stv_guest_error(c->o, "unsupported operation", p->operation);
	return SIM_STATUS_FAIL;
}

/*
 * The hold fault: the answer to an EXECUTE_SRB kept back until the
 * control plane's release or abort, or the channel's close (cancelled).
 * @cdb0, the request's opcode, is for the kernel log.  False if it cannot
 * be kept: the caller answers at once.
 */
static bool sim_stv_hold(struct sim_stv_chan *c, const struct sim_stv_comp *comp, u8 cdb0)
{
	struct sim_stv_pending *p = kmalloc(sizeof(*p), GFP_KERNEL);

	if (!p) {
		sim_stv_inc(SIM_STV_ERRORS);
		return false;
	}
	p->c = *comp;
	p->len = sizeof(*comp);
	list_add_tail(&p->node, &c->held);
	sim_stv_inc(SIM_STV_HELD);
	pr_info("storvsc: relid %u: answer to SCSI opcode 0x%02x, transaction %llu held\n",
		c->relid, cdb0, comp->d.trans_id);
	return true;
}

/* One packet from the guest; the ring code checked its framing. */
static void sim_stv_packet(struct sim_open *o, const void *pkt, u32 len)
{
	struct sim_stv_chan *c = sim_ring_priv(o);
	const struct vmpacket_descriptor *d = pkt;
	u32 off = (u32)d->offset8 << 3;
	struct sim_stv_buf b = { .bv = c->bv };
	struct sim_stv_comp comp = {
		.d.type = VM_PKT_COMP,
		.d.offset8 = sizeof(comp.d) >> 3,
		.d.len8 = sizeof(comp) >> 3,
		.d.trans_id = d->trans_id,
	};
	struct sim_stv_pkt *p = &comp.p;
	bool ok = true, srb = false, want;
	u8 op = 0;

	if (off < sizeof(*d) || len - off < sizeof(*p)) {
		sim_stv_guest_error(o, "VSTOR packet of bytes", len - off);
		p->status = SIM_STATUS_FAIL;
		goto answer;
	}
	memcpy(p, pkt + off, sizeof(*p));
	/* The answer's sense data may overwrite the CDB. */
	op = p->srb.cdb[0];
	if (d->type == VM_PKT_DATA_USING_GPA_DIRECT) {
		/* data_in 0: a write, the host never stores into the pages. */
		ok = sim_stv_gpa_range(pkt, off, &b, p->srb.data_in == 0);
		if (!ok)
			sim_stv_guest_error(o, "bad GPA direct range in a packet of bytes", len);
	} else if (d->type != VM_PKT_DATA_INBAND) {
		sim_stv_guest_error(o, "packet type", d->type);
		ok = false;
	}
	if (p->operation != SIM_STV_OP_EXECUTE_SRB) {
		p->status = ok ? sim_stv_control(c, p) : SIM_STATUS_FAIL;
		goto answer;
	}
	sim_stv_inc(SIM_STV_REQUESTS);
	atomic64_inc(&c->requests);
	srb = true;
	if (!c->ready) {
		sim_stv_guest_error(o, "EXECUTE_SRB before END_INITIALIZATION, op", p->operation);
		ok = false;
	}
	if (ok) {
		sim_stv_scsi(&p->srb, &b, c->ctl);
	} else {
		p->srb.srb_status = SIM_SRB_INVALID_REQUEST;
		p->srb.scsi_status = SAM_STAT_GOOD;
		p->srb.sense_length = 0;
		p->srb.transfer_length = 0;
	}
	p->status = 0;
answer:
	p->operation = SIM_STV_OP_COMPLETE_IO;
	p->flags = 0;
	want = d->flags & VMBUS_DATA_PACKET_FLAG_COMPLETION_REQUESTED;
	if (want && srb && sim_stv_fault(SIM_STV_FAULT_HOLD) && sim_stv_hold(c, &comp, op))
		return;
	/* One that asks for no completion counts as completed, served. */
	if (srb)
		sim_stv_inc(SIM_STV_COMPLETIONS);
	if (want)
		sim_stv_complete(c, &comp);
}

/*
 * The control plane's release or abort, if it asked: every held answer
 * sent in order; an aborted one fails as a LUN that is gone would (CHECK
 * CONDITION, ILLEGAL REQUEST, LOGICAL UNIT NOT SUPPORTED), which the guest
 * does not retry, whatever the request moved.
 */
static bool sim_stv_answer_held(struct sim_stv_chan *c)
{
	int how = atomic_xchg(&c->answer_held, 0);
	struct sim_stv_pending *p, *tmp;
	bool did = false;

	if (!how)
		return false;
	list_for_each_entry_safe(p, tmp, &c->held, node) {
		list_del(&p->node);
		if (how == SIM_STV_ABORT) {
			sim_stv_illegal(&p->c.p.srb, SIM_ASC_LUN_UNSUPPORTED);
			sim_stv_inc(SIM_STV_ABORTED);
		} else {
			sim_stv_inc(SIM_STV_RELEASED);
		}
		sim_stv_inc(SIM_STV_COMPLETIONS);
		sim_stv_send(c, &p->c, p->len);
		kfree(p);
		did = true;
	}
	return did;
}

static bool sim_stv_service(struct sim_open *o)
{
	struct sim_stv_chan *c = sim_ring_priv(o);
	bool did = false;

	/* While completions wait for room, take no new request. */
	if (!sim_stv_flush(c, &did))
		return did;
	did |= sim_stv_answer_held(c);
	return sim_ring_drain(o, sim_stv_packet) || did;
}

/*
 * Frees every controller's disks (their backing files stay open, with
 * their data); under sim_lock, no channel open.
 */
static void sim_stv_ctls_free(void)
{
	unsigned int i, l;

	lockdep_assert_held(&sim_lock);
	for (i = 0; i < sim_stv_nctls; i++) {
		for (l = 0; l < SIM_STV_MAX_LUNS; l++)
			vfree(sim_stv_ctls[i]->disk[l].mem);
		kfree(sim_stv_ctls[i]);
		sim_stv_ctls[i] = NULL;
	}
	sim_stv_nctls = 0;
}

/* Bytes of whole blocks in @file: a block device's size or a file's. */
static u64 sim_stv_file_bytes(struct file *file)
{
	return round_down(i_size_read(file->f_mapping->host), SIM_STV_BLOCK);
}

/*
 * The store of LUN @lun of the controller numbered @index: its backing
 * file if the control plane named one, else zeroed RAM of the disk size
 * (none while that is 0).  Under sim_lock.
 */
static int sim_stv_disk_make(struct sim_stv_disk *disk, unsigned int index, unsigned int lun)
{
	struct file *file = sim_stv_backing[index][lun].file;

	if (file) {
		disk->file = file;
		disk->bytes = sim_stv_file_bytes(file);
		if (!disk->bytes)
			pr_warn("storvsc: controller %u LUN %u: %s has no whole block; no disk\n",
				index, lun, sim_stv_backing[index][lun].path);
		return 0;
	}
	if (!sim_stv_disk_bytes)
		return 0;
	disk->mem = vzalloc(sim_stv_disk_bytes);
	if (!disk->mem)
		return -ENOMEM;
	disk->bytes = sim_stv_disk_bytes;
	return 0;
}

/* Whether the controller numbered @index would have a disk. */
static bool sim_stv_has_disks(unsigned int index)
{
	unsigned int l;

	for (l = 0; l < sim_stv_luns; l++)
		if (sim_stv_backing[index][l].file)
			return true;
	return sim_stv_disk_bytes;
}

/*
 * The disks of controller @instance, made at its first open; NULL with
 * *@err 0 when it has none (no disk size, no backing store), NULL with
 * *@err set when they cannot be made.  Under sim_lock.
 */
static struct sim_stv_ctl *sim_stv_ctl_get(const guid_t *instance, int *err)
{
	struct sim_stv_ctl *ctl;
	unsigned int i;

	lockdep_assert_held(&sim_lock);
	*err = 0;
	for (i = 0; i < sim_stv_nctls; i++)
		if (guid_equal(&sim_stv_ctls[i]->instance, instance))
			return sim_stv_ctls[i];
	if (sim_stv_nctls == SIM_STV_MAX_CTLS) {
		if (!sim_stv_disk_bytes)
			return NULL;
		pr_warn("storvsc: controller %pUl refused: %u controllers have disks already\n",
			instance, SIM_STV_MAX_CTLS);
		*err = -ENOSPC;
		return NULL;
	}
	if (!sim_stv_has_disks(sim_stv_nctls))
		return NULL;
	ctl = kzalloc(sizeof(*ctl), GFP_KERNEL);
	for (i = 0; ctl && i < sim_stv_luns; i++)
		if (sim_stv_disk_make(&ctl->disk[i], sim_stv_nctls, i))
			break;
	if (!ctl || i < sim_stv_luns) {
		pr_warn("storvsc: controller %pUl refused: no memory for %u disks of %llu MiB\n",
			instance, sim_stv_luns, sim_stv_disk_bytes >> 20);
		while (ctl && i--)
			vfree(ctl->disk[i].mem);
		kfree(ctl);
		*err = -ENOMEM;
		return NULL;
	}
	guid_copy(&ctl->instance, instance);
	ctl->index = sim_stv_nctls;
	sim_stv_ctls[sim_stv_nctls++] = ctl;
	return ctl;
}

static int sim_stv_open(const struct sim_backend *be, struct sim_open *o)
{
	struct sim_stv_ctl *ctl;
	struct sim_stv_chan *c;
	struct sim_chan *ch;
	int err;

	lockdep_assert_held(&sim_lock);
	ch = sim_chan_get(sim_ring_relid(o));
	if (WARN_ON_ONCE(!ch))
		return -ENOENT;
	ctl = sim_stv_ctl_get(&ch->dev->instance, &err);
	if (err)
		return err;
	c = kzalloc(sizeof(*c), GFP_KERNEL);
	if (c)
		c->bv = kmalloc_array(SIM_STV_MAX_XFER / PAGE_SIZE + 1, sizeof(*c->bv),
				      GFP_KERNEL);
	if (!c || !c->bv) {
		kfree(c);
		return -ENOMEM;
	}
	c->ctl = ctl;
	c->o = o;
	c->relid = ch->relid;
	c->sub_index = ch->sub_index;
	c->nsub = ch->dev->nsub;
	guid_copy(&c->instance, &ch->dev->instance);
	/* A sub-channel serves I/O at once: the primary set the protocol up. */
	c->ready = c->sub_index != 0;
	INIT_LIST_HEAD(&c->backlog);
	INIT_LIST_HEAD(&c->held);
	list_add_tail(&c->node, &sim_stv_chans);
	sim_ring_set_priv(o, c);
	sim_stv_nopen++;
	sim_stv_inc(SIM_STV_OPENS);
	return 0;
}

static void sim_stv_close(struct sim_open *o)
{
	struct sim_stv_chan *c = sim_ring_priv(o);
	struct sim_stv_pending *p, *tmp;

	lockdep_assert_held(&sim_lock);
	/* Waiting for room or held back: cancelled alike. */
	list_splice_tail_init(&c->held, &c->backlog);
	list_for_each_entry_safe(p, tmp, &c->backlog, node) {
		sim_stv_inc(SIM_STV_CANCELLED);
		kfree(p);
	}
	list_del(&c->node);
	kfree(c->bv);
	kfree(c);
	sim_stv_nopen--;
}

static const struct sim_backend sim_storvsc_backend = {
	HV_SCSI_GUID,
	.name = "storvsc",
	.open = sim_stv_open,
	.service = sim_stv_service,
	.close = sim_stv_close,
	.local = true,
};

/*
 * size_mb <n> (0..SIM_STV_MAX_MB; 0: no disks) or luns <n>
 * (1..SIM_STV_MAX_LUNS): every controller's disks are freed, and made
 * zeroed in the new layout at its next open.  Only while no channel is
 * open.
 */
static int sim_stv_layout_cmd(const char *verb, const char *arg)
{
	bool size = !strcmp(verb, "size_mb");
	u32 n;

	if (kstrtou32(arg, 10, &n) ||
	    (size ? n > SIM_STV_MAX_MB : !n || n > SIM_STV_MAX_LUNS))
		return -EINVAL;
	mutex_lock(&sim_lock);
	if (sim_stv_nopen) {
		mutex_unlock(&sim_lock);
		return -EBUSY;
	}
	sim_stv_ctls_free();
	if (size)
		sim_stv_disk_bytes = (u64)n << 20;
	else
		sim_stv_luns = n;
	mutex_unlock(&sim_lock);
	return 0;
}

/*
 * The file or block device at absolute @path, opened to keep a disk: a
 * regular file or a block device (O_EXCL: nobody else opens it so while
 * it is ours) with at least one whole block.
 */
static struct file *sim_stv_store_open(const char *path)
{
	struct file *file;
	struct path p;
	umode_t mode;
	int err;

	if (path[0] != '/') {
		pr_warn("storvsc/control: backing %s: not an absolute path\n", path);
		return ERR_PTR(-EINVAL);
	}
	/* Its type before the open: opening a device may do something. */
	err = kern_path(path, LOOKUP_FOLLOW, &p);
	if (!err) {
		mode = d_backing_inode(p.dentry)->i_mode;
		path_put(&p);
		if (!S_ISREG(mode) && !S_ISBLK(mode))
			err = -EINVAL;
	}
	if (err) {
		pr_warn("storvsc/control: backing %s: not a regular file or block device: %d\n",
			path, err);
		return ERR_PTR(err);
	}
	file = filp_open(path, O_RDWR | O_LARGEFILE | O_EXCL, 0);
	if (IS_ERR(file)) {
		pr_warn("storvsc/control: backing %s: cannot open: %ld\n", path, PTR_ERR(file));
		return file;
	}
	mode = file_inode(file)->i_mode;
	err = -EINVAL;
	if ((!S_ISREG(mode) && !S_ISBLK(mode)) || !file->f_op->read_iter ||
	    !file->f_op->write_iter)
		pr_warn("storvsc/control: backing %s: not a regular file or block device\n", path);
	else if (!sim_stv_file_bytes(file))
		pr_warn("storvsc/control: backing %s: smaller than a block\n", path);
	else
		return file;
	filp_close(file, NULL);
	return ERR_PTR(err);
}

/*
 * backing <ctl> <lun> <path>: LUN @lun of the controller numbered @ctl
 * (in the order controllers first open) keeps its data in the file or
 * block device @path, opened now; `-` for @path: RAM again.  Every
 * controller's disks are dropped, as for a layout change; only while no
 * channel is open.
 */
static int sim_stv_backing_cmd(char *arg)
{
	char *ctl_s = strsep(&arg, " "), *lun_s = arg ? strsep(&arg, " ") : NULL;
	struct sim_stv_backing *bk, old;
	struct file *file = NULL;
	unsigned int ctl, lun;
	char *path = NULL;

	if (!lun_s || !arg || kstrtouint(ctl_s, 10, &ctl) || ctl >= SIM_STV_MAX_CTLS ||
	    kstrtouint(lun_s, 10, &lun) || lun >= SIM_STV_MAX_LUNS)
		return -EINVAL;
	arg = skip_spaces(arg);
	if (strcmp(arg, "-")) {
		path = kstrdup(arg, GFP_KERNEL);
		if (!path)
			return -ENOMEM;
		file = sim_stv_store_open(path);
		if (IS_ERR(file)) {
			kfree(path);
			return PTR_ERR(file);
		}
	}
	mutex_lock(&sim_lock);
	if (sim_stv_nopen) {
		mutex_unlock(&sim_lock);
		if (file)
			filp_close(file, NULL);
		kfree(path);
		return -EBUSY;
	}
	sim_stv_ctls_free();
	bk = &sim_stv_backing[ctl][lun];
	old = *bk;
	bk->file = file;
	bk->path = path;
	mutex_unlock(&sim_lock);
	if (old.file)
		filp_close(old.file, NULL);
	kfree(old.path);
	return 0;
}

/* Closes every backing file; under sim_lock, no controller has disks. */
static void sim_stv_backing_clear(void)
{
	struct sim_stv_backing *bk;
	unsigned int i, l;

	lockdep_assert_held(&sim_lock);
	for (i = 0; i < SIM_STV_MAX_CTLS; i++) {
		for (l = 0; l < SIM_STV_MAX_LUNS; l++) {
			bk = &sim_stv_backing[i][l];
			if (bk->file)
				filp_close(bk->file, NULL);
			kfree(bk->path);
			bk->file = NULL;
			bk->path = NULL;
		}
	}
}

/* fault <name> <n>: the next @n injections of that fault; 0 disarms it. */
static int sim_stv_fault_cmd(char *arg)
{
	char *name = strsep(&arg, " ");
	unsigned int i, n;

	if (!arg || kstrtouint(skip_spaces(arg), 10, &n) || n > SIM_STV_MAX_FAULTS)
		return -EINVAL;
	for (i = 0; i < SIM_STV_FAULT_COUNT; i++) {
		if (!strcmp(name, sim_stv_fault_names[i])) {
			atomic_set(&sim_stv_faults[i], n);
			return 0;
		}
	}
	return -EINVAL;
}

/*
 * release or abort: every channel's work sends the answers it holds (see
 * sim_stv_answer_held()) soon after; a close before that cancels them.
 * The released and aborted counters say when they went.
 */
static int sim_stv_held_cmd(int how)
{
	struct sim_stv_chan *c;

	mutex_lock(&sim_lock);
	list_for_each_entry(c, &sim_stv_chans, node) {
		atomic_set(&c->answer_held, how);
		sim_ring_kick(c->relid, &sim_storvsc_backend);
	}
	mutex_unlock(&sim_lock);
	return 0;
}

static int sim_stv_cmd(char *cmd)
{
	char *verb = strsep(&cmd, " ");
	char *arg = cmd ? skip_spaces(cmd) : NULL;
	unsigned int i, ms, on;

	if ((!strcmp(verb, "size_mb") || !strcmp(verb, "luns")) && arg)
		return sim_stv_layout_cmd(verb, arg);
	if (!strcmp(verb, "fault") && arg)
		return sim_stv_fault_cmd(arg);
	if (!strcmp(verb, "backing") && arg)
		return sim_stv_backing_cmd(arg);
	if (!strcmp(verb, "delay_ms") && arg) {
		if (kstrtouint(arg, 10, &ms) || ms > SIM_STV_MAX_DELAY_MS)
			return -EINVAL;
		WRITE_ONCE(sim_stv_delay_ms, ms);
		return 0;
	}
	if (!strcmp(verb, "write_cache") && arg) {
		if (kstrtouint(arg, 10, &on) || on > 1)
			return -EINVAL;
		WRITE_ONCE(sim_stv_write_cache, on);
		return 0;
	}
	if (!strcmp(verb, "discard") && arg) {
		if (kstrtouint(arg, 10, &on) || on > 1)
			return -EINVAL;
		WRITE_ONCE(sim_stv_discard, on);
		return 0;
	}
	if (!strcmp(verb, "release") && !arg)
		return sim_stv_held_cmd(SIM_STV_RELEASE);
	if (!strcmp(verb, "abort") && !arg)
		return sim_stv_held_cmd(SIM_STV_ABORT);
	if (!strcmp(verb, "reset_stats") && !arg) {
		for (i = 0; i < SIM_STV_STAT_COUNT; i++)
			atomic64_set(&sim_stv_stats[i], 0);
		return 0;
	}
	return -EINVAL;
}

static ssize_t sim_stv_control_write(struct file *file,
				     const char __user *ubuf, size_t count,
				     loff_t *ppos)
{
	char *buf;
	int ret;

	if (!count || count >= SIM_STV_CMD_MAX)
		return -EINVAL;
	buf = memdup_user_nul(ubuf, count);
	if (IS_ERR(buf))
		return PTR_ERR(buf);
	ret = sim_stv_cmd(strim(buf));
	if (ret == -EINVAL)
		pr_warn_ratelimited("storvsc/control: invalid command\n");
	kfree(buf);
	return ret ? ret : count;
}

static const struct file_operations sim_stv_control_fops = {
	.owner	= THIS_MODULE,
	.open	= simple_open,
	.write	= sim_stv_control_write,
	.llseek	= noop_llseek,
};

static int sim_stv_stats_show(struct seq_file *m, void *unused)
{
	unsigned int i, nopen, luns, nctls;
	u64 bytes;
	u32 v;

	mutex_lock(&sim_lock);
	bytes = sim_stv_disk_bytes;
	luns = sim_stv_luns;
	nctls = sim_stv_nctls;
	nopen = sim_stv_nopen;
	mutex_unlock(&sim_lock);
	seq_printf(m, "disk_bytes %llu\n", bytes);
	seq_printf(m, "luns %u\n", luns);
	seq_printf(m, "controllers_with_disks %u\n", nctls);
	seq_printf(m, "open_channels %u\n", nopen);
	v = READ_ONCE(sim_stv_version);
	seq_printf(m, "protocol_version %u.%u\n", v >> 8, v & 0xff);
	seq_printf(m, "delay_ms %u\n", READ_ONCE(sim_stv_delay_ms));
	seq_printf(m, "write_cache %d\n", READ_ONCE(sim_stv_write_cache));
	seq_printf(m, "discard %d\n", READ_ONCE(sim_stv_discard));
	for (i = 0; i < SIM_STV_FAULT_COUNT; i++)
		seq_printf(m, "armed_%s %d\n", sim_stv_fault_names[i],
			   atomic_read(&sim_stv_faults[i]));
	for (i = 0; i < SIM_STV_STAT_COUNT; i++)
		seq_printf(m, "%s %lld\n", sim_stv_stat_names[i],
			   atomic64_read(&sim_stv_stats[i]));
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(sim_stv_stats);

/* channels: ``relid sub_index requests`` for each open channel. */
static int sim_stv_channels_show(struct seq_file *m, void *unused)
{
	struct sim_stv_chan *c;

	mutex_lock(&sim_lock);
	list_for_each_entry(c, &sim_stv_chans, node)
		seq_printf(m, "%u %u %lld\n", c->relid, c->sub_index,
			   atomic64_read(&c->requests));
	mutex_unlock(&sim_lock);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(sim_stv_channels);

/* backing: ``ctl lun bytes path`` for each store the control plane named. */
static int sim_stv_backing_show(struct seq_file *m, void *unused)
{
	struct sim_stv_backing *bk;
	unsigned int i, l;

	mutex_lock(&sim_lock);
	for (i = 0; i < SIM_STV_MAX_CTLS; i++) {
		for (l = 0; l < SIM_STV_MAX_LUNS; l++) {
			bk = &sim_stv_backing[i][l];
			if (bk->file)
				seq_printf(m, "%u %u %llu %s\n", i, l, sim_stv_file_bytes(bk->file),
					   bk->path);
		}
	}
	mutex_unlock(&sim_lock);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(sim_stv_backing);

/**
 * sim_storvsc_debugfs_init() - create vmbus_sim/storvsc/
 * @parent: the simulator's debugfs directory
 *
 * Context: module init.
 */
void sim_storvsc_debugfs_init(struct dentry *parent)
{
	struct dentry *dir = debugfs_create_dir("storvsc", parent);

	debugfs_create_file("control", 0200, dir, NULL, &sim_stv_control_fops);
	debugfs_create_file("stats", 0444, dir, NULL, &sim_stv_stats_fops);
	debugfs_create_file("channels", 0444, dir, NULL, &sim_stv_channels_fops);
	debugfs_create_file("backing", 0444, dir, NULL, &sim_stv_backing_fops);
}

/**
 * sim_storvsc_init() - serve the SCSI controller class
 *
 * Context: module init, before the control plane exists.
 */
void sim_storvsc_init(void)
{
	sim_ring_register_backends(&sim_storvsc_backend, 1);
	sim_proto_subs_on_request(&sim_storvsc_backend.guid);
}

/**
 * sim_storvsc_exit() - free every controller's disks, close the backing files
 *
 * Context: module exit, after the control plane is gone and every
 * channel closed.
 */
void sim_storvsc_exit(void)
{
	unsigned int i;

	/* Sub-channel requests still queued find no channel; let them end. */
	flush_workqueue(sim_wq);
	for (i = 0; i < SIM_STV_FAULT_COUNT; i++)
		atomic_set(&sim_stv_faults[i], 0);
	WRITE_ONCE(sim_stv_write_cache, true);
	WRITE_ONCE(sim_stv_discard, true);
	mutex_lock(&sim_lock);
	sim_stv_ctls_free();
	sim_stv_backing_clear();
	sim_stv_disk_bytes = 0;
	sim_stv_luns = 1;
	mutex_unlock(&sim_lock);
}
