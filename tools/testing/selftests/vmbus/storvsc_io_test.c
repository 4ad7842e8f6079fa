// SPDX-License-Identifier: GPL-2.0
/*
 * storvsc_io_test: the distribution's unmodified hv_storvsc, loaded with a
 * plain `modprobe hv_storvsc`, drives the simulated host's synthetic SCSI
 * controller: a 64 MiB RAM disk appears as /sys/block/sdX with the size
 * and the vendor and model the host gives ("Msft", "Virtual Disk"), and
 * util-linux's lsblk and sg3-utils' sg_inq say the same; a
 * pseudo-random pattern written with O_DIRECT reads back the same, and so
 * does one written through the page cache and read again after the cache
 * was dropped; the host's counters account for every byte and every
 * request has its completion.  Host faults, each armed for a few commands
 * while O_DIRECT reads of the pattern run (each read checked against it):
 * a medium error fails exactly that read with ENODATA (the block layer's
 * errno for BLK_STS_MEDIUM); an extra completion with a transaction id no
 * request has, an extra completion too short for a VSTOR packet (and with
 * such an id) and a completion sent twice are each dropped by hv_vmbus
 * before storvsc sees them, logged once and counted in hv_vmbus/stats
 * completions_dropped, and nothing fails; a completion 64 bytes longer
 * than a VSTOR packet reaches storvsc cut to the size it takes (logged,
 * packets_truncated) and completes its request as usual; slow completions
 * change nothing but time.
 * Discard: the host offers thin provisioning (UNMAP, WRITE SAME (16),
 * unmapped blocks read as zeros), so sd picks UNMAP with the host's limits;
 * BLKDISCARD of a MiB makes it read as zeros and leaves the data around
 * it, and so does a WRITE SAME (16) with UNMAP sent through SG_IO, while
 * one without UNMAP repeats its block; the host counts every block it
 * unmapped; malformed UNMAPs and a WRITE SAME get CHECK CONDITION, ILLEGAL
 * REQUEST with the ASC that names the fault, and change nothing.
 * hv_storvsc unloads, the host rescinds the controller and hv_vmbus lets
 * go of it.
 *
 * storvsc takes its transaction ids from its own next_request_id_callback
 * (the block layer's tag + 1) and sets no requestor: a guest core that
 * sends other ids for packets that request a completion fails every
 * request here ("Incorrect transaction ID").  And it cannot tell a
 * duplicate completion from the real one: a core that passes the copy on
 * leaves storvsc to look the id up again (no "dropped" line, the counter
 * stays put, storvsc logs "Incorrect transaction ID" if the request is
 * gone, and completes the request that has the id now if it was reused).
 *
 * Sim: storvsc/control size_mb 64 (0 at the end), devices add <HV_SCSI_GUID>.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <dirent.h>
#include <linux/fs.h>
#include <scsi/sg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "storvsc_util.h"
#include "vmbus_util.h"

/* An instance of this test's own. */
#define SCSI_INSTANCE	"5c1e7a3d-8b2f-4e6a-9d10-53544f525653"
/* The pattern storvsc_direct_io writes, which the fault reads check. */
#define DIRECT_SEED	0x5354524f52564353ULL

enum {
	DISK_MB		= 64,
	SECTOR		= 512,
	DIRECT_MB	= 16,		/* written at 0 with O_DIRECT */
	BUFFERED_OFF_MB	= 32,
	BUFFERED_MB	= 8,		/* written at 32 MiB through the cache */
	FAULT_READS	= 16,		/* O_DIRECT reads of 4 KiB per fault */
	FAULT_READ	= 4096,
	SLOW_MS		= 20,
	DISCARD_OFF_MB	= 40,		/* 4 MiB written, parts unmapped */
	DISCARD_MB	= 4,
	DISK_BLOCKS	= DISK_MB << 11,
	SAME_BLOCKS	= 8,		/* WRITE SAME without UNMAP */
};
#define DISCARD_SEED	0x646973636172640aULL

static char disk[256];	/* sdX */
static char dev[300];	/* /dev/sdX */

/* The output of shell command @cmd, whole, into @buf; false if it failed. */
static bool tool_output(const char *cmd, char *buf, size_t len)
{
	size_t n = 0, got;
	FILE *p = popen(cmd, "r");

	if (!vm_expect(p, "popen %s: %s", cmd, strerror(errno)))
		return false;
	while (n < len - 1 && (got = fread(buf + n, 1, len - 1 - n, p)) > 0)
		n += got;
	buf[n] = '\0';
	return vm_expect(pclose(p) == 0, "%s failed: '%s'", cmd, buf);
}

/* The value after @label in sg_inq's output, trimmed, into @val. */
static void sg_inq_field(const char *out, const char *label, char *val, size_t len)
{
	const char *at = strstr(out, label);
	size_t n = 0;

	if (at)
		at += strlen(label);
	while (at && *at == ' ')
		at++;
	while (at && at[n] && at[n] != '\n' && n < len - 1)
		n++;
	while (n && at[n - 1] == ' ')
		n--;
	if (at)
		memcpy(val, at, n);
	val[n] = '\0';
}

/*
 * The disk's size, vendor and model as sysfs, util-linux's lsblk and
 * sg3-utils' sg_inq (a standard INQUIRY of its own through SG_IO) give
 * them: all agree with the host's.
 */
static bool disk_ok(void)
{
	char path[300], model[64], cmd[400], out[4096], vendor[64] = "", product[64] = "",
	     lsv[64] = "", lsm[64] = "";
	unsigned long long bytes = 0;
	size_t n;
	bool ok;

	if (!stv_wait_disk(disk, sizeof(disk)))
		return false;
	snprintf(dev, sizeof(dev), "/dev/%s", disk);
	ksft_print_msg("disk: %s\n", dev);
	ok = stv_expect_size(disk, DISK_MB);
	snprintf(path, sizeof(path), "/sys/block/%s/device/model", disk);
	ok &= vm_expect(stv_read_trim(path, model, sizeof(model)) &&
			!strcmp(model, "Virtual Disk"), "%s: '%s', expected 'Virtual Disk'",
			path, model);
	snprintf(cmd, sizeof(cmd), "lsblk -b -d -n -o SIZE,VENDOR,MODEL %s", dev);
	if (tool_output(cmd, out, sizeof(out))) {
		ksft_print_msg("%s: %s", cmd, out);
		ok &= vm_expect(sscanf(out, "%llu %63s %63[^\n]", &bytes, lsv, lsm) == 3,
				"lsblk: '%s'", out);
		for (n = strlen(lsm); n && lsm[n - 1] == ' '; n--)
			lsm[n - 1] = '\0';
		ok &= vm_expect_eq("lsblk: bytes", (uint64_t)DISK_MB << 20, bytes);
		ok &= vm_expect(!strcmp(lsv, "Msft") && !strcmp(lsm, "Virtual Disk"),
				"lsblk: vendor '%s', model '%s'", lsv, lsm);
	} else {
		ok = false;
	}
	snprintf(cmd, sizeof(cmd), "sg_inq %s", dev);
	if (tool_output(cmd, out, sizeof(out))) {
		sg_inq_field(out, "Vendor identification:", vendor, sizeof(vendor));
		sg_inq_field(out, "Product identification:", product, sizeof(product));
		ksft_print_msg("sg_inq %s: vendor '%s', product '%s'\n", dev, vendor, product);
		ok &= vm_expect(!strcmp(vendor, "Msft") && !strcmp(product, "Virtual Disk"),
				"sg_inq: '%s'", out);
	} else {
		ok = false;
	}
	return ok;
}

static bool counters(uint64_t min_written, uint64_t min_read, const struct vm_kmsg_mark *mark)
{
	static const char *const names[] = {
		"requests", "completions", "reads", "writes", "flushes", "bytes_read",
		"bytes_written", "check_conditions", "errors", "backlogged",
	};
	uint64_t v[10] = { 0 };
	bool ok;

	if (!stv_stats(names, 10, v))
		return false;
	ok = vm_expect_eq("completions (every request answered)", v[0], v[1]);
	ok &= vm_expect_ge("bytes_written", min_written, v[6]);
	ok &= vm_expect_ge("bytes_read", min_read, v[5]);
	ok &= vm_expect_eq("errors (guest protocol errors)", 0, v[8]);
	ok &= vm_expect_eq("kernel log lines 'Incorrect transaction ID'", 0,
			   vm_kmsg_count(mark, "Incorrect transaction ID", false));
	return ok;
}

/*
 * FAULT_READS O_DIRECT reads of 4 KiB, each at its own offset of the
 * first MiB storvsc_direct_io wrote: how many failed (-1 if the disk did
 * not open), the errno of the last failure in @err, and in @wrong how many
 * that succeeded returned other data than the pattern there.
 */
static int direct_reads(int *err, int *wrong)
{
	uint8_t *want = malloc(STV_CHUNK);
	int fd = -1, i, failed = 0;
	char path[300];
	void *buf;

	*wrong = 0;
	snprintf(path, sizeof(path), "/dev/%s", disk);
	if (!want || posix_memalign(&buf, 4096, FAULT_READ)) {
		free(want);
		return -1;
	}
	stv_pattern(want, STV_CHUNK, DIRECT_SEED, 0);
	fd = open(path, O_RDONLY | O_DIRECT);
	for (i = 0; fd >= 0 && i < FAULT_READS; i++) {
		off_t off = (off_t)i * FAULT_READ;

		if (pread(fd, buf, FAULT_READ, off) != FAULT_READ) {
			*err = errno;
			failed++;
		} else if (memcmp(buf, want + off, FAULT_READ)) {
			(*wrong)++;
		}
	}
	if (fd >= 0)
		close(fd);
	free(buf);
	free(want);
	return fd < 0 ? -1 : failed;
}

/* A counter of hv_vmbus/stats, or -1. */
static int64_t guest_stat(const char *name)
{
	struct vm_stats st;
	uint64_t v;

	if (vm_stats_load(VM_GUEST, "stats", &st) || !vm_stat_get(&st, name, &v))
		return -1;
	return (int64_t)v;
}

static int64_t dropped(void)
{
	return guest_stat("completions_dropped");
}

/*
 * Arm @armed injections of @fault, run the reads: @want_failed of them
 * fail with ENODATA and the rest return the pattern, the host counts
 * @armed in @stat, and if @drops, hv_vmbus dropped @armed completions
 * (completions_dropped) with as many log lines, none of storvsc's own;
 * hv_vmbus cut @armed packets to storvsc's size (packets_truncated) for
 * long_completion, none for any other.
 */
static bool fault_run(const char *fault, unsigned int armed, const char *stat,
		      bool drops, int want_failed)
{
	bool long_fault = !strcmp(fault, "long_completion");
	int64_t drop0 = dropped(), drop1, cut0 = guest_stat("packets_truncated"), cut1;
	struct vm_kmsg_mark mark;
	int failed, err = 0, wrong;
	uint64_t injected = 0;
	bool ok;

	if (vm_kmsg_mark(&mark) ||
	    vm_write(VM_SIM, "storvsc/control", "fault %s %u", fault, armed))
		return false;
	failed = direct_reads(&err, &wrong);
	drop1 = dropped();
	cut1 = guest_stat("packets_truncated");
	ksft_print_msg("%s x%u: %d of %d reads failed (%s), %d returned other data; "
		       "hv_vmbus dropped %" PRId64 " completions\n", fault, armed, failed,
		       FAULT_READS, failed ? strerror(err) : "none", wrong, drop1 - drop0);
	ok = vm_expect_eq("reads failed", want_failed, failed);
	ok &= vm_expect_eq("reads with other data than written", 0, wrong);
	ok &= vm_expect(drop0 >= 0 && drop1 >= 0, "hv_vmbus/stats has no completions_dropped");
	ok &= vm_expect_eq("completions hv_vmbus dropped", drops ? armed : 0, drop1 - drop0);
	/* A long completion reaches storvsc cut to the size it takes. */
	ok &= vm_expect(cut0 >= 0 && cut1 >= 0, "hv_vmbus/stats has no packets_truncated") &&
	      vm_expect_eq("packets hv_vmbus cut", long_fault ? armed : 0, cut1 - cut0);
	if (want_failed > 0)
		ok &= vm_expect(err == ENODATA, "failed read: %s, expected ENODATA",
				strerror(err));
	ok &= vm_expect(stv_stat(stat, &injected), "storvsc/stats has no %s", stat) &&
	      vm_expect_eq(stat, armed, injected);
	ok &= vm_expect_eq("log lines 'no request awaits; dropped'", drops ? armed : 0,
			   vm_kmsg_count(&mark, "which no request awaits; dropped", false));
	ok &= vm_expect_eq("storvsc's 'Incorrect transaction ID' lines", 0,
			   vm_kmsg_count(&mark, "Incorrect transaction ID", false));
	ok &= vm_expect_eq("storvsc's 'Invalid pkt' lines", 0,
			   vm_kmsg_count(&mark, "Invalid pkt", false));
	return ok & !vm_write(VM_SIM, "storvsc/control", "fault %s 0", fault);
}

static bool slow(void)
{
	uint64_t delayed = 0;
	int failed, err = 0, wrong;
	bool ok;

	if (vm_write(VM_SIM, "storvsc/control", "delay_ms %u", SLOW_MS))
		return false;
	failed = direct_reads(&err, &wrong);
	ok = vm_expect_eq("reads failed with slow completions", 0, failed);
	ok &= vm_expect_eq("reads with other data than written", 0, wrong);
	ok &= vm_expect(stv_stat("delayed_completions", &delayed), "no delayed_completions") &&
	      vm_expect_ge("delayed_completions", FAULT_READS, delayed);
	return ok & !vm_write(VM_SIM, "storvsc/control", "delay_ms 0");
}

/* The scsi_disk attribute @attr of the disk, trimmed, into @buf. */
static bool scsi_disk_attr(const char *attr, char *buf, size_t len)
{
	char path[600];
	struct dirent *e;
	bool ok = false;
	DIR *d;

	snprintf(path, sizeof(path), "/sys/block/%s/device/scsi_disk", disk);
	d = opendir(path);
	while (d && !ok && (e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/sys/block/%s/device/scsi_disk/%s/%s", disk,
			 e->d_name, attr);
		ok = stv_read_trim(path, buf, len);
	}
	if (d)
		closedir(d);
	return vm_expect(ok, "no scsi_disk attribute %s for %s", attr, disk);
}

/* A queue attribute of the disk as a number, or -1. */
static int64_t queue_attr(const char *attr)
{
	char path[300];
	uint64_t v;

	snprintf(path, sizeof(path), "/sys/block/%s/queue/%s", disk, attr);
	return vm_read_u64(path, &v) ? -1 : (int64_t)v;
}

/*
 * One command through SG_IO with @out bytes of data-out; its SCSI status,
 * the sense key in @key and the ASC in @asc (0 without sense data); -1 if
 * SG_IO itself failed.
 */
static int sg_cmd(int fd, uint8_t *cdb, uint8_t cdb_len, void *out, unsigned int out_len,
		  uint8_t *key, uint8_t *asc)
{
	uint8_t sense[32] = { 0 };
	struct sg_io_hdr h = {
		.interface_id = 'S',
		.dxfer_direction = out_len ? SG_DXFER_TO_DEV : SG_DXFER_NONE,
		.cmd_len = cdb_len,
		.mx_sb_len = sizeof(sense),
		.dxfer_len = out_len,
		.dxferp = out,
		.cmdp = cdb,
		.sbp = sense,
		.timeout = 30000,
	};

	if (ioctl(fd, SG_IO, &h))
		return vm_expect(false, "SG_IO: %s", strerror(errno)) - 1;
	*key = h.sb_len_wr >= 14 ? sense[2] & 0x0f : 0;
	*asc = h.sb_len_wr >= 14 ? sense[12] : 0;
	return h.status;
}

/*
 * UNMAP with one descriptor (@lba, @blocks), the descriptor list length
 * @dlen in the header, @plen bytes of the list sent.
 */
static int sg_unmap(int fd, uint64_t lba, uint32_t blocks, uint16_t dlen, uint8_t plen,
		    uint8_t *key, uint8_t *asc)
{
	uint8_t cdb[10] = { 0x42 }, list[24] = { 0 };
	int i;

	cdb[8] = plen;
	list[1] = 22;
	list[2] = dlen >> 8;
	list[3] = dlen & 0xff;
	for (i = 0; i < 8; i++)
		list[8 + i] = lba >> (56 - 8 * i);
	for (i = 0; i < 4; i++)
		list[16 + i] = blocks >> (24 - 8 * i);
	return sg_cmd(fd, cdb, sizeof(cdb), list, plen, key, asc);
}

/* WRITE SAME (16) of @block (NULL: no data-out, NDOB) over @blocks at @lba. */
static int sg_write_same(int fd, uint64_t lba, uint32_t blocks, bool unmap,
			 uint8_t *block, uint8_t *key, uint8_t *asc)
{
	uint8_t cdb[16] = { 0x93 };
	int i;

	cdb[1] = (unmap ? 0x08 : 0) | (block ? 0 : 0x01);
	for (i = 0; i < 8; i++)
		cdb[2 + i] = lba >> (56 - 8 * i);
	for (i = 0; i < 4; i++)
		cdb[10 + i] = blocks >> (24 - 8 * i);
	return sg_cmd(fd, cdb, sizeof(cdb), block, block ? SECTOR : 0, key, asc);
}

/* A command that must fail with CHECK CONDITION, ILLEGAL REQUEST, @want_asc. */
static bool refused(const char *what, int status, uint8_t key, uint8_t asc, uint8_t want_asc)
{
	ksft_print_msg("%s: status 0x%02x, sense key 0x%x, ASC 0x%02x\n", what, status, key, asc);
	return vm_expect(status == 0x02 && key == 0x05 && asc == want_asc,
			 "%s: expected CHECK CONDITION, ILLEGAL REQUEST, ASC 0x%02x", what,
			 want_asc);
}

/*
 * What sd made of the host's provisioning, the discards through the block
 * layer and SG_IO, the refusals, and the data afterwards: chunk 0 and the
 * rest of the region hold the pattern, chunk 1 and the second half of
 * chunk 2 read as zeros, the first SAME_BLOCKS of chunk 3 hold the WRITE
 * SAME block.
 */
static bool discard(void)
{
	static const char *const names[] = { "unmaps", "write_sames", "blocks_unmapped",
					     "check_conditions" };
	const uint64_t base = (uint64_t)DISCARD_OFF_MB << 20;
	uint64_t v0[4] = { 0 }, v1[4] = { 0 }, range[2];
	uint8_t *buf = NULL, *want = NULL, key, asc, block[SECTOR];
	char mode[64] = "";
	unsigned int i;
	int fd, st;
	size_t at;
	bool ok;

	ok = scsi_disk_attr("provisioning_mode", mode, sizeof(mode));
	ksft_print_msg("provisioning_mode %s, discard_granularity %" PRId64
		       ", discard_max_hw_bytes %" PRId64 "\n", mode,
		       queue_attr("discard_granularity"), queue_attr("discard_max_hw_bytes"));
	ok &= vm_expect(!strcmp(mode, "unmap"), "provisioning_mode '%s', expected 'unmap'", mode);
	ok &= vm_expect_eq("discard_granularity", 4096, queue_attr("discard_granularity"));
	ok &= vm_expect_eq("discard_max_hw_bytes", 32 << 20, queue_attr("discard_max_hw_bytes"));
	ok &= stv_write_read(dev, O_DIRECT, DISCARD_OFF_MB, DISCARD_MB, DISCARD_SEED, "discard");
	if (!ok || !stv_stats(names, 4, v0) || posix_memalign((void **)&buf, 4096, STV_CHUNK))
		return false;
	want = malloc(STV_CHUNK);
	fd = open(dev, O_RDWR | O_DIRECT);
	ok = vm_expect(want && fd >= 0, "open %s: %s", dev, strerror(errno));
	/* The block layer's discard of chunk 1. */
	range[0] = base + STV_CHUNK;
	range[1] = STV_CHUNK;
	ok = ok && vm_expect(!ioctl(fd, BLKDISCARD, range), "BLKDISCARD: %s", strerror(errno));
	/* WRITE SAME (16) with UNMAP of chunk 2's second half, a block of zeros. */
	memset(block, 0, sizeof(block));
	ok = ok && vm_expect_eq("WRITE SAME (16) with UNMAP: status", 0,
				sg_write_same(fd, (base + 5 * STV_CHUNK / 2) / SECTOR,
					      STV_CHUNK / 2 / SECTOR, true, block, &key, &asc));
	/* Without UNMAP: SAME_BLOCKS copies of one block at chunk 3. */
	memset(block, 0xa5, sizeof(block));
	ok = ok && vm_expect_eq("WRITE SAME (16): status", 0,
				sg_write_same(fd, (base + 3 * STV_CHUNK) / SECTOR, SAME_BLOCKS,
					      false, block, &key, &asc));
	/* Refused, nothing changed: past the end, lengths that disagree, 0 blocks. */
	if (ok) {
		st = sg_unmap(fd, DISK_BLOCKS - 4, 8, 16, 24, &key, &asc);
		ok = refused("UNMAP past the end", st, key, asc, 0x21);
		st = sg_unmap(fd, base / SECTOR, 8, 15, 24, &key, &asc);
		ok &= refused("UNMAP with a 15-byte descriptor list", st, key, asc, 0x26);
		st = sg_unmap(fd, base / SECTOR, 8, 16, 4, &key, &asc);
		ok &= refused("UNMAP with a 4-byte parameter list", st, key, asc, 0x1a);
		st = sg_write_same(fd, base / SECTOR, 0, true, NULL, &key, &asc);
		ok &= refused("WRITE SAME (16) of 0 blocks", st, key, asc, 0x24);
	}
	for (i = 0; ok && i < DISCARD_MB; i++) {
		stv_pattern(want, STV_CHUNK, DISCARD_SEED, i);
		if (i == 1)
			memset(want, 0, STV_CHUNK);
		if (i == 2)
			memset(want + STV_CHUNK / 2, 0, STV_CHUNK / 2);
		if (i == 3)
			memset(want, 0xa5, SAME_BLOCKS * SECTOR);
		ok = stv_xfer(fd, buf, STV_CHUNK, base + (uint64_t)i * STV_CHUNK, false);
		for (at = 0; ok && at < STV_CHUNK && buf[at] == want[at]; at++)
			;
		ok = ok && vm_expect(at == STV_CHUNK, "MiB %u of the discard region, byte %zu: "
				     "0x%02x, expected 0x%02x", i, at,
				     at < STV_CHUNK ? buf[at] : 0, at < STV_CHUNK ? want[at] : 0);
	}
	if (fd >= 0)
		close(fd);
	free(want);
	free(buf);
	ok &= stv_stats(names, 4, v1);
	ksft_print_msg("host: %" PRIu64 " UNMAP, %" PRIu64 " WRITE SAME, %" PRIu64
		       " blocks unmapped, %" PRIu64 " CHECK CONDITIONs\n", v1[0] - v0[0],
		       v1[1] - v0[1], v1[2] - v0[2], v1[3] - v0[3]);
	ok = ok && vm_expect_ge("UNMAP commands", 1, v1[0] - v0[0]);
	ok = ok && vm_expect_eq("WRITE SAME commands", 2, v1[1] - v0[1]);
	ok = ok && vm_expect_eq("blocks unmapped", (STV_CHUNK + STV_CHUNK / 2) / SECTOR,
				v1[2] - v0[2]);
	return ok && vm_expect_eq("CHECK CONDITIONs", 4, v1[3] - v0[3]);
}

int main(void)
{
	const uint64_t direct = (uint64_t)DIRECT_MB << 20, buffered = (uint64_t)BUFFERED_MB << 20;
	struct vm_kmsg_mark mark;
	bool loaded, found, io, direct_ok;

	ksft_print_header();
	vm_setup();
	/* Registered after vm_setup()'s handler, so it runs before it. */
	atexit(stv_unload_at_exit);
	ksft_set_plan(14);
	loaded = !vm_kmsg_mark(&mark) && stv_load(SCSI_INSTANCE, DISK_MB, 0);
	ksft_test_result(loaded, "storvsc_load: %u MiB controller offered, plain modprobe "
			 "hv_storvsc\n", DISK_MB);
	found = loaded && disk_ok();
	ksft_test_result(found, "storvsc_disk: /sys/block/sdX, %u MiB, Msft Virtual Disk; "
			 "lsblk and sg_inq agree\n", DISK_MB);
	direct_ok = found && stv_write_read(dev, O_DIRECT, 0, DIRECT_MB, DIRECT_SEED, "O_DIRECT");
	io = direct_ok;
	ksft_test_result(direct_ok, "storvsc_direct_io: %u MiB O_DIRECT pattern reads back\n",
			 DIRECT_MB);
	io &= found && stv_write_read(dev, 0, BUFFERED_OFF_MB, BUFFERED_MB, 0x6275666665726564ULL,
				  "buffered");
	ksft_test_result(found && io, "storvsc_buffered_io: %u MiB through the page cache, "
			 "read after drop_caches\n", BUFFERED_MB);
	ksft_test_result(found && counters(direct + buffered, direct + buffered, &mark),
			 "storvsc_counters: host bytes, every request completed, no errors\n");
	ksft_test_result(direct_ok && fault_run("medium_error", 1, "injected_medium_errors", false, 1),
			 "storvsc_fault_medium_error: one read fails with ENODATA, the rest "
			 "succeed\n");
	ksft_test_result(direct_ok && fault_run("bogus_id", 3, "injected_bogus_ids", true, 0),
			 "storvsc_fault_bogus_id: 3 completions with unknown ids dropped by "
			 "hv_vmbus, logged once each, no read fails\n");
	ksft_test_result(direct_ok && fault_run("short_completion", 2, "injected_short_completions",
					 true, 0),
			 "storvsc_fault_short_completion: 2 short completions dropped, logged "
			 "once each, no read fails\n");
	ksft_test_result(direct_ok && fault_run("long_completion", 2, "injected_long_completions",
					 false, 0),
			 "storvsc_fault_long_completion: 2 completions 64 bytes longer than a "
			 "VSTOR packet, taken by the part storvsc knows, every read returns its "
			 "data\n");
	ksft_test_result(direct_ok && fault_run("duplicate_id", 3, "injected_duplicate_ids", true, 0),
			 "storvsc_fault_duplicate_id: 3 completions sent twice, each copy "
			 "dropped and logged once, every read returns its data\n");
	ksft_test_result(direct_ok && slow(), "storvsc_slow: completions %u ms late, every read "
			 "succeeds\n", SLOW_MS);
	ksft_test_result(direct_ok && discard(), "storvsc_discard: sd uses the host's UNMAP; "
			 "discarded blocks read as zeros, WRITE SAME (16) both ways, bad ones "
			 "refused with sense data\n");
	ksft_test_result(loaded && stv_unload(disk) && stv_rescind(SCSI_INSTANCE),
			 "storvsc_unload: rmmod hv_storvsc, the disk goes, controller rescinded\n");
	ksft_test_result(!vm_write(VM_SIM, "storvsc/control", "size_mb 0") & vm_teardown(),
			 "storvsc_teardown: disk freed, hv_vmbus unloaded, sim restored\n");
	vm_test_finished();
}
