// SPDX-License-Identifier: GPL-2.0
/*
 * hvsock_test: the distribution's unmodified hv_sock on our hv_vmbus,
 * against the simulated host's Hyper-V socket services
 * (Documentation/virt/hyperv/vmbus-sim.rst, "Hyper-V sockets"): echo on
 * port 7, sink on 9, source on 19, refuse on 1.
 *
 * - A connect to a refusing service fails at once with ECONNREFUSED
 *   (the host's TL_CONNECT_RESULT), not after the socket's connect timeout.
 * - 64 MiB each way through the echo service, the checksums equal, the
 *   host's byte counts equal.
 * - The guest closes first: the host rescinds, and the guest releases the
 *   relid (hv_sock drops its last socket reference in the rescind callback).
 * - The host closes mid-stream: the reader sees EOF or a reset.
 * - Connect / transfer / close cycles (vmbus_hvsock_cycles, default 1000),
 *   alternating which side closes first: the host has no open connection
 *   left, released one relid per connection and saw no guest error.
 * - The host connects to a guest listener: 64 MiB each way, as above.
 * - A hibernation cycle (pm_test `core`) with a connection open: the
 *   connection does not survive it (hv_sock's channels are not offered
 *   again; the socket reads EOF or a reset), the cycle does not hang, and
 *   a new connection works after the resume.  Skipped without pm_test.
 * - rmmod hv_sock with a connection open fails (in use: the socket holds
 *   the transport), and the connection goes on; after its close rmmod works.
 *
 * Sim files: hvsock (counters, connect, close).
 */

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <fcntl.h>
#include <sys/syscall.h>
#include <linux/vm_sockets.h>

#include "hvsock_util.h"
#include "resume_util.h"

enum {
	PORT_LISTEN	= 5000,
	CHUNK		= 16384,
	ECHO_BYTES	= 64 << 20,
	CYCLES		= 1000,
	CYCLE_BYTES	= 4096,
	SOURCE_BEFORE	= 1 << 20,
};

/* The host's byte counts grew by @n each way since @in0 and @out0. */
static bool host_counted(uint64_t in0, uint64_t out0, uint64_t n)
{
	uint64_t in1 = 0, out1 = 0;

	if (hvs_counter("bytes_in", &in1) || hvs_counter("bytes_out", &out1))
		return false;
	return vm_expect(in1 - in0 == n && out1 - out0 == n, "host counted %llu in, %llu out",
			 (unsigned long long)(in1 - in0), (unsigned long long)(out1 - out0));
}

/* A connection to echo that carried CYCLE_BYTES each way; -1 if it failed. */
static int echo_open(void)
{
	int fd, err;

	fd = hvs_connect(HVS_PORT_ECHO, &err);
	if (fd < 0) {
		vm_expect(false, "connect to echo: %s", strerror(err));
		return -1;
	}
	if (!hvs_echo_transfer(fd, CYCLE_BYTES, false)) {
		close(fd);
		return -1;
	}
	return fd;
}

static bool test_refuse(void)
{
	uint64_t before = 0, after = 0, t0;
	int fd, err;
	bool ok;

	if (hvs_counter("refused", &before))
		return false;
	t0 = vm_now_ms();
	fd = hvs_connect(HVS_PORT_REFUSE, &err);
	ksft_print_msg("connect to refusing port %u: %s after %llu ms\n", HVS_PORT_REFUSE,
		       fd < 0 ? strerror(err) : "connected",
		       (unsigned long long)(vm_now_ms() - t0));
	if (fd >= 0)
		close(fd);
	ok = vm_expect(fd < 0 && err == ECONNREFUSED,
		       "connect to a refusing service fails with ECONNREFUSED");
	ok &= !hvs_counter("refused", &after) &&
	      vm_expect(after == before + 1, "host refused %llu, want %llu",
			(unsigned long long)after, (unsigned long long)before + 1);
	return ok;
}

static bool test_echo_64m(void)
{
	uint64_t in0 = 0, out0 = 0, t0 = vm_now_ms();
	int fd, err;
	bool ok;

	if (hvs_counter("bytes_in", &in0) || hvs_counter("bytes_out", &out0))
		return false;
	fd = hvs_connect(HVS_PORT_ECHO, &err);
	if (fd < 0)
		return vm_expect(false, "connect to echo: %s", strerror(err));
	ok = hvs_echo_transfer(fd, ECHO_BYTES, true);
	close(fd);
	ksft_print_msg("echo: %d MiB each way in %llu ms\n", ECHO_BYTES >> 20,
		       (unsigned long long)(vm_now_ms() - t0));
	ok &= hvs_expect_no_open("the 64 MiB echo");
	ok &= host_counted(in0, out0, ECHO_BYTES);
	return ok;
}

/* The guest closes first; the rescind that follows must complete. */
static bool test_guest_close_first(void)
{
	int fd, err;
	bool ok;

	fd = echo_open();
	if (fd < 0)
		return false;
	close(fd);
	ok = hvs_expect_no_open("the guest closed first");
	/* offer_wq still runs: a new connection is probed. */
	fd = hvs_connect(HVS_PORT_ECHO, &err);
	ok &= vm_expect(fd >= 0, "connect after the guest's close: %s",
			fd < 0 ? strerror(err) : "ok");
	if (fd >= 0) {
		ok &= hvs_echo_transfer(fd, CYCLE_BYTES, true);
		close(fd);
	}
	ok &= hvs_expect_no_open("the second connection");
	return ok;
}

static bool test_host_close_midstream(void)
{
	static unsigned char buf[CHUNK];
	struct hvs_pattern pt = { 0 };
	size_t got = 0;
	bool closed = false;
	uint64_t t0;
	ssize_t n;
	long bad;
	int fd, err;
	struct timeval tv = { .tv_sec = HVS_IO_MS / 1000 };

	fd = hvs_connect(HVS_PORT_SOURCE, &err);
	if (fd < 0)
		return vm_expect(false, "connect to source: %s", strerror(err));
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	t0 = vm_now_ms();
	for (;;) {
		n = read(fd, buf, sizeof(buf));
		if (n == 0 || (n < 0 && errno == ECONNRESET))
			break;
		if (n < 0) {
			close(fd);
			return vm_expect(false, "source: read after %zu bytes: %s", got,
					 strerror(errno));
		}
		bad = hvs_pattern_check(&pt, buf, n);
		if (bad >= 0) {
			close(fd);
			return vm_expect(false, "source: byte %zu differs from the pattern",
					 got + bad);
		}
		got += n;
		if (!closed && got >= SOURCE_BEFORE) {
			if (vm_write(VM_SIM, "hvsock", "close %u", HVS_PORT_SOURCE)) {
				close(fd);
				return false;
			}
			closed = true;
		}
		if (vm_now_ms() - t0 > HVS_IO_MS) {
			close(fd);
			return vm_expect(false, "source: no EOF %u ms after the host's close",
					 HVS_IO_MS);
		}
	}
	ksft_print_msg("source: %zu bytes, then %s\n", got,
		       n ? "ECONNRESET" : "EOF");
	close(fd);
	return vm_expect(closed, "EOF only after the host's close") &
	       hvs_expect_no_open("the host closed mid-stream");
}

static bool one_cycle(unsigned int i)
{
	int fd, err;
	bool ok;

	fd = hvs_connect(HVS_PORT_ECHO, &err);
	if (fd < 0)
		return vm_expect(false, "cycle %u: connect: %s", i, strerror(err));
	ok = hvs_echo_transfer(fd, CYCLE_BYTES, false);
	if (i % 2) {
		char c;

		/* The host closes first: the guest reads EOF. */
		ok &= !vm_write(VM_SIM, "hvsock", "close %u", HVS_PORT_ECHO);
		ok &= vm_expect(fcntl(fd, F_SETFL, 0) == 0, "blocking mode");
		ok &= vm_expect(read(fd, &c, 1) <= 0, "cycle %u: EOF after close", i);
	}
	close(fd);
	return ok;
}

static unsigned int cycles;

static bool test_cycles(void)
{
	uint64_t total0 = 0, total1 = 0, rel0 = 0, rel1 = 0, errors = 1, t0;
	unsigned int i;
	bool ok = true;

	if (hvs_counter("total", &total0) || !rs_sim_stat("relids_released", &rel0))
		return false;
	t0 = vm_now_ms();
	for (i = 0; i < cycles && ok; i++)
		ok = one_cycle(i);
	ok &= hvs_expect_no_open("the cycles");
	ksft_print_msg("%u cycles in %llu ms\n", i, (unsigned long long)(vm_now_ms() - t0));
	ok &= !hvs_counter("total", &total1) &&
	      vm_expect(total1 - total0 == cycles, "host: %llu connections, want %u",
			(unsigned long long)(total1 - total0), cycles);
	/* Each connection's channel was rescinded and released once. */
	ok &= rs_sim_stat("relids_released", &rel1) &&
	      vm_expect_eq("relids released in the cycles", cycles, rel1 - rel0);
	ok &= rs_sim_stat("guest_errors", &errors) && vm_expect_eq("host guest_errors", 0, errors);
	return ok;
}

/* A connection open across a hibernation cycle does not survive it. */
static enum vm_verdict test_hibernate(void)
{
	const char *why;
	uint64_t ms = 0;
	struct pollfd p;
	int fd, err;
	char c;
	bool ok;

	if (!rs_hibernate_possible(&why)) {
		ksft_print_msg("%s\n", why);
		return VM_SKIP;
	}
	fd = hvs_connect(HVS_PORT_ECHO, &err);
	if (fd < 0)
		return vm_expect(false, "connect to echo: %s", strerror(err)) ? VM_PASS : VM_FAIL;
	ok = hvs_echo_transfer(fd, CYCLE_BYTES, false);
	ok &= rs_hibernate(&ms);
	ksft_print_msg("hibernation cycle with a connection open: %llu ms\n",
		       (unsigned long long)ms);
	p.fd = fd;
	p.events = POLLIN;
	ok &= vm_expect(poll(&p, 1, HVS_CLOSE_MS) == 1, "no EOF or reset on the old connection "
			"within %u ms of the resume", HVS_CLOSE_MS);
	ok &= vm_expect(read(fd, &c, 1) <= 0, "the old connection still delivers data");
	close(fd);
	ok &= hvs_expect_no_open("the hibernation cycle");
	fd = hvs_connect(HVS_PORT_ECHO, &err);
	ok &= vm_expect(fd >= 0, "connect after the resume: %s", fd < 0 ? strerror(err) : "ok");
	if (fd >= 0) {
		ok &= hvs_echo_transfer(fd, CYCLE_BYTES, true);
		close(fd);
	}
	ok &= hvs_expect_no_open("the connection after the resume");
	return ok ? VM_PASS : VM_FAIL;
}

static bool test_host_connects(void)
{
	uint64_t in0 = 0, out0 = 0, t0 = vm_now_ms();
	int fd;
	bool ok;

	if (hvs_counter("bytes_in", &in0) || hvs_counter("bytes_out", &out0))
		return false;
	fd = hvs_host_connect(PORT_LISTEN);
	if (fd < 0)
		return false;
	ok = hvs_echo_transfer(fd, ECHO_BYTES, true);
	close(fd);
	ksft_print_msg("host's connection: %d MiB each way in %llu ms\n", ECHO_BYTES >> 20,
		       (unsigned long long)(vm_now_ms() - t0));
	ok &= hvs_expect_no_open("the host's connection");
	ok &= host_counted(in0, out0, ECHO_BYTES);
	return ok;
}

/*
 * hv_sock cannot go while a socket uses it: AF_VSOCK holds a reference to
 * the transport of every connected socket, so delete_module() fails with
 * EWOULDBLOCK (the module is in use) and the connection carries on.  Once
 * it is closed, the last subtest's rmmod succeeds.
 */
static bool test_unload_busy(void)
{
	int fd, err;
	bool ok;

	fd = echo_open();
	if (fd < 0)
		return false;
	err = syscall(SYS_delete_module, "hv_sock", O_NONBLOCK) ? errno : 0;
	ok = vm_expect(err == EWOULDBLOCK,
		       "delete_module(hv_sock) with a connection open: want %s (in use), got %s",
		       strerror(EWOULDBLOCK), err ? strerror(err) : "success");
	ok &= vm_expect(vm_module_loaded("hv_sock"), "hv_sock is gone");
	ok &= hvs_echo_transfer(fd, CYCLE_BYTES, true);
	close(fd);
	return ok & hvs_expect_no_open("the connection open across the rmmod");
}

int main(void)
{
	bool loaded;

	ksft_print_header();
	vm_setup();
	cycles = vm_param_u64("vmbus_hvsock_cycles", CYCLES);
	ksft_set_plan(10);
	loaded = vm_guest_load(VM_MODPROBE_MS) &&
		 vm_modprobe_expect("hv_sock", VM_MODPROBE_MS);
	ksft_test_result(loaded, "hv_vmbus and hv_sock loaded\n");
	if (!loaded)
		ksft_exit_fail_msg("no hv_sock\n");
	ksft_test_result(test_refuse(), "connect to a refusing service: ECONNREFUSED\n");
	ksft_test_result(test_guest_close_first(),
			 "guest closes first: rescind handled, next connect works\n");
	ksft_test_result(test_echo_64m(), "echo: 64 MiB each way, checksums equal\n");
	ksft_test_result(test_host_close_midstream(),
			 "host closes mid-stream: the reader sees EOF or reset\n");
	ksft_test_result(test_cycles(), "%u connect/transfer/close cycles\n", cycles);
	ksft_test_result(test_host_connects(), "host connects to a guest listener: 64 MiB each way\n");
	switch (test_hibernate()) {
	case VM_PASS:
		ksft_test_result_pass("hibernation with a connection open: it ends, new ones work\n");
		break;
	case VM_SKIP:
		ksft_test_result_skip("hibernation with a connection open: no pm_test\n");
		break;
	default:
		ksft_test_result_fail("hibernation with a connection open: it ends, new ones work\n");
	}
	ksft_test_result(test_unload_busy(),
			 "rmmod hv_sock with a connection open: in use, the connection goes on\n");
	ksft_test_result(vm_rmmod_expect("hv_sock") && vm_teardown(),
			 "teardown: hv_sock and hv_vmbus unloaded\n");
	ksft_finished();
}
