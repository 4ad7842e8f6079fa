// SPDX-License-Identifier: GPL-2.0
/*
 * storvsc_luns_test: several controllers with several LUNs each.  The
 * simulated host is set to 3 LUNs of 8 MiB per controller and offers two
 * SCSI controllers; the distribution's hv_storvsc and the SCSI scan find
 * all six disks (REPORT LUNS), each at its own LUN of its own host, with
 * the host's serial number for that controller and LUN in VPD page 0x80
 * (VMBUSSIM<controller><lun>, two hex digits each).  The host offers no
 * discard this time (`discard 0`: no LBPME, no provisioning in VPD 0xb2),
 * and sd gives none of the disks a discard limit.  A pattern of its own
 * is written to each disk with O_DIRECT, and only then is each read back:
 * every disk has its own store, none sees another's data.  Every request
 * has its completion; unload, rescind of both controllers, the layout
 * back to one LUN.
 *
 * Sim: storvsc/control luns 3, size_mb 8, discard 0 (at the end luns 1,
 * size_mb 0, discard 1),
 * devices add <HV_SCSI_GUID> twice; storvsc/stats luns and
 * controllers_with_disks.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "storvsc_util.h"
#include "vmbus_util.h"

/* Two instances of this test's own. */
static const char *const instances[] = {
	"5c1e7a3d-8b2f-4e6a-9d10-4c554e530000",
	"5c1e7a3d-8b2f-4e6a-9d10-4c554e530001",
};

enum {
	NCTL		= 2,
	NLUN		= 3,
	NDISK		= NCTL * NLUN,
	DISK_MB		= 8,
	IO_MB		= 2,
};

struct disk {
	char name[64];			/* sdX */
	unsigned int host, lun;		/* SCSI address */
	char serial[32];
};

static struct disk disks[NDISK];
static unsigned int ndisks;

/* The serial number in VPD page 0x80 as sysfs gives it (the whole page). */
static void read_serial(const char *disk, char *buf, size_t len)
{
	unsigned char page[64];
	char path[1024];
	ssize_t n = -1;
	size_t sl;
	int fd;

	snprintf(path, sizeof(path), "/sys/block/%s/device/vpd_pg80", disk);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		n = read(fd, page, sizeof(page));
		close(fd);
	}
	buf[0] = '\0';
	if (n < 4 || page[1] != 0x80)
		return;
	sl = page[3] < n - 4 ? page[3] : (size_t)n - 4;
	sl = sl < len - 1 ? sl : len - 1;
	memcpy(buf, page + 4, sl);
	buf[sl] = '\0';
}

/* Every sd disk of vendor Msft, its SCSI address and serial. */
static unsigned int scan_disks(void)
{
	char path[512], link[512], vendor[64];
	struct dirent *e;
	DIR *d = opendir("/sys/block");
	unsigned int n = 0, ch, tgt;
	ssize_t len;

	while (d && (e = readdir(d))) {
		struct disk *k = &disks[n < NDISK ? n : NDISK - 1];

		if (strncmp(e->d_name, "sd", 2))
			continue;
		snprintf(path, sizeof(path), "/sys/block/%s/device/vendor", e->d_name);
		if (!stv_read_trim(path, vendor, sizeof(vendor)) || strcmp(vendor, "Msft"))
			continue;
		if (n++ >= NDISK)
			continue;
		snprintf(k->name, sizeof(k->name), "%.63s", e->d_name);
		snprintf(path, sizeof(path), "/sys/block/%s/device", e->d_name);
		len = readlink(path, link, sizeof(link) - 1);
		link[len > 0 ? len : 0] = '\0';
		if (sscanf(strrchr(link, '/') ? strrchr(link, '/') + 1 : link, "%u:%u:%u:%u",
			   &k->host, &ch, &tgt, &k->lun) != 4)
			k->host = k->lun = ~0u;
		read_serial(e->d_name, k->serial, sizeof(k->serial));
	}
	if (d)
		closedir(d);
	return n;
}

static bool all_disks(void *arg)
{
	unsigned int i;
	char path[1024];

	(void)arg;
	ndisks = scan_disks();
	for (i = 0; ndisks == NDISK && i < NDISK; i++) {
		snprintf(path, sizeof(path), "/dev/%.63s", disks[i].name);
		if (access(path, F_OK))
			return false;
	}
	return ndisks == NDISK;
}

/*
 * Six disks of DISK_MB, LUNs 0..2 on each of two hosts, every serial
 * VMBUSSIM<ctl><lun> with the disk's own LUN, no serial twice.
 */
static bool layout(void)
{
	unsigned int i, j, per_host[2] = { 0 }, hosts[2] = { ~0u, ~0u }, ctl, lun;
	char path[300];
	uint64_t v = 0;
	bool ok;

	ok = vm_wait_until(all_disks, NULL, STV_DISK_MS, "%u sd disks of vendor Msft", NDISK);
	ksft_print_msg("%u disks of vendor Msft\n", ndisks);
	for (i = 0; ok && i < NDISK; i++) {
		struct disk *k = &disks[i];
		unsigned int h;

		ksft_print_msg("%s: host %u lun %u serial '%s'\n", k->name, k->host, k->lun,
			       k->serial);
		ok &= stv_expect_size(k->name, DISK_MB);
		snprintf(path, sizeof(path), "/sys/block/%.63s/queue/discard_max_bytes",
			 k->name);
		ok &= vm_expect(!vm_read_u64(path, &v), "%s", path) &&
		      vm_expect_eq("discard_max_bytes of a disk without provisioning", 0, v);
		ok &= vm_expect(k->lun < NLUN, "%s: LUN %u", k->name, k->lun);
		ok &= vm_expect(sscanf(k->serial, "VMBUSSIM%2x%2x", &ctl, &lun) == 2 &&
				lun == k->lun && ctl < NCTL, "%s: serial '%s' at LUN %u",
				k->name, k->serial, k->lun);
		for (h = 0; h < 2 && hosts[h] != k->host && hosts[h] != ~0u; h++)
			;
		if (!vm_expect(h < 2, "%s: a third SCSI host %u", k->name, k->host))
			return false;
		hosts[h] = k->host;
		per_host[h]++;
		for (j = 0; j < i; j++)
			ok &= vm_expect(strcmp(k->serial, disks[j].serial), "%s and %s: serial %s",
					k->name, disks[j].name, k->serial);
	}
	ok = ok && vm_expect_eq("disks on the first host", NLUN, per_host[0]) &&
	     vm_expect_eq("disks on the second host", NLUN, per_host[1]);
	return ok && vm_expect(stv_stat("controllers_with_disks", &v), "no controllers_with_disks") &&
	       vm_expect_eq("host: controllers with disks", NCTL, v) &&
	       vm_expect(stv_stat("luns", &v), "no luns") && vm_expect_eq("host: luns", NLUN, v);
}

/* Disk @i's pattern written (@write) or read and compared. */
static bool disk_io(unsigned int i, uint8_t *want, uint8_t *got, bool write)
{
	char dev[1024];
	int fd;
	bool ok;

	snprintf(dev, sizeof(dev), "/dev/%.63s", disks[i].name);
	stv_pattern(want, IO_MB << 20, 0x4c554e0000ULL + i, 0);
	fd = open(dev, (write ? O_WRONLY : O_RDONLY) | O_DIRECT | O_CLOEXEC);
	if (!vm_expect(fd >= 0, "open %s: %s", dev, strerror(errno)))
		return false;
	ok = stv_xfer(fd, write ? want : got, IO_MB << 20, 0, write);
	close(fd);
	return ok && (write || vm_expect(!memcmp(want, got, IO_MB << 20),
					 "%s (%s): not the data written to it", dev,
					 disks[i].serial));
}

static bool own_data(void)
{
	void *want = NULL, *got = NULL;
	unsigned int i;
	bool ok = !posix_memalign(&want, 4096, IO_MB << 20) &&
		  !posix_memalign(&got, 4096, IO_MB << 20);

	for (i = 0; ok && i < NDISK; i++)
		ok = disk_io(i, want, got, true);
	for (i = 0; ok && i < NDISK; i++)
		ok = disk_io(i, want, got, false);
	if (ok)
		ksft_print_msg("%u MiB of its own pattern on each of %u disks read back\n", IO_MB,
			       NDISK);
	free(want);
	free(got);
	return ok;
}

static bool unload(void)
{
	char name[256];
	bool ok = stv_unload(disks[0].name);
	unsigned int i;

	ok &= vm_expect(!stv_find_disk(name, sizeof(name)), "an Msft disk is left: %s", name);
	for (i = 0; i < NCTL; i++)
		ok &= stv_rescind_left(instances[i], NCTL - 1 - i);
	return ok;
}

int main(void)
{
	struct vm_kmsg_mark mark;
	bool loaded, laid;

	ksft_print_header();
	vm_setup();
	/* Registered after vm_setup()'s handler, so it runs before it. */
	atexit(stv_unload_at_exit);
	ksft_set_plan(5);
	loaded = !vm_kmsg_mark(&mark) && !vm_write(VM_SIM, "storvsc/control", "discard 0") &&
		 stv_load_ctls(instances, NCTL, NLUN, DISK_MB, 0);
	laid = loaded && layout();
	ksft_test_result(laid, "storvsc_luns_scan: %u controllers x %u LUNs, %u disks of %u MiB, "
			 "own serials\n", NCTL, NLUN, NDISK, DISK_MB);
	ksft_test_result(laid && own_data(), "storvsc_luns_data: each disk keeps its own "
			 "data\n");
	ksft_test_result(loaded && stv_counters(&mark), "storvsc_luns_counters: every request "
			 "answered, no errors\n");
	ksft_test_result(loaded && unload(), "storvsc_luns_unload: rmmod hv_storvsc, every "
			 "disk gone, both controllers rescinded\n");
	ksft_test_result(!vm_write(VM_SIM, "storvsc/control", "size_mb 0") &
			 !vm_write(VM_SIM, "storvsc/control", "luns 1") &
			 !vm_write(VM_SIM, "storvsc/control", "discard 1") & vm_teardown(),
			 "storvsc_luns_teardown: one LUN, no disk, hv_vmbus unloaded, sim "
			 "restored\n");
	vm_test_finished();
}
