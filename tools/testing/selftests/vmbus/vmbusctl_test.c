// SPDX-License-Identifier: GPL-2.0
/*
 * vmbusctl_test: vmbusctl (tools/vmbus/vmbusctl/) against the simulated
 * host and the guest's bus.  Offers through vmbusctl reach the bus; `list
 * -vv` prints what the host's table implies, in lsvmbus's layout; `list
 * --json` names every channel; rescind and re-offer through vmbusctl change
 * the bus as the host's counters say; a scenario file runs and its `expect`
 * lines fail when they should; every bad command exits 1 or 2 with its
 * reason and leaves the host's table, its counters and the bus as they were.
 *
 * Sim modes: none; devices: one echo device with 2 sub-channels, 2 more.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "vmbus_util.h"

#define INST_A "7c7c0001-0000-4000-8000-000000000001"
#define INST_B "7c7c0002-0000-4000-8000-000000000002"
#define SCENARIO "/tmp/vmbusctl_test.vmbus"
#define BAD_SCENARIO "/tmp/vmbusctl_test_bad.vmbus"

enum { NSUB = 2, DEVICES = 3, WAIT_MS = 20000 };

static struct vm_ctl_out out;

static bool ctl_expect_status(int want, const char *fmt, ...) VM_PRINTF(2, 3);
static bool ctl_expect_status(int want, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vm_vctl(&out, fmt, ap);
	va_end(ap);
	return vm_expect(out.status == want, "`vmbusctl %s`: exit status %d expected, got %d "
			 "(stderr: %s)", out.cmd, want, out.status, out.err);
}

static bool offer_and_load(void)
{
	bool ok = ctl_expect_status(0, "sim offer echo %s --subchannels %u", INST_A, NSUB) &&
		  ctl_expect_status(0, "sim offer echo --count %u", DEVICES - 1);

	return ok && vm_guest_load(VM_MODPROBE_MS) && vm_wait_vmbus_devices(DEVICES, WAIT_MS);
}

/* The -vv text of one device, built from the host's table and channels/<relid>/cpu. */
static bool expected_device(const struct vm_sim_devs *devs, const struct vm_sim_dev *p,
			    char *buf, size_t len)
{
	size_t n = strlen(buf);
	uint64_t cpu;
	size_t i;

	n += snprintf(buf + n, len - n, "VMBUS ID %2u: Class_ID = {%s} - Unknown\n"
		      "\tDevice_ID = {%s}\n\tSysfs path: /sys/bus/vmbus/devices/%s\n",
		      p->relid, p->class_id, p->instance, p->instance);
	/* The host's table is in relid order, so the channels are too. */
	for (i = 0; i < devs->count && n < len; i++) {
		const struct vm_sim_dev *d = &devs->dev[i];

		if (strcmp(d->instance, p->instance) || !d->offered)
			continue;
		if (vm_chan_read(p->instance, d->relid, "cpu", &cpu))
			return false;
		n += snprintf(buf + n, len - n, "\tRel_ID=%u, target_cpu=%u\n", d->relid,
			      (unsigned int)cpu);
	}
	if (n < len)
		snprintf(buf + n, len - n, "\n");
	return true;
}

static bool list_matches_host(void)
{
	static char want[sizeof(out.out)];
	struct vm_sim_devs devs;
	bool ok = true;
	size_t i;

	if (vm_sim_devices_load(&devs))
		return false;
	want[0] = '\0';
	for (i = 0; ok && i < devs.count; i++)
		if (!devs.dev[i].sub && devs.dev[i].offered)
			ok = expected_device(&devs, &devs.dev[i], want, sizeof(want));
	vm_sim_devices_free(&devs);
	ok = ok && ctl_expect_status(0, "list -vv");
	ok = ok && vm_expect(!strcmp(out.out, want), "list -vv printed\n%s\nexpected\n%s",
			     out.out, want);
	return ok && ctl_expect_status(0, "list") &&
	       vm_expect(!strncmp(out.out, "VMBUS ID ", 9) &&
			 strstr(out.out, "Unknown\nVMBUS ID "), "plain list: %s", out.out);
}

static unsigned int count_of(const char *text, const char *what)
{
	unsigned int n = 0;

	for (; (text = strstr(text, what)); text++)
		n++;
	return n;
}

static bool list_json_agrees(void)
{
	char needle[64];
	struct vm_sim_devs devs;
	unsigned int chans = 0;
	bool ok;
	size_t i;

	if (vm_sim_devices_load(&devs))
		return false;
	ok = ctl_expect_status(0, "list --json");
	for (i = 0; ok && i < devs.count; i++) {
		if (!devs.dev[i].offered)
			continue;
		chans++;
		snprintf(needle, sizeof(needle), "{ \"relid\": %u,", devs.dev[i].relid);
		ok &= vm_expect(strstr(out.out, needle), "no '%s' in the JSON", needle);
		snprintf(needle, sizeof(needle), "\"device_id\": \"{%s}\"", devs.dev[i].instance);
		ok &= vm_expect(strstr(out.out, needle), "no '%s' in the JSON", needle);
	}
	vm_sim_devices_free(&devs);
	ok &= vm_expect_eq("JSON channel objects", chans, count_of(out.out, "\"relid\":"));
	ok &= vm_expect_eq("JSON device objects", DEVICES, count_of(out.out, "\"id\":"));
	ok &= vm_expect_eq("JSON { against }", count_of(out.out, "{"), count_of(out.out, "}"));
	return ok;
}

static bool guest_stat(const char *name, uint64_t *v)
{
	struct vm_stats st;

	return !vm_stats_load(VM_GUEST, "stats", &st) && vm_stat_get(&st, name, v);
}

/* Re-offer of INST_A (3 relids released, back on the bus), then its rescind. */
static bool rescind_reoffer(void)
{
	uint64_t released;
	bool ok;

	if (!guest_stat("relids_released", &released))
		return false;
	ok = ctl_expect_status(0, "sim reoffer %s", INST_A);
	ok = ok && vm_wait_stat(VM_GUEST, "stats", "relids_released", released + 1 + NSUB,
				WAIT_MS);
	ok = ok && ctl_expect_status(0, "wait bus channels == %u --timeout 20",
				     DEVICES + NSUB);
	ok = ok && ctl_expect_status(0, "sim rescind %s", INST_A);
	ok = ok && vm_wait_vmbus_devices(DEVICES - 1, WAIT_MS);
	ok = ok && vm_wait_stat(VM_GUEST, "stats", "relids_released",
				released + 2 * (1 + NSUB), WAIT_MS);
	return ok;
}

/* A scenario file in /tmp (vm_write_file() only opens files that exist). */
static bool write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	bool ok = f && fputs(text, f) >= 0;

	if (f && fclose(f))
		ok = false;
	return vm_expect(ok, "cannot write %s", path);
}

static bool scenario_runs(void)
{
	bool ok = write_file(SCENARIO,
			     "# vmbusctl_test: offer, wait, check\n"
			     "step \"offer one more\"\n"
			     "sim offer echo " INST_B "\n"
			     "wait bus devices == 3 --timeout 20\n"
			     "expect sim offers >= 1\n"
			     "list -v\n");

	ok = ok && ctl_expect_status(0, "run " SCENARIO);
	ok = ok && vm_expect(strstr(out.out, "==== offer one more ====\n") &&
			     strstr(out.out, "+ sim offer echo " INST_B "\n"),
			     "scenario output: %s", out.out);
	ok = ok && write_file(SCENARIO, "expect bus devices == 99\nsim rescind " INST_B "\n");
	ok = ok && ctl_expect_status(1, "run " SCENARIO);
	ok = ok && vm_expect(strstr(out.err, SCENARIO ":1: 'expect bus devices == 99' failed"),
			     "failed scenario said: %s", out.err);
	return ok && vm_wait_vmbus_devices(DEVICES, WAIT_MS);
}

/* A bad command, the exit status it must get and what stderr must say. */
struct bad_cmd {
	const char *cmd;
	int status;
	const char *says;
};

static const struct bad_cmd bad_cmds[] = {
	{ "bogus", 2, "unknown command 'bogus'" },
	{ "sim bogus", 2, "sim: unknown command 'bogus'" },
	{ "list -vvv", 2, "-v at most twice" },
	{ "sim rescind 2047", 1, "relid 2047 is not in the host's table" },
	{ "sim rescind 0", 2, "neither a relid" },
	{ "sim reoffer 7c7c0009-0000-4000-8000-000000000009", 1, "no device with instance" },
	{ "sim offer nosuchclass", 1, "unknown device class 'nosuchclass'" },
	{ "sim offer echo " INST_B, 1, "has a device with instance " INST_B },
	{ "sim offer echo --subchannels 9999", 2, "bad --subchannels '9999'" },
	{ "sim offer heartbeat " INST_A, 2, "takes no instance" },
	{ "sim set nosuch_mode 1", 1, "unknown simulator mode 'nosuch_mode'" },
	{ "sim set version_ceiling 9.9", 1, "Invalid argument" },
	{ "sim fault hostile-msg short", 2, "needs a relid" },
	{ "sim fault hostile-msg short 2047", 1, "relid 2047 is not in the host's table" },
	{ "sim fault nosuch x", 1, "unknown fault 'nosuch'" },
	{ "sim events 0", 2, "bad rounds '0'" },
	{ "stats nosuch", 1, "unknown counter set 'nosuch'" },
	{ "wait sim nosuch_counter == 1 --timeout 1", 1, "no counter 'nosuch_counter'" },
	{ "wait sim offers =< 1", 2, "bad comparison '=<'" },
	{ "hibernate --pm-test Core", 2, "bad --pm-test mode" },
	{ "run " BAD_SCENARIO, 1, BAD_SCENARIO ":3: bad line 'sim offer nosuchclass'" },
	{ "run /nonexistent.vmbus", 1, "/nonexistent.vmbus: No such file" },
};

static bool bad_cmd_refused(const struct bad_cmd *b)
{
	return ctl_expect_status(b->status, "%s", b->cmd) &&
	       vm_expect(!strncmp(out.err, "vmbusctl: ", 10) && strstr(out.err, b->says),
			 "`vmbusctl %s`: stderr '%s' does not say '%s'", b->cmd, out.err, b->says);
}

/* With debugfs elsewhere: the message names the missing directory. */
static bool no_debugfs_refused(void)
{
	const char *old = getenv("VMBUS_DEBUGFS_ROOT");
	char *saved = old ? strdup(old) : NULL;
	bool ok;

	setenv("VMBUS_DEBUGFS_ROOT", "/tmp/vmbusctl-no-debugfs", 1);
	ok = ctl_expect_status(1, "sim offer echo --count 1");
	if (saved)
		setenv("VMBUS_DEBUGFS_ROOT", saved, 1);
	else
		unsetenv("VMBUS_DEBUGFS_ROOT");
	free(saved);
	return ok && vm_expect(strstr(out.err, "is debugfs mounted?"), "stderr: %s", out.err);
}

static bool errors_change_nothing(void)
{
	char *before = NULL, *after = NULL;
	struct vm_stats st0, st1;
	bool ok;
	size_t i;

	ok = write_file(BAD_SCENARIO, "sim offer echo --count 1\n# fine so far\n"
			"sim offer nosuchclass\n");
	if (!ok || vm_read(VM_SIM, "devices", &before) || vm_stats_load(VM_SIM, "stats", &st0))
		return false;
	for (i = 0; i < ARRAY_SIZE(bad_cmds); i++)
		ok &= bad_cmd_refused(&bad_cmds[i]);
	ok &= no_debugfs_refused();
	if (vm_read(VM_SIM, "devices", &after) || vm_stats_load(VM_SIM, "stats", &st1)) {
		free(before);
		return false;
	}
	ok &= vm_expect(!strcmp(before, after), "the host's table changed:\n%s\nto\n%s", before,
			after);
	for (i = 0; i < st0.count; i++)
		if (!strcmp(st0.stat[i].name, "offers") || !strcmp(st0.stat[i].name, "rescinds"))
			ok &= vm_expect_stat(&st1, st0.stat[i].name, st0.stat[i].value);
	ok &= vm_expect_eq("devices on the bus", DEVICES, vm_vmbus_device_count());
	free(before);
	free(after);
	return ok;
}

int main(void)
{
	ksft_print_header();
	vm_setup();
	ksft_set_plan(7);
	ksft_test_result(offer_and_load(), "vmbusctl sim offer: %u devices on the bus\n",
			 DEVICES);
	ksft_test_result(list_matches_host(), "vmbusctl list -vv: the host's table, lsvmbus "
			 "layout\n");
	ksft_test_result(list_json_agrees(), "vmbusctl list --json: every device and channel\n");
	ksft_test_result(rescind_reoffer(), "vmbusctl sim reoffer and rescind: the bus follows\n");
	ksft_test_result(scenario_runs(), "vmbusctl run: a scenario runs, a failed expect "
			 "stops it\n");
	ksft_test_result(errors_change_nothing(), "vmbusctl errors: exit 1 or 2 with the "
			 "reason, nothing changed\n");
	unlink(SCENARIO);
	unlink(BAD_SCENARIO);
	ksft_test_result(vm_teardown(), "teardown: hv_vmbus unloaded, sim devices restored\n");
	vm_test_finished();
}
