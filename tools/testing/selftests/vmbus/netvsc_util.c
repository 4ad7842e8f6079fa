// SPDX-License-Identifier: GPL-2.0
/*
 * Helpers of the netvsc tests: a NIC's network device by its MAC, its
 * channel, busy receive slots and queues in the host's netvsc/nics.
 */
#include <dirent.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "netvsc_util.h"
#include "vmbus_util.h"

/* The network device of this namespace whose address is @mac, into @name. */
bool nv_find_if(const char *mac, char *name)
{
	char path[300], text[64];
	struct dirent *de;
	bool found = false;
	DIR *d = opendir("/sys/class/net");

	if (!d)
		return false;
	while (!found && (de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/sys/class/net/%s/address", de->d_name);
		if (vm_read_text(path, text, sizeof(text)))
			continue;
		text[strcspn(text, "\n")] = '\0';
		if (!strcasecmp(text, mac) && strlen(de->d_name) < IFNAMSIZ) {
			memcpy(name, de->d_name, strlen(de->d_name) + 1);
			found = true;
		}
	}
	closedir(d);
	return found;
}

/*
 * The relid of the open channel of the NIC with @mac in netvsc/nics (0 if
 * none), its busy receive slots in *@busy (~0 if unknown).
 */
unsigned int nv_nic_relid_busy(const char *mac, unsigned int *busy)
{
	char *text = NULL, *line, *save = NULL;
	unsigned int relid = 0, filter, rxq;
	char link[8];

	*busy = ~0u;
	if (vm_read(VM_SIM, "netvsc/nics", &text))
		return 0;
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
		if (!strncasecmp(line, mac, strlen(mac)))
			sscanf(line + strlen(mac), " relid %u link %7s filter %x rxq %u busy %u",
			       &relid, link, &filter, &rxq, busy);
	free(text);
	return relid;
}

/*
 * The queues of the NIC with @mac in netvsc/nics: how many it offers, how
 * many channels are open, RSS on or off, the frames each queue took.
 */
bool nv_nic_queues(const char *mac, struct nv_queues *q)
{
	char *text = NULL, *line, *save = NULL, *at, rss[4];
	bool found = false;
	unsigned int i;

	memset(q, 0, sizeof(*q));
	if (vm_read(VM_SIM, "netvsc/nics", &text))
		return false;
	for (line = strtok_r(text, "\n", &save); line && !found;
	     line = strtok_r(NULL, "\n", &save)) {
		if (strncasecmp(line, mac, strlen(mac)))
			continue;
		at = strstr(line, " queues ");
		if (!at || sscanf(at, " queues %u open %u rss %3s", &q->queues, &q->open, rss) != 3 ||
		    q->queues > NV_MAX_QUEUES)
			break;
		q->rss = !strcmp(rss, "on");
		at = strstr(at, " rx_queue ");
		for (i = 0; at && i < q->queues; i++) {
			at += 1 + (i == 0 ? strlen("rx_queue ") : 0);
			q->rx[i] = strtoull(at, &at, 10);
		}
		found = at && i == q->queues;
	}
	free(text);
	return found;
}

/* The instance GUID the host gives the NIC with @mac (vmbus-sim.rst). */
void nv_instance(const char *mac, char *buf, size_t len)
{
	unsigned int m[6] = { 0 };

	sscanf(mac, "%x:%x:%x:%x:%x:%x", &m[0], &m[1], &m[2], &m[3], &m[4], &m[5]);
	snprintf(buf, len, "5343494e-4d49-4000-8000-%02x%02x%02x%02x%02x%02x",
		 m[0], m[1], m[2], m[3], m[4], m[5]);
}

/*
 * The relids of the channels of the NIC with @mac in the guest's sysfs, at
 * most @max into @relid; how many, or -1 if its device has no channels
 * directory.
 */
int nv_relids(const char *mac, unsigned int *relid, unsigned int max)
{
	char path[160], inst[64];
	struct dirent *de;
	int n = 0;
	DIR *d;

	nv_instance(mac, inst, sizeof(inst));
	snprintf(path, sizeof(path), "/sys/bus/vmbus/devices/%s/channels", inst);
	d = opendir(path);
	if (!d)
		return -1;
	while ((de = readdir(d)))
		if (de->d_name[0] != '.' && (unsigned int)n < max)
			relid[n++] = strtoul(de->d_name, NULL, 10);
	closedir(d);
	return n;
}

/* The counters @names of vmbus_sim/netvsc/stats into @v, in order. */
bool nv_stats(const char *const *names, unsigned int n, uint64_t *v)
{
	struct vm_stats st;
	unsigned int i;
	bool ok;

	ok = vm_expect(!vm_stats_load(VM_SIM, "netvsc/stats", &st), "reading netvsc/stats");
	for (i = 0; ok && i < n; i++)
		ok = vm_expect(vm_stat_get(&st, names[i], &v[i]), "netvsc/stats has no %s",
			       names[i]);
	return ok;
}
