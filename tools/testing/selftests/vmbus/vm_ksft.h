/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The vmbus selftests' TAP output: the kernel's kselftest.h (taken from
 * Debian's linux-source at build time, see the Makefile) plus a few thin
 * helpers.
 *
 * One program is one TAP 13 stream: ksft_print_header(), vm_setup() (which
 * may skip the whole program with ksft_exit_skip(), exit 4, or bail out with
 * ksft_exit_fail_msg(), exit 1), ksft_set_plan(), one ksft_test_result*()
 * per numbered subtest, and vm_test_finished() last.
 *
 * kselftest.h keeps its counters in static variables, one copy per
 * translation unit, so results are reported only from a test program's own
 * file: ksft_set_plan(), ksft_test_result*(), vm_test_result_skip(),
 * vm_kmemleak_subtest() and vm_test_finished() (static inline here, so they
 * count in their caller's file).  The helper files print diagnostics only:
 * ksft_print_msg() and the vm_expect*() checks.
 *
 * A subtest is usually a function returning bool that runs several checks;
 * vm_expect() and friends print what was expected and what was got for each
 * failed check, so the "not ok" line is preceded by the reason.
 */
#ifndef VMBUS_SELFTEST_KSFT_H
#define VMBUS_SELFTEST_KSFT_H

#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "kselftest.h"

#define VM_PRINTF(fmt, args) __attribute__((format(printf, fmt, args)))

/* Checks (vm_check.c): each prints a diagnostic when it fails and returns its verdict. */
bool vm_expect(bool cond, const char *fmt, ...) VM_PRINTF(2, 3);
bool vm_expect_eq(const char *what, uint64_t want, uint64_t got);
bool vm_expect_ge(const char *what, uint64_t min, uint64_t got);

enum { VM_TEST_NAME_MAX = 256 };

/*
 * A skipped subtest, `ok N name # SKIP reason`: the name stays where a
 * passing subtest has it (ksft_test_result_skip() would print it after the
 * directive).
 */
static inline VM_PRINTF(2, 3) void vm_test_result_skip(const char *reason,
							const char *fmt, ...)
{
	char name[VM_TEST_NAME_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(name, sizeof(name), fmt, ap);
	va_end(ap);
	ksft_inc_xskip_cnt();
	printf("ok %u %s # SKIP %s\n", ksft_test_num(), name, reason);
}

/*
 * The end of a program: exit 1 (KSFT_FAIL) if no plan was printed, the
 * number of subtests reported differs from the plan or one failed; 4
 * (KSFT_SKIP) if every subtest skipped; 0 (KSFT_PASS) otherwise.  The
 * counts are printed on a `# Totals:` line.
 */
static inline __attribute__((noreturn)) void vm_test_finished(void)
{
	if (!ksft_plan)
		ksft_exit_fail_msg("no plan was printed\n");
	if (ksft_test_num() != ksft_plan || ksft_get_fail_cnt() || ksft_get_error_cnt() ||
	    ksft_get_xpass_cnt())
		ksft_exit_fail();
	if ((unsigned int)ksft_get_xskip_cnt() == ksft_plan) {
		ksft_print_cnts();
		exit(KSFT_SKIP);
	}
	ksft_exit_pass();
	exit(KSFT_PASS);
}

#endif
