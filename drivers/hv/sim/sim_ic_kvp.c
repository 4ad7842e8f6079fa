// SPDX-License-Identifier: GPL-2.0
/*
 * vmbus_sim: the host's side of the KVP (key-value pair) exchange.
 *
 * The control plane issues one operation at a time - get, set, delete or
 * enumerate on a pool (KVP_POOL_*) - and waits up to SIM_KVP_TIMEOUT_S for
 * the guest's answer.  Keys and values are UTF-16LE on the wire, sizes in
 * bytes with the terminating NUL, as the guest's hv_kvp and its daemon
 * expect; the host converts from and to UTF-8 at the control plane.
 *
 * The operation is handed over under the KVP IC's spinlock:
 *
 *   control plane                    channel's service
 *   gen++, request, queued = 1       build: queued? take it, note gen
 *   kick, wait (10 s)                answer: gen still awaited? store the
 *   waiting = 0; answered?             result, answered = 1, complete
 *
 * An answer to an operation nobody awaits any more (it timed out) counts
 * in kvp_late.  A channel that closes with the operation out ends it with
 * -ENODEV.  Every field of the answer is checked before use.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/completion.h>
#include <linux/jiffies.h>
#include <linux/kernel.h>
#include <linux/mutex.h>
#include <linux/nls.h>
#include <linux/seq_file.h>
#include <linux/spinlock.h>
#include <linux/string.h>

#include "sim_ic.h"

static_assert(sizeof(struct hv_kvp_exchg_msg_value) == 2572);
static_assert(offsetof(struct hv_kvp_msg, body) == 4);
static_assert(sizeof(struct vmpacket_descriptor) +
	      ALIGN(ICMSG_HDR + offsetof(struct hv_kvp_msg, body) +
		    sizeof(struct hv_kvp_msg_enumerate), 8) <= SIM_IC_PKT_MAX);

enum {
	/* How long the control plane waits for an answer. */
	SIM_KVP_TIMEOUT_S	= 10,
};

enum {
	SIM_KVP_SENT, SIM_KVP_OK, SIM_KVP_FAILED, SIM_KVP_TIMEOUTS,
	SIM_KVP_LATE, SIM_KVP_COUNTERS
};

static struct sim_ic_counter sim_kvp_counters[SIM_KVP_COUNTERS] = {
	[SIM_KVP_SENT]		= { .name = "kvp_sent" },
	[SIM_KVP_OK]		= { .name = "kvp_ok" },
	[SIM_KVP_FAILED]	= { .name = "kvp_failed" },
	[SIM_KVP_TIMEOUTS]	= { .name = "kvp_timeouts" },
	[SIM_KVP_LATE]		= { .name = "kvp_late" },
};

/* Message versions, ascending, as Hyper-V hosts list them. */
static const u32 sim_kvp_versions[] = {
	SIM_IC_V(1, 0), SIM_IC_V(3, 0), SIM_IC_V(4, 0), SIM_IC_V(5, 0),
};

/**
 * struct sim_kvp - the one KVP operation of the host
 * @ctl: one operation at a time, held while waiting
 * @done: completed when the awaited answer came or the channel closed
 * @gen: the number of the current operation
 * @queued: its request waits to be built
 * @waiting: the control plane awaits its answer
 * @answered: the answer came (or the channel closed: see @error)
 * @error: 0 for an answer, -EPROTO for a malformed one, -ENODEV
 * @op: KVP_OP_*
 * @pool: KVP_POOL_*
 * @index: enumerate: the index
 * @key: the key, UTF-8
 * @value: set: the value, UTF-8
 * @scratch: checks that a key or value fits on the wire
 * @rop: the operation of the result
 * @rpool: its pool
 * @status: the answer's status
 * @rkey: the key of the result, UTF-8
 * @rvalue: the value of the result, UTF-8
 * @has_result: a result line exists
 *
 * @op .. @scratch are written under @ctl before @queued is set and read
 * by the service while @queued or @waiting; the rest is under the KVP
 * IC's spinlock.
 */
struct sim_kvp {
	struct mutex ctl;	/* see above */
	struct completion done;
	u32 gen;
	bool queued;
	bool waiting;
	bool answered;
	int error;

	u8 op;
	u8 pool;
	u32 index;
	char key[SIM_KVP_KEY_UTF8];
	char value[SIM_KVP_VALUE_UTF8];
	u8 scratch[HV_KVP_EXCHANGE_MAX_VALUE_SIZE];

	u8 rop;
	u8 rpool;
	u32 status;
	char rkey[SIM_KVP_KEY_UTF8];
	char rvalue[SIM_KVP_VALUE_UTF8];
	bool has_result;
};

static struct sim_kvp sim_kvp;

static const char * const sim_kvp_op_names[] = {
	[KVP_OP_GET]		= "get",
	[KVP_OP_SET]		= "set",
	[KVP_OP_DELETE]		= "delete",
	[KVP_OP_ENUMERATE]	= "enum",
};

/* The message body of each operation, after struct icmsg_hdr. */
static u32 sim_kvp_body_len(u8 op)
{
	u32 len = offsetof(struct hv_kvp_msg, body);

	switch (op) {
	case KVP_OP_GET:
		return len + sizeof(struct hv_kvp_msg_get);
	case KVP_OP_SET:
		return len + sizeof(struct hv_kvp_msg_set);
	case KVP_OP_DELETE:
		return len + sizeof(struct hv_kvp_msg_delete);
	default:
		return len + sizeof(struct hv_kvp_msg_enumerate);
	}
}

/*
 * UTF-8 @s to NUL-terminated UTF-16LE in @dst of @max bytes.  Returns the
 * size on the wire (bytes, NUL included), or -EINVAL if it does not fit
 * or is not UTF-8.
 */
static int sim_kvp_to_utf16(const char *s, u8 *dst, u32 max)
{
	int n = utf8s_to_utf16s(s, strlen(s), UTF16_LITTLE_ENDIAN,
				(wchar_t *)dst, max / 2);

	/* Room for the NUL, or the string was cut. */
	if (n < 0 || n > max / 2 - 1)
		return -EINVAL;
	dst[2 * n] = 0;
	dst[2 * n + 1] = 0;
	return 2 * (n + 1);
}

/*
 * A UTF-16LE string of @size bytes from the guest to UTF-8 in @dst.  The
 * size must be even and within @max; the string ends at the first NUL.
 * Control characters are replaced, so a result stays one line.
 */
static bool sim_kvp_from_utf16(const u8 *src, u32 size, u32 max, char *dst,
			       u32 dst_size)
{
	int n, i;

	if (size > max || size % 2)
		return false;
	n = utf16s_to_utf8s((const wchar_t *)src, size / 2,
			    UTF16_LITTLE_ENDIAN, dst, dst_size - 1);
	dst[n] = '\0';
	for (i = 0; i < n; i++)
		if ((u8)dst[i] < 0x20 || dst[i] == 0x7f)
			dst[i] = '?';
	return true;
}

/**
 * sim_kvp_build() - put the queued operation into a request
 * @c: the KVP channel
 *
 * Context: the channel's service.
 * Return: true if a request was built.
 */
static bool sim_kvp_build(struct sim_ic_chan *c)
{
	spinlock_t *lock = sim_ic_lock(SIM_IC_KVP);
	struct hv_kvp_exchg_msg_value *data;
	struct hv_kvp_msg *msg;

	spin_lock(lock);
	if (!sim_kvp.queued) {
		spin_unlock(lock);
		return false;
	}
	sim_kvp.queued = false;
	c->kvp_gen = sim_kvp.gen;
	msg = sim_ic_req_start(c, ICMSGTYPE_KVPEXCHANGE,
			       sim_kvp_body_len(sim_kvp.op));
	msg->kvp_hdr.operation = sim_kvp.op;
	msg->kvp_hdr.pool = sim_kvp.pool;
	/* The strings were checked when the operation was queued. */
	switch (sim_kvp.op) {
	case KVP_OP_GET:
	case KVP_OP_SET:
		data = &msg->body.kvp_set.data;
		data->value_type = REG_SZ;
		data->key_size = sim_kvp_to_utf16(sim_kvp.key, data->key,
						  sizeof(data->key));
		if (sim_kvp.op == KVP_OP_SET)
			data->value_size =
				sim_kvp_to_utf16(sim_kvp.value, data->value,
						 sizeof(data->value));
		break;
	case KVP_OP_DELETE:
		msg->body.kvp_delete.key_size =
			sim_kvp_to_utf16(sim_kvp.key, msg->body.kvp_delete.key,
					 sizeof(msg->body.kvp_delete.key));
		break;
	default:
		msg->body.kvp_enum_data.index = sim_kvp.index;
		break;
	}
	spin_unlock(lock);
	c->sent_stat = &sim_kvp_counters[SIM_KVP_SENT].v;
	return true;
}

/* The key and value of a successful get or enumerate answer. */
static bool sim_kvp_parse(struct sim_ic_chan *c, const u8 *body, u32 len)
{
	const struct hv_kvp_msg *msg = (const void *)body;
	const struct hv_kvp_exchg_msg_value *data;
	u32 ksize, vsize;

	if (len < sim_kvp_body_len(sim_kvp.op)) {
		sim_ic_proto_error(c, "KVP answer of %u bytes\n", len);
		return false;
	}
	if (sim_kvp.op == KVP_OP_GET)
		data = &msg->body.kvp_get.data;
	else
		data = &msg->body.kvp_enum_data.data;
	/* The host's own copy of the packet: read it as it is. */
	ksize = data->key_size;
	vsize = data->value_size;
	if (sim_kvp.op == KVP_OP_ENUMERATE &&
	    !sim_kvp_from_utf16(data->key, ksize, sizeof(data->key),
				sim_kvp.rkey, sizeof(sim_kvp.rkey))) {
		sim_ic_proto_error(c, "KVP answer key_size %u\n", ksize);
		return false;
	}
	if (!sim_kvp_from_utf16(data->value, vsize, sizeof(data->value),
				sim_kvp.rvalue, sizeof(sim_kvp.rvalue))) {
		sim_ic_proto_error(c, "KVP answer value_size %u\n", vsize);
		return false;
	}
	return true;
}

/* The result line before the answer: the request's key and value. */
static void sim_kvp_result_start(void)
{
	sim_kvp.has_result = true;
	sim_kvp.rop = sim_kvp.op;
	sim_kvp.rpool = sim_kvp.pool;
	sim_kvp.status = 0;
	strscpy(sim_kvp.rkey, sim_kvp.op == KVP_OP_ENUMERATE ? "" : sim_kvp.key,
		sizeof(sim_kvp.rkey));
	strscpy(sim_kvp.rvalue, sim_kvp.op == KVP_OP_SET ? sim_kvp.value : "",
		sizeof(sim_kvp.rvalue));
}

/* Store the answer as the result; under the KVP IC's lock. */
static void sim_kvp_result(struct sim_ic_chan *c, const struct icmsg_hdr *hdr,
			   const u8 *body, u32 len)
{
	sim_kvp_result_start();
	sim_kvp.status = hdr ? hdr->status : 0;
	sim_kvp.error = hdr ? 0 : -EPROTO;
	if (hdr && hdr->status == HV_S_OK &&
	    (sim_kvp.op == KVP_OP_GET || sim_kvp.op == KVP_OP_ENUMERATE) &&
	    !sim_kvp_parse(c, body, len))
		sim_kvp.error = -EPROTO;
	if (!hdr || sim_kvp.error || hdr->status != HV_S_OK)
		atomic64_inc(&sim_kvp_counters[SIM_KVP_FAILED].v);
	else
		atomic64_inc(&sim_kvp_counters[SIM_KVP_OK].v);
}

/**
 * sim_kvp_answer() - the guest's answer to a KVP request
 * @c: the KVP channel
 * @hdr: its IC header, NULL if the answer was malformed
 * @body: the message after the header
 * @len: its length
 *
 * Context: the channel's service.
 */
static void sim_kvp_answer(struct sim_ic_chan *c,
			   const struct icmsg_hdr *hdr, const u8 *body, u32 len)
{
	spinlock_t *lock = sim_ic_lock(SIM_IC_KVP);

	spin_lock(lock);
	if (!sim_kvp.waiting || c->kvp_gen != sim_kvp.gen) {
		atomic64_inc(&sim_kvp_counters[SIM_KVP_LATE].v);
	} else {
		sim_kvp_result(c, hdr, body, len);
		sim_kvp.answered = true;
		complete(&sim_kvp.done);
	}
	spin_unlock(lock);
}

/**
 * sim_kvp_closed() - the KVP channel closed with a request staged or out
 * @c: the channel
 *
 * The awaited operation ends with -ENODEV.
 *
 * Context: the channel's close, under sim_lock.
 */
static void sim_kvp_closed(struct sim_ic_chan *c)
{
	spinlock_t *lock = sim_ic_lock(SIM_IC_KVP);

	if (c->type != ICMSGTYPE_KVPEXCHANGE)
		return;
	spin_lock(lock);
	if (sim_kvp.waiting && c->kvp_gen == sim_kvp.gen) {
		sim_kvp_result_start();
		sim_kvp.error = -ENODEV;
		sim_kvp.answered = true;
		complete(&sim_kvp.done);
	}
	spin_unlock(lock);
}

/* <pool> <key> [<value>] or <pool> <index>; into sim_kvp under ctl. */
static int sim_kvp_parse_cmd(unsigned int op, char *args)
{
	char *pool = strsep(&args, " ");
	char *key = args ? strsep(&args, " ") : NULL;
	u8 p;

	if (kstrtou8(pool, 10, &p) || p > SIM_KVP_POOL_MAX || !key || !*key)
		return -EINVAL;
	if (op == KVP_OP_SET ? !args || !*args : args && *args)
		return -EINVAL;
	sim_kvp.op = op;
	sim_kvp.pool = p;
	if (op == KVP_OP_ENUMERATE)
		return kstrtou32(key, 10, &sim_kvp.index);
	if (strscpy(sim_kvp.key, key, sizeof(sim_kvp.key)) < 0 ||
	    sim_kvp_to_utf16(sim_kvp.key, sim_kvp.scratch,
			     HV_KVP_EXCHANGE_MAX_KEY_SIZE) < 0)
		return -EINVAL;
	sim_kvp.value[0] = '\0';
	if (op == KVP_OP_SET &&
	    (strscpy(sim_kvp.value, args, sizeof(sim_kvp.value)) < 0 ||
	     sim_kvp_to_utf16(sim_kvp.value, sim_kvp.scratch,
			      sizeof(sim_kvp.scratch)) < 0))
		return -EINVAL;
	return 0;
}

/* Wait for the answer; the operation is over when this returns. */
static int sim_kvp_wait(void)
{
	spinlock_t *lock = sim_ic_lock(SIM_IC_KVP);
	int ret;

	wait_for_completion_killable_timeout(&sim_kvp.done,
					     SIM_KVP_TIMEOUT_S * HZ);
	spin_lock(lock);
	sim_kvp.waiting = false;
	sim_kvp.queued = false;
	ret = sim_kvp.answered ? sim_kvp.error : -ETIMEDOUT;
	if (!sim_kvp.answered) {
		sim_kvp_result_start();
		sim_kvp.error = -ETIMEDOUT;
		atomic64_inc(&sim_kvp_counters[SIM_KVP_TIMEOUTS].v);
	}
	spin_unlock(lock);
	return ret;
}

/**
 * sim_kvp_cmd() - run one KVP operation of the control plane
 * @op: KVP_OP_GET, _SET, _DELETE or _ENUMERATE
 * @args: "<pool> <key>", "<pool> <key> <value>" (set; the value is the
 *	rest of the line) or "<pool> <index>" (enumerate)
 *
 * Context: process context, may sleep up to SIM_KVP_TIMEOUT_S.
 * Return: 0 when the guest answered (its status is in the kvp file);
 * -EINVAL; -ETIMEDOUT; -ENODEV if the channel closed first; -EPROTO for a
 * malformed answer.
 */
static int sim_kvp_cmd(unsigned int op, char *args)
{
	spinlock_t *lock = sim_ic_lock(SIM_IC_KVP);
	int ret;

	mutex_lock(&sim_kvp.ctl);
	ret = sim_kvp_parse_cmd(op, args);
	if (ret) {
		mutex_unlock(&sim_kvp.ctl);
		return ret;
	}
	spin_lock(lock);
	sim_kvp.gen++;
	sim_kvp.queued = true;
	sim_kvp.waiting = true;
	sim_kvp.answered = false;
	sim_kvp.error = 0;
	reinit_completion(&sim_kvp.done);
	spin_unlock(lock);
	sim_ic_kick(SIM_IC_KVP);
	ret = sim_kvp_wait();
	mutex_unlock(&sim_kvp.ctl);
	return ret;
}

/**
 * sim_kvp_show() - the kvp file: the result of the last operation
 * @m: the seq_file
 * @unused: unused
 *
 * ``<op> <pool> status=<hex> key=<key> value=<value>``; status=none when
 * the operation got no answer.
 *
 * Context: process context.
 * Return: 0.
 */
static int sim_kvp_show(struct seq_file *m, void *unused)
{
	spinlock_t *lock = sim_ic_lock(SIM_IC_KVP);
	char *line;

	/* Formatted under the spinlock, printed after it. */
	line = kmalloc(SIM_KVP_KEY_UTF8 + SIM_KVP_VALUE_UTF8 + 64, GFP_KERNEL);
	if (!line)
		return -ENOMEM;
	line[0] = '\0';
	spin_lock(lock);
	if (sim_kvp.has_result && sim_kvp.error != -ETIMEDOUT &&
	    sim_kvp.error != -ENODEV)
		snprintf(line, SIM_KVP_KEY_UTF8 + SIM_KVP_VALUE_UTF8 + 64,
			 "%s %u status=0x%08x key=%s value=%s\n",
			 sim_kvp_op_names[sim_kvp.rop], sim_kvp.rpool,
			 sim_kvp.status, sim_kvp.rkey, sim_kvp.rvalue);
	else if (sim_kvp.has_result)
		snprintf(line, SIM_KVP_KEY_UTF8 + SIM_KVP_VALUE_UTF8 + 64,
			 "%s %u status=none key=%s value=\n",
			 sim_kvp_op_names[sim_kvp.rop], sim_kvp.rpool,
			 sim_kvp.rkey);
	spin_unlock(lock);
	seq_puts(m, line);
	kfree(line);
	return 0;
}

/* The verbs of vmbus_sim/ic/control, by operation. */
static const char * const sim_kvp_cmd_names[] = {
	[KVP_OP_GET]		= "kvp_get",
	[KVP_OP_SET]		= "kvp_set",
	[KVP_OP_DELETE]		= "kvp_delete",
	[KVP_OP_ENUMERATE]	= "kvp_enum",
};

static int sim_kvp_control(const char *verb, char *arg)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(sim_kvp_cmd_names); i++)
		if (!strcmp(verb, sim_kvp_cmd_names[i]))
			return arg ? sim_kvp_cmd(i, arg) : -EINVAL;
	return -ENOIOCTLCMD;
}

static const struct sim_ic_ops sim_kvp_ops = {
	.versions = sim_kvp_versions,
	.nr_versions = ARRAY_SIZE(sim_kvp_versions),
	.counters = sim_kvp_counters,
	.nr_counters = ARRAY_SIZE(sim_kvp_counters),
	.build = sim_kvp_build,
	.answer = sim_kvp_answer,
	.closed = sim_kvp_closed,
	.cmd = sim_kvp_control,
	.show = sim_kvp_show,
};

/**
 * sim_kvp_init() - no operation yet; hand the KVP IC's ops to sim_ic.c
 *
 * Context: module init, after sim_ic_init() and before the control plane.
 */
void sim_kvp_init(void)
{
	mutex_init(&sim_kvp.ctl);
	init_completion(&sim_kvp.done);
	sim_ic_register(SIM_IC_KVP, &sim_kvp_ops);
}
