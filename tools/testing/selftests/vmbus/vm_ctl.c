// SPDX-License-Identifier: GPL-2.0
/*
 * vmbusctl from a test: one command line, its exit status and what it wrote
 * to stdout and stderr (tools/vmbus/vmbusctl/, installed in the guest as
 * /usr/sbin/vmbusctl; $VMBUSCTL names another binary).
 *
 * Return convention: the exit status (>= 0), or a negative errno after a
 * diagnostic; vm_ctl_ok() 0 or a negative errno.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/wait.h>

#include "vmbus_util.h"

enum { VM_CTL_MS = 120000, VM_CTL_ARGS = 24 };

const char *vm_ctl_path(void)
{
	const char *env = getenv("VMBUSCTL");

	if (env && *env)
		return env;
	if (!access("/usr/sbin/vmbusctl", X_OK))
		return "/usr/sbin/vmbusctl";
	return "./vmbusctl";
}

/* Up to @len - 1 bytes of @fd from its start, NUL-terminated. */
static void slurp(int fd, char *buf, size_t len)
{
	ssize_t n = pread(fd, buf, len - 1, 0);

	buf[n > 0 ? n : 0] = '\0';
	close(fd);
}

static int ctl_child(char *const argv[], int out, int err)
{
	dup2(out, STDOUT_FILENO);
	dup2(err, STDERR_FILENO);
	execv(argv[0], argv);
	fprintf(stderr, "cannot run %s: %s\n", argv[0], strerror(errno));
	_exit(127);
}

/* Waits for @pid up to VM_CTL_MS: its exit status, or -ETIMEDOUT (killed) or -errno. */
static int ctl_reap(pid_t pid, const char *cmd)
{
	int status, err = vm_reap(pid, VM_CTL_MS, &status);

	if (err == -ETIMEDOUT) {
		ksft_print_msg("`vmbusctl %s` still running after %u ms: killing it\n", cmd,
			       VM_CTL_MS);
		kill(pid, SIGKILL);
		vm_reap(pid, VM_SETTLE_MS, &status);
	}
	if (err)
		return err;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

int vm_vctl(struct vm_ctl_out *o, const char *fmt, va_list ap)
{
	char line[sizeof(o->cmd)], *argv[VM_CTL_ARGS + 2], *save, *w;
	char out_name[] = "/tmp/vmbusctl-out.XXXXXX", err_name[] = "/tmp/vmbusctl-err.XXXXXX";
	int argc = 0, out, err;
	pid_t pid;

	vsnprintf(o->cmd, sizeof(o->cmd), fmt, ap);
	snprintf(line, sizeof(line), "%s", o->cmd);
	argv[argc++] = (char *)vm_ctl_path();
	for (w = strtok_r(line, " ", &save); w && argc <= VM_CTL_ARGS;
	     w = strtok_r(NULL, " ", &save))
		argv[argc++] = w;
	argv[argc] = NULL;
	o->out[0] = '\0';
	o->err[0] = '\0';
	out = mkstemp(out_name);
	err = mkstemp(err_name);
	if (out < 0 || err < 0) {
		ksft_print_msg("vmbusctl %s: temporary files: %s\n", o->cmd, strerror(errno));
		return -errno;
	}
	unlink(out_name);
	unlink(err_name);
	fflush(stdout);
	pid = fork();
	if (!pid)
		ctl_child(argv, out, err);
	o->status = pid < 0 ? -errno : ctl_reap(pid, o->cmd);
	slurp(out, o->out, sizeof(o->out));
	slurp(err, o->err, sizeof(o->err));
	return o->status;
}

int vm_ctl(struct vm_ctl_out *o, const char *fmt, ...)
{
	va_list ap;
	int ret;

	va_start(ap, fmt);
	ret = vm_vctl(o, fmt, ap);
	va_end(ap);
	return ret;
}

int vm_ctl_ok(const char *fmt, ...)
{
	static struct vm_ctl_out o;
	va_list ap;

	va_start(ap, fmt);
	vm_vctl(&o, fmt, ap);
	va_end(ap);
	if (!o.status)
		return 0;
	ksft_print_msg("FAIL: `vmbusctl %s` exited with %d: %s\n", o.cmd, o.status, o.err);
	return o.status < 0 ? o.status : -EIO;
}
