// SPDX-License-Identifier: GPL-2.0
/*
 * vmbus_sim: the control plane, /sys/kernel/debug/vmbus_sim/.
 *
 * Modes are one table and one pair of file operations; counters and logs
 * are seq_files.  The file formats are an interface that the tests parse
 * (vmbus-sim.rst, "Control plane").  debugfs_remove_recursive() waits
 * for file operations in progress, so nothing here runs after
 * sim_debugfs_exit().
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
	SIM_MODE_ERA,		/* a host era's name; sets version_ceiling */
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
	{ "era", &sim_modes.version_ceiling, SIM_MODE_ERA },
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
	{ "open_status", &sim_modes.open_status, SIM_MODE_DECIMAL,
	  0, U32_MAX },
	{ "open_early_packet", &sim_modes.open_early_packet, SIM_MODE_DECIMAL,
	  0, 1 },
	{ "monitor", &sim_modes.monitor, SIM_MODE_DECIMAL,
	  SIM_MONITOR_OFF, SIM_MONITOR_LATENCY },
	{ "monitor_latency", &sim_modes.monitor_latency, SIM_MODE_DECIMAL,
	  1, U16_MAX },
	{ "resume_relids", &sim_modes.resume_relids, SIM_MODE_DECIMAL, 0, 1 },
	{ "resume_conn_ids", &sim_modes.resume_conn_ids, SIM_MODE_DECIMAL,
	  0, 1 },
	{ "unload_rescind", &sim_modes.unload_rescind, SIM_MODE_DECIMAL,
	  0, SIM_MAX_RELID },
	{ "reoffer_events", &sim_modes.reoffer_events, SIM_MODE_DECIMAL,
	  0, SIM_REOFFER_EVENTS_MAX },
	{ "teardown_respond", &sim_modes.teardown_respond, SIM_MODE_DECIMAL,
	  0, 1 },
	{ "rescind_instead", &sim_modes.rescind_instead, SIM_MODE_DECIMAL,
	  SIM_RESCIND_INSTEAD_OFF, SIM_RESCIND_AFTER_GPADL },
	{ "strict_contact", &sim_modes.strict_contact, SIM_MODE_DECIMAL, 0, 1 },
};

enum {
	/* Longest write the control plane takes: "add <guid> <guid> <n>\n". */
	SIM_CMD_MAX	= 128,
	/* Most words in a command, the verb included. */
	SIM_CMD_WORDS	= 4,
};

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

/* Copy a command written to @file from user space and run it. */
static ssize_t sim_run_cmd(const char __user *ubuf, size_t count,
			   int (*handler)(char *cmd), const char *file)
{
	char buf[SIM_CMD_MAX], *cmd;
	ssize_t ret;

	ret = sim_copy_cmd(buf, sizeof(buf), ubuf, count, &cmd);
	if (!ret)
		ret = handler(cmd);
	if (ret == -EINVAL)
		pr_warn_ratelimited("%s: invalid command\n", file);
	return ret ? ret : count;
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

/* The era whose ceiling is @ceiling, or NULL. */
static const struct sim_era *sim_era_of(u32 ceiling)
{
	unsigned int i;

	for (i = 0; i < sim_nr_eras; i++)
		if (sim_eras[i].ceiling == ceiling)
			return &sim_eras[i];
	return NULL;
}

static int sim_era_parse(const char *s, u32 *ceiling)
{
	unsigned int i;

	for (i = 0; i < sim_nr_eras; i++) {
		if (!strcmp(s, sim_eras[i].name)) {
			*ceiling = sim_eras[i].ceiling;
			return 0;
		}
	}
	return -EINVAL;
}

static int sim_mode_parse(const struct sim_mode *mode, const char *s,
			  u32 *val)
{
	int ret;

	if (mode->kind == SIM_MODE_VERSION)
		return sim_version_parse(s, val);
	if (mode->kind == SIM_MODE_ERA)
		return sim_era_parse(s, val);
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
	const struct sim_era *era;
	char buf[24];
	int len;

	if (mode->kind == SIM_MODE_ERA) {
		era = sim_era_of(val);
		/* A ceiling that no Windows Server release had. */
		len = scnprintf(buf, sizeof(buf), "%s\n", era ? era->name : "none");
	} else if (mode->kind == SIM_MODE_VERSION) {
		len = scnprintf(buf, sizeof(buf), "%u.%u\n",
				val >> 16, val & 0xffff);
	} else {
		len = scnprintf(buf, sizeof(buf), "%u\n", val);
	}
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
		/* The order of vmbus-sim.rst, "Counters". */
		if (i == SIM_STAT_EOMS)
			seq_printf(m, "interrupts %llu\n", interrupts);
	}
	seq_printf(m, "burst_active %d\n", sim_burst_active());
	seq_printf(m, "churn_active %d\n", sim_churn_active());
	seq_printf(m, "events_active %d\n", sim_events_active());
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

/* reset_stats: each file that owns counters zeroes its own. */
static void (* const sim_resets[])(void) = {
	sim_stats_reset,
	sim_synic_reset_stats,
	sim_ring_reset_stats,
};

static ssize_t sim_reset_write(struct file *file, const char __user *ubuf,
			       size_t count, loff_t *ppos)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(sim_resets); i++)
		sim_resets[i]();
	return count;
}

static const struct file_operations sim_reset_fops = {
	.owner	= THIS_MODULE,
	.open	= simple_open,
	.write	= sim_reset_write,
	.llseek	= noop_llseek,
};

static const char * const sim_chan_state_names[] = {
	[SIM_CHAN_OFFERED]	= "offered",
	[SIM_CHAN_RESCINDED]	= "rescinded",
};

static int sim_devices_show(struct seq_file *m, void *unused)
{
	struct sim_chan *ch;
	u32 relid;

	mutex_lock(&sim_lock);
	for (relid = 1; relid <= SIM_MAX_RELID; relid++) {
		ch = sim_chan_get(relid);
		if (ch)
			seq_printf(m, "%u %pUl %pUl %u %s\n", relid,
				   &ch->dev->class_id, &ch->dev->instance,
				   ch->sub_index,
				   sim_chan_state_names[ch->state]);
	}
	mutex_unlock(&sim_lock);
	return 0;
}

static int sim_devices_open(struct inode *inode, struct file *file)
{
	/* One line is at most 5 + 2 * 37 + 6 + 10 bytes. */
	return single_open_size(file, sim_devices_show, NULL,
				(SIM_MAX_RELID + 1) * 96);
}

/*
 * Split @cmd into at most SIM_CMD_WORDS words.  Returns how many, or
 * SIM_CMD_WORDS + 1 if there are more.
 */
static unsigned int sim_cmd_split(char *cmd, char **words)
{
	unsigned int n = 0;
	char *w;

	while ((w = strsep(&cmd, " \t"))) {
		if (!*w)
			continue;
		if (n == SIM_CMD_WORDS)
			return n + 1;
		words[n++] = w;
	}
	return n;
}

/* guid_parse() ignores what follows the GUID; a command may not. */
static bool sim_guid_parse(const char *s, guid_t *guid)
{
	return strlen(s) == UUID_STRING_LEN && !guid_parse(s, guid);
}

/* add <class> <instance> [<nsub>] */
static int sim_devices_add(unsigned int argc, char **argv)
{
	guid_t class_id, instance;
	u16 nsub = 0;

	if (argc < 2 || argc > 3 || !sim_guid_parse(argv[0], &class_id) ||
	    !sim_guid_parse(argv[1], &instance))
		return -EINVAL;
	if (argc == 3 &&
	    (kstrtou16(argv[2], 10, &nsub) || nsub >= SIM_MAX_RELID))
		return -EINVAL;
	return sim_proto_dev_add(&class_id, &instance, nsub);
}

static int sim_devices_add_test(unsigned int argc, char **argv)
{
	unsigned int n;

	if (argc != 1 || kstrtouint(argv[0], 10, &n) || !n ||
	    n > SIM_MAX_RELID)
		return -EINVAL;
	return sim_proto_dev_add_test(n);
}

static int sim_devices_rescind(unsigned int argc, char **argv,
			       enum sim_rescind_how how)
{
	u32 relid;

	if (argc != 1 || kstrtou32(argv[0], 10, &relid))
		return -EINVAL;
	return sim_proto_rescind(relid, how);
}

static int sim_devices_rescind_stray(unsigned int argc, char **argv)
{
	u32 relid;

	if (argc != 1 || kstrtou32(argv[0], 10, &relid))
		return -EINVAL;
	return sim_proto_rescind_stray(relid);
}

static int sim_devices_withhold(unsigned int argc, char **argv)
{
	guid_t instance;

	if (argc != 1 || !sim_guid_parse(argv[0], &instance))
		return -EINVAL;
	return sim_resume_withhold(&instance);
}

static int sim_devices_burst(unsigned int argc, char **argv)
{
	u32 count, max_delay_us;

	if (argc != 2 || kstrtou32(argv[0], 10, &count) ||
	    kstrtou32(argv[1], 10, &max_delay_us))
		return -EINVAL;
	return sim_burst_start(count, max_delay_us);
}

static int sim_devices_churn(unsigned int argc, char **argv)
{
	u32 count, max_delay_us, pool;

	if (argc != 3 || kstrtou32(argv[0], 10, &count) ||
	    kstrtou32(argv[1], 10, &max_delay_us) || kstrtou32(argv[2], 10, &pool))
		return -EINVAL;
	return sim_churn_start(count, max_delay_us, pool);
}

/* late <delay_ms> <relid> <instance> */
static int sim_devices_late(unsigned int argc, char **argv)
{
	u32 delay_ms, relid;
	guid_t instance;

	if (argc != 3 || kstrtou32(argv[0], 10, &delay_ms) ||
	    kstrtou32(argv[1], 10, &relid) || !sim_guid_parse(argv[2], &instance))
		return -EINVAL;
	return sim_late_start(delay_ms, relid, &instance);
}

static int sim_devices_cmd(char *cmd)
{
	char *words[SIM_CMD_WORDS], **argv = words + 1;
	unsigned int argc, n = sim_cmd_split(cmd, words);

	if (!n || n > SIM_CMD_WORDS)
		return -EINVAL;
	argc = n - 1;
	if (!strcmp(words[0], "add"))
		return sim_devices_add(argc, argv);
	if (!strcmp(words[0], "add_test"))
		return sim_devices_add_test(argc, argv);
	if (!strcmp(words[0], "rescind"))
		return sim_devices_rescind(argc, argv, SIM_RESCIND);
	if (!strcmp(words[0], "rescind_dup"))
		return sim_devices_rescind(argc, argv, SIM_RESCIND_DUP);
	if (!strcmp(words[0], "reoffer"))
		return sim_devices_rescind(argc, argv, SIM_RESCIND_REOFFER);
	if (!strcmp(words[0], "rescind_stray"))
		return sim_devices_rescind_stray(argc, argv);
	if (!strcmp(words[0], "burst"))
		return sim_devices_burst(argc, argv);
	if (!strcmp(words[0], "churn"))
		return sim_devices_churn(argc, argv);
	if (!strcmp(words[0], "withhold"))
		return sim_devices_withhold(argc, argv);
	if (!strcmp(words[0], "late"))
		return sim_devices_late(argc, argv);
	if (argc)
		return -EINVAL;
	if (!strcmp(words[0], "burst_stop")) {
		sim_burst_stop();
		return 0;
	}
	if (!strcmp(words[0], "churn_stop")) {
		sim_churn_stop();
		return 0;
	}
	if (!strcmp(words[0], "clear")) {
		sim_late_stop();
		sim_churn_stop();
		sim_burst_stop();
		sim_proto_dev_clear();
		return 0;
	}
	return -EINVAL;
}

static ssize_t sim_devices_write(struct file *file, const char __user *ubuf,
				 size_t count, loff_t *ppos)
{
	return sim_run_cmd(ubuf, count, sim_devices_cmd, "devices");
}

static const struct file_operations sim_devices_fops = {
	.owner		= THIS_MODULE,
	.open		= sim_devices_open,
	.read		= seq_read,
	.write		= sim_devices_write,
	.llseek		= seq_lseek,
	.release	= single_release,
};

/* fire <rounds> <cpu> <delay_us> | stop */
static int sim_events_cmd(char *cmd)
{
	char *words[SIM_CMD_WORDS];
	unsigned int n = sim_cmd_split(cmd, words);
	u32 rounds, delay_us;
	int cpu;

	if (n == 1 && !strcmp(words[0], "stop")) {
		sim_events_stop();
		return 0;
	}
	if (n != 4 || strcmp(words[0], "fire") ||
	    kstrtou32(words[1], 10, &rounds) || kstrtoint(words[2], 10, &cpu) ||
	    kstrtou32(words[3], 10, &delay_us))
		return -EINVAL;
	return sim_events_fire(rounds, cpu, delay_us);
}

static ssize_t sim_events_write(struct file *file, const char __user *ubuf,
				size_t count, loff_t *ppos)
{
	return sim_run_cmd(ubuf, count, sim_events_cmd, "events");
}

static const struct file_operations sim_events_fops = {
	.owner	= THIS_MODULE,
	.open	= simple_open,
	.write	= sim_events_write,
	.llseek	= noop_llseek,
};

static int sim_events_set_show(struct seq_file *m, void *unused)
{
	struct sim_chan *ch;
	u32 relid;

	mutex_lock(&sim_lock);
	for (relid = 1; relid <= SIM_MAX_RELID; relid++) {
		ch = sim_chan_get(relid);
		if (ch)
			seq_printf(m, "%u %lld\n", relid,
				   atomic64_read(&ch->events));
	}
	mutex_unlock(&sim_lock);
	return 0;
}

static int sim_events_set_open(struct inode *inode, struct file *file)
{
	/* "<relid> <count>\n" is at most 5 + 21 bytes. */
	return single_open_size(file, sim_events_set_show, NULL,
				(SIM_MAX_RELID + 1) * 32);
}

static const struct file_operations sim_events_set_fops = {
	.owner		= THIS_MODULE,
	.open		= sim_events_set_open,
	.read		= seq_read,
	.llseek		= seq_lseek,
	.release	= single_release,
};

static int sim_channels_show(struct seq_file *m, void *unused)
{
	sim_ring_show(m);
	return 0;
}

static int sim_channels_open(struct inode *inode, struct file *file)
{
	/* A line is at most 5 + 11 + 7 * 21 bytes. */
	return single_open_size(file, sim_channels_show, NULL,
				(SIM_MAX_RELID + 1) * 176);
}

/* corrupt <relid> write_index|len */
static int sim_channels_cmd(char *cmd)
{
	char *words[SIM_CMD_WORDS];
	unsigned int n = sim_cmd_split(cmd, words);
	enum sim_corrupt how;
	u32 relid;

	if (n != 3 || strcmp(words[0], "corrupt") ||
	    kstrtou32(words[1], 10, &relid))
		return -EINVAL;
	if (!strcmp(words[2], "write_index"))
		how = SIM_CORRUPT_WRITE_INDEX;
	else if (!strcmp(words[2], "len"))
		how = SIM_CORRUPT_LEN;
	else
		return -EINVAL;
	return sim_ring_corrupt(relid, how);
}

static ssize_t sim_channels_write(struct file *file, const char __user *ubuf,
				  size_t count, loff_t *ppos)
{
	return sim_run_cmd(ubuf, count, sim_channels_cmd, "channels");
}

static const struct file_operations sim_channels_fops = {
	.owner		= THIS_MODULE,
	.open		= sim_channels_open,
	.read		= seq_read,
	.write		= sim_channels_write,
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
	debugfs_create_file("events", 0200, dir, NULL, &sim_events_fops);
	debugfs_create_file("events_set", 0444, dir, NULL,
			    &sim_events_set_fops);
	debugfs_create_file("channels", 0644, dir, NULL, &sim_channels_fops);
	sim_hvsock_debugfs_init(dir);
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
	sim_ic_debugfs_init(dir);
	sim_storvsc_debugfs_init(dir);
	sim_hostile_debugfs_init(dir);
	sim_hostile_msg_debugfs_init(dir);
	sim_netvsc_debugfs_init(dir);
	sim_record_debugfs_init(dir);
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
