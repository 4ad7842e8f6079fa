/* SPDX-License-Identifier: GPL-2.0 */
/*
 * tap.h: Test Anything Protocol output for the userspace ring tests.
 * ok() records one check; tap_done() prints the plan and returns the exit
 * status (non-zero if any check failed).
 */
#ifndef VMBUS_RING_TAP_H
#define VMBUS_RING_TAP_H

#include <stdio.h>

static int tap_n, tap_failed;

#define ok(cond, ...) do {						\
	int __c = !!(cond);						\
	printf("%sok %d - ", __c ? "" : "not ", ++tap_n);		\
	printf(__VA_ARGS__);						\
	printf("\n");							\
	if (!__c) {							\
		tap_failed++;						\
		printf("#   failed at %s:%d: %s\n", __FILE__, __LINE__, #cond); \
	}								\
} while (0)

static inline int tap_done(void)
{
	printf("1..%d\n", tap_n);
	if (tap_failed)
		printf("# %d of %d checks failed\n", tap_failed, tap_n);
	return tap_failed ? 1 : 0;
}

#endif /* VMBUS_RING_TAP_H */
