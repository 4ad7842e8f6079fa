/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers of the hv_sock tests (hvsock_util.c): AF_VSOCK connections to the
 * simulated host's Hyper-V socket services (vmbus-sim.rst, "Hyper-V
 * sockets") and the host's vmbus_sim/hvsock counters.
 */
#ifndef HVSOCK_UTIL_H
#define HVSOCK_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The simulated host's services, by port. */
enum {
	HVS_PORT_REFUSE	= 1,
	HVS_PORT_ECHO	= 7,
	HVS_PORT_SINK	= 9,
	HVS_PORT_SOURCE	= 19,
	/* Bound on every wait for the other side, in milliseconds. */
	HVS_IO_MS	= 120000,
	/* How long the host may take to end a closed connection. */
	HVS_CLOSE_MS	= 15000,
};

/* The source service's stream, checked piece by piece. */
struct hvs_pattern {
	uint32_t word;
	unsigned int used;	/* bytes of @word already matched, 0..4 */
};

long hvs_pattern_check(struct hvs_pattern *pt, const unsigned char *p, size_t n);
int hvs_counter(const char *name, uint64_t *value);
bool hvs_expect_no_open(const char *what);
int hvs_connect(unsigned int port, int *err);
int hvs_host_connect(unsigned int port);
bool hvs_echo_transfer(int fd, size_t total, bool fin);

#endif
