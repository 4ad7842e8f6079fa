// SPDX-License-Identifier: GPL-2.0
/*
 * offer_scale_test: the host offers the most devices a connection can hold
 * (relids 1..2047).  The guest registers every one of them with the
 * attributes the README lists (id = the relid the host chose, class_id,
 * device_id, modalias, channel_vp_mapping, vendor, channels/<relid>/); then
 * the host rescinds every one, and the guest removes each device and
 * releases each relid exactly once, leaving the bus empty and nothing leaked.
 *
 * Prints `# offer 2047 devices: N ms`: from `modprobe hv_vmbus` until all
 * 2047 devices are on the bus.
 *
 * Sim modes: version_ceiling 5.3, 2047 test devices.
 */
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "vmbus_util.h"

enum {
	DEVICES		= VM_MAX_RELID,
	OFFER_MS	= 300000,	/* modprobe until all are registered */
	RESCIND_MS	= 300000,	/* the last rescind until all released */
	SHOW_BAD	= 3,		/* devices per checker whose problems are printed */
	MAX_CHECKERS	= 8,
	CHECK_MS	= 300000,
};

static struct vm_sim_devs devs;

static bool load_and_time(void)
{
	uint64_t start, loaded;
	bool ok;

	if (vm_sim_set("version_ceiling", "5.3") || vm_sim_devices_add_test(DEVICES) ||
	    vm_sim_reset_stats())
		return false;
	start = vm_now_ms();
	if (!vm_guest_load(OFFER_MS))
		return false;
	loaded = vm_now_ms();
	ksft_print_msg("modprobe hv_vmbus returned after %" PRIu64 " ms\n", loaded - start);
	ok = vm_wait_vmbus_devices(DEVICES, OFFER_MS - (loaded - start));
	if (ok)
		ksft_print_msg("offer %u devices: %" PRIu64 " ms\n", DEVICES,
			       vm_now_ms() - start);
	return ok;
}

/* The host's table: 2047 offered test-class primaries, relids 1..2047. */
static bool check_host_table(void)
{
	bool seen[VM_MAX_RELID + 1] = { false };
	size_t i;

	if (vm_sim_devices_load(&devs))
		return false;
	if (!vm_expect_eq("vmbus_sim/devices lines", DEVICES, devs.count))
		return false;
	for (i = 0; i < devs.count; i++) {
		const struct vm_sim_dev *d = &devs.dev[i];

		if (!vm_expect(d->offered && !d->sub && !seen[d->relid] &&
			       !strcmp(d->class_id, VM_TEST_CLASS),
			       "vmbus_sim/devices: relid %u: expected a single "
			       "offered primary of class %s", d->relid, VM_TEST_CLASS))
			return false;
		seen[d->relid] = true;
	}
	return true;
}

/* Devices first, first + step, ...: how many had problems (at most SHOW_BAD). */
static unsigned int check_slice(size_t first, size_t step)
{
	unsigned int bad = 0;
	size_t i;

	for (i = first; i < devs.count && bad < SHOW_BAD; i += step)
		bad += !vm_expect_vmbus_device(&devs, &devs.dev[i]);
	if (bad == SHOW_BAD)
		ksft_print_msg("checker %zu stopped after %u devices with problems\n", first, bad);
	return bad;
}

/*
 * Reading 2047 x 10 sysfs files takes a minute on the debug kernel under
 * TCG, so one child process per CPU checks a share of the devices.  Each
 * prints its own diagnostics (whole lines) and exits 1 if it found a problem.
 */
static bool check_in_parallel(void)
{
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	size_t n = cpus < 1 ? 1 : cpus > MAX_CHECKERS ? MAX_CHECKERS : (size_t)cpus;
	pid_t pid[MAX_CHECKERS];
	uint64_t deadline = vm_now_ms() + CHECK_MS;
	unsigned int failed = 0, left;
	int status;
	size_t k;

	fflush(stdout);
	for (k = 0; k < n; k++) {
		pid[k] = fork();
		if (pid[k] == 0)
			_exit(check_slice(k, n) ? 1 : 0);
		if (pid[k] < 0)
			return vm_expect(false, "fork: %s", strerror(errno));
	}
	for (left = n; left && vm_now_ms() < deadline; vm_sleep_ms(VM_POLL_MS * 5)) {
		for (k = 0; k < n; k++) {
			if (pid[k] <= 0 || waitpid(pid[k], &status, WNOHANG) != pid[k])
				continue;
			failed += !WIFEXITED(status) || WEXITSTATUS(status);
			pid[k] = 0;
			left--;
		}
	}
	for (k = 0; k < n; k++) {
		if (pid[k] > 0) {
			kill(pid[k], SIGKILL);
			waitpid(pid[k], &status, 0);
		}
	}
	return vm_expect(!left, "timed out after %u ms waiting for %u of %zu sysfs "
			 "checkers", CHECK_MS, left, n) &&
	       vm_expect(!failed, "%u of %zu sysfs checkers found problems", failed, n);
}

static bool check_all_devices(void)
{
	uint64_t start = vm_now_ms();
	bool ok;
	int n;

	if (!check_host_table())
		return false;
	ok = check_in_parallel();
	ksft_print_msg("checked the sysfs of %zu devices in %" PRIu64 " ms\n", devs.count,
		       vm_now_ms() - start);
	n = vm_vmbus_device_count();
	return vm_expect(n == DEVICES, "%s: expected %u entries, got %d",
			 VM_VMBUS_DEVICES, DEVICES, n) && ok;
}

static bool check_offer_counters(void)
{
	struct vm_stats guest, sim;
	bool ok;

	if (vm_stats_load(VM_GUEST, "stats", &guest) || vm_stats_load(VM_SIM, "stats", &sim))
		return false;
	ok = vm_expect_stat(&guest, "offers", DEVICES);
	ok &= vm_expect_stat(&guest, "offers_at_alloffers", DEVICES);
	ok &= vm_expect_stat(&guest, "msgs_bad", 0);
	ok &= vm_expect_stat(&sim, "offers", DEVICES);
	ok &= vm_expect_stat(&sim, "guest_errors", 0);
	return ok;
}

static bool rescind_all(void)
{
	uint64_t start = vm_now_ms();
	bool ok = true;
	size_t i;

	if (!devs.count)
		return vm_expect(false, "no device list from the offer subtest");
	for (i = 0; i < devs.count && ok; i++)
		ok = !vm_sim_devices_cmd("rescind %u", devs.dev[i].relid);
	if (!ok)
		return false;
	ksft_print_msg("wrote %zu rescinds in %" PRIu64 " ms\n", devs.count,
		       vm_now_ms() - start);
	ok = vm_wait_vmbus_devices(0, RESCIND_MS);
	ok &= vm_wait_stat(VM_SIM, "stats", "relids_released", DEVICES, RESCIND_MS);
	ok &= vm_wait_sim_table_empty(RESCIND_MS);
	ksft_print_msg("rescind %u devices: %" PRIu64 " ms\n", DEVICES, vm_now_ms() - start);
	return ok;
}

static bool check_rescind_counters(void)
{
	struct vm_stats guest, sim;
	bool ok;

	if (vm_stats_load(VM_GUEST, "stats", &guest) || vm_stats_load(VM_SIM, "stats", &sim))
		return false;
	ok = vm_expect_stat(&guest, "rescinds", DEVICES);
	ok &= vm_expect_stat(&guest, "relids_released", DEVICES);
	ok &= vm_expect_stat(&guest, "msgs_bad", 0);
	ok &= vm_expect_stat(&sim, "rescinds", DEVICES);
	ok &= vm_expect_stat(&sim, "relids_released", DEVICES);
	ok &= vm_expect_stat(&sim, "guest_errors", 0);
	return ok;
}

static bool unload(void)
{
	bool ok = vm_guest_unload();

	ok &= vm_wait_stat(VM_SIM, "stats", "connected", 0, VM_SETTLE_MS);
	ok &= !vm_sim_devices_clear();
	return ok;
}

int main(void)
{
	ksft_print_header();
	vm_setup();
	ksft_set_plan(8);
	ksft_test_result(load_and_time(), "modprobe hv_vmbus registers %u devices\n", DEVICES);
	ksft_test_result(check_all_devices(), "each device's sysfs matches the host's offer\n");
	ksft_test_result(check_offer_counters(), "offer counters: %u each side, no bad message\n",
			 DEVICES);
	ksft_test_result(rescind_all(), "rescind all %u: bus empty, every relid released\n",
			 DEVICES);
	ksft_test_result(check_rescind_counters(), "rescind counters: %u rescinds and releases\n",
			 DEVICES);
	/* While hv_vmbus is loaded: a leaked channel is still unreferenced memory. */
	vm_kmemleak_subtest("kmemleak: no leak from hv_vmbus, vmbus_sim, vmbus_platform");
	ksft_test_result(unload(), "rmmod hv_vmbus\n");
	ksft_test_result(vm_teardown(), "teardown: hv_vmbus unloaded, sim modes restored\n");
	vm_sim_devices_free(&devs);
	vm_test_finished();
}
