// SPDX-License-Identifier: GPL-2.0
/*
 * debugfs and sysfs files: paths, whole-file reads and writes, small sysfs
 * values, directory counts, the guest's /sys/bus/vmbus, test parameters.
 *
 * Return convention: 0 (or a count, where the comment says so) on success,
 * a negative errno on failure, after a diagnostic naming the file (except
 * vm_write_errno(), whose caller may expect the error).  Queries that cannot
 * fail return their answer: vm_exists(), vm_param_u64(), vm_dist_kernel(),
 * the path builders.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "vmbus_util.h"

static const char *const side_dir[] = {
	[VM_SIM]	= "vmbus_sim",
	[VM_GUEST]	= "hv_vmbus",
};

const char *vm_side_name(enum vm_side side)
{
	return side_dir[side];
}

const char *vm_debugfs_root(void)
{
	const char *root = getenv("VMBUS_DEBUGFS_ROOT");

	return root && *root ? root : "/sys/kernel/debug";
}

int vm_path(char *buf, size_t len, enum vm_side side, const char *file)
{
	int n = snprintf(buf, len, "%s/%s%s%s", vm_debugfs_root(), side_dir[side],
			 file ? "/" : "", file ? file : "");

	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

bool vm_exists(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0;
}

static int read_fd(int fd, char **out)
{
	size_t len = 0, cap = 4096;
	char *buf = malloc(cap);
	ssize_t n;

	if (!buf)
		return -ENOMEM;
	for (;;) {
		if (cap - len < 2048) {
			char *bigger = realloc(buf, cap * 2);

			if (!bigger) {
				free(buf);
				return -ENOMEM;
			}
			buf = bigger;
			cap *= 2;
		}
		n = read(fd, buf + len, cap - len - 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			free(buf);
			return -errno;
		}
		if (n == 0)
			break;
		len += n;
	}
	buf[len] = '\0';
	*out = buf;
	return 0;
}

/*
 * The whole file, NUL-terminated, in *@text, to be freed by the caller;
 * *@text is NULL on failure.
 */
int vm_read_file(const char *path, char **text)
{
	int fd, err;

	*text = NULL;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		err = -errno;
		ksft_print_msg("cannot open %s: %s\n", path, strerror(errno));
		return err;
	}
	err = read_fd(fd, text);
	close(fd);
	if (err)
		ksft_print_msg("cannot read %s: %s\n", path, strerror(-err));
	return err;
}

/* One write() of @text, as `echo -n` would do it. */
int vm_write_file(const char *path, const char *text)
{
	size_t len = strlen(text);
	ssize_t n;
	int fd, err = 0;

	fd = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC);
	if (fd < 0) {
		err = -errno;
		ksft_print_msg("cannot open %s for writing: %s\n", path, strerror(errno));
		return err;
	}
	n = write(fd, text, len);
	if (n < 0)
		err = -errno;
	else if ((size_t)n != len)
		err = -EIO;
	if (close(fd) && !err)
		err = -errno;
	if (err)
		ksft_print_msg("writing '%s' to %s failed: %s\n", text, path, strerror(-err));
	return err;
}

int vm_read(enum vm_side side, const char *file, char **text)
{
	char path[512];
	int err;

	*text = NULL;
	err = vm_path(path, sizeof(path), side, file);
	if (err) {
		ksft_print_msg("%s/%s: path too long\n", side_dir[side], file);
		return err;
	}
	return vm_read_file(path, text);
}

int vm_vwrite(enum vm_side side, const char *file, const char *fmt, va_list ap)
{
	char path[512], text[1024];
	int n;

	n = vsnprintf(text, sizeof(text), fmt, ap);
	if (n < 0 || (size_t)n >= sizeof(text) ||
	    vm_path(path, sizeof(path), side, file))
		return -ENAMETOOLONG;
	return vm_write_file(path, text);
}

int vm_write(enum vm_side side, const char *file, const char *fmt, ...)
{
	va_list ap;
	int err;

	va_start(ap, fmt);
	err = vm_vwrite(side, file, fmt, ap);
	va_end(ap);
	return err;
}

/*
 * Decimal, hexadecimal with a 0x prefix (the `version` lines), or a
 * version "M.m" (the IC stats), stored as M << 16 | m.
 */
int vm_parse_value(const char *s, uint64_t *value)
{
	bool hex = s[0] == '0' && (s[1] == 'x' || s[1] == 'X');
	uint64_t minor;
	char *end;

	if (!*s || *s == '-')
		return -EINVAL;
	errno = 0;
	*value = strtoull(s, &end, hex ? 16 : 10);
	if (!hex && !errno && end != s && *end == '.' && *value <= 0xffff &&
	    end[1] >= '0' && end[1] <= '9') {
		minor = strtoull(end + 1, &end, 10);
		if (errno || *end || minor > 0xffff)
			return -EINVAL;
		*value = *value << 16 | minor;
		return 0;
	}
	if (errno || end == s || *end)
		return -EINVAL;
	return 0;
}

/* A small file into @buf, the trailing newline dropped; -errno with a diagnostic. */
int vm_read_text(const char *path, char *buf, size_t len)
{
	ssize_t n;
	int fd, err = 0;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		err = -errno;
		ksft_print_msg("cannot open %s: %s\n", path, strerror(errno));
		return err;
	}
	do {
		n = read(fd, buf, len - 1);
	} while (n < 0 && errno == EINTR);
	if (n < 0) {
		err = -errno;
		ksft_print_msg("cannot read %s: %s\n", path, strerror(errno));
		n = 0;
	}
	close(fd);
	buf[n] = '\0';
	if (n && buf[n - 1] == '\n')
		buf[n - 1] = '\0';
	return err;
}

int vm_read_u64(const char *path, uint64_t *value)
{
	char buf[64];
	int err = vm_read_text(path, buf, sizeof(buf));

	if (err)
		return err;
	if (vm_parse_value(buf, value)) {
		ksft_print_msg("%s: '%s' is not a number\n", path, buf);
		return -EINVAL;
	}
	return 0;
}

/* One write() of @text; -errno, and no diagnostic (the caller may expect it). */
int vm_write_errno(const char *path, const char *text)
{
	ssize_t n;
	int fd, err = 0;

	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = write(fd, text, strlen(text));
	if (n < 0)
		err = -errno;
	else if ((size_t)n != strlen(text))
		err = -EIO;
	if (close(fd) && !err)
		err = -errno;
	return err;
}

/* Entries of a directory, without . and ..; -errno. */
int vm_dir_count(const char *path)
{
	DIR *dir = opendir(path);
	struct dirent *de;
	int n = 0;

	if (!dir)
		return -errno;
	while ((de = readdir(dir)))
		n += strcmp(de->d_name, ".") && strcmp(de->d_name, "..");
	closedir(dir);
	return n;
}

/* Devices on the vmbus bus; 0 when the bus is gone (hv_vmbus unloaded). */
int vm_vmbus_device_count(void)
{
	int n = vm_dir_count(VM_VMBUS_DEVICES);

	return n == -ENOENT ? 0 : n;
}

/* channels/<relid>/<attr> of device @instance, a number. */
int vm_chan_read(const char *instance, unsigned int relid, const char *attr,
		 uint64_t *value)
{
	char path[256];

	snprintf(path, sizeof(path), "%s/%s/channels/%u/%s", VM_VMBUS_DEVICES,
		 instance, relid, attr);
	return vm_read_u64(path, value);
}

/*
 * `vmbus:` and the GUID's 16 bytes in memory order, as the kernel prints
 * %*phN of a guid_t: the first three fields are little-endian, so their
 * bytes are reversed against the text; the last 8 bytes are in text order.
 */
void vm_guid_modalias(const char *guid, char *buf, size_t len)
{
	/* Text offset of memory byte i (the kernel's guid_index, times 2). */
	static const unsigned char text_pos[16] = {
		6, 4, 2, 0, 11, 9, 16, 14, 19, 21, 24, 26, 28, 30, 32, 34,
	};
	size_t used = snprintf(buf, len, "vmbus:");
	int i;

	for (i = 0; i < 16 && used + 2 < len; i++, used += 2)
		snprintf(buf + used, len - used, "%.2s", guid + text_pos[i]);
}

void vm_echo_path(char *buf, size_t len, const char *instance, const char *file)
{
	const char *root = getenv("VMBUS_DEBUGFS_ROOT");

	snprintf(buf, len, "%s/vmbus_echo/%s/%s", root ? root : "/sys/kernel/debug",
		 instance, file);
}

bool vm_echo_result_exists(const char *instance)
{
	char path[512];

	vm_echo_path(path, sizeof(path), instance, "result");
	return vm_exists(path);
}

uint64_t vm_param_u64(const char *name, uint64_t dflt)
{
	char *env = getenv(name), *cmdline, *p, key[64];
	uint64_t v = dflt;

	if (env)
		return strtoull(env, NULL, 0);
	vm_read_file("/proc/cmdline", &cmdline);
	snprintf(key, sizeof(key), "%s=", name);
	p = cmdline ? strstr(cmdline, key) : NULL;
	if (p)
		v = strtoull(p + strlen(key), NULL, 0);
	free(cmdline);
	return v;
}

uint64_t vm_param_range(const char *name, uint64_t dflt, uint64_t min, uint64_t max)
{
	uint64_t v = vm_param_u64(name, dflt);

	if (v < min || v > max)
		ksft_exit_fail_msg("%s %" PRIu64 ": %" PRIu64 "..%" PRIu64 "\n", name, v, min, max);
	return v;
}

bool vm_dist_kernel(void)
{
	struct utsname u;
	size_t n;

	if (uname(&u))
		return false;
	n = strlen(u.release);
	return n > 6 && !strcmp(u.release + n - 6, "-amd64");
}

static int cmp_uint(const void *a, const void *b)
{
	unsigned int x = *(const unsigned int *)a, y = *(const unsigned int *)b;

	return x < y ? -1 : x > y;
}

int vm_chan_relids(const char *instance, unsigned int *relid, unsigned int max)
{
	struct dirent *de;
	unsigned int n = 0;
	char path[512];
	DIR *dir;

	snprintf(path, sizeof(path), "%s/%s/channels", VM_VMBUS_DEVICES, instance);
	dir = opendir(path);
	if (!dir) {
		ksft_print_msg("cannot open %s: %s\n", path, strerror(errno));
		return -errno;
	}
	while ((de = readdir(dir)) && n < max)
		if (sscanf(de->d_name, "%u", &relid[n]) == 1)
			n++;
	closedir(dir);
	qsort(relid, n, sizeof(*relid), cmp_uint);
	return n;
}

int vm_chan_set_cpu(const char *instance, unsigned int relid, const char *cpu)
{
	char path[512];

	snprintf(path, sizeof(path), "%s/%s/channels/%u/cpu", VM_VMBUS_DEVICES, instance,
		 relid);
	return vm_write_errno(path, cpu);
}

bool vm_chan_set_cpu_expect(const char *instance, unsigned int relid, long cpu)
{
	char text[24];
	int err;

	snprintf(text, sizeof(text), "%ld", cpu);
	err = vm_chan_set_cpu(instance, relid, text);
	return vm_expect(!err, "channels/%u/cpu <- %ld: %s", relid, cpu,
			 err ? strerror(-err) : "ok");
}

int vm_cpu_set_online(long cpu, bool on)
{
	char path[128];

	snprintf(path, sizeof(path), "/sys/devices/system/cpu/cpu%ld/online", cpu);
	return vm_write_errno(path, on ? "1" : "0");
}
