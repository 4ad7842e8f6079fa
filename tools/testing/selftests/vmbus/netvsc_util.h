/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers of the netvsc tests (netvsc_util.c): the simulated host's NICs
 * as the guest's network devices and the host's netvsc/nics file see them.
 */
#ifndef NETVSC_UTIL_H
#define NETVSC_UTIL_H

#include <stdbool.h>

bool nv_find_if(const char *mac, char *name);
unsigned int nv_nic_relid_busy(const char *mac, unsigned int *busy);

#endif
