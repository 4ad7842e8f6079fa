// SPDX-License-Identifier: GPL-2.0
/*
 * ic_kvp_test: key-value pairs between the simulated host and the guest,
 * through the distribution's hv_utils and the unmodified hv_kvp_daemon
 * (Debian's hyperv-daemons), which this test starts as `hv_kvp_daemon -n`.
 *
 * Shows:
 *  - hv_utils holds the KVP negotiation until the daemon registered; then
 *    the host negotiates once;
 *  - the host's query for the guest's fully qualified domain name returns
 *    the host name the test set (sethostname, resolved through /etc/hosts
 *    as the daemon's getaddrinfo(AI_CANONNAME) does).  hv_kvp_daemon
 *    answers it from the auto pool (KVP_POOL_AUTO) by enumeration, index 0
 *    = key "FullyQualifiedDomainName": that is how the host asks;
 *  - a value the host sets in the external pool (KVP_POOL_EXTERNAL) lands
 *    in the daemon's pool file /var/lib/hyperv/.kvp_pool_0; the host's get
 *    of that key succeeds (with an empty value: see host_reads_back()) and
 *    its enumeration returns key and value; a host delete removes it from
 *    the file, and a get then fails;
 *  - a value the guest writes into the guest pool's file
 *    (/var/lib/hyperv/.kvp_pool_1) is what the host's enumeration of that
 *    pool returns;
 *  - every operation answered, none timed out, the daemon still runs.
 *
 * Sim: ic/control add kvp.  Guest: host name and /etc/hosts restored.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/hyperv.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "ic_util.h"

#define POOL_FILE	"/var/lib/hyperv/.kvp_pool_%d"
#define HOSTS		"/etc/hosts"
#define FQDN_KEY	"FullyQualifiedDomainName"
#define HOST_KEY	"VmbusSimHostKey"
#define GUEST_KEY	"VmbusSimGuestKey"

/* One record of a pool file, as hv_kvp_daemon stores it. */
struct pool_record {
	char key[HV_KVP_EXCHANGE_MAX_KEY_SIZE];
	char value[HV_KVP_EXCHANGE_MAX_VALUE_SIZE];
};

static char hostname[64], old_hostname[64];
static char *old_hosts;
static pid_t kvpd;

struct kvp_counts {
	uint64_t sent, ok, failed, timeouts, negotiated, errors;
};

static struct kvp_counts base;	/* host counters at the start */

static bool set_hostname(void)
{
	char line[128];
	int fd;

	gethostname(old_hostname, sizeof(old_hostname));
	snprintf(hostname, sizeof(hostname), "vmbus-kvp-%x",
		 (unsigned int)(vm_now_ms() ^ getpid()) & 0xffffff);
	vm_read_file(HOSTS, &old_hosts);
	if (!vm_expect(!sethostname(hostname, strlen(hostname)), "sethostname: %m"))
		return false;
	fd = open(HOSTS, O_WRONLY | O_APPEND | O_CREAT, 0644);
	snprintf(line, sizeof(line), "127.0.1.2\t%s\n", hostname);
	if (!vm_expect(fd >= 0 && write(fd, line, strlen(line)) == (ssize_t)strlen(line),
		       "appending to %s: %m", HOSTS))
		return false;
	close(fd);
	ksft_print_msg("guest host name: %s\n", hostname);
	return true;
}

static void restore_hostname(void)
{
	if (old_hostname[0])
		sethostname(old_hostname, strlen(old_hostname));
	if (old_hosts)
		vm_write_file(HOSTS, old_hosts);
	free(old_hosts);
	old_hosts = NULL;
}

static bool start(void)
{
	if (!ic_offer(IC_BIT(IC_KVP)) || !ic_load() ||
	    !ic_wait_bound(IC_BIT(IC_KVP), IC_BIND_MS) || !set_hostname())
		return false;
	if (!vm_expect(vm_exists("/dev/vmbus/hv_kvp"), "/dev/vmbus/hv_kvp missing"))
		return false;
	kvpd = ic_kvp_daemon_start();
	if (kvpd <= 0)
		return false;
	return ic_wait_stat_ge("kvp_negotiated", base.negotiated + 1, IC_BIND_MS) &&
	       vm_expect(ic_kvp_daemon_alive(kvpd, NULL), "hv_kvp_daemon ended");
}

static bool expect_result(const struct ic_kvp_result *r, const char *key,
			  const char *value)
{
	bool ok = vm_expect(r->status == 0, "%s pool %u: status 0x%x", r->op, r->pool,
			    r->status);

	if (key)
		ok &= vm_expect(!strcmp(r->key, key), "%s: key '%s', expected '%s'",
				r->op, r->key, key);
	if (value)
		ok &= vm_expect(!strcmp(r->value, value), "%s: value '%s', expected '%s'",
				r->op, r->value, value);
	return ok;
}

static bool fqdn(void)
{
	struct ic_kvp_result r;

	if (!vm_expect(!ic_kvp(&r, "kvp_enum %d 0", KVP_POOL_AUTO),
		       "kvp_enum %d 0 failed", KVP_POOL_AUTO))
		return false;
	ksft_print_msg("host: enum pool %u index 0 -> status 0x%x key '%s' value '%s'\n",
		       r.pool, r.status, r.key, r.value);
	return expect_result(&r, FQDN_KEY, hostname);
}

/* Finds @key in pool file @pool: 1 found (value into @value), 0 not, -errno. */
static int pool_file_find(int pool, const char *key, char *value, size_t len)
{
	struct pool_record rec;
	char path[64];
	int fd, found = 0;

	snprintf(path, sizeof(path), POOL_FILE, pool);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	while (read(fd, &rec, sizeof(rec)) == sizeof(rec)) {
		rec.key[sizeof(rec.key) - 1] = rec.value[sizeof(rec.value) - 1] = '\0';
		if (!strcmp(rec.key, key)) {
			snprintf(value, len, "%s", rec.value);
			found = 1;
		}
	}
	close(fd);
	return found;
}

static bool host_set(char *value, size_t len)
{
	struct ic_kvp_result r;
	char got[HV_KVP_EXCHANGE_MAX_VALUE_SIZE] = "";
	char path[64];
	bool ok;

	snprintf(value, len, "set-by-the-host-%" PRIu64, vm_now_ms());
	snprintf(path, sizeof(path), POOL_FILE, KVP_POOL_EXTERNAL);
	if (!vm_expect(!ic_kvp(&r, "kvp_set %d %s %s", KVP_POOL_EXTERNAL, HOST_KEY, value),
		       "kvp_set failed"))
		return false;
	ok = expect_result(&r, NULL, NULL);
	ok &= vm_expect(pool_file_find(KVP_POOL_EXTERNAL, HOST_KEY, got, sizeof(got)) == 1,
			"%s has no record '%s'", path, HOST_KEY);
	ok &= vm_expect(!strcmp(got, value), "%s: '%s' = '%s', expected '%s'", path,
			HOST_KEY, got, value);
	ksft_print_msg("%s: %s = %s\n", path, HOST_KEY, got);
	return ok;
}

/*
 * A get of an existing key answers success, but Linux's hv_kvp passes the
 * daemon a value size of 0 for a get and hv_kvp_daemon copies that many
 * bytes: the value comes back empty from the distribution's code, so the
 * value itself is checked through enumeration, which copies it whole.
 */
static bool host_reads_back(const char *value)
{
	struct ic_kvp_result r;
	bool ok;

	ok = vm_expect(!ic_kvp(&r, "kvp_get %d %s", KVP_POOL_EXTERNAL, HOST_KEY),
		       "kvp_get failed") && expect_result(&r, HOST_KEY, NULL);
	ksft_print_msg("host get: status 0x%x, value '%s' (%zu bytes)\n", r.status, r.value,
		       strlen(r.value));
	ok &= vm_expect(!ic_kvp(&r, "kvp_enum %d 0", KVP_POOL_EXTERNAL),
			"kvp_enum failed") && expect_result(&r, HOST_KEY, value);
	return ok;
}

static bool host_delete(void)
{
	struct ic_kvp_result r;
	char got[HV_KVP_EXCHANGE_MAX_VALUE_SIZE];
	bool ok;

	ok = vm_expect(!ic_kvp(&r, "kvp_delete %d %s", KVP_POOL_EXTERNAL, HOST_KEY),
		       "kvp_delete failed") && expect_result(&r, NULL, NULL);
	ok &= vm_expect(pool_file_find(KVP_POOL_EXTERNAL, HOST_KEY, got, sizeof(got)) == 0,
			"the record '%s' is still in the pool file", HOST_KEY);
	ok &= vm_expect(!ic_kvp(&r, "kvp_get %d %s", KVP_POOL_EXTERNAL, HOST_KEY),
			"kvp_get failed");
	ok &= vm_expect(r.status != 0, "kvp_get of a deleted key: status 0 (value '%s')",
			r.value);
	ksft_print_msg("get after delete: status 0x%x\n", r.status);
	return ok;
}

/* Appends a record to the guest pool's file, locked as the daemon locks it. */
static bool guest_write(const char *key, const char *value)
{
	struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET };
	struct pool_record rec;
	char path[64];
	bool ok;
	int fd;

	memset(&rec, 0, sizeof(rec));
	snprintf(rec.key, sizeof(rec.key), "%s", key);
	snprintf(rec.value, sizeof(rec.value), "%s", value);
	snprintf(path, sizeof(path), POOL_FILE, KVP_POOL_GUEST);
	fd = open(path, O_WRONLY | O_APPEND | O_CLOEXEC);
	if (!vm_expect(fd >= 0, "open %s: %m", path))
		return false;
	ok = vm_expect(!fcntl(fd, F_SETLKW, &fl), "lock %s: %m", path);
	ok &= vm_expect(write(fd, &rec, sizeof(rec)) == sizeof(rec), "write %s: %m", path);
	fl.l_type = F_UNLCK;
	fcntl(fd, F_SETLK, &fl);
	close(fd);
	return ok;
}

/* The host enumerates the guest pool until it finds @key (as a host reads it). */
static bool guest_pool(void)
{
	struct ic_kvp_result r;
	char value[64];
	unsigned int i;

	snprintf(value, sizeof(value), "written-by-the-guest-%" PRIu64, vm_now_ms());
	if (!guest_write(GUEST_KEY, value))
		return false;
	for (i = 0; i < 64; i++) {
		if (!vm_expect(!ic_kvp(&r, "kvp_enum %d %u", KVP_POOL_GUEST, i),
			       "kvp_enum %d %u failed", KVP_POOL_GUEST, i) ||
		    !expect_result(&r, NULL, NULL))
			return false;
		if (!strcmp(r.key, GUEST_KEY))
			break;
	}
	ksft_print_msg("host: guest pool index %u: %s = %s\n", i, r.key, r.value);
	return expect_result(&r, GUEST_KEY, value);
}

static bool counts_load(struct kvp_counts *c)
{
	struct vm_stats st;

	return !ic_stats_load(&st) && vm_stat_get(&st, "kvp_sent", &c->sent) &&
	       vm_stat_get(&st, "kvp_ok", &c->ok) &&
	       vm_stat_get(&st, "kvp_failed", &c->failed) &&
	       vm_stat_get(&st, "kvp_timeouts", &c->timeouts) &&
	       vm_stat_get(&st, "kvp_negotiated", &c->negotiated) &&
	       vm_stat_get(&st, "ic_protocol_errors", &c->errors);
}

static bool counters(void)
{
	struct kvp_counts c;
	bool ok;

	if (!counts_load(&c))
		return false;
	ksft_print_msg("host KVP counters: %" PRIu64 " sent, %" PRIu64 " ok, %" PRIu64
		       " failed, %" PRIu64 " timeouts\n", c.sent - base.sent, c.ok - base.ok,
		       c.failed - base.failed, c.timeouts - base.timeouts);
	ok = vm_expect_eq("kvp_timeouts", 0, c.timeouts - base.timeouts);
	ok &= vm_expect_eq("kvp_negotiated", 1, c.negotiated - base.negotiated);
	ok &= vm_expect_eq("ic_protocol_errors", 0, c.errors - base.errors);
	ok &= vm_expect_eq("kvp_ok + kvp_failed", c.sent - base.sent,
			   c.ok - base.ok + c.failed - base.failed);
	/* The get after the delete is the one that must fail. */
	ok &= vm_expect_eq("kvp_failed", 1, c.failed - base.failed);
	ok &= vm_expect(ic_kvp_daemon_alive(kvpd, NULL), "hv_kvp_daemon ended");
	return ok;
}

int main(void)
{
	char value[64] = "";
	bool up, set;

	ksft_print_header();
	vm_setup();
	ic_setup();
	ksft_set_plan(8);
	if (!counts_load(&base))
		ksft_exit_fail_msg("cannot read vmbus_sim/ic/stats\n");
	up = start();
	ksft_test_result(up, "hv_utils bound to kvp; hv_kvp_daemon registered, host negotiated\n");
	ksft_test_result(up && fqdn(),
			 "host query: FullyQualifiedDomainName is the guest's host name\n");
	set = up && host_set(value, sizeof(value));
	ksft_test_result(set, "host set in the external pool: the record is in .kvp_pool_0\n");
	ksft_test_result(set && host_reads_back(value),
			 "host get finds it, enumeration returns it\n");
	ksft_test_result(set && host_delete(), "host delete: gone from the file, get fails\n");
	ksft_test_result(up && guest_pool(),
			 "guest pool: a record the guest wrote, host enumeration\n");
	ksft_test_result(up && counters(),
			 "every operation answered, none timed out, daemon alive\n");
	restore_hostname();
	ksft_test_result(ic_teardown() & vm_teardown(),
			 "teardown: daemon stopped, hv_utils and hv_vmbus unloaded, sim restored\n");
	vm_test_finished();
}
