// SPDX-License-Identifier: GPL-2.0
/*
 * Checks: every helper here returns a verdict, true when the check held, and
 * prints a `# FAIL: ...` diagnostic saying what it expected and what it got
 * (ksft_print_msg()) when it did not.  See vm_ksft.h.
 *
 * stdout and stderr are line buffered from the start (a constructor), so
 * that the lines of a child process (modprobe, rmmod) land between ours in
 * the right order.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "vmbus_util.h"

__attribute__((constructor)) static void vm_line_buffered(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	setvbuf(stderr, NULL, _IOLBF, 0);
}

bool vm_expect(bool cond, const char *fmt, ...)
{
	va_list ap;

	if (cond)
		return true;
	ksft_print_msg("FAIL: ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	return false;
}

bool vm_expect_eq(const char *what, uint64_t want, uint64_t got)
{
	return vm_expect(want == got, "%s: expected %" PRIu64 " (0x%" PRIx64
			 "), got %" PRIu64 " (0x%" PRIx64 ")",
			 what, want, want, got, got);
}

bool vm_expect_ge(const char *what, uint64_t min, uint64_t got)
{
	return vm_expect(got >= min, "%s: expected >= %" PRIu64 ", got %"
			 PRIu64, what, min, got);
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

/*
 * The host's side of a connection the guest made at @version: connected
 * there, one INITIATE_CONTACT per guest version from the top down to it
 * less those refused on connection id 4 (vm_contacts_refused()), no
 * refused post and no guest error.  @sim is the host's "stats", @in its
 * "msg_in".
 */
bool vm_expect_connected_at(const struct vm_stats *sim, const struct vm_stats *in,
			    const char *version)
{
	uint64_t refused = vm_contacts_refused(version);
	bool ok;

	ok = vm_expect_stat(sim, "connected", 1);
	ok &= vm_expect_stat(sim, "version", vm_version_code(version));
	ok &= vm_expect_stat(sim, "contacts_no_conn_id", refused);
	ok &= vm_expect_stat(sim, "posts_bad_conn_id", 0);
	ok &= vm_expect_stat(sim, "guest_errors", 0);
	ok &= vm_expect_msgs(in, "INITIATE_CONTACT",
			     1 + vm_versions_above(version) - refused);
	return ok;
}

bool vm_modprobe_expect(const char *module, unsigned int timeout_ms)
{
	return vm_expect(!vm_modprobe(module, timeout_ms),
			 "`modprobe %s`: expected exit status 0", module);
}

/* Nothing holds @module: its refcnt is 0 (or there is no such file). */
static bool module_unused(void *arg)
{
	char path[128];
	uint64_t refs;

	snprintf(path, sizeof(path), "/sys/module/%s/refcnt", (const char *)arg);
	return access(path, R_OK) || vm_read_u64(path, &refs) || !refs;
}

bool vm_wait_module_unused(const char *module, unsigned int timeout_ms)
{
	return vm_wait_until(module_unused, (void *)module, timeout_ms,
			     "%s's refcnt to reach 0", module);
}

/*
 * A reference the test let go of may still be held a moment: an AF_VSOCK
 * socket closed by the test holds hv_sock until the host's close reaches
 * the guest, and a SCSI scan holds hv_storvsc.  So rmmod runs once the
 * module's refcnt is 0, or after VM_RMMOD_MS with it still held (and
 * then fails, saying so).
 */
bool vm_rmmod_expect(const char *module)
{
	vm_wait_module_unused(module, VM_RMMOD_MS);
	return vm_expect(!vm_rmmod(module, VM_RMMOD_MS),
			 "`rmmod %s`: expected exit status 0", module);
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
 * The guest's view of one device the host offers: the attributes the
 * README lists for offer_scale_test (id, class_id, device_id, modalias,
 * vendor, channel_vp_mapping) and channels/<relid>/ for the primary and every
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
