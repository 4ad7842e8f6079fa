// SPDX-License-Identifier: GPL-2.0
/*
 * hvsock_bench_test: the distribution's hv_sock on our bus, measured
 * against AF_UNIX stream sockets in the same guest and the same run, and
 * checked while it is measured.
 *
 * Two figures for each:
 *   mbps          one connection, N MiB sent and the same N MiB read back
 *                 concurrently (one poll loop, writes and reads of at most
 *                 CHUNK bytes), from the first write to the last byte
 *                 back: bytes each way per second, in MB/s (10^6 bytes).
 *                 hv_sock: the simulated host's echo service (port 7);
 *                 AF_UNIX: a socketpair whose other end a child process
 *                 echoes with reads and writes of the same size;
 *   connect_us    K connect() calls, each on a fresh socket, closed
 *                 again: the median, 90th percentile (nearest rank) and
 *                 mean time in connect(), in microseconds.  hv_sock: to
 *                 the echo service, the host left to end each connection
 *                 before the next connect (not timed); AF_UNIX: to a
 *                 listener on an abstract address, accepted by a child.
 * Both streams are the same pseudo-random words with a running checksum
 * on either side, so the checks cost both the same.
 *
 * Speed is never asserted here: each side's figures go to the log as a
 * `BENCH <hvsock|unix> name=value ...` line, and `make bench-hvsock`
 * (qemu/bench-hvsock.sh) runs this program alone with more data and more
 * connects and prints the ratios.  What is checked: every transfer comes
 * back whole with equal checksums, ends in EOF, the host counted N MiB in
 * and out, every connect succeeded and the host counted each, no hv_sock
 * connection is left open, and neither the host's hv_sock service nor its
 * protocol checks saw a guest error.  Parameters (kernel command line or
 * environment): vmbus_hvsock_bench_mb (N, default 8),
 * vmbus_hvsock_bench_connects (K, default 50).
 *
 * Sim: hvsock (counters), stats (guest_errors).
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <linux/vm_sockets.h>

#include "hvsock_util.h"
#include "vmbus_util.h"

enum {
	CHUNK			= 16384,
	MB_DEFAULT		= 8,
	MB_MAX			= 1024,
	CONNECTS_DEFAULT	= 50,
	CONNECTS_MAX		= 10000,
};

/* The AF_UNIX listener's abstract name (no file in the guest). */
#define UNIX_NAME "vmbus_hvsock_bench"

/* One side's figures; @stream / @connect say which were measured. */
struct side {
	const char *name;	/* in the BENCH line */
	bool stream, connect;
	double mbps;
	double us_median, us_p90, us_mean;
};

static struct side hvsock = { .name = "hvsock" };
static struct side unixs = { .name = "unix" };
static unsigned int bench_mb, connects;
static uint64_t *lat_ns;

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/*
 * A running checksum of a byte stream fed in pieces of any length, one
 * multiply per 8-byte word (so that it does not dominate the time under
 * TCG); bytes left over wait in @tail for the next piece.
 */
struct csum {
	uint64_t h, tail;
	unsigned int ntail;
};

static void csum_word(struct csum *c, uint64_t w)
{
	c->h = (c->h ^ w) * 0x100000001b3ULL;
	c->h ^= c->h >> 29;
}

static void csum_feed(struct csum *c, const unsigned char *p, size_t n)
{
	uint64_t w;

	while (c->ntail && n) {
		c->tail |= (uint64_t)*p++ << (8 * c->ntail);
		n--;
		if (++c->ntail == 8) {
			csum_word(c, c->tail);
			c->tail = 0;
			c->ntail = 0;
		}
	}
	for (; n >= 8; p += 8, n -= 8) {
		memcpy(&w, p, 8);
		csum_word(c, w);
	}
	while (n--) {
		c->tail |= (uint64_t)*p++ << (8 * c->ntail);
		c->ntail++;
	}
}

/* The sum of the whole stream (a partial last word counts with its length). */
static uint64_t csum_end(struct csum *c)
{
	if (c->ntail)
		csum_word(c, c->tail ^ ((uint64_t)c->ntail << 56));
	return c->h;
}

/* @n bytes (a multiple of 8) of the stream that @seed continues. */
static void fill(uint64_t *w, size_t n, uint64_t *seed)
{
	size_t i;

	for (i = 0; i < n / 8; i++) {
		*seed = *seed * 6364136223846793005ULL + 1442695040888963407ULL;
		w[i] = *seed ^ (*seed >> 31);
	}
}

/*
 * @total bytes out through @fd and as many back, poll-driven, every wait
 * bounded by HVS_IO_MS; then SHUT_WR and EOF.  *@secs: from before the
 * first write until the last byte came back.
 */
static bool echo_run(const char *what, int fd, size_t total, double *secs)
{
	static uint64_t out[CHUNK / 8];
	static unsigned char in[CHUNK];
	struct csum cs = { 0 }, cr = { 0 };
	uint64_t seed = total, t0, t1 = 0, hs, hr;
	size_t sent = 0, got = 0, pend = 0, off = 0;
	bool eof = false;
	ssize_t n;

	if (fcntl(fd, F_SETFL, O_NONBLOCK))
		return vm_expect(false, "%s: O_NONBLOCK: %s", what, strerror(errno));
	t0 = now_ns();
	while (!eof) {
		struct pollfd p = { .fd = fd, .events = POLLIN };

		if (sent < total || pend)
			p.events |= POLLOUT;
		n = poll(&p, 1, HVS_IO_MS);
		if (n <= 0)
			return vm_expect(false, "%s: stuck at %zu sent, %zu received of %zu", what,
					 sent, got, total);
		if ((p.revents & POLLOUT) && (sent < total || pend)) {
			if (!pend) {
				pend = total - sent < CHUNK ? total - sent : CHUNK;
				fill(out, pend, &seed);
				csum_feed(&cs, (unsigned char *)out, pend);
				off = 0;
			}
			n = write(fd, (unsigned char *)out + off, pend);
			if (n < 0 && errno != EAGAIN)
				return vm_expect(false, "%s: write: %s", what, strerror(errno));
			if (n > 0) {
				off += n;
				pend -= n;
				sent += n;
				if (!pend && sent == total && shutdown(fd, SHUT_WR))
					return vm_expect(false, "%s: shutdown: %s", what,
							 strerror(errno));
			}
		}
		if (p.revents & (POLLIN | POLLHUP | POLLERR)) {
			n = read(fd, in, sizeof(in));
			if (n < 0 && errno != EAGAIN)
				return vm_expect(false, "%s: read after %zu bytes: %s", what, got,
						 strerror(errno));
			if (n == 0)
				eof = true;
			if (n > 0) {
				csum_feed(&cr, in, n);
				got += n;
				if (got >= total && !t1)
					t1 = now_ns();
			}
		}
	}
	*secs = t1 > t0 ? (t1 - t0) / 1e9 : 0;
	if (!vm_expect(got == total && sent == total, "%s: %zu bytes back before EOF, %zu sent",
		       what, got, sent))
		return false;
	hs = csum_end(&cs);
	hr = csum_end(&cr);
	return vm_expect(hs == hr, "%s: checksums: sent %016llx, received %016llx", what,
			 (unsigned long long)hs, (unsigned long long)hr) &&
	       vm_expect(*secs > 0, "%s: no time measured", what);
}

static bool hvs_counters(uint64_t *in, uint64_t *out, uint64_t *total, uint64_t *errors)
{
	return !hvs_counter("bytes_in", in) && !hvs_counter("bytes_out", out) &&
	       !hvs_counter("total", total) && !hvs_counter("errors", errors);
}

static void report_stream(const struct side *s, double secs)
{
	ksft_print_msg("%s stream: %u MiB each way in %.3f s: %.1f MB/s\n", s->name, bench_mb,
		       secs, s->mbps);
}

/* N MiB through the host's echo service; the host counted every byte. */
static bool hvsock_stream(void)
{
	size_t total = (size_t)bench_mb << 20;
	uint64_t in0, out0, tot0, err0, in1, out1, tot1, err1;
	double secs = 0;
	int fd, err;
	bool ok;

	if (!vm_expect(hvs_counters(&in0, &out0, &tot0, &err0), "reading vmbus_sim/hvsock"))
		return false;
	fd = hvs_connect(HVS_PORT_ECHO, &err);
	if (fd < 0)
		return vm_expect(false, "connect to echo: %s", strerror(err));
	ok = echo_run("hv_sock echo", fd, total, &secs);
	close(fd);
	ok &= hvs_expect_no_open("the stream");
	ok &= vm_expect(hvs_counters(&in1, &out1, &tot1, &err1), "reading vmbus_sim/hvsock") &&
	      vm_expect(in1 - in0 == total && out1 - out0 == total,
			"host counted %llu bytes in, %llu out, want %zu each",
			(unsigned long long)(in1 - in0), (unsigned long long)(out1 - out0),
			total) &&
	      vm_expect_eq("host: hv_sock connections for the stream", 1, tot1 - tot0) &&
	      vm_expect_eq("host: hv_sock errors in the stream", 0, err1 - err0);
	if (ok) {
		hvsock.mbps = total / secs / 1e6;
		hvsock.stream = true;
		report_stream(&hvsock, secs);
	}
	return ok;
}

/* A child's exit status 0 within HVS_IO_MS; killed otherwise. */
static bool child_done(pid_t pid, const char *what)
{
	uint64_t t0 = vm_now_ms();
	int status = -1;
	pid_t r;

	while ((r = waitpid(pid, &status, WNOHANG)) == 0 && vm_now_ms() - t0 < HVS_IO_MS)
		vm_sleep_ms(VM_POLL_MS);
	if (r == 0) {
		kill(pid, SIGKILL);
		waitpid(pid, &status, 0);
		return vm_expect(false, "%s: still running after %u ms", what, HVS_IO_MS);
	}
	return vm_expect(r == pid && WIFEXITED(status) && WEXITSTATUS(status) == 0,
			 "%s: status %#x", what, status);
}

/* The echoing end of the socketpair: what comes in goes back, then EOF. */
static void __attribute__((noreturn)) unix_echo(int fd)
{
	static unsigned char buf[CHUNK];
	ssize_t n, w, off;

	for (;;) {
		n = read(fd, buf, sizeof(buf));
		if (n == 0)
			_exit(shutdown(fd, SHUT_WR) ? 3 : 0);
		if (n < 0)
			_exit(1);
		for (off = 0; off < n; off += w) {
			w = write(fd, buf + off, n - off);
			if (w <= 0)
				_exit(2);
		}
	}
}

/* The same N MiB over an AF_UNIX socketpair, echoed by a child. */
static bool unix_stream(void)
{
	size_t total = (size_t)bench_mb << 20;
	double secs = 0;
	int sv[2];
	pid_t pid;
	bool ok;

	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv))
		return vm_expect(false, "socketpair: %s", strerror(errno));
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		close(sv[0]);
		unix_echo(sv[1]);
	}
	close(sv[1]);
	if (!vm_expect(pid > 0, "fork: %s", strerror(errno))) {
		close(sv[0]);
		return false;
	}
	ok = echo_run("AF_UNIX echo", sv[0], total, &secs);
	close(sv[0]);
	ok &= child_done(pid, "the AF_UNIX echo child");
	if (ok) {
		unixs.mbps = total / secs / 1e6;
		unixs.stream = true;
		report_stream(&unixs, secs);
	}
	return ok;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* Median, 90th percentile (nearest rank) and mean of lat_ns[0..n). */
static void latency_stats(struct side *s, unsigned int n)
{
	unsigned int p90 = (n * 9 + 9) / 10;
	double sum = 0;
	unsigned int i;

	qsort(lat_ns, n, sizeof(*lat_ns), cmp_u64);
	for (i = 0; i < n; i++)
		sum += lat_ns[i];
	s->us_median = (n % 2 ? lat_ns[n / 2] : (lat_ns[n / 2 - 1] + lat_ns[n / 2]) / 2.0) / 1e3;
	s->us_p90 = lat_ns[(p90 ? p90 : 1) - 1] / 1e3;
	s->us_mean = sum / n / 1e3;
	s->connect = true;
	ksft_print_msg("%s: %u connects: median %.1f us, p90 %.1f us, mean %.1f us, "
		       "min %.1f us, max %.1f us\n", s->name, n, s->us_median, s->us_p90,
		       s->us_mean, lat_ns[0] / 1e3, lat_ns[n - 1] / 1e3);
}

/*
 * K connects to the echo service, each closed at once and ended by the
 * host before the next; only connect() is timed.
 */
static bool hvsock_connects(void)
{
	struct sockaddr_vm sa = {
		.svm_family = AF_VSOCK,
		.svm_cid = VMADDR_CID_HOST,
		.svm_port = HVS_PORT_ECHO,
	};
	uint64_t in0, out0, tot0, err0, in1, out1, tot1, err1, t;
	unsigned int i;
	int fd, rc;
	bool ok;

	if (!vm_expect(hvs_counters(&in0, &out0, &tot0, &err0), "reading vmbus_sim/hvsock"))
		return false;
	for (i = 0, ok = true; ok && i < connects; i++) {
		fd = socket(AF_VSOCK, SOCK_STREAM, 0);
		ok = vm_expect(fd >= 0, "socket(AF_VSOCK): %s", strerror(errno));
		if (!ok)
			break;
		t = now_ns();
		rc = connect(fd, (struct sockaddr *)&sa, sizeof(sa));
		lat_ns[i] = now_ns() - t;
		ok = vm_expect(!rc, "connect %u to echo: %s", i, strerror(errno));
		close(fd);
		ok &= hvs_expect_no_open("a connect and close");
	}
	ok &= vm_expect(hvs_counters(&in1, &out1, &tot1, &err1), "reading vmbus_sim/hvsock") &&
	      vm_expect_eq("host: hv_sock connections", connects, tot1 - tot0) &&
	      vm_expect_eq("host: hv_sock bytes in", 0, in1 - in0) &&
	      vm_expect_eq("host: hv_sock bytes out", 0, out1 - out0) &&
	      vm_expect_eq("host: hv_sock errors in the connects", 0, err1 - err0);
	if (ok)
		latency_stats(&hvsock, connects);
	return ok;
}

/* Accepts @n connections on @lfd and closes each. */
static void __attribute__((noreturn)) unix_acceptor(int lfd, unsigned int n)
{
	int fd;

	while (n--) {
		fd = accept(lfd, NULL, NULL);
		if (fd < 0)
			_exit(1);
		close(fd);
	}
	_exit(0);
}

/* K connects to an AF_UNIX listener whose accepts a child makes. */
static bool unix_connects(void)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	socklen_t len = offsetof(struct sockaddr_un, sun_path) + 1 + strlen(UNIX_NAME);
	unsigned int i;
	uint64_t t;
	pid_t pid;
	int lfd, fd, rc;
	bool ok;

	/* An abstract address: sun_path starts with a NUL byte. */
	memcpy(sa.sun_path + 1, UNIX_NAME, strlen(UNIX_NAME));
	lfd = socket(AF_UNIX, SOCK_STREAM, 0);
	rc = lfd < 0 || bind(lfd, (struct sockaddr *)&sa, len) || listen(lfd, 64);
	if (!vm_expect(!rc, "AF_UNIX listener: %s", strerror(errno))) {
		if (lfd >= 0)
			close(lfd);
		return false;
	}
	fflush(stdout);
	pid = fork();
	if (pid == 0)
		unix_acceptor(lfd, connects);
	close(lfd);
	if (!vm_expect(pid > 0, "fork: %s", strerror(errno)))
		return false;
	for (i = 0, ok = true; ok && i < connects; i++) {
		fd = socket(AF_UNIX, SOCK_STREAM, 0);
		ok = vm_expect(fd >= 0, "socket(AF_UNIX): %s", strerror(errno));
		if (!ok)
			break;
		t = now_ns();
		rc = connect(fd, (struct sockaddr *)&sa, len);
		lat_ns[i] = now_ns() - t;
		ok = vm_expect(!rc, "AF_UNIX connect %u: %s", i, strerror(errno));
		close(fd);
	}
	if (!ok)
		kill(pid, SIGKILL);
	ok &= child_done(pid, "the AF_UNIX acceptor");
	if (ok)
		latency_stats(&unixs, connects);
	return ok;
}

/* No connection left open, no error on the host's side. */
static bool host_clean(uint64_t guest_errors0)
{
	uint64_t errors = 1;
	struct vm_stats st;

	return hvs_expect_no_open("the benchmark") &&
	       vm_expect(!vm_stats_load(VM_SIM, "stats", &st) &&
			 vm_stat_get(&st, "guest_errors", &errors), "reading vmbus_sim/stats") &&
	       vm_expect_eq("host: guest protocol errors in the benchmark", 0,
			    errors - guest_errors0);
}

static void bench_line(const struct side *s)
{
	if (s->stream && s->connect)
		ksft_print_msg("BENCH %s mb=%u connects=%u mbps=%.1f connect_us_median=%.1f "
			       "connect_us_p90=%.1f connect_us_mean=%.1f\n", s->name, bench_mb,
			       connects, s->mbps, s->us_median, s->us_p90, s->us_mean);
}

int main(void)
{
	uint64_t guest_errors0 = 0;
	struct vm_stats st;
	bool loaded;

	ksft_print_header();
	vm_setup();
	bench_mb = vm_param_u64("vmbus_hvsock_bench_mb", MB_DEFAULT);
	if (!bench_mb || bench_mb > MB_MAX)
		bench_mb = MB_DEFAULT;
	connects = vm_param_u64("vmbus_hvsock_bench_connects", CONNECTS_DEFAULT);
	if (!connects || connects > CONNECTS_MAX)
		connects = CONNECTS_DEFAULT;
	lat_ns = calloc(connects, sizeof(*lat_ns));
	if (!lat_ns)
		ksft_exit_fail_msg("no memory for %u latencies\n", connects);
	ksft_set_plan(7);
	loaded = vm_expect(!vm_stats_load(VM_SIM, "stats", &st) &&
			   vm_stat_get(&st, "guest_errors", &guest_errors0),
			   "reading vmbus_sim/stats") &&
		 vm_guest_load(VM_MODPROBE_MS) && vm_modprobe_expect("hv_sock", VM_MODPROBE_MS);
	ksft_test_result(loaded, "hvsock_bench_setup: hv_vmbus and hv_sock loaded\n");
	if (!loaded)
		ksft_exit_fail_msg("no hv_sock\n");
	ksft_test_result(hvsock_stream(), "hvsock_bench_stream: %u MiB each way through the "
			 "host's echo service, checksums equal, counted by the host\n", bench_mb);
	ksft_test_result(unix_stream(), "hvsock_bench_unix_stream: the same over an AF_UNIX "
			 "socketpair echoed by a child\n");
	ksft_test_result(hvsock_connects(), "hvsock_bench_connect: %u connects to the echo "
			 "service, each ended by the host\n", connects);
	ksft_test_result(unix_connects(), "hvsock_bench_unix_connect: %u connects to an "
			 "AF_UNIX listener\n", connects);
	bench_line(&hvsock);
	bench_line(&unixs);
	ksft_test_result(host_clean(guest_errors0), "hvsock_bench_host: no connection left "
			 "open, no guest protocol error\n");
	ksft_test_result(vm_rmmod_expect("hv_sock") && vm_teardown(),
			 "hvsock_bench_teardown: hv_sock and hv_vmbus unloaded\n");
	free(lat_ns);
	vm_test_finished();
}
