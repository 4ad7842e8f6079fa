// SPDX-License-Identifier: GPL-2.0
/*
 * Time and waits: every wait polls with a deadline and, on timeout, says
 * what it waited for.
 *
 * Return convention: true when the condition was reached, false after a
 * diagnostic.  vm_now_ms() and vm_sleep_ms() cannot fail.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "vmbus_util.h"

struct stat_wait {
	enum vm_side side;
	const char *file, *name;
	uint64_t want, last;
	bool seen;
};

static bool stat_reached(void *arg)
{
	struct stat_wait *w = arg;
	struct vm_stats st;
	char *text;

	snprintf(st.label, sizeof(st.label), "%s/%s", vm_side_name(w->side), w->file);
	if (vm_read(w->side, w->file, &text))
		return false;
	w->seen = !vm_stats_parse(text, &st) &&
		  vm_stats_find(&st, w->name, &w->last);
	free(text);
	return w->seen && w->last == w->want;
}

/* Counters the host updates after a guest call returned may lag a little. */
bool vm_wait_stat(enum vm_side side, const char *file, const char *name,
		  uint64_t want, unsigned int timeout_ms)
{
	struct stat_wait w = {
		.side = side, .file = file, .name = name, .want = want,
	};

	if (vm_wait_until(stat_reached, &w, timeout_ms, "%s/%s %s == %" PRIu64,
			  vm_side_name(side), file, name, want))
		return true;
	if (w.seen)
		ksft_print_msg("%s/%s %s: expected %" PRIu64 ", got %" PRIu64 "\n",
			       vm_side_name(side), file, name, want, w.last);
	else
		ksft_print_msg("%s/%s has no readable '%s' line\n", vm_side_name(side),
			       file, name);
	return false;
}

uint64_t vm_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

uint64_t vm_now_ms(void)
{
	return vm_now_us() / 1000;
}

void vm_sleep_ms(unsigned int ms)
{
	struct timespec ts = {
		.tv_sec = ms / 1000,
		.tv_nsec = (long)(ms % 1000) * 1000000,
	};

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

/*
 * Polls @done every VM_POLL_MS until it returns true or @timeout_ms passed;
 * on timeout says what it waited for (the printf-style rest).
 */
bool vm_wait_until(bool (*done)(void *arg), void *arg, unsigned int timeout_ms,
		   const char *fmt, ...)
{
	uint64_t start = vm_now_ms();
	char what[256];
	va_list ap;

	for (;;) {
		if (done(arg))
			return true;
		if (vm_now_ms() - start >= timeout_ms)
			break;
		vm_sleep_ms(VM_POLL_MS);
	}
	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	ksft_print_msg("timed out after %u ms waiting for %s\n", timeout_ms, what);
	return false;
}

bool vm_wait(const struct vm_wait *w, const char *fmt, ...)
{
	uint64_t start = vm_now_ms(), next = w->progress_ms, elapsed;
	char what[256];
	va_list ap;

	for (;;) {
		if (w->done(w->arg))
			return true;
		elapsed = vm_now_ms() - start;
		if (elapsed >= w->timeout_ms)
			break;
		if (w->progress && w->progress_ms && elapsed >= next) {
			w->progress(w->arg, elapsed);
			next = elapsed + w->progress_ms;
		}
		vm_sleep_ms(w->poll_ms ? w->poll_ms : VM_POLL_MS);
	}
	if (w->progress)
		w->progress(w->arg, vm_now_ms() - start);
	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	ksft_print_msg("timed out after %u ms waiting for %s\n", w->timeout_ms, what);
	return false;
}

struct dev_count_wait {
	unsigned int want;
	int last;
};

static bool dev_count_reached(void *arg)
{
	struct dev_count_wait *w = arg;

	w->last = vm_vmbus_device_count();
	return w->last == (int)w->want;
}

static void dev_count_progress(void *arg, uint64_t elapsed_ms)
{
	struct dev_count_wait *w = arg;

	ksft_print_msg("%s: %d entries after %" PRIu64 " ms (waiting for %u)\n",
		       VM_VMBUS_DEVICES, w->last, elapsed_ms, w->want);
}

/* Waits until the bus shows exactly @want devices. */
bool vm_wait_vmbus_devices(unsigned int want, unsigned int timeout_ms)
{
	struct dev_count_wait dw = { .want = want };
	struct vm_wait w = {
		.done = dev_count_reached, .progress = dev_count_progress,
		.arg = &dw, .timeout_ms = timeout_ms, .poll_ms = 100,
		.progress_ms = 30000,
	};

	return vm_wait(&w, "%u entries in %s", want, VM_VMBUS_DEVICES);
}

static bool sim_table_empty(void *arg)
{
	char *text;
	bool empty;

	(void)arg;
	empty = !vm_read(VM_SIM, "devices", &text) && !*text;
	free(text);
	return empty;
}

bool vm_wait_sim_table_empty(unsigned int timeout_ms)
{
	struct vm_wait w = {
		.done = sim_table_empty, .timeout_ms = timeout_ms, .poll_ms = 20,
	};

	return vm_wait(&w, "an empty vmbus_sim/devices (every relid released)");
}
