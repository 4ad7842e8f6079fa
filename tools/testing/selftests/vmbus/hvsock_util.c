// SPDX-License-Identifier: GPL-2.0
/*
 * hvsock_util.c: what the hv_sock tests share (hvsock_util.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <linux/vm_sockets.h>

#include "hvsock_util.h"
#include "vmbus_util.h"

enum { CHUNK = 16384 };

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
static uint32_t hvsock_pattern(uint32_t word)
{
	return word * 1664525u + 1013904223u;
}

/* Checks @n more bytes of the source stream; the offset of a mismatch, or -1. */
long hvs_pattern_check(struct hvs_pattern *pt, const unsigned char *p, size_t n)
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

/* One counter of vmbus_sim/hvsock; 0, or -EIO / -ENOENT. */
int hvs_counter(const char *name, uint64_t *value)
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

/* The host ends every connection within HVS_CLOSE_MS; @what names the step. */
bool hvs_expect_no_open(const char *what)
{
	return vm_wait_until(no_open, NULL, HVS_CLOSE_MS,
			     "host: no open hv_sock connection after %s", what);
}

/*
 * A stream connection to the host's @port: the socket, or -1 with the
 * errno of the failed call in *@err.
 */
int hvs_connect(unsigned int port, int *err)
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

/*
 * The host connects to a guest listener on @port, served by its echo
 * service: the accepted socket, or -1 (said why).
 */
int hvs_host_connect(unsigned int port)
{
	struct sockaddr_vm sa = {
		.svm_family = AF_VSOCK,
		.svm_cid = VMADDR_CID_ANY,
		.svm_port = port,
	};
	struct pollfd p;
	int lfd, fd = -1;

	lfd = socket(AF_VSOCK, SOCK_STREAM, 0);
	if (lfd < 0 || bind(lfd, (struct sockaddr *)&sa, sizeof(sa)) || listen(lfd, 1)) {
		vm_expect(false, "listen on port %u: %s", port, strerror(errno));
		goto out;
	}
	if (vm_write(VM_SIM, "hvsock", "connect %u echo", port))
		goto out;
	p = (struct pollfd){ .fd = lfd, .events = POLLIN };
	if (poll(&p, 1, HVS_IO_MS) != 1) {
		vm_expect(false, "no connection from the host in %u ms", HVS_IO_MS);
		goto out;
	}
	fd = accept(lfd, NULL, NULL);
	if (fd < 0)
		vm_expect(false, "accept: %s", strerror(errno));
out:
	if (lfd >= 0)
		close(lfd);
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
 * of both streams compared; poll-driven, every wait bounded by HVS_IO_MS.
 */
bool hvs_echo_transfer(int fd, size_t total, bool fin)
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
		n = poll(&p, 1, HVS_IO_MS);
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
