// SPDX-License-Identifier: GPL-2.0
/*
 * Reconnect and hibernation tests: the host's channel map (instance,
 * sub-channel index -> relid) from vmbus_sim/devices and the guest's
 * per-channel interrupt counts.  See resume_util.h.
 *
 * Return convention: 0 on success, a negative errno on failure, after a
 * diagnostic.  rs_map_find() and rs_map_primaries() are lookups and return
 * what they found (NULL, a count).
 */
#include <stdio.h>
#include <string.h>

#include "resume_util.h"

int rs_map_load(struct rs_map *m)
{
	struct vm_sim_devs d;
	size_t i;
	int err;

	memset(m, 0, sizeof(*m));
	err = vm_sim_devices_load(&d);
	if (err)
		return err;
	for (i = 0; i < d.count && m->count < VM_MAX_RELID; i++) {
		struct rs_chan *c = &m->chan[m->count++];

		snprintf(c->instance, sizeof(c->instance), "%s", d.dev[i].instance);
		c->sub = d.dev[i].sub;
		c->relid = d.dev[i].relid;
		c->offered = d.dev[i].offered;
	}
	vm_sim_devices_free(&d);
	return 0;
}

const struct rs_chan *rs_map_find(const struct rs_map *m, const char *instance,
				  unsigned int sub)
{
	unsigned int i;

	for (i = 0; i < m->count; i++)
		if (m->chan[i].sub == sub && !strcmp(m->chan[i].instance, instance))
			return &m->chan[i];
	return NULL;
}

unsigned int rs_map_primaries(const struct rs_map *m)
{
	unsigned int i, n = 0;

	for (i = 0; i < m->count; i++)
		n += !m->chan[i].sub && m->chan[i].offered;
	return n;
}

int rs_irqs_load(const struct rs_map *m, struct rs_irqs *irqs)
{
	unsigned int i;
	int err;

	for (i = 0; i < m->count; i++) {
		irqs->count[i] = 0;
		if (!m->chan[i].offered)
			continue;
		err = vm_chan_read(m->chan[i].instance, m->chan[i].relid, "interrupts",
				   &irqs->count[i]);
		if (err)
			return err;
	}
	return 0;
}
