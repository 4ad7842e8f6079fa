// SPDX-License-Identifier: GPL-2.0
/*
 * Helpers shared by the vmbus selftests; see vmbus_util.h.
 */
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
		tap_diag("cannot open %s: %s", path, strerror(errno));
		return NULL;
	}
	err = read_fd(fd, &text);
	close(fd);
	if (err)
		tap_diag("cannot read %s: %s", path, strerror(-err));
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
		tap_diag("cannot open %s for writing: %s", path, strerror(errno));
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
		tap_diag("writing '%s' to %s failed: %s", text, path, strerror(-err));
	return err;
}

char *vm_read(enum vm_side side, const char *file)
{
	char path[512];

	if (vm_path(path, sizeof(path), side, file))
		return NULL;
	return vm_read_file(path);
}

int vm_write(enum vm_side side, const char *file, const char *fmt, ...)
{
	char path[512], text[256];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(text) ||
	    vm_path(path, sizeof(path), side, file))
		return -ENAMETOOLONG;
	return vm_write_file(path, text);
}

/* ---- `name value` files ----------------------------------------------- */

/* Decimal, or hexadecimal with a 0x prefix (the `version` lines). */
static int parse_value(const char *s, uint64_t *value)
{
	bool hex = s[0] == '0' && (s[1] == 'x' || s[1] == 'X');
	char *end;

	if (!*s || *s == '-')
		return -EINVAL;
	errno = 0;
	*value = strtoull(s, &end, hex ? 16 : 10);
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
		tap_diag("%s line %u: not `name value`", st->label, lineno);
		return -EINVAL;
	}
	stat = &st->stat[st->count];
	strcpy(stat->name, name);
	if (parse_value(value, &stat->value)) {
		tap_diag("%s line %u: bad value '%s' for %s", st->label, lineno,
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
	return tap_expect(vm_stats_find(st, name, value), "%s has no '%s' line",
			  st->label, name);
}

bool vm_expect_stat(const struct vm_stats *st, const char *name, uint64_t want)
{
	char what[VM_LABEL_MAX + VM_NAME_MAX + 2];
	uint64_t got;

	if (!vm_stat_get(st, name, &got))
		return false;
	snprintf(what, sizeof(what), "%s %s", st->label, name);
	return tap_expect_eq(what, want, got);
}

bool vm_expect_stat_ge(const struct vm_stats *st, const char *name, uint64_t min)
{
	char what[VM_LABEL_MAX + VM_NAME_MAX + 2];
	uint64_t got;

	if (!vm_stat_get(st, name, &got))
		return false;
	snprintf(what, sizeof(what), "%s %s", st->label, name);
	return tap_expect_ge(what, min, got);
}

/* msg_in / msg_out list only the types seen: a missing line means 0. */
bool vm_expect_msgs(const struct vm_stats *st, const char *name, uint64_t want)
{
	char what[VM_LABEL_MAX + VM_NAME_MAX + 2];
	uint64_t got = 0;

	vm_stats_find(st, name, &got);
	snprintf(what, sizeof(what), "%s %s", st->label, name);
	return tap_expect_eq(what, want, got);
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
		tap_diag("%s/%s %s: expected %" PRIu64 ", got %" PRIu64,
			 side_dir[side], file, name, want, w.last);
	else
		tap_diag("%s/%s has no readable '%s' line", side_dir[side],
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
		tap_diag("cannot fork for `%s`: %s", cmd, strerror(errno));
		return -errno;
	}
	if (pid == 0)
		child_exec(argv);
	err = reap(pid, timeout_ms, &status);
	if (err == -ETIMEDOUT) {
		tap_diag("`%s` still running after %u ms: killing it", cmd,
			 timeout_ms);
		kill(pid, SIGKILL);
		reap(pid, VM_SETTLE_MS, &status);
		return -ETIMEDOUT;
	}
	if (err) {
		tap_diag("waiting for `%s`: %s", cmd, strerror(-err));
		return err;
	}
	status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
	if (status)
		tap_diag("`%s` exited with status %d after %" PRIu64 " ms", cmd,
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

/* modprobe hv_vmbus; it must not be loaded already (modprobe would say 0). */
bool vm_guest_load(unsigned int timeout_ms)
{
	if (!tap_expect(!vm_module_loaded("hv_vmbus"),
			"hv_vmbus is loaded before modprobe (an earlier step failed)"))
		return false;
	return tap_expect(!vm_modprobe("hv_vmbus", timeout_ms),
			  "`modprobe hv_vmbus`: expected exit status 0");
}

bool vm_guest_unload(void)
{
	return tap_expect(!vm_rmmod("hv_vmbus", VM_RMMOD_MS),
			  "`rmmod hv_vmbus`: expected exit status 0");
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
	tap_diag("timed out after %u ms waiting for %s", timeout_ms, what);
	return false;
}

/* ---- kernel log ---------------------------------------------------------- */

struct kmsg_scan {
	uint64_t from;		/* first sequence number of interest */
	const char *text;	/* NULL: only find the end */
	bool whole_line;
	int count;
	uint64_t next;		/* one past the last record seen */
	bool any;
};

static bool kmsg_matches(const struct kmsg_scan *s, const char *msg)
{
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
		tap_diag("/dev/kmsg: records %" PRIu64 "..%" PRIu64
			 " were overwritten before they could be read",
			 s->from, seq - 1);
		return -EPIPE;
	}
	s->any = true;
	s->next = seq + 1;
	if (s->text && seq >= s->from && kmsg_matches(s, msg))
		s->count++;
	return 0;
}

static int kmsg_scan(struct kmsg_scan *s)
{
	char rec[8192];
	int fd, err = 0;
	ssize_t n;

	fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0) {
		tap_diag("cannot open /dev/kmsg: %s", strerror(errno));
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
			tap_diag("reading /dev/kmsg: %s", strerror(errno));
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

bool vm_expect_kmsg(const struct vm_kmsg_mark *mark, const char *text,
		    bool whole_line, int want)
{
	int got = vm_kmsg_count(mark, text, whole_line);

	if (got < 0)
		return false;
	return tap_expect(got == want, "kernel log lines %s '%s' since the mark: "
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
	tap_diag("%s line %zu: not `<seq> <type> <size> <crc32 as %%08x>`: '%.*s'",
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
			return tap_expect(false, "%s line %zu: seq %" PRIu64
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
		return tap_expect(false, "first difference at line %zu: %s has %s, "
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
		tap_diag("%s has %zu lines, %s has %zu", a->label, a->count,
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
	     tap_expect(after->count == before->count + 1,
			"%s: expected %zu lines (%zu before plus one of type %u), got %zu",
			after->label, before->count + 1, before->count, type,
			after->count) &&
	     msglog_expect_prefix(before, after, before->count);
	if (!ok)
		return false;
	last = &after->msg[before->count];
	return tap_expect(last->type == type, "%s last line: expected type %u, got %u",
			  after->label, type, last->type);
}

/* Lines first+1 .. first+count are all messages of @type. */
bool vm_msglog_expect_types(const struct vm_msglog *log, size_t first,
			    size_t count, unsigned int type)
{
	size_t i;

	if (!tap_expect(log->count >= first + count, "%s: expected at least %zu "
			"lines, got %zu", log->label, first + count, log->count))
		return false;
	for (i = first; i < first + count; i++) {
		if (log->msg[i].type != type)
			return tap_expect(false, "%s line %zu: expected type %u, got %u",
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
		tap_bail("bad version string '%s'", version);
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
		tap_bail("too many or too long sim modes to restore (%s)", mode);
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

/* Re-adds the devices found at setup (their relids may differ). */
static bool sim_restore_devices(void)
{
	char *line, *save, class[64], instance[64];
	bool ok = !vm_sim_devices_clear();
	unsigned int relid;

	if (!sim.devices)
		return ok;
	for (line = strtok_r(sim.devices, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		if (sscanf(line, "%u %63s %63s", &relid, class, instance) != 3) {
			ok = tap_expect(false, "cannot parse saved device line '%s'",
					line);
			continue;
		}
		ok &= !vm_write(VM_SIM, "devices", "add %s %s", class, instance);
	}
	free(sim.devices);
	sim.devices = NULL;
	return ok;
}

/* ---- kmemleak -------------------------------------------------------------- */

enum {
	/* kmemleak does not report objects younger than 5 s. */
	VM_KMEMLEAK_PAUSE_MS = 6000,
};

static const char *const our_modules[] = { "hv_vmbus", "vmbus_sim", "vmbus_platform" };

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
		tap_diag("  %.*s", (int)(nl - begin), begin);
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
	tap_diag("kmemleak: %u reports, %u naming hv_vmbus, vmbus_sim or "
		 "vmbus_platform", all, ours);
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

/* ---- test life cycle ------------------------------------------------------- */

static void teardown_at_exit(void)
{
	if (sim.setup_done && !sim.teardown_done) {
		tap_diag("exiting early: unloading hv_vmbus and restoring the sim");
		vm_teardown();
	}
}

static void unload_guest_or_bail(void)
{
	if (!vm_module_loaded("hv_vmbus"))
		return;
	tap_diag("hv_vmbus is loaded at start: unloading it");
	if (vm_rmmod("hv_vmbus", VM_RMMOD_MS))
		tap_bail("cannot unload hv_vmbus left loaded by an earlier run");
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
			tap_skip_all("no simulated host: `modprobe vmbus_sim` "
				     "failed and %s is absent", dir);
		tap_bail("vmbus_sim loaded but %s is absent (debugfs not mounted?)",
			 dir);
	}
	unload_guest_or_bail();
	sim.devices = vm_read(VM_SIM, "devices");
	if (!sim.devices || vm_sim_devices_clear())
		tap_bail("cannot save and clear the sim's device list");
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
	if (vm_module_loaded("hv_vmbus"))
		ok &= !vm_rmmod("hv_vmbus", VM_RMMOD_MS);
	ok &= sim_restore_modes();
	ok &= sim_restore_devices();
	ok &= tap_expect(!vm_module_loaded("hv_vmbus"), "hv_vmbus still loaded");
	ok &= tap_expect(vm_module_loaded("vmbus_sim"), "vmbus_sim not loaded");
	return ok;
}
