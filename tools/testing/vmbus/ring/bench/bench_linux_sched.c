// SPDX-License-Identifier: GPL-2.0
/*
 * bench_linux_sched.c: the target kernel's channel-scheduling loop,
 * vmbus_chan_sched() of its drivers/hv/vmbus_drv.c, behind the same shims
 * as ours, for bench_dispatch.c.  bench.sh extracts that one function
 * into a file of its own under build/bench/linux/ (never committed); it is
 * included below with what it uses of the rest of that kernel: the
 * per-CPU context that points at the event pages, and relid2channel(),
 * which in that kernel reads vmbus_connection.channels[relid] with
 * READ_ONCE() after a bound check.
 */
#include "vmbus_shim.h"
#include <linux/hyperv/vmbus_hv.h>

#define trace_vmbus_chan_sched(ch) do { (void)(ch); } while (0)
#define MAX_CHANNEL_RELIDS HV_EVENT_FLAGS_COUNT

struct hv_per_cpu_context {
	void *synic_event_page;
};

static struct vmbus_channel **linux_channels;

static struct vmbus_channel *relid2channel(u32 relid)
{
	if (!linux_channels || relid >= MAX_CHANNEL_RELIDS)
		return NULL;
	return READ_ONCE(linux_channels[relid]);
}

#include "vmbus_chan_sched.c"

void linux_sched_init(struct vmbus_channel **map);
void linux_chan_sched(union hv_synic_event_flags *pages);

void linux_sched_init(struct vmbus_channel **map)
{
	linux_channels = map;
}

void linux_chan_sched(union hv_synic_event_flags *pages)
{
	struct hv_per_cpu_context cpu = { .synic_event_page = pages };

	vmbus_chan_sched(&cpu);
}
