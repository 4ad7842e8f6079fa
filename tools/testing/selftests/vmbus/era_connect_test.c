// SPDX-License-Identifier: GPL-2.0
/*
 * era_connect_test: hv_vmbus connects to a host of every Windows Server
 * era it can speak to (2012 to 2022), loaded anew for each: it negotiates
 * the era's own version (the `Vmbus version:` line, the guest's and the
 * host's `version`), reaches a host before 5.0 on connection id 1 after
 * the refusals of connection id 4 (one per 5.x version, counted by the host
 * in contacts_no_conn_id and logged by the guest), and its channels work:
 * hv_utils binds the four integration components and negotiates heartbeat,
 * shutdown and time sync over them.
 *
 * Sim modes: era (each in turn; read back, and as version_ceiling).
 * Sim: ic/control add all.
 */
#include <stdio.h>
#include <string.h>

#include "ic_util.h"

static const struct {
	const char *era;
	const char *version;
} eras[] = {
	{ "2012", "2.4" },
	{ "2012r2", "3.0" },
	{ "2016", "4.0" },
	{ "2019", "5.2" },
	{ "2022", "5.3" },
};
#define NERAS (sizeof(eras) / sizeof(eras[0]))

static const enum ic_kind negotiating[] = { IC_HEARTBEAT, IC_SHUTDOWN, IC_TIMESYNC };
#define NNEG (sizeof(negotiating) / sizeof(negotiating[0]))

static bool expect_mode(const char *mode, const char *want)
{
	char *text;
	bool ok;

	if (vm_read(VM_SIM, mode, &text))
		return false;
	text[strcspn(text, "\n")] = '\0';
	ok = vm_expect(!strcmp(text, want), "vmbus_sim/%s: expected '%s', got '%s'",
		       mode, want, text);
	free(text);
	return ok;
}

static bool check_counters(const char *version)
{
	struct vm_stats sim, guest, in;
	bool ok;

	if (vm_stats_load(VM_SIM, "stats", &sim) || vm_stats_load(VM_SIM, "msg_in", &in) ||
	    vm_stats_load(VM_GUEST, "stats", &guest))
		return false;
	ok = vm_expect_connected_at(&sim, &in, version);
	ok &= vm_expect_stat(&guest, "version", vm_version_code(version));
	ok &= vm_expect_stat(&guest, "msg_conn_id",
			     vm_version_code(version) < vm_version_code("5.0") ? 1 : 4);
	ok &= vm_expect_stat(&guest, "post_failures", 0);
	return ok;
}

/* hv_utils binds the four components and negotiates three of them once more. */
static bool ics_work(void)
{
	uint64_t base[NNEG];
	char name[64];
	unsigned int i;
	bool ok = true;

	for (i = 0; i < NNEG; i++) {
		snprintf(name, sizeof(name), "%s_negotiated", ic_name[negotiating[i]]);
		if (!ic_stat(name, &base[i]))
			return false;
	}
	if (!ic_utils_load() || !ic_wait_bound(IC_ALL, IC_BIND_MS))
		return false;
	for (i = 0; i < NNEG; i++) {
		snprintf(name, sizeof(name), "%s_negotiated", ic_name[negotiating[i]]);
		ok &= ic_wait_stat_ge(name, base[i] + 1, IC_BIND_MS);
	}
	return ic_utils_unload() && ok;
}

static bool connect_era(unsigned int i)
{
	struct vm_kmsg_mark mark;
	bool ok;

	if (vm_sim_reset_stats() || vm_sim_set("era", "%s", eras[i].era) ||
	    vm_kmsg_mark(&mark))
		return false;
	ok = expect_mode("era", eras[i].era);
	ok &= expect_mode("version_ceiling", eras[i].version);
	if (!vm_guest_load(VM_MODPROBE_MS))
		return false;
	ok &= vm_expect_version_lines(&mark, eras[i].version, 1);
	ok &= vm_expect_kmsg(&mark, "the host has no connection id 4", false,
			     vm_contacts_refused(eras[i].version));
	ok &= check_counters(eras[i].version);
	ok &= ics_work();
	ok &= vm_guest_unload();
	ok &= vm_wait_stat(VM_SIM, "stats", "connected", 0, VM_SETTLE_MS);
	return ok;
}

int main(void)
{
	unsigned int i;

	ksft_print_header();
	vm_setup();
	ic_setup();
	ksft_set_plan(NERAS + 2);
	ksft_test_result(ic_offer(IC_ALL), "the host offers the four integration components\n");
	for (i = 0; i < NERAS; i++)
		ksft_test_result(connect_era(i), "era %s: version %s, integration components "
				 "bound and negotiated\n", eras[i].era, eras[i].version);
	/* The IC devices leave while hv_vmbus runs: load it at the default era. */
	ksft_test_result(vm_guest_load(VM_MODPROBE_MS) && ic_teardown() & vm_teardown(),
			 "teardown: IC devices rescinded, hv_vmbus unloaded, sim restored\n");
	vm_test_finished();
}
