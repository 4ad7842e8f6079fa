// SPDX-License-Identifier: GPL-2.0
/*
 * ic_rescind_test: the host rescinds and re-offers the KVP and the shutdown
 * components 20 times each while they are in use, and the distribution's
 * hv_utils lets go of each and binds the new one.
 *
 * KVP, with hv_kvp_daemon running and answering: every rescind completes
 * (hv_utils waits for the daemon to close /dev/vmbus/hv_kvp, and it does)
 * and hv_utils binds the re-offered device.  The daemon is never killed or
 * hung: its read() fails and it opens the device again; when the
 * re-offered device is already there it registers with it and goes on,
 * otherwise it ends by itself with status 1 and the test starts a new one,
 * as the package's udev rule and systemd unit do (BindsTo the device).
 * Either way the host negotiates again and the FQDN query answers the host
 * name; the test counts how often each happened.
 *
 * Shutdown: each re-offered component is bound and negotiated, and a host
 * shutdown request after each re-offer, the last included, still reaches
 * /sbin/poweroff (recorded by the test initramfs, see ic_shutdown_test; the
 * requests are skipped where that recorder is absent).
 *
 * Sim: ic/control add kvp, add shutdown, reoffer kvp, reoffer shutdown.
 */
#include <fcntl.h>
#include <inttypes.h>
#include <linux/hyperv.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ic_util.h"

enum {
	ROUNDS		= 20,
	HELPER_MS	= 10000,
};

static char hostname[64], old_hostname[64];
static char *old_hosts;
static pid_t kvpd;

/* The FQDN is resolved through /etc/hosts (see ic_kvp_test). */
static bool set_hostname(void)
{
	char line[128];
	int fd;

	gethostname(old_hostname, sizeof(old_hostname));
	snprintf(hostname, sizeof(hostname), "vmbus-rescind-%x",
		 (unsigned int)(vm_now_ms() ^ getpid()) & 0xffffff);
	vm_read_file("/etc/hosts", &old_hosts);
	fd = open("/etc/hosts", O_WRONLY | O_APPEND | O_CREAT, 0644);
	snprintf(line, sizeof(line), "127.0.1.3\t%s\n", hostname);
	if (fd < 0 || write(fd, line, strlen(line)) != (ssize_t)strlen(line))
		return vm_expect(false, "appending to /etc/hosts: %m");
	close(fd);
	return vm_expect(!sethostname(hostname, strlen(hostname)), "sethostname: %m");
}

static void restore_hostname(void)
{
	if (old_hostname[0])
		sethostname(old_hostname, strlen(old_hostname));
	if (old_hosts)
		vm_write_file("/etc/hosts", old_hosts);
	free(old_hosts);
	old_hosts = NULL;
}

static bool stat_now(const char *name, uint64_t *v)
{
	return vm_expect(ic_stat(name, v), "vmbus_sim/ic/stats has no %s", name);
}

static bool guest_stat(const char *name, uint64_t *v)
{
	struct vm_stats st;

	return !vm_stats_load(VM_GUEST, "stats", &st) && vm_stat_get(&st, name, v);
}

static bool fqdn_answers(void)
{
	struct ic_kvp_result r;

	if (!vm_expect(!ic_kvp(&r, "kvp_enum %d 0", KVP_POOL_AUTO), "kvp_enum failed"))
		return false;
	return vm_expect(!r.status && !strcmp(r.key, "FullyQualifiedDomainName") &&
			 !strcmp(r.value, hostname), "FQDN query: status 0x%x key '%s' "
			 "value '%s', expected '%s'", r.status, r.key, r.value, hostname);
}

/* A daemon on the current device, registered: the host negotiated @nego. */
static bool daemon_up(uint64_t nego)
{
	kvpd = ic_kvp_daemon_start();
	return kvpd > 0 && ic_wait_stat_ge("kvp_negotiated", nego, IC_BIND_MS) &&
	       fqdn_answers();
}

static bool start(void)
{
	uint64_t nego;

	if (!stat_now("kvp_negotiated", &nego) ||
	    !ic_offer(IC_BIT(IC_KVP) | IC_BIT(IC_SHUTDOWN)) || !ic_load() ||
	    !ic_wait_bound(IC_BIT(IC_KVP) | IC_BIT(IC_SHUTDOWN), IC_BIND_MS) ||
	    !set_hostname())
		return false;
	return ic_wait_stat_ge("shutdown_negotiated", 1, IC_BIND_MS) &&
	       daemon_up(nego + 1);
}

struct rebound {
	enum ic_kind ic;
	uint64_t released;	/* the guest's relids_released to reach */
	char stat[32];		/* <ic>_offered */
};

/* The guest handled the rescind, the host offered again, hv_utils bound it. */
static bool rebound(void *arg)
{
	struct rebound *w = arg;
	uint64_t released = 0, offered = 0;

	return guest_stat("relids_released", &released) && released >= w->released &&
	       ic_stat(w->stat, &offered) && offered && ic_bound(w->ic);
}

static bool reoffer(enum ic_kind ic)
{
	struct rebound w = { .ic = ic };

	snprintf(w.stat, sizeof(w.stat), "%s_offered", ic_name[ic]);
	if (!guest_stat("relids_released", &w.released))
		return vm_expect(false, "no hv_vmbus stats");
	w.released++;
	if (ic_control("reoffer %s", ic_name[ic]))
		return false;
	return vm_wait_until(rebound, &w, IC_BIND_MS,
			     "%s rescinded, re-offered and bound to hv_utils again",
			     ic_name[ic]);
}

/* How each round's daemon fared. */
struct daemon_fate {
	unsigned int survived;	/* re-opened the new device, registered again */
	unsigned int restarted;	/* ended with status 1, a new one was started */
};

struct after_rescind {
	uint64_t nego;		/* the host's kvp_negotiated to reach */
	int status;
	bool ended;
};

/* The daemon registered on the new device, or it ended. */
static bool daemon_settled(void *arg)
{
	struct after_rescind *w = arg;
	uint64_t nego = 0;

	if (!ic_kvp_daemon_alive(kvpd, &w->status)) {
		w->ended = true;
		return true;
	}
	return ic_stat("kvp_negotiated", &nego) && nego >= w->nego;
}

/*
 * hv_utils waits for the daemon to close its fd when the device goes;
 * the daemon's read fails and it opens /dev/vmbus/hv_kvp again: it ends
 * (status 1) when that finds no device, and goes on if the re-offered
 * device is already there.  Either is fine; hanging, or being killed, is
 * not.
 */
static bool kvp_round(unsigned int round, uint64_t *nego, struct daemon_fate *f)
{
	struct after_rescind w = { .nego = *nego + 1 };

	if (!reoffer(IC_KVP))
		return false;
	if (!vm_wait_until(daemon_settled, &w, IC_DAEMON_MS, "round %u: hv_kvp_daemon "
			   "to register again or to end", round))
		return false;
	*nego = w.nego;
	if (!w.ended) {
		f->survived++;
		return fqdn_answers();
	}
	if (!vm_expect(WIFEXITED(w.status) && WEXITSTATUS(w.status) == 1,
		       "round %u: hv_kvp_daemon ended with wait status 0x%x, expected "
		       "exit status 1", round, w.status))
		return false;
	f->restarted++;
	return daemon_up(*nego);
}

static bool kvp_rounds(void)
{
	struct daemon_fate f = { 0 };
	uint64_t nego, t0 = vm_now_ms();
	unsigned int i, done = 0;

	if (!stat_now("kvp_negotiated", &nego))
		return false;
	for (i = 1; i <= ROUNDS; i++) {
		if (!kvp_round(i, &nego, &f))
			break;
		done++;
	}
	ksft_print_msg("kvp: %u of %u rescind/re-offer rounds with the daemon, %" PRIu64
		       " ms; the daemon re-opened the new device %u times and ended "
		       "(status 1) and was restarted %u times\n", done, ROUNDS,
		       vm_now_ms() - t0, f.survived, f.restarted);
	return vm_expect_eq("kvp rounds", ROUNDS, done) &&
	       vm_expect(ic_kvp_daemon_alive(kvpd, NULL), "the last daemon ended");
}

static bool poweroff_reached(void *arg)
{
	return ic_power_requests("poweroff") >= *(int *)arg;
}

static bool shutdown_request(bool recorder)
{
	int want = ic_power_requests("poweroff") + 1;
	uint64_t ok0, ok1;

	if (!recorder)
		return true;
	if (!stat_now("shutdown_ok", &ok0) || ic_control("shutdown %u", IC_SD_SHUTDOWN) ||
	    !ic_wait_stat_ge("shutdown_ok", ok0 + 1, VM_SETTLE_MS))
		return false;
	if (!vm_wait_until(poweroff_reached, &want, HELPER_MS, "/sbin/poweroff to run"))
		return false;
	return stat_now("shutdown_ok", &ok1);
}

static bool shutdown_rounds(bool recorder)
{
	uint64_t nego, t0 = vm_now_ms();
	unsigned int i, done = 0;

	if (!stat_now("shutdown_negotiated", &nego))
		return false;
	for (i = 1; i <= ROUNDS; i++) {
		if (!reoffer(IC_SHUTDOWN) ||
		    !ic_wait_stat_ge("shutdown_negotiated", nego + i, IC_BIND_MS) ||
		    !shutdown_request(recorder))
			break;
		done++;
	}
	ksft_print_msg("shutdown: %u of %u rescind/re-offer rounds%s, %" PRIu64 " ms\n", done,
		       ROUNDS, recorder ? ", a shutdown request after each" : "",
		       vm_now_ms() - t0);
	return vm_expect_eq("shutdown rounds", ROUNDS, done);
}

static bool clean(void)
{
	struct vm_stats st;
	uint64_t v;
	bool ok;

	if (ic_stats_load(&st))
		return false;
	ok = vm_expect_stat(&st, "ic_protocol_errors", 0);
	if (vm_stat_get(&st, "kvp_timeouts", &v))
		ok &= vm_expect_eq("kvp_timeouts", 0, v);
	if (!vm_stats_load(VM_SIM, "stats", &st))
		ok &= vm_expect_stat(&st, "guest_errors", 0);
	return ok;
}

int main(void)
{
	const char *why = "";
	bool up, recorder;

	ksft_print_header();
	vm_setup();
	ic_setup();
	ksft_set_plan(6);
	recorder = ic_power_recorder(&why);
	if (!recorder)
		ksft_print_msg("no shutdown requests: %s\n", why);
	up = start();
	ksft_test_result(up, "kvp and shutdown bound, hv_kvp_daemon answering\n");
	ksft_test_result(up && kvp_rounds(), "kvp rescinded and re-offered %u times with the "
			 "daemon: rebound each time, daemon ends cleanly, a new one answers\n", ROUNDS);
	ksft_test_result(up && shutdown_rounds(recorder), "shutdown rescinded and re-offered %u "
			 "times: rebound, negotiated%s\n", ROUNDS,
			 recorder ? ", a shutdown request works after each" : "");
	ksft_test_result(up && fqdn_answers(), "after all rounds the daemon still answers\n");
	ksft_test_result(up && clean(), "no IC protocol error, no KVP timeout, no guest error\n");
	restore_hostname();
	ksft_test_result(ic_teardown() & vm_teardown(),
			 "teardown: daemon stopped, hv_utils and hv_vmbus unloaded, sim restored\n");
	vm_test_finished();
}
