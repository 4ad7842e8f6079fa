// SPDX-License-Identifier: GPL-2.0
/*
 * storvsc_rescind_test: the host rescinds a SCSI controller that the
 * distribution's hv_storvsc is bound to, first idle, then with requests in
 * flight.
 *
 * Idle: the disk goes, hv_vmbus lets go of the primary and its
 * sub-channels, the host sees every channel closed and every request
 * answered; offered again, the controller comes back as a disk with the
 * data it held.
 *
 * Held: two reads whose answers the host holds stay blocked until the
 * host releases them (storvsc/control `release`), then complete.
 *
 * In flight: READERS processes read the disk with O_DIRECT while the host
 * holds the answers to the next READERS requests (storvsc/control
 * `fault hold`), so each reader has one request outstanding.  The host
 * revokes the controller as a host must for storvsc: it fails the
 * requests it holds (`abort`: CHECK CONDITION, LOGICAL UNIT NOT
 * SUPPORTED, which sd does not retry) and rescinds at once, so the
 * completions and the rescind race through the guest's core.  Every
 * reader's request fails with EIO, the disk and the controller go, and
 * the host's counters account for every request (answered, aborted or
 * cancelled).  A guest core that lost a completion racing the rescind, or
 * touched the channel after its close, hangs or trips KASAN here.
 *
 * A host that rescinds with requests still unanswered (the rescind closes
 * its end of the rings, vmbus-sim.rst) leaves storvsc waiting for them
 * for ever: its eh_timed_out resets the timer, as "the host guarantees to
 * respond to each command", so the removal blocks in del_gendisk.  That
 * is the guest driver's contract, whatever the VMBus core does.
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
 * sub-channels, storvsc/control fault hold / abort.
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
	READERS		= 4,
	READER_MS	= 120000,	/* a reader gives up after this */
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

/*
 * Every request answered, aborted or cancelled, @aborted of them aborted,
 * no guest protocol error.
 */
static bool accounted(uint64_t aborted)
{
	static const char *const names[] = {
		"requests", "completions", "cancelled", "aborted", "errors", "held",
		"released",
	};
	uint64_t v[7] = { 0 };
	unsigned int i;
	bool ok = true;

	stv_print_file("stats");
	for (i = 0; i < 7; i++)
		ok &= vm_expect(stv_stat(names[i], &v[i]), "storvsc/stats has no %s", names[i]);
	if (!ok)
		return false;
	ok &= vm_expect_eq("requests - completions - cancelled", 0, v[0] - v[1] - v[2]);
	ok &= vm_expect_eq("aborted", aborted, v[3]);
	ok &= vm_expect_eq("held - released - aborted (held answers left)", 0,
			   v[5] - v[6] - v[3]);
	ok &= vm_expect_eq("errors (guest protocol errors)", 0, v[4]);
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
	ok = ok && rescind() && all_gone(t0) && accounted(0);
	if (!ok)
		return false;
	ok = !vm_sim_devices_cmd("add %s %s %u", STV_SCSI_CLASS, SCSI_INSTANCE, NSUB) &&
	     vm_wait_vmbus_devices(1, VM_MODPROBE_MS) && find();
	/* The data of the first offer, read from the second. */
	return ok && stv_write_read(dev, O_DIRECT, 0, PATTERN_MB, seed, "offered again");
}

/*
 * A reader: O_DIRECT reads of 64 KiB at @index MiB until one fails (@once:
 * one read).  Exit status 0 for EIO (@once: for the read done), 1 for
 * another errno, 2 if none failed in time.
 */
static int reader(unsigned int index, bool once)
{
	uint64_t end = vm_now_ms() + READER_MS;
	void *buf;
	int fd;

	fd = open(dev, O_RDONLY | O_DIRECT);
	if (fd < 0 || posix_memalign(&buf, 4096, 65536))
		return 1;
	while (vm_now_ms() < end) {
		if (pread(fd, buf, 65536, (off_t)index << 20) != 65536)
			return errno == EIO ? 0 : 1;
		if (once)
			return 0;
	}
	return 2;
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
 * host releases them and both complete with their data.
 */
static bool held_release(void)
{
	int status[2] = { 0 };
	pid_t pid[2] = { 0 };
	uint64_t held0 = 0, released0 = 0, released = 0;
	unsigned int i;
	bool ok;

	ok = stv_stat("held", &held0) && stv_stat("released", &released0) &&
	     !vm_write(VM_SIM, "storvsc/control", "fault hold 2");
	for (i = 0; ok && i < 2; i++) {
		pid[i] = fork();
		if (!pid[i])
			_exit(reader(i, true));
		ok = vm_expect(pid[i] > 0, "fork: %s", strerror(errno));
	}
	ok = ok && vm_wait_stat(VM_SIM, "storvsc/stats", "held", held0 + 2, GONE_MS);
	vm_sleep_ms(HOLD_MS);
	ok = ok && vm_expect(!reaped(pid, status, 2, vm_now_ms()),
			     "a reader ended while its answer was held");
	vm_write(VM_SIM, "storvsc/control", "fault hold 0");
	ok &= vm_expect(!vm_write(VM_SIM, "storvsc/control", "release"), "release");
	if (!reaped(pid, status, 2, vm_now_ms() + GONE_MS)) {
		for (i = 0; i < 2; i++)
			if (pid[i] > 0)
				kill(pid[i], SIGKILL);
		reaped(pid, status, 2, vm_now_ms() + GONE_MS);
		return vm_expect(false, "readers still blocked after the release");
	}
	for (i = 0; i < 2; i++)
		ok &= vm_expect(WIFEXITED(status[i]) && !WEXITSTATUS(status[i]),
				"reader %u: status 0x%x", i, status[i]);
	return ok && stv_stat("released", &released) &&
	       vm_expect_eq("released", released0 + 2, released);
}

static bool in_flight(void)
{
	int status[READERS] = { 0 };
	pid_t pid[READERS] = { 0 };
	uint64_t held0 = 0, held = 0, t0;
	unsigned int i, ok_readers = 0;
	bool ok;

	ok = stv_stat("held", &held0) &&
	     !vm_write(VM_SIM, "storvsc/control", "fault hold %u", READERS);
	for (i = 0; ok && i < READERS; i++) {
		pid[i] = fork();
		if (!pid[i])
			_exit(reader(i, false));
		ok = vm_expect(pid[i] > 0, "fork: %s", strerror(errno));
	}
	ok = ok && vm_wait_stat(VM_SIM, "storvsc/stats", "held", held0 + READERS, GONE_MS);
	stv_stat("held", &held);
	ksft_print_msg("%" PRIu64 " requests held: abort and rescind\n", held - held0);
	t0 = vm_now_ms();
	/* Even on failure: no reader may stay blocked on a held answer. */
	ok &= vm_expect(!vm_write(VM_SIM, "storvsc/control", "abort"), "abort");
	ok = ok && rescind();
	vm_write(VM_SIM, "storvsc/control", "fault hold 0");
	if (!reaped(pid, status, READERS, vm_now_ms() + READER_MS + GONE_MS)) {
		for (i = 0; i < READERS; i++)
			if (pid[i] > 0)
				kill(pid[i], SIGKILL);
		reaped(pid, status, READERS, vm_now_ms() + GONE_MS);
		return vm_expect(false, "readers still blocked");
	}
	for (i = 0; i < READERS; i++) {
		ksft_print_msg("reader %u: exit %d\n", i, WIFEXITED(status[i]) ?
			       WEXITSTATUS(status[i]) : -1);
		ok_readers += WIFEXITED(status[i]) && !WEXITSTATUS(status[i]);
	}
	ok &= vm_expect_eq("readers whose request failed with EIO", READERS, ok_readers);
	ok &= all_gone(t0);
	return ok && accounted(READERS);
}

int main(void)
{
	bool loaded, found, idle_ok;

	ksft_print_header();
	vm_setup();
	/* Registered after vm_setup()'s handler, so it runs before it. */
	atexit(stv_unload_at_exit);
	ksft_set_plan(6);
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
	ksft_test_result(idle_ok && in_flight(), "storvsc_rescind_in_flight: %u reads in "
			 "flight fail with EIO, the disk goes, every request accounted for\n",
			 READERS);
	ksft_test_result(loaded && vm_rmmod_expect("hv_storvsc") & vm_rmmod_expect("sd_mod") &
			 !vm_write(VM_SIM, "storvsc/control", "size_mb 0") &
			 !vm_write(VM_SIM, "storvsc/control", "write_cache 1") & vm_teardown(),
			 "storvsc_rescind_teardown: hv_storvsc unloaded, disk freed, hv_vmbus "
			 "unloaded, sim restored\n");
	vm_test_finished();
}
