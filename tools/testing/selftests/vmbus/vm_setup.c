// SPDX-License-Identifier: GPL-2.0
/*
 * Test life cycle: vm_setup() and vm_teardown(), loading and unloading
 * hv_vmbus and the echo driver, the kmemleak check.
 *
 * Return convention: true on success, false after a diagnostic;
 * vm_kmemleak_check() adds a third verdict, VM_SKIP, where the kernel has no
 * kmemleak.  vm_setup() does not return on failure: it skips (exit 4) or
 * bails out (exit 1) the whole program before its plan.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vmbus_util.h"

/* modprobe hv_vmbus; it must not be loaded already (modprobe would say 0). */
bool vm_guest_load(unsigned int timeout_ms)
{
	if (!vm_expect(!vm_module_loaded("hv_vmbus"),
		       "hv_vmbus is loaded before modprobe (an earlier step failed)"))
		return false;
	return vm_modprobe_expect("hv_vmbus", timeout_ms);
}

bool vm_guest_unload(void)
{
	return vm_rmmod_expect("hv_vmbus");
}

enum {
	/* kmemleak does not report objects younger than 5 s. */
	VM_KMEMLEAK_PAUSE_MS = 6000,
};

/* hv_utils: the distribution's client, loaded and unloaded by the IC tests. */
static const char *const our_modules[] = { "hv_vmbus", "vmbus_sim", "vmbus_platform",
					   "hv_utils" };

static bool report_is_ours(const char *begin, const char *end)
{
	size_t i, len;

	for (i = 0; i < sizeof(our_modules) / sizeof(our_modules[0]); i++) {
		len = strlen(our_modules[i]);
		for (const char *p = begin; p + len <= end; p++)
			if (!memcmp(p, our_modules[i], len))
				return true;
	}
	return false;
}

static void report_print(const char *begin, const char *end)
{
	const char *nl;

	for (; begin < end; begin = nl + 1) {
		nl = memchr(begin, '\n', end - begin);
		if (!nl)
			nl = end;
		ksft_print_msg("  %.*s\n", (int)(nl - begin), begin);
	}
}

/* Each report starts with "unreferenced object"; prints and counts ours. */
static unsigned int kmemleak_ours(const char *text)
{
	static const char start[] = "unreferenced object";
	const char *p = strstr(text, start), *next;
	unsigned int ours = 0, all = 0;

	for (; p; p = next) {
		next = strstr(p + 1, start);
		all++;
		if (report_is_ours(p, next ? next : p + strlen(p))) {
			ours++;
			report_print(p, next ? next : p + strlen(p));
		}
	}
	ksft_print_msg("kmemleak: %u reports, %u naming hv_vmbus, vmbus_sim, "
		       "vmbus_platform or hv_utils\n", all, ours);
	return ours;
}

/* Two scans with a pause (kmemleak reports an object only when it is old enough). */
enum vm_verdict vm_kmemleak_check(const char **why)
{
	char path[512];
	char *text;
	unsigned int ours;

	snprintf(path, sizeof(path), "%s/kmemleak", vm_debugfs_root());
	if (!vm_exists(path)) {
		*why = "no kmemleak in this kernel";
		return VM_SKIP;
	}
	if (vm_write_file(path, "scan"))
		return VM_FAIL;
	vm_sleep_ms(VM_KMEMLEAK_PAUSE_MS);
	if (vm_write_file(path, "scan"))
		return VM_FAIL;
	if (vm_read_file(path, &text))
		return VM_FAIL;
	ours = kmemleak_ours(text);
	free(text);
	return ours ? VM_FAIL : VM_PASS;
}

static bool setup_done, teardown_done;

static void teardown_at_exit(void)
{
	if (setup_done && !teardown_done) {
		ksft_print_msg("exiting early: unloading hv_vmbus and restoring the sim\n");
		vm_teardown();
	}
}

static void unload_guest_or_bail(void)
{
	if (!vm_module_loaded("hv_vmbus"))
		return;
	/* The distribution's client (the hv_utils tests) holds hv_vmbus. */
	if (vm_module_loaded("hv_utils") && vm_rmmod("hv_utils", VM_RMMOD_MS))
		ksft_exit_fail_msg("cannot unload hv_utils left loaded by an earlier run\n");
	ksft_print_msg("hv_vmbus is loaded at start: unloading it\n");
	if (vm_rmmod("hv_vmbus", VM_RMMOD_MS))
		ksft_exit_fail_msg("cannot unload hv_vmbus left loaded by an earlier run\n");
}

/*
 * Loads the simulated host and makes sure the guest core is not loaded.
 * Skips the whole program (exit 4) where there is no simulator, e.g. on a
 * real Hyper-V VM.  Clears the sim's device list (restored by teardown) so
 * that no driver binds to a device the test did not ask for.
 */
void vm_setup(void)
{
	char dir[512];
	int status;

	status = vm_modprobe("vmbus_sim", VM_MODPROBE_MS);
	vm_path(dir, sizeof(dir), VM_SIM, NULL);
	if (!vm_exists(dir)) {
		if (status)
			ksft_exit_skip("no simulated host: `modprobe vmbus_sim` "
				       "failed and %s is absent\n", dir);
		ksft_exit_fail_msg("vmbus_sim loaded but %s is absent (debugfs not mounted?)\n",
				   dir);
	}
	unload_guest_or_bail();
	if (vm_sim_save_devices())
		ksft_exit_fail_msg("cannot save and clear the sim's device list\n");
	setup_done = true;
	atexit(teardown_at_exit);
}

/*
 * Leaves hv_vmbus unloaded and vmbus_sim loaded with the modes and devices
 * it had at setup.  Returns false (with diagnostics) if any of that failed.
 */
bool vm_teardown(void)
{
	bool ok = true;

	teardown_done = true;
	/* A client of hv_vmbus (driver_bind_test) keeps it from unloading. */
	if (vm_module_loaded("vmbus_test_drv"))
		ok &= !vm_rmmod("vmbus_test_drv", VM_RMMOD_MS);
	if (vm_module_loaded("hv_utils"))
		ok &= !vm_rmmod("hv_utils", VM_RMMOD_MS);
	if (vm_module_loaded("hv_vmbus"))
		ok &= !vm_rmmod("hv_vmbus", VM_RMMOD_MS);
	ok &= !vm_sim_restore();
	ok &= vm_expect(!vm_module_loaded("hv_vmbus"), "hv_vmbus still loaded");
	ok &= vm_expect(vm_module_loaded("vmbus_sim"), "vmbus_sim not loaded");
	return ok;
}

static bool echo_atexit_done;

static void echo_unload_at_exit(void)
{
	if (vm_module_loaded(VM_ECHO_DRV))
		vm_echo_unload();
}

struct echo_chans_wait {
	const char *instance;
	unsigned int want, got;
};

static bool echo_chans_open(void *arg)
{
	struct echo_chans_wait *w = arg;
	struct vm_echo_result r;

	if (!vm_echo_result_exists(w->instance) ||
	    vm_echo_result_load(w->instance, &r))
		return false;
	w->got = r.nchans;
	return r.nchans == w->want;
}

/* What the host received and sent, for a channel that did not open. */
static void echo_dump_sim(void)
{
	static const char *const files[] = { "msg_in", "msg_out" };
	char *text, *line, *save;
	unsigned int i;

	for (i = 0; i < 2; i++) {
		vm_read(VM_SIM, files[i], &text);
		for (line = text ? strtok_r(text, "\n", &save) : NULL; line;
		     line = strtok_r(NULL, "\n", &save))
			ksft_print_msg("vmbus_sim/%s: %s\n", files[i], line);
		free(text);
	}
}

/* Every device's result file lists 1 + @nsub open channels. */
static bool echo_wait_chans(const char *const instances[], unsigned int n, unsigned int nsub)
{
	struct echo_chans_wait w = { .want = 1 + nsub };
	unsigned int i;

	for (i = 0; i < n; i++) {
		w.instance = instances[i];
		if (!vm_wait_until(echo_chans_open, &w, VM_MODPROBE_MS,
				   "vmbus_echo/%s/result listing %u open channels",
				   instances[i], w.want)) {
			ksft_print_msg("vmbus_echo/%s/result lists %u channels\n", instances[i],
				       w.got);
			echo_dump_sim();
			return false;
		}
	}
	return true;
}

bool vm_echo_attach(const char *const instances[], unsigned int n, unsigned int nsub)
{
	if (!echo_atexit_done) {
		/* Registered after vm_setup()'s handler, so it runs before it. */
		atexit(echo_unload_at_exit);
		echo_atexit_done = true;
	}
	if (vm_sim_set("version_ceiling", "5.3") || !vm_guest_load(VM_MODPROBE_MS) ||
	    !vm_wait_vmbus_devices(n, VM_MODPROBE_MS))
		return false;
	if (!vm_modprobe_expect(VM_ECHO_DRV, VM_MODPROBE_MS))
		return false;
	return echo_wait_chans(instances, n, nsub);
}

bool vm_echo_reload(const char *param, const char *const instances[], unsigned int n,
		    unsigned int nsub)
{
	const char *const argv[] = { "modprobe", VM_ECHO_DRV, param, NULL };

	if (!vm_echo_unload() ||
	    !vm_expect(!vm_run(VM_MODPROBE_MS, argv), "`modprobe %s %s`: expected exit status 0",
		       VM_ECHO_DRV, param))
		return false;
	return echo_wait_chans(instances, n, nsub);
}

bool vm_echo_load(const char *const instances[], unsigned int n, unsigned int nsub)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		if (vm_write(VM_SIM, "devices", "add %s %s %u", VM_TEST_CLASS,
			     instances[i], nsub))
			return false;
	return vm_echo_attach(instances, n, nsub);
}

bool vm_echo_unload(void)
{
	return vm_rmmod_expect(VM_ECHO_DRV);
}
