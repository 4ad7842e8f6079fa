// SPDX-License-Identifier: GPL-2.0
/*
 * vmbusctl: command dispatch, option parsing, messages and the file helpers
 * the other files share.  See vmbusctl.8 for the commands.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>

#include "vmbusctl.h"

static const char *const ctl_name = "vmbusctl";

/* `vmbusctl: <message>` on stderr, after anything already on stdout. */
static void ctl_vmsg(const char *fmt, va_list ap, const char *tail)
{
	fflush(stdout);
	fprintf(stderr, "%s: ", ctl_name);
	vfprintf(stderr, fmt, ap);
	fprintf(stderr, "%s\n", tail);
}

int ctl_err(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	ctl_vmsg(fmt, ap, "");
	va_end(ap);
	return CTL_ERR;
}

int ctl_usage_err(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	ctl_vmsg(fmt, ap, " (see `vmbusctl --help`)");
	va_end(ap);
	return CTL_USAGE;
}

static const char *env_or(const char *name, const char *dflt)
{
	const char *v = getenv(name);

	return v && *v ? v : dflt;
}

/* VMBUS_DEBUGFS_ROOT and VMBUS_SYSFS_ROOT point vmbusctl at a fake tree. */
const char *ctl_debugfs(void)
{
	return env_or("VMBUS_DEBUGFS_ROOT", "/sys/kernel/debug");
}

const char *ctl_sysfs(void)
{
	return env_or("VMBUS_SYSFS_ROOT", "/sys");
}

void ctl_path(char *buf, size_t len, const char *root, const char *fmt, ...)
{
	size_t n = (size_t)snprintf(buf, len, "%s/", root);
	va_list ap;

	va_start(ap, fmt);
	if (n < len)
		vsnprintf(buf + n, len - n, fmt, ap);
	va_end(ap);
}

bool ctl_exists(const char *path)
{
	struct stat st;

	return !stat(path, &st);
}

char *ctl_read(const char *path)
{
	size_t len = 0, cap = 4096;
	char *buf = malloc(cap), *p;
	ssize_t n;
	int fd = open(path, O_RDONLY);

	if (fd < 0 || !buf)
		goto err;
	for (;;) {
		if (cap - len < 2) {
			p = realloc(buf, cap * 2);
			if (!p)
				goto err;
			buf = p;
			cap *= 2;
		}
		n = read(fd, buf + len, cap - len - 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			goto err;
		if (!n)
			break;
		len += (size_t)n;
	}
	buf[len] = '\0';
	close(fd);
	return buf;
err:
	n = errno;
	if (fd >= 0)
		close(fd);
	free(buf);
	errno = (int)n;
	return NULL;
}

int ctl_write(const char *path, const char *text)
{
	size_t len = strlen(text);
	int fd = open(path, O_WRONLY), err = 0;
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = write(fd, text, len);
	if (n < 0)
		err = -errno;
	else if ((size_t)n != len)
		err = -EIO;
	close(fd);
	return err;
}

int ctl_write_report(const char *path, const char *text)
{
	int err = ctl_write(path, text);

	if (err)
		return ctl_err("writing '%s' to %s: %s", text, path, strerror(-err));
	return CTL_OK;
}

int ctl_parse_u64(const char *s, uint64_t *v)
{
	char *end;

	if (!*s || *s == '-' || *s == '+')
		return -EINVAL;
	errno = 0;
	*v = strtoull(s, &end, 0);
	return errno || *end ? -EINVAL : 0;
}

/* xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx, any case. */
bool ctl_is_guid(const char *s)
{
	static const char dash[] = { 8, 13, 18, 23 };
	unsigned int i, d = 0;

	if (strlen(s) != CTL_GUID_LEN)
		return false;
	for (i = 0; i < CTL_GUID_LEN; i++) {
		if (d < sizeof(dash) && i == (unsigned int)dash[d]) {
			if (s[i] != '-')
				return false;
			d++;
		} else if (!strchr("0123456789abcdefABCDEF", s[i])) {
			return false;
		}
	}
	return true;
}

uint64_t ctl_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

void ctl_sleep_ms(unsigned int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000 };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

/*
 * 1 if /proc/modules lists @name, 0 if not, -errno if it cannot be read.
 * hv_vmbus built into the kernel counts as loaded while it is attached to
 * a host (its `attached` parameter, which only the built-in core has).
 */
int ctl_module_loaded(const char *name)
{
	static const char attached[] = "/sys/module/hv_vmbus/parameters/attached";
	char *text, *line;
	size_t n = strlen(name);
	int found = 0;

	if (!strcmp(name, "hv_vmbus") && !access(attached, F_OK)) {
		text = ctl_read(attached);
		if (!text)
			return -errno;
		found = text[0] == 'Y';
		free(text);
		return found;
	}
	text = ctl_read(env_or("VMBUS_PROC_MODULES", "/proc/modules"));
	if (!text)
		return -errno;
	for (line = text; line && *line; line = strchr(line, '\n'), line = line ? line + 1 : NULL)
		if (!strncmp(line, name, n) && line[n] == ' ')
			found = 1;
	free(text);
	return found;
}

int ctl_sim_ready(void)
{
	char dir[256];

	ctl_path(dir, sizeof(dir), ctl_debugfs(), "vmbus_sim");
	if (ctl_exists(dir))
		return CTL_OK;
	if (!ctl_exists(ctl_debugfs()))
		return ctl_err("%s missing: is debugfs mounted?", ctl_debugfs());
	return ctl_err("%s missing: the simulator is not loaded (modprobe vmbus_sim)", dir);
}

static const struct ctl_opt *find_opt(const struct ctl_opt *opts, const char *arg,
				      unsigned int *idx)
{
	unsigned int i;

	for (i = 0; opts && opts[i].name; i++) {
		if ((arg[1] == '-' && !strcmp(arg + 2, opts[i].name)) ||
		    (arg[1] && !arg[2] && arg[1] == opts[i].short_name)) {
			*idx = i;
			return &opts[i];
		}
	}
	return NULL;
}

/* `-vv`: one flag given twice or more in one word. */
static const struct ctl_opt *repeated_short(const struct ctl_opt *opts, const char *s,
					    unsigned int *idx)
{
	const char flag[] = { '-', s[1], '\0' };
	const struct ctl_opt *o;

	if (s[1] == '-' || !s[2] || s[strspn(s + 1, flag + 1) + 1])
		return NULL;
	o = find_opt(opts, flag, idx);
	return o && !o->has_arg ? o : NULL;
}

/*
 * Options anywhere on the line, `-vv` as two `-v`; `--` ends them; a lone
 * `-` and negative numbers ("-1") are positionals.  A command that takes no
 * options reads every word after its first argument as an argument too, so
 * that `exec sh -c ...` hands the program its own options.
 */
static int ctl_parse(const struct ctl_cmd *cmd, int argc, char **argv, struct ctl_args *a)
{
	const struct ctl_opt *o;
	bool opts_done = false;
	unsigned int idx;
	int i;

	memset(a, 0, sizeof(*a));
	for (i = 1; i < argc; i++) {
		char *s = argv[i];

		if (!opts_done && !strcmp(s, "--")) {
			opts_done = true;
			continue;
		}
		if (!cmd->opts && a->argc)
			opts_done = true;
		if (opts_done || s[0] != '-' || !s[1] || (s[1] >= '0' && s[1] <= '9')) {
			if (a->argc == CTL_MAX_ARGS)
				return ctl_usage_err("%s: too many arguments", cmd->name);
			a->argv[a->argc++] = s;
			continue;
		}
		o = repeated_short(cmd->opts, s, &idx);
		if (o) {
			a->count[idx] += (unsigned int)strlen(s + 1);
			continue;
		}
		o = find_opt(cmd->opts, s, &idx);
		if (!o)
			return ctl_usage_err("%s: unknown option '%s'", cmd->name, s);
		a->count[idx]++;
		if (!o->has_arg)
			continue;
		if (++i == argc)
			return ctl_usage_err("%s: %s needs a value", cmd->name, s);
		a->value[idx] = argv[i];
	}
	if (a->argc < cmd->min_args)
		return ctl_usage_err("%s: too few arguments; usage: %s", cmd->name, cmd->usage);
	if (a->argc > cmd->max_args)
		return ctl_usage_err("%s: too many arguments; usage: %s", cmd->name, cmd->usage);
	return CTL_OK;
}

int ctl_dispatch(const struct ctl_cmd *table, const char *what, int argc, char **argv,
		 bool dry)
{
	const struct ctl_cmd *cmd;
	char group[32];
	struct ctl_args a;
	int ret;

	if (argc < 1)
		return ctl_usage_err("%sno command given", what);
	for (cmd = table; cmd->name; cmd++) {
		if (strcmp(cmd->name, argv[0]))
			continue;
		if (cmd->sub) {
			snprintf(group, sizeof(group), "%s%s: ", what, cmd->name);
			return ctl_dispatch(cmd->sub, group, argc - 1, argv + 1, dry);
		}
		ret = ctl_parse(cmd, argc, argv, &a);
		return ret ? ret : cmd->run(&a, dry);
	}
	return ctl_usage_err("%sunknown command '%s'", what, argv[0]);
}

void ctl_print_table(FILE *f, const struct ctl_cmd *table, const char *prefix)
{
	const struct ctl_cmd *cmd;

	for (cmd = table; cmd->name; cmd++)
		fprintf(f, "  %s%s\n      %s\n", prefix, cmd->usage, cmd->help);
}

static void print_usage(FILE *f)
{
	fprintf(f, "usage: vmbusctl <command> [arguments]\n"
		"The VMBus guest's bus (/sys/bus/vmbus) and the simulated Hyper-V host\n"
		"(debugfs vmbus_sim/); see vmbusctl(8).\n\ncommands:\n");
	ctl_print_table(f, ctl_cmds, "");
	fprintf(f, "\nsimulator commands:\n");
	ctl_print_table(f, ctl_sim_cmds, "sim ");
	fprintf(f, "\nHyper-V socket commands:\n");
	ctl_print_table(f, ctl_sock_cmds, "sock ");
	fprintf(f, "\nexit status: 0 done, 1 failed (nothing written unless the\n"
		"simulator or the kernel refused the write), 2 usage error.\n");
}

static int ctl_help(const struct ctl_args *a, bool dry)
{
	(void)a;
	if (!dry)
		print_usage(stdout);
	return CTL_OK;
}

const struct ctl_cmd ctl_cmds[] = {
	{ "list", ctl_list, 0, 0, ctl_list_opts, "list [-v|-vv] [--json]",
	  "the bus as lsvmbus shows it, or JSON" },
	{ "sim", NULL, 0, 0, NULL, "sim <command> ...", "the simulated host (below)",
	  ctl_sim_cmds },
	{ "sock", NULL, 0, 0, NULL, "sock <command> ...", "Hyper-V sockets (below)",
	  ctl_sock_cmds },
	{ "stats", ctl_stats, 0, 1, ctl_stats_opts, "stats [<set>] [--json]",
	  "counters: sim guest ic storvsc netvsc hvsock ..." },
	{ "get", ctl_get, 2, 2, NULL, "get <set> <counter>", "one counter's value" },
	{ "wait", ctl_wait, 4, 4, ctl_wait_opts,
	  "wait <set> <counter> <op> <value> [--timeout S]",
	  "until the comparison holds (op: == != < <= > >=)" },
	{ "expect", ctl_expect, 4, 4, NULL, "expect <set> <counter> <op> <value>",
	  "fail unless the comparison holds now" },
	{ "hibernate", ctl_hibernate, 0, 0, ctl_hibernate_opts,
	  "hibernate [--new-relids] [--pm-test MODE]", "one hibernation cycle" },
	{ "run", ctl_run, 1, 1, ctl_run_opts, "run [-q] <scenario-file>",
	  "check every line of a scenario, then run it" },
	{ "step", ctl_step, 1, 1, NULL, "step <title>", "print a step heading" },
	{ "exec", ctl_exec, 1, CTL_MAX_ARGS, NULL, "exec <program> [args]",
	  "run a program; fail on a non-zero exit" },
	{ "klog", ctl_klog, 1, 1, NULL, "klog <text>",
	  "kernel log lines that contain text" },
	{ "help", ctl_help, 0, 0, NULL, "help", "this text" },
	{ NULL },
};

int main(int argc, char **argv)
{
	if (argc < 2) {
		print_usage(stderr);
		return CTL_USAGE;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		print_usage(stdout);
		return CTL_OK;
	}
	return ctl_dispatch(ctl_cmds, "", argc - 1, argv + 1, false);
}
