// SPDX-License-Identifier: GPL-2.0
/*
 * Parsers of what the simulated host and the drivers print: `name value`
 * stats files, message logs, the sim's device table, events_set and
 * channels, the echo driver's result file; the VMBus version list.
 *
 * Return convention: 0 on success, a negative errno on failure, after a
 * diagnostic naming the file and line.  Lookups in what was parsed return
 * what they found: vm_stats_find() (false: no such line, no diagnostic),
 * vm_sim_devices_find() (NULL), the counts.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vmbus_util.h"

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
	if (vm_parse_value(value, &stat->value)) {
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

	snprintf(st->label, sizeof(st->label), "%s/%s", vm_side_name(side), file);
	st->count = 0;
	err = vm_read(side, file, &text);
	if (err)
		return err;
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

	snprintf(log->label, sizeof(log->label), "%s/%s", vm_side_name(side), file);
	log->msg = NULL;
	log->count = 0;
	err = vm_read(side, file, &text);
	if (err)
		return err;
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

/*
 * The guest's list, tried highest first (Documentation/virt/hyperv/
 * vmbus-core.rst, "Connection").
 */
const char *const vm_guest_versions[] = {
	"5.3", "5.2", "5.1", "5.0", "4.1", "4.0", "3.0", "2.4",
};

const unsigned int vm_guest_version_count =
	sizeof(vm_guest_versions) / sizeof(vm_guest_versions[0]);

/* "M.m" as M << 16 | m; 0, which no check accepts, for a malformed string. */
uint32_t vm_version_code(const char *version)
{
	unsigned int major = 0, minor = 0;

	if (sscanf(version, "%u.%u", &major, &minor) != 2) {
		ksft_print_msg("FAIL: bad version string '%s'\n", version);
		return 0;
	}
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

/*
 * Of the versions above @ceiling, those from 5.0 on, which the guest offers
 * on connection id 4: a host whose ceiling is below 5.0 has no connection
 * id 4 and refuses those posts (vmbus-sim.rst, "Host eras").
 */
unsigned int vm_contacts_refused(const char *ceiling)
{
	uint32_t limit = vm_version_code(ceiling), v5 = vm_version_code("5.0");
	unsigned int i, refused = 0;

	if (limit >= v5)
		return 0;
	for (i = 0; i < vm_guest_version_count; i++)
		refused += vm_version_code(vm_guest_versions[i]) >= v5;
	return refused;
}

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
			       "state: the simulator lacks the format `relid class "
			       "instance sub_index state`\n", lineno, line);
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
	char *text;
	int err;

	devs->count = 0;
	devs->dev = NULL;
	err = vm_read(VM_SIM, "devices", &text);
	if (err)
		return err;
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

int vm_sim_events_set_load(uint64_t count[VM_MAX_RELID + 1])
{
	char *text, *line, *save;
	unsigned int lineno = 0, relid;
	uint64_t n;
	int end, err;

	memset(count, 0, sizeof(*count) * (VM_MAX_RELID + 1));
	err = vm_read(VM_SIM, "events_set", &text);
	if (err)
		return err;
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

int vm_echo_result_load(const char *instance, struct vm_echo_result *r)
{
	char path[512], *text, *line, *save;
	int err;

	memset(r, 0, sizeof(*r));
	vm_echo_path(path, sizeof(path), instance, "result");
	err = vm_read_file(path, &text);
	if (err)
		return err;
	for (line = strtok_r(text, "\n", &save); line && !err;
	     line = strtok_r(NULL, "\n", &save)) {
		err = echo_result_line(line, r);
		if (err)
			ksft_print_msg("%s: cannot parse '%s'\n", path, line);
	}
	free(text);
	return err;
}

int vm_sim_chan_load(unsigned int relid, struct vm_sim_chan *c)
{
	char *text, *line, *save;
	int err = vm_read(VM_SIM, "channels", &text);

	if (err)
		return err;
	err = -ENOENT;
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
