// SPDX-License-Identifier: GPL-2.0
/*
 * sysfs_abi_test: the bus's sysfs against the target kernel's ABI file,
 * Documentation/ABI/stable/sysfs-bus-vmbus, which the Makefile extracts
 * from the linux-source tarball next to the test programs.
 *
 * Every `What:` of that file must exist (a bus file; a file of every
 * device; a file of every channel under channels/<relid>/) and read in the
 * format this test knows for its name; a name the test does not know is a
 * failure, so a new entry in the ABI file is noticed.  Entries whose
 * description says they are "available only" for monitored channels must
 * be there on a monitored channel and absent on one without a monitor id;
 * the file uio_hv_generic creates is not looked for.  The ring attributes
 * that the distribution kernel shows per device but the ABI file does not
 * list (in_intr_mask, in_read_index, in_write_index, in_read_bytes_avail,
 * in_write_bytes_avail and the out_ set) are checked too: signed decimal
 * while the channel is open, EINVAL once it is closed.
 *
 * Sim modes: version_ceiling 5.3 (vm_echo_attach()); monitor 1, then 0.
 * One echo device with one sub-channel, bound to vmbus_echo_drv, then
 * unbound (closed), then bound again without monitor ids.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "vmbus_util.h"

#define INSTANCE	"6b0c6f2e-4a11-4d25-9e51-0e3c5d7a0abc"
#define ABI_NAME	"sysfs-bus-vmbus"
#define BUS_PREFIX	"/sys/bus/vmbus/"
#define DEV_PREFIX	"/sys/bus/vmbus/devices/<UUID>/"
#define CHAN_PREFIX	"/sys/bus/vmbus/devices/<UUID>/channels/<N>/"
#define CHAN_DIR	"/sys/bus/vmbus/devices/<UUID>/channels/<N>"

enum {
	NSUB		= 1,
	NCHANS		= NSUB + 1,
	MAX_ENTRIES	= 64,
	NAME_LEN	= 48,
};

enum fmt {
	FMT_UNKNOWN,
	FMT_DEC,	/* unsigned decimal */
	FMT_SDEC,	/* signed decimal */
	FMT_BOOL,	/* 0 or 1 */
	FMT_CPU,	/* a CPU number below the number of CPUs */
	FMT_GUID,	/* {xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx}, lower case */
	FMT_HEX16,	/* 0x and at most four hex digits */
	FMT_VP_MAP,	/* relid:cpu lines */
	FMT_UIO,	/* created by uio_hv_generic: not looked for */
};

enum where { AT_BUS, AT_DEV, AT_CHAN };

struct abi_entry {
	char name[NAME_LEN];
	enum where where;
	bool monitor_only;	/* "available only" for monitored channels */
	enum fmt fmt;
};

struct known {
	const char *name;
	enum where where;
	enum fmt fmt;
};

/* The format of each name the ABI file may list, from its descriptions. */
static const struct known known[] = {
	{ "hibernation",	AT_BUS,  FMT_BOOL },
	{ "id",			AT_DEV,  FMT_DEC },
	{ "class_id",		AT_DEV,  FMT_GUID },
	{ "device_id",		AT_DEV,  FMT_GUID },
	{ "channel_vp_mapping",	AT_DEV,  FMT_VP_MAP },
	{ "device",		AT_DEV,  FMT_HEX16 },
	{ "vendor",		AT_DEV,  FMT_HEX16 },
	{ "numa_node",		AT_DEV,  FMT_SDEC },
	{ "cpu",		AT_CHAN, FMT_CPU },
	{ "in_mask",		AT_CHAN, FMT_BOOL },
	{ "out_mask",		AT_CHAN, FMT_BOOL },
	{ "latency",		AT_CHAN, FMT_DEC },
	{ "pending",		AT_CHAN, FMT_BOOL },
	{ "read_avail",		AT_CHAN, FMT_DEC },
	{ "write_avail",	AT_CHAN, FMT_DEC },
	{ "events",		AT_CHAN, FMT_DEC },
	{ "interrupts",		AT_CHAN, FMT_DEC },
	{ "subchannel_id",	AT_CHAN, FMT_DEC },
	{ "monitor_id",		AT_CHAN, FMT_DEC },
	{ "ring",		AT_CHAN, FMT_UIO },
	{ "intr_in_full",	AT_CHAN, FMT_DEC },
	{ "intr_out_empty",	AT_CHAN, FMT_DEC },
	{ "out_full_first",	AT_CHAN, FMT_DEC },
	{ "out_full_total",	AT_CHAN, FMT_DEC },
};

/* Per-device ring attributes the ABI file does not list. */
static const char *const ring_attrs[] = {
	"in_intr_mask", "in_read_index", "in_write_index", "in_read_bytes_avail",
	"in_write_bytes_avail", "out_intr_mask", "out_read_index", "out_write_index",
	"out_read_bytes_avail", "out_write_bytes_avail",
};

static struct abi_entry abi[MAX_ENTRIES];
static unsigned int nabi;
static bool saw_chan_dir;
static long ncpus;

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

static enum fmt known_fmt(const char *name, enum where where)
{
	size_t i;

	for (i = 0; i < ARRAY_LEN(known); i++)
		if (known[i].where == where && !strcmp(known[i].name, name))
			return known[i].fmt;
	return FMT_UNKNOWN;
}

/* One `What:` path: which kind of file, and its name. */
static bool abi_add(const char *path)
{
	struct abi_entry *e;
	const char *name;
	enum where where;

	if (!strcmp(path, CHAN_DIR)) {
		saw_chan_dir = true;
		return true;
	}
	if (!strncmp(path, CHAN_PREFIX, strlen(CHAN_PREFIX))) {
		where = AT_CHAN;
		name = path + strlen(CHAN_PREFIX);
	} else if (!strncmp(path, DEV_PREFIX, strlen(DEV_PREFIX))) {
		where = AT_DEV;
		name = path + strlen(DEV_PREFIX);
	} else if (!strncmp(path, BUS_PREFIX, strlen(BUS_PREFIX))) {
		where = AT_BUS;
		name = path + strlen(BUS_PREFIX);
	} else {
		return vm_expect(false, "%s: What: %s is not under %s", ABI_NAME, path,
				 BUS_PREFIX);
	}
	if (!vm_expect(nabi < MAX_ENTRIES && strlen(name) < NAME_LEN && !strchr(name, '/'),
		       "%s: cannot place What: %s", ABI_NAME, path))
		return false;
	e = &abi[nabi++];
	strcpy(e->name, name);
	e->where = where;
	e->fmt = known_fmt(name, where);
	return vm_expect(e->fmt != FMT_UNKNOWN, "%s: %s: no format known for this name",
			 ABI_NAME, path);
}

static bool abi_path(char *buf, size_t len)
{
	char exe[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);

	if (!vm_expect(n > 0, "readlink /proc/self/exe: %s", strerror(errno)))
		return false;
	exe[n] = '\0';
	snprintf(buf, len, "%s/%s", dirname(exe), ABI_NAME);
	return true;
}

/* The `What:` lines; a Description that says "available only" marks the entry. */
static bool abi_load(void)
{
	char path[PATH_MAX], *text, *line, *save;
	struct abi_entry *cur = NULL;
	bool ok = true;

	if (!abi_path(path, sizeof(path)) || vm_read_file(path, &text))
		return false;
	for (line = strtok_r(text, "\n", &save); line && ok;
	     line = strtok_r(NULL, "\n", &save)) {
		if (!strncmp(line, "What:", 5)) {
			char *p = line + 5;
			size_t end;

			while (isspace((unsigned char)*p))
				p++;
			end = strlen(p);
			while (end && isspace((unsigned char)p[end - 1]))
				p[--end] = '\0';
			unsigned int before = nabi;

			ok = abi_add(p);
			cur = nabi > before ? &abi[before] : NULL;
		} else if (cur && strstr(line, "available only")) {
			cur->monitor_only = true;
		}
	}
	free(text);
	if (!ok)
		return false;
	ksft_print_msg("%s: %u files, channels/<N> %s\n", ABI_NAME, nabi,
		       saw_chan_dir ? "listed" : "not listed");
	return vm_expect(saw_chan_dir && nabi > 0, "%s: nothing to check", ABI_NAME);
}

/* ---- formats ---------------------------------------------------------------- */

static bool is_dec(const char *s, const char **end)
{
	const char *p = s;

	while (isdigit((unsigned char)*p))
		p++;
	*end = p;
	return p != s && p - s <= 20;
}

static bool fmt_ok(enum fmt fmt, const char *v)
{
	const char *end;
	unsigned int i;

	switch (fmt) {
	case FMT_DEC:
		return is_dec(v, &end) && !strcmp(end, "\n");
	case FMT_SDEC:
		return is_dec(v + (*v == '-'), &end) && !strcmp(end, "\n");
	case FMT_BOOL:
		return !strcmp(v, "0\n") || !strcmp(v, "1\n");
	case FMT_CPU:
		return is_dec(v, &end) && !strcmp(end, "\n") && strtol(v, NULL, 10) < ncpus;
	case FMT_GUID:
		if (strlen(v) != VM_GUID_LEN + 3 || v[0] != '{' || strcmp(v + VM_GUID_LEN + 1, "}\n"))
			return false;
		for (i = 1; i <= VM_GUID_LEN; i++) {
			bool dash = i == 9 || i == 14 || i == 19 || i == 24;

			if (dash ? v[i] != '-' : !isxdigit((unsigned char)v[i]) ||
			    isupper((unsigned char)v[i]))
				return false;
		}
		return true;
	case FMT_HEX16:
		if (strncmp(v, "0x", 2))
			return false;
		for (i = 2; isxdigit((unsigned char)v[i]); i++)
			;
		return i > 2 && i <= 6 && !strcmp(v + i, "\n");
	case FMT_VP_MAP:
		if (!*v)
			return false;
		while (*v) {
			if (!is_dec(v, &end) || *end != ':' || !is_dec(end + 1, &end) ||
			    *end != '\n')
				return false;
			v = end + 1;
		}
		return true;
	default:
		return false;
	}
}

/* The file as the kernel wrote it, trailing newline included: 0 or -errno. */
static int read_raw(const char *path, char *buf, size_t len)
{
	ssize_t n;
	int fd, err = 0;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	do {
		n = read(fd, buf, len - 1);
	} while (n < 0 && errno == EINTR);
	if (n < 0) {
		err = -errno;
		n = 0;
	}
	close(fd);
	buf[n] = '\0';
	return err;
}

static bool check_file(const char *path, enum fmt fmt)
{
	char buf[4096];
	int err = read_raw(path, buf, sizeof(buf));

	if (!vm_expect(!err, "cannot read %s: %s", path, strerror(-err)))
		return false;
	return vm_expect(fmt_ok(fmt, buf), "%s: '%.*s' is not in the ABI's format", path,
			 (int)strcspn(buf, "\n"), buf);
}

/* ---- the checks ------------------------------------------------------------- */

static bool load(void)
{
	const char *const inst[] = { INSTANCE };

	return !vm_sim_set("monitor", "1") && vm_echo_load(inst, 1, NSUB);
}

static bool check_bus(void)
{
	char path[PATH_MAX];
	bool ok = true;
	unsigned int i;

	for (i = 0; i < nabi; i++) {
		if (abi[i].where != AT_BUS)
			continue;
		snprintf(path, sizeof(path), BUS_PREFIX "%s", abi[i].name);
		ok &= check_file(path, abi[i].fmt);
	}
	return ok;
}

/* Every device file of the ABI file, and the ring files (decimal, or EINVAL when closed). */
static bool check_device(const char *instance, bool open)
{
	char path[PATH_MAX], buf[64];
	bool ok = true;
	unsigned int i;
	int err;

	for (i = 0; i < nabi; i++) {
		if (abi[i].where != AT_DEV)
			continue;
		snprintf(path, sizeof(path), VM_VMBUS_DEVICES "/%s/%s", instance, abi[i].name);
		ok &= check_file(path, abi[i].fmt);
	}
	for (i = 0; i < ARRAY_LEN(ring_attrs); i++) {
		snprintf(path, sizeof(path), VM_VMBUS_DEVICES "/%s/%s", instance, ring_attrs[i]);
		if (open) {
			ok &= check_file(path, strstr(ring_attrs[i], "intr_mask") ?
					 FMT_BOOL : FMT_SDEC);
			continue;
		}
		err = read_raw(path, buf, sizeof(buf));
		ok &= vm_expect(err == -EINVAL, "%s on a closed channel: %d, expected %d",
				path, err, -EINVAL);
	}
	return ok;
}

/* Every channel file of the ABI file on every channel of the echo device. */
static bool check_channels(bool monitored)
{
	unsigned int relids[NCHANS + 1], i;
	char path[PATH_MAX];
	bool ok = true;
	int n, j;

	n = vm_chan_relids(INSTANCE, relids, NCHANS + 1);
	if (!vm_expect(n == NCHANS, "%s/%s/channels: %d channels, expected %u",
		       VM_VMBUS_DEVICES, INSTANCE, n, NCHANS))
		return false;
	for (j = 0; j < n; j++) {
		for (i = 0; i < nabi; i++) {
			const struct abi_entry *e = &abi[i];

			if (e->where != AT_CHAN || e->fmt == FMT_UIO)
				continue;
			snprintf(path, sizeof(path), VM_VMBUS_DEVICES "/%s/channels/%u/%s",
				 INSTANCE, relids[j], e->name);
			if (e->monitor_only && !monitored)
				ok &= vm_expect(!vm_exists(path),
						"%s exists on a channel without a monitor id",
						path);
			else
				ok &= check_file(path, e->fmt);
		}
	}
	return ok;
}

static bool check_open(void)
{
	return check_device(INSTANCE, true) & check_channels(true);
}

static bool check_closed(void)
{
	return vm_echo_unload() && check_device(INSTANCE, false);
}

static bool check_unmonitored(void)
{
	const char *const inst[] = { INSTANCE };

	return vm_guest_unload() && !vm_sim_set("monitor", "0") &&
	       vm_echo_attach(inst, 1, NSUB) && check_channels(false);
}

int main(void)
{
	bool loaded;

	ksft_print_header();
	vm_setup();
	ncpus = sysconf(_SC_NPROCESSORS_CONF);
	ksft_set_plan(8);
	ksft_test_result(abi_load(), "%s: every What: has a known format\n", ABI_NAME);
	loaded = load();
	ksft_test_result(loaded, "echo device with %u sub-channel and monitor ids, open\n",
			 NSUB);
	ksft_test_result(loaded && check_bus(), "bus files of %s\n", ABI_NAME);
	ksft_test_result(loaded && check_open(),
			 "device and channel files of %s, and the ring files, on open channels\n",
			 ABI_NAME);
	ksft_test_result(loaded && check_closed(),
			 "closed channels: the ring files return EINVAL\n");
	ksft_test_result(loaded && check_unmonitored(),
			 "no monitor ids: the monitor-only channel files are absent\n");
	ksft_test_result(vm_echo_unload() & vm_guest_unload(), "rmmod %s and hv_vmbus\n",
			 VM_ECHO_DRV);
	ksft_test_result(vm_teardown(), "teardown: sim modes and devices restored\n");
	vm_test_finished();
}
