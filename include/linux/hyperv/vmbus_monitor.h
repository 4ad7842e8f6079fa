/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The Hyper-V monitor page (TLFS): the guest sets a channel's bit in
 * trigger_group[group].pending to signal it without a hypercall; the host
 * scans the groups whose bit is set in trigger_state at each group's
 * latency.  The target kernel's public headers lack it.  The member names
 * are part of the ABI of the exported vmbus_connection (its CRC covers
 * them), so they are the target kernel's.
 */
#ifndef _LINUX_HYPERV_VMBUS_MONITOR_H
#define _LINUX_HYPERV_VMBUS_MONITOR_H

#include <linux/build_bug.h>
#include <linux/hyperv.h>
#include <linux/stddef.h>
#include <linux/types.h>

union hv_monitor_trigger_group {
	u64 as_uint64;
	struct {
		u32 pending;
		u32 armed;
	};
};

struct hv_monitor_parameter {
	union hv_connection_id connectionid;
	u16 flagnumber;
	u16 rsvdz;
};

union hv_monitor_trigger_state {
	u32 asu32;
	struct {
		u32 group_enable:4;
		u32 rsvdz:28;
	};
};

struct hv_monitor_page {
	union hv_monitor_trigger_state trigger_state;
	u32 rsvdz1;
	union hv_monitor_trigger_group trigger_group[4];
	u64 rsvdz2[3];
	s32 next_checktime[4][32];
	u16 latency[4][32];
	u64 rsvdz3[32];
	struct hv_monitor_parameter parameter[4][32];
	u8 rsvdz4[1984];
};

static_assert(sizeof(struct hv_monitor_page) == 4096);
static_assert(offsetof(struct hv_monitor_page, trigger_group) == 8);
static_assert(offsetof(struct hv_monitor_page, next_checktime) == 64);
static_assert(offsetof(struct hv_monitor_page, latency) == 576);
static_assert(offsetof(struct hv_monitor_page, parameter) == 1088);

#endif /* _LINUX_HYPERV_VMBUS_MONITOR_H */
