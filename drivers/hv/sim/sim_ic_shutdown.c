// SPDX-License-Identifier: GPL-2.0
/*
 * vmbus_sim: the shutdown integration component.
 *
 * On the control plane's ``shutdown <flags>`` the host sends
 * ICMSGTYPE_SHUTDOWN with flags 0..5 (shut down, reboot, hibernate, each
 * also forced); the guest answers HV_S_OK when it will do it, an error
 * status when it will not.  The status of the last answer is shown in
 * ic/stats.  The framework (sim_ic.c) negotiates, frames and checks the
 * packets.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/kernel.h>
#include <linux/seq_file.h>
#include <linux/spinlock.h>
#include <linux/string.h>

#include "sim_ic.h"

static_assert(sizeof(struct shutdown_msg_data) == 2060);
static_assert(sizeof(struct vmpacket_descriptor) +
	      ALIGN(ICMSG_HDR + sizeof(struct shutdown_msg_data), 8) <=
	      SIM_IC_PKT_MAX);

enum {
	/* The request's bit in the IC's pending word. */
	SIM_SD_PEND = 0,
	/* Highest flags value: hibernate, forced. */
	SIM_SD_FLAGS_MAX = 5,
};

enum { SIM_SD_SENT, SIM_SD_OK, SIM_SD_BAD, SIM_SD_COUNTERS };

static struct sim_ic_counter sim_sd_counters[SIM_SD_COUNTERS] = {
	[SIM_SD_SENT]	= { .name = "shutdown_sent" },
	[SIM_SD_OK]	= { .name = "shutdown_ok" },
	[SIM_SD_BAD]	= { .name = "shutdown_bad" },
};

/* Message versions, ascending, as Hyper-V hosts list them. */
static const u32 sim_sd_versions[] = {
	SIM_IC_V(1, 0), SIM_IC_V(3, 0), SIM_IC_V(3, 1), SIM_IC_V(3, 2),
};

/* The flags of the next request; under the IC's lock. */
static u32 sim_sd_flags;

/* The status of the last answer. */
static u32 sim_sd_status;

static bool sim_sd_build(struct sim_ic_chan *c)
{
	spinlock_t *lock = sim_ic_lock(SIM_IC_SHUTDOWN);
	struct shutdown_msg_data *sd;
	u32 flags;

	if (!sim_ic_take(SIM_IC_SHUTDOWN, SIM_SD_PEND))
		return false;
	spin_lock(lock);
	flags = sim_sd_flags;
	spin_unlock(lock);
	sd = sim_ic_req_start(c, ICMSGTYPE_SHUTDOWN, sizeof(*sd));
	sd->flags = flags;
	c->sent_stat = &sim_sd_counters[SIM_SD_SENT].v;
	return true;
}

static void sim_sd_answer(struct sim_ic_chan *c, const struct icmsg_hdr *hdr,
			  const u8 *body, u32 len)
{
	if (!hdr || len < sizeof(struct shutdown_msg_data)) {
		if (hdr)
			sim_ic_proto_error(c, "shutdown answer of %u bytes\n",
					   len);
		atomic64_inc(&sim_sd_counters[SIM_SD_BAD].v);
		return;
	}
	WRITE_ONCE(sim_sd_status, hdr->status);
	pr_info("ic shutdown: the guest answered status %#x\n", hdr->status);
	atomic64_inc(&sim_sd_counters[hdr->status == HV_S_OK ? SIM_SD_OK :
							       SIM_SD_BAD].v);
}

/* shutdown <flags>: ask the guest to shut down, reboot or hibernate. */
static int sim_sd_cmd(const char *verb, char *arg)
{
	spinlock_t *lock = sim_ic_lock(SIM_IC_SHUTDOWN);
	u32 flags;

	if (strcmp(verb, "shutdown"))
		return -ENOIOCTLCMD;
	if (!arg || kstrtou32(arg, 10, &flags) || flags > SIM_SD_FLAGS_MAX)
		return -EINVAL;
	spin_lock(lock);
	sim_sd_flags = flags;
	spin_unlock(lock);
	sim_ic_request(SIM_IC_SHUTDOWN, SIM_SD_PEND);
	return 0;
}

static void sim_sd_stats(struct seq_file *m)
{
	seq_printf(m, "shutdown_status 0x%08x\n", READ_ONCE(sim_sd_status));
}

static const struct sim_ic_ops sim_sd_ops = {
	.versions = sim_sd_versions,
	.nr_versions = ARRAY_SIZE(sim_sd_versions),
	.build = sim_sd_build,
	.answer = sim_sd_answer,
	.cmd = sim_sd_cmd,
	.counters = sim_sd_counters,
	.nr_counters = ARRAY_SIZE(sim_sd_counters),
	.stats = sim_sd_stats,
};

/**
 * sim_ic_shutdown_init() - hand the shutdown IC's ops to sim_ic.c
 *
 * Context: module init, after sim_ic_init() and before the control plane.
 */
void sim_ic_shutdown_init(void)
{
	sim_ic_register(SIM_IC_SHUTDOWN, &sim_sd_ops);
}
