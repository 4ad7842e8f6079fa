// SPDX-License-Identifier: GPL-2.0
/*
 * Checks: every helper here returns a verdict, true when the check held, and
 * prints a `# FAIL: ...` diagnostic saying what it expected and what it got
 * (ksft_print_msg()) when it did not.  See vm_ksft.h.
 *
 * stdout and stderr are line buffered from the start (a constructor), so
 * that the lines of a child process (modprobe, rmmod) land between ours in
 * the right order.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>

#include "vmbus_util.h"

__attribute__((constructor)) static void vm_line_buffered(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	setvbuf(stderr, NULL, _IOLBF, 0);
}

bool vm_expect(bool cond, const char *fmt, ...)
{
	va_list ap;

	if (cond)
		return true;
	ksft_print_msg("FAIL: ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	return false;
}

bool vm_expect_eq(const char *what, uint64_t want, uint64_t got)
{
	return vm_expect(want == got, "%s: expected %" PRIu64 " (0x%" PRIx64
			 "), got %" PRIu64 " (0x%" PRIx64 ")",
			 what, want, want, got, got);
}

bool vm_expect_ge(const char *what, uint64_t min, uint64_t got)
{
	return vm_expect(got >= min, "%s: expected >= %" PRIu64 ", got %"
			 PRIu64, what, min, got);
}
