/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vmbusctl: the VMBus guest's bus and the simulated host from the command
 * line.  Every command parses and checks its arguments, and then what it
 * is about to act on (the files it writes exist, the relid or device is in
 * the host's table), before it writes anything; a failure says what was
 * wrong on stderr as `vmbusctl: ...` and returns CTL_ERR, or CTL_USAGE for
 * a malformed command line.
 */
#ifndef VMBUSCTL_H
#define VMBUSCTL_H

#include <stdbool.h>
#include <stdio.h>
#include <stddef.h>
#include <stdint.h>

enum ctl_status {
	CTL_OK		= 0,
	CTL_ERR		= 1,	/* the command was understood and failed */
	CTL_USAGE	= 2,	/* the command line is malformed */
};

enum {
	CTL_MAX_ARGS	= 16,
	CTL_MAX_OPTS	= 6,
	CTL_GUID_LEN	= 36,
	CTL_POLL_MS	= 20,
};

#define CTL_PRINTF(f, a) __attribute__((format(printf, f, a)))

/* An option a command takes: `--name` or `--name VALUE` (short: `-x`). */
struct ctl_opt {
	const char *name;
	char short_name;
	bool has_arg;
};

/* A command line after ctl_parse(): positionals and what each option got. */
struct ctl_args {
	int argc;
	char *argv[CTL_MAX_ARGS];
	unsigned int count[CTL_MAX_OPTS];	/* times each option was given */
	const char *value[CTL_MAX_OPTS];	/* its last value */
};

struct ctl_cmd {
	const char *name;
	/* @dry: check the arguments only, touch nothing (scenario pre-check). */
	int (*run)(const struct ctl_args *a, bool dry);
	int min_args, max_args;
	const struct ctl_opt *opts;
	const char *usage;
	const char *help;
	const struct ctl_cmd *sub;	/* a command group: its own table */
};

/* vmbusctl.c: dispatch, messages, files. */
int ctl_err(const char *fmt, ...) CTL_PRINTF(1, 2);	/* returns CTL_ERR */
int ctl_usage_err(const char *fmt, ...) CTL_PRINTF(1, 2); /* returns CTL_USAGE */
int ctl_dispatch(const struct ctl_cmd *table, const char *what, int argc, char **argv,
		 bool dry);
void ctl_print_table(FILE *f, const struct ctl_cmd *table, const char *prefix);
const char *ctl_debugfs(void);
const char *ctl_sysfs(void);
void ctl_path(char *buf, size_t len, const char *root, const char *fmt, ...)
	CTL_PRINTF(4, 5);
bool ctl_exists(const char *path);
/* The whole file, NUL-terminated, in a malloc()ed buffer; NULL + errno. */
char *ctl_read(const char *path);
/* One write(2) of @text: 0 or the write's -errno (no message). */
int ctl_write(const char *path, const char *text);
/* ctl_write() that reports a refusal with the file and the command. */
int ctl_write_report(const char *path, const char *text);
int ctl_parse_u64(const char *s, uint64_t *v);
bool ctl_is_guid(const char *s);
uint64_t ctl_now_ms(void);
void ctl_sleep_ms(unsigned int ms);
int ctl_module_loaded(const char *name);
/* The simulator's debugfs directory: 0 when present, else a message. */
int ctl_sim_ready(void);

/* A device class: its short name for `sim offer`, its lsvmbus text (bus.c). */
struct ctl_class {
	const char *name;	/* NULL: no short name */
	const char *guid;
	const char *desc;	/* NULL: lsvmbus's "Unknown" */
};

extern const struct ctl_class ctl_classes[];
const struct ctl_class *ctl_class_by_guid(const char *guid);

/* `devices N\nchannels N\n` of /sys/bus/vmbus (bus.c): NULL after a message. */
char *ctl_bus_text(void);

/* A counter of one of the `name value` files (stats.c): 0, or CTL_ERR after a message. */
int ctl_stat_read(const char *set, const char *name, uint64_t *v);

/* Command tables of each file. */
extern const struct ctl_cmd ctl_sim_cmds[];	/* sim.c: `vmbusctl sim ...` */
extern const struct ctl_cmd ctl_sock_cmds[];	/* sock.c: `vmbusctl sock ...` */
int ctl_list(const struct ctl_args *a, bool dry);		/* bus.c */
int ctl_hibernate(const struct ctl_args *a, bool dry);		/* bus.c */
int ctl_stats(const struct ctl_args *a, bool dry);		/* stats.c */
int ctl_get(const struct ctl_args *a, bool dry);
int ctl_wait(const struct ctl_args *a, bool dry);
int ctl_expect(const struct ctl_args *a, bool dry);
int ctl_run(const struct ctl_args *a, bool dry);		/* scenario.c */
int ctl_step(const struct ctl_args *a, bool dry);
int ctl_exec(const struct ctl_args *a, bool dry);
int ctl_klog(const struct ctl_args *a, bool dry);
extern const struct ctl_opt ctl_list_opts[], ctl_hibernate_opts[], ctl_stats_opts[],
	ctl_wait_opts[], ctl_run_opts[];

/* The top-level table, for scenarios (vmbusctl.c). */
extern const struct ctl_cmd ctl_cmds[];

#endif
