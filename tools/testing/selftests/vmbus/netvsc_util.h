/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers of the netvsc tests (netvsc_util.c): the simulated host's NICs
 * as the guest's network devices and the host's netvsc/nics file see them.
 */
#ifndef NETVSC_UTIL_H
#define NETVSC_UTIL_H

#include <stdbool.h>

#include <stddef.h>
#include <stdint.h>

#define NV_MAX_QUEUES 8

/* A NIC's queues as the host's netvsc/nics shows them. */
struct nv_queues {
	unsigned int queues;	/* offered */
	unsigned int open;	/* channels open */
	bool rss;		/* the guest turned RSS on */
	uint64_t rx[NV_MAX_QUEUES];	/* frames the switch gave each queue */
};

bool nv_find_if(const char *mac, char *name);
unsigned int nv_nic_relid_busy(const char *mac, unsigned int *busy);
bool nv_nic_queues(const char *mac, struct nv_queues *q);
void nv_instance(const char *mac, char *buf, size_t len);
int nv_relids(const char *mac, unsigned int *relid, unsigned int max);
bool nv_stats(const char *const *names, unsigned int n, uint64_t *v);

#endif
