// SPDX-License-Identifier: GPL-2.0
/*
 * storvsc_rescind_test: the host rescinds a SCSI controller that the
 * distribution's hv_storvsc is bound to, and holds answers back.
 *
 * Idle rescind: the disk goes, hv_vmbus lets go of the primary and its
 * sub-channels, the host sees every channel closed and every request
 * answered; offered again, the controller comes back as a disk with the
 * data it held.
 *
 * Held answers (storvsc/control `fault hold`): two processes each read
 * 4 KiB with O_DIRECT (one request each, through a descriptor opened
 * before the hold, as an open may read the disk); they stay blocked while
 * the host holds the answers, and complete when it releases them.  The
 * host's counters account for every request.
 *
 * A rescind while requests are unanswered is not tested: the rescind
 * closes the host's end of the rings (vmbus-sim.rst), and storvsc waits
 * for an unanswered request for ever (its eh_timed_out resets the timer,
 * as "the host guarantees to respond to each command"), so the removal
 * blocks in del_gendisk, whatever the VMBus core does.
 *
 * The disks say they have no write cache (storvsc/control write_cache 0).
 * With one, sd's removal of the disk sends SYNCHRONIZE CACHE after the
 * rescind; the channel refuses it (-ENODEV, as <linux/hyperv.h>'s senders
 * do on a rescinded channel), storvsc turns that into
 * SCSI_MLQUEUE_HOST_BUSY and the midlayer requeues the command forever:
 * the removal never ends, with any VMBus core that refuses a rescinded
 * channel.  That is the guest driver's behaviour, documented in
 * vmbus-sim.rst, not something a test of this bus could pass.
 *
 * Sim: storvsc/control size_mb 16 and write_cache 0 (size_mb 0 and
 * write_cache 1 at the end), devices add <HV_SCSI_GUID> with 2
 * sub-channels, storvsc/control fault hold and release.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "storvsc_util.h"
#include "vmbus_util.h"

/* An instance of this test's own. */
#define SCSI_INSTANCE	"7e3a1c55-2d4b-4f60-8a91-52455343494e"

enum {
	DISK_MB		= 16,
	NSUB		= 2,
	PATTERN_MB	= 4,
	GONE_MS		= 60000,	/* rescind to disk gone */
	HOLD_MS		= 500,		/* held reads stay blocked this long */
};

static char disk[256];	/* sdX */
static char dev[300];	/* /dev/sdX */

static bool find(void)
{
	return stv_wait_dev(disk, sizeof(disk), dev, sizeof(dev), DISK_MB);
}

static bool disk_gone(void *arg)
{
	char path[300];

	(void)arg;
	snprintf(path, sizeof(path), "/sys/block/%s", disk);
	return !vm_exists(path);
}

static bool no_channel_open(void *arg)
{
	uint64_t open = 1;

	(void)arg;
	return stv_stat("open_channels", &open) && !open;
}

/* The host rescinds the controller; nothing is waited for. */
static bool rescind(void)
{
	unsigned int relid = stv_ctl_relid(SCSI_INSTANCE);

	return vm_expect(relid, "no relid offered for %s", SCSI_INSTANCE) &&
	       vm_expect(!vm_sim_devices_cmd("rescind %u", relid), "devices rescind %u",
			 relid);
}

/* After a rescind: the disk, the device and the host's channels gone. */
static bool all_gone(uint64_t t0)
{
	bool ok;

	ok = vm_wait_until(disk_gone, NULL, GONE_MS, "/sys/block/%s to go", disk);
	ok = ok && vm_wait_vmbus_devices(0, GONE_MS);
	ok = ok && vm_wait_until(no_channel_open, NULL, GONE_MS, "every channel closed");
	ksft_print_msg("rescind to disk, device and channels gone: %" PRIu64 " ms\n",
		       vm_now_ms() - t0);
	return ok;
}

/* Every request answered or cancelled, none still held, no guest error. */
static bool accounted(void)
{
	static const char *const names[] = {
		"requests", "completions", "cancelled", "errors", "held", "released",
	};
	uint64_t v[6] = { 0 };
	unsigned int i;
	bool ok = true;

	stv_print_file("stats");
	for (i = 0; i < 6; i++)
		ok &= vm_expect(stv_stat(names[i], &v[i]), "storvsc/stats has no %s", names[i]);
	if (!ok)
		return false;
	ok &= vm_expect_eq("requests - completions - cancelled", 0, v[0] - v[1] - v[2]);
	ok &= vm_expect_eq("held - released (answers still held)", 0, v[4] - v[5]);
	ok &= vm_expect_eq("errors (guest protocol errors)", 0, v[3]);
	return ok;
}

/* Idle rescind, the controller offered again: its disk, its data. */
static bool idle(void)
{
	const uint64_t seed = 0x72657363696e6421ULL;
	uint64_t t0;
	bool ok;

	ok = stv_write_read(dev, O_DIRECT, 0, PATTERN_MB, seed, "before the rescind");
	t0 = vm_now_ms();
	ok = ok && rescind() && all_gone(t0) && accounted();
	if (!ok)
		return false;
	ok = !vm_sim_devices_cmd("add %s %s %u", STV_SCSI_CLASS, SCSI_INSTANCE, NSUB) &&
	     vm_wait_vmbus_devices(1, VM_MODPROBE_MS) && find();
	/* The data of the first offer, read from the second. */
	return ok && stv_write_read(dev, O_DIRECT, 0, PATTERN_MB, seed, "offered again");
}

/*
 * A reader: one O_DIRECT read of 4 KiB (one request, never split) at
 * @index MiB through @fd, which the parent opened before it armed the
 * hold (an open may read the disk).  Exit status 0 if it read it all.
 */
static int reader(int fd, unsigned int index)
{
	ssize_t n;
	void *buf;

	if (posix_memalign(&buf, 4096, 4096))
		return 1;
	n = pread(fd, buf, 4096, (off_t)index << 20);
	return n == 4096 ? 0 : 1;
}

/* Waits for the @n readers of @pid until @deadline. */
static bool reaped(pid_t *pid, int *status, unsigned int n, uint64_t deadline)
{
	unsigned int done = 0, i;

	while (vm_now_ms() < deadline) {
		for (i = 0, done = 0; i < n; i++) {
			if (pid[i] > 0 && waitpid(pid[i], &status[i], WNOHANG) == pid[i])
				pid[i] = 0;
			done += pid[i] <= 0;
		}
		if (done == n)
			return true;
		vm_sleep_ms(50);
	}
	return false;
}

/*
 * Two reads whose answers the host holds stay blocked for HOLD_MS; the
 * host then releases the answers and both reads complete with their data.
 * A slot may go to a command of the kernel's own instead: the debug
 * kernel sent REPORT LUNS just then (the host logs each held opcode);
 * its answer is released as well, and the read it displaced is answered
 * at once.
 */
static bool held_release(void)
{
	uint64_t held0 = 0, released0 = 0, released = 0;
	int status[2] = { 0 };
	pid_t pid[2] = { 0 };
	unsigned int i;
	bool ok;
	int fd;

	fd = open(dev, O_RDONLY | O_DIRECT | O_CLOEXEC);
	if (!vm_expect(fd >= 0, "open %s: %s", dev, strerror(errno)))
		return false;
	ok = stv_stat("held", &held0) && stv_stat("released", &released0) &&
	     !vm_write(VM_SIM, "storvsc/control", "fault hold 2");
	for (i = 0; ok && i < 2; i++) {
		pid[i] = fork();
		if (!pid[i])
			_exit(reader(fd, i));
		ok = vm_expect(pid[i] > 0, "fork: %s", strerror(errno));
	}
	ok = ok && vm_wait_stat(VM_SIM, "storvsc/stats", "held", held0 + 2, GONE_MS);
	vm_sleep_ms(HOLD_MS);
	ok = ok && vm_expect(!reaped(pid, status, 2, vm_now_ms()),
			     "both readers ended while their answers were held");
	vm_write(VM_SIM, "storvsc/control", "fault hold 0");
	/* Even on failure: no reader may stay blocked on a held answer. */
	ok &= vm_expect(!vm_write(VM_SIM, "storvsc/control", "release"), "release");
	if (!reaped(pid, status, 2, vm_now_ms() + GONE_MS)) {
		for (i = 0; i < 2; i++)
			if (pid[i] > 0)
				kill(pid[i], SIGKILL);
		reaped(pid, status, 2, vm_now_ms() + GONE_MS);
		close(fd);
		return vm_expect(false, "readers still blocked after the release");
	}
	close(fd);
	for (i = 0; i < 2; i++)
		ok &= vm_expect(WIFEXITED(status[i]) && !WEXITSTATUS(status[i]),
				"reader %u: status 0x%x", i, status[i]);
	ok = ok && stv_stat("released", &released) &&
	     vm_expect_eq("released", released0 + 2, released);
	return ok && accounted();
}

static bool storvsc_unused(void *arg)
{
	uint64_t refs = 1;

	(void)arg;
	return !vm_read_u64("/sys/module/hv_storvsc/refcnt", &refs) && !refs;
}

/*
 * rmmod hv_storvsc once nothing holds it: on the debug kernel the module
 * was still in use for a moment after the held reads ended (the SCSI
 * midlayer's own commands, above).
 */
static bool unload(void)
{
	vm_wait_until(storvsc_unused, NULL, GONE_MS, "hv_storvsc's refcnt to reach 0");
	return vm_rmmod_expect("hv_storvsc") & vm_rmmod_expect("sd_mod");
}

int main(void)
{
	bool loaded, found, idle_ok;

	ksft_print_header();
	vm_setup();
	/* Registered after vm_setup()'s handler, so it runs before it. */
	atexit(stv_unload_at_exit);
	ksft_set_plan(5);
	loaded = !vm_write(VM_SIM, "storvsc/control", "write_cache 0") &&
		 stv_load(SCSI_INSTANCE, DISK_MB, NSUB);
	ksft_test_result(loaded, "storvsc_rescind_load: %u MiB controller with %u "
			 "sub-channels, plain modprobe hv_storvsc\n", DISK_MB, NSUB);
	found = loaded && find();
	ksft_test_result(found, "storvsc_rescind_disk: /sys/block/sdX, %u MiB\n", DISK_MB);
	idle_ok = found && idle();
	ksft_test_result(idle_ok, "storvsc_rescind_idle: rescinded while bound, the disk "
			 "goes, every channel closed; offered again with its data\n");
	ksft_test_result(idle_ok && held_release(), "storvsc_rescind_held: 2 reads blocked "
			 "while the host holds their answers, both complete on release\n");
	ksft_test_result(loaded && unload() &
			 !vm_write(VM_SIM, "storvsc/control", "size_mb 0") &
			 !vm_write(VM_SIM, "storvsc/control", "write_cache 1") & vm_teardown(),
			 "storvsc_rescind_teardown: hv_storvsc unloaded, disk freed, hv_vmbus "
			 "unloaded, sim restored\n");
	vm_test_finished();
}
