// SPDX-License-Identifier: GPL-2.0
/*
 * hv_utils tests: the simulator's ic/ files (control, stats, kvp), the IC
 * devices on the guest's bus, hv_kvp_daemon as a child process and the
 * /sbin/poweroff recorder's log.  See ic_util.h.
 *
 * Return convention: 0 (or the count, the pid the comment names) on
 * success, a negative errno on failure, after a diagnostic.
 * ic_kvp_daemon_alive() and ic_kvp_daemon_running() are queries and return
 * their answer.
 */
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ic_util.h"

#define KVP_DAEMON	"/usr/sbin/hv_kvp_daemon"
#define POWER_DIR	"/run/vmbus-power"

static pid_t daemon_pid;	/* 0: none running */

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

pid_t ic_kvp_daemon_running(void)
{
	if (daemon_pid > 0 && !ic_kvp_daemon_alive(daemon_pid, NULL))
		daemon_pid = 0;
	return daemon_pid;
}
