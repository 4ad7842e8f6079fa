// SPDX-License-Identifier: GPL-2.0
/*
 * The guest's side: `list` (the devices under /sys/bus/vmbus/devices, in
 * the layout of the kernel's tools/hv/lsvmbus, or as JSON) and `hibernate`
 * (one freeze / thaw cycle through /sys/power).
 */
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "vmbusctl.h"

/* Device classes as lsvmbus names them; unknown classes are "Unknown". */
const struct ctl_class ctl_classes[] = {
	{ "shutdown", "0e0b6031-5213-4934-818b-38d90ced39db", "[Operating system shutdown]" },
	{ "timesync", "9527e630-d0ae-497b-adce-e80ab0175caf", "[Time Synchronization]" },
	{ "heartbeat", "57164f39-9115-4e78-ab55-382f3bd5422d", "[Heartbeat]" },
	{ "kvp", "a9a0f4e7-5a45-4d96-b827-8a841e8c03e6", "[Data Exchange]" },
	{ "vss", "35fa2e29-ea23-4236-96ae-3a6ebacba440", "[Backup (volume checkpoint)]" },
	{ "fcopy", "34d14be3-dee4-41c8-9ae7-6b174977c192", "[Guest services]" },
	{ "balloon", "525074dc-8985-46e2-8057-a307dc18a502", "[Dynamic Memory]" },
	{ "mouse", "cfa8b69e-5b4a-4cc0-b98b-8ba1a1f3f95a", "Synthetic mouse" },
	{ "keyboard", "f912ad6d-2b17-48ea-bd65-f927a61c7684", "Synthetic keyboard" },
	{ "framebuffer", "da0a7802-e377-4aac-8e77-0558eb1073f8",
	  "Synthetic framebuffer adapter" },
	{ "nic", "f8615163-df3e-46c5-913f-f2d2f965ed0e", "Synthetic network adapter" },
	{ "ide", "32412632-86cb-44a2-9b5c-50d1417354f5", "Synthetic IDE Controller" },
	{ "scsi", "ba6163d9-04a1-4d29-b605-72e2ffb1dc7f", "Synthetic SCSI Controller" },
	{ "fc", "2f9bcc4a-0069-4af3-b76b-6fd0be528cda", "Synthetic fiber channel adapter" },
	{ "rdma", "8c2eaf3d-32a7-4b09-ab99-bd1f1c86b501", "Synthetic RDMA adapter" },
	{ "pci", "44c4f61d-4444-4400-9d52-802e27ede19f", "PCI Express pass-through" },
	{ NULL, "276aacf4-ac15-426c-98dd-7521ad3f01fe", "[Reserved system device]" },
	{ NULL, "f8e65716-3cb3-4a06-9a60-1889c5cccab5", "[Reserved system device]" },
	{ NULL, "3375baf4-9e15-4b30-b765-67acb10d607b", "[Reserved system device]" },
	/* The simulator's own class: lsvmbus does not know it. */
	{ "echo", "14d57429-963f-4abd-9c40-c2eae445a6cd", NULL },
	{ NULL },
};

/* @guid with or without braces, any case. */
const struct ctl_class *ctl_class_by_guid(const char *guid)
{
	const struct ctl_class *c;
	size_t skip = guid[0] == '{';

	for (c = ctl_classes; c->guid; c++)
		if (!strncasecmp(guid + skip, c->guid, CTL_GUID_LEN))
			return c;
	return NULL;
}

struct bus_dev {
	unsigned long id;
	char name[256];			/* the directory under devices/ */
	char class_id[64], device_id[64];
	char *mapping;			/* channel_vp_mapping: relid:cpu lines */
};

static void read_attr(const char *dev, const char *attr, char *buf, size_t len)
{
	char path[512], *text;

	ctl_path(path, sizeof(path), ctl_sysfs(), "bus/vmbus/devices/%s/%s", dev, attr);
	text = ctl_read(path);
	snprintf(buf, len, "%s", text ? text : "");
	buf[strcspn(buf, "\n")] = '\0';
	free(text);
}

static int dev_cmp(const void *a, const void *b)
{
	const struct bus_dev *x = a, *y = b;

	return x->id < y->id ? -1 : x->id > y->id;
}

static int relid_cmp(const void *a, const void *b)
{
	unsigned long x = strtoul(*(char *const *)a, NULL, 10);
	unsigned long y = strtoul(*(char *const *)b, NULL, 10);

	return x < y ? -1 : x > y;
}

/* The devices that have an `id`, sorted by it: count, or -1 after a message. */
static int bus_load(struct bus_dev **out)
{
	struct bus_dev *devs = NULL, *d;
	char dir[256], id[32], path[512];
	struct dirent *e;
	int n = 0;
	DIR *dp;

	ctl_path(dir, sizeof(dir), ctl_sysfs(), "bus/vmbus/devices");
	dp = opendir(dir);
	if (!dp) {
		ctl_err("%s: %s (is hv_vmbus loaded?)", dir, strerror(errno));
		return -1;
	}
	while ((e = readdir(dp))) {
		if (e->d_name[0] == '.')
			continue;
		read_attr(e->d_name, "id", id, sizeof(id));
		if (!*id)
			continue;
		d = realloc(devs, (n + 1) * sizeof(*devs));
		if (!d)
			break;
		devs = d;
		d = &devs[n++];
		d->id = strtoul(id, NULL, 10);
		snprintf(d->name, sizeof(d->name), "%s", e->d_name);
		read_attr(d->name, "class_id", d->class_id, sizeof(d->class_id));
		read_attr(d->name, "device_id", d->device_id, sizeof(d->device_id));
		ctl_path(path, sizeof(path), ctl_sysfs(), "bus/vmbus/devices/%s/%s",
			 d->name, "channel_vp_mapping");
		d->mapping = ctl_read(path);
	}
	closedir(dp);
	if (n)
		qsort(devs, n, sizeof(*devs), dev_cmp);
	*out = devs;
	return n;
}

static void bus_free(struct bus_dev *devs, int n)
{
	while (n--)
		free(devs[n].mapping);
	free(devs);
}

/* The `relid:cpu` words of @d in relid order; count. */
static int bus_channels(const struct bus_dev *d, char *copy, size_t len, char **chan, int max)
{
	char *save, *w;
	int n = 0;

	snprintf(copy, len, "%s", d->mapping ? d->mapping : "");
	for (w = strtok_r(copy, " \t\n", &save); w && n < max; w = strtok_r(NULL, " \t\n", &save))
		if (strchr(w, ':'))
			chan[n++] = w;
	qsort(chan, n, sizeof(*chan), relid_cmp);
	return n;
}

enum { BUS_MAX_CHANS = 2048 };

static const char *class_desc(const char *class_id)
{
	const struct ctl_class *c = ctl_class_by_guid(class_id);

	return c && c->desc ? c->desc : "Unknown";
}

static void list_text(const struct bus_dev *d, unsigned int verbose, char **chan, int nchan)
{
	const char *desc = class_desc(d->class_id);
	char *cpu;
	int i;

	if (!verbose) {
		printf("VMBUS ID %2lu: %s\n", d->id, desc);
		return;
	}
	printf("VMBUS ID %2lu: Class_ID = %s - %s\n", d->id, d->class_id, desc);
	if (verbose > 1)
		printf("\tDevice_ID = %s\n\tSysfs path: %s/bus/vmbus/devices/%s\n",
		       d->device_id, ctl_sysfs(), d->name);
	for (i = 0; i < nchan; i++) {
		cpu = strchr(chan[i], ':');
		printf("\tRel_ID=%.*s, target_cpu=%s\n", (int)(cpu - chan[i]), chan[i], cpu + 1);
	}
	printf("\n");
}

/* A channel attribute as a JSON number, or null where the file is missing. */
static void json_chan_attr(const struct bus_dev *d, unsigned long relid, const char *attr)
{
	char buf[64], path[128];
	uint64_t v;

	snprintf(path, sizeof(path), "channels/%lu/%s", relid, attr);
	read_attr(d->name, path, buf, sizeof(buf));
	if (ctl_parse_u64(buf, &v))
		printf(", \"%s\": null", attr);
	else
		printf(", \"%s\": %" PRIu64, attr, v);
}

static void list_json(const struct bus_dev *d, bool first, char **chan, int nchan)
{
	const struct ctl_class *c = ctl_class_by_guid(d->class_id);
	char driver[512], path[512];
	unsigned long relid;
	ssize_t n;
	int i;

	ctl_path(path, sizeof(path), ctl_sysfs(), "bus/vmbus/devices/%s/driver", d->name);
	n = readlink(path, driver, sizeof(driver) - 1);
	driver[n > 0 ? n : 0] = '\0';
	printf("%s\n    { \"id\": %lu, \"class_id\": \"%s\", \"class\": \"%s\", ",
	       first ? "" : ",", d->id, d->class_id, c && c->name ? c->name : "unknown");
	printf("\"description\": \"%s\", \"device_id\": \"%s\", \"sysfs\": \"%s\",\n",
	       class_desc(d->class_id), d->device_id, d->name);
	if (*driver)
		printf("      \"driver\": \"%s\",", strrchr(driver, '/') ? strrchr(driver, '/') + 1
							   : driver);
	else
		printf("      \"driver\": null,");
	printf(" \"channels\": [");
	for (i = 0; i < nchan; i++) {
		relid = strtoul(chan[i], NULL, 10);
		printf("%s\n        { \"relid\": %lu, \"target_cpu\": %s", i ? "," : "",
		       relid, strchr(chan[i], ':') + 1);
		json_chan_attr(d, relid, "interrupts");
		json_chan_attr(d, relid, "events");
		json_chan_attr(d, relid, "subchannel_id");
		printf(" }");
	}
	printf("%s] }", nchan ? "\n      " : "");
}

/* The bus as a counter set: `devices N` and `channels N` (stats.c's "bus"). */
char *ctl_bus_text(void)
{
	struct bus_dev *devs = NULL;
	unsigned int chans = 0;
	char *text, *w;
	int n = bus_load(&devs), i;

	if (n < 0)
		return NULL;
	for (i = 0; i < n; i++)
		for (w = devs[i].mapping; w && (w = strchr(w, ':')); w++)
			chans++;
	bus_free(devs, n);
	if (asprintf(&text, "devices %d\nchannels %u\n", n, chans) < 0)
		return NULL;
	return text;
}

const struct ctl_opt ctl_list_opts[] = {
	{ "verbose", 'v', false },
	{ "json", 'j', false },
	{ NULL },
};

int ctl_list(const struct ctl_args *a, bool dry)
{
	static char *chan[BUS_MAX_CHANS];
	struct bus_dev *devs = NULL;
	static char copy[BUS_MAX_CHANS * 16];
	int n, i, nchan;

	if (a->count[0] > 2)
		return ctl_usage_err("list: -v at most twice (-vv)");
	if (dry)
		return CTL_OK;
	n = bus_load(&devs);
	if (n < 0)
		return CTL_ERR;
	if (a->count[1])
		printf("{ \"devices\": [");
	for (i = 0; i < n; i++) {
		nchan = bus_channels(&devs[i], copy, sizeof(copy), chan, BUS_MAX_CHANS);
		if (a->count[1])
			list_json(&devs[i], !i, chan, nchan);
		else
			list_text(&devs[i], a->count[0], chan, nchan);
	}
	if (a->count[1])
		printf("%s] }\n", n ? "\n  " : "");
	bus_free(devs, n);
	return CTL_OK;
}

const struct ctl_opt ctl_hibernate_opts[] = {
	{ "new-relids", 'n', false },
	{ "pm-test", 't', true },
	{ NULL },
};

/* Whether the /sys/power file @file lists @word (alone or in brackets). */
static int power_lists(const char *file, const char *word)
{
	char path[256], *text, *w, *save;
	int found = 0;

	ctl_path(path, sizeof(path), ctl_sysfs(), "power/%s", file);
	text = ctl_read(path);
	if (!text)
		return ctl_err("%s: %s (no hibernation support in this kernel?)", path,
			       strerror(errno));
	for (w = strtok_r(text, " []\n", &save); w; w = strtok_r(NULL, " []\n", &save))
		found |= !strcmp(w, word);
	free(text);
	if (!found)
		return ctl_err("%s does not offer '%s'", path, word);
	return CTL_OK;
}

/* The bracketed (current) word of /sys/power/pm_test. */
static void pm_test_current(char *buf, size_t len)
{
	char path[256], *text, *open, *close;

	ctl_path(path, sizeof(path), ctl_sysfs(), "power/pm_test");
	text = ctl_read(path);
	open = text ? strchr(text, '[') : NULL;
	close = open ? strchr(open, ']') : NULL;
	snprintf(buf, len, "%.*s", close ? (int)(close - open - 1) : 4, close ? open + 1 : "none");
	free(text);
}

static int hibernate_checks(const struct ctl_args *a)
{
	if (power_lists("state", "disk") || (a->count[1] && power_lists("pm_test", a->value[1])))
		return CTL_ERR;
	return a->count[0] ? ctl_sim_ready() : CTL_OK;
}

/* Host counters that a cycle moves, when the simulator is there. */
static void sim_counts(uint64_t *connections, uint64_t *moved)
{
	char path[256];

	*connections = 0;
	*moved = 0;
	ctl_path(path, sizeof(path), ctl_debugfs(), "vmbus_sim/stats");
	if (ctl_exists(path) && !ctl_stat_read("sim", "connections", connections))
		ctl_stat_read("sim", "relids_moved", moved);
}

/*
 * One cycle: `disk` into /sys/power/state, which returns after the resume
 * (with pm_test `core` a freeze and thaw of the devices, no image).
 * --new-relids sets the host's resume_relids and resume_conn_ids first.
 */
int ctl_hibernate(const struct ctl_args *a, bool dry)
{
	uint64_t conn0, moved0, conn1, moved1, start;
	char path[256], old_test[32];
	int ret;

	if (a->count[1] && strspn(a->value[1], "abcdefghijklmnopqrstuvwxyz") !=
	    strlen(a->value[1]))
		return ctl_usage_err("hibernate: bad --pm-test mode '%s'", a->value[1]);
	if (dry)
		return CTL_OK;
	if (hibernate_checks(a))
		return CTL_ERR;
	if (a->count[0]) {
		ctl_path(path, sizeof(path), ctl_debugfs(), "vmbus_sim/resume_relids");
		if (ctl_write_report(path, "1"))
			return CTL_ERR;
		ctl_path(path, sizeof(path), ctl_debugfs(), "vmbus_sim/resume_conn_ids");
		if (ctl_write_report(path, "1"))
			return CTL_ERR;
	}
	pm_test_current(old_test, sizeof(old_test));
	ctl_path(path, sizeof(path), ctl_sysfs(), "power/pm_test");
	if (a->count[1] && ctl_write_report(path, a->value[1]))
		return CTL_ERR;
	sim_counts(&conn0, &moved0);
	start = ctl_now_ms();
	ctl_path(path, sizeof(path), ctl_sysfs(), "power/state");
	ret = ctl_write_report(path, "disk");
	if (a->count[1]) {
		ctl_path(path, sizeof(path), ctl_sysfs(), "power/pm_test");
		ctl_write(path, old_test);
	}
	if (ret)
		return ret;
	sim_counts(&conn1, &moved1);
	printf("hibernation cycle: %" PRIu64 " ms, host connections +%" PRIu64
	       ", relids moved +%" PRIu64 "\n", ctl_now_ms() - start, conn1 - conn0,
	       moved1 - moved0);
	return CTL_OK;
}
