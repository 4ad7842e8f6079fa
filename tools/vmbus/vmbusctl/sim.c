// SPDX-License-Identifier: GPL-2.0
/*
 * `vmbusctl sim ...`: the simulated host's control files (debugfs
 * vmbus_sim/, Documentation/virt/hyperv/vmbus-sim.rst, "Control plane").
 * Each command checks its arguments and the host's device table first, so
 * that a command the host would refuse is refused here with the reason,
 * and a refusal the host still makes is reported with the file, the
 * command and the errno.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vmbusctl.h"

enum {
	SIM_MAX_RELID	= 2047,
	SIM_MAX_SUB	= 2046,
	NIC_MAX_QUEUES	= 8,
};

/* One line of `devices`: `relid class instance sub_index state`. */
struct sim_dev {
	unsigned int relid, sub;
	char class_id[CTL_GUID_LEN + 1], instance[CTL_GUID_LEN + 1], state[16];
};

struct sim_table {
	unsigned int n;
	struct sim_dev dev[SIM_MAX_RELID];
};

static void sim_file(char *buf, size_t len, const char *file)
{
	ctl_path(buf, len, ctl_debugfs(), "vmbus_sim/%s", file);
}

/* Writes a command to vmbus_sim/@file and reports a refusal. */
static int sim_write(const char *file, const char *fmt, ...) CTL_PRINTF(2, 3);
static int sim_write(const char *file, const char *fmt, ...)
{
	char path[256], cmd[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	sim_file(path, sizeof(path), file);
	return ctl_write_report(path, cmd);
}

/* The host's table, after ctl_sim_ready(); CTL_ERR after a message. */
static int sim_load(struct sim_table *t)
{
	char path[256], *text, *line, *save;
	struct sim_dev *d;

	if (ctl_sim_ready())
		return CTL_ERR;
	sim_file(path, sizeof(path), "devices");
	text = ctl_read(path);
	if (!text)
		return ctl_err("%s: %s", path, strerror(errno));
	t->n = 0;
	for (line = strtok_r(text, "\n", &save); line && t->n < SIM_MAX_RELID;
	     line = strtok_r(NULL, "\n", &save)) {
		d = &t->dev[t->n];
		if (sscanf(line, "%u %36s %36s %u %15s", &d->relid, d->class_id, d->instance,
			   &d->sub, d->state) == 5)
			t->n++;
	}
	free(text);
	return CTL_OK;
}

static const struct sim_dev *sim_find_instance(const struct sim_table *t, const char *inst)
{
	unsigned int i;

	for (i = 0; i < t->n; i++)
		if (!t->dev[i].sub && !strcasecmp(t->dev[i].instance, inst))
			return &t->dev[i];
	return NULL;
}

static const struct sim_dev *sim_find_relid(const struct sim_table *t, unsigned int relid)
{
	unsigned int i;

	for (i = 0; i < t->n; i++)
		if (t->dev[i].relid == relid)
			return &t->dev[i];
	return NULL;
}

/* A relid 1..2047 or an instance GUID, as the command line gives it. */
static int parse_target(const char *cmd, const char *s)
{
	uint64_t v;

	if (ctl_is_guid(s) || (!ctl_parse_u64(s, &v) && v >= 1 && v <= SIM_MAX_RELID))
		return CTL_OK;
	return ctl_usage_err("%s: '%s' is neither a relid (1..%d) nor an instance GUID", cmd,
			     s, SIM_MAX_RELID);
}

/* The offered channel @s names in the host's table: its relid, or 0 after a message. */
static unsigned int resolve_target(const struct sim_table *t, const char *s)
{
	const struct sim_dev *d;
	uint64_t relid;

	if (ctl_is_guid(s)) {
		d = sim_find_instance(t, s);
		if (!d) {
			ctl_err("no device with instance %s in the host's table", s);
			return 0;
		}
	} else {
		ctl_parse_u64(s, &relid);
		d = sim_find_relid(t, (unsigned int)relid);
		if (!d) {
			ctl_err("relid %s is not in the host's table (see `vmbusctl sim devices`)",
				s);
			return 0;
		}
	}
	if (strcmp(d->state, "offered")) {
		ctl_err("relid %u is %s, not offered", d->relid, d->state);
		return 0;
	}
	return d->relid;
}

/* rescind, reoffer, rescind-dup: one `devices` command on an offered relid. */
static int sim_relid_cmd(const struct ctl_args *a, bool dry, const char *name,
			 const char *verb)
{
	static struct sim_table t;
	unsigned int relid;

	if (parse_target(name, a->argv[0]))
		return CTL_USAGE;
	if (dry)
		return CTL_OK;
	if (sim_load(&t))
		return CTL_ERR;
	relid = resolve_target(&t, a->argv[0]);
	if (!relid || sim_write("devices", "%s %u", verb, relid))
		return CTL_ERR;
	printf("%s relid %u\n", verb, relid);
	return CTL_OK;
}

static int sim_rescind(const struct ctl_args *a, bool dry)
{
	return sim_relid_cmd(a, dry, "sim rescind", "rescind");
}

static int sim_reoffer(const struct ctl_args *a, bool dry)
{
	return sim_relid_cmd(a, dry, "sim reoffer", "reoffer");
}

static int sim_withhold(const struct ctl_args *a, bool dry)
{
	static struct sim_table t;

	if (!ctl_is_guid(a->argv[0]))
		return ctl_usage_err("sim withhold: '%s' is not an instance GUID", a->argv[0]);
	if (dry)
		return CTL_OK;
	if (sim_load(&t))
		return CTL_ERR;
	if (!sim_find_instance(&t, a->argv[0]))
		return ctl_err("no device with instance %s in the host's table", a->argv[0]);
	return sim_write("devices", "withhold %s", a->argv[0]);
}

static void sim_dev_json(const struct sim_dev *d, bool first)
{
	printf("%s\n    { \"relid\": %u, \"class_id\": \"%s\", \"instance\": \"%s\", ",
	       first ? "" : ",", d->relid, d->class_id, d->instance);
	printf("\"sub_index\": %u, \"state\": \"%s\" }", d->sub, d->state);
}

static int sim_devices(const struct ctl_args *a, bool dry)
{
	static struct sim_table t;
	const struct sim_dev *d;
	unsigned int i;

	if (dry)
		return CTL_OK;
	if (sim_load(&t))
		return CTL_ERR;
	if (a->count[0])
		printf("{ \"devices\": [");
	else
		printf("%5s  %-36s  %-36s  %3s  %s\n", "relid", "class", "instance", "sub",
		       "state");
	for (i = 0; i < t.n; i++) {
		d = &t.dev[i];
		if (a->count[0])
			sim_dev_json(d, !i);
		else
			printf("%5u  %s  %s  %3u  %s\n", d->relid, d->class_id, d->instance, d->sub,
			       d->state);
	}
	if (a->count[0])
		printf("%s] }\n", t.n ? "\n  " : "");
	return CTL_OK;
}

static const char *const ic_names[] = { "heartbeat", "shutdown", "timesync", "kvp", NULL };

static bool is_ic(const char *name)
{
	unsigned int i;

	for (i = 0; ic_names[i]; i++)
		if (!strcmp(ic_names[i], name))
			return true;
	return false;
}

/* aa:bb:cc:dd:ee:ff */
static bool is_mac(const char *s)
{
	unsigned int i;

	if (strlen(s) != 17)
		return false;
	for (i = 0; i < 17; i++)
		if (i % 3 == 2 ? s[i] != ':' : !strchr("0123456789abcdefABCDEF", s[i]))
			return false;
	return true;
}

/* The class @what names: a short name of ctl_classes[] or a GUID. */
static const char *offer_class(const char *what)
{
	const struct ctl_class *c;

	if (ctl_is_guid(what))
		return what;
	for (c = ctl_classes; c->guid; c++)
		if (c->name && !strcmp(c->name, what))
			return c->guid;
	return NULL;
}

enum { OFFER_SUBS, OFFER_COUNT };

static const struct ctl_opt offer_opts[] = {
	[OFFER_SUBS] = { "subchannels", 's', true },
	[OFFER_COUNT] = { "count", 'c', true },
	{ NULL },
};

/* The offer's numbers, from the command line only. */
struct offer {
	const char *what, *class_id, *instance;
	uint64_t nsub, count;
};

static int offer_parse(const struct ctl_args *a, struct offer *o)
{
	o->what = a->argv[0];
	o->instance = a->argc > 1 ? a->argv[1] : NULL;
	o->class_id = offer_class(o->what);
	o->nsub = 0;
	o->count = 0;
	if (!o->class_id)
		return ctl_err("sim offer: unknown device class '%s' (%s)", o->what,
			       "a GUID, or echo, scsi, nic, heartbeat, shutdown, timesync, kvp, ...");
	if (a->count[OFFER_SUBS] && (ctl_parse_u64(a->value[OFFER_SUBS], &o->nsub) ||
				     o->nsub > SIM_MAX_SUB))
		return ctl_usage_err("sim offer: bad --subchannels '%s': 0 to %d",
				     a->value[OFFER_SUBS], SIM_MAX_SUB);
	if (a->count[OFFER_COUNT] && (ctl_parse_u64(a->value[OFFER_COUNT], &o->count) ||
				      !o->count || o->count > SIM_MAX_RELID))
		return ctl_usage_err("sim offer: bad --count '%s': 1 to %d", a->value[OFFER_COUNT],
				     SIM_MAX_RELID);
	if (is_ic(o->what) && (o->instance || o->nsub || o->count))
		return ctl_usage_err("sim offer %s: %s", o->what,
				     "an integration component takes no instance and no options");
	if (!strcmp(o->what, "nic") && (!o->instance || !is_mac(o->instance) || o->count ||
					o->nsub >= NIC_MAX_QUEUES))
		return ctl_usage_err("sim offer nic: %s, at most %d sub-channels, no --count",
				     "needs a MAC aa:bb:cc:dd:ee:ff", NIC_MAX_QUEUES - 1);
	if (o->count && (strcmp(o->what, "echo") || o->instance || o->nsub))
		return ctl_usage_err("sim offer: %s",
				     "--count is for echo devices without instance or sub-channels");
	if (o->instance && !ctl_is_guid(o->instance) && strcmp(o->what, "nic"))
		return ctl_usage_err("sim offer: '%s' is not an instance GUID", o->instance);
	return CTL_OK;
}

/* A random instance GUID from the kernel. */
static int random_instance(char *buf, size_t len)
{
	char *text = ctl_read("/proc/sys/kernel/random/uuid");

	if (!text)
		return ctl_err("/proc/sys/kernel/random/uuid: %s", strerror(errno));
	snprintf(buf, len, "%.36s", text);
	free(text);
	return CTL_OK;
}

static int offer_device(const struct offer *o)
{
	static struct sim_table t;
	char inst[CTL_GUID_LEN + 1];

	if (sim_load(&t))
		return CTL_ERR;
	if (o->count) {
		if (sim_write("devices", "add_test %" PRIu64, o->count))
			return CTL_ERR;
		printf("offered %" PRIu64 " echo devices\n", o->count);
		return CTL_OK;
	}
	if (o->instance)
		snprintf(inst, sizeof(inst), "%s", o->instance);
	else if (random_instance(inst, sizeof(inst)))
		return CTL_ERR;
	if (sim_find_instance(&t, inst))
		return ctl_err("the host's table has a device with instance %s already", inst);
	if (sim_write("devices", "add %s %s %" PRIu64, o->class_id, inst, o->nsub))
		return CTL_ERR;
	printf("offered %s %s with %" PRIu64 " sub-channels\n", o->what, inst, o->nsub);
	return CTL_OK;
}

/* Integration components and NICs have their own control files. */
static int offer_special(const struct offer *o, const char *file)
{
	char path[256];

	if (ctl_sim_ready())
		return CTL_ERR;
	sim_file(path, sizeof(path), file);
	if (!ctl_exists(path))
		return ctl_err("%s missing: this simulator has no %s", path, o->what);
	if (is_ic(o->what))
		return sim_write(file, "add %s", o->what);
	return sim_write(file, "add %s %" PRIu64, o->instance, o->nsub + 1);
}

static int sim_offer(const struct ctl_args *a, bool dry)
{
	struct offer o;
	int ret = offer_parse(a, &o);

	if (ret || dry)
		return ret;
	if (is_ic(o.what))
		return offer_special(&o, "ic/control");
	if (!strcmp(o.what, "nic"))
		return offer_special(&o, "netvsc/control");
	return offer_device(&o);
}

/* The modes of vmbus-sim.rst, "Modes": one file each, read and written whole. */
static const char *const sim_modes[] = {
	"version_ceiling", "era", "msg_conn_id", "post_fail_rate", "post_fail_status",
	"eom_delay_us", "unload_delay_ms", "unload_respond", "open_status",
	"open_early_packet", "monitor", "monitor_latency", "resume_relids",
	"resume_conn_ids", "unload_rescind", "reoffer_events", "teardown_respond",
	"rescind_instead", "strict_contact", NULL,
};

static int mode_check(const char *mode)
{
	unsigned int i;

	for (i = 0; sim_modes[i]; i++)
		if (!strcmp(sim_modes[i], mode))
			return CTL_OK;
	return ctl_err("unknown simulator mode '%s' (see `vmbusctl sim modes`)", mode);
}

static int mode_print(const char *mode)
{
	char path[256], *text;

	sim_file(path, sizeof(path), mode);
	text = ctl_read(path);
	if (!text)
		return ctl_err("%s: %s", path, strerror(errno));
	text[strcspn(text, "\n")] = '\0';
	printf("%-18s %s\n", mode, text);
	free(text);
	return CTL_OK;
}

static int sim_set(const struct ctl_args *a, bool dry)
{
	if (mode_check(a->argv[0]))
		return CTL_ERR;
	if (!*a->argv[1] || strpbrk(a->argv[1], " \t\n"))
		return ctl_usage_err("sim set: the value must be one word");
	if (dry)
		return CTL_OK;
	if (ctl_sim_ready() || sim_write(a->argv[0], "%s", a->argv[1]))
		return CTL_ERR;
	return mode_print(a->argv[0]);
}

static int sim_get(const struct ctl_args *a, bool dry)
{
	if (mode_check(a->argv[0]))
		return CTL_ERR;
	if (dry)
		return CTL_OK;
	return ctl_sim_ready() ? CTL_ERR : mode_print(a->argv[0]);
}

static int sim_modes_show(const struct ctl_args *a, bool dry)
{
	unsigned int i;

	(void)a;
	if (dry)
		return CTL_OK;
	if (ctl_sim_ready())
		return CTL_ERR;
	for (i = 0; sim_modes[i]; i++)
		if (mode_print(sim_modes[i]))
			return CTL_ERR;
	return CTL_OK;
}

/* A fault kind and whether it takes an argument: a relid the host must hold, or a count. */
enum fault_arg { FA_NONE, FA_RELID, FA_ANY_RELID, FA_COUNT };

struct fault_kind {
	const char *name;
	enum fault_arg arg;
};

/* A family of faults: the control file and how a command is written to it. */
struct fault {
	const char *name;
	const char *file;
	const char *prefix;	/* before the kind, e.g. "fault " */
	bool arg_first;		/* "<prefix><arg> <kind>" instead of "<prefix><kind> <arg>" */
	const struct fault_kind *kinds;
};

static const struct fault_kind hostile_offer_kinds[] = {
	{ "dup", FA_RELID }, { "reuse", FA_RELID }, { "orphan_sub", FA_NONE },
	{ "bad_monitor", FA_NONE }, { "relid0", FA_NONE }, { "relid_high", FA_NONE }, { NULL },
};

static const struct fault_kind hostile_msg_kinds[] = {
	{ "timer", FA_NONE }, { "oversized", FA_RELID }, { "short", FA_RELID },
	{ "unknown", FA_NONE }, { "guest_type", FA_NONE }, { "unsolicited_version", FA_NONE },
	{ "unsolicited_open", FA_RELID }, { "unknown_gpadl", FA_RELID },
	{ "unknown_torndown", FA_NONE }, { NULL },
};

static const struct fault_kind corrupt_kinds[] = {
	{ "write_index", FA_RELID }, { "len", FA_RELID }, { NULL },
};

static const struct fault_kind rescind_kinds[] = {
	{ "dup", FA_RELID }, { "stray", FA_ANY_RELID }, { NULL },
};

static const struct fault_kind storvsc_kinds[] = {
	{ "medium_error", FA_COUNT }, { "bogus_id", FA_COUNT }, { "short_completion", FA_COUNT },
	{ "long_completion", FA_COUNT }, { "duplicate_id", FA_COUNT }, { NULL },
};

static const struct fault faults[] = {
	{ "hostile-offer", "hostile_offer", "", false, hostile_offer_kinds },
	{ "hostile-msg", "hostile_msg", "", false, hostile_msg_kinds },
	{ "corrupt", "channels", "corrupt ", true, corrupt_kinds },
	{ "rescind", "devices", "rescind_", false, rescind_kinds },
	{ "storvsc", "storvsc/control", "fault ", false, storvsc_kinds },
	{ NULL },
};

static int fault_unknown(const char *what, const char *name, const char *const *names,
			 size_t stride)
{
	fflush(stdout);
	fprintf(stderr, "vmbusctl: sim fault: unknown %s '%s'; known:", what, name);
	for (; *names; names = (const char *const *)((const char *)names + stride))
		fprintf(stderr, " %s", *names);
	fputc('\n', stderr);
	return CTL_ERR;
}

/* The family and kind named, and the argument checked as the kind needs. */
static int fault_parse(const struct ctl_args *a, const struct fault **f,
		       const struct fault_kind **k, uint64_t *arg)
{
	for (*f = faults; (*f)->name && strcmp((*f)->name, a->argv[0]); (*f)++)
		;
	if (!(*f)->name)
		return fault_unknown("fault", a->argv[0], &faults[0].name, sizeof(faults[0]));
	for (*k = (*f)->kinds; (*k)->name && strcmp((*k)->name, a->argv[1]); (*k)++)
		;
	if (!(*k)->name)
		return fault_unknown("kind", a->argv[1], &(*f)->kinds[0].name,
				     sizeof((*f)->kinds[0]));
	if ((*k)->arg == FA_NONE && a->argc > 2)
		return ctl_usage_err("sim fault %s %s takes no argument", (*f)->name, (*k)->name);
	if ((*k)->arg != FA_NONE && (a->argc < 3 || ctl_parse_u64(a->argv[2], arg) ||
				     *arg > UINT32_MAX ||
				     ((*k)->arg == FA_RELID && (!*arg || *arg > SIM_MAX_RELID))))
		return ctl_usage_err("sim fault %s %s needs a %s", (*f)->name, (*k)->name,
				     (*k)->arg == FA_COUNT ? "count" : "relid");
	return CTL_OK;
}

static int sim_fault(const struct ctl_args *a, bool dry)
{
	static struct sim_table t;
	const struct fault_kind *k;
	const struct fault *f;
	char path[256];
	uint64_t arg = 0;
	int ret = fault_parse(a, &f, &k, &arg);

	if (ret || dry)
		return ret;
	if (sim_load(&t))
		return CTL_ERR;
	sim_file(path, sizeof(path), f->file);
	if (!ctl_exists(path))
		return ctl_err("%s missing: this simulator has no %s faults", path, f->name);
	if (k->arg == FA_RELID && !resolve_target(&t, a->argv[2]))
		return CTL_ERR;
	if (k->arg == FA_NONE)
		ret = sim_write(f->file, "%s%s", f->prefix, k->name);
	else if (f->arg_first)
		ret = sim_write(f->file, "%s%" PRIu64 " %s", f->prefix, arg, k->name);
	else
		ret = sim_write(f->file, "%s%s %" PRIu64, f->prefix, k->name, arg);
	if (!ret)
		printf("fault %s %s injected\n", f->name, k->name);
	return ret;
}

/* `sim events <rounds> [cpu] [delay_us]` or `sim events stop`. */
static int sim_events(const struct ctl_args *a, bool dry)
{
	uint64_t rounds, delay = 0;
	long cpu = -1;
	char *end;

	if (!strcmp(a->argv[0], "stop")) {
		if (a->argc > 1)
			return ctl_usage_err("sim events stop: takes no argument");
		if (dry)
			return CTL_OK;
		return ctl_sim_ready() ? CTL_ERR : sim_write("events", "stop");
	}
	if (ctl_parse_u64(a->argv[0], &rounds) || !rounds || rounds > UINT32_MAX)
		return ctl_usage_err("sim events: bad rounds '%s': at least 1", a->argv[0]);
	if (a->argc > 1) {
		cpu = strtol(a->argv[1], &end, 10);
		if (*end || cpu < -1 || cpu > 8191)
			return ctl_usage_err("sim events: bad cpu '%s': -1 (any) or a CPU",
					     a->argv[1]);
	}
	if (a->argc > 2 && (ctl_parse_u64(a->argv[2], &delay) || delay > 1000000))
		return ctl_usage_err("sim events: bad delay '%s': 0 to 1000000 us", a->argv[2]);
	if (dry)
		return CTL_OK;
	if (ctl_sim_ready())
		return CTL_ERR;
	return sim_write("events", "fire %" PRIu64 " %ld %" PRIu64, rounds, cpu, delay);
}

static int sim_reset_stats(const struct ctl_args *a, bool dry)
{
	(void)a;
	if (dry)
		return CTL_OK;
	return ctl_sim_ready() ? CTL_ERR : sim_write("reset_stats", "1");
}

static int sim_clear(const struct ctl_args *a, bool dry)
{
	(void)a;
	if (dry)
		return CTL_OK;
	return ctl_sim_ready() ? CTL_ERR : sim_write("devices", "clear");
}

static const struct ctl_opt json_opts[] = {
	{ "json", 'j', false },
	{ NULL },
};

const struct ctl_cmd ctl_sim_cmds[] = {
	{ "devices", sim_devices, 0, 0, json_opts, "devices [--json]",
	  "the host's device table" },
	{ "offer", sim_offer, 1, 2, offer_opts,
	  "offer <class> [<instance>] [--subchannels N] [--count N]",
	  "offer a device (class: GUID or name)" },
	{ "rescind", sim_rescind, 1, 1, NULL, "rescind <relid|instance>",
	  "rescind a channel or a device" },
	{ "reoffer", sim_reoffer, 1, 1, NULL, "reoffer <relid|instance>",
	  "rescind and offer again" },
	{ "withhold", sim_withhold, 1, 1, NULL, "withhold <instance>",
	  "leave out of the next connection's offers" },
	{ "clear", sim_clear, 0, 0, NULL, "clear", "rescind every device" },
	{ "events", sim_events, 1, 3, NULL, "events <rounds> [cpu] [delay_us] | stop",
	  "host-to-guest events on every channel" },
	{ "fault", sim_fault, 2, 3, NULL, "fault <family> <kind> [<relid|count>]",
	  "inject a fault (hostile-offer, hostile-msg, corrupt, rescind, storvsc)" },
	{ "set", sim_set, 2, 2, NULL, "set <mode> <value>", "set a simulator mode" },
	{ "get", sim_get, 1, 1, NULL, "get <mode>", "a simulator mode's value" },
	{ "modes", sim_modes_show, 0, 0, NULL, "modes", "every mode and its value" },
	{ "reset-stats", sim_reset_stats, 0, 0, NULL, "reset-stats",
	  "zero the host's counters" },
	{ NULL },
};
