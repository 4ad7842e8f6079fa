// SPDX-License-Identifier: GPL-2.0
/*
 * Scenario files (`vmbusctl run FILE`): one vmbusctl command a line, without
 * the leading `vmbusctl`; `#` starts a comment line; words split at blanks,
 * "double quotes" keep one word.  Every line is checked first (the commands'
 * dry run: syntax, names, numbers), so a malformed file changes nothing;
 * then the lines run in order, each echoed as `+ ...`, and the first that
 * fails ends the run with its line number.  `step`, `exec` and `klog` exist
 * for scenarios, but work on the command line too.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/klog.h>
#include <sys/wait.h>

#include "vmbusctl.h"

enum { SCN_MAX_LINE = 512, SCN_MAX_WORDS = CTL_MAX_ARGS + 2 };

struct scn_line {
	unsigned int lineno;
	char text[SCN_MAX_LINE];	/* as written, for the echo */
	char words[SCN_MAX_LINE];	/* the words, NUL-separated */
	int argc;
	char *argv[SCN_MAX_WORDS];
};

/* Splits @l->text into words: 0, or CTL_USAGE after a message naming the line. */
static int scn_split(const char *file, struct scn_line *l)
{
	char *out = l->words;
	const char *p = l->text;
	bool quoted;

	l->argc = 0;
	for (;;) {
		p += strspn(p, " \t");
		if (!*p)
			return CTL_OK;
		if (l->argc == SCN_MAX_WORDS)
			return ctl_usage_err("%s:%u: too many words", file, l->lineno);
		l->argv[l->argc++] = out;
		quoted = *p == '"';
		p += quoted;
		while (*p && (quoted ? *p != '"' : !strchr(" \t", *p)))
			*out++ = *p++;
		if (quoted && *p++ != '"')
			return ctl_usage_err("%s:%u: unterminated quote", file, l->lineno);
		*out++ = '\0';
	}
}

/* Every command line of @file: count, or -1 after a message. */
static int scn_load(const char *file, struct scn_line **out)
{
	char buf[SCN_MAX_LINE + 2], *s;
	struct scn_line *lines = NULL, *l;
	unsigned int lineno = 0;
	int n = 0;
	FILE *f = fopen(file, "r");

	if (!f)
		return -ctl_err("%s: %s", file, strerror(errno));
	while (fgets(buf, sizeof(buf), f)) {
		lineno++;
		if (!strchr(buf, '\n') && !feof(f)) {
			n = -ctl_usage_err("%s:%u: line longer than %d bytes", file, lineno,
					   SCN_MAX_LINE - 1);
			break;
		}
		buf[strcspn(buf, "\r\n")] = '\0';
		s = buf + strspn(buf, " \t");
		if (!*s || *s == '#')
			continue;
		l = realloc(lines, (n + 1) * sizeof(*lines));
		if (!l) {
			n = -ctl_err("out of memory");
			break;
		}
		lines = l;
		l = &lines[n++];
		l->lineno = lineno;
		snprintf(l->text, sizeof(l->text), "%s", s);
		if (scn_split(file, l)) {
			n = -CTL_USAGE;
			break;
		}
	}
	fclose(f);
	*out = lines;
	return n;
}

/* The dry run of every line: the first bad one's status. */
static int scn_check(const char *file, const struct scn_line *lines, int n)
{
	int i, ret;

	for (i = 0; i < n; i++) {
		if (!strcmp(lines[i].argv[0], "run"))
			return ctl_usage_err("%s:%u: a scenario cannot run another", file,
					     lines[i].lineno);
		ret = ctl_dispatch(ctl_cmds, "", lines[i].argc, (char **)lines[i].argv,
				   true);
		if (ret) {
			ctl_err("%s:%u: bad line '%s'; nothing was run", file, lines[i].lineno,
				lines[i].text);
			return ret;
		}
	}
	return CTL_OK;
}

const struct ctl_opt ctl_run_opts[] = {
	{ "quiet", 'q', false },
	{ NULL },
};

static bool scn_quiet;

int ctl_run(const struct ctl_args *a, bool dry)
{
	const char *file = a->argv[0];
	struct scn_line *lines = NULL;
	int n = scn_load(file, &lines), i, ret;

	if (n < 0)
		return -n;
	ret = scn_check(file, lines, n);
	scn_quiet = a->count[0];
	for (i = 0; !ret && !dry && i < n; i++) {
		if (!scn_quiet && strcmp(lines[i].argv[0], "step"))
			printf("+ %s\n", lines[i].text);
		fflush(stdout);
		ret = ctl_dispatch(ctl_cmds, "", lines[i].argc, lines[i].argv, false);
		if (ret)
			ctl_err("%s:%u: '%s' failed; the scenario stops here", file,
				lines[i].lineno, lines[i].text);
	}
	free(lines);
	return ret;
}

int ctl_step(const struct ctl_args *a, bool dry)
{
	if (!dry)
		printf("\n==== %s ====\n", a->argv[0]);
	return CTL_OK;
}

int ctl_exec(const struct ctl_args *a, bool dry)
{
	char *argv[CTL_MAX_ARGS + 1];
	int status, i;
	pid_t pid;

	if (dry)
		return CTL_OK;
	for (i = 0; i < a->argc; i++)
		argv[i] = a->argv[i];
	argv[i] = NULL;
	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid < 0)
		return ctl_err("exec %s: fork: %s", argv[0], strerror(errno));
	if (!pid) {
		execvp(argv[0], argv);
		ctl_err("exec %s: %s", argv[0], strerror(errno));
		_exit(127);
	}
	if (waitpid(pid, &status, 0) < 0)
		return ctl_err("exec %s: waitpid: %s", argv[0], strerror(errno));
	if (WIFSIGNALED(status))
		return ctl_err("exec %s: killed by signal %d", argv[0], WTERMSIG(status));
	if (WEXITSTATUS(status))
		return ctl_err("exec %s: exit status %d", argv[0], WEXITSTATUS(status));
	return CTL_OK;
}

enum { KLOG_READ_ALL = 3, KLOG_SIZE_BUFFER = 10 };

/* Kernel log lines containing the text, without their `<level>` prefix. */
int ctl_klog(const struct ctl_args *a, bool dry)
{
	int size, n;
	char *buf, *line, *save, *msg;

	if (dry)
		return CTL_OK;
	size = klogctl(KLOG_SIZE_BUFFER, NULL, 0);
	buf = size > 0 ? malloc((size_t)size + 1) : NULL;
	if (!buf)
		return ctl_err("klog: the kernel log's size: %s", strerror(errno));
	n = klogctl(KLOG_READ_ALL, buf, size);
	if (n < 0) {
		free(buf);
		return ctl_err("klog: reading the kernel log: %s", strerror(errno));
	}
	buf[n] = '\0';
	for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		msg = line[0] == '<' && strchr(line, '>') ? strchr(line, '>') + 1 : line;
		if (strstr(msg, a->argv[0]))
			printf("%s\n", msg);
	}
	free(buf);
	return CTL_OK;
}
