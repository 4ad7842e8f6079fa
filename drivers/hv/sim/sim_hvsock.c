// SPDX-License-Identifier: GPL-2.0
/*
 * vmbus_sim: the host side of Hyper-V sockets (vmbus-sim.rst, host
 * behaviour 21).
 *
 * A guest connects with TL_CONNECT_REQUEST (its endpoint id, the host
 * service id).  A service the host runs gets an hv_sock offer: a device
 * whose class (offer.if_type) is the service id and whose instance
 * (offer.if_instance) is the guest's endpoint id, flagged
 * VMBUS_CHANNEL_TLNPI_PROVIDER_OFFER, in pipe mode, is_for_guest_accept
 * 0 (struct vmbus_hvsock_user_def).  Any other service is refused.  The
 * host connects to a guest listener with the same offer, class = the
 * guest's service id, instance = a host endpoint id, is_for_guest_accept 1.
 *
 * What depends on the protocol version the guest negotiated, as on
 * Hyper-V:
 *   below 4.0   no hv_sock: TL_CONNECT_REQUEST is a guest error, the host
 *               does not connect;
 *   4.0         a refusal is not answered (counted as "unanswered"): the
 *               guest's connect times out; the rings of an hv_sock
 *               channel must be six pages each, header pages included
 *               (any other OPEN fails);
 *   4.1 on      a refusal is answered with TL_CONNECT_RESULT, status
 *               VMBUS_TL_STATUS_CONNECTION_REFUSED; rings of any size
 *               (hv_sock still picks six pages below 5.0);
 *   below 5.2   the offer's parameters are version 0;
 *   5.2 on      parameters version 1.
 *
 * Service ids are <port>-facb-11e6-bd58-64006a7986d3, the form hv_sock
 * maps AF_VSOCK ports to.  Every packet
 * either way is VM_PKT_DATA_INBAND carrying a pipe header (type 1, data
 * size) and the data; a packet with no data ends that direction (FIN).
 * The host closes a connection by rescinding its channel: after the
 * guest's FIN, or on the control plane's "close".
 *
 * Services, by port:
 *   7   echo: every packet goes back as it came, the FIN too
 *   9   sink: data is counted and dropped
 *   19  source: an endless stream, sim_hvs_pattern()
 *   1   refuse, as every port not listed
 *
 * Contexts: the request and the control plane run under sim_lock; the
 * services run in their channel's work (sim_ring.c), which never takes
 * sim_lock, so a close it decides on is queued to sim_wq.
 */
#define pr_fmt(fmt) "vmbus_sim: " fmt

#include <linux/atomic.h>
#include <linux/debugfs.h>
#include <linux/hyperv.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/uaccess.h>
#include "../compat.h"
#include <linux/hyperv/vmbus_tl.h>

#include "sim.h"

enum sim_hvs_consts {
	SIM_HVS_PORT_REFUSE	= 1,
	SIM_HVS_PORT_ECHO	= 7,
	SIM_HVS_PORT_SINK	= 9,
	SIM_HVS_PORT_SOURCE	= 19,
	/* The pipe header's type for data, as hv_sock sends it. */
	SIM_HVS_PIPE_DATA	= 1,
	/* Data bytes in one packet of the source service. */
	SIM_HVS_SOURCE_CHUNK	= 4000,
	/* Host endpoint ports of host-initiated connections start here. */
	SIM_HVS_HOST_PORT_BASE	= 0x40000000,
	SIM_HVS_CMD_MAX		= 64,
	/* Pages of each hv_sock ring at protocol 4.0, the header's included. */
	SIM_HVS_OLD_RING_PAGES	= 6,
};

/* hv_sock's pipe header, ahead of every packet's data. */
struct sim_hvs_pipe {
	u32 pkt_type;
	u32 data_size;
} __packed;

struct sim_hvs_pkt {
	struct vmpacket_descriptor desc;
	struct sim_hvs_pipe pipe;
	u8 data[SIM_HVS_SOURCE_CHUNK];
} __packed;

static_assert(SIM_HVS_SOURCE_CHUNK % 8 == 0);

enum sim_hvs_counter {
	SIM_HVS_OPEN,
	SIM_HVS_TOTAL,
	SIM_HVS_REFUSED,
	SIM_HVS_UNANSWERED,
	SIM_HVS_GUEST_CLOSES,
	SIM_HVS_HOST_CLOSES,
	SIM_HVS_BYTES_IN,
	SIM_HVS_BYTES_OUT,
	SIM_HVS_ERRORS,
	SIM_HVS_COUNTERS,
};

static const char *const sim_hvs_counter_names[SIM_HVS_COUNTERS] = {
	[SIM_HVS_OPEN]		= "open",
	[SIM_HVS_TOTAL]		= "total",
	[SIM_HVS_REFUSED]	= "refused",
	[SIM_HVS_UNANSWERED]	= "unanswered",
	[SIM_HVS_GUEST_CLOSES]	= "guest_closes",
	[SIM_HVS_HOST_CLOSES]	= "host_closes",
	[SIM_HVS_BYTES_IN]	= "bytes_in",
	[SIM_HVS_BYTES_OUT]	= "bytes_out",
	[SIM_HVS_ERRORS]	= "errors",
};

static atomic64_t sim_hvs_counters[SIM_HVS_COUNTERS];

static void sim_hvs_add(enum sim_hvs_counter c, u64 n)
{
	atomic64_add(n, &sim_hvs_counters[c]);
}

/* 00000000-facb-11e6-bd58-64006a7986d3: the port goes into the first field. */
static const guid_t sim_hvs_template =
	GUID_INIT(0x00000000, 0xfacb, 0x11e6, 0xbd, 0x58,
		  0x64, 0x00, 0x6a, 0x79, 0x86, 0xd3);

static bool sim_hvs_id_valid(const guid_t *id)
{
	return !memcmp(&id->b[4], &sim_hvs_template.b[4], sizeof(*id) - 4);
}

static u32 sim_hvs_port(const guid_t *id)
{
	return get_unaligned_le32(&id->b[0]);
}

static void sim_hvs_id(guid_t *id, u32 port)
{
	*id = sim_hvs_template;
	put_unaligned_le32(port, &id->b[0]);
}

/* The service a port names; SIM_HVS_REFUSE for every port not served. */
static u8 sim_hvs_service_of(u32 port)
{
	switch (port) {
	case SIM_HVS_PORT_ECHO:
		return SIM_HVS_ECHO;
	case SIM_HVS_PORT_SINK:
		return SIM_HVS_SINK;
	case SIM_HVS_PORT_SOURCE:
		return SIM_HVS_SOURCE;
	default:
		return SIM_HVS_REFUSE;
	}
}

/**
 * struct sim_hvs_conn - the host side of one open connection
 * @fin: the guest's FIN arrived; nothing more is taken from it
 * @closing: the host's close (a rescind) is queued
 * @word: the source service's last pattern word sent
 * @service: &enum sim_hvsock_service
 * @class_id: the device's class, the service id
 * @instance: the device's instance, the endpoint id
 * @pkt: the source service's packet
 */
struct sim_hvs_conn {
	bool fin;
	bool closing;
	u32 word;
	u8 service;
	guid_t class_id;
	guid_t instance;
	struct sim_hvs_pkt pkt;
};

/**
 * struct sim_hvs_close - a host close decided in a channel's work
 * @work: on sim_wq, takes sim_lock
 * @relid: the channel
 * @service: its class, to tell it from a later channel at @relid
 * @endpoint: its instance
 */
struct sim_hvs_close {
	struct work_struct work;
	u32 relid;
	guid_t service;
	guid_t endpoint;
};

/* Rescind the hv_sock channel at @relid; under sim_lock. */
static int sim_hvs_rescind(struct sim_chan *ch)
{
	int ret;

	lockdep_assert_held(&sim_lock);
	ret = sim_proto_rescind_locked(ch->relid, SIM_RESCIND);
	if (!ret)
		sim_hvs_add(SIM_HVS_HOST_CLOSES, 1);
	return ret;
}

static void sim_hvs_close_work(struct work_struct *work)
{
	struct sim_hvs_close *c = container_of(work, struct sim_hvs_close, work);
	struct sim_chan *ch;

	mutex_lock(&sim_lock);
	ch = sim_chan_get(c->relid);
	if (ch && ch->dev->hvsock && ch->state == SIM_CHAN_OFFERED &&
	    guid_equal(&ch->dev->class_id, &c->service) &&
	    guid_equal(&ch->dev->instance, &c->endpoint))
		sim_hvs_rescind(ch);
	mutex_unlock(&sim_lock);
	kfree(c);
}

/* Queue the host's close of the connection (@service, @endpoint) at @relid. */
static bool sim_hvs_queue_close(u32 relid, const guid_t *service, const guid_t *endpoint)
{
	struct sim_hvs_close *c = kzalloc(sizeof(*c), GFP_KERNEL);

	if (!c)
		return false;
	c->relid = relid;
	c->service = *service;
	c->endpoint = *endpoint;
	INIT_WORK(&c->work, sim_hvs_close_work);
	queue_work(sim_wq, &c->work);
	return true;
}

/* Queue the host's close of @o's connection, once. */
static void sim_hvs_close_soon(struct sim_open *o, struct sim_hvs_conn *conn)
{
	if (!conn->closing)
		conn->closing = sim_hvs_queue_close(sim_ring_relid(o), &conn->class_id,
						    &conn->instance);
}

/*
 * Check one packet the guest wrote: returns its data size, or -1 (counted,
 * and the host closes the connection) for a packet hv_sock never sends.
 */
static int sim_hvs_check(struct sim_open *o, const void *pkt, u32 len)
{
	const struct vmpacket_descriptor *d = pkt;
	const struct sim_hvs_pipe *p = pkt + sizeof(*d);

	if (len < sizeof(*d) + sizeof(*p) || d->type != VM_PKT_DATA_INBAND ||
	    d->offset8 * 8 != sizeof(*d) ||
	    p->pkt_type != SIM_HVS_PIPE_DATA ||
	    p->data_size > len - sizeof(*d) - sizeof(*p)) {
		sim_hvs_add(SIM_HVS_ERRORS, 1);
		sim_guest_error("hv_sock relid %u: bad pipe packet (%u bytes)\n",
				sim_ring_relid(o), len);
		sim_hvs_close_soon(o, sim_ring_priv(o));
		return -1;
	}
	return p->data_size;
}

/* A packet the guest wrote, by every service: count it, see its FIN. */
static void sim_hvs_seen(struct sim_open *o, const void *pkt, u32 len)
{
	struct sim_hvs_conn *conn = sim_ring_priv(o);
	int size;

	if (conn->fin) {
		sim_hvs_add(SIM_HVS_ERRORS, 1);
		sim_guest_error("hv_sock relid %u: packet after FIN\n",
				sim_ring_relid(o));
		return;
	}
	size = sim_hvs_check(o, pkt, len);
	if (size < 0)
		return;
	if (!size) {
		conn->fin = true;
		sim_hvs_add(SIM_HVS_GUEST_CLOSES, 1);
		sim_hvs_close_soon(o, conn);
		return;
	}
	sim_hvs_add(SIM_HVS_BYTES_IN, size);
	if (conn->service == SIM_HVS_ECHO)
		sim_hvs_add(SIM_HVS_BYTES_OUT, size);
}

/**
 * sim_hvs_pattern() - the source service's stream
 * @word: the previous 32-bit word; the stream starts after 0
 *
 * Words go out little-endian: word[n + 1] = word[n] * 1664525 + 1013904223
 * from word[-1] = 0, the tests' hvsock_pattern() in
 * tools/testing/selftests/vmbus/hvsock_util.c.
 *
 * Return: the next word.
 */
static u32 sim_hvs_pattern(u32 word)
{
	return word * 1664525u + 1013904223u;
}

/* Fill the guest's inbound ring with the stream until it is full. */
static bool sim_hvs_source(struct sim_open *o, struct sim_hvs_conn *conn)
{
	struct sim_hvs_pkt *p = &conn->pkt;
	bool did = false;
	u32 i, word;

	p->desc.type = VM_PKT_DATA_INBAND;
	p->desc.offset8 = sizeof(p->desc) / 8;
	p->desc.len8 = sizeof(*p) / 8;
	p->desc.flags = 0;
	p->desc.trans_id = 0;
	p->pipe.pkt_type = SIM_HVS_PIPE_DATA;
	p->pipe.data_size = SIM_HVS_SOURCE_CHUNK;
	while (!conn->fin && !conn->closing) {
		word = conn->word;
		for (i = 0; i < SIM_HVS_SOURCE_CHUNK; i += 4) {
			word = sim_hvs_pattern(word);
			put_unaligned_le32(word, &p->data[i]);
		}
		if (sim_ring_send(o, p, sizeof(*p)))
			break;
		conn->word = word;
		sim_hvs_add(SIM_HVS_BYTES_OUT, SIM_HVS_SOURCE_CHUNK);
		did = true;
		cond_resched();
	}
	return did;
}

/*
 * A 4.0 host takes only rings of six pages each way for hv_sock, header
 * page included; the connection is closed again.
 */
static bool sim_hvs_rings_ok(struct sim_open *o)
{
	const u32 want = (SIM_HVS_OLD_RING_PAGES - 1) * PAGE_SIZE;
	u32 out, in;

	if (sim_proto_version() >= VERSION_WIN10_V4_1)
		return true;
	sim_ring_data_sizes(o, &out, &in);
	if (out == want && in == want)
		return true;
	sim_hvs_add(SIM_HVS_ERRORS, 1);
	sim_guest_error("hv_sock relid %u: rings of %u and %u data bytes, not %u\n",
			sim_ring_relid(o), out, in, want);
	return false;
}

static int sim_hvs_open(const struct sim_backend *be, struct sim_open *o)
{
	struct sim_hvs_conn *conn;
	struct sim_chan *ch;

	lockdep_assert_held(&sim_lock);
	ch = sim_chan_get(sim_ring_relid(o));
	if (!ch)
		return -ENOENT;
	if (!sim_hvs_rings_ok(o)) {
		sim_hvs_queue_close(ch->relid, &ch->dev->class_id, &ch->dev->instance);
		return -EINVAL;
	}
	conn = kzalloc(sizeof(*conn), GFP_KERNEL);
	if (!conn)
		return -ENOMEM;
	conn->service = sim_ring_hvs_service(o);
	conn->class_id = ch->dev->class_id;
	conn->instance = ch->dev->instance;
	sim_ring_set_priv(o, conn);
	return 0;
}

static bool sim_hvs_service(struct sim_open *o)
{
	struct sim_hvs_conn *conn = sim_ring_priv(o);
	bool did;

	if (conn->service == SIM_HVS_ECHO)
		return sim_ring_echo(o, sim_hvs_seen);
	did = sim_ring_drain(o, sim_hvs_seen);
	if (conn->service == SIM_HVS_SOURCE)
		did |= sim_hvs_source(o, conn);
	return did;
}

static void sim_hvs_close(struct sim_open *o)
{
	kfree(sim_ring_priv(o));
	sim_ring_set_priv(o, NULL);
}

static const struct sim_backend sim_hvsock_backend = {
	.name = "hv_sock",
	.open = sim_hvs_open,
	.service = sim_hvs_service,
	.close = sim_hvs_close,
};

/*
 * Refuse a connect: from protocol 4.1 on with TL_CONNECT_RESULT, before
 * that by not answering (the guest's connect times out).
 */
static void sim_hvs_refuse(const struct vmbus_channel_tl_connect_request *req)
{
	struct vmbus_channel_tl_connect_result msg = {
		.header.msgtype = CHANNELMSG_TL_CONNECT_RESULT,
		.service_id = req->host_service_id,
		.endpoint_id = req->guest_endpoint_id,
		.status = (s32)VMBUS_TL_STATUS_CONNECTION_REFUSED,
	};
	int ret;

	sim_hvs_add(SIM_HVS_REFUSED, 1);
	if (sim_proto_version() < VERSION_WIN10_V4_1) {
		sim_hvs_add(SIM_HVS_UNANSWERED, 1);
		return;
	}
	ret = sim_msg_send(&msg, sizeof(msg));
	if (ret)
		pr_err("sending TL_CONNECT_RESULT failed: %d\n", ret);
}

/**
 * sim_hvsock_connect_request() - the guest's TL_CONNECT_REQUEST
 * @data: the message, at least its size
 * @size: its size
 * @conn_id: the connection id it was posted to
 *
 * Context: the host work item, under sim_lock.
 */
void sim_hvsock_connect_request(const void *data, u32 size, u32 conn_id)
{
	const struct vmbus_channel_tl_connect_request *req = data;
	u8 service;
	int ret;

	lockdep_assert_held(&sim_lock);
	if (!sim_proto_connected()) {
		sim_guest_error("TL_CONNECT_REQUEST while not connected\n");
		return;
	}
	if (sim_proto_version() < VERSION_WIN10) {
		sim_hvs_add(SIM_HVS_ERRORS, 1);
		sim_guest_error("TL_CONNECT_REQUEST at protocol %u.%u; hv_sock needs 4.0\n",
				sim_proto_version() >> 16, sim_proto_version() & 0xffff);
		return;
	}
	if (!sim_hvs_id_valid(&req->guest_endpoint_id) ||
	    !sim_hvs_id_valid(&req->host_service_id)) {
		sim_hvs_add(SIM_HVS_ERRORS, 1);
		sim_guest_error("TL_CONNECT_REQUEST: %pUl -> %pUl is not a port id\n",
				&req->guest_endpoint_id, &req->host_service_id);
		sim_hvs_refuse(req);
		return;
	}
	service = sim_hvs_service_of(sim_hvs_port(&req->host_service_id));
	if (service == SIM_HVS_REFUSE) {
		sim_hvs_refuse(req);
		return;
	}
	ret = sim_proto_hvsock_add(&req->host_service_id,
				   &req->guest_endpoint_id, SIM_HVS_FROM_GUEST,
				   service);
	if (ret) {
		pr_debug("hv_sock connect to %pUl refused: %d\n",
			 &req->host_service_id, ret);
		sim_hvs_refuse(req);
		return;
	}
	sim_hvs_add(SIM_HVS_OPEN, 1);
	sim_hvs_add(SIM_HVS_TOTAL, 1);
}

/**
 * sim_hvsock_dev_gone() - an hv_sock connection's device is freed
 * @dev: the device
 *
 * Context: under sim_lock.
 */
void sim_hvsock_dev_gone(const struct sim_device *dev)
{
	sim_hvs_add(SIM_HVS_OPEN, -1);
}

/* "connect <guest-port> <echo|sink|source>": the host connects. */
static int sim_hvs_connect(u32 port, const char *name)
{
	static atomic_t next_port = ATOMIC_INIT(SIM_HVS_HOST_PORT_BASE);
	guid_t service, endpoint;
	u8 kind;
	int ret;

	if (!strcmp(name, "echo"))
		kind = SIM_HVS_ECHO;
	else if (!strcmp(name, "sink"))
		kind = SIM_HVS_SINK;
	else if (!strcmp(name, "source"))
		kind = SIM_HVS_SOURCE;
	else
		return -EINVAL;
	sim_hvs_id(&service, port);
	sim_hvs_id(&endpoint, atomic_inc_return(&next_port));
	mutex_lock(&sim_lock);
	if (!sim_proto_connected())
		ret = -ENOTCONN;
	else if (sim_proto_version() < VERSION_WIN10)
		ret = -EPROTONOSUPPORT;
	else
		ret = sim_proto_hvsock_add(&service, &endpoint, SIM_HVS_FROM_HOST, kind);
	/* Under sim_lock, before the end of the connection can free it. */
	if (!ret) {
		sim_hvs_add(SIM_HVS_OPEN, 1);
		sim_hvs_add(SIM_HVS_TOTAL, 1);
	}
	mutex_unlock(&sim_lock);
	return ret;
}

/* "close <port>": rescind every connection whose service is @port. */
static int sim_hvs_close_port(u32 port)
{
	struct sim_device *dev, *tmp;
	int n = 0;

	mutex_lock(&sim_lock);
	list_for_each_entry_safe(dev, tmp, sim_dev_list(), node) {
		if (!dev->hvsock || !dev->in_table || !dev->chans[0] ||
		    sim_hvs_port(&dev->class_id) != port)
			continue;
		if (!sim_hvs_rescind(dev->chans[0]))
			n++;
	}
	mutex_unlock(&sim_lock);
	return n ? 0 : -ENOENT;
}

static int sim_hvs_cmd(char *cmd)
{
	char name[16];
	u32 port;

	if (sscanf(cmd, "connect %u %15s", &port, name) == 2)
		return sim_hvs_connect(port, name);
	if (sscanf(cmd, "close %u", &port) == 1)
		return sim_hvs_close_port(port);
	return -EINVAL;
}

static ssize_t sim_hvs_write(struct file *file, const char __user *ubuf,
			     size_t count, loff_t *ppos)
{
	char buf[SIM_HVS_CMD_MAX];
	int ret;

	if (!count || count >= sizeof(buf))
		return -EINVAL;
	if (copy_from_user(buf, ubuf, count))
		return -EFAULT;
	buf[count] = '\0';
	ret = sim_hvs_cmd(strim(buf));
	return ret ? ret : count;
}

static int sim_hvs_show(struct seq_file *m, void *v)
{
	unsigned int i;

	for (i = 0; i < SIM_HVS_COUNTERS; i++)
		seq_printf(m, "%s %lld\n", sim_hvs_counter_names[i],
			   atomic64_read(&sim_hvs_counters[i]));
	return 0;
}

static int sim_hvs_fopen(struct inode *inode, struct file *file)
{
	return single_open(file, sim_hvs_show, NULL);
}

static const struct file_operations sim_hvs_fops = {
	.owner		= THIS_MODULE,
	.open		= sim_hvs_fopen,
	.read		= seq_read,
	.write		= sim_hvs_write,
	.llseek		= seq_lseek,
	.release	= single_release,
};

/**
 * sim_hvsock_init() - serve the channels offered for hv_sock
 *
 * Context: module init, before the control plane exists.
 */
void sim_hvsock_init(void)
{
	sim_ring_register_hvsock_backend(&sim_hvsock_backend);
	sim_proto_set_tl_connect(sim_hvsock_connect_request);
	sim_dev_set_gone(sim_hvsock_dev_gone);
}

/**
 * sim_hvsock_debugfs_init() - create vmbus_sim/hvsock
 * @dir: the simulator's debugfs directory
 *
 * Context: module init.
 */
void sim_hvsock_debugfs_init(struct dentry *dir)
{
	debugfs_create_file("hvsock", 0644, dir, NULL, &sim_hvs_fops);
}
