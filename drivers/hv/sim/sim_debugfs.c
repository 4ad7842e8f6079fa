// SPDX-License-Identifier: GPL-2.0
/*
 * vmbus_sim: the control plane, /sys/kernel/debug/vmbus_sim/.
 *
 * Modes are one table and one pair of file operations; counters and logs
 * are seq_files.  The file formats are an interface (INTERFACES.md) that
 * the tests parse.  debugfs_remove_recursive() waits for file operations
 * in progress, so nothing here runs after sim_debugfs_exit().
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/cpumask.h>
#include <linux/debugfs.h>
#include <linux/fs.h>
#include <linux/kernel.h>
#include <linux/seq_file.h>
#include <linux/string.h>
#include <linux/uaccess.h>
#include <linux/uuid.h>

#include "sim.h"

enum sim_mode_kind {
	SIM_MODE_DECIMAL,	/* a number in [min, max] */
	SIM_MODE_VERSION,	/* "M.m", a known version */
	SIM_MODE_STATUS,	/* one of the statuses a post may fail with */
};

struct sim_mode {
	const char *name;
	u32 *val;
	enum sim_mode_kind kind;
	u32 min;
	u32 max;
};

static const struct sim_mode sim_mode_table[] = {
	{ "version_ceiling", &sim_modes.version_ceiling, SIM_MODE_VERSION },
	{ "msg_conn_id", &sim_modes.msg_conn_id, SIM_MODE_DECIMAL,
	  1, SIM_MSG_CONN_ID_MAX },
	{ "post_fail_rate", &sim_modes.post_fail_rate, SIM_MODE_DECIMAL,
	  0, 100 },
	{ "post_fail_status", &sim_modes.post_fail_status, SIM_MODE_STATUS },
	{ "eom_delay_us", &sim_modes.eom_delay_us, SIM_MODE_DECIMAL,
	  0, USEC_PER_SEC },
	{ "unload_delay_ms", &sim_modes.unload_delay_ms, SIM_MODE_DECIMAL,
	  0, 60 * MSEC_PER_SEC },
	{ "unload_respond", &sim_modes.unload_respond, SIM_MODE_DECIMAL,
	  0, 1 },
};

/* Longest write the control plane takes: "add <guid> <guid>\n". */
enum { SIM_CMD_MAX = 128 };

static struct dentry *sim_debugfs_dir;

/* Copy a short write into @buf as a trimmed string. */
static ssize_t sim_copy_cmd(char *buf, size_t size, const char __user *ubuf,
			    size_t count, char **cmd)
{
	if (!count || count >= size)
		return -EINVAL;
	if (copy_from_user(buf, ubuf, count))
		return -EFAULT;
	buf[count] = '\0';
	*cmd = strim(buf);
	return 0;
}

static bool sim_status_valid(u32 status)
{
	return status == HV_STATUS_INSUFFICIENT_MEMORY ||
	       status == HV_STATUS_INVALID_CONNECTION_ID ||
	       status == HV_STATUS_INSUFFICIENT_BUFFERS ||
	       status == VMBUS_HV_STATUS_TIME_OUT;
}

static int sim_version_parse(const char *s, u32 *version)
{
	unsigned int major, minor;
	char end;

	if (sscanf(s, "%u.%u%c", &major, &minor, &end) != 2 ||
	    major > U16_MAX || minor > U16_MAX)
		return -EINVAL;
	*version = major << 16 | minor;
	return sim_version_known(*version) ? 0 : -EINVAL;
}

static int sim_mode_parse(const struct sim_mode *mode, const char *s,
			  u32 *val)
{
	int ret;

	if (mode->kind == SIM_MODE_VERSION)
		return sim_version_parse(s, val);
	ret = kstrtou32(s, 10, val);
	if (ret)
		return ret;
	if (mode->kind == SIM_MODE_STATUS)
		return sim_status_valid(*val) ? 0 : -EINVAL;
	return *val >= mode->min && *val <= mode->max ? 0 : -EINVAL;
}

static ssize_t sim_mode_write(struct file *file, const char __user *ubuf,
			      size_t count, loff_t *ppos)
{
	const struct sim_mode *mode = file->private_data;
	char buf[32], *s;
	ssize_t ret;
	u32 val;

	ret = sim_copy_cmd(buf, sizeof(buf), ubuf, count, &s);
	if (ret == -EFAULT)
		return ret;
	if (!ret)
		ret = sim_mode_parse(mode, s, &val);
	if (ret) {
		pr_warn_ratelimited("%s: invalid value\n", mode->name);
		return -EINVAL;
	}
	WRITE_ONCE(*mode->val, val);
	return count;
}

static ssize_t sim_mode_read(struct file *file, char __user *ubuf,
			     size_t count, loff_t *ppos)
{
	const struct sim_mode *mode = file->private_data;
	u32 val = READ_ONCE(*mode->val);
	char buf[24];
	int len;

	if (mode->kind == SIM_MODE_VERSION)
		len = scnprintf(buf, sizeof(buf), "%u.%u\n",
				val >> 16, val & 0xffff);
	else
		len = scnprintf(buf, sizeof(buf), "%u\n", val);
	return simple_read_from_buffer(ubuf, count, ppos, buf, len);
}

static const struct file_operations sim_mode_fops = {
	.owner	= THIS_MODULE,
	.open	= simple_open,
	.read	= sim_mode_read,
	.write	= sim_mode_write,
	.llseek	= default_llseek,
};

static int sim_stats_show(struct seq_file *m, void *unused)
{
	u64 interrupts = 0;
	unsigned int cpu, i;

	for_each_possible_cpu(cpu)
		interrupts += sim_synic_interrupts(cpu);
	seq_printf(m, "connected %d\n", sim_proto_connected());
	seq_printf(m, "version 0x%08x\n", sim_proto_version());
	seq_printf(m, "contact_cpu %u\n", sim_proto_contact_cpu());
	seq_printf(m, "msg_conn_id %u\n", sim_proto_conn_id());
	for (i = 0; i < SIM_STAT_COUNT; i++) {
		seq_printf(m, "%s %llu\n", sim_stat_name(i), sim_stat_read(i));
		/* The order INTERFACES.md gives. */
		if (i == SIM_STAT_EOMS)
			seq_printf(m, "interrupts %llu\n", interrupts);
	}
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(sim_stats);

static void sim_msg_counts_show(struct seq_file *m, enum sim_dir dir)
{
	unsigned int type;
	u64 n;

	for (type = 0; type <= CHANNELMSG_COUNT; type++) {
		n = sim_msg_count_read(dir, type);
		if (n)
			seq_printf(m, "%s %llu\n", sim_msg_type_name(type), n);
	}
}

static int sim_msg_in_show(struct seq_file *m, void *unused)
{
	sim_msg_counts_show(m, SIM_IN);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(sim_msg_in);

static int sim_msg_out_show(struct seq_file *m, void *unused)
{
	sim_msg_counts_show(m, SIM_OUT);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(sim_msg_out);

static int sim_interrupts_show(struct seq_file *m, void *unused)
{
	unsigned int cpu;

	for_each_possible_cpu(cpu)
		seq_printf(m, "cpu%u %llu\n", cpu, sim_synic_interrupts(cpu));
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(sim_interrupts);

/* Logs: private data is the direction, read as a whole, any write clears. */
static int sim_log_seq_show(struct seq_file *m, void *unused)
{
	return sim_log_show(m, (uintptr_t)m->private);
}

static int sim_log_open(struct inode *inode, struct file *file)
{
	/* "<seq> <type> <size> <crc>\n" fits in 48 bytes. */
	return single_open_size(file, sim_log_seq_show, inode->i_private,
				SIM_LOG_LINES * 48);
}

static ssize_t sim_log_write(struct file *file, const char __user *ubuf,
			     size_t count, loff_t *ppos)
{
	sim_log_clear((uintptr_t)file_inode(file)->i_private);
	return count;
}

static const struct file_operations sim_log_fops = {
	.owner		= THIS_MODULE,
	.open		= sim_log_open,
	.read		= seq_read,
	.write		= sim_log_write,
	.llseek		= seq_lseek,
	.release	= single_release,
};

static ssize_t sim_reset_write(struct file *file, const char __user *ubuf,
			       size_t count, loff_t *ppos)
{
	sim_stats_reset();
	return count;
}

static const struct file_operations sim_reset_fops = {
	.owner	= THIS_MODULE,
	.open	= simple_open,
	.write	= sim_reset_write,
	.llseek	= noop_llseek,
};

static int sim_devices_show(struct seq_file *m, void *unused)
{
	struct sim_device *dev;

	mutex_lock(&sim_lock);
	list_for_each_entry(dev, sim_dev_list(), node)
		seq_printf(m, "%u %pUl %pUl\n", dev->relid, &dev->class_id,
			   &dev->instance);
	mutex_unlock(&sim_lock);
	return 0;
}

static int sim_devices_open(struct inode *inode, struct file *file)
{
	/* One line is at most 4 + 2 * 37 bytes. */
	return single_open_size(file, sim_devices_show, NULL,
				(SIM_MAX_RELID + 1) * 80);
}

/* guid_parse() ignores what follows the GUID; a command may not. */
static bool sim_guid_parse(const char *s, guid_t *guid)
{
	return s && strlen(s) == UUID_STRING_LEN && !guid_parse(s, guid);
}

static int sim_devices_add(char *args)
{
	char *class_s = args ? strsep(&args, " \t") : NULL;
	char *inst_s = args ? strim(args) : NULL;
	guid_t class_id, instance;

	if (!sim_guid_parse(class_s, &class_id) ||
	    !sim_guid_parse(inst_s, &instance))
		return -EINVAL;
	return sim_proto_dev_add(&class_id, &instance);
}

static int sim_devices_add_test(const char *arg)
{
	unsigned int n;

	if (!arg || kstrtouint(arg, 10, &n) || !n || n > SIM_MAX_RELID)
		return -EINVAL;
	return sim_proto_dev_add_test(n);
}

static int sim_devices_cmd(char *cmd)
{
	char *verb = strsep(&cmd, " \t");
	char *args = cmd ? strim(cmd) : NULL;

	if (!strcmp(verb, "add"))
		return sim_devices_add(args);
	if (!strcmp(verb, "add_test"))
		return sim_devices_add_test(args);
	if (!strcmp(verb, "clear") && !args) {
		sim_proto_dev_clear();
		return 0;
	}
	return -EINVAL;
}

static ssize_t sim_devices_write(struct file *file, const char __user *ubuf,
				 size_t count, loff_t *ppos)
{
	char buf[SIM_CMD_MAX], *cmd;
	ssize_t ret;

	ret = sim_copy_cmd(buf, sizeof(buf), ubuf, count, &cmd);
	if (!ret)
		ret = sim_devices_cmd(cmd);
	if (ret == -EINVAL)
		pr_warn_ratelimited("devices: invalid command\n");
	return ret ? ret : count;
}

static const struct file_operations sim_devices_fops = {
	.owner		= THIS_MODULE,
	.open		= sim_devices_open,
	.read		= seq_read,
	.write		= sim_devices_write,
	.llseek		= seq_lseek,
	.release	= single_release,
};

/**
 * sim_debugfs_init() - create /sys/kernel/debug/vmbus_sim/
 *
 * Failures are not fatal: the host works without its control plane.
 *
 * Context: module init, may sleep.
 */
void sim_debugfs_init(void)
{
	struct dentry *dir = debugfs_create_dir(KBUILD_MODNAME, NULL);
	unsigned int i;

	sim_debugfs_dir = dir;
	for (i = 0; i < ARRAY_SIZE(sim_mode_table); i++)
		debugfs_create_file(sim_mode_table[i].name, 0644, dir,
				    (void *)&sim_mode_table[i], &sim_mode_fops);
	debugfs_create_file("devices", 0644, dir, NULL, &sim_devices_fops);
	debugfs_create_file("stats", 0444, dir, NULL, &sim_stats_fops);
	debugfs_create_file("msg_in", 0444, dir, NULL, &sim_msg_in_fops);
	debugfs_create_file("msg_out", 0444, dir, NULL, &sim_msg_out_fops);
	debugfs_create_file("interrupts", 0444, dir, NULL,
			    &sim_interrupts_fops);
	debugfs_create_file("msg_in_log", 0644, dir, (void *)(uintptr_t)SIM_IN,
			    &sim_log_fops);
	debugfs_create_file("msg_out_log", 0644, dir, (void *)(uintptr_t)SIM_OUT,
			    &sim_log_fops);
	debugfs_create_file("reset_stats", 0200, dir, NULL, &sim_reset_fops);
}

/**
 * sim_debugfs_exit() - remove the control plane
 *
 * Returns once no file operation of ours runs.
 *
 * Context: module exit, may sleep.
 */
void sim_debugfs_exit(void)
{
	debugfs_remove_recursive(sim_debugfs_dir);
	sim_debugfs_dir = NULL;
}
