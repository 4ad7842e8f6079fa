// SPDX-License-Identifier: GPL-2.0
/*
 * TAP 13 writer; see tap.h.  Output is line buffered so that the lines of a
 * child process (modprobe, rmmod) land between ours in the right order.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "tap.h"

static struct {
	unsigned int planned;
	unsigned int reported;
	unsigned int failed;
	unsigned int skipped;
	bool plan_printed;
} tap;

void tap_init(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	setvbuf(stderr, NULL, _IOLBF, 0);
	printf("TAP version 13\n");
}

void tap_plan(unsigned int count)
{
	tap.planned = count;
	tap.plan_printed = true;
	printf("1..%u\n", count);
}

static void tap_vline(const char *status, const char *fmt, va_list ap,
		      const char *directive)
{
	tap.reported++;
	printf("%s %u ", status, tap.reported);
	vprintf(fmt, ap);
	if (directive)
		printf(" # SKIP %s", directive);
	printf("\n");
}

void tap_ok(bool pass, const char *fmt, ...)
{
	va_list ap;

	if (!pass)
		tap.failed++;
	va_start(ap, fmt);
	tap_vline(pass ? "ok" : "not ok", fmt, ap, NULL);
	va_end(ap);
}

void tap_skip(const char *reason, const char *fmt, ...)
{
	va_list ap;

	tap.skipped++;
	va_start(ap, fmt);
	tap_vline("ok", fmt, ap, reason);
	va_end(ap);
}

static void tap_vdiag(const char *fmt, va_list ap)
{
	printf("# ");
	vprintf(fmt, ap);
	printf("\n");
}

void tap_diag(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	tap_vdiag(fmt, ap);
	va_end(ap);
}

void tap_skip_all(const char *fmt, ...)
{
	va_list ap;

	printf("1..0 # SKIP ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	exit(TAP_EXIT_SKIP);
}

void tap_bail(const char *fmt, ...)
{
	va_list ap;

	printf("Bail out! ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	exit(TAP_EXIT_FAIL);
}

void tap_finish(void)
{
	if (!tap.plan_printed) {
		tap_diag("no plan was printed");
		exit(TAP_EXIT_FAIL);
	}
	if (tap.reported != tap.planned) {
		tap_diag("planned %u subtests, reported %u", tap.planned,
			 tap.reported);
		exit(TAP_EXIT_FAIL);
	}
	tap_diag("%u passed, %u failed, %u skipped",
		 tap.reported - tap.failed - tap.skipped, tap.failed,
		 tap.skipped);
	if (tap.failed)
		exit(TAP_EXIT_FAIL);
	if (tap.planned && tap.skipped == tap.planned)
		exit(TAP_EXIT_SKIP);
	exit(TAP_EXIT_PASS);
}

bool tap_expect(bool cond, const char *fmt, ...)
{
	va_list ap;

	if (cond)
		return true;
	printf("# FAIL: ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	return false;
}

bool tap_expect_eq(const char *what, uint64_t want, uint64_t got)
{
	return tap_expect(want == got, "%s: expected %" PRIu64 " (0x%" PRIx64
			  "), got %" PRIu64 " (0x%" PRIx64 ")",
			  what, want, want, got, got);
}

bool tap_expect_ge(const char *what, uint64_t min, uint64_t got)
{
	return tap_expect(got >= min, "%s: expected >= %" PRIu64 ", got %"
			  PRIu64, what, min, got);
}
