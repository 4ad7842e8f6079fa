// SPDX-License-Identifier: GPL-2.0
/*
 * hvsock_era_test: the distribution's hv_sock on hosts of the protocol
 * versions that change what hv_sock sees (Documentation/virt/hyperv/
 * vmbus-sim.rst, "Hyper-V sockets"), hv_vmbus loaded anew for each:
 *
 * - 4.0: connects both ways work, on rings of six pages each way (the only
 *   size such a host takes; hv_sock picks it below 5.0, from the
 *   vmbus_proto_version hv_vmbus exports, and the host checks it).  The host does not answer a
 *   refused connect: the guest's connect fails with ETIMEDOUT at the
 *   socket's connect timeout (1 s here), and hv_vmbus adds no wait of its
 *   own (its tl_connect_* counters: one request, no refusal, no wait that
 *   timed out).
 * - 4.1: as 4.0, but the host refuses with TL_CONNECT_RESULT: ECONNREFUSED
 *   within hv_vmbus's wait for the answer.
 * - 5.0: larger rings (hv_sock sizes them from its socket buffers).
 * - 3.0: no Hyper-V sockets; hv_sock, which loaded at the versions above,
 *   refuses to load (it needs 4.0), and the host does not connect.
 * At each version the host saw no guest error and no connection is left.
 *
 * Sim modes: version_ceiling (each version in turn).
 * Sim files: hvsock (counters, connect), stats (guest_errors).
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>
#include <linux/vm_sockets.h>

#include "hvsock_util.h"
#include "vmbus_util.h"

enum {
	PORT_LISTEN	= 5001,
	XFER_BYTES	= 1 << 20,
	CONNECT_TIMEOUT_MS = 1000,
	/*
	 * hv_vmbus's wait for a TL_CONNECT_RESULT (VMBUS_TL_ANSWER_MS in
	 * drivers/hv/hyperv_vmbus.h): a 4.0 connect that took it would end
	 * this much after the socket's timeout, or later.
	 */
	TL_ANSWER_MS	= 1000,
	/* Six pages each way below 5.0, one of them the ring's header. */
	OLD_RING_DATA	= 5 * 4096,
};

static const struct {
	const char *version;
	bool hvsock;		/* 4.0 and later */
	bool answers;		/* TL_CONNECT_RESULT: 4.1 and later */
	bool big_rings;		/* 5.0 and later */
} eras[] = {
	{ "4.0", true, false, false },
	{ "4.1", true, true, false },
	{ "5.0", true, true, true },
	/* Last: hv_sock loaded above, so its failure here is not a missing file. */
	{ "3.0", false, false, false },
};
#define NERAS (sizeof(eras) / sizeof(eras[0]))

/* The service id hv_sock gives AF_VSOCK port @port: the device's class. */
static void service_id(unsigned int port, char *buf, size_t len)
{
	snprintf(buf, len, "%08x-facb-11e6-bd58-64006a7986d3", port);
}

/* out_write_bytes_avail of the hv_sock device for @port (one must exist). */
static bool out_ring_avail(unsigned int port, uint64_t *avail)
{
	char want[40], path[320], text[128];
	struct dirent *de;
	bool found = false;
	DIR *d;

	service_id(port, want, sizeof(want));
	d = opendir("/sys/bus/vmbus/devices");
	if (!d)
		return vm_expect(false, "/sys/bus/vmbus/devices: %s", strerror(errno));
	while (!found && (de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/sys/bus/vmbus/devices/%s/class_id", de->d_name);
		if (vm_read_text(path, text, sizeof(text)) || !strstr(text, want))
			continue;
		snprintf(path, sizeof(path), "/sys/bus/vmbus/devices/%s/out_write_bytes_avail",
			 de->d_name);
		found = !vm_read_u64(path, avail);
	}
	closedir(d);
	return vm_expect(found, "no hv_sock device of class %s with out_write_bytes_avail",
			 want);
}

/* What check_ring() waits for: the port, its era, the last reading. */
struct ring_wait {
	unsigned int era, port;
	uint64_t avail;
	bool read_ok;
};

/* The outbound ring holds nothing: all data bytes free, as the era sizes it. */
static bool ring_idle(void *arg)
{
	struct ring_wait *w = arg;

	w->read_ok = out_ring_avail(w->port, &w->avail);
	if (!w->read_ok)
		return true;
	if (eras[w->era].big_rings)
		return w->avail > OLD_RING_DATA;
	return w->avail == OLD_RING_DATA;
}

/*
 * The outbound ring of an idle connection to @port is all free: six pages
 * less the header below 5.0, more from 5.0.  The host may move its read
 * index after it has sent the echo that ended the transfer, so the
 * reading is repeated until it is all free or the deadline passes.
 */
static bool check_ring(unsigned int era, unsigned int port)
{
	struct ring_wait w = { .era = era, .port = port };
	bool idle;

	idle = vm_wait_until(ring_idle, &w, HVS_CLOSE_MS, "%s: port %u: outbound ring all free",
			     eras[era].version, port);
	if (!w.read_ok)
		return false;
	ksft_print_msg("%s: port %u: outbound ring of %llu data bytes\n", eras[era].version,
		       port, (unsigned long long)w.avail);
	if (idle)
		return true;
	if (eras[era].big_rings)
		return vm_expect(false, "%s: ring of %llu bytes, want more than %u",
				 eras[era].version, (unsigned long long)w.avail, OLD_RING_DATA);
	return vm_expect_eq("outbound ring data bytes below 5.0", OLD_RING_DATA, w.avail);
}

/* The guest connects to echo: a transfer, the ring size, the guest's close. */
static bool guest_connects(unsigned int era)
{
	int fd, err;
	bool ok;

	fd = hvs_connect(HVS_PORT_ECHO, &err);
	if (fd < 0)
		return vm_expect(false, "%s: connect to echo: %s", eras[era].version,
				 strerror(err));
	ok = hvs_echo_transfer(fd, XFER_BYTES, false);
	ok &= check_ring(era, HVS_PORT_ECHO);
	close(fd);
	return ok & hvs_expect_no_open("the guest's connection");
}

/* One of hv_vmbus/stats' TL counters, or UINT64_MAX. */
static uint64_t tl_stat(const char *name)
{
	uint64_t v = UINT64_MAX;
	struct vm_stats st;

	if (vm_stats_load(VM_GUEST, "stats", &st) || !vm_stat_get(&st, name, &v))
		ksft_print_msg("hv_vmbus/stats has no %s\n", name);
	return v;
}

/*
 * A refused connect: ECONNREFUSED (the host's answer, within hv_vmbus's
 * wait), or at 4.0 ETIMEDOUT at the socket's connect timeout, hv_vmbus
 * having posted the request without waiting for an answer.
 */
static bool refused(unsigned int era)
{
	struct sockaddr_vm sa = {
		.svm_family = AF_VSOCK,
		.svm_cid = VMADDR_CID_HOST,
		.svm_port = HVS_PORT_REFUSE,
	};
	struct timeval tv = { .tv_sec = CONNECT_TIMEOUT_MS / 1000 };
	uint64_t refused0 = 0, refused1 = 0, unans0 = 0, unans1 = 0, t0, ms;
	uint64_t req0, gref0, gwait0;
	int fd, err = 0, want;
	bool ok;

	if (hvs_counter("refused", &refused0) || hvs_counter("unanswered", &unans0))
		return false;
	req0 = tl_stat("tl_connect_requests");
	gref0 = tl_stat("tl_connect_refused");
	gwait0 = tl_stat("tl_connect_unanswered");
	fd = socket(AF_VSOCK, SOCK_STREAM, 0);
	if (fd < 0)
		return vm_expect(false, "socket(AF_VSOCK): %s", strerror(errno));
	if (setsockopt(fd, AF_VSOCK, SO_VM_SOCKETS_CONNECT_TIMEOUT, &tv, sizeof(tv))) {
		close(fd);
		return vm_expect(false, "SO_VM_SOCKETS_CONNECT_TIMEOUT: %s", strerror(errno));
	}
	t0 = vm_now_ms();
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)))
		err = errno;
	ms = vm_now_ms() - t0;
	close(fd);
	ksft_print_msg("%s: connect to refusing port %u: %s after %llu ms\n",
		       eras[era].version, HVS_PORT_REFUSE, err ? strerror(err) : "connected",
		       (unsigned long long)ms);
	want = eras[era].answers ? ECONNREFUSED : ETIMEDOUT;
	ok = vm_expect(err == want, "%s: want %s", eras[era].version, strerror(want));
	/* A wait for an answer that never comes would add VMBUS_TL_ANSWER_MS. */
	if (!eras[era].answers)
		ok &= vm_expect(ms < CONNECT_TIMEOUT_MS + TL_ANSWER_MS,
				"timed out after %llu ms: hv_vmbus waited for an answer "
				"a 4.0 host never sends", (unsigned long long)ms);
	ok &= vm_expect_eq("hv_vmbus tl_connect_requests", 1,
			   tl_stat("tl_connect_requests") - req0);
	ok &= vm_expect_eq("hv_vmbus tl_connect_refused", eras[era].answers ? 1 : 0,
			   tl_stat("tl_connect_refused") - gref0);
	ok &= vm_expect_eq("hv_vmbus tl_connect_unanswered (waits that timed out)", 0,
			   tl_stat("tl_connect_unanswered") - gwait0);
	ok &= !hvs_counter("refused", &refused1) && !hvs_counter("unanswered", &unans1);
	ok &= vm_expect_eq("host refusals", 1, refused1 - refused0);
	ok &= vm_expect_eq("host refusals left unanswered", eras[era].answers ? 0 : 1,
			   unans1 - unans0);
	return ok;
}

/* The host connects to a guest listener: a transfer and the ring size. */
static bool host_connects(unsigned int era)
{
	int fd = hvs_host_connect(PORT_LISTEN);
	bool ok;

	if (fd < 0)
		return false;
	ok = hvs_echo_transfer(fd, XFER_BYTES, false);
	ok &= check_ring(era, PORT_LISTEN);
	close(fd);
	return ok & hvs_expect_no_open("the host's connection");
}

/* Below 4.0: hv_sock does not load, and the host does not connect. */
static bool no_hvsock(unsigned int era)
{
	char path[256], cmd[32];
	bool ok;

	ok = vm_expect(vm_modprobe("hv_sock", VM_MODPROBE_MS) != 0,
		       "%s: `modprobe hv_sock` succeeded", eras[era].version);
	ok &= vm_expect(!vm_module_loaded("hv_sock"), "hv_sock is loaded at %s",
			eras[era].version);
	if (vm_path(path, sizeof(path), VM_SIM, "hvsock"))
		return false;
	snprintf(cmd, sizeof(cmd), "connect %u echo", PORT_LISTEN);
	ok &= vm_expect(vm_write_errno(path, cmd) == -EPROTONOSUPPORT,
			"%s: the host's connect: want EPROTONOSUPPORT", eras[era].version);
	return ok;
}

static bool run_era(unsigned int era)
{
	struct vm_stats st;
	bool ok;

	if (vm_sim_reset_stats() || vm_sim_set("version_ceiling", "%s", eras[era].version) ||
	    !vm_guest_load(VM_MODPROBE_MS))
		return false;
	if (!eras[era].hvsock) {
		ok = no_hvsock(era);
	} else {
		ok = vm_modprobe_expect("hv_sock", VM_MODPROBE_MS);
		ok = ok && guest_connects(era);
		ok = ok && refused(era);
		ok = ok && host_connects(era);
		ok &= vm_rmmod_expect("hv_sock");
	}
	ok &= vm_guest_unload();
	ok &= !vm_stats_load(VM_SIM, "stats", &st) &&
	      vm_expect_stat(&st, "guest_errors", 0);
	return ok;
}

int main(void)
{
	unsigned int i;

	ksft_print_header();
	vm_setup();
	ksft_set_plan(NERAS + 1);
	for (i = 0; i < NERAS; i++)
		ksft_test_result(run_era(i), "protocol %s: %s\n", eras[i].version,
				 !eras[i].hvsock ? "no hv_sock" :
				 eras[i].big_rings ? "both ways, larger rings, refusal answered" :
				 eras[i].answers ? "both ways, six-page rings, refusal answered" :
				 "both ways, six-page rings, refusal unanswered");
	ksft_test_result(vm_guest_load(VM_MODPROBE_MS) && vm_teardown(),
			 "teardown: hv_vmbus unloaded, sim restored\n");
	vm_test_finished();
}
