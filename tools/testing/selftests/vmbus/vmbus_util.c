// SPDX-License-Identifier: GPL-2.0
/*
 * Helpers shared by the vmbus selftests; see vmbus_util.h.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "vmbus_util.h"

static const char *const side_dir[] = {
	[VM_SIM]	= "vmbus_sim",
	[VM_GUEST]	= "hv_vmbus",
};

/* ---- files ------------------------------------------------------------ */

static const char *debugfs_root(void)
{
	const char *root = getenv("VMBUS_DEBUGFS_ROOT");

	return root && *root ? root : "/sys/kernel/debug";
}

int vm_path(char *buf, size_t len, enum vm_side side, const char *file)
{
	int n = snprintf(buf, len, "%s/%s%s%s", debugfs_root(), side_dir[side],
			 file ? "/" : "", file ? file : "");

	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

bool vm_exists(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0;
}

static int read_fd(int fd, char **out)
{
	size_t len = 0, cap = 4096;
	char *buf = malloc(cap);
	ssize_t n;

	if (!buf)
		return -ENOMEM;
	for (;;) {
		if (cap - len < 2048) {
			char *bigger = realloc(buf, cap * 2);

			if (!bigger) {
				free(buf);
				return -ENOMEM;
			}
			buf = bigger;
			cap *= 2;
		}
		n = read(fd, buf + len, cap - len - 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			free(buf);
			return -errno;
		}
		if (n == 0)
			break;
		len += n;
	}
	buf[len] = '\0';
	*out = buf;
	return 0;
}

/* Returns the whole file, NUL-terminated, to be freed by the caller. */
char *vm_read_file(const char *path)
{
	char *text = NULL;
	int fd, err;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		ksft_print_msg("cannot open %s: %s\n", path, strerror(errno));
		return NULL;
	}
	err = read_fd(fd, &text);
	close(fd);
	if (err)
		ksft_print_msg("cannot read %s: %s\n", path, strerror(-err));
	return text;
}

/* One write() of @text, as `echo -n` would do it. */
int vm_write_file(const char *path, const char *text)
{
	size_t len = strlen(text);
	ssize_t n;
	int fd, err = 0;

	fd = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC);
	if (fd < 0) {
		err = -errno;
		ksft_print_msg("cannot open %s for writing: %s\n", path, strerror(errno));
		return err;
	}
	n = write(fd, text, len);
	if (n < 0)
		err = -errno;
	else if ((size_t)n != len)
		err = -EIO;
	if (close(fd) && !err)
		err = -errno;
	if (err)
		ksft_print_msg("writing '%s' to %s failed: %s\n", text, path, strerror(-err));
	return err;
}

char *vm_read(enum vm_side side, const char *file)
{
	char path[512];

	if (vm_path(path, sizeof(path), side, file))
		return NULL;
	return vm_read_file(path);
}

int vm_vwrite(enum vm_side side, const char *file, const char *fmt, va_list ap)
{
	char path[512], text[1024];
	int n;

	n = vsnprintf(text, sizeof(text), fmt, ap);
	if (n < 0 || (size_t)n >= sizeof(text) ||
	    vm_path(path, sizeof(path), side, file))
		return -ENAMETOOLONG;
	return vm_write_file(path, text);
}

int vm_write(enum vm_side side, const char *file, const char *fmt, ...)
{
	va_list ap;
	int err;

	va_start(ap, fmt);
	err = vm_vwrite(side, file, fmt, ap);
	va_end(ap);
	return err;
}

/* ---- `name value` files ----------------------------------------------- */

/*
 * Decimal, hexadecimal with a 0x prefix (the `version` lines), or a
 * version "M.m" (the IC stats), stored as M << 16 | m.
 */
static int parse_value(const char *s, uint64_t *value)
{
	bool hex = s[0] == '0' && (s[1] == 'x' || s[1] == 'X');
	uint64_t minor;
	char *end;

	if (!*s || *s == '-')
		return -EINVAL;
	errno = 0;
	*value = strtoull(s, &end, hex ? 16 : 10);
	if (!hex && !errno && end != s && *end == '.' && *value <= 0xffff &&
	    end[1] >= '0' && end[1] <= '9') {
		minor = strtoull(end + 1, &end, 10);
		if (errno || *end || minor > 0xffff)
			return -EINVAL;
		*value = *value << 16 | minor;
		return 0;
	}
	if (errno || end == s || *end)
		return -EINVAL;
	return 0;
}

static int stats_parse_line(char *line, struct vm_stats *st, unsigned int lineno)
{
	char *name, *value, *extra, *save;
	struct vm_stat *stat;

	name = strtok_r(line, " \t", &save);
	if (!name)
		return 0;	/* blank line */
	value = strtok_r(NULL, " \t", &save);
	extra = strtok_r(NULL, " \t", &save);
	if (st->count == VM_STATS_MAX || strlen(name) >= VM_NAME_MAX ||
	    !value || extra) {
		ksft_print_msg("%s line %u: not `name value`\n", st->label, lineno);
		return -EINVAL;
	}
	stat = &st->stat[st->count];
	strcpy(stat->name, name);
	if (parse_value(value, &stat->value)) {
		ksft_print_msg("%s line %u: bad value '%s' for %s\n", st->label, lineno,
			       value, name);
		return -EINVAL;
	}
	st->count++;
	return 0;
}

/* Parses @text into @st; @st->label must be set (it names the file). */
int vm_stats_parse(const char *text, struct vm_stats *st)
{
	char *copy = strdup(text), *line, *save;
	unsigned int lineno = 0;
	int err = 0;

	if (!copy)
		return -ENOMEM;
	st->count = 0;
	for (line = strtok_r(copy, "\n", &save); line && !err;
	     line = strtok_r(NULL, "\n", &save))
		err = stats_parse_line(line, st, ++lineno);
	free(copy);
	return err;
}

int vm_stats_load(enum vm_side side, const char *file, struct vm_stats *st)
{
	char *text;
	int err;

	snprintf(st->label, sizeof(st->label), "%s/%s", side_dir[side], file);
	st->count = 0;
	text = vm_read(side, file);
	if (!text)
		return -EIO;
	err = vm_stats_parse(text, st);
	free(text);
	return err;
}

bool vm_stats_find(const struct vm_stats *st, const char *name, uint64_t *value)
{
	unsigned int i;

	for (i = 0; i < st->count; i++) {
		if (!strcmp(st->stat[i].name, name)) {
			*value = st->stat[i].value;
			return true;
		}
	}
	return false;
}

/* Like vm_stats_find(), but a missing line is a failure worth a diagnostic. */
bool vm_stat_get(const struct vm_stats *st, const char *name, uint64_t *value)
{
	*value = 0;
	return vm_expect(vm_stats_find(st, name, value), "%s has no '%s' line",
			 st->label, name);
}

bool vm_expect_stat(const struct vm_stats *st, const char *name, uint64_t want)
{
	char what[VM_LABEL_MAX + VM_NAME_MAX + 2];
	uint64_t got;

	if (!vm_stat_get(st, name, &got))
		return false;
	snprintf(what, sizeof(what), "%s %s", st->label, name);
	return vm_expect_eq(what, want, got);
}

bool vm_expect_stat_ge(const struct vm_stats *st, const char *name, uint64_t min)
{
	char what[VM_LABEL_MAX + VM_NAME_MAX + 2];
	uint64_t got;

	if (!vm_stat_get(st, name, &got))
		return false;
	snprintf(what, sizeof(what), "%s %s", st->label, name);
	return vm_expect_ge(what, min, got);
}

/* msg_in / msg_out list only the types seen: a missing line means 0. */
bool vm_expect_msgs(const struct vm_stats *st, const char *name, uint64_t want)
{
	char what[VM_LABEL_MAX + VM_NAME_MAX + 2];
	uint64_t got = 0;

	vm_stats_find(st, name, &got);
	snprintf(what, sizeof(what), "%s %s", st->label, name);
	return vm_expect_eq(what, want, got);
}

struct stat_wait {
	enum vm_side side;
	const char *file, *name;
	uint64_t want, last;
	bool seen;
};

static bool stat_reached(void *arg)
{
	struct stat_wait *w = arg;
	struct vm_stats st;
	char *text;

	snprintf(st.label, sizeof(st.label), "%s/%s", side_dir[w->side], w->file);
	text = vm_read(w->side, w->file);
	if (!text)
		return false;
	w->seen = !vm_stats_parse(text, &st) &&
		  vm_stats_find(&st, w->name, &w->last);
	free(text);
	return w->seen && w->last == w->want;
}

/* Counters the host updates after a guest call returned may lag a little. */
bool vm_wait_stat(enum vm_side side, const char *file, const char *name,
		  uint64_t want, unsigned int timeout_ms)
{
	struct stat_wait w = {
		.side = side, .file = file, .name = name, .want = want,
	};

	if (vm_wait_until(stat_reached, &w, timeout_ms, "%s/%s %s == %" PRIu64,
			  side_dir[side], file, name, want))
		return true;
	if (w.seen)
		ksft_print_msg("%s/%s %s: expected %" PRIu64 ", got %" PRIu64 "\n",
			       side_dir[side], file, name, want, w.last);
	else
		ksft_print_msg("%s/%s has no readable '%s' line\n", side_dir[side],
			       file, name);
	return false;
}

/* ---- commands and modules --------------------------------------------- */

static void format_argv(char *buf, size_t len, const char *const argv[])
{
	size_t used = 0;
	int i;

	buf[0] = '\0';
	for (i = 0; argv[i] && used < len; i++)
		used += snprintf(buf + used, len - used, "%s%s", i ? " " : "",
				 argv[i]);
}

static int reap(pid_t pid, unsigned int timeout_ms, int *status)
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
	err = reap(pid, timeout_ms, &status);
	if (err == -ETIMEDOUT) {
		ksft_print_msg("`%s` still running after %u ms: killing it\n", cmd,
			       timeout_ms);
		kill(pid, SIGKILL);
		reap(pid, VM_SETTLE_MS, &status);
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

int vm_modprobe(const char *module, unsigned int timeout_ms)
{
	const char *const argv[] = { "modprobe", module, NULL };

	return vm_run(timeout_ms, argv);
}

int vm_rmmod(const char *module, unsigned int timeout_ms)
{
	const char *const argv[] = { "rmmod", module, NULL };

	return vm_run(timeout_ms, argv);
}

bool vm_module_loaded(const char *module)
{
	const char *modules = getenv("VMBUS_PROC_MODULES");
	char *text, *line, *save;
	size_t len = strlen(module);
	bool found = false;

	text = vm_read_file(modules && *modules ? modules : "/proc/modules");
	if (!text)
		return false;
	for (line = strtok_r(text, "\n", &save); line && !found;
	     line = strtok_r(NULL, "\n", &save))
		found = !strncmp(line, module, len) && line[len] == ' ';
	free(text);
	return found;
}

bool vm_modprobe_expect(const char *module, unsigned int timeout_ms)
{
	return vm_expect(!vm_modprobe(module, timeout_ms),
			 "`modprobe %s`: expected exit status 0", module);
}

bool vm_rmmod_expect(const char *module)
{
	return vm_expect(!vm_rmmod(module, VM_RMMOD_MS),
			 "`rmmod %s`: expected exit status 0", module);
}

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

/* ---- time and waits ----------------------------------------------------- */

uint64_t vm_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void vm_sleep_ms(unsigned int ms)
{
	struct timespec ts = {
		.tv_sec = ms / 1000,
		.tv_nsec = (long)(ms % 1000) * 1000000,
	};

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

/*
 * Polls @done every VM_POLL_MS until it returns true or @timeout_ms passed;
 * on timeout says what it waited for (the printf-style rest).
 */
bool vm_wait_until(bool (*done)(void *arg), void *arg, unsigned int timeout_ms,
		   const char *fmt, ...)
{
	uint64_t start = vm_now_ms();
	char what[256];
	va_list ap;

	for (;;) {
		if (done(arg))
			return true;
		if (vm_now_ms() - start >= timeout_ms)
			break;
		vm_sleep_ms(VM_POLL_MS);
	}
	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	ksft_print_msg("timed out after %u ms waiting for %s\n", timeout_ms, what);
	return false;
}

bool vm_wait(const struct vm_wait *w, const char *fmt, ...)
{
	uint64_t start = vm_now_ms(), next = w->progress_ms, elapsed;
	char what[256];
	va_list ap;

	for (;;) {
		if (w->done(w->arg))
			return true;
		elapsed = vm_now_ms() - start;
		if (elapsed >= w->timeout_ms)
			break;
		if (w->progress && w->progress_ms && elapsed >= next) {
			w->progress(w->arg, elapsed);
			next = elapsed + w->progress_ms;
		}
		vm_sleep_ms(w->poll_ms ? w->poll_ms : VM_POLL_MS);
	}
	if (w->progress)
		w->progress(w->arg, vm_now_ms() - start);
	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	ksft_print_msg("timed out after %u ms waiting for %s\n", w->timeout_ms, what);
	return false;
}

/* ---- kernel log ---------------------------------------------------------- */

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

int vm_kmsg_grep(const struct vm_kmsg_mark *mark, const char *text,
		 const char *also, unsigned int show)
{
	struct kmsg_scan s = {
		.from = mark->next_seq, .text = text, .also = also, .show = show,
	};
	int err = kmsg_scan(&s);

	return err ? err : s.count;
}

bool vm_expect_kmsg(const struct vm_kmsg_mark *mark, const char *text,
		    bool whole_line, int want)
{
	int got = vm_kmsg_count(mark, text, whole_line);

	if (got < 0)
		return false;
	return vm_expect(got == want, "kernel log lines %s '%s' since the mark: "
			 "expected %d, got %d", whole_line ? "equal to" :
			 "containing", text, want, got);
}

/* The guest's connect line, exactly as the ABI has it, @want times. */
bool vm_expect_version_lines(const struct vm_kmsg_mark *mark,
			     const char *version, int want)
{
	static const char prefix[] = "hv_vmbus: Vmbus version:";
	char line[64];

	snprintf(line, sizeof(line), "%s%s", prefix, version);
	return vm_expect_kmsg(mark, prefix, false, want) &&
	       vm_expect_kmsg(mark, line, true, want);
}

/* ---- message logs -------------------------------------------------------- */

static int msglog_parse_line(const char *line, struct vm_msg *m)
{
	char crc[16];
	int end = 0;

	if (sscanf(line, "%" SCNu64 " %u %u %15s%n", &m->seq, &m->type,
		   &m->size, crc, &end) != 4 || line[end] != '\0' ||
	    strlen(crc) != 8 || strspn(crc, "0123456789abcdef") != 8)
		return -EINVAL;
	m->crc = strtoul(crc, NULL, 16);
	return 0;
}

/* Parses @text into @log; @log->label must be set (it names the file). */
int vm_msglog_parse(const char *text, struct vm_msglog *log)
{
	size_t lines = 1, n = 0;
	const char *p, *line;
	char buf[128];

	for (p = text; *p; p++)
		lines += *p == '\n';
	log->msg = calloc(lines, sizeof(*log->msg));
	log->count = 0;
	if (!log->msg)
		return -ENOMEM;
	for (line = text; *line; line = *p ? p + 1 : p) {
		p = strchrnul(line, '\n');
		n++;
		if ((size_t)(p - line) >= sizeof(buf))
			goto bad;
		memcpy(buf, line, p - line);
		buf[p - line] = '\0';
		if (msglog_parse_line(buf, &log->msg[log->count]))
			goto bad;
		log->count++;
	}
	return 0;
bad:
	ksft_print_msg("%s line %zu: not `<seq> <type> <size> <crc32 as %%08x>`: '%.*s'\n",
		       log->label, n, (int)(p - line), line);
	vm_msglog_free(log);
	return -EINVAL;
}

int vm_msglog_load(enum vm_side side, const char *file, struct vm_msglog *log)
{
	char *text;
	int err;

	snprintf(log->label, sizeof(log->label), "%s/%s", side_dir[side], file);
	log->msg = NULL;
	log->count = 0;
	text = vm_read(side, file);
	if (!text)
		return -EIO;
	err = vm_msglog_parse(text, log);
	free(text);
	return err;
}

void vm_msglog_free(struct vm_msglog *log)
{
	free(log->msg);
	log->msg = NULL;
	log->count = 0;
}

static void msg_format(char *buf, size_t len, const struct vm_msglog *log, size_t i)
{
	const struct vm_msg *m = &log->msg[i];

	if (i >= log->count)
		snprintf(buf, len, "(no line)");
	else
		snprintf(buf, len, "'%" PRIu64 " %u %u %08x'", m->seq, m->type,
			 m->size, m->crc);
}

static bool msg_equal(const struct vm_msg *a, const struct vm_msg *b)
{
	return a->seq == b->seq && a->type == b->type && a->size == b->size &&
	       a->crc == b->crc;
}

/* The log holds every message since it was cleared: seq runs 1, 2, ... */
bool vm_msglog_expect_complete(const struct vm_msglog *log)
{
	size_t i;

	for (i = 0; i < log->count; i++) {
		if (log->msg[i].seq != i + 1)
			return vm_expect(false, "%s line %zu: seq %" PRIu64
					 ", expected %zu (ring wrapped or lines lost)",
					 log->label, i + 1, log->msg[i].seq, i + 1);
	}
	return true;
}

/* Compares the first @n lines of both logs, reporting the first difference. */
static bool msglog_expect_prefix(const struct vm_msglog *a,
				 const struct vm_msglog *b, size_t n)
{
	char la[64], lb[64];
	size_t i;

	for (i = 0; i < n; i++) {
		if (i < a->count && i < b->count && msg_equal(&a->msg[i], &b->msg[i]))
			continue;
		msg_format(la, sizeof(la), a, i);
		msg_format(lb, sizeof(lb), b, i);
		return vm_expect(false, "first difference at line %zu: %s has %s, "
				 "%s has %s", i + 1, a->label, la, b->label, lb);
	}
	return true;
}

/* Both logs hold the same messages, line for line, all four fields. */
bool vm_msglog_expect_equal(const struct vm_msglog *a, const struct vm_msglog *b)
{
	size_t n = a->count > b->count ? a->count : b->count;
	bool ok = vm_msglog_expect_complete(a) & vm_msglog_expect_complete(b);

	if (a->count != b->count)
		ksft_print_msg("%s has %zu lines, %s has %zu\n", a->label, a->count,
			       b->label, b->count);
	return msglog_expect_prefix(a, b, n) && ok;
}

/* @after is @before plus exactly one message, of @type, with the next seq. */
bool vm_msglog_expect_one_more(const struct vm_msglog *before,
			       const struct vm_msglog *after, unsigned int type)
{
	const struct vm_msg *last;
	bool ok;

	ok = vm_msglog_expect_complete(after) &&
	     vm_expect(after->count == before->count + 1,
		       "%s: expected %zu lines (%zu before plus one of type %u), got %zu",
		       after->label, before->count + 1, before->count, type,
		       after->count) &&
	     msglog_expect_prefix(before, after, before->count);
	if (!ok)
		return false;
	last = &after->msg[before->count];
	return vm_expect(last->type == type, "%s last line: expected type %u, got %u",
			 after->label, type, last->type);
}

/* Lines first+1 .. first+count are all messages of @type. */
bool vm_msglog_expect_types(const struct vm_msglog *log, size_t first,
			    size_t count, unsigned int type)
{
	size_t i;

	if (!vm_expect(log->count >= first + count, "%s: expected at least %zu "
		       "lines, got %zu", log->label, first + count, log->count))
		return false;
	for (i = first; i < first + count; i++) {
		if (log->msg[i].type != type)
			return vm_expect(false, "%s line %zu: expected type %u, got %u",
					 log->label, i + 1, type, log->msg[i].type);
	}
	return true;
}

/* ---- versions ------------------------------------------------------------ */

/* The guest's list, tried highest first (INTERFACES.md). */
const char *const vm_guest_versions[] = {
	"5.3", "5.2", "5.1", "5.0", "4.1", "4.0", "3.0", "2.4",
};
const unsigned int vm_guest_version_count =
	sizeof(vm_guest_versions) / sizeof(vm_guest_versions[0]);

uint32_t vm_version_code(const char *version)
{
	unsigned int major = 0, minor = 0;

	if (sscanf(version, "%u.%u", &major, &minor) != 2)
		ksft_exit_fail_msg("bad version string '%s'\n", version);
	return major << 16 | minor;
}

/* How many guest versions a host with @ceiling refuses before one fits. */
unsigned int vm_versions_above(const char *ceiling)
{
	uint32_t limit = vm_version_code(ceiling);
	unsigned int i, above = 0;

	for (i = 0; i < vm_guest_version_count; i++)
		above += vm_version_code(vm_guest_versions[i]) > limit;
	return above;
}

/* ---- simulated host: modes and devices, restored at teardown ----------- */

enum { VM_MODES_MAX = 16 };

static struct {
	struct {
		char mode[32];
		char value[64];
	} mode[VM_MODES_MAX];
	unsigned int modes;
	char *devices;		/* the device list found at setup */
	bool setup_done, teardown_done;
} sim;

static int sim_save_mode(const char *mode)
{
	unsigned int i;
	char *value;

	for (i = 0; i < sim.modes; i++)
		if (!strcmp(sim.mode[i].mode, mode))
			return 0;
	if (sim.modes == VM_MODES_MAX || strlen(mode) >= sizeof(sim.mode[0].mode))
		ksft_exit_fail_msg("too many or too long sim modes to restore (%s)\n", mode);
	value = vm_read(VM_SIM, mode);
	if (!value)
		return -EIO;
	value[strcspn(value, "\n")] = '\0';
	snprintf(sim.mode[sim.modes].mode, sizeof(sim.mode[0].mode), "%s", mode);
	snprintf(sim.mode[sim.modes].value, sizeof(sim.mode[0].value), "%s", value);
	sim.modes++;
	free(value);
	return 0;
}

/* Sets a sim mode; the first change of each remembers its value for teardown. */
int vm_sim_set(const char *mode, const char *fmt, ...)
{
	char value[64];
	va_list ap;
	int err;

	va_start(ap, fmt);
	vsnprintf(value, sizeof(value), fmt, ap);
	va_end(ap);
	err = sim_save_mode(mode);
	return err ? err : vm_write(VM_SIM, mode, "%s", value);
}

static bool sim_restore_modes(void)
{
	bool ok = true;

	while (sim.modes) {
		sim.modes--;
		ok &= !vm_write(VM_SIM, sim.mode[sim.modes].mode, "%s",
				sim.mode[sim.modes].value);
	}
	return ok;
}

int vm_sim_reset_stats(void)
{
	return vm_write(VM_SIM, "reset_stats", "1");
}

int vm_sim_devices_add_test(unsigned int count)
{
	return vm_write(VM_SIM, "devices", "add_test %u", count);
}

int vm_sim_devices_clear(void)
{
	return vm_write(VM_SIM, "devices", "clear");
}

/* Sub-channel lines of @instance in the saved list (Issue 3 format). */
static unsigned int saved_subchannels(const char *instance)
{
	char *copy = strdup(sim.devices), *line, *save, class[64], inst[64];
	unsigned int relid, sub, n = 0;

	for (line = copy ? strtok_r(copy, "\n", &save) : NULL; line;
	     line = strtok_r(NULL, "\n", &save))
		n += sscanf(line, "%u %63s %63s %u", &relid, class, inst, &sub) == 4 &&
		     sub && !strcmp(inst, instance);
	free(copy);
	return n;
}

/*
 * Re-adds the devices found at setup (their relids may differ): lines
 * `relid class instance`, or `relid class instance sub_index state`, where
 * a primary brings its sub-channels back and a rescinded one stays away.
 */
static bool sim_restore_devices(void)
{
	char *line, *save, class[64], instance[64], state[16];
	bool ok = !vm_sim_devices_clear();
	unsigned int relid, sub, nsub;
	int n;

	if (!sim.devices)
		return ok;
	for (line = strtok_r(sim.devices, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		n = sscanf(line, "%u %63s %63s %u %15s", &relid, class, instance,
			   &sub, state);
		if (n != 3 && n != 5) {
			ok = vm_expect(false, "cannot parse saved device line '%s'",
				       line);
			continue;
		}
		if (n == 5 && (sub || strcmp(state, "offered")))
			continue;
		nsub = n == 5 ? saved_subchannels(instance) : 0;
		if (nsub)
			ok &= !vm_write(VM_SIM, "devices", "add %s %s %u", class,
					instance, nsub);
		else
			ok &= !vm_write(VM_SIM, "devices", "add %s %s", class,
					instance);
	}
	free(sim.devices);
	sim.devices = NULL;
	return ok;
}

/* ---- simulated host: the device table, events_set ----------------------- */

static bool guid_valid(const char *s)
{
	static const char hex[] = "0123456789abcdef";
	int i;

	if (strlen(s) != VM_GUID_LEN)
		return false;
	for (i = 0; i < VM_GUID_LEN; i++) {
		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (s[i] != '-')
				return false;
		} else if (!s[i] || !strchr(hex, s[i])) {
			return false;
		}
	}
	return true;
}

static int sim_dev_parse_line(const char *line, struct vm_sim_dev *d,
			      unsigned int lineno)
{
	char class[64], instance[64], state[16];
	int end = 0, n;

	n = sscanf(line, "%u %63s %63s %u %15s%n", &d->relid, class, instance,
		   &d->sub, state, &end);
	if (n == 3) {
		ksft_print_msg("vmbus_sim/devices line %u: '%s' has no sub_index and "
			       "state: the simulator lacks the Issue 3 format `relid "
			       "class instance sub_index state`\n", lineno, line);
		return -EINVAL;
	}
	if (n != 5 || line[end] || !d->relid || d->relid > VM_MAX_RELID ||
	    !guid_valid(class) || !guid_valid(instance) ||
	    (strcmp(state, "offered") && strcmp(state, "rescinded"))) {
		ksft_print_msg("vmbus_sim/devices line %u: not `relid class instance "
			       "sub_index offered|rescinded`: '%s'\n", lineno, line);
		return -EINVAL;
	}
	d->offered = !strcmp(state, "offered");
	strcpy(d->class_id, class);
	strcpy(d->instance, instance);
	return 0;
}

int vm_sim_devices_parse(const char *text, struct vm_sim_devs *devs)
{
	char *copy = strdup(text), *line, *save;
	size_t lines = 1;
	const char *p;
	int err = 0;

	devs->count = 0;
	for (p = text; *p; p++)
		lines += *p == '\n';
	devs->dev = calloc(lines, sizeof(*devs->dev));
	if (!copy || !devs->dev) {
		free(copy);
		vm_sim_devices_free(devs);
		return -ENOMEM;
	}
	for (line = strtok_r(copy, "\n", &save); line && !err;
	     line = strtok_r(NULL, "\n", &save)) {
		err = sim_dev_parse_line(line, &devs->dev[devs->count],
					 devs->count + 1);
		devs->count += !err;
	}
	free(copy);
	if (err)
		vm_sim_devices_free(devs);
	return err;
}

int vm_sim_devices_load(struct vm_sim_devs *devs)
{
	char *text = vm_read(VM_SIM, "devices");
	int err;

	devs->count = 0;
	devs->dev = NULL;
	if (!text)
		return -EIO;
	err = vm_sim_devices_parse(text, devs);
	free(text);
	return err;
}

void vm_sim_devices_free(struct vm_sim_devs *devs)
{
	free(devs->dev);
	devs->dev = NULL;
	devs->count = 0;
}

/* The line of @instance's channel @sub (0: the primary), or NULL. */
const struct vm_sim_dev *vm_sim_devices_find(const struct vm_sim_devs *devs,
					     const char *instance, unsigned int sub)
{
	size_t i;

	for (i = 0; i < devs->count; i++)
		if (devs->dev[i].sub == sub &&
		    !strcmp(devs->dev[i].instance, instance))
			return &devs->dev[i];
	return NULL;
}

/* Offered primaries: the devices the guest should show. */
size_t vm_sim_devices_primaries(const struct vm_sim_devs *devs)
{
	size_t i, n = 0;

	for (i = 0; i < devs->count; i++)
		n += !devs->dev[i].sub && devs->dev[i].offered;
	return n;
}

/* One command to the `devices` file (add, rescind, reoffer, burst, ...). */
int vm_sim_devices_cmd(const char *fmt, ...)
{
	char cmd[200];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	return vm_write(VM_SIM, "devices", "%s", cmd);
}

int vm_sim_events_set_load(uint64_t count[VM_MAX_RELID + 1])
{
	char *text = vm_read(VM_SIM, "events_set"), *line, *save;
	unsigned int lineno = 0, relid;
	uint64_t n;
	int end, err = 0;

	memset(count, 0, sizeof(*count) * (VM_MAX_RELID + 1));
	if (!text)
		return -EIO;
	for (line = strtok_r(text, "\n", &save); line && !err;
	     line = strtok_r(NULL, "\n", &save)) {
		lineno++;
		end = 0;
		if (sscanf(line, "%u %" SCNu64 "%n", &relid, &n, &end) != 2 ||
		    line[end] || !relid || relid > VM_MAX_RELID) {
			ksft_print_msg("vmbus_sim/events_set line %u: not `relid count`: "
				       "'%s'\n", lineno, line);
			err = -EINVAL;
			break;
		}
		count[relid] = n;
	}
	free(text);
	return err;
}

/* ---- the guest's sysfs -------------------------------------------------- */

/* A small file into @buf, the trailing newline dropped; -errno with a diagnostic. */
int vm_read_text(const char *path, char *buf, size_t len)
{
	ssize_t n;
	int fd, err = 0;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		err = -errno;
		ksft_print_msg("cannot open %s: %s\n", path, strerror(errno));
		return err;
	}
	do {
		n = read(fd, buf, len - 1);
	} while (n < 0 && errno == EINTR);
	if (n < 0) {
		err = -errno;
		ksft_print_msg("cannot read %s: %s\n", path, strerror(errno));
		n = 0;
	}
	close(fd);
	buf[n] = '\0';
	if (n && buf[n - 1] == '\n')
		buf[n - 1] = '\0';
	return err;
}

int vm_read_u64(const char *path, uint64_t *value)
{
	char buf[64];
	int err = vm_read_text(path, buf, sizeof(buf));

	if (err)
		return err;
	if (parse_value(buf, value)) {
		ksft_print_msg("%s: '%s' is not a number\n", path, buf);
		return -EINVAL;
	}
	return 0;
}

/* One write() of @text; -errno, and no diagnostic (the caller may expect it). */
int vm_write_errno(const char *path, const char *text)
{
	ssize_t n;
	int fd, err = 0;

	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = write(fd, text, strlen(text));
	if (n < 0)
		err = -errno;
	else if ((size_t)n != strlen(text))
		err = -EIO;
	if (close(fd) && !err)
		err = -errno;
	return err;
}

/* Entries of a directory, without . and ..; -errno. */
int vm_dir_count(const char *path)
{
	DIR *dir = opendir(path);
	struct dirent *de;
	int n = 0;

	if (!dir)
		return -errno;
	while ((de = readdir(dir)))
		n += strcmp(de->d_name, ".") && strcmp(de->d_name, "..");
	closedir(dir);
	return n;
}

/* Devices on the vmbus bus; 0 when the bus is gone (hv_vmbus unloaded). */
int vm_vmbus_device_count(void)
{
	int n = vm_dir_count(VM_VMBUS_DEVICES);

	return n == -ENOENT ? 0 : n;
}

struct dev_count_wait {
	unsigned int want;
	int last;
};

static bool dev_count_reached(void *arg)
{
	struct dev_count_wait *w = arg;

	w->last = vm_vmbus_device_count();
	return w->last == (int)w->want;
}

static void dev_count_progress(void *arg, uint64_t elapsed_ms)
{
	struct dev_count_wait *w = arg;

	ksft_print_msg("%s: %d entries after %" PRIu64 " ms (waiting for %u)\n",
		       VM_VMBUS_DEVICES, w->last, elapsed_ms, w->want);
}

/* Waits until the bus shows exactly @want devices. */
bool vm_wait_vmbus_devices(unsigned int want, unsigned int timeout_ms)
{
	struct dev_count_wait dw = { .want = want };
	struct vm_wait w = {
		.done = dev_count_reached, .progress = dev_count_progress,
		.arg = &dw, .timeout_ms = timeout_ms, .poll_ms = 100,
		.progress_ms = 30000,
	};

	return vm_wait(&w, "%u entries in %s", want, VM_VMBUS_DEVICES);
}

/* channels/<relid>/<attr> of device @instance, a number. */
int vm_chan_read(const char *instance, unsigned int relid, const char *attr,
		 uint64_t *value)
{
	char path[256];

	snprintf(path, sizeof(path), "%s/%s/channels/%u/%s", VM_VMBUS_DEVICES,
		 instance, relid, attr);
	return vm_read_u64(path, value);
}

/*
 * `vmbus:` and the GUID's 16 bytes in memory order, as the kernel prints
 * %*phN of a guid_t: the first three fields are little-endian, so their
 * bytes are reversed against the text; the last 8 bytes are in text order.
 */
void vm_guid_modalias(const char *guid, char *buf, size_t len)
{
	/* Text offset of memory byte i (the kernel's guid_index, times 2). */
	static const unsigned char text_pos[16] = {
		6, 4, 2, 0, 11, 9, 16, 14, 19, 21, 24, 26, 28, 30, 32, 34,
	};
	size_t used = snprintf(buf, len, "vmbus:");
	int i;

	for (i = 0; i < 16 && used + 2 < len; i++, used += 2)
		snprintf(buf + used, len - used, "%.2s", guid + text_pos[i]);
}

struct dev_attr_want {
	const char *attr;
	char want[80];
};

static bool expect_attr(const char *dir, const struct dev_attr_want *a)
{
	char path[320], got[128];

	snprintf(path, sizeof(path), "%s/%s", dir, a->attr);
	if (vm_read_text(path, got, sizeof(got)))
		return false;
	return vm_expect(!strcmp(got, a->want), "%s: expected '%s', got '%s'",
			 path, a->want, got);
}

/* Is `r:c` of channel_vp_mapping a channel of the device, with its cpu? */
static bool expect_vp_line(const struct vm_sim_devs *devs,
			   const struct vm_sim_dev *primary, const char *dir,
			   const char *line, bool *seen)
{
	unsigned int relid, cpu;
	uint64_t chan_cpu;
	size_t i;
	int end = 0;

	if (sscanf(line, "%u:%u%n", &relid, &cpu, &end) != 2 || line[end])
		return vm_expect(false, "%s/channel_vp_mapping: line '%s' is not "
				 "`relid:cpu`", dir, line);
	for (i = 0; i < devs->count; i++) {
		const struct vm_sim_dev *d = &devs->dev[i];

		if (d->relid == relid && !strcmp(d->instance, primary->instance))
			break;
	}
	if (!vm_expect(i < devs->count && !seen[i], "%s/channel_vp_mapping: "
		       "relid %u is %s", dir, relid, i < devs->count ?
		       "listed twice" : "not a channel the host offered for it"))
		return false;
	seen[i] = true;
	if (vm_chan_read(primary->instance, relid, "cpu", &chan_cpu))
		return false;
	return vm_expect(chan_cpu == cpu, "%s/channel_vp_mapping: '%s', but "
			 "channels/%u/cpu is %" PRIu64, dir, line, relid, chan_cpu);
}

static bool expect_vp_mapping(const struct vm_sim_devs *devs,
			      const struct vm_sim_dev *primary, const char *dir)
{
	char path[320], text[4096], *line, *save;
	bool *seen = calloc(devs->count, sizeof(*seen)), ok = true;
	size_t i;

	snprintf(path, sizeof(path), "%s/channel_vp_mapping", dir);
	if (!seen || vm_read_text(path, text, sizeof(text))) {
		free(seen);
		return false;
	}
	for (line = strtok_r(text, "\n", &save); line && ok;
	     line = strtok_r(NULL, "\n", &save))
		ok = expect_vp_line(devs, primary, dir, line, seen);
	for (i = 0; i < devs->count && ok; i++)
		if (!strcmp(devs->dev[i].instance, primary->instance))
			ok = vm_expect(seen[i], "%s/channel_vp_mapping has no line "
				       "for relid %u", dir, devs->dev[i].relid);
	free(seen);
	return ok;
}

/* channels/<relid>/ of each of the device's channels, with its subchannel_id. */
static bool expect_channel_dirs(const struct vm_sim_devs *devs,
				const struct vm_sim_dev *primary, const char *dir)
{
	char path[320];
	uint64_t sub;
	size_t i;
	int n;

	for (i = 0; i < devs->count; i++) {
		const struct vm_sim_dev *d = &devs->dev[i];

		if (strcmp(d->instance, primary->instance))
			continue;
		if (vm_chan_read(d->instance, d->relid, "subchannel_id", &sub) ||
		    !vm_expect(sub == d->sub, "%s/channels/%u/subchannel_id: "
			       "expected %u, got %" PRIu64, dir, d->relid, d->sub, sub))
			return false;
	}
	snprintf(path, sizeof(path), "%s/channels", dir);
	n = vm_dir_count(path);
	for (i = 0; i < devs->count; i++)
		n -= !strcmp(devs->dev[i].instance, primary->instance);
	return vm_expect(n == 0, "%s: %d more entries than the host has channels "
			 "for the device", path, n);
}

/*
 * The guest's view of one device the host offers: the attributes of
 * INTERFACES.md (Issue 3) and channels/<relid>/ for the primary and every
 * sub-channel @devs lists for the instance.
 */
bool vm_expect_vmbus_device(const struct vm_sim_devs *devs,
			    const struct vm_sim_dev *primary)
{
	struct dev_attr_want want[] = {
		{ .attr = "id" }, { .attr = "class_id" }, { .attr = "device_id" },
		{ .attr = "modalias" }, { .attr = "vendor", .want = "0x1414" },
	};
	char dir[256];
	size_t i;

	snprintf(dir, sizeof(dir), "%s/%s", VM_VMBUS_DEVICES, primary->instance);
	if (!vm_expect(vm_exists(dir), "%s is missing (relid %u)", dir,
		       primary->relid))
		return false;
	snprintf(want[0].want, sizeof(want[0].want), "%u", primary->relid);
	snprintf(want[1].want, sizeof(want[1].want), "{%s}", primary->class_id);
	snprintf(want[2].want, sizeof(want[2].want), "{%s}", primary->instance);
	vm_guid_modalias(primary->class_id, want[3].want, sizeof(want[3].want));
	for (i = 0; i < sizeof(want) / sizeof(want[0]); i++)
		if (!expect_attr(dir, &want[i]))
			return false;
	return expect_vp_mapping(devs, primary, dir) &&
	       expect_channel_dirs(devs, primary, dir);
}

/* ---- kmemleak -------------------------------------------------------------- */

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

	snprintf(path, sizeof(path), "%s/kmemleak", debugfs_root());
	if (!vm_exists(path)) {
		*why = "no kmemleak in this kernel";
		return VM_SKIP;
	}
	if (vm_write_file(path, "scan"))
		return VM_FAIL;
	vm_sleep_ms(VM_KMEMLEAK_PAUSE_MS);
	if (vm_write_file(path, "scan"))
		return VM_FAIL;
	text = vm_read_file(path);
	if (!text)
		return VM_FAIL;
	ours = kmemleak_ours(text);
	free(text);
	return ours ? VM_FAIL : VM_PASS;
}

bool vm_sim_expect_monitored(void)
{
	uint64_t sigs = 0, mon = 0;
	struct vm_stats st;

	if (vm_stats_load(VM_SIM, "stats", &st))
		return false;
	vm_stat_get(&st, "signals", &sigs);
	vm_stat_get(&st, "monitor_signals", &mon);
	ksft_print_msg("host: %" PRIu64 " signals, %" PRIu64 " of them from the monitor page\n",
		       sigs, mon);
	return vm_expect(mon > 0 && mon == sigs, "signals %" PRIu64 " monitor_signals %"
			 PRIu64 ": expected every signal from the monitor page", sigs, mon);
}

/* ---- test life cycle ------------------------------------------------------- */

static void teardown_at_exit(void)
{
	if (sim.setup_done && !sim.teardown_done) {
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
	sim.devices = vm_read(VM_SIM, "devices");
	if (!sim.devices || vm_sim_devices_clear())
		ksft_exit_fail_msg("cannot save and clear the sim's device list\n");
	sim.setup_done = true;
	atexit(teardown_at_exit);
}

/*
 * Leaves hv_vmbus unloaded and vmbus_sim loaded with the modes and devices
 * it had at setup.  Returns false (with diagnostics) if any of that failed.
 */
bool vm_teardown(void)
{
	bool ok = true;

	sim.teardown_done = true;
	/* A client of hv_vmbus (driver_bind_test) keeps it from unloading. */
	if (vm_module_loaded("vmbus_test_drv"))
		ok &= !vm_rmmod("vmbus_test_drv", VM_RMMOD_MS);
	if (vm_module_loaded("hv_utils"))
		ok &= !vm_rmmod("hv_utils", VM_RMMOD_MS);
	if (vm_module_loaded("hv_vmbus"))
		ok &= !vm_rmmod("hv_vmbus", VM_RMMOD_MS);
	ok &= sim_restore_modes();
	ok &= sim_restore_devices();
	ok &= vm_expect(!vm_module_loaded("hv_vmbus"), "hv_vmbus still loaded");
	ok &= vm_expect(vm_module_loaded("vmbus_sim"), "vmbus_sim not loaded");
	return ok;
}

/* ---- echo traffic (vmbus_echo_drv) ------------------------------------------ */

#include <sys/utsname.h>

static void echo_path(char *buf, size_t len, const char *instance, const char *file)
{
	const char *root = getenv("VMBUS_DEBUGFS_ROOT");

	snprintf(buf, len, "%s/vmbus_echo/%s/%s", root ? root : "/sys/kernel/debug",
		 instance, file);
}

int vm_echo_run_start(const char *instance, const char *cmd)
{
	char path[512];
	pid_t pid;
	int err;

	echo_path(path, sizeof(path), instance, "run");
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

	err = reap(pid, timeout_ms, &status);
	if (err == -ETIMEDOUT) {
		ksft_print_msg("`%s` > run: the write has not returned after %u ms\n", cmd,
			       timeout_ms);
		kill(pid, SIGKILL);
		reap(pid, VM_RMMOD_MS, &status);
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

static int echo_result_line(const char *line, struct vm_echo_result *r)
{
	struct vm_echo_chan c = { 0 };
	char name[32];

	if (sscanf(line, "elapsed_ns %" SCNu64, &r->elapsed_ns) == 1)
		return 0;
	if (sscanf(line, "%31s %" SCNu64 " %" SCNu64 " %" SCNu64 " %" SCNu64, name,
		   &c.sent, &c.received, &c.bad, &c.out_of_order) != 5)
		return -EINVAL;
	if (!strcmp(name, "total")) {
		r->total = c;
		return 0;
	}
	if (sscanf(name, "%u", &c.relid) != 1 || !c.relid || r->nchans == VM_ECHO_MAX_CHANS)
		return -EINVAL;
	r->chan[r->nchans++] = c;
	return 0;
}

bool vm_echo_result_exists(const char *instance)
{
	char path[512];

	echo_path(path, sizeof(path), instance, "result");
	return vm_exists(path);
}

int vm_echo_result_load(const char *instance, struct vm_echo_result *r)
{
	char path[512], *text, *line, *save;
	int err = 0;

	memset(r, 0, sizeof(*r));
	echo_path(path, sizeof(path), instance, "result");
	text = vm_read_file(path);
	if (!text)
		return -EIO;
	for (line = strtok_r(text, "\n", &save); line && !err;
	     line = strtok_r(NULL, "\n", &save)) {
		err = echo_result_line(line, r);
		if (err)
			ksft_print_msg("%s: cannot parse '%s'\n", path, line);
	}
	free(text);
	return err;
}

bool vm_echo_expect_clean(const struct vm_echo_result *r, uint64_t want_total)
{
	uint64_t sum = 0;
	bool ok = true;
	unsigned int i;

	for (i = 0; i < r->nchans; i++) {
		const struct vm_echo_chan *c = &r->chan[i];

		sum += c->sent;
		ok &= vm_expect(c->sent && c->received == c->sent && !c->bad &&
				!c->out_of_order, "relid %u: sent %" PRIu64
				" received %" PRIu64 " bad %" PRIu64 " out_of_order %"
				PRIu64 " (want sent > 0, received == sent, 0, 0)",
				c->relid, c->sent, c->received, c->bad, c->out_of_order);
	}
	ok &= vm_expect_eq("echo result: packets sent over all channels", want_total, sum);
	ok &= vm_expect_eq("echo result: total line, sent", want_total, r->total.sent);
	ok &= vm_expect_eq("echo result: total line, received", want_total,
			   r->total.received);
	return ok;
}

uint64_t vm_param_u64(const char *name, uint64_t dflt)
{
	char *env = getenv(name), *cmdline, *p, key[64];
	uint64_t v = dflt;

	if (env)
		return strtoull(env, NULL, 0);
	cmdline = vm_read_file("/proc/cmdline");
	snprintf(key, sizeof(key), "%s=", name);
	p = cmdline ? strstr(cmdline, key) : NULL;
	if (p)
		v = strtoull(p + strlen(key), NULL, 0);
	free(cmdline);
	return v;
}

bool vm_dist_kernel(void)
{
	struct utsname u;
	size_t n;

	if (uname(&u))
		return false;
	n = strlen(u.release);
	return n > 6 && !strcmp(u.release + n - 6, "-amd64");
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
		text = vm_read(VM_SIM, files[i]);
		for (line = text ? strtok_r(text, "\n", &save) : NULL; line;
		     line = strtok_r(NULL, "\n", &save))
			ksft_print_msg("vmbus_sim/%s: %s\n", files[i], line);
		free(text);
	}
}

bool vm_echo_attach(const char *const instances[], unsigned int n, unsigned int nsub)
{
	struct echo_chans_wait w = { .want = 1 + nsub };
	unsigned int i;

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

static int cmp_uint(const void *a, const void *b)
{
	unsigned int x = *(const unsigned int *)a, y = *(const unsigned int *)b;

	return x < y ? -1 : x > y;
}

int vm_chan_relids(const char *instance, unsigned int *relid, unsigned int max)
{
	struct dirent *de;
	unsigned int n = 0;
	char path[512];
	DIR *dir;

	snprintf(path, sizeof(path), "%s/%s/channels", VM_VMBUS_DEVICES, instance);
	dir = opendir(path);
	if (!dir) {
		ksft_print_msg("cannot open %s: %s\n", path, strerror(errno));
		return -errno;
	}
	while ((de = readdir(dir)) && n < max)
		if (sscanf(de->d_name, "%u", &relid[n]) == 1)
			n++;
	closedir(dir);
	qsort(relid, n, sizeof(*relid), cmp_uint);
	return n;
}

int vm_chan_set_cpu(const char *instance, unsigned int relid, const char *cpu)
{
	char path[512];

	snprintf(path, sizeof(path), "%s/%s/channels/%u/cpu", VM_VMBUS_DEVICES, instance,
		 relid);
	return vm_write_errno(path, cpu);
}

int vm_sim_chan_load(unsigned int relid, struct vm_sim_chan *c)
{
	char *text = vm_read(VM_SIM, "channels"), *line, *save;
	int err = -ENOENT;

	if (!text)
		return -EIO;
	for (line = strtok_r(text, "\n", &save); line && err == -ENOENT;
	     line = strtok_r(NULL, "\n", &save)) {
		if (sscanf(line, "%u %u %" SCNu64 " %" SCNu64 " %" SCNu64 " %" SCNu64
			   " %" SCNu64 " %" SCNu64 " %" SCNu64, &c->relid, &c->target_vp,
			   &c->pkts_in, &c->pkts_out, &c->bytes_in, &c->bytes_out,
			   &c->spurious, &c->missed, &c->errors) == 9 && c->relid == relid)
			err = 0;
	}
	free(text);
	if (err)
		ksft_print_msg("vmbus_sim/channels: no line for relid %u\n", relid);
	return err;
}
