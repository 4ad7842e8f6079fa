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
 * - The host connects to a guest listener.
 * - A hibernation cycle (pm_test `core`) with a connection open: the
 *   connection does not survive it (hv_sock's channels are not offered
 *   again; the socket reads EOF or a reset), the cycle does not hang, and
 *   a new connection works after the resume.  Skipped without pm_test.
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
#include <linux/vm_sockets.h>

#include "resume_util.h"

enum {
	PORT_REFUSE	= 1,
	PORT_ECHO	= 7,
	PORT_SOURCE	= 19,
	PORT_LISTEN	= 5000,
	CHUNK		= 16384,
	ECHO_BYTES	= 64 << 20,
	CYCLES		= 1000,
	CYCLE_BYTES	= 4096,
	SOURCE_BEFORE	= 1 << 20,
	IO_MS		= 120000,
	CLOSE_MS	= 15000,
};

/* FNV-1a, 64 bits, over a stream fed in pieces. */
static uint64_t fnv(uint64_t h, const unsigned char *p, size_t n)
{
	while (n--) {
		h ^= *p++;
		h *= 0x100000001b3ULL;
	}
	return h;
}

#define FNV_INIT 0xcbf29ce484222325ULL

/* The source service's stream: vmbus-sim.rst, "Hyper-V sockets". */
struct pattern {
	uint32_t word;
	unsigned int used;	/* bytes of @word already matched, 0..4 */
};

static uint32_t hvsock_pattern(uint32_t word)
{
	return word * 1664525u + 1013904223u;
}

/* Checks @n bytes against the stream; returns the offset of a mismatch or -1. */
static long pattern_check(struct pattern *pt, const unsigned char *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (!pt->used || pt->used == 4) {
			pt->word = hvsock_pattern(pt->word);
			pt->used = 0;
		}
		if (p[i] != ((pt->word >> (8 * pt->used)) & 0xff))
			return i;
		pt->used++;
	}
	return -1;
}

static int hvs_counter(const char *name, uint64_t *value)
{
	struct vm_stats st;

	if (vm_stats_load(VM_SIM, "hvsock", &st))
		return -EIO;
	return vm_stat_get(&st, name, value) ? 0 : -ENOENT;
}

static bool no_open(void *arg)
{
	uint64_t open = 1;

	(void)arg;
	return !hvs_counter("open", &open) && open == 0;
}

static bool expect_no_open(const char *what)
{
	return vm_wait_until(no_open, NULL, CLOSE_MS,
			     "host: no open hv_sock connection after %s", what);
}

static int hvs_connect(unsigned int port, int *err)
{
	struct sockaddr_vm sa = {
		.svm_family = AF_VSOCK,
		.svm_cid = VMADDR_CID_HOST,
		.svm_port = port,
	};
	int fd = socket(AF_VSOCK, SOCK_STREAM, 0);

	*err = 0;
	if (fd < 0) {
		*err = errno;
		ksft_print_msg("socket(AF_VSOCK): %s\n", strerror(errno));
		return -1;
	}
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		*err = errno;
		close(fd);
		return -1;
	}
	return fd;
}

static void fill(unsigned char *buf, size_t n, uint64_t *seed)
{
	size_t i;

	for (i = 0; i < n; i++) {
		*seed = *seed * 6364136223846793005ULL + 1442695040888963407ULL;
		buf[i] = *seed >> 56;
	}
}

/*
 * Send @total bytes and read back as many (then EOF if @fin), checksums
 * of both streams compared; poll-driven, every wait bounded by IO_MS.
 */
static bool echo_transfer(int fd, size_t total, bool fin)
{
	static unsigned char out[CHUNK], in[CHUNK];
	uint64_t hs = FNV_INIT, hr = FNV_INIT, seed = total;
	size_t sent = 0, got = 0, pend = 0, off = 0;
	bool eof = false;
	ssize_t n;

	if (fcntl(fd, F_SETFL, O_NONBLOCK))
		return vm_expect(false, "O_NONBLOCK: %s", strerror(errno));
	while (got < total || (fin && !eof)) {
		struct pollfd p = { .fd = fd, .events = POLLIN };

		if (sent < total || pend)
			p.events |= POLLOUT;
		n = poll(&p, 1, IO_MS);
		if (n <= 0)
			return vm_expect(false, "echo: stuck at %zu sent, %zu received of %zu",
					 sent, got, total);
		if ((p.revents & POLLOUT) && (sent < total || pend)) {
			if (!pend) {
				pend = total - sent < CHUNK ? total - sent : CHUNK;
				fill(out, pend, &seed);
				hs = fnv(hs, out, pend);
				off = 0;
			}
			n = write(fd, out + off, pend);
			if (n < 0 && errno != EAGAIN)
				return vm_expect(false, "echo: write: %s", strerror(errno));
			if (n > 0) {
				off += n;
				pend -= n;
				sent += n;
				if (!pend && sent == total && fin && shutdown(fd, SHUT_WR))
					return vm_expect(false, "shutdown: %s", strerror(errno));
			}
		}
		if (p.revents & (POLLIN | POLLHUP | POLLERR)) {
			n = read(fd, in, sizeof(in));
			if (n < 0 && errno != EAGAIN)
				return vm_expect(false, "echo: read: %s", strerror(errno));
			if (n == 0) {
				eof = true;
				if (got < total)
					return vm_expect(false, "echo: EOF after %zu of %zu",
							 got, total);
			}
			if (n > 0) {
				hr = fnv(hr, in, n);
				got += n;
			}
		}
	}
	if (got != total)
		return vm_expect(false, "echo: %zu bytes back, %zu sent", got, total);
	return vm_expect(hs == hr, "echo checksums: sent %016llx, received %016llx",
			 (unsigned long long)hs, (unsigned long long)hr);
}

static bool test_refuse(void)
{
	uint64_t before = 0, after = 0, t0;
	int fd, err;
	bool ok;

	if (hvs_counter("refused", &before))
		return false;
	t0 = vm_now_ms();
	fd = hvs_connect(PORT_REFUSE, &err);
	ksft_print_msg("connect to refusing port %u: %s after %llu ms\n", PORT_REFUSE,
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
	uint64_t in0 = 0, out0 = 0, in1 = 0, out1 = 0, t0 = vm_now_ms();
	int fd, err;
	bool ok;

	if (hvs_counter("bytes_in", &in0) || hvs_counter("bytes_out", &out0))
		return false;
	fd = hvs_connect(PORT_ECHO, &err);
	if (fd < 0)
		return vm_expect(false, "connect to echo: %s", strerror(err));
	ok = echo_transfer(fd, ECHO_BYTES, true);
	close(fd);
	ksft_print_msg("echo: %d MiB each way in %llu ms\n", ECHO_BYTES >> 20,
		       (unsigned long long)(vm_now_ms() - t0));
	ok &= expect_no_open("the 64 MiB echo");
	ok &= !hvs_counter("bytes_in", &in1) && !hvs_counter("bytes_out", &out1);
	ok &= vm_expect(in1 - in0 == ECHO_BYTES && out1 - out0 == ECHO_BYTES,
			"host counted %llu in, %llu out",
			(unsigned long long)(in1 - in0), (unsigned long long)(out1 - out0));
	return ok;
}

/* The guest closes first; the rescind that follows must complete. */
static bool test_guest_close_first(void)
{
	int fd, err;
	bool ok;

	fd = hvs_connect(PORT_ECHO, &err);
	if (fd < 0)
		return vm_expect(false, "connect to echo: %s", strerror(err));
	ok = echo_transfer(fd, CYCLE_BYTES, false);
	close(fd);
	ok &= expect_no_open("the guest closed first");
	/* offer_wq still runs: a new connection is probed. */
	fd = hvs_connect(PORT_ECHO, &err);
	ok &= vm_expect(fd >= 0, "connect after the guest's close: %s",
			fd < 0 ? strerror(err) : "ok");
	if (fd >= 0) {
		ok &= echo_transfer(fd, CYCLE_BYTES, true);
		close(fd);
	}
	ok &= expect_no_open("the second connection");
	return ok;
}

static bool test_host_close_midstream(void)
{
	static unsigned char buf[CHUNK];
	struct pattern pt = { 0 };
	size_t got = 0;
	bool closed = false;
	uint64_t t0;
	ssize_t n;
	long bad;
	int fd, err;
	struct timeval tv = { .tv_sec = IO_MS / 1000 };

	fd = hvs_connect(PORT_SOURCE, &err);
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
		bad = pattern_check(&pt, buf, n);
		if (bad >= 0) {
			close(fd);
			return vm_expect(false, "source: byte %zu differs from the pattern",
					 got + bad);
		}
		got += n;
		if (!closed && got >= SOURCE_BEFORE) {
			if (vm_write(VM_SIM, "hvsock", "close %u", PORT_SOURCE)) {
				close(fd);
				return false;
			}
			closed = true;
		}
		if (vm_now_ms() - t0 > IO_MS) {
			close(fd);
			return vm_expect(false, "source: no EOF %u ms after the host's close",
					 IO_MS);
		}
	}
	ksft_print_msg("source: %zu bytes, then %s\n", got,
		       n ? "ECONNRESET" : "EOF");
	close(fd);
	return vm_expect(closed, "EOF only after the host's close") &
	       expect_no_open("the host closed mid-stream");
}

static bool one_cycle(unsigned int i)
{
	int fd, err;
	bool ok;

	fd = hvs_connect(PORT_ECHO, &err);
	if (fd < 0)
		return vm_expect(false, "cycle %u: connect: %s", i, strerror(err));
	ok = echo_transfer(fd, CYCLE_BYTES, false);
	if (i % 2) {
		char c;

		/* The host closes first: the guest reads EOF. */
		ok &= !vm_write(VM_SIM, "hvsock", "close %u", PORT_ECHO);
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
	ok &= expect_no_open("the cycles");
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
	fd = hvs_connect(PORT_ECHO, &err);
	if (fd < 0)
		return vm_expect(false, "connect to echo: %s", strerror(err)) ? VM_PASS : VM_FAIL;
	ok = echo_transfer(fd, CYCLE_BYTES, false);
	ok &= rs_hibernate(&ms);
	ksft_print_msg("hibernation cycle with a connection open: %llu ms\n",
		       (unsigned long long)ms);
	p.fd = fd;
	p.events = POLLIN;
	ok &= vm_expect(poll(&p, 1, CLOSE_MS) == 1, "no EOF or reset on the old connection "
			"within %u ms of the resume", CLOSE_MS);
	ok &= vm_expect(read(fd, &c, 1) <= 0, "the old connection still delivers data");
	close(fd);
	ok &= expect_no_open("the hibernation cycle");
	fd = hvs_connect(PORT_ECHO, &err);
	ok &= vm_expect(fd >= 0, "connect after the resume: %s", fd < 0 ? strerror(err) : "ok");
	if (fd >= 0) {
		ok &= echo_transfer(fd, CYCLE_BYTES, true);
		close(fd);
	}
	ok &= expect_no_open("the connection after the resume");
	return ok ? VM_PASS : VM_FAIL;
}

static bool test_host_connects(void)
{
	struct sockaddr_vm sa = {
		.svm_family = AF_VSOCK,
		.svm_cid = VMADDR_CID_ANY,
		.svm_port = PORT_LISTEN,
	};
	struct pollfd p;
	int lfd, fd;
	bool ok;

	lfd = socket(AF_VSOCK, SOCK_STREAM, 0);
	if (lfd < 0 || bind(lfd, (struct sockaddr *)&sa, sizeof(sa)) ||
	    listen(lfd, 1)) {
		ok = vm_expect(false, "listen on port %u: %s", PORT_LISTEN, strerror(errno));
		goto out;
	}
	if (vm_write(VM_SIM, "hvsock", "connect %u echo", PORT_LISTEN)) {
		ok = false;
		goto out;
	}
	p = (struct pollfd){ .fd = lfd, .events = POLLIN };
	if (poll(&p, 1, IO_MS) != 1) {
		ok = vm_expect(false, "no connection from the host in %u ms", IO_MS);
		goto out;
	}
	fd = accept(lfd, NULL, NULL);
	if (fd < 0) {
		ok = vm_expect(false, "accept: %s", strerror(errno));
		goto out;
	}
	ok = echo_transfer(fd, 1 << 20, true);
	close(fd);
	ok &= expect_no_open("the host's connection");
out:
	if (lfd >= 0)
		close(lfd);
	return ok;
}

int main(void)
{
	bool loaded;

	ksft_print_header();
	vm_setup();
	cycles = vm_param_u64("vmbus_hvsock_cycles", CYCLES);
	ksft_set_plan(9);
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
	ksft_test_result(test_host_connects(), "host connects to a guest listener\n");
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
	ksft_test_result(vm_rmmod_expect("hv_sock") && vm_teardown(),
			 "teardown: hv_sock and hv_vmbus unloaded\n");
	ksft_finished();
}
