// SPDX-License-Identifier: GPL-2.0
/*
 * kexec_lane: the guest side of the kexec lanes (qemu/kexec-lanes.sh,
 * Documentation/virt/hyperv/testing.rst "The kexec lanes").  Not a test run
 * by run_tests.sh: qemu/init runs it in the kernels of a lane.
 *
 * kexec_lane arm
 *	In the first kernel, before init crashes it (sysrq c) or kexecs from
 *	it: the simulator (loaded with vmbus_sim.host_record= from the
 *	command line, so its record outlives this kernel) with strict_contact
 *	1, DEVICES echo devices with NSUB sub-channels, one channel on every
 *	CPU, and a bulk echo run on every device, left running; returns once
 *	every device has echoed PROGRESS_PKTS packets.  Exits without the
 *	helpers' exit handlers, which would unload the echo driver.
 *
 * kexec_lane verify capture|kexeced
 *	In the kernel the lane started (kdump's capture kernel, or the kernel
 *	`kexec -e` started), TAP:
 *	 - the host record: the old kernel's connection was ended by one
 *	   UNLOAD answered as it was posted with interrupts off (the crash
 *	   path), none by the work item, nothing held, no contact refused;
 *	 - a strict host takes this kernel's INITIATE_CONTACT at 5.3: the
 *	   devices come back and an echo run on each is clean;
 *	 - capture only: /proc/vmcore is an ELF file that reads whole;
 *	 - the control: a connection left without an answered UNLOAD (the
 *	   host's unload_respond 0) stays held across a reload of the
 *	   simulator, the strict host refuses the next contact, and a lenient
 *	   one drops the old connection and connects.  This shows that the
 *	   record check above can fail.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vmbus_util.h"

#define BULK_CMD	"bulk 100000000 16 4096"
#define SHORT_CMD	"bulk 500 16 4096"
#define VMCORE		"/proc/vmcore"

enum {
	DEVICES		= 2,
	NSUB		= 1,
	NCHANS		= DEVICES * (NSUB + 1),
	PROGRESS_PKTS	= 300,
	PROGRESS_MS	= 60000,
	SHORT_MS	= 60000,
	VMCORE_CHUNK	= 1 << 20,
};

static const char *const instances[DEVICES] = {
	"5e3a9c10-7d2b-4f0e-9a61-3c8d2b6e0001",
	"5e3a9c10-7d2b-4f0e-9a61-3c8d2b6e0002",
};

static bool sim_stat(const char *file, const char *name, uint64_t *v)
{
	struct vm_stats st;

	return !vm_stats_load(VM_SIM, file, &st) && vm_stat_get(&st, name, v);
}

/* Field @name of the host record equals @want. */
static bool record_is(const char *name, uint64_t want)
{
	char what[64];
	uint64_t v = 0;

	snprintf(what, sizeof(what), "host_record %s", name);
	return sim_stat("host_record", name, &v) && vm_expect_eq(what, want, v);
}

/* One channel on every CPU, in relid order, round-robin. */
static bool spread_channels(void)
{
	long ncpus = sysconf(_SC_NPROCESSORS_ONLN);
	unsigned int relids[NSUB + 1], i, d, n = 0;
	int got;
	bool ok = true;

	for (d = 0; d < DEVICES; d++) {
		got = vm_chan_relids(instances[d], relids, NSUB + 1);
		if (!vm_expect(got == NSUB + 1, "device %s: %d channels, expected %d",
			       instances[d], got, NSUB + 1))
			return false;
		for (i = 0; i < NSUB + 1; i++, n++)
			ok &= vm_chan_set_cpu_expect(instances[d], relids[i], n % ncpus);
	}
	ksft_print_msg("%u channels on %ld CPUs\n", n, ncpus);
	return ok;
}

static bool all_progressing(void *arg)
{
	struct vm_echo_result r;
	unsigned int d;

	(void)arg;
	for (d = 0; d < DEVICES; d++)
		if (!vm_echo_result_exists(instances[d]) ||
		    vm_echo_result_load(instances[d], &r) ||
		    r.total.received < PROGRESS_PKTS)
			return false;
	return true;
}

static int arm(void)
{
	unsigned int d;
	bool ok;

	vm_modprobe("vmbus_sim", VM_MODPROBE_MS);
	ok = !vm_sim_set("strict_contact", "1") && !vm_sim_set("unload_respond", "1") &&
	     vm_echo_load(instances, DEVICES, NSUB) && spread_channels();
	for (d = 0; ok && d < DEVICES; d++)
		ok = vm_echo_run_start(instances[d], BULK_CMD) > 0;
	ok = ok && vm_wait_until(all_progressing, NULL, PROGRESS_MS,
				 "%d echoes on every device", PROGRESS_PKTS);
	ksft_print_msg("armed: %s\n", ok ? "echo traffic on every channel" : "FAILED");
	fflush(stdout);
	fflush(stderr);
	/* Not exit(): its handlers would unload the echo driver. */
	_exit(ok ? 0 : 1);
}

/* What the old kernel left: one UNLOAD, answered on its post. */
static bool record_after_lane(void)
{
	char *text = NULL;
	bool ok = true;

	if (!vm_read(VM_SIM, "host_record", &text))
		ksft_print_msg("host_record:\n%s", text);
	free(text);
	ok &= record_is("held", 0);
	ok &= record_is("connects", 1);
	ok &= record_is("unloads_atomic", 1);
	ok &= record_is("unloads", 0);
	ok &= record_is("loads", 2);
	ok &= record_is("refused", 0);
	ok &= record_is("inherited", 0);
	return ok;
}

static bool strict_connect(void)
{
	uint64_t refused = 1;
	struct vm_echo_result r;
	char *text = NULL;
	unsigned int d;
	bool ok;

	ok = !vm_sim_set("strict_contact", "1") && vm_echo_load(instances, DEVICES, NSUB);
	ok &= sim_stat("stats", "contacts_refused_strict", &refused) &&
	      vm_expect_eq("contacts_refused_strict", 0, refused);
	vm_read(VM_GUEST, "stats", &text);
	ok &= vm_expect(text && !strncmp(text, "version 0x50003\n", 16),
			"hv_vmbus/stats: '%.20s', expected version 0x50003",
			text ? text : "(unreadable)");
	free(text);
	for (d = 0; ok && d < DEVICES; d++)
		ok = !vm_echo_run(instances[d], SHORT_CMD, SHORT_MS) &&
		     !vm_echo_result_load(instances[d], &r) && vm_echo_expect_clean(&r, 500);
	return ok;
}

static bool vmcore_reads(void)
{
	static char buf[VMCORE_CHUNK];
	uint64_t total = 0, t0 = vm_now_ms(), ms;
	struct stat st;
	ssize_t n;
	int fd;

	fd = open(VMCORE, O_RDONLY);
	if (!vm_expect(fd >= 0, "open %s: %s", VMCORE, strerror(errno)))
		return false;
	if (!vm_expect(!fstat(fd, &st) && st.st_size > 0, "%s: no size", VMCORE)) {
		close(fd);
		return false;
	}
	while ((n = read(fd, buf, sizeof(buf))) > 0) {
		if (!total && !vm_expect(n >= 4 && !memcmp(buf, "\177ELF", 4),
					 "%s does not start with an ELF header", VMCORE)) {
			close(fd);
			return false;
		}
		total += n;
	}
	close(fd);
	ms = vm_now_ms() - t0;
	if (!vm_expect(n == 0, "reading %s at %" PRIu64 ": %s", VMCORE, total,
		       strerror(errno)))
		return false;
	ksft_print_msg("%s: %" PRIu64 " bytes read in %" PRIu64 " ms\n", VMCORE, total, ms);
	return vm_expect_eq("bytes read from " VMCORE, st.st_size, total);
}

/* No answered UNLOAD: the record keeps the connection across a reload. */
static bool control(void)
{
	uint64_t refused = 0;
	bool ok;
	int err;

	if (!vm_echo_unload() || vm_sim_set("unload_respond", "0") || !vm_guest_unload() ||
	    !vm_rmmod_expect("vmbus_sim") || !vm_modprobe_expect("vmbus_sim", VM_MODPROBE_MS))
		return false;
	ok = record_is("held", 1) && record_is("inherited", 1);
	if (vm_sim_set("strict_contact", "1"))
		return false;
	err = vm_modprobe("hv_vmbus", VM_MODPROBE_MS);
	ok &= vm_expect(err != 0, "modprobe hv_vmbus against a strict host holding an "
			"earlier kernel's connection succeeded");
	/* The guest tries every version it knows; each one is refused. */
	ok &= sim_stat("stats", "contacts_refused_strict", &refused) &&
	      vm_expect_ge("contacts_refused_strict", 1, refused) &&
	      record_is("refused", refused);
	if (vm_module_loaded("hv_vmbus"))
		vm_guest_unload();
	if (vm_sim_set("strict_contact", "0"))
		return false;
	ok &= vm_guest_load(VM_MODPROBE_MS) && record_is("held", 1) &&
	      record_is("inherited", 0) && record_is("connects", 3);
	ok &= vm_guest_unload() && record_is("held", 0) && record_is("unloads", 1);
	return ok;
}

static int verify(const char *mode)
{
	bool capture = !strcmp(mode, "capture");

	ksft_print_header();
	ksft_set_plan(capture ? 4 : 3);
	vm_modprobe("vmbus_sim", VM_MODPROBE_MS);
	ksft_test_result(record_after_lane(), "%s: the host record shows one UNLOAD answered "
			 "on the crash path and no connection held\n", mode);
	ksft_test_result(strict_connect(), "%s: the strict host takes the new contact at 5.3; "
			 "echo clean on every device\n", mode);
	if (capture)
		ksft_test_result(vmcore_reads(), "capture: %s is an ELF core that reads whole\n",
				 VMCORE);
	ksft_test_result(control(), "%s: control: without an answered UNLOAD the record "
			 "holds the connection and the strict host refuses\n", mode);
	/* init's end step loads both again. */
	if (vm_module_loaded("vmbus_echo_drv"))
		vm_echo_unload();
	if (vm_module_loaded("hv_vmbus"))
		vm_guest_unload();
	vm_test_finished();
}

int main(int argc, char **argv)
{
	if (argc == 2 && !strcmp(argv[1], "arm"))
		return arm();
	if (argc == 3 && !strcmp(argv[1], "verify") &&
	    (!strcmp(argv[2], "capture") || !strcmp(argv[2], "kexeced")))
		return verify(argv[2]);
	fprintf(stderr, "usage: %s arm | verify capture|kexeced\n", argv[0]);
	return 2;
}
