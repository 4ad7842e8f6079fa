// SPDX-License-Identifier: GPL-2.0
/*
 * Helpers of the storvsc tests: the controller offered and the drivers
 * loaded, the disk found, a pseudo-random pattern and its checksum, the
 * host's counters, unload and rescind.
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
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "storvsc_util.h"
#include "vmbus_util.h"

bool stv_stat(const char *name, uint64_t *v)
{
	struct vm_stats st;

	return !vm_stats_load(VM_SIM, "storvsc/stats", &st) && vm_stat_get(&st, name, v);
}

/*
 * The host's counters @names into @v (@n of each), after the whole stats
 * file went to the test's log; false, with a failed expectation, if one
 * is missing.
 */
bool stv_stats(const char *const *names, unsigned int n, uint64_t *v)
{
	struct vm_stats st;
	unsigned int i;
	bool ok;

	stv_print_file("stats");
	ok = vm_expect(!vm_stats_load(VM_SIM, "storvsc/stats", &st), "reading storvsc/stats");
	for (i = 0; ok && i < n; i++)
		ok = vm_expect(vm_stat_get(&st, names[i], &v[i]), "storvsc/stats has no %s",
			       names[i]);
	return ok;
}

/* Every line of storvsc/@file into the test's log. */
void stv_print_file(const char *file)
{
	char *text = NULL, *line, *save, name[64];

	snprintf(name, sizeof(name), "storvsc/%s", file);
	vm_read(VM_SIM, name, &text);
	for (line = text ? strtok_r(text, "\n", &save) : NULL; line;
	     line = strtok_r(NULL, "\n", &save))
		ksft_print_msg("vmbus_sim/%s: %s\n", name, line);
	free(text);
}

/*
 * @luns LUNs of @disk_mb MiB on every controller, the counters reset, the
 * @nctl controllers @instances added with @nsub sub-channels each;
 * hv_vmbus, sd_mod and hv_storvsc loaded.
 */
bool stv_load_ctls(const char *const *instances, unsigned int nctl, unsigned int luns,
		   unsigned int disk_mb, unsigned int nsub)
{
	unsigned int i;

	if (vm_write(VM_SIM, "storvsc/control", "luns %u", luns) ||
	    vm_write(VM_SIM, "storvsc/control", "size_mb %u", disk_mb) ||
	    vm_write(VM_SIM, "storvsc/control", "reset_stats"))
		return false;
	for (i = 0; i < nctl; i++)
		if (vm_sim_devices_cmd("add %s %s %u", STV_SCSI_CLASS, instances[i], nsub))
			return false;
	if (!vm_guest_load(VM_MODPROBE_MS) || !vm_wait_vmbus_devices(nctl, VM_MODPROBE_MS))
		return false;
	/* No udev here: sd_mod is not loaded on demand. */
	return vm_modprobe_expect("sd_mod", VM_MODPROBE_MS) &&
	       vm_modprobe_expect("hv_storvsc", VM_MODPROBE_MS);
}

/* One controller @instance with one LUN; see stv_load_ctls(). */
bool stv_load(const char *instance, unsigned int disk_mb, unsigned int nsub)
{
	return stv_load_ctls(&instance, 1, 1, disk_mb, nsub);
}

/* /sys/block/@disk/size says @disk_mb MiB. */
bool stv_expect_size(const char *disk, unsigned int disk_mb)
{
	uint64_t sectors = 0;
	char path[300];

	snprintf(path, sizeof(path), "/sys/block/%s/size", disk);
	return vm_expect(!vm_read_u64(path, &sectors), "reading %s", path) &&
	       vm_expect_eq("disk size in 512-byte sectors", (uint64_t)disk_mb << 11, sectors);
}

/* Trailing blanks and newline off, as sysfs pads SCSI strings. */
bool stv_read_trim(const char *path, char *buf, size_t len)
{
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return false;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n < 0)
		return false;
	while (n && (buf[n - 1] == '\n' || buf[n - 1] == ' '))
		n--;
	buf[n] = '\0';
	return true;
}

/* An sd disk whose vendor is Msft and whose /dev node opens: its name. */
bool stv_find_disk(char *disk, size_t len)
{
	char path[300], vendor[64];
	struct dirent *e;
	DIR *d = opendir("/sys/block");
	bool found = false;
	int fd;

	while (d && (e = readdir(d)) && !found) {
		if (strncmp(e->d_name, "sd", 2))
			continue;
		snprintf(path, sizeof(path), "/sys/block/%s/device/vendor", e->d_name);
		if (stv_read_trim(path, vendor, sizeof(vendor)) && !strcmp(vendor, "Msft")) {
			snprintf(disk, len, "%s", e->d_name);
			found = true;
		}
	}
	if (d)
		closedir(d);
	if (found) {
		/* The node comes before the disk is live (ENXIO until then). */
		snprintf(path, sizeof(path), "/dev/%s", disk);
		fd = open(path, O_RDONLY | O_CLOEXEC);
		found = fd >= 0;
		if (found)
			close(fd);
	}
	return found;
}

struct stv_disk_arg {
	char *disk;
	size_t len;
};

static bool disk_found(void *arg)
{
	struct stv_disk_arg *a = arg;

	return stv_find_disk(a->disk, a->len);
}

/*
 * stv_wait_disk(), then @dev = /dev/@disk, whose size must be @disk_mb
 * MiB.
 */
bool stv_wait_dev(char *disk, size_t len, char *dev, size_t dev_len, unsigned int disk_mb)
{
	if (!stv_wait_disk(disk, len))
		return false;
	snprintf(dev, dev_len, "/dev/%s", disk);
	ksft_print_msg("disk: %s\n", dev);
	return stv_expect_size(disk, disk_mb);
}

/* Waits up to STV_DISK_MS for stv_find_disk(). */
bool stv_wait_disk(char *disk, size_t len)
{
	struct stv_disk_arg a = { disk, len };

	return vm_wait_until(disk_found, &a, STV_DISK_MS, "an sd disk with vendor Msft");
}

/* xorshift64*: the pattern of block @i of a run seeded with @seed. */
void stv_pattern(uint8_t *buf, size_t len, uint64_t seed, uint64_t i)
{
	uint64_t x = seed ^ (i * 0x9e3779b97f4a7c15ULL), *p = (uint64_t *)buf;
	size_t k;

	for (k = 0; k < len / 8; k++) {
		x ^= x >> 12;
		x ^= x << 25;
		x ^= x >> 27;
		p[k] = x * 0x2545f4914f6cdd1dULL;
	}
}

/* FNV-1a, 64 bits. */
uint64_t stv_checksum(uint64_t h, const uint8_t *buf, size_t len)
{
	size_t k;

	for (k = 0; k < len; k++)
		h = (h ^ buf[k]) * 0x100000001b3ULL;
	return h;
}

bool stv_xfer(int fd, uint8_t *buf, size_t len, off_t off, bool write)
{
	ssize_t n = write ? pwrite(fd, buf, len, off) : pread(fd, buf, len, off);

	return vm_expect(n == (ssize_t)len, "%s %zu bytes at %lld: %zd (%s)",
			 write ? "pwrite" : "pread", len, (long long)off, n,
			 n < 0 ? strerror(errno) : "short");
}

static bool no_disk(void *arg)
{
	char path[300];

	snprintf(path, sizeof(path), "/sys/block/%s", (const char *)arg);
	return access(path, F_OK);
}

/*
 * @mb MiB of the pattern at @off_mb of @dev with @flags, read back after
 * the caches were dropped (unless O_DIRECT); the checksums compared.
 */
bool stv_write_read(const char *dev, int flags, unsigned int off_mb, unsigned int mb,
		    uint64_t seed, const char *what)
{
	uint64_t sum_w = STV_FNV_INIT, sum_r = STV_FNV_INIT, t0 = vm_now_ms(), t1;
	uint8_t *buf;
	unsigned int i;
	bool ok = true;
	int fd;

	if (posix_memalign((void **)&buf, 4096, STV_CHUNK))
		return vm_expect(false, "posix_memalign failed");
	fd = open(dev, O_RDWR | flags);
	if (fd < 0) {
		free(buf);
		return vm_expect(false, "open %s: %s", dev, strerror(errno));
	}
	for (i = 0; i < mb && ok; i++) {
		stv_pattern(buf, STV_CHUNK, seed, i);
		sum_w = stv_checksum(sum_w, buf, STV_CHUNK);
		ok = stv_xfer(fd, buf, STV_CHUNK, ((off_t)off_mb + i) << 20, true);
	}
	ok = ok && vm_expect(!fsync(fd), "fsync %s: %s", dev, strerror(errno));
	t1 = vm_now_ms();
	if (ok && !(flags & O_DIRECT)) {
		ok = vm_expect(!ioctl(fd, BLKFLSBUF, 0), "BLKFLSBUF: %s", strerror(errno));
		ok = ok && !vm_write_file("/proc/sys/vm/drop_caches", "3");
	}
	for (i = 0; i < mb && ok; i++) {
		memset(buf, 0, STV_CHUNK);
		ok = stv_xfer(fd, buf, STV_CHUNK, ((off_t)off_mb + i) << 20, false);
		sum_r = stv_checksum(sum_r, buf, STV_CHUNK);
	}
	close(fd);
	free(buf);
	ksft_print_msg("%s: %u MiB at %u MiB: written fnv64 %016" PRIx64 " in %" PRIu64
		       " ms, read %016" PRIx64 " in %" PRIu64 " ms\n", what, mb, off_mb,
		       sum_w, t1 - t0, sum_r, vm_now_ms() - t1);
	return ok && vm_expect(sum_w == sum_r, "%s: checksums differ", what);
}

/* Every request answered, no guest protocol error, no unknown id logged. */
bool stv_counters(const struct vm_kmsg_mark *mark)
{
	uint64_t req = 0, comp = 1, err = 1;
	bool ok;

	stv_print_file("stats");
	ok = vm_expect(stv_stat("requests", &req) && stv_stat("completions", &comp) &&
		       stv_stat("errors", &err), "storvsc/stats incomplete");
	ok = ok && vm_expect_eq("completions (every request answered)", req, comp);
	ok = ok && vm_expect_eq("errors (guest protocol errors)", 0, err);
	return ok && vm_expect_eq("kernel log lines 'Incorrect transaction ID'", 0,
				  vm_kmsg_count(mark, "Incorrect transaction ID", false));
}

/* rmmod hv_storvsc: @disk goes; rmmod sd_mod; the host has no channel open. */
bool stv_unload(const char *disk)
{
	uint64_t open = 1;
	bool ok;

	ok = vm_rmmod_expect("hv_storvsc");
	ok &= vm_wait_until(no_disk, (void *)disk, VM_RMMOD_MS, "/sys/block/%s to go", disk);
	ok &= vm_rmmod_expect("sd_mod");
	ok &= vm_expect(stv_stat("open_channels", &open) && !open,
			"storvsc/stats open_channels %" PRIu64 " after rmmod", open);
	return ok;
}

/* The relid of controller @instance's primary; 0 if the host offers none. */
unsigned int stv_ctl_relid(const char *instance)
{
	struct vm_sim_devs devs = { 0 };
	const struct vm_sim_dev *d;
	unsigned int relid;

	if (vm_sim_devices_load(&devs))
		return 0;
	d = vm_sim_devices_find(&devs, instance, 0);
	relid = d && d->offered ? d->relid : 0;
	vm_sim_devices_free(&devs);
	return relid;
}

/* The host rescinds the controller @instance; hv_vmbus releases its relid. */
bool stv_rescind(const char *instance)
{
	return stv_rescind_left(instance, 0);
}

/* stv_rescind(), with @left devices still on the bus afterwards. */
bool stv_rescind_left(const char *instance, unsigned int left)
{
	unsigned int relid = stv_ctl_relid(instance);

	if (!vm_expect(relid, "no relid for %s in the sim's devices", instance))
		return false;
	return !vm_sim_devices_cmd("rescind %u", relid) &&
	       vm_wait_vmbus_devices(left, VM_MODPROBE_MS);
}

/* Whether the running kernel has ext4, loading it if it is a module. */
bool stv_have_ext4(void)
{
	char *text = NULL;
	bool found;

	vm_modprobe("ext4", VM_MODPROBE_MS);
	if (vm_read_file("/proc/filesystems", &text))
		return false;
	found = strstr(text, "\text4\n") != NULL;
	free(text);
	return found;
}

/* Debian's mkfs.ext4 on the whole of @dev. */
bool stv_mkfs(const char *dev)
{
	const char *const argv[] = { "/usr/sbin/mkfs.ext4", "-q", "-F", dev, NULL };

	return vm_expect_eq("mkfs.ext4 exit status", 0, vm_run(STV_MKFS_MS, argv));
}

/* util-linux's fsck -fn on @dev: clean. */
bool stv_fsck(const char *dev)
{
	const char *const argv[] = { "/usr/sbin/fsck", "-fn", dev, NULL };

	return vm_expect_eq("fsck -fn exit status (0: clean)", 0, vm_run(STV_MKFS_MS, argv));
}

/* @dev's ext4 mounted on @mnt (made if need be). */
bool stv_mount(const char *dev, const char *mnt)
{
	return vm_expect(!mkdir(mnt, 0755) || errno == EEXIST, "mkdir %s: %s", mnt,
			 strerror(errno)) &&
	       vm_expect(!mount(dev, mnt, "ext4", 0, NULL), "mount %s on %s: %s", dev, mnt,
			 strerror(errno));
}

bool stv_umount(const char *mnt)
{
	return vm_expect(!umount(mnt), "umount %s: %s", mnt, strerror(errno));
}

/* For atexit() after vm_setup(): hv_storvsc holds hv_vmbus. */
void stv_unload_at_exit(void)
{
	if (vm_module_loaded("hv_storvsc"))
		vm_rmmod("hv_storvsc", VM_RMMOD_MS);
}
