// SPDX-License-Identifier: GPL-2.0
/*
 * Helpers for the hv_utils tests; see ic_util.h.
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

#define KVP_DAEMON	"/usr/sbin/hv_kvp_daemon"
#define POWER_DIR	"/run/vmbus-power"
#define UTILS_DRIVER	VM_VMBUS_DRIVERS "/hv_utils"

static pid_t daemon_pid;	/* 0: none running */

/* ---- the simulator's ic/ files ------------------------------------------ */

int ic_control(const char *fmt, ...)
{
	va_list ap;
	int err;

	va_start(ap, fmt);
	err = vm_vwrite(VM_SIM, "ic/control", fmt, ap);
	va_end(ap);
	return err;
}

int ic_stats_load(struct vm_stats *st)
{
	return vm_stats_load(VM_SIM, "ic/stats", st);
}

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

int ic_device(enum ic_kind ic, char *buf, size_t len)
{
	char path[PATH_MAX], class_id[64], want[64];
	DIR *dir = opendir(VM_VMBUS_DEVICES);
	struct dirent *de;
	int err = -ENOENT;

	if (!dir)
		return -errno;
	snprintf(want, sizeof(want), "{%s}", ic_class[ic]);
	while ((de = readdir(dir))) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s/class_id", VM_VMBUS_DEVICES,
			 de->d_name);
		if (vm_read_text(path, class_id, sizeof(class_id)) ||
		    strcmp(class_id, want))
			continue;
		snprintf(buf, len, "%s", de->d_name);
		err = 0;
		break;
	}
	closedir(dir);
	return err;
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

/* `<op> <pool> status=<hex> key=<key> value=<value>` */
static int kvp_parse(const char *line, struct ic_kvp_result *r)
{
	const char *key = strstr(line, " key="), *value = strstr(line, " value=");
	size_t klen;

	memset(r, 0, sizeof(*r));
	if (sscanf(line, "%15s %u status=%" SCNx32, r->op, &r->pool, &r->status) != 3 ||
	    !key || !value || value < key)
		return -EINVAL;
	key += strlen(" key=");
	klen = value - key;
	if (klen >= sizeof(r->key))
		return -EINVAL;
	memcpy(r->key, key, klen);
	value += strlen(" value=");
	snprintf(r->value, sizeof(r->value), "%.*s", (int)strcspn(value, "\n"), value);
	return 0;
}

int ic_kvp(struct ic_kvp_result *r, const char *fmt, ...)
{
	char cmd[512], *text;
	va_list ap;
	int err;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	err = ic_control("%s", cmd);
	if (err)
		return err;
	err = vm_read(VM_SIM, "ic/kvp", &text);
	if (err)
		return err;
	err = kvp_parse(text, r);
	if (err)
		ksft_print_msg("cannot parse vmbus_sim/ic/kvp: '%s'\n", text);
	free(text);
	return err;
}

pid_t ic_kvp_daemon_start(void)
{
	pid_t pid;

	/* A second daemon would find the device busy and end. */
	if (daemon_pid > 0 && ic_kvp_daemon_alive(daemon_pid, NULL)) {
		ksft_print_msg("hv_kvp_daemon (pid %d) still runs\n", (int)daemon_pid);
		return -EBUSY;
	}

	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid < 0) {
		ksft_print_msg("cannot fork for %s: %s\n", KVP_DAEMON, strerror(errno));
		return -errno;
	}
	if (pid == 0) {
		/* Keep its chatter off the TAP stream. */
		dup2(STDERR_FILENO, STDOUT_FILENO);
		execl(KVP_DAEMON, KVP_DAEMON, "-n", (char *)NULL);
		fprintf(stderr, "cannot run %s: %s\n", KVP_DAEMON, strerror(errno));
		_exit(127);
	}
	daemon_pid = pid;
	return pid;
}

bool ic_kvp_daemon_alive(pid_t pid, int *status)
{
	int st;
	pid_t got = waitpid(pid, &st, WNOHANG);

	if (got == 0)
		return true;
	if (got == pid && status)
		*status = st;
	if (daemon_pid == pid)
		daemon_pid = 0;
	return false;
}

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

int ic_power_requests(const char *name)
{
	char *text, *line, *save;
	size_t len = strlen(name);
	int n = 0;

	if (vm_read_file(POWER_DIR "/requests", &text))
		return -ENOENT;
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
		n += !strncmp(line, name, len) && (line[len] == ' ' || !line[len]);
	free(text);
	return n;
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
	if (daemon_pid > 0)
		ic_kvp_daemon_stop(daemon_pid);
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
