// SPDX-License-Identifier: GPL-2.0
/*
 * Counters: the `name value` files of both sides, by a short set name
 * (`stats`, `get`), and comparisons on one counter (`wait`, `expect`), which
 * is how a scenario asserts what happened.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vmbusctl.h"

struct stat_set {
	const char *name;
	const char *file;	/* under the debugfs root */
	const char *owner;	/* what must be loaded for it to exist */
};

static const struct stat_set stat_sets[] = {
	{ "sim", "vmbus_sim/stats", "the simulator (vmbus_sim)" },
	{ "guest", "hv_vmbus/stats", "hv_vmbus" },
	{ "bus", NULL, "hv_vmbus" },	/* counted in /sys/bus/vmbus (bus.c) */
	{ "ic", "vmbus_sim/ic/stats", "the simulator (vmbus_sim)" },
	{ "storvsc", "vmbus_sim/storvsc/stats", "the simulator (vmbus_sim)" },
	{ "netvsc", "vmbus_sim/netvsc/stats", "the simulator (vmbus_sim)" },
	{ "hvsock", "vmbus_sim/hvsock", "the simulator (vmbus_sim)" },
	{ "interrupts", "vmbus_sim/interrupts", "the simulator (vmbus_sim)" },
	{ "events", "vmbus_sim/events_set", "the simulator (vmbus_sim)" },
	{ "msg_in", "vmbus_sim/msg_in", "the simulator (vmbus_sim)" },
	{ "msg_out", "vmbus_sim/msg_out", "the simulator (vmbus_sim)" },
	{ "hostile_offer", "vmbus_sim/hostile_offer", "the simulator (vmbus_sim)" },
	{ "hostile_msg", "vmbus_sim/hostile_msg", "the simulator (vmbus_sim)" },
	{ NULL },
};

static const struct stat_set *set_find(const char *name)
{
	const struct stat_set *s;

	for (s = stat_sets; s->name; s++)
		if (!strcmp(s->name, name))
			return s;
	return NULL;
}

static int set_unknown(const char *name)
{
	const struct stat_set *s;

	fflush(stdout);
	fprintf(stderr, "vmbusctl: unknown counter set '%s'; known:", name);
	for (s = stat_sets; s->name; s++)
		fprintf(stderr, " %s", s->name);
	fputc('\n', stderr);
	return CTL_ERR;
}

/* The set's file, read whole: NULL after a message. */
static char *set_read(const struct stat_set *s)
{
	char path[256], *text;

	if (!s->file)
		return ctl_bus_text();
	ctl_path(path, sizeof(path), ctl_debugfs(), "%s", s->file);
	text = ctl_read(path);
	if (text)
		return text;
	if (!ctl_exists(ctl_debugfs()))
		ctl_err("%s missing: is debugfs mounted?", ctl_debugfs());
	else
		ctl_err("%s: %s (is %s loaded?)", path, strerror(errno), s->owner);
	return NULL;
}

/* @name's value in a `name value` text; false if absent or not a number. */
static bool stat_find(const char *text, const char *name, uint64_t *v)
{
	size_t n = strlen(name);
	const char *line;
	char word[32];

	for (line = text; line && *line; line = strchr(line, '\n'), line = line ? line + 1 : NULL) {
		if (strncmp(line, name, n) || line[n] != ' ')
			continue;
		return sscanf(line + n, " %31s", word) == 1 && !ctl_parse_u64(word, v);
	}
	return false;
}

int ctl_stat_read(const char *set, const char *name, uint64_t *v)
{
	const struct stat_set *s = set_find(set);
	char *text;
	bool found;

	if (!s)
		return set_unknown(set);
	text = set_read(s);
	if (!text)
		return CTL_ERR;
	found = stat_find(text, name, v);
	free(text);
	if (!found)
		return ctl_err("%s has no counter '%s' (see `vmbusctl stats %s`)", s->file,
			       name, set);
	return CTL_OK;
}

/* Each `name value` line as a JSON member; other lines are left out. */
static void stats_json(const char *set, const char *text, bool first)
{
	char name[64], value[64];
	const char *line;
	bool one = true;
	uint64_t v;

	printf("%s\n  \"%s\": {", first ? "" : ",", set);
	for (line = text; line && *line; line = strchr(line, '\n'), line = line ? line + 1 : NULL) {
		if (sscanf(line, "%63s %63s", name, value) != 2)
			continue;
		if (ctl_parse_u64(value, &v))
			printf("%s \"%s\": \"%s\"", one ? "" : ",", name, value);
		else
			printf("%s \"%s\": %" PRIu64, one ? "" : ",", name, v);
		one = false;
	}
	printf(" }");
}

const struct ctl_opt ctl_stats_opts[] = {
	{ "json", 'j', false },
	{ NULL },
};

/* One set, or `sim` and (when hv_vmbus is loaded) `guest`. */
int ctl_stats(const struct ctl_args *a, bool dry)
{
	const char *names[2] = { "sim", "guest" };
	unsigned int n = 2, i;
	char *text;

	if (a->argc) {
		names[0] = a->argv[0];
		n = 1;
		if (!set_find(names[0]))
			return set_unknown(names[0]);
	} else if (!dry && ctl_module_loaded("hv_vmbus") <= 0) {
		n = 1;
	}
	if (dry)
		return CTL_OK;
	if (a->count[0])
		printf("{");
	for (i = 0; i < n; i++) {
		text = set_read(set_find(names[i]));
		if (!text)
			return CTL_ERR;
		if (a->count[0])
			stats_json(names[i], text, !i);
		else
			printf("%s%s:\n%s", i ? "\n" : "", names[i], text);
		free(text);
	}
	if (a->count[0])
		printf("\n}\n");
	return CTL_OK;
}

int ctl_get(const struct ctl_args *a, bool dry)
{
	uint64_t v;

	if (!set_find(a->argv[0]))
		return set_unknown(a->argv[0]);
	if (dry)
		return CTL_OK;
	if (ctl_stat_read(a->argv[0], a->argv[1], &v))
		return CTL_ERR;
	printf("%" PRIu64 "\n", v);
	return CTL_OK;
}

enum cmp_op { CMP_EQ, CMP_NE, CMP_LT, CMP_LE, CMP_GT, CMP_GE, CMP_OPS };

static const char *const cmp_names[CMP_OPS] = {
	[CMP_EQ] = "==", [CMP_NE] = "!=", [CMP_LT] = "<",
	[CMP_LE] = "<=", [CMP_GT] = ">", [CMP_GE] = ">=",
};

static bool cmp_holds(enum cmp_op op, uint64_t x, uint64_t y)
{
	switch (op) {
	case CMP_EQ: return x == y;
	case CMP_NE: return x != y;
	case CMP_LT: return x < y;
	case CMP_LE: return x <= y;
	case CMP_GT: return x > y;
	default: return x >= y;
	}
}

/* `<set> <counter> <op> <value>`, checked before anything is read. */
struct cmp {
	const char *set, *counter;
	enum cmp_op op;
	uint64_t want;
};

static int cmp_parse(const struct ctl_args *a, struct cmp *c)
{
	unsigned int i;

	c->set = a->argv[0];
	c->counter = a->argv[1];
	if (!set_find(c->set))
		return set_unknown(c->set);
	for (i = 0; i < CMP_OPS && strcmp(cmp_names[i], a->argv[2]); i++)
		;
	if (i == CMP_OPS)
		return ctl_usage_err("bad comparison '%s': one of == != < <= > >=", a->argv[2]);
	c->op = i;
	if (ctl_parse_u64(a->argv[3], &c->want))
		return ctl_usage_err("bad value '%s': a decimal or 0x number", a->argv[3]);
	return CTL_OK;
}

static int cmp_failed(const struct cmp *c, uint64_t got, const char *how)
{
	return ctl_err("%s %s %s %" PRIu64 " does not hold%s: it is %" PRIu64, c->set,
		       c->counter, cmp_names[c->op], c->want, how, got);
}

int ctl_expect(const struct ctl_args *a, bool dry)
{
	struct cmp c;
	uint64_t got;
	int ret = cmp_parse(a, &c);

	if (ret || dry)
		return ret;
	if (ctl_stat_read(c.set, c.counter, &got))
		return CTL_ERR;
	if (!cmp_holds(c.op, got, c.want))
		return cmp_failed(&c, got, "");
	printf("%s %s = %" PRIu64 "\n", c.set, c.counter, got);
	return CTL_OK;
}

const struct ctl_opt ctl_wait_opts[] = {
	{ "timeout", 't', true },
	{ NULL },
};

enum { WAIT_DEFAULT_S = 30, WAIT_MAX_S = 3600 };

/*
 * Polls every CTL_POLL_MS: debugfs counters have no notification to wait
 * on.  A counter that disappears (the module went) fails at once.
 */
int ctl_wait(const struct ctl_args *a, bool dry)
{
	uint64_t got, timeout_s = WAIT_DEFAULT_S, deadline;
	char how[48];
	struct cmp c;
	int ret = cmp_parse(a, &c);

	if (ret)
		return ret;
	if (a->count[0] && (ctl_parse_u64(a->value[0], &timeout_s) || !timeout_s ||
			    timeout_s > WAIT_MAX_S))
		return ctl_usage_err("wait: bad --timeout '%s': 1 to %d seconds", a->value[0],
				     WAIT_MAX_S);
	if (dry)
		return CTL_OK;
	deadline = ctl_now_ms() + timeout_s * 1000;
	for (;;) {
		if (ctl_stat_read(c.set, c.counter, &got))
			return CTL_ERR;
		if (cmp_holds(c.op, got, c.want))
			break;
		if (ctl_now_ms() >= deadline) {
			snprintf(how, sizeof(how), " after %" PRIu64 " s", timeout_s);
			return cmp_failed(&c, got, how);
		}
		ctl_sleep_ms(CTL_POLL_MS);
	}
	printf("%s %s = %" PRIu64 "\n", c.set, c.counter, got);
	return CTL_OK;
}
