// SPDX-License-Identifier: GPL-2.0
/*
 * storvsc_bench_test: the data path of the distribution's hv_storvsc on
 * our bus, measured against the kernel's own RAM disk (brd) of the same
 * size in the same guest, and checked while it is measured.
 *
 * Both disks, the simulated host's (a controller with 3 sub-channels, RAM
 * backed) and /dev/ram0 (`modprobe brd rd_nr=1 rd_size=<KiB>`), go through
 * the same four runs, all O_DIRECT so that the page cache measures
 * neither:
 *   seq_write_1m  the whole disk written once in 1 MiB writes; every
 *                 4 KiB block starts with its own number and the disk's tag;
 *   seq_read_1m   1 MiB reads from the start, wrapping, for the run time;
 *   rand_read_4k_qd1  one reader on CPU 0, 4 KiB reads at pseudo-random
 *                 block offsets for the run time, one at a time (latency);
 *   rand_read_4k  the same with one reader per online CPU (at most 8, or
 *                 vmbus_storvsc_bench_readers), each pinned to its CPU;
 * every block read must carry the header that was written to it, so a
 * read that returns stale, misplaced or foreign data fails the run.  The
 * host's counters must show every request answered and at least the bytes
 * the test moved (nothing came from a cache in the guest).
 *
 * Speed is never asserted here: each disk's figures go to the log as a
 * `BENCH <disk> name=value ...` line, and `make bench-storvsc`
 * (qemu/bench-storvsc.sh) runs this program alone with longer runs and
 * prints the ratios to brd.  Parameters (kernel command line or
 * environment): vmbus_storvsc_bench_mb (disk size, default 64),
 * vmbus_storvsc_bench_ms (each read run, default 1000).
 *
 * Sim: storvsc/control size_mb <mb> (0 at the end), devices add
 * <HV_SCSI_GUID> with 3 sub-channels; storvsc/stats.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "storvsc_util.h"
#include "vmbus_util.h"

/* An instance of this test's own. */
#define SCSI_INSTANCE	"5c1e7a3d-8b2f-4e6a-9d10-42454e434800"

enum {
	NSUB		= 3,
	BLOCK		= 4096,
	SEQ_SIZE	= 1 << 20,
	MAX_READERS	= 8,
	MAX_MB		= 512,		/* the simulated host's limit */
	TAG_SIM		= 0x53,
	TAG_BRD		= 0x42,
};

struct disk_result {
	double write_mbps, read_mbps, iops_qd1, iops;
	uint64_t bytes_read, bytes_written;
	unsigned int readers;
};

struct reader {
	const char *dev;
	uint64_t tag, nblocks, deadline_us, seed;
	unsigned int cpu;
	uint64_t reads, bad;
	int err;
	pthread_t thread;
};

static unsigned int disk_mb, run_ms, max_readers;

/* The first 16 bytes of block @blk of a disk tagged @tag. */
static uint64_t header0(uint64_t tag, uint64_t blk)
{
	return (tag << 56) ^ blk ^ 0x5a5a000000000000ULL;
}

static bool block_ok(const uint8_t *b, uint64_t tag, uint64_t blk)
{
	const uint64_t *p = (const uint64_t *)b;

	return p[0] == header0(tag, blk) && p[1] == ~blk;
}

/* A 1 MiB chunk @c: every block's header, the rest a pattern. */
static void fill_chunk(uint8_t *buf, uint64_t tag, uint64_t c)
{
	uint64_t blk = c * (SEQ_SIZE / BLOCK);
	unsigned int i;

	stv_pattern(buf, SEQ_SIZE, tag, c);
	for (i = 0; i < SEQ_SIZE / BLOCK; i++, blk++) {
		uint64_t *p = (uint64_t *)(buf + (size_t)i * BLOCK);

		p[0] = header0(tag, blk);
		p[1] = ~blk;
	}
}

static int open_direct(const char *dev, int flags)
{
	int fd = open(dev, flags | O_DIRECT | O_CLOEXEC);

	if (fd < 0)
		ksft_print_msg("open %s O_DIRECT: %s\n", dev, strerror(errno));
	return fd;
}

/* The whole disk in 1 MiB O_DIRECT writes, then fdatasync. */
static bool seq_write(const char *dev, uint64_t tag, uint8_t *buf, struct disk_result *r)
{
	uint64_t c, chunks = disk_mb, t0;
	int fd = open_direct(dev, O_WRONLY);
	bool ok = fd >= 0;

	t0 = vm_now_us();
	for (c = 0; ok && c < chunks; c++) {
		fill_chunk(buf, tag, c);
		ok = stv_xfer(fd, buf, SEQ_SIZE, (off_t)(c * SEQ_SIZE), true);
	}
	ok = ok && vm_expect(!fdatasync(fd), "fdatasync %s: %s", dev, strerror(errno));
	t0 = vm_now_us() - t0;
	if (fd >= 0)
		close(fd);
	r->bytes_written = chunks * SEQ_SIZE;
	r->write_mbps = t0 ? (double)r->bytes_written / t0 : 0;
	return ok;
}

/* 1 MiB O_DIRECT reads from the start, wrapping, for run_ms. */
static bool seq_read(const char *dev, uint64_t tag, uint8_t *buf, struct disk_result *r)
{
	uint64_t chunks = disk_mb, c = 0, n = 0, bad = 0, t0, end, t;
	int fd = open_direct(dev, O_RDONLY);
	unsigned int i;
	bool ok = fd >= 0;

	t0 = vm_now_us();
	end = t0 + (uint64_t)run_ms * 1000;
	for (t = t0; ok && t < end; t = vm_now_us(), c = (c + 1) % chunks, n++) {
		ok = stv_xfer(fd, buf, SEQ_SIZE, (off_t)(c * SEQ_SIZE), false);
		for (i = 0; ok && i < SEQ_SIZE / BLOCK; i++)
			bad += !block_ok(buf + (size_t)i * BLOCK, tag,
					 c * (SEQ_SIZE / BLOCK) + i);
	}
	if (fd >= 0)
		close(fd);
	r->bytes_read += n * SEQ_SIZE;
	r->read_mbps = t > t0 ? (double)n * SEQ_SIZE / (t - t0) : 0;
	ok &= vm_expect_eq("1 MiB reads with a block that is not what was written there", 0,
			   bad);
	return ok && vm_expect(n > 0, "%s: no 1 MiB read finished", dev);
}

static void *reader_main(void *arg)
{
	struct reader *rd = arg;
	uint64_t x = rd->seed | 1, blk;
	cpu_set_t set;
	void *buf = NULL;
	int fd;

	CPU_ZERO(&set);
	CPU_SET(rd->cpu, &set);
	sched_setaffinity(0, sizeof(set), &set);
	fd = open(rd->dev, O_RDONLY | O_DIRECT | O_CLOEXEC);
	if (fd < 0 || posix_memalign(&buf, BLOCK, BLOCK)) {
		rd->err = errno ? errno : ENOMEM;
		goto out;
	}
	while (vm_now_us() < rd->deadline_us) {
		x ^= x >> 12;
		x ^= x << 25;
		x ^= x >> 27;
		blk = (x * 0x2545f4914f6cdd1dULL) % rd->nblocks;
		if (pread(fd, buf, BLOCK, (off_t)(blk * BLOCK)) != BLOCK) {
			rd->err = errno ? errno : EIO;
			break;
		}
		rd->reads++;
		rd->bad += !block_ok(buf, rd->tag, blk);
	}
out:
	if (fd >= 0)
		close(fd);
	free(buf);
	return NULL;
}

/*
 * @n pinned readers (CPUs 0..@n-1), 4 KiB at random blocks, run_ms; the
 * IOPS in @iops.
 */
static bool rand_read(const char *dev, uint64_t tag, unsigned int n, struct disk_result *r,
		      double *iops)
{
	struct reader rd[MAX_READERS];
	uint64_t t0 = vm_now_us(), reads = 0, bad = 0;
	unsigned int i;
	bool ok = true;

	memset(rd, 0, sizeof(rd));
	for (i = 0; i < n; i++) {
		rd[i].dev = dev;
		rd[i].tag = tag;
		rd[i].nblocks = (uint64_t)disk_mb << 20 >> 12;
		rd[i].deadline_us = t0 + (uint64_t)run_ms * 1000;
		rd[i].seed = 0x9e3779b97f4a7c15ULL * (i + 1) ^ tag;
		rd[i].cpu = i;
		if (pthread_create(&rd[i].thread, NULL, reader_main, &rd[i])) {
			ksft_print_msg("pthread_create failed\n");
			n = i;
			ok = false;
		}
	}
	for (i = 0; i < n; i++) {
		pthread_join(rd[i].thread, NULL);
		if (rd[i].err)
			ok = vm_expect(false, "reader on cpu%u: %s", i, strerror(rd[i].err));
		reads += rd[i].reads;
		bad += rd[i].bad;
	}
	t0 = vm_now_us() - t0;
	r->bytes_read += reads * BLOCK;
	*iops = t0 ? (double)reads * 1000000 / t0 : 0;
	ok &= vm_expect_eq("4 KiB reads of a block that is not what was written there", 0,
			   bad);
	return ok && vm_expect(reads > 0, "%s: no 4 KiB read finished", dev);
}

/* The four runs on @dev; the BENCH line. */
static bool bench_disk(const char *name, const char *dev, uint64_t tag,
		       struct disk_result *r)
{
	long online = sysconf(_SC_NPROCESSORS_ONLN);
	void *buf = NULL;
	bool ok;

	memset(r, 0, sizeof(*r));
	r->readers = online < 1 ? 1 : online > max_readers ? max_readers : online;
	if (posix_memalign(&buf, BLOCK, SEQ_SIZE))
		return false;
	ok = seq_write(dev, tag, buf, r) && seq_read(dev, tag, buf, r) &&
	     rand_read(dev, tag, 1, r, &r->iops_qd1) &&
	     rand_read(dev, tag, r->readers, r, &r->iops);
	free(buf);
	ksft_print_msg("BENCH %s dev=%s mb=%u run_ms=%u seq_write_1m_mbps=%.1f "
		       "seq_read_1m_mbps=%.1f rand_read_4k_qd1_iops=%.0f "
		       "rand_read_4k_iops=%.0f readers=%u\n",
		       name, dev, disk_mb, run_ms, r->write_mbps, r->read_mbps, r->iops_qd1,
		       r->iops, r->readers);
	return ok;
}

/* /dev/ram0 of disk_mb MiB from `modprobe brd`. */
static bool brd_load(void)
{
	char kib[32];
	const char *const argv[] = { "modprobe", "brd", "rd_nr=1", kib, "max_part=0", NULL };
	uint64_t sectors = 0;

	snprintf(kib, sizeof(kib), "rd_size=%u", disk_mb << 10);
	if (!vm_expect(!vm_run(VM_MODPROBE_MS, argv), "modprobe brd rd_nr=1 %s", kib))
		return false;
	return vm_expect(!vm_read_u64("/sys/block/ram0/size", &sectors),
			 "reading /sys/block/ram0/size") &&
	       vm_expect_eq("/dev/ram0 size in 512-byte sectors", (uint64_t)disk_mb << 11,
			    sectors) &&
	       vm_expect(!access("/dev/ram0", F_OK), "/dev/ram0: %s", strerror(errno));
}

/* The disk, its size; the host's counters cover what the test moved. */
static bool sim_disk(char *disk, size_t len)
{
	if (!stv_wait_disk(disk, len))
		return false;
	return stv_expect_size(disk, disk_mb);
}

static bool host_counters(const struct disk_result *r, const struct vm_kmsg_mark *mark)
{
	uint64_t rd = 0, wr = 0;

	return stv_counters(mark) &&
	       vm_expect(stv_stat("bytes_read", &rd) && stv_stat("bytes_written", &wr),
			 "storvsc/stats has no bytes_read/bytes_written") &&
	       vm_expect_ge("host bytes_written", r->bytes_written, wr) &&
	       vm_expect_ge("host bytes_read", r->bytes_read, rd);
}

int main(void)
{
	struct disk_result sim = { 0 }, brd = { 0 };
	struct vm_kmsg_mark mark;
	char disk[256] = "", dev[300];
	bool loaded, found, ran_sim, have_brd, ran_brd, unloaded;

	ksft_print_header();
	vm_setup();
	/* Registered after vm_setup()'s handler, so it runs before it. */
	atexit(stv_unload_at_exit);
	ksft_set_plan(7);
	disk_mb = vm_param_range("vmbus_storvsc_bench_mb", 64, 1, MAX_MB);
	run_ms = vm_param_range("vmbus_storvsc_bench_ms", 1000, 1, 600000);
	max_readers = vm_param_range("vmbus_storvsc_bench_readers", MAX_READERS, 1, MAX_READERS);
	ksft_print_msg("disks of %u MiB, read runs of %u ms\n", disk_mb, run_ms);

	loaded = !vm_kmsg_mark(&mark) && stv_load(SCSI_INSTANCE, disk_mb, NSUB);
	found = loaded && sim_disk(disk, sizeof(disk));
	snprintf(dev, sizeof(dev), "/dev/%s", disk);
	ksft_test_result(found, "storvsc_bench_load: controller with %u sub-channels, "
			 "%u MiB disk %s\n", NSUB, disk_mb, dev);
	have_brd = brd_load();
	ksft_test_result(have_brd, "storvsc_bench_brd: modprobe brd, /dev/ram0 of %u MiB\n",
			 disk_mb);
	ran_sim = found && bench_disk("storvsc", dev, TAG_SIM, &sim);
	ksft_test_result(ran_sim, "storvsc_bench_sim: writes, 1 MiB and 4 KiB reads (1 and %u readers) on %s, "
			 "every block as written\n", sim.readers, dev);
	ran_brd = have_brd && bench_disk("brd", "/dev/ram0", TAG_BRD, &brd);
	ksft_test_result(ran_brd, "storvsc_bench_ram0: the same on /dev/ram0\n");
	if (ran_sim && ran_brd)
		ksft_print_msg("storvsc/brd: seq_write_1m %.2f, seq_read_1m %.2f, "
			       "rand_read_4k_qd1 %.3f, rand_read_4k %.3f\n",
			       sim.write_mbps / brd.write_mbps, sim.read_mbps / brd.read_mbps,
			       sim.iops_qd1 / brd.iops_qd1, sim.iops / brd.iops);
	ksft_test_result(loaded && host_counters(&sim, &mark), "storvsc_bench_counters: "
			 "every request answered, the host moved every byte read and "
			 "written\n");
	/* In order: the controller is rescinded after storvsc let go of it. */
	unloaded = loaded && stv_unload(disk);
	unloaded = loaded && stv_rescind(SCSI_INSTANCE) && unloaded;
	unloaded = (!have_brd || vm_rmmod_expect("brd")) && unloaded;
	ksft_test_result(unloaded, "storvsc_bench_unload: rmmod hv_storvsc and brd, controller "
			 "rescinded\n");
	ksft_test_result(!vm_write(VM_SIM, "storvsc/control", "size_mb 0") & vm_teardown(),
			 "storvsc_bench_teardown: disk freed, hv_vmbus unloaded, sim "
			 "restored\n");
	vm_test_finished();
}
