/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers for the tests of the distribution's hv_utils on the simulated
 * host's integration components (heartbeat, shutdown, time sync, KVP):
 * the simulator's <debugfs>/vmbus_sim/ic/ files (control, stats, kvp), the
 * guest's view of the IC devices, hv_kvp_daemon as a child process, and
 * the initramfs's recorder of /sbin/poweroff and /sbin/reboot calls
 * (qemu/vmbus-power).
 *
 * ic_setup() follows vm_setup(): it bails out where the simulator has no
 * ic/ directory.  ic_teardown() stops the daemon, unloads hv_utils and
 * takes the IC devices away again; it runs at exit too (before vm_setup()'s
 * teardown) if the test ends early.
 *
 * ic_ctl.c returns 0 / -errno (or a count, a pid); ic_util.c returns true,
 * or false after a diagnostic (see each file's header).
 */
#ifndef VMBUS_SELFTEST_IC_UTIL_H
#define VMBUS_SELFTEST_IC_UTIL_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "vmbus_util.h"

enum ic_kind {
	IC_HEARTBEAT,
	IC_SHUTDOWN,
	IC_TIMESYNC,
	IC_KVP,
	IC_COUNT,
};

#define IC_BIT(ic)	(1u << (ic))
#define IC_ALL		(IC_BIT(IC_COUNT) - 1)

/* The simulator's names (ic/control, ic/stats prefixes). */
extern const char *const ic_name[IC_COUNT];
/* Class GUIDs as the guest's sysfs shows them (lowercase, no braces). */
extern const char *const ic_class[IC_COUNT];

enum ic_timeout_ms {
	IC_BIND_MS	= 60000,	/* probe: open the channel, negotiate */
	IC_KVP_MS	= 15000,	/* the sim gives up after 10 s */
	IC_DAEMON_MS	= 30000,
};

/* Shutdown request flags (ic/control `shutdown <flags>`). */
enum ic_shutdown_flags {
	IC_SD_SHUTDOWN		= 0,
	IC_SD_SHUTDOWN_FORCE	= 1,
	IC_SD_REBOOT		= 2,
	IC_SD_REBOOT_FORCE	= 3,
	IC_SD_HIBERNATE		= 4,
	IC_SD_HIBERNATE_FORCE	= 5,
};

void ic_setup(void);
/*
 * Stops the daemon, unloads hv_utils and rescinds the IC devices (waiting
 * until they left the bus); call it before vm_teardown().
 */
bool ic_teardown(void);

/* ic/control: 0 or -errno of the write. */
int ic_control(const char *fmt, ...) VM_PRINTF(1, 2);
int ic_stats_load(struct vm_stats *st);
bool ic_stat(const char *name, uint64_t *value);
bool ic_wait_stat_ge(const char *name, uint64_t min, unsigned int timeout_ms);
/* `add <ic>` for each IC in @mask. */
bool ic_offer(unsigned int mask);

/* modprobe hv_vmbus, then modprobe hv_utils (plain). */
bool ic_load(void);
bool ic_utils_load(void);
bool ic_utils_unload(void);
/* The guest's device of @ic: its instance GUID into @buf; 0 or -ENOENT. */
int ic_device(enum ic_kind ic, char *buf, size_t len);
/* The device of @ic exists and its driver is hv_utils. */
bool ic_bound(enum ic_kind ic);
bool ic_wait_bound(unsigned int mask, unsigned int timeout_ms);

/* The last KVP operation's result (ic/kvp). */
struct ic_kvp_result {
	char op[16];
	unsigned int pool;
	uint32_t status;
	char key[512];
	char value[2048];
};

/*
 * Writes the KVP command (`kvp_get 0 key`, ...) to ic/control and reads
 * the result: 0, or -errno of the write (-ETIMEDOUT: no answer in 10 s).
 */
int ic_kvp(struct ic_kvp_result *r, const char *fmt, ...) VM_PRINTF(2, 3);

/* hv_kvp_daemon -n as a child of the test: its pid, or -errno. */
pid_t ic_kvp_daemon_start(void);
/*
 * Whether the daemon still runs; when it ended, *status (if not NULL) gets
 * its wait status and the pid is forgotten.
 */
bool ic_kvp_daemon_alive(pid_t pid, int *status);
/* The daemon ic_kvp_daemon_start() started if it still runs, else 0. */
pid_t ic_kvp_daemon_running(void);
/* Waits up to @timeout_ms for the daemon to end: true and its wait status. */
bool ic_kvp_daemon_wait_exit(pid_t pid, unsigned int timeout_ms, int *status);
void ic_kvp_daemon_stop(pid_t pid);

/*
 * The initramfs's /sbin/poweroff recorder: true when calls are recorded
 * and not acted on (so a test may ask for a shutdown); the number of
 * recorded calls of @name (poweroff, reboot, halt).
 */
bool ic_power_recorder(const char **why);
int ic_power_requests(const char *name);

#endif
