/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A small TAP 13 writer for the vmbus selftests.
 *
 * One program is one TAP stream: tap_init() prints the version line, the
 * program may then skip as a whole (tap_skip_all(), exit 4) or print its
 * plan, report each numbered subtest once, and end with tap_finish(), whose
 * exit status is 0 when every subtest passed or skipped, 4 when all of them
 * skipped, and 1 otherwise (a failure, or a count that differs from the
 * plan).
 *
 * A subtest is usually a function returning bool that runs several checks;
 * tap_expect() and friends print what was expected and what was got for each
 * failed check, so the "not ok" line is preceded by the reason.
 */
#ifndef VMBUS_SELFTEST_TAP_H
#define VMBUS_SELFTEST_TAP_H

#include <stdbool.h>
#include <stdint.h>

enum tap_exit {
	TAP_EXIT_PASS = 0,
	TAP_EXIT_FAIL = 1,
	TAP_EXIT_SKIP = 4,
};

#define TAP_PRINTF(fmt, args) __attribute__((format(printf, fmt, args)))

void tap_init(void);
void tap_plan(unsigned int count);
void tap_ok(bool pass, const char *fmt, ...) TAP_PRINTF(2, 3);
void tap_skip(const char *reason, const char *fmt, ...) TAP_PRINTF(2, 3);
void tap_diag(const char *fmt, ...) TAP_PRINTF(1, 2);
__attribute__((noreturn)) void tap_skip_all(const char *fmt, ...) TAP_PRINTF(1, 2);
__attribute__((noreturn)) void tap_bail(const char *fmt, ...) TAP_PRINTF(1, 2);
__attribute__((noreturn)) void tap_finish(void);

/* Checks: each prints a diagnostic when it fails and returns its verdict. */
bool tap_expect(bool cond, const char *fmt, ...) TAP_PRINTF(2, 3);
bool tap_expect_eq(const char *what, uint64_t want, uint64_t got);
bool tap_expect_ge(const char *what, uint64_t min, uint64_t got);

#endif
