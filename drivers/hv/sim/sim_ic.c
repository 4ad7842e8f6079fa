// SPDX-License-Identifier: GPL-2.0
/*
 * vmbus_sim: the framework of the integration components (ICs) a Hyper-V
 * host offers every guest - heartbeat (sim_ic_heartbeat.c), shutdown
 * (sim_ic_shutdown.c), time sync (sim_ic_timesync.c) and KVP
 * (sim_ic_kvp.c).  This file owns what they share; each IC's file owns its
 * requests, the checks of its answers, its counters and its commands, and
 * registers them as a struct sim_ic_ops (sim_ic.h).
 *
 * Each IC is a device with its real class GUID and a fixed instance GUID,
 * added and rescinded from the control plane.  When the guest opens its
 * channel the host speaks first: ICMSGTYPE_NEGOTIATE with the framework
 * versions and the IC's message versions a Hyper-V host lists (capped by
 * the `version` command); the guest answers with one of each.  Then the
 * host sends the IC's requests, one transaction at a time per channel.
 *
 * Everything the guest writes back is checked: packet type, transaction
 * id, length, message type, flags and status here, each message's fields
 * by its IC.  A malformed answer counts in ic_protocol_errors (and
 * guest_errors); a well-formed wrong one (a bad heartbeat sequence) in the
 * IC's bad count.
 *
 * Contexts and locks:
 *  - a channel's open and close (sim_lock) and its service (the ring
 *    work, under the channel's lock) own its struct sim_ic_chan;
 *  - the control plane and the period ticks never touch a channel: they
 *    set a pending bit under the IC's spinlock and kick the channel's work
 *    through sim_ring_kick(), which finds it under RCU;
 *  - the service takes the IC's spinlock inside the channel's lock, never
 *    the other way round; nothing sleeps under the spinlock.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/atomic.h>
#include <linux/debugfs.h>
#include <linux/fs.h>
#include <linux/jiffies.h>
#include <linux/mutex.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/string.h>
#include <linux/uaccess.h>
#include <linux/workqueue.h>

#include "sim_ic.h"

static_assert(sizeof(struct vmbuspipe_hdr) == 8);
static_assert(sizeof(struct icmsg_hdr) == 20);
static_assert(ICMSG_HDR == 28);
static_assert(sizeof(struct icmsg_negotiate) == 8);

enum {
	/* Largest command the control file takes: kvp_set with a value. */
	SIM_IC_CMD_MAX		= 4096,
	SIM_PERIOD_MS_MAX	= 3600 * 1000,
};

/* Framework versions a Hyper-V host lists, ascending. */
static const u32 sim_ic_fw_versions[] = {
	UTIL_WS2K8_FW_VERSION, UTIL_FW_VERSION,
};

/**
 * struct sim_ic - one integration component, whether offered or not
 * @name: the name of the control plane
 * @instance: the fixed instance GUID of its device
 * @ops: its requests and answers, registered by its file
 * @ceiling: the highest message version the host lists; control plane
 * @lock: covers @relid, @pending and what the IC's file puts under it
 * @relid: its open channel, 0 if none
 * @pending: requests due, bits the IC's file numbers
 * @fw_version: the framework version last agreed; for the stats file
 * @msg_version: the message version last agreed; for the stats file
 * @negotiated: negotiations that agreed on versions
 */
struct sim_ic {
	const char *name;
	guid_t instance;
	const struct sim_ic_ops *ops;
	u32 ceiling;

	spinlock_t lock;	/* see above */
	u32 relid;
	unsigned long pending;

	u32 fw_version;
	u32 msg_version;
	atomic64_t negotiated;
};

static const struct sim_backend sim_ic_backends[SIM_IC_COUNT];

/* Instance GUIDs {7b3ec0c9-1e4d-4f5a-8e5b-564d42534901..04}. */
#define SIM_IC_INSTANCE(n)						\
	GUID_INIT(0x7b3ec0c9, 0x1e4d, 0x4f5a,				\
		  0x8e, 0x5b, 0x56, 0x4d, 0x42, 0x53, 0x49, (n))

/* Instances, locks and ceilings are set by sim_ic_init(), ops by the ICs. */
static struct sim_ic sim_ics[SIM_IC_COUNT] = {
	[SIM_IC_HEARTBEAT]	= { .name = "heartbeat" },
	[SIM_IC_SHUTDOWN]	= { .name = "shutdown" },
	[SIM_IC_TIMESYNC]	= { .name = "timesync" },
	[SIM_IC_KVP]		= { .name = "kvp" },
};

/* Serializes the control plane's period changes and rescinds. */
static DEFINE_MUTEX(sim_ic_ctl);

/* Malformed answers, of any IC. */
static atomic64_t sim_ic_protocol_errors;

/* Transaction ids of every IC request; never 0. */
static atomic64_t sim_ic_trans_ids;

/**
 * sim_ic_proto_error() - count and report a malformed answer
 * @c: the channel it came on
 * @fmt: printf format of the report
 *
 * Counts in ic_protocol_errors and in the host's guest_errors.
 *
 * Context: any.
 */
void sim_ic_proto_error(struct sim_ic_chan *c, const char *fmt, ...)
{
	struct va_format vaf;
	va_list args;

	atomic64_inc(&sim_ic_protocol_errors);
	va_start(args, fmt);
	vaf.fmt = fmt;
	vaf.va = &args;
	sim_guest_error("ic %s: relid %u: %pV", sim_ics[c->kind].name,
			sim_ring_relid(c->o), &vaf);
	va_end(args);
}

/**
 * sim_ic_lock() - the spinlock of an IC
 * @kind: the IC
 *
 * Return: the lock that covers its pending requests.
 */
spinlock_t *sim_ic_lock(enum sim_ic_kind kind)
{
	return &sim_ics[kind].lock;
}

/**
 * sim_ic_kick() - run the service of an IC's open channel soon
 * @kind: the IC
 *
 * Context: any; not under the IC's lock.
 * Return: true if its channel is open.
 */
bool sim_ic_kick(enum sim_ic_kind kind)
{
	struct sim_ic *ic = &sim_ics[kind];
	u32 relid;

	spin_lock(&ic->lock);
	relid = ic->relid;
	spin_unlock(&ic->lock);
	return sim_ring_kick(relid, &sim_ic_backends[kind]);
}

/**
 * sim_ic_mark() - make a request of an IC due
 * @kind: the IC
 * @bit: the request, numbered by the IC's file
 *
 * For the IC's own service, which builds the request when it next looks;
 * everybody else calls sim_ic_request().
 *
 * Context: any; not under the IC's lock.
 */
void sim_ic_mark(enum sim_ic_kind kind, unsigned int bit)
{
	struct sim_ic *ic = &sim_ics[kind];

	spin_lock(&ic->lock);
	__set_bit(bit, &ic->pending);
	spin_unlock(&ic->lock);
}

/**
 * sim_ic_request() - make a request of an IC due and kick its channel
 * @kind: the IC
 * @bit: the request, numbered by the IC's file
 *
 * Context: any; not under the IC's lock.
 */
void sim_ic_request(enum sim_ic_kind kind, unsigned int bit)
{
	sim_ic_mark(kind, bit);
	sim_ic_kick(kind);
}

/**
 * sim_ic_take() - take a due request
 * @kind: the IC
 * @bit: the request
 *
 * Context: the channel's service; not under the IC's lock.
 * Return: true if it was due; it is not any more.
 */
bool sim_ic_take(enum sim_ic_kind kind, unsigned int bit)
{
	struct sim_ic *ic = &sim_ics[kind];
	bool due;

	spin_lock(&ic->lock);
	due = __test_and_clear_bit(bit, &ic->pending);
	spin_unlock(&ic->lock);
	return due;
}

static struct ic_version sim_ic_ver(u32 v)
{
	return (struct ic_version){ .major = v >> 16, .minor = v & 0xffff };
}

/**
 * sim_ic_req_start() - start a request in the channel's packet buffer
 * @c: the channel
 * @type: ICMSGTYPE_*
 * @body_len: bytes of the message after struct icmsg_hdr
 *
 * Writes the descriptor (VM_PKT_DATA_INBAND, COMPLETION_REQUESTED, a new
 * transaction id), the pipe header and the IC header with the agreed
 * versions; the body is zeroed, the payload padded to 8 bytes.
 *
 * Context: the channel's service.
 * Return: the body, for the caller to fill.
 */
void *sim_ic_req_start(struct sim_ic_chan *c, u16 type, u32 body_len)
{
	u32 payload = ALIGN(ICMSG_HDR + body_len, 8);
	struct vmpacket_descriptor *d = (void *)c->pkt;
	struct vmbuspipe_hdr *pipe = (void *)(d + 1);
	struct icmsg_hdr *hdr = (void *)(pipe + 1);

	memset(c->pkt, 0, sizeof(*d) + payload);
	c->trans_id = atomic64_inc_return(&sim_ic_trans_ids);
	c->type = type;
	c->len = sizeof(*d) + payload;
	c->sent_stat = NULL;
	d->type = VM_PKT_DATA_INBAND;
	d->offset8 = sizeof(*d) >> 3;
	d->len8 = c->len >> 3;
	d->flags = VMBUS_DATA_PACKET_FLAG_COMPLETION_REQUESTED;
	d->trans_id = c->trans_id;
	pipe->msgsize = payload - sizeof(*pipe);
	/* Before the negotiation both versions are 1.0. */
	hdr->icverframe = sim_ic_ver(c->negotiated ? c->fw_version :
				     UTIL_WS2K8_FW_VERSION);
	hdr->icvermsg = sim_ic_ver(c->negotiated ? c->msg_version :
				   SIM_IC_V(1, 0));
	hdr->icmsgtype = type;
	hdr->icmsgsize = body_len;
	hdr->ictransaction_id = (u8)c->trans_id;
	hdr->icflags = ICMSGHDRFLAG_TRANSACTION | ICMSGHDRFLAG_REQUEST;
	return hdr + 1;
}

/* Message versions the host lists now: those up to the ceiling. */
static unsigned int sim_ic_nr_offered(const struct sim_ic *ic, u32 ceiling)
{
	unsigned int n = 0;

	while (n < ic->ops->nr_versions && ic->ops->versions[n] <= ceiling)
		n++;
	return n;
}

static bool sim_ic_negotiate_build(struct sim_ic_chan *c)
{
	struct sim_ic *ic = &sim_ics[c->kind];
	u32 ceiling = READ_ONCE(ic->ceiling);
	unsigned int nfw = ARRAY_SIZE(sim_ic_fw_versions);
	unsigned int nmsg = sim_ic_nr_offered(ic, ceiling);
	struct icmsg_negotiate *neg;
	unsigned int i;

	neg = sim_ic_req_start(c, ICMSGTYPE_NEGOTIATE, sizeof(*neg) +
			       (nfw + nmsg) * sizeof(struct ic_version));
	neg->icframe_vercnt = nfw;
	neg->icmsg_vercnt = nmsg;
	for (i = 0; i < nfw; i++)
		neg->icversion_data[i] = sim_ic_ver(sim_ic_fw_versions[i]);
	for (i = 0; i < nmsg; i++)
		neg->icversion_data[nfw + i] = sim_ic_ver(ic->ops->versions[i]);
	c->msg_ceiling = ceiling;
	return true;
}

static bool sim_ic_listed(const u32 *list, unsigned int n, u32 v)
{
	while (n--)
		if (list[n] == v)
			return true;
	return false;
}

/*
 * The guest's choice, written in place: one framework and one message
 * version, each one the host listed; or no version at all (counts 0),
 * which ends the IC on this open without being an error.
 */
static void sim_ic_negotiate_answer(struct sim_ic_chan *c,
				    const struct icmsg_hdr *hdr,
				    const u8 *body, u32 len)
{
	struct sim_ic *ic = &sim_ics[c->kind];
	struct icmsg_negotiate neg;
	struct ic_version v[2];
	u32 fw, msg;

	c->refused = true;
	if (len < sizeof(neg) + sizeof(v)) {
		sim_ic_proto_error(c, "negotiation answer of %u bytes\n", len);
		return;
	}
	memcpy(&neg, body, sizeof(neg));
	memcpy(v, body + sizeof(neg), sizeof(v));
	if (!neg.icframe_vercnt && !neg.icmsg_vercnt) {
		pr_info("ic %s: the guest has no version in common\n",
			ic->name);
		return;
	}
	fw = SIM_IC_V(v[0].major, v[0].minor);
	msg = SIM_IC_V(v[1].major, v[1].minor);
	if (neg.icframe_vercnt != 1 || neg.icmsg_vercnt != 1 ||
	    !sim_ic_listed(sim_ic_fw_versions, ARRAY_SIZE(sim_ic_fw_versions),
			   fw) ||
	    !sim_ic_listed(ic->ops->versions,
			   sim_ic_nr_offered(ic, c->msg_ceiling), msg)) {
		sim_ic_proto_error(c, "negotiation answer %u/%u counts, versions %#x/%#x\n",
				   neg.icframe_vercnt, neg.icmsg_vercnt, fw,
				   msg);
		return;
	}
	c->refused = false;
	c->negotiated = true;
	c->fw_version = fw;
	c->msg_version = msg;
	WRITE_ONCE(ic->fw_version, fw);
	WRITE_ONCE(ic->msg_version, msg);
	atomic64_inc(&ic->negotiated);
	if (ic->ops->negotiated)
		ic->ops->negotiated(c);
}

/* The counter of a malformed answer to the current request. */
static void sim_ic_answer_bad(struct sim_ic_chan *c)
{
	if (c->type != ICMSGTYPE_NEGOTIATE)
		sim_ics[c->kind].ops->answer(c, NULL, NULL, 0);
	else
		c->refused = true;
}

/*
 * One packet from the guest: the answer to the request that is out.  The
 * framing is checked here, the message by the IC.
 */
static void sim_ic_packet(struct sim_open *o, const void *pkt, u32 len)
{
	struct sim_ic_chan *c = sim_ring_priv(o);
	const struct vmpacket_descriptor *d = pkt;
	u32 off = (u32)d->offset8 << 3;
	const struct icmsg_hdr *hdr;
	const u8 *payload = (const u8 *)pkt + off;
	u32 plen = len - off;

	if (d->type != VM_PKT_DATA_INBAND || off < sizeof(*d)) {
		sim_ic_proto_error(c, "packet type %u, data offset %u\n",
				   d->type, off);
		return;
	}
	if (!c->busy || d->trans_id != c->trans_id) {
		sim_ic_proto_error(c, "answer with transaction id %llu, %s %llu\n",
				   d->trans_id, c->busy ? "expected" : "none out, last",
				   c->trans_id);
		return;
	}
	c->busy = false;
	if (plen < ICMSG_HDR || plen > c->len - sizeof(*d)) {
		sim_ic_proto_error(c, "answer of %u bytes to a request of %zu\n",
				   plen, c->len - sizeof(*d));
		sim_ic_answer_bad(c);
		return;
	}
	hdr = (const void *)(payload + sizeof(struct vmbuspipe_hdr));
	if (hdr->icmsgtype != c->type ||
	    !(hdr->icflags & ICMSGHDRFLAG_RESPONSE) ||
	    hdr->ictransaction_id != (u8)c->trans_id) {
		sim_ic_proto_error(c, "answer type %u flags %#x transaction %u to type %u\n",
				   hdr->icmsgtype, hdr->icflags,
				   hdr->ictransaction_id, c->type);
		sim_ic_answer_bad(c);
		return;
	}
	if (c->type == ICMSGTYPE_NEGOTIATE)
		sim_ic_negotiate_answer(c, hdr, payload + ICMSG_HDR,
					plen - ICMSG_HDR);
	else
		sim_ics[c->kind].ops->answer(c, hdr, payload + ICMSG_HDR,
					     plen - ICMSG_HDR);
}

/* Send the next request if none is out: the negotiation comes first. */
static bool sim_ic_send_next(struct sim_ic_chan *c)
{
	const struct sim_ic *ic = &sim_ics[c->kind];
	int ret;

	if (c->busy || c->refused)
		return false;
	if (!c->staged) {
		if (!(c->negotiated ? ic->ops->build(c) :
				      sim_ic_negotiate_build(c)))
			return false;
		c->staged = true;
	}
	ret = sim_ring_send(c->o, c->pkt, c->len);
	if (ret == -EAGAIN)
		return false;
	c->staged = false;
	if (ret) {
		pr_warn_ratelimited("ic %s: relid %u: request not sent: %d\n",
				    ic->name, sim_ring_relid(c->o), ret);
		c->refused = true;
		return false;
	}
	c->busy = true;
	if (c->sent_stat)
		atomic64_inc(c->sent_stat);
	return true;
}

static bool sim_ic_service(struct sim_open *o)
{
	struct sim_ic_chan *c = sim_ring_priv(o);
	bool did = sim_ring_drain(o, sim_ic_packet);

	return sim_ic_send_next(c) || did;
}

static int sim_ic_open(const struct sim_backend *be, struct sim_open *o)
{
	enum sim_ic_kind kind = be - sim_ic_backends;
	struct sim_ic *ic = &sim_ics[kind];
	struct sim_ic_chan *c;

	c = kzalloc(sizeof(*c), GFP_KERNEL);
	if (!c)
		return -ENOMEM;
	c->kind = kind;
	c->o = o;
	sim_ring_set_priv(o, c);
	spin_lock(&ic->lock);
	ic->relid = sim_ring_relid(o);
	spin_unlock(&ic->lock);
	return 0;
}

static void sim_ic_close(struct sim_open *o)
{
	struct sim_ic_chan *c = sim_ring_priv(o);
	struct sim_ic *ic = &sim_ics[c->kind];

	spin_lock(&ic->lock);
	if (ic->relid == sim_ring_relid(o))
		ic->relid = 0;
	spin_unlock(&ic->lock);
	if ((c->busy || c->staged) && ic->ops->closed)
		ic->ops->closed(c);
	kfree(c);
}

#define SIM_IC_BACKEND(_kind, _guid, _name)				\
	[_kind] = {							\
		_guid,							\
		.name = _name,						\
		.open = sim_ic_open,					\
		.service = sim_ic_service,				\
		.close = sim_ic_close,					\
	}

static const struct sim_backend sim_ic_backends[SIM_IC_COUNT] = {
	SIM_IC_BACKEND(SIM_IC_HEARTBEAT, HV_HEART_BEAT_GUID, "heartbeat"),
	SIM_IC_BACKEND(SIM_IC_SHUTDOWN, HV_SHUTDOWN_GUID, "shutdown"),
	SIM_IC_BACKEND(SIM_IC_TIMESYNC, HV_TS_GUID, "timesync"),
	SIM_IC_BACKEND(SIM_IC_KVP, HV_KVP_GUID, "kvp"),
};

static void sim_ic_tick_fn(struct work_struct *work)
{
	struct sim_ic_tick *t = container_of(to_delayed_work(work),
					     struct sim_ic_tick, work);
	u32 period = READ_ONCE(t->period_ms);

	if (!period)
		return;
	sim_ic_request(t->kind, t->bit);
	queue_delayed_work(sim_async_wq, &t->work, msecs_to_jiffies(period));
}

static void sim_ic_tick_set(struct sim_ic_tick *t, u32 period_ms)
{
	lockdep_assert_held(&sim_ic_ctl);
	WRITE_ONCE(t->period_ms, period_ms);
	if (period_ms)
		mod_delayed_work(sim_async_wq, &t->work,
				 msecs_to_jiffies(period_ms));
	else
		cancel_delayed_work_sync(&t->work);
}

/* The device of an IC: in the table, else one with a re-offer pending. */
static struct sim_device *sim_ic_dev(const struct sim_ic *ic)
{
	struct sim_device *dev, *found = NULL;

	lockdep_assert_held(&sim_lock);
	list_for_each_entry(dev, sim_dev_list(), node) {
		if (!guid_equal(&dev->instance, &ic->instance))
			continue;
		if (dev->in_table)
			return dev;
		if (dev->reoffer)
			found = dev;
	}
	return found;
}

static int sim_ic_add(enum sim_ic_kind kind)
{
	return sim_proto_dev_add(&sim_ic_backends[kind].guid,
				 &sim_ics[kind].instance, 0);
}

static int sim_ic_rescind(enum sim_ic_kind kind, enum sim_rescind_how how)
{
	struct sim_device *dev;
	int ret = 0;

	mutex_lock(&sim_lock);
	dev = sim_ic_dev(&sim_ics[kind]);
	if (!dev)
		ret = -ENOENT;
	else if (!dev->in_table)
		ret = -EBUSY;
	else
		sim_proto_dev_rescind(dev, how);
	mutex_unlock(&sim_lock);
	return ret;
}

static bool sim_ic_offered(enum sim_ic_kind kind)
{
	struct sim_device *dev;
	bool offered;

	mutex_lock(&sim_lock);
	dev = sim_ic_dev(&sim_ics[kind]);
	offered = dev && dev->in_table;
	mutex_unlock(&sim_lock);
	return offered;
}

/* add|rescind|reoffer on one IC; "all" skips those already done. */
static int sim_ic_dev_cmd(const char *verb, enum sim_ic_kind kind)
{
	if (!strcmp(verb, "add"))
		return sim_ic_add(kind);
	if (!strcmp(verb, "rescind"))
		return sim_ic_rescind(kind, SIM_RESCIND);
	return sim_ic_rescind(kind, SIM_RESCIND_REOFFER);
}

static int sim_ic_parse_kind(const char *s)
{
	unsigned int i;

	for (i = 0; i < SIM_IC_COUNT; i++)
		if (!strcmp(s, sim_ics[i].name))
			return i;
	return -EINVAL;
}

static int sim_ic_dev_cmds(const char *verb, const char *arg)
{
	int kind, ret, first = 0;

	if (strcmp(arg, "all")) {
		kind = sim_ic_parse_kind(arg);
		return kind < 0 ? kind : sim_ic_dev_cmd(verb, kind);
	}
	for (kind = 0; kind < SIM_IC_COUNT; kind++) {
		ret = sim_ic_dev_cmd(verb, kind);
		if (ret == -EEXIST || ret == -ENOENT)
			continue;
		if (!first)
			first = ret;
	}
	return first;
}

static int sim_ic_period_cmd(struct sim_ic_tick *t, const char *arg)
{
	u32 ms;

	if (kstrtou32(arg, 10, &ms) || ms > SIM_PERIOD_MS_MAX)
		return -EINVAL;
	mutex_lock(&sim_ic_ctl);
	sim_ic_tick_set(t, ms);
	mutex_unlock(&sim_ic_ctl);
	return 0;
}

/* version <ic> <M.m>: the highest message version the host lists. */
static int sim_ic_version_cmd(char *args)
{
	char *name = strsep(&args, " ");
	unsigned int major, minor;
	struct sim_ic *ic;
	char end;
	int kind;

	kind = sim_ic_parse_kind(name);
	if (kind < 0 || !args ||
	    sscanf(args, "%u.%u%c", &major, &minor, &end) != 2 ||
	    major > U16_MAX || minor > U16_MAX)
		return -EINVAL;
	ic = &sim_ics[kind];
	if (SIM_IC_V(major, minor) < ic->ops->versions[0])
		return -EINVAL;
	WRITE_ONCE(ic->ceiling, SIM_IC_V(major, minor));
	return 0;
}

static void sim_ic_reset_stats(void)
{
	const struct sim_ic_ops *ops;
	unsigned int i, n;

	atomic64_set(&sim_ic_protocol_errors, 0);
	for (i = 0; i < SIM_IC_COUNT; i++) {
		ops = sim_ics[i].ops;
		atomic64_set(&sim_ics[i].negotiated, 0);
		for (n = 0; n < ops->nr_counters; n++)
			atomic64_set(&ops->counters[n].v, 0);
	}
}

/* <ic>_period_ms <ms>: the period of the IC's tick; 0 stops it. */
static int sim_ic_period_verb(const char *verb, const char *arg)
{
	struct sim_ic_tick *tick;
	size_t len;
	unsigned int i;

	for (i = 0; i < SIM_IC_COUNT; i++) {
		tick = sim_ics[i].ops->tick;
		len = strlen(sim_ics[i].name);
		if (tick && !strncmp(verb, sim_ics[i].name, len) &&
		    !strcmp(verb + len, "_period_ms"))
			return sim_ic_period_cmd(tick, arg);
	}
	return -EINVAL;
}

static int sim_ic_cmd(char *cmd)
{
	char *verb = strsep(&cmd, " ");
	char *arg = cmd ? skip_spaces(cmd) : NULL;
	const struct sim_ic_ops *ops;
	unsigned int i;
	int ret;

	for (i = 0; i < SIM_IC_COUNT; i++) {
		ops = sim_ics[i].ops;
		if (!ops->cmd)
			continue;
		ret = ops->cmd(verb, arg);
		if (ret != -ENOIOCTLCMD)
			return ret;
	}
	if (!strcmp(verb, "reset_stats") && !arg) {
		sim_ic_reset_stats();
		return 0;
	}
	if (!arg)
		return -EINVAL;
	if (!strcmp(verb, "add") || !strcmp(verb, "rescind") ||
	    !strcmp(verb, "reoffer"))
		return sim_ic_dev_cmds(verb, arg);
	if (!strcmp(verb, "version"))
		return sim_ic_version_cmd(arg);
	return sim_ic_period_verb(verb, arg);
}

static ssize_t sim_ic_control_write(struct file *file,
				    const char __user *ubuf, size_t count,
				    loff_t *ppos)
{
	char *buf;
	int ret;

	if (!count || count >= SIM_IC_CMD_MAX)
		return -EINVAL;
	buf = memdup_user_nul(ubuf, count);
	if (IS_ERR(buf))
		return PTR_ERR(buf);
	ret = sim_ic_cmd(strim(buf));
	if (ret == -EINVAL)
		pr_warn_ratelimited("ic/control: invalid command\n");
	kfree(buf);
	return ret ? ret : count;
}

static const struct file_operations sim_ic_control_fops = {
	.owner	= THIS_MODULE,
	.open	= simple_open,
	.write	= sim_ic_control_write,
	.llseek	= noop_llseek,
};

static int sim_ic_stats_show(struct seq_file *m, void *unused)
{
	const struct sim_ic_ops *ops;
	const struct sim_ic *ic;
	unsigned int i, n;
	u32 v;

	for (i = 0; i < SIM_IC_COUNT; i++) {
		ic = &sim_ics[i];
		seq_printf(m, "%s_offered %d\n", ic->name, sim_ic_offered(i));
		seq_printf(m, "%s_negotiated %lld\n", ic->name,
			   atomic64_read(&ic->negotiated));
		v = READ_ONCE(ic->fw_version);
		seq_printf(m, "%s_fw_version %u.%u\n", ic->name, v >> 16,
			   v & 0xffff);
		v = READ_ONCE(ic->msg_version);
		seq_printf(m, "%s_msg_version %u.%u\n", ic->name, v >> 16,
			   v & 0xffff);
	}
	for (i = 0; i < SIM_IC_COUNT; i++) {
		ops = sim_ics[i].ops;
		for (n = 0; n < ops->nr_counters; n++)
			seq_printf(m, "%s %lld\n", ops->counters[n].name,
				   atomic64_read(&ops->counters[n].v));
		if (ops->stats)
			ops->stats(m);
		if (ops->tick)
			seq_printf(m, "%s_period_ms %u\n", sim_ics[i].name,
				   READ_ONCE(ops->tick->period_ms));
	}
	seq_printf(m, "ic_protocol_errors %lld\n",
		   atomic64_read(&sim_ic_protocol_errors));
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(sim_ic_stats);

static int sim_ic_file_open(struct inode *inode, struct file *file)
{
	const struct sim_ic *ic = inode->i_private;

	return single_open(file, ic->ops->show, NULL);
}

/* The file of an IC with a show op, named after the IC. */
static const struct file_operations sim_ic_file_fops = {
	.owner		= THIS_MODULE,
	.open		= sim_ic_file_open,
	.read		= seq_read,
	.llseek		= seq_lseek,
	.release	= single_release,
};

/**
 * sim_ic_register() - the ops of an IC that lives in a file of its own
 * @kind: the IC
 * @ops: its ops
 *
 * Starts the IC's tick, if it has one.
 *
 * Context: module init, after sim_ic_init() and before
 * sim_ic_debugfs_init(); every IC registers.
 */
void sim_ic_register(enum sim_ic_kind kind, const struct sim_ic_ops *ops)
{
	struct sim_ic_tick *tick = ops->tick;

	sim_ics[kind].ops = ops;
	if (!tick)
		return;
	INIT_DELAYED_WORK(&tick->work, sim_ic_tick_fn);
	queue_delayed_work(sim_async_wq, &tick->work,
			   msecs_to_jiffies(tick->period_ms));
}

/**
 * sim_ic_debugfs_init() - create vmbus_sim/ic/
 * @parent: the simulator's debugfs directory
 *
 * Context: module init, after sim_ic_init().
 */
void sim_ic_debugfs_init(struct dentry *parent)
{
	struct dentry *dir = debugfs_create_dir("ic", parent);
	unsigned int i;

	debugfs_create_file("control", 0200, dir, NULL, &sim_ic_control_fops);
	for (i = 0; i < SIM_IC_COUNT; i++)
		if (sim_ics[i].ops->show)
			debugfs_create_file(sim_ics[i].name, 0444, dir,
					    &sim_ics[i], &sim_ic_file_fops);
	debugfs_create_file("stats", 0444, dir, NULL, &sim_ic_stats_fops);
}

/**
 * sim_ic_init() - set up the ICs' devices and register their back ends
 *
 * Context: module init, before the ICs' files register.
 */
void sim_ic_init(void)
{
	unsigned int i;

	for (i = 0; i < SIM_IC_COUNT; i++) {
		spin_lock_init(&sim_ics[i].lock);
		sim_ics[i].instance = SIM_IC_INSTANCE(i + 1);
		sim_ics[i].ceiling = U32_MAX;
	}
	sim_ring_register_backends(sim_ic_backends, SIM_IC_COUNT);
}

/**
 * sim_ic_exit() - stop the ICs' ticks
 *
 * Context: module exit, may sleep; the control plane is gone.
 */
void sim_ic_exit(void)
{
	struct sim_ic_tick *tick;
	unsigned int i;

	for (i = 0; i < SIM_IC_COUNT; i++) {
		tick = sim_ics[i].ops ? sim_ics[i].ops->tick : NULL;
		if (tick)
			cancel_delayed_work_sync(&tick->work);
	}
}
