// SPDX-License-Identifier: GPL-2.0
/*
 * `vmbusctl sock echo`: a Hyper-V socket (AF_VSOCK over hv_sock) to one of
 * the host's services, here its echo service (vmbus-sim.rst, "Hyper-V
 * sockets": port 7 sends every packet back as it came).  Bytes go out one
 * chunk at a time and each chunk is read back before the next is sent, so
 * that neither ring can fill while the other side waits for room.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <linux/vm_sockets.h>

#include "vmbusctl.h"

enum {
	SOCK_PORT_ECHO		= 7,
	SOCK_DEFAULT_BYTES	= 64 * 1024,
	SOCK_MAX_BYTES		= 64 * 1024 * 1024,
	SOCK_CHUNK		= 4096,
	SOCK_TIMEOUT_S		= 10,
};

enum { ECHO_PORT, ECHO_BYTES };

static const struct ctl_opt echo_opts[] = {
	[ECHO_PORT] = { "port", 'p', true },
	[ECHO_BYTES] = { "bytes", 'b', true },
	{ NULL },
};

/* A connected stream socket to the host's @port: the fd, or -1 after a message. */
static int sock_connect(unsigned int port)
{
	struct sockaddr_vm sa = {
		.svm_family = AF_VSOCK,
		.svm_cid = VMADDR_CID_HOST,
		.svm_port = port,
	};
	struct timeval tv = { .tv_sec = SOCK_TIMEOUT_S };
	int fd = socket(AF_VSOCK, SOCK_STREAM, 0);

	if (fd < 0) {
		ctl_err("socket(AF_VSOCK): %s%s", strerror(errno),
			errno == EAFNOSUPPORT ? " (modprobe hv_sock)" : "");
		return -1;
	}
	if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) ||
	    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) ||
	    connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		ctl_err("connecting to the host's port %u: %s", port, strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

/* Sends @len bytes of @buf and reads as many back into @back: 0, or -errno. */
static int sock_round(int fd, const unsigned char *buf, unsigned char *back, size_t len)
{
	size_t done;
	ssize_t n;

	for (done = 0; done < len; done += (size_t)n) {
		n = send(fd, buf + done, len - done, MSG_NOSIGNAL);
		if (n < 0)
			return -errno;
	}
	for (done = 0; done < len; done += (size_t)n) {
		n = recv(fd, back + done, len - done, 0);
		if (n < 0)
			return -errno;
		if (!n)
			return -ECONNRESET;
	}
	return 0;
}

/* @len bytes through the echo on @fd: CTL_OK when all came back unchanged. */
static int sock_echo_bytes(int fd, unsigned int port, size_t len)
{
	unsigned char buf[SOCK_CHUNK], back[SOCK_CHUNK];
	uint32_t x = 1;
	size_t done, i, n;
	int err;

	for (done = 0; done < len; done += n) {
		n = len - done < SOCK_CHUNK ? len - done : SOCK_CHUNK;
		for (i = 0; i < n; i++) {
			x = x * 1103515245 + 12345;
			buf[i] = (unsigned char)(x >> 16);
		}
		err = sock_round(fd, buf, back, n);
		if (err)
			return ctl_err("port %u after %zu bytes: %s", port, done, strerror(-err));
		if (memcmp(buf, back, n))
			return ctl_err("port %u: the bytes from %zu on came back changed", port,
				       done);
	}
	return CTL_OK;
}

static int sock_echo(const struct ctl_args *a, bool dry)
{
	uint64_t port = SOCK_PORT_ECHO, bytes = SOCK_DEFAULT_BYTES, t0, ms;
	int fd, ret;

	if (a->count[ECHO_PORT] && (ctl_parse_u64(a->value[ECHO_PORT], &port) ||
				    port > UINT32_MAX))
		return ctl_usage_err("sock echo: bad --port '%s'", a->value[ECHO_PORT]);
	if (a->count[ECHO_BYTES] && (ctl_parse_u64(a->value[ECHO_BYTES], &bytes) || !bytes ||
				     bytes > SOCK_MAX_BYTES))
		return ctl_usage_err("sock echo: bad --bytes '%s': 1 to %d", a->value[ECHO_BYTES],
				     SOCK_MAX_BYTES);
	if (dry)
		return CTL_OK;
	t0 = ctl_now_ms();
	fd = sock_connect((unsigned int)port);
	if (fd < 0)
		return CTL_ERR;
	ret = sock_echo_bytes(fd, (unsigned int)port, bytes);
	/* Our FIN: the host's echo answers it with its own and closes. */
	shutdown(fd, SHUT_WR);
	close(fd);
	if (ret)
		return ret;
	ms = ctl_now_ms() - t0;
	printf("echo: %" PRIu64 " bytes to the host's port %" PRIu64
	       " and back, unchanged, in %" PRIu64 " ms (%" PRIu64 " KiB/s)\n",
	       bytes, port, ms, bytes * 1000 / 1024 / (ms ? ms : 1));
	return CTL_OK;
}

const struct ctl_cmd ctl_sock_cmds[] = {
	{ "echo", sock_echo, 0, 0, echo_opts, "echo [--port N] [--bytes N]",
	  "bytes to the host's echo service over hv_sock and back, compared" },
	{ NULL },
};
