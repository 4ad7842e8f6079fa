// SPDX-License-Identifier: GPL-2.0
/*
 * sysfs_snapshot_test: hands the guest's vmbus sysfs to the host, where the
 * kernel's own tools/hv/lsvmbus (python, which the guest lacks) must list it
 * right (qemu/post/lsvmbus.sh).
 *
 * The host offers 8 devices, one of them with 2 sub-channels.  In the guest
 * this checks their sysfs (the sub-channels show in channel_vp_mapping and
 * as channels/<relid>/), then copies what lsvmbus reads - id, class_id,
 * device_id, channel_vp_mapping of every device - into a plain tree
 * /tmp/snap/sys/bus/vmbus/devices/<guid>/, with the facts to check the
 * listing against:
 *   /tmp/snap/expected      the host's `devices` file, verbatim
 *   /tmp/snap/expected_cpu  `relid cpu` per channel, from channels/<relid>/cpu
 *                           (a file lsvmbus does not read)
 * and prints it as base64 of a gzip'd tar between the lines
 * `===ARTIFACT sysfs-snapshot.tar.gz BEGIN===` / `... END===`, which
 * qemu/run.sh decodes into build/qemu/<kernel>/artifacts/.
 *
 * Sim modes: version_ceiling 5.3; 7 test devices and one with 2 sub-channels.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vmbus_util.h"

/* A fixed instance, so the host-side check can name the device. */
#define SUB_INSTANCE	"5eb1f2a4-0c1d-4b6e-9a3f-7d2c8e4b1a60"
#define SNAP		"/tmp/snap"
#define SNAP_DEVICES	SNAP "/sys/bus/vmbus/devices"
#define ARCHIVE		"/tmp/snap.tar.gz"
#define ARCHIVE_B64	"/tmp/snap.tar.gz.b64"
#define ARTIFACT	"sysfs-snapshot.tar.gz"

enum {
	TEST_DEVICES	= 7,
	SUBCHANNELS	= 2,
	DEVICES		= TEST_DEVICES + 1,
	CHANNELS	= DEVICES + SUBCHANNELS,
	TOOL_MS		= 30000,
};

static const char *const lsvmbus_attrs[] = {
	"id", "class_id", "device_id", "channel_vp_mapping",
};

static struct vm_sim_devs devs;

static bool load(void)
{
	size_t i;
	bool ok;

	if (vm_sim_set("version_ceiling", "5.3") || vm_sim_devices_add_test(TEST_DEVICES) ||
	    vm_sim_devices_cmd("add %s %s %u", VM_TEST_CLASS, SUB_INSTANCE, SUBCHANNELS) ||
	    vm_sim_reset_stats() || !vm_guest_load(VM_MODPROBE_MS) ||
	    !vm_wait_vmbus_devices(DEVICES, VM_MODPROBE_MS) || vm_sim_devices_load(&devs))
		return false;
	ok = vm_expect_eq("vmbus_sim/devices lines", CHANNELS, devs.count);
	for (i = 1; i <= SUBCHANNELS && ok; i++)
		ok = vm_expect(vm_sim_devices_find(&devs, SUB_INSTANCE, i),
			       "vmbus_sim/devices: no sub-channel %zu of %s", i,
			       SUB_INSTANCE);
	return ok;
}

static bool check_sysfs(void)
{
	bool ok = true;
	size_t i;

	for (i = 0; i < devs.count; i++)
		if (!devs.dev[i].sub)
			ok &= vm_expect_vmbus_device(&devs, &devs.dev[i]);
	return ok;
}

/* ---- the snapshot ---------------------------------------------------------- */

static bool run(const char *what, const char *const argv[])
{
	return vm_expect(!vm_run(TOOL_MS, argv), "%s failed", what);
}

static bool make_dir(const char *path)
{
	const char *const argv[] = { "mkdir", "-p", path, NULL };

	return run("mkdir", argv);
}

static bool write_new(const char *path, const char *text)
{
	size_t len = strlen(text);
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	bool ok;

	if (fd < 0)
		return vm_expect(false, "cannot create %s: %s", path, strerror(errno));
	ok = write(fd, text, len) == (ssize_t)len;
	ok &= !close(fd);
	return vm_expect(ok, "writing %s failed", path);
}

/* Read the sysfs file, write a plain file: what lsvmbus will read. */
static bool copy_attr(const char *name, const char *attr)
{
	char from[320], to[320];
	char *text;
	bool ok;

	snprintf(from, sizeof(from), "%s/%s/%s", VM_VMBUS_DEVICES, name, attr);
	snprintf(to, sizeof(to), "%s/%s/%s", SNAP_DEVICES, name, attr);
	ok = !vm_read_file(from, &text) && write_new(to, text);
	free(text);
	return ok;
}

static bool copy_device(const char *name)
{
	char dir[320];
	bool ok;
	size_t i;

	snprintf(dir, sizeof(dir), "%s/%s", SNAP_DEVICES, name);
	ok = make_dir(dir);
	for (i = 0; i < sizeof(lsvmbus_attrs) / sizeof(lsvmbus_attrs[0]) && ok; i++)
		ok = copy_attr(name, lsvmbus_attrs[i]);
	return ok;
}

static bool copy_devices(void)
{
	DIR *dir = opendir(VM_VMBUS_DEVICES);
	struct dirent *de;
	unsigned int n = 0;
	bool ok = true;

	if (!dir)
		return vm_expect(false, "cannot open %s: %s", VM_VMBUS_DEVICES,
				 strerror(errno));
	while (ok && (de = readdir(dir))) {
		if (de->d_name[0] == '.')
			continue;
		ok = copy_device(de->d_name);
		n++;
	}
	closedir(dir);
	return ok && vm_expect(n == DEVICES, "copied %u devices, expected %u", n,
			       DEVICES);
}

static bool write_expected(void)
{
	char *table, *cpus, *p;
	uint64_t cpu;
	size_t i;
	bool ok;

	if (vm_read(VM_SIM, "devices", &table))
		return false;
	ok = write_new(SNAP "/expected", table);
	free(table);
	cpus = p = calloc(devs.count, 32);
	for (i = 0; i < devs.count && ok && cpus; i++) {
		ok = !vm_chan_read(devs.dev[i].instance, devs.dev[i].relid, "cpu", &cpu);
		p += sprintf(p, "%u %" PRIu64 "\n", devs.dev[i].relid, cpu);
	}
	ok = ok && cpus && write_new(SNAP "/expected_cpu", cpus);
	free(cpus);
	return ok;
}

static bool make_snapshot(void)
{
	const char *const rm[] = { "rm", "-rf", SNAP, ARCHIVE, ARCHIVE_B64, NULL };

	return run("rm", rm) && make_dir(SNAP_DEVICES) && copy_devices() &&
	       write_expected();
}

/* busybox tar and base64; the lines go out as TAP diagnostics. */
static bool print_artifact(void)
{
	const char *const tar[] = { "tar", "-czf", ARCHIVE, "-C", SNAP, ".", NULL };
	const char *const b64[] = { "sh", "-c", "base64 " ARCHIVE " > " ARCHIVE_B64, NULL };
	char *text, *line, *save;
	struct stat st;

	if (!run("tar", tar) || !run("base64", b64) || stat(ARCHIVE, &st))
		return false;
	if (vm_read_file(ARCHIVE_B64, &text))
		return false;
	ksft_print_msg("%s: %lld bytes, checked on the host by qemu/post/lsvmbus.sh\n",
		       ARTIFACT, (long long)st.st_size);
	ksft_print_msg("===ARTIFACT %s BEGIN===\n", ARTIFACT);
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
		ksft_print_msg("%s\n", line);
	ksft_print_msg("===ARTIFACT %s END===\n", ARTIFACT);
	free(text);
	return true;
}

static bool unload(void)
{
	const char *const rm[] = { "rm", "-rf", SNAP, ARCHIVE, ARCHIVE_B64, NULL };
	bool ok = vm_guest_unload();

	ok &= !vm_sim_devices_clear();
	return ok & run("rm", rm);
}

int main(void)
{
	ksft_print_header();
	vm_setup();
	ksft_set_plan(6);
	ksft_test_result(load(), "modprobe hv_vmbus with %u devices, one with %u sub-channels\n",
			 DEVICES, SUBCHANNELS);
	ksft_test_result(check_sysfs(), "sysfs of every device and channel matches the host\n");
	ksft_test_result(make_snapshot(),
			 "snapshot of what lsvmbus reads, with the expected facts\n");
	ksft_test_result(print_artifact(), "artifact %s printed\n", ARTIFACT);
	ksft_test_result(unload(), "rmmod hv_vmbus\n");
	ksft_test_result(vm_teardown(), "teardown: hv_vmbus unloaded, sim modes restored\n");
	vm_sim_devices_free(&devs);
	vm_test_finished();
}
