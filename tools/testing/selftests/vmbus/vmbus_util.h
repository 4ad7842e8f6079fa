/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers shared by the vmbus selftests: debugfs files of the simulated host
 * (vmbus_sim) and of the guest core (hv_vmbus), `name value` stats files,
 * the message logs both sides keep, the kernel log, module loading, waits
 * with deadlines and the kmemleak check.  The formats are those of
 * INTERFACES.md.
 *
 * Every helper that fails says why on a TAP diagnostic line naming the file
 * or command involved, so callers only combine verdicts.
 *
 * The debugfs root is /sys/kernel/debug unless VMBUS_DEBUGFS_ROOT names
 * another directory, and the module list /proc/modules unless
 * VMBUS_PROC_MODULES names another file (to try the tests against a fake).
 */
#ifndef VMBUS_SELFTEST_UTIL_H
#define VMBUS_SELFTEST_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tap.h"

enum vm_side {
	VM_SIM,		/* <debugfs>/vmbus_sim/ */
	VM_GUEST,	/* <debugfs>/hv_vmbus/, present while hv_vmbus is loaded */
};

enum vm_timeout_ms {
	VM_POLL_MS		= 20,
	VM_SETTLE_MS		= 5000,		/* host counters after a call returned */
	VM_RMMOD_MS		= 30000,
	VM_MODPROBE_MS		= 60000,
	VM_MODPROBE_SLOW_MS	= 180000,	/* hundreds of offers under TCG */
};

enum vm_verdict {
	VM_FAIL,
	VM_PASS,
	VM_SKIP,
};

/* Message types (enum vmbus_channel_message_type) the tests look for. */
enum vm_msg_type {
	VM_MSG_OFFERCHANNEL		= 1,
	VM_MSG_ALLOFFERS_DELIVERED	= 4,
	VM_MSG_INITIATE_CONTACT		= 14,
	VM_MSG_VERSION_RESPONSE		= 15,
	VM_MSG_UNLOAD			= 16,
	VM_MSG_UNLOAD_RESPONSE		= 17,
};

#define VM_PRINTF(fmt, args) __attribute__((format(printf, fmt, args)))

/* Files. */
int vm_path(char *buf, size_t len, enum vm_side side, const char *file);
bool vm_exists(const char *path);
char *vm_read_file(const char *path);
int vm_write_file(const char *path, const char *text);
char *vm_read(enum vm_side side, const char *file);
int vm_write(enum vm_side side, const char *file, const char *fmt, ...)
	VM_PRINTF(3, 4);

/* `name value` files: stats (every name present) and msg_in/msg_out (only non-zero). */
enum { VM_STATS_MAX = 64, VM_NAME_MAX = 48, VM_LABEL_MAX = 64 };

struct vm_stat {
	char name[VM_NAME_MAX];
	uint64_t value;
};

struct vm_stats {
	char label[VM_LABEL_MAX];
	unsigned int count;
	struct vm_stat stat[VM_STATS_MAX];
};

int vm_stats_parse(const char *text, struct vm_stats *st);
int vm_stats_load(enum vm_side side, const char *file, struct vm_stats *st);
bool vm_stats_find(const struct vm_stats *st, const char *name, uint64_t *value);
bool vm_stat_get(const struct vm_stats *st, const char *name, uint64_t *value);
bool vm_expect_stat(const struct vm_stats *st, const char *name, uint64_t want);
bool vm_expect_stat_ge(const struct vm_stats *st, const char *name, uint64_t min);
bool vm_expect_msgs(const struct vm_stats *st, const char *name, uint64_t want);
bool vm_wait_stat(enum vm_side side, const char *file, const char *name,
		  uint64_t want, unsigned int timeout_ms);

/* Commands and modules. */
int vm_run(unsigned int timeout_ms, const char *const argv[]);
int vm_modprobe(const char *module, unsigned int timeout_ms);
int vm_rmmod(const char *module, unsigned int timeout_ms);
bool vm_module_loaded(const char *module);
bool vm_guest_load(unsigned int timeout_ms);
bool vm_guest_unload(void);

/* Time and waits. */
uint64_t vm_now_ms(void);
void vm_sleep_ms(unsigned int ms);
bool vm_wait_until(bool (*done)(void *arg), void *arg, unsigned int timeout_ms,
		   const char *fmt, ...) VM_PRINTF(4, 5);

/* Kernel log (/dev/kmsg): count lines logged after a mark. */
struct vm_kmsg_mark {
	uint64_t next_seq;	/* first record that counts */
};

int vm_kmsg_mark(struct vm_kmsg_mark *mark);
int vm_kmsg_count(const struct vm_kmsg_mark *mark, const char *text, bool whole_line);
bool vm_expect_kmsg(const struct vm_kmsg_mark *mark, const char *text,
		    bool whole_line, int want);
bool vm_expect_version_lines(const struct vm_kmsg_mark *mark,
			     const char *version, int want);

/* Message logs: `<seq> <type> <size> <crc32>` per line. */
struct vm_msg {
	uint64_t seq;
	unsigned int type;
	unsigned int size;
	uint32_t crc;
};

struct vm_msglog {
	char label[VM_LABEL_MAX];
	size_t count;
	struct vm_msg *msg;
};

int vm_msglog_parse(const char *text, struct vm_msglog *log);
int vm_msglog_load(enum vm_side side, const char *file, struct vm_msglog *log);
void vm_msglog_free(struct vm_msglog *log);
bool vm_msglog_expect_complete(const struct vm_msglog *log);
bool vm_msglog_expect_equal(const struct vm_msglog *a, const struct vm_msglog *b);
bool vm_msglog_expect_one_more(const struct vm_msglog *before,
			       const struct vm_msglog *after, unsigned int type);
bool vm_msglog_expect_types(const struct vm_msglog *log, size_t first,
			    size_t count, unsigned int type);

/* VMBus protocol versions: "M.m" <-> (M << 16 | m), the guest's list. */
extern const char *const vm_guest_versions[];
extern const unsigned int vm_guest_version_count;
uint32_t vm_version_code(const char *version);
unsigned int vm_versions_above(const char *ceiling);

/* Simulated host: modes are restored, devices re-added, by vm_teardown(). */
int vm_sim_set(const char *mode, const char *fmt, ...) VM_PRINTF(2, 3);
int vm_sim_reset_stats(void);
int vm_sim_devices_add_test(unsigned int count);
int vm_sim_devices_clear(void);

/* kmemleak: VM_SKIP (reason in *why) where the kernel has none. */
enum vm_verdict vm_kmemleak_check(const char **why);

/* Test life cycle. */
void vm_setup(void);
bool vm_teardown(void);

#endif
