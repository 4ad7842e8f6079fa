// SPDX-License-Identifier: GPL-2.0
/*
 * netvsc_bench_test: the data path of the distribution's hv_netvsc on our
 * bus, measured against a veth pair between the same two network
 * namespaces in the same guest, and checked while it is measured.
 *
 * Two synthetic NICs of the simulated host's switch, A and B, each move
 * into a network namespace of its own (held by a child of this program
 * that called unshare(CLONE_NEWNET)); a veth pair joins the same two
 * namespaces on another subnet.  Debian's iperf3 (in the QEMU initramfs)
 * runs between them, the server in B's namespace, the client in A's
 * (busybox nsenter), over each link in turn:
 *   tcp_mbps     one TCP stream A -> B for the run time, what B received;
 *   udp_pps      64-byte UDP datagrams A -> B as fast as A sends them,
 *                datagrams B received per second;
 * and over the NICs also the notifications each packet cost: A's signals
 * to the host per 1000 packets A sent, and the host's interrupts to B per
 * 1000 packets B received, during the UDP run (the channels' events and
 * interrupts of all the NIC's channels in sysfs, the devices' counters in
 * /proc/<pid>/net/dev).  The NICs offer 4 queues, as in netvsc_traffic_test:
 * one stream or one UDP flow keeps to one of them.
 *
 * Speed is never asserted here: each link's figures go to the log as a
 * `BENCH <link> name=value ...` line, and `make bench-netvsc`
 * (qemu/bench-netvsc.sh) runs this program alone with longer runs and
 * prints the ratios to veth.  What is checked: every iperf3 run ends well
 * and moved data, the counters moved, and the host saw no guest protocol
 * error.  Parameter (kernel command line or environment):
 * vmbus_netvsc_bench_s, the seconds of each run (default 1).  A kernel
 * without veth (the debug kernel) runs the NICs alone.
 *
 * Sim: netvsc/control add <mac> 4 (x2); netvsc/stats.
 */
#include <errno.h>
#include <inttypes.h>
#include <net/if.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "netvsc_util.h"
#include "vmbus_util.h"

enum {
	NICS		= 2,
	RUN_S_DEFAULT	= 1,
	RUN_S_MAX	= 60,
	NIC_MS		= 60000,
	SERVER_MS	= 10000,
	IPERF_PORT	= 5201,
	UDP_LEN		= 64,
	/* The queues of netvsc_traffic_test's NICs, so either test may run first. */
	QUEUES		= 4,
};

/* NICs A and B of netvsc_traffic_test: the switch knows them either way. */
static const char *const macs[NICS] = { "00:15:5d:5e:00:0a", "00:15:5d:5e:00:0b" };

/* One link between the namespaces: its interfaces and addresses. */
struct link {
	const char *name;		/* in the BENCH line */
	char ifname[NICS][IF_NAMESIZE];
	const char *addr[NICS];
};

static struct link nic = { "netvsc", { "", "" }, { "10.78.0.1", "10.78.0.2" } };
static struct link veth = { "veth", { "vbench0", "" }, { "10.79.0.1", "10.79.0.2" } };
static pid_t holder[NICS];
static unsigned int run_s;

static bool both_found(void *arg)
{
	(void)arg;
	return nv_find_if(macs[0], nic.ifname[0]) && nv_find_if(macs[1], nic.ifname[1]);
}

/* A child in a network namespace of its own, until it is killed. */
static pid_t holder_start(void)
{
	int p[2];
	char c = 0;
	pid_t pid;

	if (pipe(p))
		return -1;
	pid = fork();
	if (pid == 0) {
		close(p[0]);
		c = unshare(CLONE_NEWNET) ? 'e' : 'k';
		if (write(p[1], &c, 1) != 1 || c != 'k')
			_exit(1);
		for (;;)
			pause();
	}
	close(p[1]);
	if (pid > 0 && (read(p[0], &c, 1) != 1 || c != 'k')) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		pid = -1;
	}
	close(p[0]);
	return pid;
}

/*
 * `nsenter -t <holder @ns> -n` @args... (at most 10 words), its status;
 * killed after @timeout_ms.
 */
static int in_ns(unsigned int ns, unsigned int timeout_ms, const char *const *args)
{
	const char *argv[16] = { "nsenter", "-t", NULL, "-n" };
	char pid[16];
	unsigned int i;

	snprintf(pid, sizeof(pid), "%d", holder[ns]);
	argv[2] = pid;
	for (i = 0; args[i] && i < 10; i++)
		argv[4 + i] = args[i];
	return vm_run(timeout_ms, argv);
}

/* @l's end @ns moved into namespace @ns, its address set, up. */
static bool link_up(struct link *l, unsigned int ns)
{
	char pid[16], cidr[32];
	const char *const mv[] = { "ip", "link", "set", "dev", l->ifname[ns], "netns", pid, NULL };
	const char *const addr[] = { "ip", "addr", "add", cidr, "dev", l->ifname[ns], NULL };
	const char *const up[] = { "ip", "link", "set", "dev", l->ifname[ns], "up", NULL };
	const char *const lo[] = { "ip", "link", "set", "dev", "lo", "up", NULL };

	snprintf(pid, sizeof(pid), "%d", holder[ns]);
	snprintf(cidr, sizeof(cidr), "%s/24", l->addr[ns]);
	return vm_expect(!vm_run(VM_MODPROBE_MS, mv), "moving %s to namespace %c", l->ifname[ns],
			 'A' + ns) &&
	       vm_expect(!in_ns(ns, VM_MODPROBE_MS, addr) && !in_ns(ns, VM_MODPROBE_MS, up) &&
			 !in_ns(ns, VM_MODPROBE_MS, lo),
			 "configuring %s in namespace %c", l->ifname[ns], 'A' + ns);
}

/*
 * The veth pair: busybox names the peer as it likes, so the peer is found
 * by the index its first end links to.
 */
static bool veth_make(void)
{
	const char *const add[] = { "ip", "link", "add", "name", veth.ifname[0], "type", "veth",
				    NULL };
	char path[128];
	uint64_t peer = 0;

	if (!vm_expect(!vm_run(VM_MODPROBE_MS, add), "ip link add %s type veth", veth.ifname[0]))
		return false;
	snprintf(path, sizeof(path), "/sys/class/net/%s/iflink", veth.ifname[0]);
	return vm_expect(!vm_read_u64(path, &peer) && if_indextoname(peer, veth.ifname[1]),
			 "the peer of %s (%s: %" PRIu64 ")", veth.ifname[0], path, peer);
}

/* Namespaces A and B, the NICs in them; veth too if the kernel has it. */
static bool setup(bool *have_veth)
{
	unsigned int i;
	bool ok;

	ok = !vm_write(VM_SIM, "netvsc/control", "reset_stats");
	/* The host's defaults, whatever a test before left. */
	for (i = 0; ok && i < NICS; i++)
		ok = !vm_write(VM_SIM, "netvsc/control", "add %s %u", macs[i], QUEUES) &&
		     !vm_write(VM_SIM, "netvsc/control", "mtu %s 1500", macs[i]) &&
		     !vm_write(VM_SIM, "netvsc/control", "rx_slots %s 0", macs[i]) &&
		     !vm_write(VM_SIM, "netvsc/control", "send_delay_ms %s 0", macs[i]);
	ok = ok && vm_guest_load(VM_MODPROBE_MS) &&
	     vm_wait_vmbus_devices(NICS, VM_MODPROBE_MS) &&
	     vm_modprobe_expect("hv_netvsc", VM_MODPROBE_MS) &&
	     vm_wait_until(both_found, NULL, NIC_MS, "NICs with the MACs %s and %s", macs[0],
			   macs[1]);
	for (i = 0; ok && i < NICS; i++) {
		holder[i] = holder_start();
		ok = vm_expect(holder[i] > 0, "a child in a network namespace of its own");
	}
	for (i = 0; ok && i < NICS; i++)
		ok = link_up(&nic, i);
	*have_veth = ok && !vm_modprobe("veth", VM_MODPROBE_MS);
	if (ok && !*have_veth)
		ksft_print_msg("no veth in this kernel: the NICs alone\n");
	if (*have_veth)
		ok = veth_make() && link_up(&veth, 0) && link_up(&veth, 1);
	if (ok)
		ksft_print_msg("A: %s %s, %s %s; B: %s %s, %s %s\n", nic.ifname[0], nic.addr[0],
			       veth.ifname[0], veth.addr[0], nic.ifname[1], nic.addr[1],
			       veth.ifname[1], veth.addr[1]);
	return ok;
}

/* Namespace B has a TCP socket listening on IPERF_PORT. */
static bool server_listens(void *arg)
{
	char path[64], line[256];
	unsigned int port, state;
	bool found = false;
	FILE *f;

	(void)arg;
	snprintf(path, sizeof(path), "/proc/%d/net/tcp", holder[1]);
	f = fopen(path, "r");
	while (f && !found && fgets(line, sizeof(line), f))
		found = sscanf(line, " %*u: %*x:%x %*x:%*x %x", &port, &state) == 2 &&
			port == IPERF_PORT && state == 0x0a;
	if (f)
		fclose(f);
	return found;
}

/*
 * The object `"@key": {` at or after @from in iperf3's JSON (cJSON's
 * layout: a tab between the colon and the value); NULL if none.
 */
static const char *json_obj(const char *from, const char *key)
{
	char pat[64];
	const char *at;

	snprintf(pat, sizeof(pat), "\"%s\":", key);
	for (at = from ? strstr(from, pat) : NULL; at; at = strstr(at + 1, pat))
		if (at[strlen(pat) + strspn(at + strlen(pat), " \t\n")] == '{')
			return at;
	return NULL;
}

/* The number after `"@key":` at or after @from; -1 if none. */
static double json_num(const char *from, const char *key)
{
	char pat[64];
	const char *at;

	snprintf(pat, sizeof(pat), "\"%s\":", key);
	at = from ? strstr(from, pat) : NULL;
	return at ? strtod(at + strlen(pat), NULL) : -1;
}

/*
 * One iperf3 run A -> B over @l (@udp: 64-byte datagrams, no rate limit):
 * a one-shot server in B's namespace, the client in A's; its JSON report
 * into *@out (to be freed).
 */
static bool iperf(const struct link *l, bool udp, char **out)
{
	char port[16], cmd[256] = "", buf[4096];
	/* Quiet: the report comes from the client. */
	const char *const srv[] = { "iperf3", "-s", "-1", "-B", l->addr[1], "-p", port,
				    "--logfile", "/dev/null", NULL };
	size_t len = 0, n;
	int status = -1;
	pid_t server;
	FILE *p;

	*out = NULL;
	snprintf(port, sizeof(port), "%u", IPERF_PORT);
	fflush(stdout);
	server = fork();
	/* The run, and as long again for the start and the report. */
	if (server == 0) {
		/* A group of its own, with the iperf3 it runs: killed as one. */
		setpgid(0, 0);
		_exit(in_ns(1, 2 * run_s * 1000 + VM_MODPROBE_MS, srv));
	}
	if (server > 0)
		setpgid(server, server);
	if (!vm_expect(server > 0, "fork: %s", strerror(errno)) ||
	    !vm_wait_until(server_listens, NULL, SERVER_MS, "iperf3 listening in B"))
		goto reap;
	snprintf(cmd, sizeof(cmd), "nsenter -t %d -n iperf3 -c %s -p %u -t %u -J%s 2>&1",
		 holder[0], l->addr[1], IPERF_PORT, run_s, udp ? " -u -b 0 -l 64" : "");
	p = popen(cmd, "r");
	if (!vm_expect(p, "popen %s: %s", cmd, strerror(errno)))
		goto reap;
	while ((n = fread(buf, 1, sizeof(buf), p)) > 0) {
		char *more = realloc(*out, len + n + 1);

		if (!more)
			break;
		*out = more;
		memcpy(*out + len, buf, n);
		len += n;
		(*out)[len] = '\0';
	}
	status = pclose(p);
reap:
	/* A client that never got through leaves the server waiting. */
	if (server > 0 && status)
		kill(-server, SIGTERM);
	if (server > 0 && waitpid(server, NULL, 0) < 0)
		ksft_print_msg("waitpid(iperf3 server): %s\n", strerror(errno));
	if (!vm_expect(status == 0 && *out, "`%s`: status %d: %.400s", cmd, status,
		       *out ? *out : "(no output)")) {
		free(*out);
		*out = NULL;
		return false;
	}
	return true;
}

/* A -> B over @l for run_s seconds: what B received, in Mb/s. */
static bool tcp_run(const struct link *l, double *mbps)
{
	char *out;
	const char *end;
	double bytes;
	size_t n;
	bool ok;

	if (!iperf(l, false, &out))
		return false;
	end = json_obj(json_obj(out, "end"), "sum_received");
	bytes = json_num(end, "bytes");
	*mbps = json_num(end, "bits_per_second") / 1e6;
	ksft_print_msg("%s TCP: %.0f bytes received, %.1f Mb/s\n", l->name, bytes, *mbps);
	/* No summary: the report's end says why (iperf3's "error", if any). */
	n = strlen(out);
	ok = vm_expect(bytes > 0 && *mbps > 0, "%s: iperf3 reported no TCP data received; "
		       "its report ends: %s", l->name, n > 600 ? out + n - 600 : out);
	free(out);
	return ok;
}

/* A -> B over @l: 64-byte datagrams B received per second. */
static bool udp_run(const struct link *l, double *pps)
{
	const char *end;
	double packets, lost, secs;
	char *out;

	if (!iperf(l, true, &out))
		return false;
	/* The summary: "end": { "streams": [...], "sum": { ... } }. */
	end = json_obj(json_obj(out, "end"), "sum");
	packets = json_num(end, "packets");
	lost = json_num(end, "lost_packets");
	secs = json_num(end, "seconds");
	free(out);
	*pps = secs > 0 ? (packets - lost) / secs : 0;
	ksft_print_msg("%s UDP: %.0f datagrams sent, %.0f lost, in %.2f s: %.0f received/s\n",
		       l->name, packets, lost, secs, *pps);
	return vm_expect(packets > 0 && lost >= 0 && packets > lost,
			 "%s: iperf3 reported no UDP datagram received", l->name);
}

/*
 * NIC @i's channels' @attr (events, interrupts) in the guest's sysfs,
 * summed over the primary and its sub-channels.
 */
static bool chan_count(unsigned int i, const char *attr, uint64_t *v)
{
	unsigned int relid[NV_MAX_QUEUES];
	int k, n = nv_relids(macs[i], relid, NV_MAX_QUEUES);
	char inst[64];
	uint64_t one;
	bool ok = n > 0;

	nv_instance(macs[i], inst, sizeof(inst));
	*v = 0;
	for (k = 0; ok && k < n; k++) {
		ok = !vm_chan_read(inst, relid[k], attr, &one);
		*v += one;
	}
	return vm_expect(ok, "reading %s of the channels of %s", attr, inst);
}

/* Namespace @ns's packets through @ifname (/proc/<pid>/net/dev). */
static bool if_packets(unsigned int ns, const char *ifname, bool tx, uint64_t *v)
{
	unsigned long long f[10];
	char path[64], line[512], *colon;
	bool found = false;
	FILE *fp;

	snprintf(path, sizeof(path), "/proc/%d/net/dev", holder[ns]);
	fp = fopen(path, "r");
	while (fp && !found && fgets(line, sizeof(line), fp)) {
		colon = strchr(line, ':');
		if (!colon)
			continue;
		*colon = '\0';
		if (strcmp(line + strspn(line, " "), ifname))
			continue;
		/* rx: bytes packets errs drop fifo frame compressed multicast; tx: bytes packets */
		found = sscanf(colon + 1, "%llu %llu %llu %llu %llu %llu %llu %llu %llu %llu",
			       &f[0], &f[1], &f[2], &f[3], &f[4], &f[5], &f[6], &f[7], &f[8],
			       &f[9]) == 10;
		*v = tx ? f[9] : f[1];
	}
	if (fp)
		fclose(fp);
	return vm_expect(found, "%s in %s", ifname, path);
}

struct notif {
	uint64_t signals, tx, interrupts, rx;
};

static bool notif_look(struct notif *n)
{
	return chan_count(0, "events", &n->signals) && if_packets(0, nic.ifname[0], true, &n->tx) &&
	       chan_count(1, "interrupts", &n->interrupts) &&
	       if_packets(1, nic.ifname[1], false, &n->rx);
}

/* The NICs: TCP, then UDP with the notifications it cost. */
static bool nic_runs(void)
{
	struct notif a = { 0 }, b = { 0 };
	double mbps = 0, pps = 0, sig, irq;
	bool ok;

	ok = tcp_run(&nic, &mbps) && notif_look(&a) && udp_run(&nic, &pps) && notif_look(&b);
	if (!ok)
		return false;
	ok = vm_expect(b.tx > a.tx && b.rx > a.rx, "the NICs' packet counters did not move") &&
	     vm_expect(b.signals > a.signals && b.interrupts > a.interrupts,
		       "the channels' events and interrupts did not move");
	sig = b.tx > a.tx ? 1000.0 * (b.signals - a.signals) / (b.tx - a.tx) : 0;
	irq = b.rx > a.rx ? 1000.0 * (b.interrupts - a.interrupts) / (b.rx - a.rx) : 0;
	ksft_print_msg("BENCH netvsc run_s=%u tcp_mbps=%.1f udp_pps=%.0f "
		       "tx_signals_per_1k=%.1f rx_interrupts_per_1k=%.1f\n",
		       run_s, mbps, pps, sig, irq);
	return ok;
}

static bool veth_runs(void)
{
	double mbps = 0, pps = 0;
	bool ok = tcp_run(&veth, &mbps) && udp_run(&veth, &pps);

	if (ok)
		ksft_print_msg("BENCH veth run_s=%u tcp_mbps=%.1f udp_pps=%.0f\n", run_s, mbps,
			       pps);
	return ok;
}

/* The host saw no guest protocol error. */
static bool host_clean(void)
{
	struct vm_stats st;
	uint64_t err = 1;

	return vm_expect(!vm_stats_load(VM_SIM, "netvsc/stats", &st) &&
			 vm_stat_get(&st, "errors", &err), "reading netvsc/stats") &&
	       vm_expect_eq("host: guest protocol errors", 0, err);
}

static void cleanup(void)
{
	unsigned int i;

	for (i = 0; i < NICS; i++) {
		if (holder[i] > 0) {
			kill(holder[i], SIGKILL);
			waitpid(holder[i], NULL, 0);
			holder[i] = 0;
		}
	}
	if (vm_module_loaded("hv_netvsc"))
		vm_rmmod("hv_netvsc", VM_RMMOD_MS);
	if (vm_module_loaded("veth"))
		vm_rmmod("veth", VM_RMMOD_MS);
}

int main(void)
{
	bool ready, have_veth = false;

	ksft_print_header();
	vm_setup();
	atexit(cleanup);
	run_s = vm_param_u64("vmbus_netvsc_bench_s", RUN_S_DEFAULT);
	if (!run_s || run_s > RUN_S_MAX)
		run_s = RUN_S_DEFAULT;
	ksft_set_plan(4);
	ready = setup(&have_veth);
	ksft_test_result(ready, "netvsc_bench_setup: NICs A and B in namespaces of their own%s\n",
			 have_veth ? ", a veth pair between the same two" : "");
	ksft_test_result(ready && nic_runs() && host_clean(), "netvsc_bench_nics: iperf3 TCP and "
			 "UDP A -> B over the simulated NICs, notifications counted\n");
	if (ready && !have_veth)
		ksft_test_result_skip("netvsc_bench_veth: no veth in this kernel\n");
	else
		ksft_test_result(ready && veth_runs(), "netvsc_bench_veth: the same over veth\n");
	cleanup();
	ksft_test_result(vm_teardown(), "netvsc_bench_teardown: hv_netvsc and hv_vmbus unloaded, "
			 "sim restored\n");
	vm_test_finished();
}
