// SPDX-License-Identifier: GPL-2.0
/*
 * netvsc_traffic_test: the distribution's unmodified hv_netvsc, loaded with
 * a plain `modprobe hv_netvsc`, drives three synthetic network adapters of
 * the simulated host, joined by its virtual switch, each with 4 queues
 * (a primary channel and up to 3 sub-channels).  Each NIC appears with
 * the MAC the host gave it; NIC A stays in this network namespace, B and C
 * each go into a namespace of their own (a child that called
 * unshare(CLONE_NEWNET); the link moves there by RTM_NEWLINK with
 * IFLA_NET_PID), so traffic between them has to cross the switch:
 *  - 1000 UDP datagrams A -> B, each echoed by B, none lost, each intact;
 *  - `ping -c 1000 -i 0.01` A -> B (busybox): every echo answered;
 *  - a blast of UDP datagrams A -> B (1,000,000; vmbus_netvsc_udp_count),
 *    none echoed: every datagram A's stack took is received by B's socket
 *    or counted as dropped (by the host's switch, A's or B's device, B's
 *    UDP layer); IPv6 is off on every NIC and A has a permanent ARP entry
 *    for B, so no other frame crosses the switch meanwhile, and the NICs'
 *    qdisc is pfifo_fast, which refuses what it cannot queue (the sender
 *    tries again) rather than dropping it unseen;
 *  - a TCP stream A -> B whose FNV-1a 64 checksum B computes over what it
 *    received equals the sender's;
 *  - task offload: every NIC turned on the host's IPv4 checksum and large
 *    send offloads, and the stream above went through them: large sends
 *    the host cut into segments, checksums it computed for the guest, and
 *    every segment B received checked good by the host, none bad;
 *  - vRSS: every NIC runs one channel per queue (or per CPU, if fewer), in
 *    the guest's sysfs and at the host, RSS on, the host counted the
 *    sub-channel requests; 8 TCP connections A -> B land on at least two
 *    of B's queues at the host and interrupt at least two of its channels;
 *  - ethtool -L A combined 1, 2, 4 (ETHTOOL_SCHANNELS) while a child sends
 *    datagrams A -> B every 5 ms: ethtool, sysfs and the host agree on the
 *    count each time, an echo from B within 5 s, the child's datagrams
 *    echoed again, one sub-channel request for each count above 1, the
 *    host's GPADLs balance;
 *  - the host takes A's link down: A's carrier goes to 0; up: back to 1;
 *  - MTU: with the host's MTU at 1500, A asking for 9000 gets 1500 (the
 *    frame size the host reports caps it); with the host's MTU of A and B
 *    at 9000, A and B go 1500 -> 9000 -> 1500 (hv_netvsc re-creates the
 *    channel and its buffers each time): at 9000, datagrams of up to 8972
 *    bytes cross unfragmented (IP_PMTUDISC_DO) and a TCP stream of jumbo
 *    frames (more than a send section, and large sends: GPA direct ranges)
 *    arrives intact;
 *    at 1500 datagrams cross again; the host's GPADLs created and torn down
 *    balance;
 *  - host faults on A: a send completion with a transaction id the guest
 *    never issued, a receive slot with a malformed RNDIS header; each is
 *    logged and refused, the slot completed, and datagrams still cross;
 *    a datagram A -> B damaged in transit (bad_csum on B): the host finds
 *    its checksum bad, B's UDP drops it (InCsumErrors), at most one lost;
 *  - a host short of receive buffer for B (two slots at most): a blast
 *    A -> B loses datagrams, each one counted (drops_recv_buf_exhausted
 *    among them); with the buffer whole again, none is lost;
 *  - a slow host: every send completion of A 2 ms late; a TCP stream
 *    A -> B still arrives intact, and datagrams cross once it is quick
 *    again;
 *  - the host rescinds B (its link down first) while A and C exchange
 *    datagrams: B's device goes, none of A <-> C's is lost;
 *  - a hibernation cycle (pm_test core) with the three NICs up and a TCP
 *    stream A -> B in flight, the host giving every channel a new relid:
 *    each NIC's channel opens again under a new relid, the stream completes
 *    with equal checksums, datagrams cross to B and to C;
 *  - the host's switch counted frames, and no guest protocol error.
 *
 * Sim: netvsc/control add <mac> 4 (x3), link <mac> down|up, mtu <mac> <n>,
 * fault <mac> unknown_tid|bad_rndis|bad_csum, rx_slots <mac> <n>, send_delay_ms
 * <mac> <n>; devices rescind; for the hibernation,
 * resume_relids 1 and resume_conn_ids 1.
 */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/ethtool.h>
#include <linux/if_link.h>
#include <linux/sockios.h>
#include <net/if_arp.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "netvsc_util.h"
#include "resume_util.h"
#include "vmbus_util.h"

enum {
	NICS		= 3,
	UDP_COUNT	= 1000,
	UDP_PORT	= 7007,
	TCP_PORT	= 7008,
	BLAST_PORT	= 7009,
	BLAST_DEFAULT	= 1000000,
	BLAST_DEBUG	= 50000,	/* KASAN and lockdep under TCG */
	BLAST_LEN	= 256,
	BLAST_BATCH	= 64,	/* datagrams per sendmmsg() */
	/* B's socket buffer for the blast (SO_RCVBUFFORCE). */
	BLAST_RCVBUF	= 8 << 20,
	/* The blast's counts settle: nothing moved for this long. */
	BLAST_SETTLE_MS	= 3000,
	TCP_MB_DEFAULT	= 1024,
	TCP_MB_DEBUG	= 8,	/* KASAN and lockdep under TCG */
	REPLY_MS	= 2000,
	/* A TCP stream that moves nothing for this long has stalled. */
	STALL_MS	= 60000,
	NIC_MS		= 60000,
	LINK_MS		= 30000,
	RESCUE_COUNT	= 100,
	MTU_STD		= 1500,
	MTU_JUMBO	= 9000,
	MTU_COUNT	= 100,
	/* An IPv4 UDP datagram's headers: what the MTU leaves for its payload. */
	UDP_OVERHEAD	= 28,
	/* The TCP stream of jumbo frames. */
	JUMBO_TCP_MB	= 4,
	/* The largest TCP stream in flight across a hibernation. */
	HIB_TCP_MB_MAX	= 16,
	/* Channels each NIC offers (its RSS queues). */
	QUEUES		= 4,
	/* TCP connections A -> B that must spread over B's queues, and MiB each. */
	VRSS_FLOWS	= 8,
	VRSS_FLOW_MB	= 1,
	/* A channel count change settles, and traffic is back, within this. */
	CHANNEL_MS	= 5000,
	PROBE_MS	= 200,
	/* The background sender's pace, and how long each step carries it. */
	BG_GAP_MS	= 5,
	BG_DWELL_MS	= 500,
	/* What the stream moved before the hibernation starts. */
	HIB_TCP_START	= 256 << 10,
	PING_COUNT	= 1000,
	/* B's receive slots while the host is short of receive buffer. */
	SHORT_SLOTS	= 2,
	/* The blast into the short buffer, at most. */
	SHORT_BLAST	= 20000,
	SLOW_SEND_MS	= 2,
	SLOW_TCP_MB	= 1,
};

static const char *const macs[NICS] = {
	"00:15:5d:5e:00:0a", "00:15:5d:5e:00:0b", "00:15:5d:5e:00:0c",
};
static const char *const addrs[NICS] = { "10.77.0.1", "10.77.0.2", "10.77.0.3" };

static char ifname[NICS][IFNAMSIZ];
static unsigned int want_chn;	/* channels hv_netvsc opens: QUEUES or the CPUs */
/* The kernel's default qdisc before the test set pfifo_fast; "" if none. */
static char saved_qdisc[32];
/* Where tcp_stream() publishes the bytes it wrote, if set (shared memory). */
static volatile uint64_t *tcp_progress;
static pid_t child[NICS];	/* the namespace holder of B and C */
static int ctl[NICS];		/* parent's end of the child's socketpair */

static bool all_found(void *arg)
{
	unsigned int i;

	(void)arg;
	for (i = 0; i < NICS; i++)
		if (!nv_find_if(macs[i], ifname[i]))
			return false;
	return true;
}

/* IPv6 off on @name (a kernel without IPv6 has nothing to turn off). */
static void if_no_ipv6(const char *name)
{
	char path[300];

	snprintf(path, sizeof(path), "/proc/sys/net/ipv6/conf/%s/disable_ipv6", name);
	if (vm_exists(path))
		vm_write_file(path, "1");
}

/*
 * One counter of /proc/net/snmp (this namespace's): the value under
 * @field of the line pair headed @proto; false if absent.
 */
static bool snmp_get(const char *proto, const char *field, uint64_t *v)
{
	char text[8192], *names, *vals, *n, *x, *sn = NULL, *sv = NULL;
	size_t plen = strlen(proto);

	if (vm_read_text("/proc/net/snmp", text, sizeof(text)))
		return false;
	for (names = text; names; names = strchr(names, '\n') ? strchr(names, '\n') + 1 : NULL)
		if (!strncmp(names, proto, plen) && names[plen] == ':')
			break;
	vals = names ? strchr(names, '\n') : NULL;
	if (!vals || strncmp(vals + 1, proto, plen))
		return false;
	*vals++ = '\0';
	vals[strcspn(vals, "\n")] = '\0';
	n = strtok_r(names + plen + 1, " ", &sn);
	x = strtok_r(vals + plen + 1, " ", &sv);
	for (; n && x; n = strtok_r(NULL, " ", &sn), x = strtok_r(NULL, " ", &sv))
		if (!strcmp(n, field)) {
			*v = strtoull(x, NULL, 10);
			return true;
		}
	return false;
}

/* @name's receive and transmit drops from /proc/net/dev (this namespace's). */
static bool netdev_drops(const char *name, uint64_t *rx, uint64_t *tx)
{
	char text[8192], *line, *save = NULL, *colon;
	unsigned long long f[16];
	size_t len = strlen(name);

	if (vm_read_text("/proc/net/dev", text, sizeof(text)))
		return false;
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		line += strspn(line, " ");
		colon = strchr(line, ':');
		if (!colon || (size_t)(colon - line) != len || strncmp(line, name, len))
			continue;
		/* rx: bytes packets errs drop ...; tx (from the 9th): the same. */
		if (sscanf(colon + 1, "%llu %llu %llu %llu %llu %llu %llu %llu %llu %llu %llu %llu",
			   &f[0], &f[1], &f[2], &f[3], &f[4], &f[5], &f[6], &f[7], &f[8], &f[9],
			   &f[10], &f[11]) != 12)
			return false;
		*rx = f[3];
		*tx = f[11];
		return true;
	}
	return false;
}

/* Address @addr/24 on @name, and the link up; in the caller's namespace. */
static bool if_config(const char *name, const char *addr)
{
	struct sockaddr_in *sin;
	struct ifreq ifr;
	bool ok;
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return false;
	/* No IPv6 (neighbour discovery, MLD): only the test's own frames cross. */
	if (strcmp(name, "lo"))
		if_no_ipv6(name);
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, IFNAMSIZ, "%s", name);
	sin = (struct sockaddr_in *)&ifr.ifr_addr;
	sin->sin_family = AF_INET;
	inet_pton(AF_INET, addr, &sin->sin_addr);
	ok = !ioctl(fd, SIOCSIFADDR, &ifr);
	inet_pton(AF_INET, "255.255.255.0", &sin->sin_addr);
	ok = ok && !ioctl(fd, SIOCSIFNETMASK, &ifr);
	ok = ok && !ioctl(fd, SIOCGIFFLAGS, &ifr);
	ifr.ifr_flags |= IFF_UP;
	ok = ok && !ioctl(fd, SIOCSIFFLAGS, &ifr);
	close(fd);
	return ok;
}

/* Move @name into the network namespace of @pid. */
static bool if_to_netns(const char *name, pid_t pid)
{
	struct {
		struct nlmsghdr nh;
		struct ifinfomsg ifi;
		char attrs[64];
	} req;
	struct rtattr *rta;
	char reply[512];
	struct nlmsghdr *nh = (struct nlmsghdr *)reply;
	int fd, n;
	uint32_t p = pid;

	memset(&req, 0, sizeof(req));
	req.nh.nlmsg_type = RTM_NEWLINK;
	req.nh.nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
	req.ifi.ifi_family = AF_UNSPEC;
	req.ifi.ifi_index = if_nametoindex(name);
	if (!req.ifi.ifi_index)
		return false;
	rta = (struct rtattr *)req.attrs;
	rta->rta_type = IFLA_NET_NS_PID;
	rta->rta_len = RTA_LENGTH(sizeof(p));
	memcpy(RTA_DATA(rta), &p, sizeof(p));
	req.nh.nlmsg_len = NLMSG_LENGTH(sizeof(req.ifi)) + RTA_ALIGN(rta->rta_len);
	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (fd < 0)
		return false;
	n = send(fd, &req, req.nh.nlmsg_len, 0) == (ssize_t)req.nh.nlmsg_len ?
	    recv(fd, reply, sizeof(reply), 0) : -1;
	close(fd);
	return n >= (int)NLMSG_LENGTH(sizeof(struct nlmsgerr)) &&
	       nh->nlmsg_type == NLMSG_ERROR &&
	       !((struct nlmsgerr *)NLMSG_DATA(nh))->error;
}

static uint64_t fnv(uint64_t h, const unsigned char *p, size_t n)
{
	while (n--) {
		h ^= *p++;
		h *= 0x100000001b3ULL;
	}
	return h;
}

/* @req on @name with @ifr (its name set here); in the caller's namespace. */
static bool if_ioctl(const char *name, unsigned long req, struct ifreq *ifr)
{
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	bool ok;

	if (fd < 0)
		return false;
	snprintf(ifr->ifr_name, IFNAMSIZ, "%s", name);
	ok = !ioctl(fd, req, ifr);
	close(fd);
	return ok;
}

/* @name's flags, or 0 if they cannot be read. */
static short if_flags(const char *name)
{
	struct ifreq ifr = { 0 };

	return if_ioctl(name, SIOCGIFFLAGS, &ifr) ? ifr.ifr_flags : 0;
}

/* @name's MTU, or -1. */
static int if_mtu(const char *name)
{
	struct ifreq ifr = { 0 };

	return if_ioctl(name, SIOCGIFMTU, &ifr) ? ifr.ifr_mtu : -1;
}

/* SIOCSIFMTU: whether @name took @mtu. */
static bool if_set_mtu(const char *name, int mtu)
{
	struct ifreq ifr = { .ifr_mtu = mtu };

	return if_ioctl(name, SIOCSIFMTU, &ifr);
}

/*
 * The child's MTU command: @name's MTU set to @mtu, which it then has,
 * and its carrier back (hv_netvsc re-opens the channel) within LINK_MS.
 */
static bool child_set_mtu(const char *name, int mtu)
{
	uint64_t t0 = vm_now_ms();
	bool ok = if_set_mtu(name, mtu);

	while (ok && !(if_flags(name) & IFF_RUNNING)) {
		if (vm_now_ms() - t0 > LINK_MS)
			return false;
		usleep(10000);
	}
	return ok && if_mtu(name) == mtu;
}

/* What the child reports of the blast: its count and its namespace's drops. */
struct blast_counts {
	uint64_t received;	/* datagrams read from the blast socket */
	uint64_t udp_in_errors;	/* Udp InErrors (RcvbufErrors among them) */
	uint64_t rx_dropped;	/* the NIC's receive drops */
	uint64_t ok;		/* 1 if all of them could be read */
};

/* The child's answer to 'c'. */
static void child_counts(int sock, const char *name, uint64_t received)
{
	struct blast_counts bc = { .received = received };
	uint64_t tx;

	bc.ok = snmp_get("Udp", "InErrors", &bc.udp_in_errors) &&
		netdev_drops(name, &bc.rx_dropped, &tx);
	if (write(sock, &bc, sizeof(bc)) != sizeof(bc))
		_exit(0);
}

/* The child's answer to 'm' and the MTU that follows it. */
static void child_mtu(int sock, const char *name)
{
	char reply;
	int mtu;

	if (read(sock, &mtu, sizeof(mtu)) != sizeof(mtu))
		_exit(0);
	reply = child_set_mtu(name, mtu) ? 'k' : 'e';
	if (write(sock, &reply, 1) != 1)
		_exit(0);
}

/*
 * The child's side: UDP echo, a TCP sink and a UDP blast counter on its
 * address, and the parent's commands on @sock ('m' and an int: set the MTU
 * of @name, answered 'k' or 'e'; 'c': the blast counts, a struct
 * blast_counts); end of file ends it.
 */
static void child_serve(int sock, const char *name, const char *addr)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	static unsigned char buf[1 << 16];
	struct timeval stall = { .tv_sec = STALL_MS / 1000 };
	uint64_t h, total, res[2], blasted = 0;
	int u, t, b, c, one = 1, rcvbuf = BLAST_RCVBUF;
	struct pollfd pfd[4];
	char cmd;
	ssize_t n;

	inet_pton(AF_INET, addr, &sin.sin_addr);
	u = socket(AF_INET, SOCK_DGRAM, 0);
	b = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
	t = socket(AF_INET, SOCK_STREAM, 0);
	setsockopt(t, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	setsockopt(b, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof(rcvbuf));
	sin.sin_port = htons(UDP_PORT);
	if (bind(u, (struct sockaddr *)&sin, sizeof(sin)))
		_exit(2);
	sin.sin_port = htons(BLAST_PORT);
	if (bind(b, (struct sockaddr *)&sin, sizeof(sin)))
		_exit(2);
	sin.sin_port = htons(TCP_PORT);
	if (bind(t, (struct sockaddr *)&sin, sizeof(sin)) || listen(t, 1))
		_exit(3);
	n = write(sock, "r", 1);
	for (;;) {
		pfd[0] = (struct pollfd){ .fd = sock, .events = POLLIN };
		pfd[1] = (struct pollfd){ .fd = u, .events = POLLIN };
		pfd[2] = (struct pollfd){ .fd = t, .events = POLLIN };
		pfd[3] = (struct pollfd){ .fd = b, .events = POLLIN };
		if (poll(pfd, 4, -1) < 0)
			continue;
		/* Non-blocking: everything queued is counted before a 'c'. */
		while (recv(b, buf, sizeof(buf), 0) >= 0)
			blasted++;
		if (pfd[0].revents) {
			if (read(sock, &cmd, 1) != 1)
				_exit(0);
			if (cmd == 'm')
				child_mtu(sock, name);
			else if (cmd == 'c')
				child_counts(sock, name, blasted);
			else
				_exit(0);
		}
		if (pfd[1].revents) {
			struct sockaddr_in from;
			socklen_t fl = sizeof(from);

			n = recvfrom(u, buf, sizeof(buf), 0, (struct sockaddr *)&from, &fl);
			if (n > 0)
				sendto(u, buf, n, 0, (struct sockaddr *)&from, fl);
		}
		if (pfd[2].revents) {
			c = accept(t, NULL, NULL);
			if (c < 0)
				continue;
			/* A sender gone without a FIN does not hold the child here. */
			setsockopt(c, SOL_SOCKET, SO_RCVTIMEO, &stall, sizeof(stall));
			h = 0xcbf29ce484222325ULL;
			total = 0;
			/*
			 * With a receive timeout set, a freeze (hibernation)
			 * ends a blocked read with EINTR: read on.
			 */
			while ((n = read(c, buf, sizeof(buf))) > 0 || (n < 0 && errno == EINTR)) {
				if (n <= 0)
					continue;
				h = fnv(h, buf, n);
				total += n;
			}
			res[0] = total;
			res[1] = h;
			n = write(c, res, sizeof(res));
			close(c);
		}
	}
}

/* A child in a new network namespace; false if it could not start. */
static bool child_start(unsigned int i)
{
	int sp[2];
	char c;

	if (!vm_expect(vm_exists("/proc/self/ns/net"),
		       "this kernel has no network namespaces (CONFIG_NET_NS)"))
		return false;
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp))
		return false;
	child[i] = fork();
	if (child[i] < 0)
		return false;
	if (!child[i]) {
		unsigned int j;

		close(sp[0]);
		/*
		 * An older sibling's control socket stays the parent's alone:
		 * held here too, that sibling would never see its end of file.
		 */
		for (j = 1; j < i; j++)
			if (child[j] > 0)
				close(ctl[j]);
		if (unshare(CLONE_NEWNET))
			_exit(1);
		if (write(sp[1], "n", 1) != 1 || read(sp[1], &c, 1) != 1)
			_exit(1);
		/* The parent moved the NIC here: configure, then serve. */
		if (!if_config(ifname[i], addrs[i]) || !if_config("lo", "127.0.0.1"))
			_exit(4);
		child_serve(sp[1], ifname[i], addrs[i]);
	}
	close(sp[1]);
	ctl[i] = sp[0];
	return read(ctl[i], &c, 1) == 1 && c == 'n' &&
	       vm_expect(if_to_netns(ifname[i], child[i]), "moving %s to pid %d's netns",
			 ifname[i], child[i]) &&
	       write(ctl[i], "g", 1) == 1 &&
	       vm_expect(read(ctl[i], &c, 1) == 1 && c == 'r',
			 "namespace %u: configuring %s %s failed", i, ifname[i], addrs[i]);
}

/* End of file on every control socket first, then wait for the children. */
static void children_stop(void)
{
	unsigned int i;

	for (i = 1; i < NICS; i++)
		if (child[i] > 0)
			close(ctl[i]);
	for (i = 1; i < NICS; i++) {
		if (child[i] > 0)
			waitpid(child[i], NULL, 0);
		child[i] = 0;
	}
}

#define DEFAULT_QDISC "/proc/sys/net/core/default_qdisc"

/*
 * The NICs get pfifo_fast (set before hv_netvsc makes them): a datagram it
 * cannot queue is refused to the sender (ENOBUFS with IP_RECVERR), where
 * fq_codel, Debian's default, may drop a queued one that only its own
 * statistics count.  A kernel without packet scheduling has no such file
 * and gives every device pfifo_fast.
 */
static bool qdisc_fifo(void)
{
	if (!vm_exists(DEFAULT_QDISC))
		return true;
	if (vm_read_text(DEFAULT_QDISC, saved_qdisc, sizeof(saved_qdisc)))
		return false;
	saved_qdisc[strcspn(saved_qdisc, "\n")] = '\0';
	return vm_expect(!vm_write_file(DEFAULT_QDISC, "pfifo_fast"),
			 "%s: pfifo_fast refused", DEFAULT_QDISC);
}

static void cleanup(void)
{
	unsigned int i;

	children_stop();
	if (vm_module_loaded("hv_netvsc"))
		vm_rmmod("hv_netvsc", VM_RMMOD_MS);
	/* The switch keeps its NICs: leave them at the host's default MTU. */
	for (i = 0; i < NICS; i++) {
		vm_write(VM_SIM, "netvsc/control", "mtu %s %d", macs[i], MTU_STD);
		vm_write(VM_SIM, "netvsc/control", "rx_slots %s 0", macs[i]);
		vm_write(VM_SIM, "netvsc/control", "send_delay_ms %s 0", macs[i]);
	}
	if (saved_qdisc[0]) {
		vm_write_file(DEFAULT_QDISC, saved_qdisc);
		saved_qdisc[0] = '\0';
	}
}

static int udp_to(const char *addr, struct sockaddr_in *sin)
{
	struct timeval tv = { .tv_sec = REPLY_MS / 1000 };
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	memset(sin, 0, sizeof(*sin));
	sin->sin_family = AF_INET;
	sin->sin_port = htons(UDP_PORT);
	inet_pton(AF_INET, addr, &sin->sin_addr);
	if (fd >= 0)
		setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	return fd;
}

/* One datagram of @len bytes to @addr and its echo; whether it came back intact. */
static bool udp_once(int fd, const struct sockaddr_in *sin, uint32_t seq, size_t len)
{
	static unsigned char out[MTU_JUMBO], in[MTU_JUMBO + 1];
	ssize_t n;
	size_t i;

	for (i = 0; i < len; i++)
		out[i] = (unsigned char)(seq * 31 + i);
	memcpy(out, &seq, sizeof(seq));
	if (sendto(fd, out, len, 0, (const struct sockaddr *)sin, sizeof(*sin)) != (ssize_t)len)
		return false;
	for (;;) {
		n = recv(fd, in, sizeof(in), 0);
		if (n < 0)
			return false;
		/* A late echo of an earlier datagram: skip it. */
		if (n >= 4 && memcmp(in, &seq, 4))
			continue;
		return n == (ssize_t)len && !memcmp(in, out, len);
	}
}

/*
 * @count echoed datagrams of 64 to 64 + @span - 1 bytes after a warm-up
 * (ARP); the number lost.  With @nofrag the sender never fragments (a
 * datagram its path MTU cannot take fails, and counts as lost).
 */
static unsigned int udp_run_sized(const char *addr, unsigned int count, unsigned int span,
				  bool nofrag)
{
	int pmtu = IP_PMTUDISC_DO;
	struct sockaddr_in sin;
	unsigned int i, lost = 0, tries = 0;
	int fd = udp_to(addr, &sin);

	if (fd < 0)
		return count;
	if (nofrag && setsockopt(fd, IPPROTO_IP, IP_MTU_DISCOVER, &pmtu, sizeof(pmtu))) {
		close(fd);
		return count;
	}
	while (!udp_once(fd, &sin, 0xffffffff, 64) && ++tries < 10)
		;
	for (i = 0; i < count; i++)
		if (!udp_once(fd, &sin, i, 64 + (i * 53) % span))
			lost++;
	close(fd);
	return lost;
}

/* @count echoed datagrams of 64 to 1363 bytes; the number lost. */
static unsigned int udp_run(const char *addr, unsigned int count)
{
	return udp_run_sized(addr, count, 1300, false);
}

static bool tcp_stream(unsigned int mb)
{
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons(TCP_PORT) };
	struct timeval stall = { .tv_sec = STALL_MS / 1000 };
	static unsigned char buf[1 << 16];
	uint64_t h = 0xcbf29ce484222325ULL, total = 0, res[2] = { 0 }, t0, ms;
	uint32_t x = 12345;
	size_t i, done;
	ssize_t n;
	int fd;

	inet_pton(AF_INET, addrs[1], &sin.sin_addr);
	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	/* A stream that stalls fails here instead of at the runner's timeout. */
	if (fd >= 0)
		setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &stall, sizeof(stall));
	if (fd >= 0)
		setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &stall, sizeof(stall));
	if (!vm_expect(fd >= 0 && !connect(fd, (struct sockaddr *)&sin, sizeof(sin)),
		       "TCP connect to %s: %s", addrs[1], strerror(errno))) {
		if (fd >= 0)
			close(fd);
		return false;
	}
	t0 = vm_now_ms();
	while (total < (uint64_t)mb << 20) {
		for (i = 0; i < sizeof(buf); i++) {
			x = x * 1103515245 + 12345;
			buf[i] = x >> 16;
		}
		for (done = 0; done < sizeof(buf); done += n) {
			n = write(fd, buf + done, sizeof(buf) - done);
			/* A socket with a timeout: a freeze gives EINTR. */
			if (n < 0 && errno == EINTR) {
				n = 0;
				continue;
			}
			if (n <= 0) {
				close(fd);
				return vm_expect(false, "TCP write: %s", strerror(errno));
			}
		}
		h = fnv(h, buf, sizeof(buf));
		total += sizeof(buf);
		if (tcp_progress)
			*tcp_progress = total;
	}
	shutdown(fd, SHUT_WR);
	for (done = 0; done < sizeof(res); done += n) {
		n = read(fd, (char *)res + done, sizeof(res) - done);
		if (n < 0 && errno == EINTR) {
			n = 0;
			continue;
		}
		if (n <= 0)
			break;
	}
	close(fd);
	ms = vm_now_ms() - t0;
	ksft_print_msg("TCP: %" PRIu64 " bytes in %" PRIu64 " ms (%" PRIu64 " KiB/s); sender fnv %016"
		       PRIx64 ", receiver %" PRIu64 " bytes fnv %016" PRIx64 "\n", total, ms,
		       ms ? total * 1000 / 1024 / ms : 0, h, res[0], res[1]);
	return vm_expect_eq("bytes received", total, res[0]) &&
	       vm_expect(h == res[1], "payload checksums differ");
}

static bool carrier_is(void *arg)
{
	char path[300];
	uint64_t v = 2;

	snprintf(path, sizeof(path), "/sys/class/net/%s/carrier", ifname[0]);
	return !vm_read_u64(path, &v) && v == (uint64_t)(uintptr_t)arg;
}

static bool link_cycle(void)
{
	bool ok;

	ok = !vm_write(VM_SIM, "netvsc/control", "link %s down", macs[0]) &&
	     vm_wait_until(carrier_is, (void *)0, LINK_MS, "%s carrier 0", ifname[0]);
	ok &= vm_expect(udp_run(addrs[1], 3) == 3, "datagrams crossed a link that is down");
	ok &= !vm_write(VM_SIM, "netvsc/control", "link %s up", macs[0]) &&
	      vm_wait_until(carrier_is, (void *)1, LINK_MS, "%s carrier 1", ifname[0]);
	return ok;
}

/*
 * GPADLs the host has created and torn down so far (GPADL_HEADER in,
 * GPADL_TORNDOWN out of vmbus_sim/msg_in and msg_out, which list only the
 * message types seen).
 */
static bool host_gpadls(uint64_t *made, uint64_t *torn)
{
	struct vm_stats in, out;

	if (vm_stats_load(VM_SIM, "msg_in", &in) || vm_stats_load(VM_SIM, "msg_out", &out))
		return false;
	if (!vm_stats_find(&in, "GPADL_HEADER", made))
		*made = 0;
	if (!vm_stats_find(&out, "GPADL_TORNDOWN", torn))
		*torn = 0;
	return true;
}

/* A's MTU set to @mtu; its carrier back; the MTU A then has. */
static int set_mtu_a(int mtu)
{
	bool ok = vm_expect(if_set_mtu(ifname[0], mtu), "%s: MTU %d refused", ifname[0], mtu);

	ok = ok && vm_wait_until(carrier_is, (void *)1, LINK_MS, "%s carrier 1 at MTU %d",
				 ifname[0], mtu);
	return ok ? if_mtu(ifname[0]) : -1;
}

/*
 * @len bytes of the child @i's answer; false if they do not come within
 * twice LINK_MS (the child's own waits are LINK_MS at most).
 */
static bool ctl_read(unsigned int i, void *buf, size_t len)
{
	struct pollfd p = { .fd = ctl[i], .events = POLLIN };

	return poll(&p, 1, 2 * LINK_MS) == 1 && read(ctl[i], buf, len) == (ssize_t)len;
}

/* B's MTU set to @mtu by its namespace's child, carrier back. */
static bool set_mtu_b(int mtu)
{
	char cmd = 'm', reply = 0;

	return vm_expect(write(ctl[1], &cmd, 1) == 1 &&
			 write(ctl[1], &mtu, sizeof(mtu)) == sizeof(mtu) &&
			 ctl_read(1, &reply, 1) && reply == 'k',
			 "B (%s): MTU %d not taken, or no carrier after it", ifname[1], mtu);
}

/* The host MTU of A and B (netvsc/control mtu). */
static bool host_mtu(int mtu)
{
	return vm_expect(!vm_write(VM_SIM, "netvsc/control", "mtu %s %d", macs[0], mtu) &&
			 !vm_write(VM_SIM, "netvsc/control", "mtu %s %d", macs[1], mtu),
			 "netvsc/control mtu %d refused", mtu);
}

/* A and B at @mtu (each re-opens its channel); datagrams up to the MTU cross. */
static bool mtu_step(int mtu)
{
	unsigned int lost;
	bool ok;

	ok = vm_expect_eq("A's MTU", mtu, set_mtu_a(mtu)) && set_mtu_b(mtu);
	lost = ok ? udp_run_sized(addrs[1], MTU_COUNT, mtu - UDP_OVERHEAD - 64 + 1, true) :
		    MTU_COUNT;
	ksft_print_msg("MTU %d: A -> B %u of %u unfragmented datagrams of 64..%d bytes lost\n",
		       mtu, lost, MTU_COUNT, mtu - UDP_OVERHEAD);
	return ok & vm_expect_eq("datagrams lost after the MTU change", 0, lost);
}

/*
 * A TCP stream of jumbo frames: each more than a send section, so
 * hv_netvsc sends it as GPA direct ranges, and the host takes them so.
 */
static bool tcp_jumbo(void)
{
	uint64_t g0 = 0, g1 = 0;
	struct vm_stats st;
	bool ok;

	ok = vm_expect(!vm_stats_load(VM_SIM, "netvsc/stats", &st) &&
		       vm_stat_get(&st, "tx_gpa_direct", &g0), "reading netvsc/stats");
	ok = ok && tcp_stream(JUMBO_TCP_MB);
	ok = ok && vm_expect(!vm_stats_load(VM_SIM, "netvsc/stats", &st) &&
			     vm_stat_get(&st, "tx_gpa_direct", &g1), "reading netvsc/stats");
	if (ok)
		ksft_print_msg("MTU %d: %" PRIu64 " RNDIS packets by GPA direct ranges\n",
			       MTU_JUMBO, g1 - g0);
	/* 4 MiB in jumbo frames or large sends of at most 62780 bytes: dozens. */
	return ok && vm_expect_ge("RNDIS packets sent by GPA direct ranges",
				  (JUMBO_TCP_MB << 20) / 62780, g1 - g0);
}

/*
 * MTU changes.  hv_netvsc takes each by closing the device's channel and
 * buffers and opening them again, and then caps the MTU at the frame size
 * the host reports.  The host's MTU at 1500: A asking for 9000 gets 1500.
 * At 9000 for A and B: both go to 9000, jumbo datagrams and a TCP stream
 * of jumbo frames cross; the host's MTU back at 1500, both go back to
 * 1500 and datagrams cross.  The host sees every GPADL go (the ring's, the
 * receive and the send buffer's) and as many come back.
 */
static bool mtu_cycle(void)
{
	uint64_t made0, torn0, made1, torn1;
	bool ok;

	if (!vm_expect(host_gpadls(&made0, &torn0), "reading vmbus_sim/msg_in and msg_out"))
		return false;
	ok = vm_expect_eq("A's MTU after asking for 9000 of a 1500 host", MTU_STD,
			  set_mtu_a(MTU_JUMBO));
	ok = ok && host_mtu(MTU_JUMBO) && mtu_step(MTU_JUMBO) && tcp_jumbo();
	ok = ok && host_mtu(MTU_STD) && mtu_step(MTU_STD);
	if (!ok) {
		/* Back at 1500 all the same, so that the later steps see no jumbo slot. */
		host_mtu(MTU_STD);
		set_mtu_a(MTU_STD);
		set_mtu_b(MTU_STD);
		return false;
	}
	ok &= vm_expect(host_gpadls(&made1, &torn1), "reading vmbus_sim/msg_in and msg_out");
	ksft_print_msg("MTU changes: host GPADLs %" PRIu64 " created, %" PRIu64 " torn down\n",
		       made1 - made0, torn1 - torn0);
	/* A re-opened three times, B twice; three GPADLs each time. */
	ok &= vm_expect_ge("GPADLs torn down by five re-opens", 5 * 3, torn1 - torn0);
	return ok & vm_expect_eq("GPADLs live after the MTU changes minus before", 0,
				 (made1 - made0) - (torn1 - torn0));
}

static unsigned int nic_relid(const char *mac)
{
	unsigned int busy;

	return nv_nic_relid_busy(mac, &busy);
}

static bool b_idle(void *arg)
{
	unsigned int busy;

	(void)arg;
	nv_nic_relid_busy(macs[1], &busy);
	return !busy;
}

/*
 * The host rescinds B while A and C exchange datagrams.  B is quiet first
 * (the host takes its link down, so it receives and sends nothing): the
 * simulator stops serving a channel before its RESCIND goes out, and
 * netvsc's removal waits for every send and receive completion in flight.
 */
static bool rescind_b(void)
{
	unsigned int relid = nic_relid(macs[1]), lost;
	uint64_t ind = 0;
	int status = 0;
	struct vm_stats st;
	pid_t pid;
	bool ok;

	if (!vm_expect(relid, "no open channel for %s in netvsc/nics", macs[1]) ||
	    vm_stats_load(VM_SIM, "netvsc/stats", &st) ||
	    !vm_stat_get(&st, "status_indications", &ind) ||
	    vm_write(VM_SIM, "netvsc/control", "link %s down", macs[1]) ||
	    !vm_wait_stat(VM_SIM, "netvsc/stats", "status_indications", ind + 1, LINK_MS) ||
	    !vm_wait_until(b_idle, NULL, LINK_MS, "B's receive slots all completed"))
		return false;
	pid = fork();
	if (pid < 0)
		return false;
	if (!pid)
		_exit(udp_run(addrs[2], 3 * RESCUE_COUNT) ? 1 : 0);
	ok = !vm_sim_devices_cmd("rescind %u", relid);
	ok &= vm_wait_vmbus_devices(NICS - 1, NIC_MS);
	ok &= vm_expect(!nic_relid(macs[1]), "%s still has a channel", macs[1]);
	waitpid(pid, &status, 0);
	ok &= vm_expect(WIFEXITED(status) && !WEXITSTATUS(status),
			"datagrams A -> C lost during the rescind of B");
	lost = udp_run(addrs[2], RESCUE_COUNT);
	ksft_print_msg("after the rescind of B: A -> C %u of %u datagrams lost\n", lost,
		       RESCUE_COUNT);
	return ok & vm_expect_eq("datagrams A -> C lost", 0, lost);
}

static bool a_idle(void *arg)
{
	unsigned int busy;

	(void)arg;
	return nv_nic_relid_busy(macs[0], &busy) && !busy;
}

/*
 * One host fault on A (netvsc/control fault): hv_netvsc logs @line, the
 * host counted the injection, A's receive slots all come back, and
 * datagrams A -> B still cross, none lost.
 */
static bool fault_once(const char *fault, const char *line)
{
	struct vm_kmsg_mark mark;
	uint64_t f0 = 0;
	unsigned int lost;
	struct vm_stats st;
	bool ok;

	if (vm_kmsg_mark(&mark) || vm_stats_load(VM_SIM, "netvsc/stats", &st) ||
	    !vm_stat_get(&st, "faults_injected", &f0))
		return false;
	ok = vm_expect(!vm_write(VM_SIM, "netvsc/control", "fault %s %s", macs[0], fault),
		       "netvsc/control fault %s %s refused", macs[0], fault) &&
	     vm_wait_stat(VM_SIM, "netvsc/stats", "faults_injected", f0 + 1, LINK_MS) &&
	     vm_wait_kmsg(&mark, line, false, LINK_MS) &&
	     vm_wait_until(a_idle, NULL, LINK_MS, "A's receive slots all completed");
	lost = ok ? udp_run(addrs[1], MTU_COUNT) : MTU_COUNT;
	ksft_print_msg("after %s: A -> B %u of %u datagrams lost\n", fault, lost, MTU_COUNT);
	return ok & vm_expect_eq("datagrams lost after the fault", 0, lost);
}

/* InCsumErrors of UDP in the namespace of process @pid (/proc/<pid>/net/snmp). */
static int64_t udp_csum_errors(pid_t pid)
{
	char path[64], line[512], *tok;
	int64_t v = -1;
	int col = -1, i;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/net/snmp", (int)pid);
	f = fopen(path, "re");
	while (f && fgets(line, sizeof(line), f)) {
		if (strncmp(line, "Udp: ", 5))
			continue;
		tok = strtok(line + 5, " \n");
		for (i = 0; tok; i++, tok = strtok(NULL, " \n")) {
			if (col < 0 && !strcmp(tok, "InCsumErrors"))
				col = i;
			else if (col >= 0 && i == col)
				v = strtoll(tok, NULL, 10);
		}
	}
	if (f)
		fclose(f);
	return v;
}

/*
 * A datagram A -> B damaged in transit (bad_csum on B): the host finds
 * its checksum bad and says so, B's UDP drops it (InCsumErrors in B's
 * namespace) rather than echo damaged data, so at most one of the run's
 * datagrams is lost; the next run loses none.
 */
static bool bad_csum(void)
{
	static const char *const names[] = { "rx_checksums_bad", "faults_injected" };
	int64_t e0 = udp_csum_errors(child[1]), e1;
	uint64_t v0[2] = { 0 }, v1[2] = { 0 };
	unsigned int lost, lost2;
	bool ok;

	ok = vm_expect(e0 >= 0, "no Udp InCsumErrors in B's namespace") &&
	     nv_stats(names, 2, v0) &&
	     vm_expect(!vm_write(VM_SIM, "netvsc/control", "fault %s bad_csum", macs[1]),
		       "netvsc/control fault %s bad_csum refused", macs[1]);
	if (!ok)
		return false;
	lost = udp_run(addrs[1], MTU_COUNT);
	e1 = udp_csum_errors(child[1]);
	lost2 = udp_run(addrs[1], MTU_COUNT);
	ok = nv_stats(names, 2, v1);
	ksft_print_msg("bad_csum: A -> B %u of %u datagrams lost, then %u of %u; host: %" PRIu64
		       " bad checksums found, %" PRIu64 " fault injected; B's UDP InCsumErrors +%"
		       PRId64 "\n", lost, MTU_COUNT, lost2, MTU_COUNT, v1[0] - v0[0],
		       v1[1] - v0[1], e1 - e0);
	/* The damaged one may be the warm-up's, which does not count. */
	ok &= vm_expect(lost <= 1, "%u datagrams lost with one damaged", lost);
	ok &= vm_expect_eq("faults injected", 1, v1[1] - v0[1]);
	ok &= vm_expect_eq("bad checksums the host found", 1, v1[0] - v0[0]);
	ok &= vm_expect_eq("B's UDP InCsumErrors", 1, e1 - e0);
	return ok & vm_expect_eq("datagrams lost after the damaged one", 0, lost2);
}

/*
 * The host completes a send the guest never made (a transaction id out of
 * every requestor's range): hv_vmbus's request_addr_callback answers
 * VMBUS_RQST_ERROR and hv_netvsc drops it.  Then a receive slot whose RNDIS
 * header claims 4096 bytes of an 8-byte range: hv_netvsc refuses it and
 * completes the slot.  Then a datagram damaged in transit (bad_csum()).
 */
static bool faults(void)
{
	bool ok = fault_once("unknown_tid", "Invalid transaction ID dead0000beef");

	ok &= fault_once("bad_rndis", "Invalid rndis_msg (buflen: 8, msg_len: 4096)");
	return ok & bad_csum();
}

/*
 * busybox `ping -c PING_COUNT -i 0.01 -q` A -> B: its summary says every
 * echo came back.
 */
static bool ping_b(void)
{
	char cmd[128], line[256];
	unsigned int sent = 0, got = 0;
	FILE *p;
	int status;

	snprintf(cmd, sizeof(cmd), "ping -c %u -i 0.01 -q -W 5 %s 2>&1", PING_COUNT, addrs[1]);
	p = popen(cmd, "r");
	if (!vm_expect(p, "popen %s: %s", cmd, strerror(errno)))
		return false;
	while (fgets(line, sizeof(line), p)) {
		ksft_print_msg("ping: %s", line);
		sscanf(line, "%u packets transmitted, %u packets received", &sent, &got);
	}
	status = pclose(p);
	return vm_expect(status == 0, "%s: status %d", cmd, status) &&
	       vm_expect_eq("echo requests sent", PING_COUNT, sent) &&
	       vm_expect_eq("echo replies received", PING_COUNT, got);
}

/* netvsc/control "<verb> <mac> <n>" for NIC @i. */
static bool nic_set(const char *verb, unsigned int i, unsigned int n)
{
	return vm_expect(!vm_write(VM_SIM, "netvsc/control", "%s %s %u", verb, macs[i], n),
			 "netvsc/control %s %s %u refused", verb, macs[i], n);
}

static bool nv_stat(const char *name, uint64_t *v)
{
	struct vm_stats st;

	return vm_expect(!vm_stats_load(VM_SIM, "netvsc/stats", &st) &&
			 vm_stat_get(&st, name, v), "netvsc/stats has no %s", name);
}

/* Every NIC has an open channel on the host. */
static bool nics_open(void *arg)
{
	unsigned int i;

	(void)arg;
	for (i = 0; i < NICS; i++)
		if (!nic_relid(macs[i]))
			return false;
	return true;
}

static bool stream_started(void *arg)
{
	(void)arg;
	return *tcp_progress >= HIB_TCP_START;
}

/*
 * A hibernation cycle (pm_test core: the drivers' suspend and resume, no
 * image) while a child streams @mb MiB A -> B; the host gives every
 * channel a new relid and connection id at the reconnect.  hv_netvsc
 * detaches each NIC at suspend and attaches it again at resume: each
 * NIC's channel is open again under a new relid, the stream (in flight
 * when the hibernation began) completes with equal checksums, and
 * datagrams cross to B and to C.
 */
static bool hibernate_cycle(unsigned int mb)
{
	unsigned int i, before[NICS], after[NICS], lost;
	uint64_t ms = 0, at = 0;
	int status = -1;
	bool ok;
	pid_t pid;

	tcp_progress = mmap(NULL, sizeof(*tcp_progress), PROT_READ | PROT_WRITE,
			    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (!vm_expect(tcp_progress != MAP_FAILED, "mmap: %s", strerror(errno))) {
		tcp_progress = NULL;
		return false;
	}
	*tcp_progress = 0;
	for (i = 0; i < NICS; i++)
		before[i] = nic_relid(macs[i]);
	ok = vm_expect(!vm_sim_set("resume_relids", "1") && !vm_sim_set("resume_conn_ids", "1"),
		       "sim modes resume_relids and resume_conn_ids refused");
	pid = ok ? fork() : -1;
	if (!pid)
		_exit(tcp_stream(mb) ? 0 : 1);
	ok = ok && vm_expect(pid > 0, "fork: %s", strerror(errno)) &&
	     vm_wait_until(stream_started, NULL, LINK_MS, "the TCP stream under way");
	at = *tcp_progress;
	ok = ok && rs_hibernate(&ms) &&
	     vm_wait_until(nics_open, NULL, NIC_MS, "the three NICs open again on the host");
	for (i = 0; i < NICS; i++)
		after[i] = nic_relid(macs[i]);
	ksft_print_msg("hibernation returned after %" PRIu64 " ms with the stream at %" PRIu64
		       " of %u bytes; relids A %u -> %u, B %u -> %u, C %u -> %u\n", ms, at,
		       mb << 20, before[0], after[0], before[1], after[1], before[2], after[2]);
	for (i = 0; ok && i < NICS; i++)
		ok = vm_expect(after[i] != before[i], "NIC %c kept relid %u", 'A' + i, after[i]);
	if (pid > 0) {
		waitpid(pid, &status, 0);
		ok &= vm_expect(WIFEXITED(status) && !WEXITSTATUS(status),
				"the TCP stream across the hibernation failed");
	}
	ok &= vm_expect(at < (uint64_t)mb << 20, "the stream had ended before the hibernation");
	for (i = 1; ok && i < NICS; i++) {
		lost = udp_run(addrs[i], MTU_COUNT);
		ksft_print_msg("after the hibernation: A -> %c %u of %u datagrams lost\n",
			       'A' + i, lost, MTU_COUNT);
		ok = vm_expect_eq("datagrams lost after the hibernation", 0, lost);
	}
	ok &= !vm_sim_set("resume_relids", "0") & !vm_sim_set("resume_conn_ids", "0");
	munmap((void *)tcp_progress, sizeof(*tcp_progress));
	tcp_progress = NULL;
	return ok;
}

/* B's blast counts, from its namespace's child; false if it could not tell. */
static bool b_counts(struct blast_counts *bc)
{
	char cmd = 'c';

	return vm_expect(write(ctl[1], &cmd, 1) == 1 &&
			 ctl_read(1, bc, sizeof(*bc)) && bc->ok,
			 "B's blast counts could not be read");
}

/* Every drop the host's switch counted (the drops_ counters summed). */
static bool host_drops(uint64_t *sum)
{
	struct vm_stats st;
	unsigned int i;

	if (!vm_expect(!vm_stats_load(VM_SIM, "netvsc/stats", &st), "reading netvsc/stats"))
		return false;
	*sum = 0;
	for (i = 0; i < st.count; i++)
		if (!strncmp(st.stat[i].name, "drops_", 6))
			*sum += st.stat[i].value;
	return true;
}

/* A permanent ARP entry for B on A: A sends no ARP request to B. */
static bool arp_perm_b(void)
{
	struct arpreq r = { .arp_flags = ATF_PERM | ATF_COM };
	struct sockaddr_in *pa = (struct sockaddr_in *)&r.arp_pa;
	unsigned int m[6], i;
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	bool ok;

	if (fd < 0)
		return false;
	pa->sin_family = AF_INET;
	inet_pton(AF_INET, addrs[1], &pa->sin_addr);
	r.arp_ha.sa_family = ARPHRD_ETHER;
	sscanf(macs[1], "%x:%x:%x:%x:%x:%x", &m[0], &m[1], &m[2], &m[3], &m[4], &m[5]);
	for (i = 0; i < 6; i++)
		r.arp_ha.sa_data[i] = (char)m[i];
	snprintf(r.arp_dev, sizeof(r.arp_dev), "%s", ifname[0]);
	ok = vm_expect(!ioctl(fd, SIOCSARP, &r), "SIOCSARP %s on %s: %s", addrs[1], ifname[0],
		       strerror(errno));
	close(fd);
	return ok;
}

/* The blast's drops and B's count now, in one sum. */
struct blast_seen {
	struct blast_counts b;
	uint64_t host, a_rx, a_tx;
};

static bool blast_look(struct blast_seen *s)
{
	return b_counts(&s->b) && host_drops(&s->host) &&
	       vm_expect(netdev_drops(ifname[0], &s->a_rx, &s->a_tx), "%s in /proc/net/dev",
			 ifname[0]);
}

/* What @now accounts for since @base: received plus every counted drop. */
static uint64_t blast_accounted(const struct blast_seen *base, const struct blast_seen *now,
				uint64_t *received, uint64_t *dropped)
{
	*received = now->b.received - base->b.received;
	*dropped = (now->host - base->host) + (now->a_tx - base->a_tx) +
		   (now->b.rx_dropped - base->b.rx_dropped) +
		   (now->b.udp_in_errors - base->b.udp_in_errors);
	return *received + *dropped;
}

/*
 * @count datagrams of BLAST_LEN bytes A -> B's blast port, as fast as A
 * takes them (IP_RECVERR: a datagram A's queue refuses comes back as
 * ENOBUFS and is sent again).  Then, once the counts settle, every one
 * sent is received by B or counted as dropped: by the host's switch, by
 * A's device (transmit) or B's (receive), or by B's UDP layer.
 */
static bool udp_blast(unsigned int count)
{
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons(BLAST_PORT) };
	struct blast_seen base = { 0 }, now = { 0 };
	uint64_t sent = 0, got = 0, dropped = 0, seen, last = ~0ULL, t0, t_last, ms;
	static unsigned char buf[BLAST_BATCH][BLAST_LEN];
	struct mmsghdr msg[BLAST_BATCH];
	struct iovec iov[BLAST_BATCH];
	unsigned int i, want;
	int fd, one = 1, n;
	bool ok;

	inet_pton(AF_INET, addrs[1], &sin.sin_addr);
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (!vm_expect(fd >= 0, "socket: %s", strerror(errno)))
		return false;
	ok = vm_expect(!setsockopt(fd, IPPROTO_IP, IP_RECVERR, &one, sizeof(one)),
		       "IP_RECVERR: %s", strerror(errno)) &&
	     arp_perm_b() && blast_look(&base);
	t0 = t_last = vm_now_ms();
	memset(msg, 0, sizeof(msg));
	for (i = 0; i < BLAST_BATCH; i++) {
		iov[i] = (struct iovec){ .iov_base = buf[i], .iov_len = BLAST_LEN };
		msg[i].msg_hdr.msg_iov = &iov[i];
		msg[i].msg_hdr.msg_iovlen = 1;
		msg[i].msg_hdr.msg_name = &sin;
		msg[i].msg_hdr.msg_namelen = sizeof(sin);
	}
	while (ok && sent < count) {
		want = count - sent < BLAST_BATCH ? count - sent : BLAST_BATCH;
		for (i = 0; i < want; i++) {
			uint64_t seq = sent + i;

			memcpy(buf[i], &seq, sizeof(seq));
		}
		/* As many as A took; the first refused one is sent again. */
		n = sendmmsg(fd, msg, want, 0);
		if (n > 0) {
			sent += n;
			t_last = vm_now_ms();
			continue;
		}
		ok = vm_expect(errno == ENOBUFS || errno == EAGAIN, "blast sendmmsg: %s",
			       strerror(errno)) &&
		     vm_expect(vm_now_ms() - t_last < STALL_MS, "A took no datagram for %u ms",
			       STALL_MS);
		usleep(100);
	}
	close(fd);
	ms = vm_now_ms() - t0;
	/* Until the counts stop moving, or all are there. */
	t_last = vm_now_ms();
	while (ok && blast_look(&now)) {
		seen = blast_accounted(&base, &now, &got, &dropped);
		if (seen >= sent)
			break;
		if (seen != last)
			t_last = vm_now_ms();
		else if (vm_now_ms() - t_last > BLAST_SETTLE_MS)
			break;
		last = seen;
		usleep(100000);
	}
	ksft_print_msg("UDP blast A -> B: %" PRIu64 " of %u datagrams sent in %" PRIu64 " ms; "
		       "B received %" PRIu64 ", dropped %" PRIu64 " (host %" PRIu64 ", A tx %"
		       PRIu64 ", B rx %" PRIu64 ", B UDP %" PRIu64 ")\n", sent, count, ms, got,
		       dropped, now.host - base.host, now.a_tx - base.a_tx,
		       now.b.rx_dropped - base.b.rx_dropped,
		       now.b.udp_in_errors - base.b.udp_in_errors);
	return ok && vm_expect_eq("datagrams sent", count, sent) &&
	       vm_expect_eq("datagrams received plus counted drops", sent, got + dropped);
}

/*
 * B's receive buffer short (SHORT_SLOTS slots at most): a blast A -> B
 * overruns it; every datagram is received or counted (udp_blast()), and
 * the host counted drops for want of a slot.  Then the whole buffer: none
 * lost.
 */
static bool rx_exhausted(unsigned int blast)
{
	uint64_t d0 = 0, d1 = 0;
	unsigned int lost = MTU_COUNT;
	bool ok;

	ok = nv_stat("drops_recv_buf_exhausted", &d0) && nic_set("rx_slots", 1, SHORT_SLOTS) &&
	     udp_blast(blast < SHORT_BLAST ? blast : SHORT_BLAST) &&
	     nv_stat("drops_recv_buf_exhausted", &d1);
	ksft_print_msg("B short of receive buffer: drops_recv_buf_exhausted %" PRIu64 " -> %"
		       PRIu64 "\n", d0, d1);
	ok &= nic_set("rx_slots", 1, 0);
	ok = ok && vm_expect_ge("drops for want of a receive slot", d0 + 1, d1);
	if (ok)
		lost = udp_run(addrs[1], MTU_COUNT);
	ksft_print_msg("B's buffer whole again: A -> B %u of %u datagrams lost\n", lost,
		       MTU_COUNT);
	return ok && vm_expect_eq("datagrams lost", 0, lost);
}

/*
 * A slow host: each of A's send completions SLOW_SEND_MS late; a TCP
 * stream A -> B arrives intact, the host counted the late completions;
 * quick again, datagrams cross.
 */
static bool slow_sends(void)
{
	uint64_t d0 = 0, d1 = 0;
	unsigned int lost = MTU_COUNT;
	bool ok;

	ok = nv_stat("delayed_send_completions", &d0) &&
	     nic_set("send_delay_ms", 0, SLOW_SEND_MS) && tcp_stream(SLOW_TCP_MB) &&
	     nv_stat("delayed_send_completions", &d1);
	ok &= nic_set("send_delay_ms", 0, 0);
	ksft_print_msg("slow host: delayed_send_completions %" PRIu64 " -> %" PRIu64 "\n", d0,
		       d1);
	ok = ok && vm_expect_ge("late send completions", d0 + 1, d1);
	if (ok)
		lost = udp_run(addrs[1], MTU_COUNT);
	return ok && vm_expect_eq("datagrams lost after the slow sends", 0, lost);
}

static bool switch_counters(void)
{
	struct vm_stats st;
	uint64_t sw = 0, err = 1;
	bool ok;

	if (!vm_expect(!vm_stats_load(VM_SIM, "netvsc/stats", &st), "reading netvsc/stats"))
		return false;
	ok = vm_expect(vm_stat_get(&st, "frames_switched", &sw), "no frames_switched") &&
	     vm_expect_ge("frames_switched", 2 * UDP_COUNT, sw);
	ok &= vm_expect(vm_stat_get(&st, "errors", &err), "no errors") &&
	      vm_expect_eq("netvsc guest protocol errors", 0, err);
	return ok;
}

/* The host's offload counters, in this order. */
static const char *const offload_names[] = {
	"offload_parameter_sets", "tx_checksums_offloaded", "lso_sends", "lso_segments",
	"rx_checksums_good", "rx_checksums_bad",
};
enum { OFFLOAD_STATS = 6 };

static bool offload_stats(uint64_t *v)
{
	return nv_stats(offload_names, OFFLOAD_STATS, v);
}

/*
 * What the offloads did for a TCP stream of @mb MiB A -> B (@v0 before,
 * @v1 after): every NIC set its offload parameters; the host cut large
 * sends into segments and computed checksums for the guest; it checked
 * at least one good checksum per MSS of the stream for B, and no bad one.
 */
static bool offloads(const uint64_t *v0, const uint64_t *v1, unsigned int mb)
{
	uint64_t d[OFFLOAD_STATS];
	unsigned int i;
	bool ok;

	for (i = 0; i < OFFLOAD_STATS; i++)
		d[i] = v1[i] - v0[i];
	ksft_print_msg("offloads for %u MiB: %" PRIu64 " large sends cut into %" PRIu64
		       " segments, %" PRIu64 " checksums computed, %" PRIu64 " good and %"
		       PRIu64 " bad checksums found on receive\n", mb, d[2], d[3], d[1], d[4],
		       d[5]);
	ok = vm_expect_ge("offload parameter sets (one per NIC at least)", NICS, v1[0]);
	ok &= vm_expect_ge("large sends", 1, d[2]);
	ok &= vm_expect_ge("segments of the large sends", d[2] + 1, d[3]);
	ok &= vm_expect_ge("checksums the host computed", 1, d[1]);
	ok &= vm_expect_ge("good checksums on receive", ((uint64_t)mb << 20) / 1460, d[4]);
	return ok & vm_expect_eq("bad checksums on receive", 0, d[5]);
}

/* Each channel's interrupt count, in the order of @relid. */
static void guest_irqs(unsigned int i, const unsigned int *relid, int n, uint64_t *irq)
{
	char inst[64];
	int k;

	nv_instance(macs[i], inst, sizeof(inst));
	for (k = 0; k < n; k++)
		if (vm_chan_read(inst, relid[k], "interrupts", &irq[k]))
			irq[k] = 0;
}

/*
 * vRSS: every NIC runs QUEUES channels (or one per CPU, if fewer), the
 * host sees the guest's sub-channel requests and RSS parameters, and TCP
 * connections A -> B land on at least two of B's queues at the host and
 * interrupt at least two of B's channels in the guest.
 */
static bool vrss(void)
{
	unsigned int relid[NV_MAX_QUEUES], i, q, moved = 0, subs_moved = 0, irq_moved = 0;
	uint64_t irq0[NV_MAX_QUEUES], irq1[NV_MAX_QUEUES], req, granted;
	struct nv_queues nq[NICS], before, after;
	bool ok = true;
	int n;

	for (i = 0; i < NICS; i++) {
		ok &= vm_expect(nv_nic_queues(macs[i], &nq[i]), "netvsc/nics: no queues of %s",
				macs[i]);
		n = nv_relids(macs[i], relid, NV_MAX_QUEUES);
		ksft_print_msg("NIC %c: host offers %u queues, %u channels open, RSS %s; "
			       "%d channels in the guest's sysfs\n", 'A' + i, nq[i].queues,
			       nq[i].open, nq[i].rss ? "on" : "off", n);
		ok &= vm_expect_eq("channels open at the host", want_chn, nq[i].open) &&
		      vm_expect_eq("channels in the guest's sysfs", want_chn, (uint64_t)n) &&
		      vm_expect(want_chn < 2 || nq[i].rss, "RSS off at the host");
	}
	ok &= nv_stat("subchannel_requests", &req) && nv_stat("subchannels_granted", &granted);
	if (!ok)
		return false;
	ksft_print_msg("host: %" PRIu64 " sub-channel requests, %" PRIu64 " sub-channels granted\n",
		       req, granted);
	if (want_chn < 2)
		return true;
	ok = vm_expect_ge("sub-channel requests", NICS, req) &&
	     vm_expect_ge("sub-channels granted", NICS * (want_chn - 1), granted);
	n = nv_relids(macs[1], relid, NV_MAX_QUEUES);
	guest_irqs(1, relid, n, irq0);
	ok &= nv_nic_queues(macs[1], &before);
	for (i = 0; ok && i < VRSS_FLOWS; i++)
		ok = tcp_stream(VRSS_FLOW_MB);
	guest_irqs(1, relid, n, irq1);
	ok = ok && vm_expect(nv_nic_queues(macs[1], &after), "netvsc/nics: no queues of B");
	for (q = 0; ok && q < after.queues; q++) {
		ksft_print_msg("B queue %u: %" PRIu64 " frames\n", q, after.rx[q] - before.rx[q]);
		moved += after.rx[q] > before.rx[q];
		/* Queue 0 also takes every frame RSS does not hash (ARP). */
		subs_moved += q && after.rx[q] > before.rx[q];
	}
	for (q = 0; ok && (int)q < n; q++) {
		ksft_print_msg("B channel relid %u: %" PRIu64 " interrupts\n", relid[q],
			       irq1[q] - irq0[q]);
		irq_moved += irq1[q] > irq0[q];
	}
	return ok && vm_expect_ge("B's queues that took frames", 2, moved) &&
	       vm_expect_ge("B's sub-channel queues that took frames", 1, subs_moved) &&
	       vm_expect_ge("B's channels interrupted", 2, irq_moved);
}

/* ETHTOOL_GCHANNELS / SCHANNELS on A (@set 0: read only). */
static bool a_channels(unsigned int set, unsigned int *max, unsigned int *cur)
{
	struct ethtool_channels ch = { .cmd = ETHTOOL_GCHANNELS };
	struct ifreq ifr = { .ifr_data = (void *)&ch };

	if (set) {
		ch.cmd = ETHTOOL_SCHANNELS;
		ch.combined_count = set;
		return vm_expect(if_ioctl(ifname[0], SIOCETHTOOL, &ifr),
				 "ethtool -L %s combined %u: %s", ifname[0], set, strerror(errno));
	}
	if (!vm_expect(if_ioctl(ifname[0], SIOCETHTOOL, &ifr), "ethtool -l %s: %s", ifname[0],
		       strerror(errno)))
		return false;
	*max = ch.max_combined;
	*cur = ch.combined_count;
	return true;
}

static volatile uint64_t *bg_echoes;

/*
 * Datagrams A -> B, one every BG_GAP_MS whether or not the last came
 * back, until killed; each echo is counted in *bg_echoes.
 */
static void bg_traffic(void)
{
	struct timeval tv = { .tv_usec = BG_GAP_MS * 1000 };
	static unsigned char buf[256];
	struct sockaddr_in sin;
	int fd = udp_to(addrs[1], &sin);

	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)))
		_exit(1);
	for (;;) {
		sendto(fd, buf, sizeof(buf), 0, (const struct sockaddr *)&sin, sizeof(sin));
		/* Every echo waiting, then one more wait of up to BG_GAP_MS. */
		while (recv(fd, buf, sizeof(buf), MSG_DONTWAIT) > 0)
			(*bg_echoes)++;
		if (recv(fd, buf, sizeof(buf), 0) > 0)
			(*bg_echoes)++;
	}
}

/* The background traffic moved past *@arg. */
static bool bg_moved(void *arg)
{
	return *bg_echoes > *(uint64_t *)arg;
}

/* A has @n channels in the guest's sysfs and at the host. */
static bool a_has(void *arg)
{
	unsigned int relid[NV_MAX_QUEUES];
	struct nv_queues q;

	return nv_relids(macs[0], relid, NV_MAX_QUEUES) == (int)(uintptr_t)arg &&
	       nv_nic_queues(macs[0], &q) && q.open == (uintptr_t)arg;
}

/* The probe: a socket to B's echo port that waits PROBE_MS for each echo. */
struct probe {
	int fd;
	struct sockaddr_in sin;
	uint32_t seq;
};

/* A datagram to B echoed within PROBE_MS. */
static bool b_echoes(void *arg)
{
	struct probe *p = arg;

	return udp_once(p->fd, &p->sin, p->seq++, 128);
}

/*
 * `ethtool -L A combined N` for N = 1, 2, QUEUES while datagrams A -> B
 * run: each time ethtool, the guest's sysfs and the host agree on N
 * within CHANNEL_MS, the host heard one sub-channel request for each N >
 * 1, and the datagrams flow again within CHANNEL_MS.  The host's GPADLs
 * made and torn down balance across the cycle.
 */
static bool channels_cycle(void)
{
	static const unsigned int steps[] = { 1, 2, QUEUES };
	struct timeval tv = { .tv_usec = PROBE_MS * 1000 };
	uint64_t made0, torn0, made1, torn1, req0, req1, t0, t1, t2, bg0, bg1;
	unsigned int i, n, max = 0, cur = 0;
	struct probe probe = { .seq = 0x80000000 };
	bool ok;
	pid_t pid;

	if (want_chn < 2)
		return vm_expect(false, "one channel: nothing to change");
	bg_echoes = mmap(NULL, sizeof(*bg_echoes), PROT_READ | PROT_WRITE,
			 MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (!vm_expect(bg_echoes != MAP_FAILED, "mmap: %s", strerror(errno)))
		return false;
	probe.fd = udp_to(addrs[1], &probe.sin);
	ok = vm_expect(probe.fd >= 0, "UDP socket: %s", strerror(errno)) &&
	     !setsockopt(probe.fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) &&
	     host_gpadls(&made0, &torn0) && a_channels(0, &max, &cur) &&
	     vm_expect_eq("A's maximum channels", want_chn, max) &&
	     vm_expect_eq("A's channels", want_chn, cur);
	pid = ok ? fork() : -1;
	if (pid == 0)
		bg_traffic();
	ok = ok && vm_expect(pid > 0, "fork: %s", strerror(errno));
	for (i = 0; ok && i < sizeof(steps) / sizeof(steps[0]); i++) {
		n = steps[i] < want_chn ? steps[i] : want_chn;
		ok = nv_stat("subchannel_requests", &req0);
		t0 = vm_now_ms();
		ok = ok && a_channels(n, NULL, NULL);
		t1 = vm_now_ms();
		ok = ok && vm_wait_until(b_echoes, &probe, CHANNEL_MS,
					 "datagrams A -> B again after ethtool -L combined %u", n);
		t2 = vm_now_ms();
		ok = ok && a_channels(0, &max, &cur) &&
		     vm_expect_eq("A's channels after ethtool -L", n, cur) &&
		     vm_wait_until(a_has, (void *)(uintptr_t)n, CHANNEL_MS,
				   "A with %u channels in sysfs and at the host", n) &&
		     nv_stat("subchannel_requests", &req1);
		/* The background datagrams cross on the new channels. */
		bg0 = *bg_echoes;
		ok = ok && vm_wait_until(bg_moved, &bg0, CHANNEL_MS,
					 "background datagrams echoed with %u channels", n);
		vm_sleep_ms(BG_DWELL_MS);
		bg1 = *bg_echoes;
		if (ok)
			ksft_print_msg("combined %u: ethtool -L took %" PRIu64 " ms, an echo from B "
				       "%" PRIu64 " ms after, sysfs and host agree; %" PRIu64
				       " sub-channel request(s); %" PRIu64 " background echoes "
				       "in the next %u ms or so\n", n, t1 - t0, t2 - t1, req1 - req0,
				       bg1 - bg0, BG_DWELL_MS);
		ok = ok && vm_expect_eq("sub-channel requests", n > 1, req1 - req0);
	}
	if (pid > 0) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
	}
	ksft_print_msg("%" PRIu64 " datagrams echoed to the background sender meanwhile\n",
		       *bg_echoes);
	if (probe.fd >= 0)
		close(probe.fd);
	munmap((void *)bg_echoes, sizeof(*bg_echoes));
	bg_echoes = NULL;
	return ok && host_gpadls(&made1, &torn1) &&
	       vm_expect_eq("GPADLs made less torn down, after against before",
			    made0 - torn0, made1 - torn1);
}

int main(void)
{
	unsigned int i, lost = UDP_COUNT, mb = vm_param_u64("vmbus_netvsc_tcp_mb",
								      vm_dist_kernel() ? TCP_MB_DEFAULT : TCP_MB_DEBUG);
	uint64_t off0[OFFLOAD_STATS] = { 0 }, off1[OFFLOAD_STATS] = { 0 };
	bool loaded, found = false, ns = false, udp, tcp, off0_ok;
	const char *why = NULL;
	unsigned int blast = vm_param_u64("vmbus_netvsc_udp_count",
					  vm_dist_kernel() ? BLAST_DEFAULT : BLAST_DEBUG);

	ksft_print_header();
	vm_setup();
	atexit(cleanup);
	ksft_set_plan(18);
	want_chn = sysconf(_SC_NPROCESSORS_ONLN) < QUEUES ? sysconf(_SC_NPROCESSORS_ONLN) : QUEUES;
	loaded = !vm_write(VM_SIM, "netvsc/control", "reset_stats");
	for (i = 0; i < NICS && loaded; i++)
		loaded = !vm_write(VM_SIM, "netvsc/control", "add %s %u", macs[i], QUEUES);
	loaded = loaded && vm_guest_load(VM_MODPROBE_MS) &&
		 vm_wait_vmbus_devices(NICS, VM_MODPROBE_MS) &&
		 qdisc_fifo() && vm_modprobe_expect("hv_netvsc", VM_MODPROBE_MS);
	if (loaded)
		found = vm_wait_until(all_found, NULL, NIC_MS, "three NICs with the host's MACs");
	for (i = 0; found && i < NICS; i++)
		ksft_print_msg("NIC %c: %s %s\n", 'A' + i, ifname[i], macs[i]);
	ksft_test_result(found, "netvsc_nics: %u NICs appear with the MACs the host offered\n",
			 NICS);
	if (found)
		ns = vm_expect(if_config(ifname[0], addrs[0]), "configuring %s", ifname[0]) &&
		     child_start(1) && child_start(2);
	ksft_test_result(ns, "netvsc_netns: B and C in namespaces of their own, IPv4 up\n");
	if (ns) {
		lost = udp_run(addrs[1], UDP_COUNT);
		ksft_print_msg("UDP A -> B: %u of %u datagrams lost\n", lost, UDP_COUNT);
	}
	udp = ns && vm_expect_eq("datagrams lost", 0, lost);
	ksft_test_result(udp, "netvsc_udp: %u datagrams echoed, none lost\n", UDP_COUNT);
	ksft_test_result(ns && ping_b(), "netvsc_ping: ping -c %u -i 0.01 A -> B, every echo "
			 "answered\n", PING_COUNT);
	ksft_test_result(ns && udp_blast(blast), "netvsc_udp_blast: %u datagrams A -> B, "
			 "each received or counted as dropped\n", blast);
	off0_ok = ns && offload_stats(off0);
	tcp = ns && tcp_stream(mb);
	ksft_test_result(tcp, "netvsc_tcp: %u MiB stream, checksums equal\n", mb);
	ksft_test_result(tcp && off0_ok && offload_stats(off1) && offloads(off0, off1, mb),
			 "netvsc_offload: the stream's large sends cut and checksums computed "
			 "by the host, every received segment checked good\n");
	ksft_test_result(ns && vrss(), "netvsc_vrss: %u channels per NIC, RSS on, %u TCP "
			 "connections spread over B's queues\n", want_chn, VRSS_FLOWS);
	if (want_chn < 2)
		ksft_test_result_skip("netvsc_channels: one CPU, one channel\n");
	else
		ksft_test_result(ns && channels_cycle(), "netvsc_channels: ethtool -L combined "
				 "1, 2, %u under traffic, guest and host agree, traffic back "
				 "within %u ms, GPADLs balance\n", want_chn, CHANNEL_MS);
	ksft_test_result(ns && link_cycle(), "netvsc_link: host link down/up, carrier follows\n");
	ksft_test_result(ns && mtu_cycle(), "netvsc_mtu: MTU %d -> %d -> %d, channel and buffers "
			 "re-created, jumbo frames cross, traffic after each, GPADLs back\n",
			 MTU_STD, MTU_JUMBO, MTU_STD);
	ksft_test_result(ns && faults(), "netvsc_faults: a completion with an unknown "
			 "transaction id and a malformed RNDIS message, each refused, a damaged "
			 "datagram dropped on its bad checksum, traffic unharmed\n");
	ksft_test_result(ns && rx_exhausted(blast), "netvsc_rx_exhausted: B's receive buffer "
			 "short, the blast's drops counted; whole again, none lost\n");
	ksft_test_result(ns && slow_sends(), "netvsc_slow_sends: A's send completions %u ms "
			 "late, a TCP stream intact\n", SLOW_SEND_MS);
	if (!rs_hibernate_possible(&why))
		ksft_test_result_skip("netvsc_hibernate: %s\n", why);
	else
		ksft_test_result(ns && hibernate_cycle(mb < HIB_TCP_MB_MAX ? mb : HIB_TCP_MB_MAX),
				 "netvsc_hibernate: a hibernation cycle with a TCP stream in "
				 "flight, new relids, the stream completes, datagrams cross\n");
	ksft_test_result(ns && switch_counters(), "netvsc_switch: frames counted, no errors\n");
	ksft_test_result(ns && rescind_b(), "netvsc_rescind: B rescinded under A <-> C traffic, none lost\n");
	cleanup();
	ksft_test_result(vm_teardown(), "netvsc_teardown: hv_netvsc and hv_vmbus unloaded, sim restored\n");
	vm_test_finished();
}
