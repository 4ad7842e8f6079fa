// SPDX-License-Identifier: GPL-2.0
/*
 * vmbus_sim: the time sync integration component and the host's clocks.
 *
 * After every negotiation, and on the control plane's ``timesync_sync``,
 * the host sends a SYNC; every timesync_period_ms, and on
 * ``timesync_sample``, a SAMPLE.  From message version 4.0 the message is
 * struct ictimesync_ref_data (the host's time and the reference counter at
 * sampling), before it struct ictimesync_data.
 *
 * The reference counter counts 100 ns units of the raw monotonic clock
 * since load; it replaces the kernel's hv_read_reference_counter, which
 * would read a Hyper-V MSR that does not exist here.  The host's wall
 * clock is the real time at load advanced by the same counter, so nothing
 * the guest does to its own clock moves the host's.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/ktime.h>
#include <linux/math64.h>
#include <linux/rcupdate.h>
#include <linux/string.h>
#include <linux/timekeeping.h>
#include <asm/mshyperv.h>

#include "sim_ic.h"

static_assert(sizeof(struct ictimesync_data) == 25);
static_assert(sizeof(struct ictimesync_ref_data) == 22);

enum {
	/* Version of the message with the reference time. */
	SIM_TS_REF_VERSION	= SIM_IC_V(4, 0),
	SIM_TS_PERIOD_MS	= 5000,
};

/* Requests, bits in the IC's pending word. */
enum { SIM_TS_PEND_SYNC, SIM_TS_PEND_SAMPLE };

enum {
	SIM_TS_SAMPLES, SIM_TS_SYNCS, SIM_TS_OK, SIM_TS_BAD, SIM_TS_COUNTERS
};

static struct sim_ic_counter sim_ts_counters[SIM_TS_COUNTERS] = {
	[SIM_TS_SAMPLES]	= { .name = "timesync_samples" },
	[SIM_TS_SYNCS]		= { .name = "timesync_syncs" },
	[SIM_TS_OK]		= { .name = "timesync_ok" },
	[SIM_TS_BAD]		= { .name = "timesync_bad" },
};

/* Message versions, ascending, as Hyper-V hosts list them. */
static const u32 sim_ts_versions[] = {
	SIM_IC_V(1, 0), SIM_IC_V(3, 0), SIM_IC_V(4, 0),
};

static struct sim_ic_tick sim_ts_tick = {
	.kind = SIM_IC_TIMESYNC,
	.bit = SIM_TS_PEND_SAMPLE,
	.period_ms = SIM_TS_PERIOD_MS,
};

static u64 sim_ts_raw0;
static u64 sim_ts_wall0;	/* 100 ns units since 1601-01-01 */
static u64 (*sim_ts_saved_refcount)(void);

static u64 sim_ts_refcount(void)
{
	return div_u64(ktime_get_raw_ns() - sim_ts_raw0, 100);
}

/* The layout follows the agreed message version. */
static void sim_ts_fill(struct sim_ic_chan *c, u8 flags)
{
	u64 ref = sim_ts_refcount();
	struct ictimesync_ref_data *r;
	struct ictimesync_data *t;

	if (c->msg_version >= SIM_TS_REF_VERSION) {
		r = sim_ic_req_start(c, ICMSGTYPE_TIMESYNC, sizeof(*r));
		r->parenttime = sim_ts_wall0 + ref;
		r->vmreferencetime = ref;
		r->flags = flags;
	} else {
		t = sim_ic_req_start(c, ICMSGTYPE_TIMESYNC, sizeof(*t));
		t->parenttime = sim_ts_wall0 + ref;
		t->flags = flags;
	}
}

static bool sim_ts_build(struct sim_ic_chan *c)
{
	if (sim_ic_take(SIM_IC_TIMESYNC, SIM_TS_PEND_SYNC)) {
		sim_ts_fill(c, ICTIMESYNCFLAG_SYNC);
		c->sent_stat = &sim_ts_counters[SIM_TS_SYNCS].v;
		return true;
	}
	if (sim_ic_take(SIM_IC_TIMESYNC, SIM_TS_PEND_SAMPLE)) {
		sim_ts_fill(c, ICTIMESYNCFLAG_SAMPLE);
		c->sent_stat = &sim_ts_counters[SIM_TS_SAMPLES].v;
		return true;
	}
	return false;
}

static void sim_ts_answer(struct sim_ic_chan *c, const struct icmsg_hdr *hdr,
			  const u8 *body, u32 len)
{
	u32 need = c->msg_version >= SIM_TS_REF_VERSION ?
		   sizeof(struct ictimesync_ref_data) :
		   sizeof(struct ictimesync_data);

	if (hdr && len < need)
		sim_ic_proto_error(c, "time sync answer of %u bytes\n", len);
	if (!hdr || len < need || hdr->status != HV_S_OK)
		atomic64_inc(&sim_ts_counters[SIM_TS_BAD].v);
	else
		atomic64_inc(&sim_ts_counters[SIM_TS_OK].v);
}

/* After a (re)start the host syncs first, as Hyper-V does. */
static void sim_ts_negotiated(struct sim_ic_chan *c)
{
	sim_ic_mark(SIM_IC_TIMESYNC, SIM_TS_PEND_SYNC);
}

/* timesync_sync, timesync_sample: send one now. */
static int sim_ts_cmd(const char *verb, char *arg)
{
	unsigned int bit;

	if (!strcmp(verb, "timesync_sync"))
		bit = SIM_TS_PEND_SYNC;
	else if (!strcmp(verb, "timesync_sample"))
		bit = SIM_TS_PEND_SAMPLE;
	else
		return -ENOIOCTLCMD;
	if (arg)
		return -EINVAL;
	sim_ic_request(SIM_IC_TIMESYNC, bit);
	return 0;
}

static const struct sim_ic_ops sim_ts_ops = {
	.versions = sim_ts_versions,
	.nr_versions = ARRAY_SIZE(sim_ts_versions),
	.build = sim_ts_build,
	.answer = sim_ts_answer,
	.negotiated = sim_ts_negotiated,
	.cmd = sim_ts_cmd,
	.counters = sim_ts_counters,
	.nr_counters = ARRAY_SIZE(sim_ts_counters),
	.tick = &sim_ts_tick,
};

/**
 * sim_ic_timesync_init() - start the host's clocks, register the IC
 *
 * Installs the simulator's reference counter in the kernel's
 * hv_read_reference_counter.
 *
 * Context: module init, after sim_ic_init() and before the control plane.
 */
void sim_ic_timesync_init(void)
{
	sim_ts_raw0 = ktime_get_raw_ns();
	sim_ts_wall0 = div_u64(ktime_get_real_ns(), 100) + WLTIMEDELTA;
	sim_ts_saved_refcount = hv_read_reference_counter;
	WRITE_ONCE(hv_read_reference_counter, sim_ts_refcount);
	sim_ic_register(SIM_IC_TIMESYNC, &sim_ts_ops);
}

/**
 * sim_ic_timesync_exit() - give the reference counter back
 *
 * No guest is attached, so hv_utils, which imports from hv_vmbus, is not
 * loaded: nothing of the guest calls the counter while it is swapped
 * back.  The grace period lets a caller of the kernel's own that read the
 * pointer just before finish with it.
 *
 * Context: module exit, after sim_ic_exit(); may sleep.
 */
void sim_ic_timesync_exit(void)
{
	WRITE_ONCE(hv_read_reference_counter, sim_ts_saved_refcount);
	synchronize_rcu();
}
