// SPDX-License-Identifier: GPL-2.0
/*
 * storvsc_hibernate_test: hibernation cycles (pm_test `core`: freeze and
 * thaw with the real callbacks, no image) with the distribution's
 * hv_storvsc bound to the simulated host's SCSI controller (3
 * sub-channels) and a writer process busy on its disk, while the host
 * gives every channel a new relid and connection id at each reconnect.
 *
 * On a kernel with ext4 the disk is made an ext4 file system and mounted,
 * and the writer writes files of 32 KiB (each fsync'ed) into it, over and
 * over in 500 slots; elsewhere (the debug kernel has no ext4) it writes
 * 1 MiB chunks with O_DIRECT to the raw disk, wrapping.  Each item's
 * content follows from its number, and the writer publishes how many it
 * finished.  Every cycle: the hibernation returns, the controller and its
 * sub-channels are open again on the host, and the writer finishes more
 * items after the resume than before it.  Then the writer stops and the
 * newest item of every slot reads back as written (the file system
 * unmounted and mounted again, the caches dropped); `fsck -fn` finds the
 * file system clean; the host answered every request and saw no protocol
 * error.
 *
 * Parameters (environment or kernel command line):
 * vmbus_storvsc_hibernate_cycles (default 3).
 *
 * Sim modes: version_ceiling 5.3, resume_relids 1, resume_conn_ids 1;
 * storvsc/control size_mb 64 (0 at the end), devices add <HV_SCSI_GUID>
 * with 3 sub-channels.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <unistd.h>

#include "resume_util.h"
#include "storvsc_util.h"
#include "vmbus_util.h"

/* An instance of this test's own. */
#define SCSI_INSTANCE	"5c1e7a3d-8b2f-4e6a-9d10-484942455200"
#define MNT		"/tmp/storvsc_hib"
#define SEED		0x68696265726eULL

enum {
	DISK_MB		= 64,
	NSUB		= 3,
	FILE_LEN	= 32 << 10,
	FILE_SLOTS	= 500,
	PROGRESS_MS	= 60000,	/* the writer goes on after a resume */
	OPEN_MS		= 60000,	/* storvsc opens its channels again */
	STOP_MS		= 60000,
};

/* Shared with the writer. */
struct progress {
	volatile uint64_t done;		/* items finished */
	volatile int stop;
	volatile int err;		/* errno of a failed write */
};

static struct progress *prog;
static char disk[256], dev[300];
static bool on_fs;
static pid_t writer = -1;

static unsigned int slots(void)
{
	return on_fs ? FILE_SLOTS : DISK_MB;
}

static size_t item_len(void)
{
	return on_fs ? FILE_LEN : STV_CHUNK;
}

static void file_path(char *buf, size_t len, unsigned int slot)
{
	snprintf(buf, len, "%s/f%03u", MNT, slot);
}

/* Item @i into its slot: a file, fsync'ed, or a chunk with O_DIRECT. */
static int write_item(int fd, uint8_t *buf, uint64_t i)
{
	unsigned int slot = i % slots();
	char path[300];
	int ffd, err = 0;

	stv_pattern(buf, item_len(), SEED, i);
	if (!on_fs)
		return pwrite(fd, buf, STV_CHUNK, (off_t)slot * STV_CHUNK) == STV_CHUNK ?
		       0 : errno ? errno : EIO;
	file_path(path, sizeof(path), slot);
	ffd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (ffd < 0)
		return errno;
	if (pwrite(ffd, buf, FILE_LEN, 0) != FILE_LEN || fsync(ffd))
		err = errno ? errno : EIO;
	close(ffd);
	return err;
}

static void writer_main(void)
{
	void *buf = NULL;
	uint64_t i;
	int fd = -1;

	if (posix_memalign(&buf, 4096, STV_CHUNK)) {
		prog->err = ENOMEM;
		_exit(1);
	}
	if (!on_fs) {
		fd = open(dev, O_WRONLY | O_DIRECT | O_CLOEXEC);
		if (fd < 0) {
			prog->err = errno;
			_exit(1);
		}
	}
	for (i = 0; !prog->stop; i++) {
		int err = write_item(fd, buf, i);

		if (err) {
			prog->err = err;
			_exit(1);
		}
		__atomic_store_n(&prog->done, i + 1, __ATOMIC_RELEASE);
		/* A steady trickle, so that the freezer finds it at any step. */
		usleep(10000);
	}
	_exit(0);
}

static bool writer_start(void)
{
	prog = mmap(NULL, sizeof(*prog), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS,
		    -1, 0);
	if (!vm_expect(prog != MAP_FAILED, "mmap: %s", strerror(errno)))
		return false;
	memset(prog, 0, sizeof(*prog));
	writer = fork();
	if (!writer)
		writer_main();
	return vm_expect(writer > 0, "fork: %s", strerror(errno));
}

static uint64_t done_now(void)
{
	return __atomic_load_n(&prog->done, __ATOMIC_ACQUIRE);
}

struct advance {
	uint64_t from;
};

static bool advanced(void *arg)
{
	const struct advance *a = arg;

	return done_now() > a->from + 2 || prog->err;
}

/* The writer finishes at least 3 items more than @from, without error. */
static bool writer_advances(uint64_t from)
{
	struct advance a = { from };

	return vm_wait_until(advanced, &a, PROGRESS_MS, "the writer past item %" PRIu64, from) &&
	       vm_expect(!prog->err, "writer: %s", strerror(prog->err));
}

static bool writer_stop(void)
{
	uint64_t start = vm_now_ms();
	int status = 0;
	pid_t got;

	if (writer <= 0)
		return false;
	prog->stop = 1;
	while (!(got = waitpid(writer, &status, WNOHANG)) && vm_now_ms() - start < STOP_MS)
		vm_sleep_ms(VM_POLL_MS);
	if (!got) {
		kill(writer, SIGKILL);
		waitpid(writer, &status, 0);
	}
	writer = -1;
	ksft_print_msg("writer: %" PRIu64 " items of %zu bytes, in %u slots\n", done_now(),
		       item_len(), slots());
	return vm_expect(got > 0, "the writer did not stop in %u ms", STOP_MS) &&
	       vm_expect(WIFEXITED(status) && !WEXITSTATUS(status), "writer: %s",
			 strerror(prog->err));
}

static void writer_kill_at_exit(void)
{
	if (writer > 0) {
		kill(writer, SIGKILL);
		waitpid(writer, NULL, 0);
	}
	if (on_fs)
		umount(MNT);
}

/* The newest item of every slot reads back as written. */
static bool verify(void)
{
	uint64_t done = done_now(), i;
	unsigned int slot, n = done < slots() ? done : slots(), bad = 0;
	uint8_t *want = malloc(STV_CHUNK), *got = malloc(STV_CHUNK + 1);
	char path[300];
	ssize_t len;
	int fd = -1;
	bool ok = want && got;

	if (ok && on_fs)
		ok = stv_umount(MNT);
	ok = ok && !vm_write_file("/proc/sys/vm/drop_caches", "3");
	if (ok && on_fs)
		ok = stv_mount(dev, MNT);
	else if (ok)
		ok = vm_expect((fd = open(dev, O_RDONLY | O_CLOEXEC)) >= 0, "open %s: %s", dev,
			       strerror(errno));
	for (slot = 0; ok && slot < n; slot++) {
		i = slot + (done - 1 - slot) / slots() * slots();
		stv_pattern(want, item_len(), SEED, i);
		if (on_fs) {
			file_path(path, sizeof(path), slot);
			fd = open(path, O_RDONLY | O_CLOEXEC);
			len = fd < 0 ? -1 : read(fd, got, FILE_LEN + 1);
			if (fd >= 0)
				close(fd);
			fd = -1;
		} else {
			len = pread(fd, got, STV_CHUNK, (off_t)slot * STV_CHUNK);
		}
		if (len != (ssize_t)item_len() || memcmp(want, got, item_len())) {
			if (!bad++)
				ksft_print_msg("slot %u (item %" PRIu64 "): %zd bytes, %s\n", slot,
					       i, len, len < 0 ? strerror(errno) : "content differs");
		}
	}
	if (fd >= 0)
		close(fd);
	free(want);
	free(got);
	ksft_print_msg("%u slots read back, %u differ\n", n, bad);
	ok = ok && vm_expect_eq("slots that differ from what was written", 0, bad);
	if (on_fs)
		ok = stv_umount(MNT) && stv_fsck(dev) && ok;
	return ok;
}

/* The host has the controller and its sub-channels open. */
static bool chans_open(void *arg)
{
	uint64_t open = 0;

	(void)arg;
	return stv_stat("open_channels", &open) && open == 1 + NSUB;
}

static bool cycles_run(unsigned int cycles)
{
	unsigned int c, relid = stv_ctl_relid(SCSI_INSTANCE), now;
	uint64_t ms, before;
	bool ok = true;

	for (c = 1; ok && c <= cycles; c++) {
		ok = writer_advances(done_now());
		before = done_now();
		ok = ok && rs_hibernate(&ms);
		now = stv_ctl_relid(SCSI_INSTANCE);
		ksft_print_msg("cycle %u: hibernation returned after %" PRIu64 " ms, writer at "
			       "%" PRIu64 " then %" PRIu64 ", controller relid %u -> %u\n", c, ms,
			       before, done_now(), relid, now);
		ok = ok && vm_expect(now && now != relid, "the controller's relid is %u again",
				     now) &&
		     vm_wait_until(chans_open, NULL, OPEN_MS, "%u storvsc channels open on the "
				   "host", 1 + NSUB) &&
		     writer_advances(done_now());
		relid = now;
	}
	return ok;
}

static bool setup(void)
{
	if (vm_sim_set("version_ceiling", "5.3") || vm_sim_set("resume_relids", "1") ||
	    vm_sim_set("resume_conn_ids", "1") ||
	    !stv_load(SCSI_INSTANCE, DISK_MB, NSUB) || !stv_wait_disk(disk, sizeof(disk)))
		return false;
	snprintf(dev, sizeof(dev), "/dev/%s", disk);
	return vm_wait_until(chans_open, NULL, OPEN_MS, "%u storvsc channels open on the "
			     "host", 1 + NSUB);
}

int main(void)
{
	struct vm_kmsg_mark mark;
	const char *why;
	unsigned int cycles;
	bool loaded, running, cycled, stopped;

	ksft_print_header();
	if (!rs_hibernate_possible(&why))
		ksft_exit_skip("%s\n", why);
	vm_setup();
	/* Registered after vm_setup()'s handler, so they run before it. */
	atexit(stv_unload_at_exit);
	atexit(writer_kill_at_exit);
	ksft_set_plan(6);
	cycles = vm_param_range("vmbus_storvsc_hibernate_cycles", 3, 1, 1000);

	loaded = !vm_kmsg_mark(&mark) && setup();
	ksft_test_result(loaded, "storvsc_hib_load: controller with %u sub-channels, %u MiB "
			 "disk; resume_relids 1, resume_conn_ids 1\n", NSUB, DISK_MB);
	on_fs = loaded && stv_have_ext4();
	if (on_fs)
		running = stv_mkfs(dev) && stv_mount(dev, MNT) && writer_start();
	else
		running = loaded && writer_start();
	ksft_test_result(running, "storvsc_hib_writer: %s\n", on_fs ?
			 "ext4 mounted, files of 32 KiB written and fsync'ed" :
			 "no ext4 here: 1 MiB O_DIRECT writes to the raw disk");
	cycled = running && cycles_run(cycles);
	ksft_test_result(cycled, "storvsc_hib_cycles: %u hibernation cycles, new relids, "
			 "the channels open again and the writer going on after each\n", cycles);
	/* The writer stops before verify() unmounts and reads. */
	stopped = running && writer_stop();
	ksft_test_result(running && stopped & verify(), "storvsc_hib_data: the newest "
			 "item of every slot reads back%s\n", on_fs ? ", fsck -fn clean" : "");
	ksft_test_result(loaded && stv_counters(&mark) && stv_unload(disk) &&
			 stv_rescind(SCSI_INSTANCE), "storvsc_hib_unload: every request "
			 "answered, rmmod hv_storvsc, controller rescinded\n");
	ksft_test_result(!vm_write(VM_SIM, "storvsc/control", "size_mb 0") & vm_teardown(),
			 "storvsc_hib_teardown: disk freed, hv_vmbus unloaded, sim restored\n");
	vm_test_finished();
}
