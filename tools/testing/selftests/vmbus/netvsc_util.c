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
