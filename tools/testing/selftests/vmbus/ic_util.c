// SPDX-License-Identifier: GPL-2.0
/*
 * hv_utils tests: offering the integration components, loading hv_utils,
 * waiting for its bindings and counters, stopping hv_kvp_daemon, the
 * /sbin/poweroff recorder, and the IC life cycle (ic_setup(), ic_teardown()).
 * The ic/ files and the daemon's start are in ic_ctl.c.  See ic_util.h.
 *
 * Return convention: true on success, false after a diagnostic.
 * ic_power_recorder() says why not in *why instead (the caller skips).
 * ic_setup() bails out of the whole program before its plan on failure.
 */
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ic_util.h"

const char *const ic_name[IC_COUNT] = {
	[IC_HEARTBEAT]	= "heartbeat",
	[IC_SHUTDOWN]	= "shutdown",
	[IC_TIMESYNC]	= "timesync",
	[IC_KVP]	= "kvp",
};

/* HV_HEART_BEAT_GUID, HV_SHUTDOWN_GUID, HV_TS_GUID, HV_KVP_GUID. */
const char *const ic_class[IC_COUNT] = {
	[IC_HEARTBEAT]	= "57164f39-9115-4e78-ab55-382f3bd5422d",
	[IC_SHUTDOWN]	= "0e0b6031-5213-4934-818b-38d90ced39db",
	[IC_TIMESYNC]	= "9527e630-d0ae-497b-adce-e80ab0175caf",
	[IC_KVP]	= "a9a0f4e7-5a45-4d96-b827-8a841e8c03e6",
};

#define POWER_DIR	"/run/vmbus-power"
#define UTILS_DRIVER	VM_VMBUS_DRIVERS "/hv_utils"

/* ---- the simulator's ic/ files ------------------------------------------ */

bool ic_stat(const char *name, uint64_t *value)
{
	struct vm_stats st;

	return !ic_stats_load(&st) && vm_stat_get(&st, name, value);
}

struct stat_ge {
	const char *name;
	uint64_t min, got;
};

static bool stat_ge_reached(void *arg)
{
	struct stat_ge *w = arg;
	struct vm_stats st;

	if (vm_stats_load(VM_SIM, "ic/stats", &st) ||
	    !vm_stats_find(&st, w->name, &w->got))
		return false;
	return w->got >= w->min;
}

bool ic_wait_stat_ge(const char *name, uint64_t min, unsigned int timeout_ms)
{
	struct stat_ge w = { .name = name, .min = min };

	if (vm_wait_until(stat_ge_reached, &w, timeout_ms,
			  "vmbus_sim/ic/stats %s >= %" PRIu64, name, min))
		return true;
	ksft_print_msg("vmbus_sim/ic/stats %s is %" PRIu64 "\n", name, w.got);
	return false;
}

bool ic_offer(unsigned int mask)
{
	unsigned int ic;

	for (ic = 0; ic < IC_COUNT; ic++)
		if ((mask & IC_BIT(ic)) && ic_control("add %s", ic_name[ic]))
			return false;
	return true;
}

/* ---- hv_utils and the guest's devices -------------------------------------- */

bool ic_utils_load(void)
{
	return vm_modprobe_expect("hv_utils", VM_MODPROBE_MS);
}

bool ic_utils_unload(void)
{
	return vm_rmmod_expect("hv_utils");
}

bool ic_load(void)
{
	return vm_guest_load(VM_MODPROBE_MS) && ic_utils_load();
}

bool ic_bound(enum ic_kind ic)
{
	char instance[64], path[PATH_MAX], target[PATH_MAX];
	ssize_t n;

	if (ic_device(ic, instance, sizeof(instance)))
		return false;
	snprintf(path, sizeof(path), "%s/%s/driver", VM_VMBUS_DEVICES, instance);
	n = readlink(path, target, sizeof(target) - 1);
	if (n < 0)
		return false;
	target[n] = '\0';
	return !strcmp(strrchr(target, '/') ? strrchr(target, '/') + 1 : target,
		       "hv_utils");
}

static bool all_bound(void *arg)
{
	unsigned int mask = *(unsigned int *)arg, ic;

	for (ic = 0; ic < IC_COUNT; ic++)
		if ((mask & IC_BIT(ic)) && !ic_bound(ic))
			return false;
	return true;
}

bool ic_wait_bound(unsigned int mask, unsigned int timeout_ms)
{
	unsigned int ic;

	if (vm_wait_until(all_bound, &mask, timeout_ms,
			  "hv_utils bound to the offered components"))
		return true;
	for (ic = 0; ic < IC_COUNT; ic++)
		if (mask & IC_BIT(ic))
			ksft_print_msg("%s: %s\n", ic_name[ic],
				       ic_bound(ic) ? "bound to hv_utils" : "not bound");
	return false;
}

/* ---- KVP --------------------------------------------------------------------- */

bool ic_kvp_daemon_wait_exit(pid_t pid, unsigned int timeout_ms, int *status)
{
	uint64_t deadline = vm_now_ms() + timeout_ms;

	while (ic_kvp_daemon_alive(pid, status)) {
		if (vm_now_ms() >= deadline) {
			ksft_print_msg("timed out after %u ms waiting for hv_kvp_daemon "
				       "(pid %d) to end\n", timeout_ms, (int)pid);
			return false;
		}
		vm_sleep_ms(VM_POLL_MS);
	}
	return true;
}

void ic_kvp_daemon_stop(pid_t pid)
{
	int status;

	if (pid <= 0 || !ic_kvp_daemon_alive(pid, NULL))
		return;
	kill(pid, SIGTERM);
	if (!ic_kvp_daemon_wait_exit(pid, VM_SETTLE_MS, &status)) {
		kill(pid, SIGKILL);
		ic_kvp_daemon_wait_exit(pid, VM_SETTLE_MS, &status);
	}
}

/* ---- /sbin/poweroff recorder (qemu/vmbus-power) ------------------------------ */

bool ic_power_recorder(const char **why)
{
	if (!vm_exists(POWER_DIR "/requests")) {
		*why = "no " POWER_DIR "/requests: not the vmbus test initramfs, "
		       "a shutdown request would really power off";
		return false;
	}
	if (vm_exists(POWER_DIR "/armed")) {
		*why = POWER_DIR "/armed: a shutdown request would end the run";
		return false;
	}
	return true;
}

/* ---- life cycle ---------------------------------------------------------------- */

static bool no_ic_device(void *arg)
{
	char instance[64];
	unsigned int ic;

	(void)arg;
	for (ic = 0; ic < IC_COUNT; ic++)
		if (!ic_device(ic, instance, sizeof(instance)))
			return false;
	return true;
}

/* Takes every IC device away again, while hv_vmbus still runs. */
static bool ic_rescind_offered(void)
{
	struct vm_stats st;
	char name[64];
	uint64_t offered;
	unsigned int ic;
	bool ok = true;

	if (ic_stats_load(&st))
		return false;
	for (ic = 0; ic < IC_COUNT; ic++) {
		snprintf(name, sizeof(name), "%s_offered", ic_name[ic]);
		if (vm_stats_find(&st, name, &offered) && offered)
			ok &= !ic_control("rescind %s", ic_name[ic]);
	}
	if (vm_module_loaded("hv_vmbus"))
		ok &= vm_wait_until(no_ic_device, NULL, VM_MODPROBE_MS,
				    "the IC devices to leave the guest's bus");
	return ok;
}

static bool ic_setup_done, ic_teardown_done;

bool ic_teardown(void)
{
	bool ok = true;

	ic_teardown_done = true;
	if (ic_kvp_daemon_running())
		ic_kvp_daemon_stop(ic_kvp_daemon_running());
	if (vm_module_loaded("hv_utils"))
		ok &= ic_utils_unload();
	ok &= ic_rescind_offered();
	return ok;
}

static void ic_teardown_at_exit(void)
{
	if (ic_setup_done && !ic_teardown_done) {
		ksft_print_msg("exiting early: stopping hv_kvp_daemon, unloading hv_utils, "
			       "rescinding the IC devices\n");
		ic_teardown();
	}
}

void ic_setup(void)
{
	char dir[512];

	vm_path(dir, sizeof(dir), VM_SIM, "ic");
	if (!vm_exists(dir))
		ksft_exit_fail_msg("%s is absent: this simulator has no integration components\n",
				   dir);
	/* Counts start at 0: an earlier test may have used the components. */
	if (ic_control("reset_stats"))
		ksft_exit_fail_msg("%s/control: reset_stats failed\n", dir);
	/* Registered after vm_setup()'s handler, so it runs before it. */
	atexit(ic_teardown_at_exit);
	ic_setup_done = true;
}
