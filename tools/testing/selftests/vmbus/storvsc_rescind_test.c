// SPDX-License-Identifier: GPL-2.0
/*
 * storvsc_rescind_test: the host rescinds a SCSI controller that the
 * distribution's hv_storvsc is bound to, idle and with requests in
 * flight, and holds answers back.
 *
 * Idle rescind: the disk goes, hv_vmbus lets go of the primary and its
 * sub-channels, the host sees every channel closed and every request
 * answered; offered again, the controller comes back as a disk with the
 * data it held.
 *
 * Held answers (storvsc/control `fault hold`): processes each read 4 KiB
 * with O_DIRECT, one request each, through a descriptor opened before the
 * hold (an open may read the disk), and only once storvsc is idle
 * (hv_storvsc's refcnt 0: the SCSI scan of a new controller, which sends
 * REPORT LUNS to every target, can outlast the disk's appearance on a
 * slow kernel, and would take a held slot).  Two reads stay blocked while
 * the host holds their answers and complete when it releases them.
 *
 * In flight: READERS reads are held, then the host revokes the controller
 * as a host must for storvsc: it fails the requests it holds (`abort`:
 * CHECK CONDITION, LOGICAL UNIT NOT SUPPORTED, which sd does not retry)
 * and rescinds as soon as the failures are in the guest's ring, so they
 * and the rescind race through the guest's core.  Every reader gets EIO, the disk and the
 * channels go, and the host's counters account for every request.  A
 * guest core that lost a completion racing the rescind, or touched the
 * channel after its close, hangs or trips KASAN here.
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
 * SCSI_MLQUEUE_HOST_BUSY and the midlayer requeues the command for ever.
 *
 * Sim: storvsc/control size_mb 16 and write_cache 0 (size_mb 0 and
 * write_cache 1 at the end), devices add <HV_SCSI_GUID> with 2
 * sub-channels, storvsc/control fault hold, release and abort.
 */
#include <dirent.h>
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
	READERS		= 4,		/* reads in flight at the rescind */
	READER_MS	= 60000,	/* readers to end after the answer */
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
 * Every request answered or cancelled, none still held, @aborted of them
 * failed by the host's abort, no guest protocol error.
 */
static bool accounted(uint64_t aborted)
{
	static const char *const names[] = {
		"requests", "completions", "cancelled", "errors", "held", "released",
		"aborted",
	};
	uint64_t v[7] = { 0 };
	bool ok;

	if (!stv_stats(names, 7, v))
		return false;
	ok = vm_expect_eq("requests - completions - cancelled", 0, v[0] - v[1] - v[2]);
	ok &= vm_expect_eq("held - released - aborted (answers still held)", 0,
			   v[4] - v[5] - v[6]);
	ok &= vm_expect_eq("aborted", aborted, v[6]);
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
	ok = ok && rescind() && all_gone(t0) && accounted(0);
	if (!ok)
		return false;
	ok = !vm_sim_devices_cmd("add %s %s %u", STV_SCSI_CLASS, SCSI_INSTANCE, NSUB) &&
	     vm_wait_vmbus_devices(1, VM_MODPROBE_MS) && find();
	/* The data of the first offer, read from the second. */
	return ok && stv_write_read(dev, O_DIRECT, 0, PATTERN_MB, seed, "offered again");
}

/*
 * A reader: one O_DIRECT read of 4 KiB (one request, never split) at
 * @index MiB through @fd.  Exit status 0 if it failed with EIO
 * (@want_eio) or read it all (!@want_eio), else 1.
 */
static int reader(int fd, unsigned int index, bool want_eio)
{
	ssize_t n;
	void *buf;

	if (posix_memalign(&buf, 4096, 4096))
		return 1;
	n = pread(fd, buf, 4096, (off_t)index << 20);
	if (want_eio)
		return n < 0 && errno == EIO ? 0 : 1;
	return n == 4096 ? 0 : 1;
}

/*
 * The SCSI midlayer's scan of the host done: a write to its scan file
 * waits for the scan under way (the same mutex), then scans once more,
 * every answer given at once.  Until then the scan's own commands
 * (REPORT LUNS to each target) may come at any moment.
 */
static bool settle(void)
{
	DIR *d = opendir("/sys/class/scsi_host");
	struct dirent *e;
	char path[300];
	bool ok = d != NULL;

	while (d && (e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/sys/class/scsi_host/%s/scan", e->d_name);
		ok &= !vm_write_file(path, "- - -");
	}
	if (d)
		closedir(d);
	return vm_expect(ok, "scanning /sys/class/scsi_host/*");
}

/* The scan done, no opener holds hv_storvsc; then @dev opened for readers. */
static int open_idle(void)
{
	int fd;

	if (!settle() || !vm_wait_module_unused("hv_storvsc", GONE_MS))
		return -1;
	fd = open(dev, O_RDONLY | O_DIRECT | O_CLOEXEC);
	vm_expect(fd >= 0, "open %s: %s", dev, strerror(errno));
	return fd;
}

/*
 * @n readers through @fd, each of whose request the host holds (armed
 * here); false if fewer were held in time.
 */
static bool start_held(int fd, pid_t *pid, unsigned int n, bool want_eio)
{
	uint64_t held0 = 0, held = 0;
	unsigned int i;
	bool ok;

	ok = stv_stat("held", &held0) &&
	     !vm_write(VM_SIM, "storvsc/control", "fault hold %u", n);
	for (i = 0; ok && i < n; i++) {
		pid[i] = fork();
		if (!pid[i])
			_exit(reader(fd, i, want_eio));
		ok = vm_expect(pid[i] > 0, "fork: %s", strerror(errno));
	}
	ok = ok && vm_wait_stat(VM_SIM, "storvsc/stats", "held", held0 + n, GONE_MS);
	stv_stat("held", &held);
	ksft_print_msg("%" PRIu64 " requests held\n", held - held0);
	vm_write(VM_SIM, "storvsc/control", "fault hold 0");
	return ok;
}

/* Readers of @pid that have ended (reaped, their pid set to 0). */
static unsigned int ended(pid_t *pid, int *status, unsigned int n)
{
	unsigned int i, done = 0;

	for (i = 0; i < n; i++) {
		if (pid[i] > 0 && waitpid(pid[i], &status[i], WNOHANG) == pid[i])
			pid[i] = 0;
		done += pid[i] <= 0;
	}
	return done;
}

/* Waits for the @n readers of @pid until @deadline. */
static bool reaped(pid_t *pid, int *status, unsigned int n, uint64_t deadline)
{
	while (vm_now_ms() < deadline) {
		if (ended(pid, status, n) == n)
			return true;
		vm_sleep_ms(50);
	}
	return false;
}

/*
 * Waits for the @n readers of @pid; any still running after READER_MS is
 * killed.  Each reader's exit status 0 counts in the result.
 */
static unsigned int readers_ok(pid_t *pid, unsigned int n)
{
	int status[READERS] = { 0 };
	unsigned int i, good = 0;

	if (!reaped(pid, status, n, vm_now_ms() + READER_MS)) {
		vm_expect(false, "readers still blocked after %u ms", READER_MS);
		for (i = 0; i < n; i++)
			if (pid[i] > 0)
				kill(pid[i], SIGKILL);
		reaped(pid, status, n, vm_now_ms() + READER_MS);
		return 0;
	}
	for (i = 0; i < n; i++) {
		ksft_print_msg("reader %u: exit status %d\n", i,
			       WIFEXITED(status[i]) ? WEXITSTATUS(status[i]) : -1);
		good += WIFEXITED(status[i]) && !WEXITSTATUS(status[i]);
	}
	return good;
}

/*
 * Two reads whose answers the host holds stay blocked for HOLD_MS; the
 * host then releases the answers and both reads complete with their data.
 */
static bool held_release(void)
{
	uint64_t released0 = 0, released = 0;
	int status[2] = { 0 };
	pid_t pid[2] = { 0 };
	int fd = open_idle();
	bool ok;

	if (fd < 0)
		return false;
	ok = stv_stat("released", &released0) && start_held(fd, pid, 2, false);
	vm_sleep_ms(HOLD_MS);
	ok = ok && vm_expect_eq("readers that ended while their answers were held", 0,
				ended(pid, status, 2));
	/* Even on failure: no reader may stay blocked on a held answer. */
	ok &= vm_expect(!vm_write(VM_SIM, "storvsc/control", "release"), "release");
	ok &= vm_expect_eq("readers that read their data", 2, readers_ok(pid, 2));
	close(fd);
	ok = ok && stv_stat("released", &released) &&
	     vm_expect_eq("released", released0 + 2, released);
	return ok && accounted(0);
}

/*
 * READERS reads held; the host fails them and rescinds at once: each
 * reader gets EIO, the disk and the channels go.
 */
static bool in_flight(void)
{
	pid_t pid[READERS] = { 0 };
	uint64_t t0, aborted0 = 0;
	int fd = open_idle();
	bool ok;

	if (fd < 0)
		return false;
	ok = stv_stat("aborted", &aborted0) && start_held(fd, pid, READERS, true);
	t0 = vm_now_ms();
	/* Even on failure: no reader may stay blocked on a held answer. */
	ok &= vm_expect(!vm_write(VM_SIM, "storvsc/control", "abort"), "abort");
	/*
	 * The channel's work sends the failures; a rescind before that
	 * would cancel them with the work.  In the guest they still race
	 * the rescind.
	 */
	ok = ok && vm_wait_stat(VM_SIM, "storvsc/stats", "aborted", aborted0 + READERS,
				GONE_MS) && rescind();
	ok &= vm_expect_eq("readers whose read failed with EIO", READERS,
			   readers_ok(pid, READERS));
	close(fd);
	ok = ok && all_gone(t0);
	return ok && accounted(READERS);
}

/* rmmod hv_storvsc once the SCSI scan let go of it (open_idle()). */
static bool unload(void)
{
	vm_wait_module_unused("hv_storvsc", GONE_MS);
	return vm_rmmod_expect("hv_storvsc") & vm_rmmod_expect("sd_mod");
}

/* At any exit: nothing left held, the write cache as at load. */
static void sim_restore(void)
{
	vm_write(VM_SIM, "storvsc/control", "fault hold 0");
	vm_write(VM_SIM, "storvsc/control", "release");
	vm_write(VM_SIM, "storvsc/control", "write_cache 1");
}

int main(void)
{
	bool loaded, found, idle_ok;

	ksft_print_header();
	vm_setup();
	/* Registered after vm_setup()'s handler, so they run before it. */
	atexit(stv_unload_at_exit);
	atexit(sim_restore);
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
	ksft_test_result(idle_ok && in_flight(), "storvsc_rescind_in_flight: %u held reads "
			 "fail with EIO as the host aborts and rescinds, the disk goes, every "
			 "request accounted for\n", READERS);
	ksft_test_result(loaded && unload() &
			 !vm_write(VM_SIM, "storvsc/control", "size_mb 0") &
			 !vm_write(VM_SIM, "storvsc/control", "write_cache 1") & vm_teardown(),
			 "storvsc_rescind_teardown: hv_storvsc unloaded, disk freed, hv_vmbus "
			 "unloaded, sim restored\n");
	vm_test_finished();
}
