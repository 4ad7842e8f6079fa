/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers shared by the vmbus selftests: debugfs files of the simulated host
 * (vmbus_sim) and of the guest core (hv_vmbus), `name value` stats files,
 * the message logs both sides keep, the kernel log, module loading, waits
 * with deadlines and the kmemleak check.  The formats are those of
 * Documentation/virt/hyperv/vmbus-sim.rst ("Control plane") for the host
 * and of the guest's debugfs and sysfs files.
 *
 * Every helper that fails says why on a TAP diagnostic line naming the file
 * or command involved, so callers only combine verdicts.  Each .c file
 * follows one return convention, named in its header:
 *   0 (or a count) / -errno: vm_files.c, vm_parse.c, vm_proc.c, vm_sim.c;
 *   true / false:            vm_check.c, vm_wait.c, vm_setup.c.
 *
 * The debugfs root is /sys/kernel/debug unless VMBUS_DEBUGFS_ROOT names
 * another directory, and the module list /proc/modules unless
 * VMBUS_PROC_MODULES names another file (to try the tests against a fake).
 */
#ifndef VMBUS_SELFTEST_UTIL_H
#define VMBUS_SELFTEST_UTIL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "vm_ksft.h"

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

/* Files (vm_files.c). */
const char *vm_debugfs_root(void);
const char *vm_side_name(enum vm_side side);	/* "vmbus_sim", "hv_vmbus" */
/* Decimal, 0x-prefixed hexadecimal, or "M.m" as M << 16 | m. */
int vm_parse_value(const char *s, uint64_t *value);
int vm_path(char *buf, size_t len, enum vm_side side, const char *file);
bool vm_exists(const char *path);
/* The whole file in *@text (NULL on failure), to be freed by the caller. */
int vm_read_file(const char *path, char **text);
int vm_write_file(const char *path, const char *text);
int vm_read(enum vm_side side, const char *file, char **text);
int vm_write(enum vm_side side, const char *file, const char *fmt, ...)
	VM_PRINTF(3, 4);
/* vm_write() with a va_list, for wrappers; at most 1023 bytes of text. */
int vm_vwrite(enum vm_side side, const char *file, const char *fmt, va_list ap)
	VM_PRINTF(3, 0);

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
bool vm_expect_connected_at(const struct vm_stats *sim, const struct vm_stats *in,
			    const char *version);
bool vm_wait_stat(enum vm_side side, const char *file, const char *name,
		  uint64_t want, unsigned int timeout_ms);

/* Commands and modules (vm_proc.c; the *_expect() checks: vm_check.c). */
int vm_run(unsigned int timeout_ms, const char *const argv[]);
int vm_reap(pid_t pid, unsigned int timeout_ms, int *status);
int vm_modprobe(const char *module, unsigned int timeout_ms);
int vm_rmmod(const char *module, unsigned int timeout_ms);
bool vm_module_loaded(const char *module);
/* modprobe / rmmod @module as a TAP expectation (exit status 0). */
bool vm_modprobe_expect(const char *module, unsigned int timeout_ms);
bool vm_rmmod_expect(const char *module);
/* Waits up to @timeout_ms for @module's refcnt to be 0 (or the module gone). */
bool vm_wait_module_unused(const char *module, unsigned int timeout_ms);
bool vm_guest_load(unsigned int timeout_ms);
bool vm_guest_unload(void);

/* Time and waits (vm_wait.c). */
uint64_t vm_now_ms(void);
uint64_t vm_now_us(void);
void vm_sleep_ms(unsigned int ms);
bool vm_wait_until(bool (*done)(void *arg), void *arg, unsigned int timeout_ms,
		   const char *fmt, ...) VM_PRINTF(4, 5);

/*
 * A long wait: @done is polled every @poll_ms (0: VM_POLL_MS), and every
 * @progress_ms (0: never) @progress prints how far it got, so that a slow
 * kernel shows where the time goes.
 */
struct vm_wait {
	bool (*done)(void *arg);
	void (*progress)(void *arg, uint64_t elapsed_ms);
	void *arg;
	unsigned int timeout_ms;
	unsigned int poll_ms;
	unsigned int progress_ms;
};

bool vm_wait(const struct vm_wait *w, const char *fmt, ...) VM_PRINTF(2, 3);

/* Kernel log (/dev/kmsg): count lines logged after a mark (vm_proc.c). */
struct vm_kmsg_mark {
	uint64_t next_seq;	/* first record that counts */
};

int vm_kmsg_mark(struct vm_kmsg_mark *mark);
int vm_kmsg_count(const struct vm_kmsg_mark *mark, const char *text, bool whole_line);
bool vm_expect_kmsg(const struct vm_kmsg_mark *mark, const char *text,
		    bool whole_line, int want);
/* Polls until a line as vm_kmsg_count() counts it appears; false on timeout. */
bool vm_wait_kmsg(const struct vm_kmsg_mark *mark, const char *text, bool whole_line,
		  unsigned int timeout_ms);
bool vm_expect_version_lines(const struct vm_kmsg_mark *mark,
			     const char *version, int want);
/*
 * Lines after @mark that contain @text and, unless NULL, @also; the first
 * @show of them are printed as diagnostics.  -errno as vm_kmsg_count().
 */
int vm_kmsg_grep(const struct vm_kmsg_mark *mark, const char *text,
		 const char *also, unsigned int show);

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
unsigned int vm_contacts_refused(const char *ceiling);

/* Simulated host (vm_sim.c): modes are restored, devices re-added, by vm_teardown(). */
int vm_sim_set(const char *mode, const char *fmt, ...) VM_PRINTF(2, 3);
int vm_sim_reset_stats(void);
int vm_sim_devices_add_test(unsigned int count);
int vm_sim_devices_clear(void);
/* vm_setup(): remember and clear the device list; vm_teardown(): restore all. */
int vm_sim_save_devices(void);
int vm_sim_restore(void);

/*
 * Simulated host devices (Documentation/virt/hyperv/vmbus-sim.rst,
 * "``devices``"): `devices` lists one line
 * per relid the host knows, `relid class instance sub_index state`.
 */
enum {
	VM_MAX_RELID	= 2047,
	VM_GUID_LEN	= 36,	/* xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx */
};

/* Class GUID of the sim's test echo device (`devices add_test`). */
#define VM_TEST_CLASS "14d57429-963f-4abd-9c40-c2eae445a6cd"

struct vm_sim_dev {
	unsigned int relid;
	unsigned int sub;		/* sub_channel_index, 0 for a primary */
	bool offered;			/* state `offered`; else `rescinded` */
	char class_id[VM_GUID_LEN + 1];
	char instance[VM_GUID_LEN + 1];
};

struct vm_sim_devs {
	size_t count;
	struct vm_sim_dev *dev;
};

int vm_sim_devices_parse(const char *text, struct vm_sim_devs *devs);
int vm_sim_devices_load(struct vm_sim_devs *devs);
void vm_sim_devices_free(struct vm_sim_devs *devs);
const struct vm_sim_dev *vm_sim_devices_find(const struct vm_sim_devs *devs,
					     const char *instance, unsigned int sub);
size_t vm_sim_devices_primaries(const struct vm_sim_devs *devs);
int vm_sim_devices_cmd(const char *fmt, ...) VM_PRINTF(1, 2);
/* `events_set`: count[relid] for relids 1..VM_MAX_RELID, 0 where not listed. */
int vm_sim_events_set_load(uint64_t count[VM_MAX_RELID + 1]);

/* The guest's sysfs: /sys/bus/vmbus/. */
#define VM_VMBUS_DEVICES "/sys/bus/vmbus/devices"
#define VM_VMBUS_DRIVERS "/sys/bus/vmbus/drivers"

int vm_read_text(const char *path, char *buf, size_t len);
int vm_read_u64(const char *path, uint64_t *value);
int vm_write_errno(const char *path, const char *text);
int vm_dir_count(const char *path);
int vm_vmbus_device_count(void);
bool vm_wait_vmbus_devices(unsigned int want, unsigned int timeout_ms);
/* Waits until the host's `devices` table is empty: every relid came back. */
bool vm_wait_sim_table_empty(unsigned int timeout_ms);
int vm_chan_read(const char *instance, unsigned int relid, const char *attr,
		 uint64_t *value);
void vm_guid_modalias(const char *guid, char *buf, size_t len);
bool vm_expect_vmbus_device(const struct vm_sim_devs *devs,
			    const struct vm_sim_dev *primary);

/* kmemleak: VM_SKIP (reason in *why) where the kernel has none. */
enum vm_verdict vm_kmemleak_check(const char **why);
uint64_t vm_now_ms(void);

/*
 * A subtest named @name from vm_kmemleak_check(): ok, not ok or skip
 * (static inline: it counts in the caller's file, see vm_ksft.h).
 */
static inline void vm_kmemleak_subtest(const char *name)
{
	uint64_t start = vm_now_ms();
	const char *why = "";
	enum vm_verdict verdict = vm_kmemleak_check(&why);

	if (verdict == VM_SKIP) {
		vm_test_result_skip(why, "%s", name);
		return;
	}
	ksft_print_msg("kmemleak check: %llu ms\n",
		       (unsigned long long)(vm_now_ms() - start));
	ksft_test_result(verdict == VM_PASS, "%s\n", name);
}
/* The sim's signals since its last reset all came from the monitor page. */
bool vm_sim_expect_monitored(void);

/* Test life cycle (vm_setup.c). */
void vm_setup(void);
bool vm_teardown(void);

/*
 * Echo traffic (vmbus_echo_drv, tools/testing/vmbus/echo/): its debugfs
 * directory per device, <debugfs>/vmbus_echo/<instance>/{run,result}.
 */
#define VM_ECHO_DRV "vmbus_echo_drv"

/* <debugfs>/vmbus_echo/<instance>/<file>. */
void vm_echo_path(char *buf, size_t len, const char *instance, const char *file);

enum { VM_ECHO_MAX_CHANS = 64 };

struct vm_echo_chan {
	unsigned int relid;	/* 0 on the total line */
	uint64_t sent, received, bad, out_of_order;
};

struct vm_echo_result {
	unsigned int nchans;
	struct vm_echo_chan chan[VM_ECHO_MAX_CHANS];
	struct vm_echo_chan total;
	uint64_t elapsed_ns;
};

/*
 * Writes @cmd to the device's `run` file in a child process and waits up to
 * @timeout_ms for the write to return: 0, -errno of the write, or
 * -ETIMEDOUT (the child is then killed; ETIMEDOUT from the driver itself
 * comes back as -ETIMEDOUT too, with a diagnostic telling them apart).
 */
int vm_echo_run(const char *instance, const char *cmd, unsigned int timeout_ms);
/* Starts the same write without waiting: the child's pid, or -errno. */
int vm_echo_run_start(const char *instance, const char *cmd);
/* Waits for a child of vm_echo_run_start(): as vm_echo_run(). */
int vm_echo_run_wait(int pid, const char *cmd, unsigned int timeout_ms);
/* Whether child @pid still runs; a child that ended stays to be waited for. */
bool vm_child_running(int pid);
int vm_echo_result_load(const char *instance, struct vm_echo_result *r);
/* The device's result file exists (the driver is bound to it). */
bool vm_echo_result_exists(const char *instance);
/* Every channel: received == sent, no bad, none out of order; sent > 0. */
bool vm_echo_expect_clean(const struct vm_echo_result *r, uint64_t want_total);
/* Test parameter: $name from the environment or name=N on /proc/cmdline. */
uint64_t vm_param_u64(const char *name, uint64_t dflt);
/* vm_param_u64() within @min..@max; outside, the test fails at once, saying so. */
uint64_t vm_param_range(const char *name, uint64_t dflt, uint64_t min, uint64_t max);
/* True on Debian's own kernel (release ends in -amd64), not the debug one. */
bool vm_dist_kernel(void);

/*
 * Adds one echo device per @instances entry with @nsub sub-channels each,
 * loads hv_vmbus and vmbus_echo_drv and waits until every device's result
 * file lists 1 + @nsub open channels.  vmbus_echo_drv is unloaded at exit
 * before the teardown of vm_setup() runs (it holds hv_vmbus).
 */
bool vm_echo_load(const char *const instances[], unsigned int n, unsigned int nsub);
/* vm_echo_load() for devices the sim already has: hv_vmbus, the driver, open channels. */
bool vm_echo_attach(const char *const instances[], unsigned int n, unsigned int nsub);
/* Unloads vmbus_echo_drv, loads it again with module parameter @param ("name=value")
 * and waits as vm_echo_load() does for the same devices. */
bool vm_echo_reload(const char *param, const char *const instances[], unsigned int n,
		    unsigned int nsub);
bool vm_echo_unload(void);
/* Relids under /sys/bus/vmbus/devices/<instance>/channels/, sorted; count or -errno. */
int vm_chan_relids(const char *instance, unsigned int *relid, unsigned int max);
/* Writes channels/<relid>/cpu: 0 or -errno of the write. */
int vm_chan_set_cpu(const char *instance, unsigned int relid, const char *cpu);
/* vm_chan_set_cpu() with CPU number @cpu as a TAP expectation (success). */
bool vm_chan_set_cpu_expect(const char *instance, unsigned int relid, long cpu);
/* Writes /sys/devices/system/cpu/cpu<cpu>/online: 0 or -errno of the write. */
int vm_cpu_set_online(long cpu, bool on);
/* `channels` of the sim: `relid target_vp pkts_in pkts_out bytes_in bytes_out
 * spurious_signals missed_signals errors`. */
struct vm_sim_chan {
	unsigned int relid, target_vp;
	uint64_t pkts_in, pkts_out, bytes_in, bytes_out, spurious, missed, errors;
};

int vm_sim_chan_load(unsigned int relid, struct vm_sim_chan *c);

/* vmbusctl (vm_ctl.c): one command line, split at spaces, and what it wrote. */
struct vm_ctl_out {
	int status;		/* exit status, or -errno */
	char cmd[256];
	char out[16384];
	char err[2048];
};

const char *vm_ctl_path(void);
int vm_vctl(struct vm_ctl_out *o, const char *fmt, va_list ap) VM_PRINTF(2, 0);
int vm_ctl(struct vm_ctl_out *o, const char *fmt, ...) VM_PRINTF(2, 3);
/* vm_ctl() that must exit 0: 0, or -errno after a diagnostic with its stderr. */
int vm_ctl_ok(const char *fmt, ...) VM_PRINTF(1, 2);

#endif
