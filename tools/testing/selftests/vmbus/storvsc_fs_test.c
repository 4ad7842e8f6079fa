// SPDX-License-Identifier: GPL-2.0
/*
 * storvsc_fs_test: a file system on the simulated host's SCSI disk, driven
 * by the distribution's hv_storvsc and sd_mod.  A 256 MiB disk
 * (vmbus_storvsc_fs_mb=N on the kernel command line changes the size):
 * its first half written with a pseudo-random pattern through O_DIRECT,
 * its second half through the page cache; the caches dropped, every byte
 * read back, and the checksums compared.  Then Debian's e2fsprogs:
 * mkfs.ext4 on the whole disk, the distribution's ext4 mounts it, 1,000
 * files of 1 to 16 KiB are written, the file system is unmounted and
 * mounted again, every file reads back with its checksum, and after the
 * last unmount `fsck -fn` finds it clean.  The host answers every
 * request and sees no protocol error.  The file system part skips on a
 * kernel without ext4 (the debug kernel's config has none).
 *
 * Sim: storvsc/control size_mb <N> (0 at the end), devices add
 * <HV_SCSI_GUID>.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/fs.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "storvsc_util.h"
#include "vmbus_util.h"

/* An instance of this test's own. */
#define SCSI_INSTANCE	"5c1e7a3d-8b2f-4e6a-9d10-46494c455359"
#define MNT		"/tmp/storvsc_fs"

enum {
	DEFAULT_MB	= 256,
	MAX_MB		= 512,	/* the host's largest disk */
	NFILES		= 1000,
	FILE_UNIT	= 1024,	/* file i has (i % 16 + 1) units */
};

static char disk[256];	/* sdX */
static char dev[300];	/* /dev/sdX */
static unsigned int disk_mb;

static bool disk_ok(void)
{
	return stv_wait_dev(disk, sizeof(disk), dev, sizeof(dev), disk_mb);
}

static bool do_mount(void)
{
	return stv_mount(dev, MNT);
}

static bool do_umount(void)
{
	return stv_umount(MNT);
}

static size_t file_len(unsigned int i)
{
	return (size_t)(i % 16 + 1) * FILE_UNIT;
}

/* File @i written (@write) or read and compared with its pattern. */
static bool file_io(unsigned int i, uint8_t *want, uint8_t *got, bool write)
{
	size_t len = file_len(i);
	char path[300];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "%s/d%02u/f%04u", MNT, i % 10, i);
	stv_pattern(want, len, 0x66696c6573ULL, i);
	fd = write ? open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644) : open(path, O_RDONLY);
	if (fd < 0)
		return vm_expect(false, "open %s: %s", path, strerror(errno));
	n = write ? pwrite(fd, want, len, 0) : pread(fd, got, len + 1, 0);
	close(fd);
	if (!vm_expect(n == (ssize_t)len, "%s %s: %zd of %zu bytes", write ? "write" : "read",
		       path, n, len))
		return false;
	return write || vm_expect(stv_checksum(STV_FNV_INIT, got, len) ==
				  stv_checksum(STV_FNV_INIT, want, len),
				  "%s: content differs", path);
}

static bool files(void)
{
	uint8_t *want = malloc(16 * FILE_UNIT), *got = malloc(16 * FILE_UNIT + 1);
	char path[300];
	unsigned int i;
	bool ok = want && got && do_mount();

	for (i = 0; ok && i < 10; i++) {
		snprintf(path, sizeof(path), "%s/d%02u", MNT, i);
		ok = vm_expect(!mkdir(path, 0755), "mkdir %s: %s", path, strerror(errno));
	}
	for (i = 0; ok && i < NFILES; i++)
		ok = file_io(i, want, got, true);
	sync();
	ok &= do_umount();
	/* Mounted again: every file comes from the disk. */
	ok = ok && vm_write_file("/proc/sys/vm/drop_caches", "3") == 0 && do_mount();
	for (i = 0; ok && i < NFILES; i++)
		ok = file_io(i, want, got, false);
	if (ok)
		ksft_print_msg("%u files written, read back after a remount\n", NFILES);
	ok &= do_umount();
	free(want);
	free(got);
	return ok;
}


int main(void)
{
	struct vm_kmsg_mark mark;
	bool loaded, found, io, ext4, made;

	ksft_print_header();
	vm_setup();
	/* Registered after vm_setup()'s handler, so it runs before it. */
	atexit(stv_unload_at_exit);
	ksft_set_plan(9);
	disk_mb = vm_param_range("vmbus_storvsc_fs_mb", DEFAULT_MB, 64, MAX_MB);
	loaded = !vm_kmsg_mark(&mark) && stv_load(SCSI_INSTANCE, disk_mb, 0);
	ksft_test_result(loaded, "storvsc_fs_load: %u MiB controller offered, plain modprobe "
			 "hv_storvsc\n", disk_mb);
	found = loaded && disk_ok();
	ksft_test_result(found, "storvsc_fs_disk: /sys/block/sdX of %u MiB\n", disk_mb);
	io = found && stv_write_read(dev, O_DIRECT, 0, disk_mb / 2, 0x46534449524543ULL,
				   "O_DIRECT");
	ksft_test_result(io, "storvsc_fs_direct: %u MiB with O_DIRECT read back\n", disk_mb / 2);
	io = found && stv_write_read(dev, 0, disk_mb / 2, disk_mb / 2, 0x4653425546ULL,
				   "buffered");
	ksft_test_result(io, "storvsc_fs_buffered: %u MiB through the page cache, read after "
			 "drop_caches\n", disk_mb / 2);
	ext4 = found && stv_have_ext4();
	if (found && !ext4) {
		ksft_test_result_skip("storvsc_fs_mkfs: this kernel has no ext4\n");
		ksft_test_result_skip("storvsc_fs_files: this kernel has no ext4\n");
		ksft_test_result_skip("storvsc_fs_fsck: this kernel has no ext4\n");
	} else {
		made = ext4 && stv_mkfs(dev);
		ksft_test_result(made, "storvsc_fs_mkfs: mkfs.ext4 on the whole disk\n");
		made = made && files();
		ksft_test_result(made, "storvsc_fs_files: %u files written, remounted, read "
				 "back\n", NFILES);
		ksft_test_result(made && stv_fsck(dev), "storvsc_fs_fsck: fsck -fn finds it clean\n");
	}
	ksft_test_result(loaded && stv_counters(&mark) && stv_unload(disk) &&
			 stv_rescind(SCSI_INSTANCE), "storvsc_fs_unload: every request "
			 "completed, rmmod hv_storvsc, controller rescinded\n");
	ksft_test_result(!vm_write(VM_SIM, "storvsc/control", "size_mb 0") & vm_teardown(),
			 "storvsc_fs_teardown: disk freed, hv_vmbus unloaded, sim restored\n");
	vm_test_finished();
}
