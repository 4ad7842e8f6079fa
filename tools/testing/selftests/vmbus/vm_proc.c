// SPDX-License-Identifier: GPL-2.0
/*
 * Processes and the kernel log: commands run with a deadline (modprobe,
 * rmmod), the module list, writes to the echo driver's `run` file from a
 * child process, and kernel log lines counted since a mark (/dev/kmsg).
 *
 * Return convention: 0 (or a count, an exit status, a pid, where the comment
 * says so) on success, a negative errno on failure, after a diagnostic.
 * vm_module_loaded() is a query and returns its answer.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "vmbus_util.h"

static void format_argv(char *buf, size_t len, const char *const argv[])
{
	size_t used = 0;
	int i;

	buf[0] = '\0';
	for (i = 0; argv[i] && used < len; i++)
		used += snprintf(buf + used, len - used, "%s%s", i ? " " : "",
				 argv[i]);
}

/*
 * Waits up to @timeout_ms for child @pid: 0 with its wait status in
 * *@status, -ETIMEDOUT (still running; the caller kills it) or -errno.
 */
int vm_reap(pid_t pid, unsigned int timeout_ms, int *status)
{
	uint64_t deadline = vm_now_ms() + timeout_ms;
	pid_t got;

	for (;;) {
		got = waitpid(pid, status, WNOHANG);
		if (got == pid)
			return 0;
		if (got < 0 && errno != EINTR)
			return -errno;
		if (vm_now_ms() >= deadline)
			return -ETIMEDOUT;
		vm_sleep_ms(VM_POLL_MS);
	}
}

static void child_exec(const char *const argv[])
{
	/* Keep the child's chatter off the TAP stream. */
	dup2(STDERR_FILENO, STDOUT_FILENO);
	execvp(argv[0], (char *const *)argv);
	fprintf(stderr, "cannot run %s: %s\n", argv[0], strerror(errno));
	_exit(127);
}

/*
 * Runs @argv and returns its exit status (128 + N if killed by signal N), or
 * -ETIMEDOUT if it ran past @timeout_ms (it is then killed), or -errno.
 */
int vm_run(unsigned int timeout_ms, const char *const argv[])
{
	uint64_t start = vm_now_ms();
	char cmd[256];
	int status, err;
	pid_t pid;

	format_argv(cmd, sizeof(cmd), argv);
	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid < 0) {
		ksft_print_msg("cannot fork for `%s`: %s\n", cmd, strerror(errno));
		return -errno;
	}
	if (pid == 0)
		child_exec(argv);
	err = vm_reap(pid, timeout_ms, &status);
	if (err == -ETIMEDOUT) {
		ksft_print_msg("`%s` still running after %u ms: killing it\n", cmd,
			       timeout_ms);
		kill(pid, SIGKILL);
		vm_reap(pid, VM_SETTLE_MS, &status);
		return -ETIMEDOUT;
	}
	if (err) {
		ksft_print_msg("waiting for `%s`: %s\n", cmd, strerror(-err));
		return err;
	}
	status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
	if (status)
		ksft_print_msg("`%s` exited with status %d after %" PRIu64 " ms\n", cmd,
			       status, vm_now_ms() - start);
	return status;
}

/*
 * hv_vmbus built into the kernel (CONFIG_HYPERV=y, the intree lane): no
 * module to load or unload.  Its `attached` parameter does what modprobe
 * and rmmod do to the module (Documentation/virt/hyperv/testing.rst,
 * "Built into the kernel"), so every test runs unchanged: Y connects to
 * the simulated host, N sends UNLOAD and removes every device.  The module
 * build has no such parameter.
 */
#define VM_ATTACHED "/sys/module/hv_vmbus/parameters/attached"

static bool builtin_core(const char *module)
{
	return !strcmp(module, "hv_vmbus") && vm_exists(VM_ATTACHED);
}

/*
 * A VMBus driver that is a loadable module (its /sys/module entry has an
 * initstate; a built-in one's has none): as its reference on the module
 * would, it keeps the core.
 */
static bool builtin_core_held(void)
{
	static const char drivers[] = "/sys/bus/vmbus/drivers";
	char path[512];
	struct dirent *d;
	bool held = false;
	DIR *dir;

	dir = opendir(drivers);
	if (!dir)
		return false;
	while (!held && (d = readdir(dir))) {
		if (d->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s/module/initstate", drivers, d->d_name);
		held = vm_exists(path);
		if (held)
			ksft_print_msg("hv_vmbus (built in): the driver %s of a module holds it\n",
				       d->d_name);
	}
	closedir(dir);
	return held;
}

/* Exit status as modprobe's or rmmod's: 0, or 1 after a diagnostic. */
static int builtin_attach(bool attach)
{
	int err = vm_write_file(VM_ATTACHED, attach ? "Y" : "N");

	if (err)
		ksft_print_msg("`echo %c > %s`: %s\n", attach ? 'Y' : 'N', VM_ATTACHED,
			       strerror(-err));
	return err ? 1 : 0;
}

int vm_modprobe(const char *module, unsigned int timeout_ms)
{
	const char *const argv[] = { "modprobe", module, NULL };

	if (builtin_core(module))
		return builtin_attach(true);
	return vm_run(timeout_ms, argv);
}

int vm_rmmod(const char *module, unsigned int timeout_ms)
{
	const char *const argv[] = { "rmmod", module, NULL };

	if (builtin_core(module)) {
		if (!vm_module_loaded(module)) {
			ksft_print_msg("rmmod: hv_vmbus (built in) is not attached\n");
			return 1;
		}
		return builtin_core_held() ? 1 : builtin_attach(false);
	}
	return vm_run(timeout_ms, argv);
}

bool vm_module_loaded(const char *module)
{
	const char *modules = getenv("VMBUS_PROC_MODULES");
	char *text, *line, *save;
	size_t len = strlen(module);
	bool found = false;

	if (builtin_core(module)) {
		if (vm_read_file(VM_ATTACHED, &text))
			return false;
		found = text[0] == 'Y';
		free(text);
		return found;
	}
	if (vm_read_file(modules && *modules ? modules : "/proc/modules", &text))
		return false;
	for (line = strtok_r(text, "\n", &save); line && !found;
	     line = strtok_r(NULL, "\n", &save))
		found = !strncmp(line, module, len) && line[len] == ' ';
	free(text);
	return found;
}

struct kmsg_scan {
	uint64_t from;		/* first sequence number of interest */
	const char *text;	/* NULL: only find the end */
	const char *also;	/* NULL, or a second text the line must hold */
	bool whole_line;
	unsigned int show;	/* print the first @show matches */
	int count;
	uint64_t next;		/* one past the last record seen */
	bool any;
};

static bool kmsg_matches(const struct kmsg_scan *s, const char *msg)
{
	if (s->also && !strstr(msg, s->also))
		return false;
	return s->whole_line ? !strcmp(msg, s->text) : !!strstr(msg, s->text);
}

/* One /dev/kmsg record: "prio,seq,usec,flags[,...];text\n[ KEY=value\n...]". */
static int kmsg_record(struct kmsg_scan *s, char *rec)
{
	char *msg = strchr(rec, ';'), *nl;
	uint64_t seq;

	if (!msg || sscanf(rec, "%*u,%" SCNu64 ",", &seq) != 1)
		return -EINVAL;
	msg++;
	nl = strchr(msg, '\n');
	if (nl)
		*nl = '\0';
	if (!s->any && s->from && seq > s->from) {
		ksft_print_msg("/dev/kmsg: records %" PRIu64 "..%" PRIu64
			       " were overwritten before they could be read\n",
			       s->from, seq - 1);
		return -EPIPE;
	}
	s->any = true;
	s->next = seq + 1;
	if (s->text && seq >= s->from && kmsg_matches(s, msg) &&
	    (unsigned int)++s->count <= s->show)
		ksft_print_msg("kernel log: %s\n", msg);
	return 0;
}

static int kmsg_scan(struct kmsg_scan *s)
{
	char rec[8192];
	int fd, err = 0;
	ssize_t n;

	fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0) {
		ksft_print_msg("cannot open /dev/kmsg: %s\n", strerror(errno));
		return -errno;
	}
	while (!err) {
		n = read(fd, rec, sizeof(rec) - 1);
		if (n < 0 && (errno == EINTR || errno == EPIPE))
			continue;	/* EPIPE: skipped to the oldest record left */
		if (n < 0 && errno == EAGAIN)
			break;
		if (n < 0) {
			err = -errno;
			ksft_print_msg("reading /dev/kmsg: %s\n", strerror(errno));
			break;
		}
		rec[n] = '\0';
		err = kmsg_record(s, rec);
	}
	close(fd);
	return err;
}

/* Remembers the end of the kernel log: later counts see only newer lines. */
int vm_kmsg_mark(struct vm_kmsg_mark *mark)
{
	struct kmsg_scan s = { 0 };
	int err = kmsg_scan(&s);

	mark->next_seq = s.next;
	return err;
}

/*
 * Counts kernel log lines after @mark that contain @text (or, with
 * @whole_line, are exactly @text); -errno when the lines since the mark
 * cannot all be read.
 */
int vm_kmsg_count(const struct vm_kmsg_mark *mark, const char *text, bool whole_line)
{
	struct kmsg_scan s = {
		.from = mark->next_seq, .text = text, .whole_line = whole_line,
	};
	int err = kmsg_scan(&s);

	return err ? err : s.count;
}

struct kmsg_wait {
	const struct vm_kmsg_mark *mark;
	const char *text;
	bool whole_line;
};

static bool kmsg_logged(void *arg)
{
	struct kmsg_wait *w = arg;

	return vm_kmsg_count(w->mark, w->text, w->whole_line) > 0;
}

bool vm_wait_kmsg(const struct vm_kmsg_mark *mark, const char *text, bool whole_line,
		  unsigned int timeout_ms)
{
	struct kmsg_wait w = { .mark = mark, .text = text, .whole_line = whole_line };

	return vm_wait_until(kmsg_logged, &w, timeout_ms, "kernel log line %s'%s'",
			     whole_line ? "" : "containing ", text);
}

int vm_kmsg_grep(const struct vm_kmsg_mark *mark, const char *text,
		 const char *also, unsigned int show)
{
	struct kmsg_scan s = {
		.from = mark->next_seq, .text = text, .also = also, .show = show,
	};
	int err = kmsg_scan(&s);

	return err ? err : s.count;
}

int vm_echo_run_start(const char *instance, const char *cmd)
{
	char path[512];
	pid_t pid;
	int err;

	vm_echo_path(path, sizeof(path), instance, "run");
	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid < 0) {
		err = -errno;
		ksft_print_msg("cannot fork for `%s` > %s: %s\n", cmd, path, strerror(errno));
		return err;
	}
	if (pid == 0)
		_exit(-vm_write_errno(path, cmd) & 0xff);
	return pid;
}

int vm_echo_run_wait(int pid, const char *cmd, unsigned int timeout_ms)
{
	uint64_t start = vm_now_ms();
	int status, err;

	err = vm_reap(pid, timeout_ms, &status);
	if (err == -ETIMEDOUT) {
		ksft_print_msg("`%s` > run: the write has not returned after %u ms\n", cmd,
			       timeout_ms);
		kill(pid, SIGKILL);
		vm_reap(pid, VM_RMMOD_MS, &status);
		return -ETIMEDOUT;
	}
	if (err) {
		ksft_print_msg("waiting for `%s` > run: %s\n", cmd, strerror(-err));
		return err;
	}
	if (!WIFEXITED(status)) {
		ksft_print_msg("`%s` > run: writer killed by signal %d\n", cmd, WTERMSIG(status));
		return -EINTR;
	}
	err = -WEXITSTATUS(status);
	if (err)
		ksft_print_msg("`%s` > run: write failed after %" PRIu64 " ms: %s\n", cmd,
			       vm_now_ms() - start, strerror(-err));
	return err;
}

int vm_echo_run(const char *instance, const char *cmd, unsigned int timeout_ms)
{
	int pid = vm_echo_run_start(instance, cmd);

	return pid < 0 ? pid : vm_echo_run_wait(pid, cmd, timeout_ms);
}

bool vm_child_running(int pid)
{
	siginfo_t si = { 0 };

	return !waitid(P_PID, pid, &si, WEXITED | WNOHANG | WNOWAIT) && !si.si_pid;
}
