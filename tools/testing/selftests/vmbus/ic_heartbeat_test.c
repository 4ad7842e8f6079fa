// SPDX-License-Identifier: GPL-2.0
/*
 * ic_heartbeat_test: the distribution's unmodified hv_utils, loaded with a
 * plain `modprobe hv_utils`, binds to all four integration components the
 * simulated host offers (heartbeat, shutdown, time sync, KVP), and keeps a
 * heartbeat: with the host's period shortened to 100 ms, at least 60
 * heartbeat exchanges, every answer correct (the host checks each sequence
 * number; heartbeat_bad stays 0, heartbeat_ok follows heartbeat_sent) and
 * the host's sequence number advanced by as many.
 *
 * Shows also: the framework and message versions each component
 * negotiated (host's ic/stats next to hv_utils' `... IC version M.m` log
 * lines), and that every IC device's driver is hv_utils.
 *
 * Sim: ic/control add all, heartbeat_period_ms 100 (restored to 1000).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ic_util.h"

enum {
	EXCHANGES	= 60,
	PERIOD_MS	= 100,
	DEFAULT_PERIOD_MS = 1000,
	/* 60 periods of 100 ms take 6 s; TCG and KASAN are slow. */
	EXCHANGES_MS	= 120000,
};

/* hv_utils' pr_info lines after each negotiation. */
static const char *const version_line[IC_COUNT] = {
	[IC_HEARTBEAT]	= "hv_utils: Heartbeat IC version",
	[IC_SHUTDOWN]	= "hv_utils: Shutdown IC version",
	[IC_TIMESYNC]	= "hv_utils: TimeSync IC version",
	[IC_KVP]	= "hv_utils: KVP IC version",
};

static bool bind_all(struct vm_kmsg_mark *mark)
{
	unsigned int ic;
	bool ok;

	if (vm_sim_reset_stats() || vm_kmsg_mark(mark) || !ic_offer(IC_ALL) ||
	    !ic_load())
		return false;
	ok = ic_wait_bound(IC_ALL, IC_BIND_MS);
	/* KVP negotiates only once hv_kvp_daemon registered (ic_kvp_test). */
	for (ic = 0; ic < IC_COUNT; ic++) {
		char name[64];

		if (ic == IC_KVP)
			continue;
		snprintf(name, sizeof(name), "%s_negotiated", ic_name[ic]);
		ok &= ic_wait_stat_ge(name, 1, IC_BIND_MS);
	}
	return ok;
}

static bool versions_agree(const struct vm_kmsg_mark *mark)
{
	struct vm_stats st;
	char name[64];
	uint64_t n;
	unsigned int ic;
	bool ok = true;

	if (ic_stats_load(&st))
		return false;
	for (ic = 0; ic < IC_COUNT; ic++) {
		if (ic == IC_KVP)
			continue;
		snprintf(name, sizeof(name), "%s_negotiated", ic_name[ic]);
		ok &= vm_expect_stat(&st, name, 1);
		ok &= vm_expect_kmsg(mark, version_line[ic], false, 1);
		vm_kmsg_grep(mark, version_line[ic], NULL, 1);
	}
	if (vm_stat_get(&st, "ic_protocol_errors", &n))
		ok &= vm_expect_eq("ic_protocol_errors", 0, n);
	return ok;
}

static void show_versions(void)
{
	char *text, *line, *save;

	vm_read(VM_SIM, "ic/stats", &text);
	for (line = text ? strtok_r(text, "\n", &save) : NULL; line;
	     line = strtok_r(NULL, "\n", &save))
		if (strstr(line, "_version") || strstr(line, "_negotiated"))
			ksft_print_msg("vmbus_sim/ic/stats: %s\n", line);
	free(text);
}

struct beats {
	uint64_t sent, ok, bad, seq;
};

static bool beats_load(struct beats *b)
{
	struct vm_stats st;

	return !ic_stats_load(&st) && vm_stat_get(&st, "heartbeat_sent", &b->sent) &&
	       vm_stat_get(&st, "heartbeat_ok", &b->ok) &&
	       vm_stat_get(&st, "heartbeat_bad", &b->bad) &&
	       vm_stat_get(&st, "heartbeat_seq", &b->seq);
}

static bool heartbeats(void)
{
	struct beats b0, b1;
	uint64_t t0;
	bool ok;

	if (ic_control("heartbeat_period_ms %u", PERIOD_MS) || !beats_load(&b0))
		return false;
	t0 = vm_now_ms();
	ok = ic_wait_stat_ge("heartbeat_ok", b0.ok + EXCHANGES, EXCHANGES_MS);
	if (!beats_load(&b1))
		return false;
	ksft_print_msg("heartbeat: %" PRIu64 " sent, %" PRIu64 " answered correctly, %"
		       PRIu64 " bad in %" PRIu64 " ms at a %u ms period; sequence %"
		       PRIu64 " -> %" PRIu64 "\n", b1.sent - b0.sent, b1.ok - b0.ok,
		       b1.bad - b0.bad, vm_now_ms() - t0, PERIOD_MS, b0.seq, b1.seq);
	ok &= vm_expect_ge("heartbeat exchanges answered correctly", EXCHANGES,
			   b1.ok - b0.ok);
	ok &= vm_expect_eq("heartbeat_bad", 0, b1.bad);
	/* At most the one in flight when the counters were read is unanswered. */
	ok &= vm_expect(b1.sent - b1.ok <= 1, "heartbeat_sent %" PRIu64 " vs "
			"heartbeat_ok %" PRIu64 ": more than one unanswered",
			b1.sent, b1.ok);
	ok &= vm_expect_ge("host sequence number advance", EXCHANGES, b1.seq - b0.seq);
	return ok;
}

static bool stop_heartbeats(void)
{
	struct beats b0, b1;

	if (ic_control("heartbeat_period_ms 0") || !beats_load(&b0))
		return false;
	vm_sleep_ms(5 * PERIOD_MS);
	if (!beats_load(&b1))
		return false;
	return vm_expect(b1.sent <= b0.sent + 1, "heartbeats went on after "
			 "heartbeat_period_ms 0: %" PRIu64 " -> %" PRIu64,
			 b0.sent, b1.sent) &
	       !ic_control("heartbeat_period_ms %u", DEFAULT_PERIOD_MS);
}

int main(void)
{
	struct vm_kmsg_mark mark;
	bool bound;

	ksft_print_header();
	vm_setup();
	ic_setup();
	ksft_set_plan(5);
	bound = bind_all(&mark);
	ksft_test_result(bound,
			 "plain modprobe hv_utils binds heartbeat, shutdown, timesync, kvp\n");
	show_versions();
	ksft_test_result(bound && versions_agree(&mark),
			 "heartbeat, shutdown, timesync negotiated once each, hv_utils logged it\n");
	ksft_test_result(bound && heartbeats(), ">= %u heartbeat exchanges, every answer correct\n",
			 EXCHANGES);
	ksft_test_result(bound && stop_heartbeats(), "heartbeat_period_ms 0 stops them\n");
	ksft_test_result(ic_teardown() & vm_teardown(),
			 "teardown: hv_utils and hv_vmbus unloaded, sim restored\n");
	vm_test_finished();
}
