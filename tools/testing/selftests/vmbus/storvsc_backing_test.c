// SPDX-License-Identifier: GPL-2.0
/*
 * storvsc_backing_test: disks the simulated host keeps in a block device
 * and in a file rather than in its own RAM.  A block device of the guest
 * of 16 MiB (the QEMU machine's virtio disk, /dev/vda, which qemu/run.sh
 * attaches, where the kernel has virtio_blk; else /dev/ram0 from Debian's
 * brd) and a file of 8 MiB in /tmp are filled with patterns of their own;
 * the control plane names them as the stores of LUN 0 and LUN 1 of the
 * first controller (`backing 0 0 /dev/vda`, `backing 0 1 /tmp/...`, no RAM
 * disks).  The distribution's hv_storvsc
 * then finds two disks of exactly those sizes, and reads the patterns the
 * stores held; new patterns written through the SCSI disks, one buffered
 * and flushed (SYNCHRONIZE CACHE: the host's fsync), one with O_DIRECT,
 * are in the stores once the controller is gone and the host let them go.
 * A discard through each disk (BLKDISCARD: sd's UNMAP) reaches its store:
 * the range reads as zeros through the disk, the rest keeps its data (the
 * host punches a hole in the file, and in the block device or writes
 * zeros where it cannot), and the range written again holds the pattern.
 * Also: what the control plane refuses (a relative path, a character
 * device, a missing file, an address out of range, a block device that
 * backs another LUN already, a change while a channel is open); the block
 * device is the host's alone while it keeps a disk (O_EXCL); and a store
 * that shrinks under the disk fails the reads past its end with a medium
 * error (ENODATA, the block layer's BLK_STS_MEDIUM), counted, while the
 * rest of the disk keeps working.
 *
 * Sim: storvsc/control backing, luns 2, size_mb 0; storvsc/backing;
 * storvsc/stats backing_errors, flushes.
 */
#include <dirent.h>
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

#define SCSI_INSTANCE	"5c1e7a3d-8b2f-4e6a-9d10-4241434b0000"
#define FILE_STORE	"/tmp/storvsc_backing.img"
#define VIRTIO_STORE	"/dev/vda"
#define BRD_STORE	"/dev/ram0"

enum {
	BLK_MB		= 16,	/* qemu/run.sh's virtio disk, and brd's */
	VIRTIO_MS	= 10000,
	FILE_MB		= 8,
	/* The store's size after it shrinks under the disk. */
	SHRUNK_MB	= 4,
	NLUN		= 2,
};

/* Seeds: what the guest puts into the stores, what it writes through the disks. */
enum {
	SEED_BLK	= 0x6272640001ULL,
	SEED_FILE	= 0x66696c0001ULL,
	SEED_BLK_SCSI	= 0x6272640002ULL,
	SEED_FILE_SCSI	= 0x66696c0002ULL,
};

static bool brd_loaded, virtio_loaded;
/* LUN 0's store: VIRTIO_STORE or BRD_STORE. */
static const char *blk;
static char disk_name[NLUN][64];	/* sdX of LUN 0 and LUN 1 */

/*
 * @mb MiB at @path: the pattern of @seed written (@write) or read and
 * compared, a MiB at a time, with @flags.
 */
static bool pattern_io(const char *path, int flags, unsigned int mb, uint64_t seed, bool write)
{
	uint8_t *want = NULL, *got = NULL;
	unsigned int i;
	bool ok = !posix_memalign((void **)&want, 4096, STV_CHUNK) &&
		  !posix_memalign((void **)&got, 4096, STV_CHUNK);
	int fd = -1;

	if (ok) {
		fd = open(path, (write ? O_WRONLY : O_RDONLY) | flags | O_CLOEXEC);
		ok = vm_expect(fd >= 0, "open %s: %s", path, strerror(errno));
	}
	for (i = 0; ok && i < mb; i++) {
		stv_pattern(want, STV_CHUNK, seed, i);
		if (write) {
			ok = stv_xfer(fd, want, STV_CHUNK, (off_t)i << 20, true);
			continue;
		}
		ok = stv_xfer(fd, got, STV_CHUNK, (off_t)i << 20, false) &&
		     vm_expect(!memcmp(want, got, STV_CHUNK),
			       "%s: MiB %u is not the pattern %#" PRIx64, path, i, seed);
	}
	if (ok && write)
		ok = vm_expect(!fsync(fd), "fsync %s: %s", path, strerror(errno));
	if (fd >= 0)
		close(fd);
	free(want);
	free(got);
	if (ok)
		ksft_print_msg("%s: %u MiB of pattern %#" PRIx64 " %s\n", path, mb, seed,
			       write ? "written" : "read back");
	return ok;
}

static bool vda_there(void *arg)
{
	(void)arg;
	return !access("/sys/block/vda/size", R_OK) && !access(VIRTIO_STORE, R_OK);
}

/*
 * LUN 0's block device, of BLK_MB MiB: the virtio disk where the kernel
 * drives it (no udev here: its modules loaded by hand), else brd's.
 */
static bool blk_made(void)
{
	const char *const brd[] = { "modprobe", "brd", "rd_nr=1", "rd_size=16384",
				    "max_part=0", NULL };
	uint64_t sectors = 0;
	char path[64];

	virtio_loaded = !vm_modprobe("virtio_pci", VM_MODPROBE_MS) &&
			!vm_modprobe("virtio_blk", VM_MODPROBE_MS);
	if (virtio_loaded && vm_wait_until(vda_there, NULL, VIRTIO_MS, "%s", VIRTIO_STORE)) {
		blk = VIRTIO_STORE;
	} else {
		ksft_print_msg("no virtio disk here: brd's %s instead\n", BRD_STORE);
		if (!vm_expect(!vm_run(VM_MODPROBE_MS, brd), "modprobe brd rd_nr=1 rd_size=16384"))
			return false;
		brd_loaded = true;
		blk = BRD_STORE;
	}
	snprintf(path, sizeof(path), "/sys/block/%s/size", blk + 5);
	return vm_expect(!vm_read_u64(path, &sectors), "%s", path) &&
	       vm_expect_eq("LUN 0's store, in 512-byte sectors", (uint64_t)BLK_MB << 11, sectors);
}

/* LUN 0's block device and the file of FILE_MB MiB, each with its pattern. */
static bool stores_made(void)
{
	int fd;

	if (!blk_made())
		return false;
	fd = open(FILE_STORE, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (!vm_expect(fd >= 0, "create %s: %s", FILE_STORE, strerror(errno)))
		return false;
	close(fd);
	return pattern_io(blk, O_DIRECT, BLK_MB, SEED_BLK, true) &&
	       pattern_io(FILE_STORE, 0, FILE_MB, SEED_FILE, true);
}

/* The control plane's answer to `@cmd @arg` is @want (0 or -errno). */
static bool cmd_answers(const char *cmd, const char *arg, int want)
{
	int got = vm_write(VM_SIM, "storvsc/control", "%s%s", cmd, arg);

	ksft_print_msg("storvsc/control '%s%s': %d (%s)\n", cmd, arg, got,
		       got ? strerror(-got) : "ok");
	return vm_expect(got == want, "'%s%s' answered %d, expected %d", cmd, arg, got, want);
}

/* What the control plane refuses, then the two stores named. */
static bool stores_named(void)
{
	bool ok;
	int fd;

	ok = cmd_answers("backing 0 0 tmp/relative.img", "", -EINVAL);
	ok &= cmd_answers("backing 0 0 /dev/null", "", -EINVAL);
	ok &= cmd_answers("backing 0 0 /tmp/no-such-store.img", "", -ENOENT);
	ok &= cmd_answers("backing 8 0 ", blk, -EINVAL);
	ok &= cmd_answers("backing 0 8 ", blk, -EINVAL);
	ok &= cmd_answers("backing 0 0", "", -EINVAL);
	ok &= cmd_answers("backing 0 0 ", blk, 0);
	/* O_EXCL: a block device keeps one disk, and nobody else opens it so. */
	ok &= cmd_answers("backing 1 0 ", blk, -EBUSY);
	fd = open(blk, O_RDWR | O_EXCL | O_CLOEXEC);
	ok &= vm_expect(fd < 0 && errno == EBUSY, "open(%s, O_EXCL) while the host keeps a "
			"disk in it: %s", blk, fd < 0 ? strerror(errno) : "opened");
	if (fd >= 0)
		close(fd);
	ok &= cmd_answers("backing 0 1 ", FILE_STORE, 0);
	stv_print_file("backing");
	return ok;
}

/* LUN @lun's disk of @mb MiB: its name into disk_name[@lun]. */
static bool find_lun(void *arg)
{
	unsigned int want = *(unsigned int *)arg, h, c, t, l;
	char path[512], link[512], vendor[64];
	struct dirent *e;
	DIR *d = opendir("/sys/block");
	bool found = false;
	const char *base;
	ssize_t len;

	while (d && !found && (e = readdir(d))) {
		if (strncmp(e->d_name, "sd", 2))
			continue;
		snprintf(path, sizeof(path), "/sys/block/%s/device/vendor", e->d_name);
		if (!stv_read_trim(path, vendor, sizeof(vendor)) || strcmp(vendor, "Msft"))
			continue;
		snprintf(path, sizeof(path), "/sys/block/%s/device", e->d_name);
		len = readlink(path, link, sizeof(link) - 1);
		link[len > 0 ? len : 0] = '\0';
		base = strrchr(link, '/') ? strrchr(link, '/') + 1 : link;
		if (sscanf(base, "%u:%u:%u:%u", &h, &c, &t, &l) == 4 && l == want) {
			snprintf(disk_name[want], sizeof(disk_name[want]), "%.63s", e->d_name);
			snprintf(path, sizeof(path), "/dev/%.63s", e->d_name);
			/* The node comes before the disk is live. */
			found = !access(path, R_OK);
		}
	}
	if (d)
		closedir(d);
	return found;
}

/* The two disks, of the stores' sizes; the host lists both stores. */
static bool disks_found(void)
{
	unsigned int lun, mb[NLUN] = { BLK_MB, FILE_MB };
	char *text = NULL, want[64];
	bool ok = true;

	for (lun = 0; ok && lun < NLUN; lun++) {
		ok = vm_wait_until(find_lun, &lun, STV_DISK_MS, "the disk at LUN %u", lun);
		if (ok)
			ksft_print_msg("LUN %u: /dev/%s\n", lun, disk_name[lun]);
		ok = ok && stv_expect_size(disk_name[lun], mb[lun]);
	}
	snprintf(want, sizeof(want), "0 0 %u %s\n", BLK_MB << 20, blk);
	ok = ok && vm_expect(!vm_read(VM_SIM, "storvsc/backing", &text) && text &&
			     strstr(text, want) &&
			     strstr(text, "0 1 8388608 " FILE_STORE "\n"),
			     "storvsc/backing: '%s'", text ? text : "");
	free(text);
	return ok;
}

static bool disk_io(unsigned int lun, int flags, unsigned int mb, uint64_t seed, bool write)
{
	char dev[128];

	snprintf(dev, sizeof(dev), "/dev/%s", disk_name[lun]);
	return pattern_io(dev, flags, mb, seed, write);
}

/*
 * The host's answers while a channel is open; what the stores held read
 * through the disks; new patterns written, LUN 0 buffered and flushed,
 * LUN 1 with O_DIRECT.
 */
static bool through_disks(void)
{
	uint64_t flushes = 0;
	bool ok;

	ok = cmd_answers("backing 0 1 -", "", -EBUSY);
	ok &= cmd_answers("size_mb 4", "", -EBUSY);
	ok = ok && disk_io(0, O_DIRECT, BLK_MB, SEED_BLK, false) &&
	     disk_io(1, O_DIRECT, FILE_MB, SEED_FILE, false);
	ok = ok && disk_io(0, 0, BLK_MB, SEED_BLK_SCSI, true) &&
	     disk_io(1, O_DIRECT, FILE_MB, SEED_FILE_SCSI, true);
	/* sd sends SYNCHRONIZE CACHE for the fsync: the write cache is on. */
	return ok && vm_expect(stv_stat("flushes", &flushes), "no flushes counter") &&
	       vm_expect_ge("host flushes (SYNCHRONIZE CACHE)", 1, flushes);
}

/* The file store's allocated KiB (less after a punched hole), or -1. */
static long long file_kib(void)
{
	struct stat st;

	return stat(FILE_STORE, &st) ? -1 : (long long)st.st_blocks / 2;
}

/*
 * BLKDISCARD of MiB @mib of LUN @lun's disk, which holds the pattern @seed:
 * that MiB reads as zeros, the next one still holds the pattern; the MiB
 * is written with the pattern again.
 */
static bool discard_mib(unsigned int lun, unsigned int mib, uint64_t seed)
{
	uint64_t range[2] = { (uint64_t)mib << 20, STV_CHUNK }, unmapped0 = 0, unmapped1 = 0;
	uint8_t *buf = NULL, *want = NULL;
	char dev[128];
	bool ok;
	int fd;

	snprintf(dev, sizeof(dev), "/dev/%s", disk_name[lun]);
	/* Both aligned: the pattern is written back with O_DIRECT. */
	ok = !posix_memalign((void **)&want, 4096, STV_CHUNK) &&
	     !posix_memalign((void **)&buf, 4096, STV_CHUNK) &&
	     stv_stat("blocks_unmapped", &unmapped0);
	fd = ok ? open(dev, O_RDWR | O_DIRECT | O_CLOEXEC) : -1;
	ok = ok && vm_expect(fd >= 0, "open %s: %s", dev, strerror(errno));
	ok = ok && vm_expect(!ioctl(fd, BLKDISCARD, range), "BLKDISCARD %s: %s", dev,
			     strerror(errno));
	ok = ok && stv_xfer(fd, buf, STV_CHUNK, range[0], false);
	memset(want, 0, STV_CHUNK);
	ok = ok && vm_expect(!memcmp(buf, want, STV_CHUNK), "%s: MiB %u after the discard is "
			     "not zeros", dev, mib);
	if (ok)
		ksft_print_msg("%s: MiB %u discarded, reads as zeros; %s allocates %lld KiB\n",
			       dev, mib, FILE_STORE, file_kib());
	stv_pattern(want, STV_CHUNK, seed, mib + 1);
	ok = ok && stv_xfer(fd, buf, STV_CHUNK, range[0] + STV_CHUNK, false) &&
	     vm_expect(!memcmp(buf, want, STV_CHUNK), "%s: MiB %u changed by the discard "
		       "before it", dev, mib + 1);
	stv_pattern(want, STV_CHUNK, seed, mib);
	ok = ok && stv_xfer(fd, want, STV_CHUNK, range[0], true);
	if (fd >= 0)
		close(fd);
	ok = ok && stv_stat("blocks_unmapped", &unmapped1) &&
	     vm_expect_eq("blocks the host unmapped", STV_CHUNK / 512, unmapped1 - unmapped0);
	free(buf);
	free(want);
	return ok;
}

/*
 * The file store cut to SHRUNK_MB under LUN 1's disk: a read past its end
 * fails with the host's medium error (ENODATA: sd passes MEDIUM ERROR up
 * as BLK_STS_MEDIUM; EIO is as good), counted; the part that is left still
 * reads.
 */
static bool shrunk_store(void)
{
	uint64_t before = ~0ull, after = 0;
	uint8_t *buf = NULL;
	char dev[128];
	ssize_t n = 0;
	int fd, err = 0;
	bool ok;

	if (!vm_expect(!truncate(FILE_STORE, (off_t)SHRUNK_MB << 20), "truncate %s: %s",
		       FILE_STORE, strerror(errno)) ||
	    posix_memalign((void **)&buf, 4096, STV_CHUNK))
		return false;
	ok = vm_expect(stv_stat("backing_errors", &before), "no backing_errors counter");
	snprintf(dev, sizeof(dev), "/dev/%s", disk_name[1]);
	fd = open(dev, O_RDONLY | O_DIRECT | O_CLOEXEC);
	if (fd >= 0) {
		n = pread(fd, buf, STV_CHUNK, (off_t)(FILE_MB - 1) << 20);
		err = errno;
		close(fd);
	}
	ok &= vm_expect(fd >= 0 && n < 0 && (err == ENODATA || err == EIO), "O_DIRECT read of the last MiB of "
			"%s past its shrunk store: %zd (%s)", dev, n, n < 0 ? strerror(err) : "data");
	ok &= vm_expect(stv_stat("backing_errors", &after), "no backing_errors counter") &&
	      vm_expect_ge("host backing_errors after the read", before + 1, after);
	ksft_print_msg("read past the store's end: %s; backing_errors %" PRIu64 " -> %" PRIu64
		       "\n", n < 0 ? strerror(err) : "data", before, after);
	free(buf);
	return ok && disk_io(1, O_DIRECT, SHRUNK_MB, SEED_FILE_SCSI, false);
}

/*
 * hv_storvsc unloaded and the controller rescinded, the stores let go:
 * each holds what was written through its disk.
 */
static bool stores_kept(void)
{
	bool ok = stv_unload(disk_name[0]) && stv_rescind(SCSI_INSTANCE);

	ok = ok && cmd_answers("backing 0 0 -", "", 0) && cmd_answers("backing 0 1 -", "", 0);
	return ok && pattern_io(blk, O_DIRECT, BLK_MB, SEED_BLK_SCSI, false) &&
	       pattern_io(FILE_STORE, 0, SHRUNK_MB, SEED_FILE_SCSI, false);
}

/* After hv_storvsc is gone (stv_unload_at_exit), whatever happened. */
static void stores_restore(void)
{
	vm_write(VM_SIM, "storvsc/control", "backing 0 0 -");
	vm_write(VM_SIM, "storvsc/control", "backing 0 1 -");
	vm_write(VM_SIM, "storvsc/control", "luns 1");
	unlink(FILE_STORE);
	if (brd_loaded)
		vm_rmmod("brd", VM_RMMOD_MS);
	/* Unbound again: the later tests' boot has no virtio disk in use. */
	if (virtio_loaded) {
		vm_rmmod("virtio_blk", VM_RMMOD_MS);
		vm_rmmod("virtio_pci", VM_RMMOD_MS);
	}
}

int main(void)
{
	struct vm_kmsg_mark mark;
	bool made, named, loaded, found, io;

	ksft_print_header();
	vm_setup();
	/* Both run before vm_setup()'s handler, hv_storvsc's unload first. */
	atexit(stores_restore);
	atexit(stv_unload_at_exit);
	ksft_set_plan(7);
	made = !vm_kmsg_mark(&mark) && stores_made();
	named = made && stores_named();
	ksft_test_result(named, "storvsc_backing_named: a block device (%u MiB) and a file "
			 "(%u MiB) as LUNs 0 and 1; bad stores refused\n", BLK_MB, FILE_MB);
	loaded = named && stv_load_ctls((const char *const[]){ SCSI_INSTANCE }, 1, NLUN, 0, 0);
	found = loaded && disks_found();
	ksft_test_result(found, "storvsc_backing_disks: two disks of the stores' sizes\n");
	io = found && through_disks();
	ksft_test_result(io, "storvsc_backing_io: the stores' data read through the disks, "
			 "new data written, flushed\n");
	ksft_test_result(io && discard_mib(0, 2, SEED_BLK_SCSI) &&
			 discard_mib(1, 1, SEED_FILE_SCSI), "storvsc_backing_discard: a MiB discarded through each "
			 "disk reads as zeros, the rest keeps its data\n");
	ksft_test_result(io && shrunk_store(), "storvsc_backing_shrunk: a read past a shrunk "
			 "store fails (medium error), counted; the rest reads\n");
	ksft_test_result(loaded && stv_counters(&mark) && stores_kept(),
			 "storvsc_backing_kept: controller gone, the stores hold what was "
			 "written through the disks\n");
	ksft_test_result(!vm_write(VM_SIM, "storvsc/control", "luns 1") & vm_teardown(),
			 "storvsc_backing_teardown: hv_vmbus unloaded, sim restored\n");
	vm_test_finished();
}
