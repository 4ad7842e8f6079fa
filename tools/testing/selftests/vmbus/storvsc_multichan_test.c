// SPDX-License-Identifier: GPL-2.0
/*
 * storvsc_multichan_test: the distribution's hv_storvsc on a simulated
 * SCSI controller with sub-channels.  The host reports them in
 * QUERY_PROPERTIES and offers them only when storvsc asks with
 * CREATE_SUB_CHANNELS (one per online CPU but the first, at most as many
 * as the device has); storvsc opens every one, hv_vmbus spreads their
 * interrupts over at least two CPUs, and O_DIRECT I/O issued from every
 * CPU in turn reaches the host on every channel: each channel's request
 * count in the host's storvsc/channels and each channel's interrupt count
 * in the guest's sysfs grow, and the data reads back the same.  Every
 * request has its completion; unload and rescind as in storvsc_io_test.
 *
 * Sim: storvsc/control size_mb 16 (0 at the end), devices add
 * <HV_SCSI_GUID> with 4 sub-channels; storvsc/channels.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "storvsc_util.h"
#include "vmbus_util.h"

/* An instance of this test's own. */
#define SCSI_INSTANCE	"5c1e7a3d-8b2f-4e6a-9d10-4d4348414e53"

enum {
	DISK_MB		= 16,
	NSUB		= 4,
	MAX_CHANS	= 16,
	CPU_MB		= 1,		/* written and read from each CPU */
	WRITE_SIZE	= 64 << 10,
	READ_SIZE	= 4 << 10,
};

/* A line of the host's storvsc/channels. */
struct host_chan {
	unsigned int relid, sub_index;
	uint64_t requests;
};

static char disk[256];	/* sdX */
static unsigned int ncpus, want;	/* online CPUs; primary + sub-channels */
static unsigned int relid[MAX_CHANS], nrelid;

/* storvsc/channels: the number of lines, or -1. */
static int host_chans(struct host_chan *c, unsigned int max)
{
	char *text = NULL, *line, *save;
	unsigned long long req;
	unsigned int n = 0;

	if (vm_read(VM_SIM, "storvsc/channels", &text))
		return -1;
	for (line = strtok_r(text, "\n", &save); line && n < max;
	     line = strtok_r(NULL, "\n", &save)) {
		if (sscanf(line, "%u %u %llu", &c[n].relid, &c[n].sub_index, &req) != 3) {
			ksft_print_msg("storvsc/channels: bad line '%s'\n", line);
			free(text);
			return -1;
		}
		c[n++].requests = req;
	}
	free(text);
	return n;
}

static const struct host_chan *host_find(const struct host_chan *c, int n, unsigned int r)
{
	int i;

	for (i = 0; i < n; i++)
		if (c[i].relid == r)
			return &c[i];
	return NULL;
}

/* The guest lists @want channels of the device and the host has each open. */
static bool all_open(void *arg)
{
	struct host_chan c[MAX_CHANS];
	unsigned int i;
	int n, g;

	(void)arg;
	g = vm_chan_relids(SCSI_INSTANCE, relid, MAX_CHANS);
	n = host_chans(c, MAX_CHANS);
	if (g != (int)want || n != (int)want)
		return false;
	for (i = 0; i < want; i++)
		if (!host_find(c, n, relid[i]))
			return false;
	nrelid = want;
	return true;
}

static bool subchannels(void)
{
	uint64_t asked = 0, granted = 0;
	bool ok;

	ok = vm_wait_until(all_open, NULL, STV_DISK_MS,
			   "%u channels open in the guest's sysfs and at the host", want);
	stv_print_file("channels");
	ok &= vm_expect(stv_stat("sub_channel_requests", &asked), "no sub_channel_requests") &&
	      vm_expect_eq("CREATE_SUB_CHANNELS requests", 1, asked);
	ok &= vm_expect(stv_stat("sub_channels_granted", &granted), "no sub_channels_granted") &&
	      vm_expect_eq("sub-channels offered", want - 1, granted);
	return ok;
}

/* The channels' target CPUs: at least two different ones. */
static bool spread(void)
{
	uint64_t cpu, seen = 0;
	unsigned int i, n = 0;
	bool ok = true;

	for (i = 0; i < nrelid && ok; i++) {
		ok = vm_expect(!vm_chan_read(SCSI_INSTANCE, relid[i], "cpu", &cpu) && cpu < 64,
			       "channels/%u/cpu", relid[i]);
		if (ok && !(seen & (1ULL << cpu))) {
			seen |= 1ULL << cpu;
			n++;
		}
		if (ok)
			ksft_print_msg("relid %u: cpu %" PRIu64 "\n", relid[i], cpu);
	}
	return ok && vm_expect_ge("CPUs the channels' interrupts go to", 2, n);
}

static bool pin(unsigned int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	return vm_expect(!sched_setaffinity(0, sizeof(set), &set), "sched_setaffinity %u: %s",
			 cpu, strerror(errno));
}

/* From @cpu: CPU_MB MiB at @cpu MiB written with O_DIRECT, read back, compared. */
static bool cpu_io(int fd, uint8_t *buf, unsigned int cpu)
{
	uint64_t sum_w = STV_FNV_INIT, sum_r = STV_FNV_INIT;
	off_t base = (off_t)cpu * CPU_MB << 20;
	unsigned int i;
	bool ok = pin(cpu);

	for (i = 0; ok && i < (CPU_MB << 20) / WRITE_SIZE; i++) {
		stv_pattern(buf, WRITE_SIZE, 0x4d43484e ^ cpu, i);
		sum_w = stv_checksum(sum_w, buf, WRITE_SIZE);
		ok = stv_xfer(fd, buf, WRITE_SIZE, base + (off_t)i * WRITE_SIZE, true);
	}
	for (i = 0; ok && i < (CPU_MB << 20) / READ_SIZE; i++) {
		memset(buf, 0, READ_SIZE);
		ok = stv_xfer(fd, buf, READ_SIZE, base + (off_t)i * READ_SIZE, false);
		sum_r = stv_checksum(sum_r, buf, READ_SIZE);
	}
	ksft_print_msg("cpu %u: %u MiB written fnv64 %016" PRIx64 ", read %016" PRIx64 "\n",
		       cpu, CPU_MB, sum_w, sum_r);
	return ok && vm_expect(sum_w == sum_r, "cpu %u: checksums differ", cpu);
}

/* I/O from every CPU; every channel served requests and interrupted. */
static bool io_everywhere(void)
{
	uint64_t irq_before[MAX_CHANS] = { 0 }, irq;
	struct host_chan before[MAX_CHANS], after[MAX_CHANS];
	const struct host_chan *b, *a;
	char path[300];
	uint8_t *buf;
	unsigned int i, cpu;
	int nb, na, fd;
	bool ok = true;

	if (!stv_wait_disk(disk, sizeof(disk)))
		return false;
	ksft_print_msg("disk: /dev/%s\n", disk);
	for (i = 0; i < nrelid; i++)
		vm_chan_read(SCSI_INSTANCE, relid[i], "interrupts", &irq_before[i]);
	nb = host_chans(before, MAX_CHANS);
	snprintf(path, sizeof(path), "/dev/%s", disk);
	if (posix_memalign((void **)&buf, 4096, WRITE_SIZE))
		return vm_expect(false, "posix_memalign failed");
	fd = open(path, O_RDWR | O_DIRECT);
	ok = vm_expect(fd >= 0, "open %s: %s", path, strerror(errno));
	for (cpu = 0; ok && cpu < ncpus; cpu++)
		ok = cpu_io(fd, buf, cpu);
	if (fd >= 0)
		close(fd);
	free(buf);
	na = host_chans(after, MAX_CHANS);
	ok &= vm_expect(nb == (int)nrelid && na == (int)nrelid,
			"storvsc/channels: %d then %d channels, expected %u", nb, na, nrelid);
	for (i = 0; ok && i < nrelid; i++) {
		b = host_find(before, nb, relid[i]);
		a = host_find(after, na, relid[i]);
		irq = 0;
		vm_chan_read(SCSI_INSTANCE, relid[i], "interrupts", &irq);
		ok = vm_expect(a && b, "relid %u missing at the host", relid[i]);
		if (!ok)
			break;
		ksft_print_msg("relid %u (sub-channel %u): %" PRIu64 " requests, %" PRIu64
			       " interrupts\n", relid[i], a->sub_index,
			       a->requests - b->requests, irq - irq_before[i]);
		ok &= vm_expect(a->requests > b->requests, "relid %u served no request",
				relid[i]);
		ok &= vm_expect(irq > irq_before[i], "relid %u raised no interrupt", relid[i]);
	}
	return ok;
}

int main(void)
{
	struct vm_kmsg_mark mark;
	bool loaded, open, io;
	long online;

	ksft_print_header();
	vm_setup();
	/* Registered after vm_setup()'s handler, so it runs before it. */
	atexit(stv_unload_at_exit);
	ksft_set_plan(7);
	online = sysconf(_SC_NPROCESSORS_ONLN);
	ncpus = online > 0 && online < 64 ? online : 1;
	want = 1 + (ncpus - 1 < NSUB ? ncpus - 1 : NSUB);
	ksft_print_msg("%u CPUs online: primary and %u sub-channels expected\n", ncpus,
		       want - 1);
	if (ncpus < 2 || DISK_MB < ncpus * CPU_MB)
		ksft_exit_skip("needs 2..%u CPUs online\n", DISK_MB / CPU_MB);
	loaded = !vm_kmsg_mark(&mark) && stv_load(SCSI_INSTANCE, DISK_MB, NSUB);
	ksft_test_result(loaded, "storvsc_mc_load: controller with %u sub-channels, plain "
			 "modprobe hv_storvsc\n", NSUB);
	open = loaded && subchannels();
	ksft_test_result(open, "storvsc_mc_subchannels: one CREATE_SUB_CHANNELS, %u channels "
			 "open in guest and host\n", want);
	ksft_test_result(open && spread(), "storvsc_mc_spread: the channels' interrupts go to "
			 "2 or more CPUs\n");
	io = open && io_everywhere();
	ksft_test_result(io, "storvsc_mc_io: O_DIRECT from every CPU reads back, every channel "
			 "served requests and interrupted\n");
	ksft_test_result(loaded && stv_counters(&mark), "storvsc_mc_counters: every request "
			 "completed, no errors\n");
	ksft_test_result(loaded && stv_unload(disk) && stv_rescind(SCSI_INSTANCE),
			 "storvsc_mc_unload: rmmod hv_storvsc, the disk goes, controller "
			 "rescinded\n");
	ksft_test_result(!vm_write(VM_SIM, "storvsc/control", "size_mb 0") & vm_teardown(),
			 "storvsc_mc_teardown: disk freed, hv_vmbus unloaded, sim restored\n");
	vm_test_finished();
}
