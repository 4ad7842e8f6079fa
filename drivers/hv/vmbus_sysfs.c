// SPDX-License-Identifier: GPL-2.0
/*
 * sysfs of the vmbus bus: device attributes, the drivers' new_id and
 * remove_id, and channels/<relid>/ of every channel.  The formats are those
 * of Documentation/ABI/stable/sysfs-bus-vmbus.
 *
 * Each kind of attribute has one show function that switches on the
 * attribute's id, instead of one function per file.
 */
#include <linux/cpu.h>
#include <linux/delay.h>
#include <linux/device.h>
#include <linux/kobject.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/sysfs.h>
#include <linux/topology.h>
#include <linux/uuid.h>
#include <asm/mshyperv.h>

#include "hyperv_vmbus.h"

enum vmbus_dev_attr_id {
	VMBUS_DEV_ID,
	VMBUS_DEV_CLASS_ID,
	VMBUS_DEV_DEVICE_ID,
	VMBUS_DEV_VP_MAPPING,
	VMBUS_DEV_MODALIAS,
	VMBUS_DEV_STATE,
	VMBUS_DEV_MONITOR_ID,
	VMBUS_DEV_VENDOR,
	VMBUS_DEV_DEVICE,
	VMBUS_DEV_NUMA_NODE,
	/* The ring attributes, VMBUS_RING_FIELDS per ring, inbound first. */
	VMBUS_DEV_IN_INTR_MASK,
	VMBUS_DEV_OUT_INTR_MASK = VMBUS_DEV_IN_INTR_MASK + 5,
	VMBUS_DEV_RING_END = VMBUS_DEV_OUT_INTR_MASK + 5,
};

/* The fields of a ring the device's in_ and out_ attributes show. */
enum vmbus_ring_field {
	VMBUS_RING_INTR_MASK,
	VMBUS_RING_READ_INDEX,
	VMBUS_RING_WRITE_INDEX,
	VMBUS_RING_READ_AVAIL,
	VMBUS_RING_WRITE_AVAIL,
	VMBUS_RING_FIELDS,
};

struct vmbus_dev_attribute {
	struct device_attribute attr;
	enum vmbus_dev_attr_id id;
};

/* "relid:cpu" of the primary channel and each sub-channel. */
static ssize_t vmbus_vp_mapping_show(struct vmbus_channel *primary, char *buf)
{
	struct vmbus_channel *sc;
	ssize_t n;

	n = sysfs_emit(buf, "%u:%u\n", primary->offermsg.child_relid,
		       READ_ONCE(primary->target_cpu));
	mutex_lock(&vmbus_connection.channel_mutex);
	list_for_each_entry(sc, &primary->sc_list, sc_list)
		n += sysfs_emit_at(buf, n, "%u:%u\n", sc->offermsg.child_relid,
				   READ_ONCE(sc->target_cpu));
	mutex_unlock(&vmbus_connection.channel_mutex);
	return n;
}

/**
 * vmbus_ring_field_show() - one field of a ring's state, as a signed decimal
 * @rbi: the channel's inbound or outbound ring
 * @field: which field
 * @buf: the sysfs page
 *
 * The indices come from the ring's shared header, which the host writes;
 * they are shown as read, never used.
 *
 * Return: the length written, or -EINVAL while the channel has no rings.
 */
static ssize_t vmbus_ring_field_show(struct hv_ring_buffer_info *rbi,
				     enum vmbus_ring_field field, char *buf)
{
	struct hv_ring_buffer_debug_info info;
	u32 val;

	if (hv_ringbuffer_get_debuginfo(rbi, &info))
		return -EINVAL;
	switch (field) {
	case VMBUS_RING_INTR_MASK:
		val = info.current_interrupt_mask;
		break;
	case VMBUS_RING_READ_INDEX:
		val = info.current_read_index;
		break;
	case VMBUS_RING_WRITE_INDEX:
		val = info.current_write_index;
		break;
	case VMBUS_RING_READ_AVAIL:
		val = info.bytes_avail_toread;
		break;
	case VMBUS_RING_WRITE_AVAIL:
		val = info.bytes_avail_towrite;
		break;
	default:
		return -EINVAL;
	}
	return sysfs_emit(buf, "%d\n", (int)val);
}

static ssize_t vmbus_dev_show(struct device *dev, struct device_attribute *attr,
			      char *buf)
{
	enum vmbus_dev_attr_id id =
		container_of(attr, struct vmbus_dev_attribute, attr)->id;
	struct hv_device *hdev = device_to_hv_device(dev);
	struct vmbus_channel *ch = hdev->channel;

	if (!ch)
		return -ENODEV;
	if (id >= VMBUS_DEV_OUT_INTR_MASK && id < VMBUS_DEV_RING_END)
		return vmbus_ring_field_show(&ch->outbound,
					     id - VMBUS_DEV_OUT_INTR_MASK, buf);
	if (id >= VMBUS_DEV_IN_INTR_MASK && id < VMBUS_DEV_OUT_INTR_MASK)
		return vmbus_ring_field_show(&ch->inbound,
					     id - VMBUS_DEV_IN_INTR_MASK, buf);
	switch (id) {
	case VMBUS_DEV_ID:
		return sysfs_emit(buf, "%u\n", ch->offermsg.child_relid);
	case VMBUS_DEV_CLASS_ID:
		return sysfs_emit(buf, "{%pUl}\n", &hdev->dev_type);
	case VMBUS_DEV_DEVICE_ID:
		return sysfs_emit(buf, "{%pUl}\n", &hdev->dev_instance);
	case VMBUS_DEV_VP_MAPPING:
		return vmbus_vp_mapping_show(ch, buf);
	case VMBUS_DEV_MODALIAS:
		return sysfs_emit(buf, "vmbus:%*phN\n", UUID_SIZE, &hdev->dev_type);
	case VMBUS_DEV_STATE:
		return sysfs_emit(buf, "%d\n", ch->state);
	case VMBUS_DEV_MONITOR_ID:
		return sysfs_emit(buf, "%d\n", ch->offermsg.monitorid);
	case VMBUS_DEV_VENDOR:
		return sysfs_emit(buf, "0x%x\n", hdev->vendor_id);
	case VMBUS_DEV_DEVICE:
		return sysfs_emit(buf, "0x%x\n", hdev->device_id);
	case VMBUS_DEV_NUMA_NODE:
		return sysfs_emit(buf, "%d\n", cpu_to_node(READ_ONCE(ch->target_cpu)));
	default:
		break;
	}
	return -EINVAL;
}

#define VMBUS_DEV_ATTR(_name, _id)					\
	struct vmbus_dev_attribute vmbus_dev_attr_##_name = {		\
		.attr = __ATTR(_name, 0444, vmbus_dev_show, NULL),	\
		.id = _id,						\
	}

static VMBUS_DEV_ATTR(id, VMBUS_DEV_ID);
static VMBUS_DEV_ATTR(class_id, VMBUS_DEV_CLASS_ID);
static VMBUS_DEV_ATTR(device_id, VMBUS_DEV_DEVICE_ID);
static VMBUS_DEV_ATTR(channel_vp_mapping, VMBUS_DEV_VP_MAPPING);
static VMBUS_DEV_ATTR(modalias, VMBUS_DEV_MODALIAS);
static VMBUS_DEV_ATTR(state, VMBUS_DEV_STATE);
static VMBUS_DEV_ATTR(monitor_id, VMBUS_DEV_MONITOR_ID);
static VMBUS_DEV_ATTR(vendor, VMBUS_DEV_VENDOR);
static VMBUS_DEV_ATTR(device, VMBUS_DEV_DEVICE);
static VMBUS_DEV_ATTR(numa_node, VMBUS_DEV_NUMA_NODE);
static VMBUS_DEV_ATTR(in_intr_mask, VMBUS_DEV_IN_INTR_MASK + VMBUS_RING_INTR_MASK);
static VMBUS_DEV_ATTR(in_read_index, VMBUS_DEV_IN_INTR_MASK + VMBUS_RING_READ_INDEX);
static VMBUS_DEV_ATTR(in_write_index, VMBUS_DEV_IN_INTR_MASK + VMBUS_RING_WRITE_INDEX);
static VMBUS_DEV_ATTR(in_read_bytes_avail, VMBUS_DEV_IN_INTR_MASK + VMBUS_RING_READ_AVAIL);
static VMBUS_DEV_ATTR(in_write_bytes_avail, VMBUS_DEV_IN_INTR_MASK + VMBUS_RING_WRITE_AVAIL);
static VMBUS_DEV_ATTR(out_intr_mask, VMBUS_DEV_OUT_INTR_MASK + VMBUS_RING_INTR_MASK);
static VMBUS_DEV_ATTR(out_read_index, VMBUS_DEV_OUT_INTR_MASK + VMBUS_RING_READ_INDEX);
static VMBUS_DEV_ATTR(out_write_index, VMBUS_DEV_OUT_INTR_MASK + VMBUS_RING_WRITE_INDEX);
static VMBUS_DEV_ATTR(out_read_bytes_avail, VMBUS_DEV_OUT_INTR_MASK + VMBUS_RING_READ_AVAIL);
static VMBUS_DEV_ATTR(out_write_bytes_avail, VMBUS_DEV_OUT_INTR_MASK + VMBUS_RING_WRITE_AVAIL);

#ifndef VMBUS_CORE_DRIVER_OVERRIDE
static ssize_t driver_override_store(struct device *dev,
				     struct device_attribute *attr,
				     const char *buf, size_t count)
{
	struct hv_device *hdev = device_to_hv_device(dev);
	int ret;

	ret = driver_set_override(dev, &hdev->driver_override, buf, count);
	return ret ? ret : count;
}

static ssize_t driver_override_show(struct device *dev,
				    struct device_attribute *attr, char *buf)
{
	struct hv_device *hdev = device_to_hv_device(dev);
	ssize_t n;

	device_lock(dev);
	n = sysfs_emit(buf, "%s\n", hdev->driver_override ?: "");
	device_unlock(dev);
	return n;
}
static DEVICE_ATTR_RW(driver_override);
#endif

static struct attribute *vmbus_dev_attrs[] = {
	&vmbus_dev_attr_id.attr.attr,
	&vmbus_dev_attr_class_id.attr.attr,
	&vmbus_dev_attr_device_id.attr.attr,
	&vmbus_dev_attr_channel_vp_mapping.attr.attr,
	&vmbus_dev_attr_modalias.attr.attr,
	&vmbus_dev_attr_state.attr.attr,
	&vmbus_dev_attr_monitor_id.attr.attr,
	&vmbus_dev_attr_vendor.attr.attr,
	&vmbus_dev_attr_device.attr.attr,
	&vmbus_dev_attr_numa_node.attr.attr,
	&vmbus_dev_attr_in_intr_mask.attr.attr,
	&vmbus_dev_attr_in_read_index.attr.attr,
	&vmbus_dev_attr_in_write_index.attr.attr,
	&vmbus_dev_attr_in_read_bytes_avail.attr.attr,
	&vmbus_dev_attr_in_write_bytes_avail.attr.attr,
	&vmbus_dev_attr_out_intr_mask.attr.attr,
	&vmbus_dev_attr_out_read_index.attr.attr,
	&vmbus_dev_attr_out_write_index.attr.attr,
	&vmbus_dev_attr_out_read_bytes_avail.attr.attr,
	&vmbus_dev_attr_out_write_bytes_avail.attr.attr,
#ifndef VMBUS_CORE_DRIVER_OVERRIDE
	&dev_attr_driver_override.attr,
#endif
	NULL,
};

static const struct attribute_group vmbus_dev_group = {
	.attrs = vmbus_dev_attrs,
};

const struct attribute_group *vmbus_dev_groups[] = {
	&vmbus_dev_group,
	NULL,
};

/* A GUID written to new_id or remove_id: 36 characters, then only blanks. */
static int vmbus_parse_guid(const char *buf, size_t count, guid_t *guid)
{
	char str[UUID_STRING_LEN + 1];

	if (count < UUID_STRING_LEN)
		return -EINVAL;
	memcpy(str, buf, UUID_STRING_LEN);
	str[UUID_STRING_LEN] = '\0';
	if (strspn(buf + UUID_STRING_LEN, " \t\n") != count - UUID_STRING_LEN)
		return -EINVAL;
	return guid_parse(str, guid);
}

static ssize_t new_id_store(struct device_driver *driver, const char *buf,
			    size_t count)
{
	struct hv_driver *drv = drv_to_hv_drv(driver);
	struct vmbus_dynid *dynid;
	guid_t guid;
	int ret;

	ret = vmbus_parse_guid(buf, count, &guid);
	if (ret)
		return ret;
	dynid = kzalloc(sizeof(*dynid), GFP_KERNEL);
	if (!dynid)
		return -ENOMEM;
	dynid->id.guid = guid;
	spin_lock(&drv->dynids.lock);
	list_add_tail(&dynid->node, &drv->dynids.list);
	spin_unlock(&drv->dynids.lock);
	ret = driver_attach(driver);
	return ret ? ret : count;
}
static DRIVER_ATTR_WO(new_id);

static ssize_t remove_id_store(struct device_driver *driver, const char *buf,
			       size_t count)
{
	struct hv_driver *drv = drv_to_hv_drv(driver);
	struct vmbus_dynid *dynid, *found = NULL;
	guid_t guid;
	int ret;

	ret = vmbus_parse_guid(buf, count, &guid);
	if (ret)
		return ret;
	spin_lock(&drv->dynids.lock);
	list_for_each_entry(dynid, &drv->dynids.list, node) {
		if (guid_equal(&dynid->id.guid, &guid)) {
			list_del(&dynid->node);
			found = dynid;
			break;
		}
	}
	spin_unlock(&drv->dynids.lock);
	if (!found)
		return -ENODEV;
	kfree(found);
	return count;
}
static DRIVER_ATTR_WO(remove_id);

static struct attribute *vmbus_drv_attrs[] = {
	&driver_attr_new_id.attr,
	&driver_attr_remove_id.attr,
	NULL,
};

static const struct attribute_group vmbus_drv_group = {
	.attrs = vmbus_drv_attrs,
};

const struct attribute_group *vmbus_drv_groups[] = {
	&vmbus_drv_group,
	NULL,
};

/* /sys/bus/vmbus/hibernation: 1 if the VM may hibernate, as the kernel sees it. */
static ssize_t hibernation_show(vmbus_cb_const struct bus_type *bus, char *buf)
{
	return sysfs_emit(buf, "%d\n", hv_is_hibernation_supported());
}
static BUS_ATTR_RO(hibernation);

static struct attribute *vmbus_bus_attrs[] = {
	&bus_attr_hibernation.attr,
	NULL,
};

static const struct attribute_group vmbus_bus_group = {
	.attrs = vmbus_bus_attrs,
};

const struct attribute_group *vmbus_bus_groups[] = {
	&vmbus_bus_group,
	NULL,
};

enum vmbus_chan_attr_id {
	VMBUS_CHAN_CPU,
	VMBUS_CHAN_EVENTS,
	VMBUS_CHAN_INTERRUPTS,
	VMBUS_CHAN_MONITOR_ID,
	VMBUS_CHAN_SUBCHANNEL_ID,
	VMBUS_CHAN_IN_MASK,
	VMBUS_CHAN_OUT_MASK,
	VMBUS_CHAN_READ_AVAIL,
	VMBUS_CHAN_WRITE_AVAIL,
	VMBUS_CHAN_PENDING,
	VMBUS_CHAN_LATENCY,
	VMBUS_CHAN_INTR_IN_FULL,
	VMBUS_CHAN_INTR_OUT_EMPTY,
	VMBUS_CHAN_OUT_FULL_FIRST,
	VMBUS_CHAN_OUT_FULL_TOTAL,
};

struct vmbus_chan_attribute {
	struct kobj_attribute attr;
	enum vmbus_chan_attr_id id;
};

/* The ring attributes; -EINVAL while the channel has no rings. */
static ssize_t vmbus_chan_ring_show(struct vmbus_channel *ch,
				    enum vmbus_chan_attr_id id, char *buf)
{
	struct hv_ring_buffer_debug_info in, out;

	if (hv_ringbuffer_get_debuginfo(&ch->inbound, &in) ||
	    hv_ringbuffer_get_debuginfo(&ch->outbound, &out))
		return -EINVAL;
	switch (id) {
	case VMBUS_CHAN_IN_MASK:
		return sysfs_emit(buf, "%u\n", in.current_interrupt_mask);
	case VMBUS_CHAN_OUT_MASK:
		return sysfs_emit(buf, "%u\n", out.current_interrupt_mask);
	case VMBUS_CHAN_READ_AVAIL:
		return sysfs_emit(buf, "%u\n", in.bytes_avail_toread);
	case VMBUS_CHAN_WRITE_AVAIL:
		return sysfs_emit(buf, "%u\n", out.bytes_avail_towrite);
	default:
		return -EINVAL;
	}
}

/* Monitor-page state of a monitored channel (pending, latency). */
static ssize_t vmbus_chan_monitor_show(struct vmbus_channel *ch,
				       enum vmbus_chan_attr_id id, char *buf)
{
	struct hv_monitor_page *mp = vmbus_connection.monitor_pages[1];
	u8 grp = ch->monitor_grp, bit = ch->monitor_bit;

	if (!ch->offermsg.monitor_allocated || !mp)
		return -EINVAL;
	if (id == VMBUS_CHAN_PENDING)
		return sysfs_emit(buf, "%d\n",
				  !!(READ_ONCE(mp->trigger_group[grp].pending) & BIT(bit)));
	return sysfs_emit(buf, "%u\n", READ_ONCE(mp->latency[grp][bit]));
}

static ssize_t vmbus_chan_show(struct kobject *kobj, struct kobj_attribute *attr,
			       char *buf)
{
	enum vmbus_chan_attr_id id =
		container_of(attr, struct vmbus_chan_attribute, attr)->id;
	struct vmbus_channel *ch = container_of(kobj, struct vmbus_channel, kobj);

	switch (id) {
	case VMBUS_CHAN_IN_MASK:
	case VMBUS_CHAN_OUT_MASK:
	case VMBUS_CHAN_READ_AVAIL:
	case VMBUS_CHAN_WRITE_AVAIL:
		return vmbus_chan_ring_show(ch, id, buf);
	case VMBUS_CHAN_PENDING:
	case VMBUS_CHAN_LATENCY:
		return vmbus_chan_monitor_show(ch, id, buf);
	case VMBUS_CHAN_INTR_IN_FULL:
		return sysfs_emit(buf, "%llu\n", READ_ONCE(ch->intr_in_full));
	case VMBUS_CHAN_INTR_OUT_EMPTY:
		return sysfs_emit(buf, "%llu\n", READ_ONCE(ch->intr_out_empty));
	case VMBUS_CHAN_OUT_FULL_FIRST:
		return sysfs_emit(buf, "%llu\n", READ_ONCE(ch->out_full_first));
	case VMBUS_CHAN_OUT_FULL_TOTAL:
		return sysfs_emit(buf, "%llu\n", READ_ONCE(ch->out_full_total));
	case VMBUS_CHAN_CPU:
		return sysfs_emit(buf, "%u\n", READ_ONCE(ch->target_cpu));
	case VMBUS_CHAN_EVENTS:
		return sysfs_emit(buf, "%llu\n", READ_ONCE(ch->sig_events));
	case VMBUS_CHAN_INTERRUPTS:
		return sysfs_emit(buf, "%llu\n", READ_ONCE(ch->interrupts));
	case VMBUS_CHAN_MONITOR_ID:
		return sysfs_emit(buf, "%u\n", ch->offermsg.monitorid);
	case VMBUS_CHAN_SUBCHANNEL_ID:
		return sysfs_emit(buf, "%u\n",
				  ch->offermsg.offer.sub_channel_index);
	}
	return -EINVAL;
}

#define VMBUS_CHAN_ATTR(_name, _id)					\
	struct vmbus_chan_attribute vmbus_chan_attr_##_name = {		\
		.attr = __ATTR(_name, 0444, vmbus_chan_show, NULL),	\
		.id = _id,						\
	}

/*
 * Writing a CPU number retargets the channel's interrupts (MODIFYCHANNEL).
 * Errors: -EIO below protocol 4.1 (the host cannot retarget); -EINVAL for
 * something that is not a CPU number, a CPU out of range or offline;
 * -EBUSY while the channel opens; the error of vmbus_send_modifychannel()
 * if the host refused.
 *
 * The hotplug lock is only tried: a CPU going offline may drop the last
 * reference to this channel (vmbus_cpu_evacuate()), and removing the file
 * waits for this write; so the write backs off and restarts.
 */
static ssize_t vmbus_chan_cpu_store(struct kobject *kobj,
				    struct kobj_attribute *attr,
				    const char *buf, size_t count)
{
	struct vmbus_channel *ch = container_of(kobj, struct vmbus_channel, kobj);
	unsigned int cpu;
	int ret;

	if (vmbus_proto_version < VERSION_WIN10_V4_1)
		return -EIO;
	if (kstrtouint(buf, 10, &cpu) || cpu >= nr_cpu_ids)
		return -EINVAL;
	if (!cpus_read_trylock()) {
		usleep_range(5000, 10000);
		return restart_syscall();
	}
	ret = vmbus_chan_move(ch, cpu);
	cpus_read_unlock();
	return ret ? ret : count;
}

static VMBUS_CHAN_ATTR(events, VMBUS_CHAN_EVENTS);
static VMBUS_CHAN_ATTR(interrupts, VMBUS_CHAN_INTERRUPTS);
static VMBUS_CHAN_ATTR(monitor_id, VMBUS_CHAN_MONITOR_ID);
static VMBUS_CHAN_ATTR(subchannel_id, VMBUS_CHAN_SUBCHANNEL_ID);
static VMBUS_CHAN_ATTR(in_mask, VMBUS_CHAN_IN_MASK);
static VMBUS_CHAN_ATTR(out_mask, VMBUS_CHAN_OUT_MASK);
static VMBUS_CHAN_ATTR(read_avail, VMBUS_CHAN_READ_AVAIL);
static VMBUS_CHAN_ATTR(write_avail, VMBUS_CHAN_WRITE_AVAIL);
static VMBUS_CHAN_ATTR(pending, VMBUS_CHAN_PENDING);
static VMBUS_CHAN_ATTR(latency, VMBUS_CHAN_LATENCY);
static VMBUS_CHAN_ATTR(intr_in_full, VMBUS_CHAN_INTR_IN_FULL);
static VMBUS_CHAN_ATTR(intr_out_empty, VMBUS_CHAN_INTR_OUT_EMPTY);
static VMBUS_CHAN_ATTR(out_full_first, VMBUS_CHAN_OUT_FULL_FIRST);
static VMBUS_CHAN_ATTR(out_full_total, VMBUS_CHAN_OUT_FULL_TOTAL);
static struct vmbus_chan_attribute vmbus_chan_attr_cpu = {
	.attr = __ATTR(cpu, 0644, vmbus_chan_show, vmbus_chan_cpu_store),
	.id = VMBUS_CHAN_CPU,
};

static struct attribute *vmbus_chan_attrs[] = {
	&vmbus_chan_attr_cpu.attr.attr,
	&vmbus_chan_attr_events.attr.attr,
	&vmbus_chan_attr_interrupts.attr.attr,
	&vmbus_chan_attr_monitor_id.attr.attr,
	&vmbus_chan_attr_subchannel_id.attr.attr,
	&vmbus_chan_attr_in_mask.attr.attr,
	&vmbus_chan_attr_out_mask.attr.attr,
	&vmbus_chan_attr_read_avail.attr.attr,
	&vmbus_chan_attr_write_avail.attr.attr,
	&vmbus_chan_attr_pending.attr.attr,
	&vmbus_chan_attr_latency.attr.attr,
	&vmbus_chan_attr_intr_in_full.attr.attr,
	&vmbus_chan_attr_intr_out_empty.attr.attr,
	&vmbus_chan_attr_out_full_first.attr.attr,
	&vmbus_chan_attr_out_full_total.attr.attr,
	NULL,
};

/* pending, latency and monitor_id exist only on a monitored channel. */
static umode_t vmbus_chan_attr_visible(struct kobject *kobj,
				       struct attribute *attr, int n)
{
	struct vmbus_channel *ch = container_of(kobj, struct vmbus_channel, kobj);

	if (!ch->offermsg.monitor_allocated &&
	    (attr == &vmbus_chan_attr_pending.attr.attr ||
	     attr == &vmbus_chan_attr_latency.attr.attr ||
	     attr == &vmbus_chan_attr_monitor_id.attr.attr))
		return 0;
	return attr->mode;
}

#ifdef VMBUS_CHAN_RING_SYSFS
/*
 * channels/<relid>/ring: both rings of the channel for a user-space driver
 * to mmap through the callback its kernel driver gave hv_create_ring_sysfs().
 * Hidden until then and again after hv_remove_ring_sysfs().  The one
 * bin_attribute serves every channel and its size is the channel's, set
 * when the file is made: vmbus_ring_attr_lock makes that set-and-create
 * one step.
 */
static DEFINE_MUTEX(vmbus_ring_attr_lock);

static int vmbus_chan_ring_mmap(struct file *filp, struct kobject *kobj,
				struct bin_attribute *attr,
				struct vm_area_struct *vma)
{
	struct vmbus_channel *ch = container_of(kobj, struct vmbus_channel, kobj);
	int (*mmap_ring)(struct vmbus_channel *ch, struct vm_area_struct *vma);

	/*
	 * hv_remove_ring_sysfs() clears the callback only after the file is
	 * gone and its open calls have drained, so it is set here; checked
	 * all the same.
	 */
	mmap_ring = READ_ONCE(ch->mmap_ring_buffer);
	if (!mmap_ring)
		return -ENODEV;
	return mmap_ring(ch, vma);
}

static struct bin_attribute vmbus_chan_ring_attr = {
	.attr = { .name = "ring", .mode = 0600 },
	.mmap = vmbus_chan_ring_mmap,
};

static struct bin_attribute *vmbus_chan_bin_attrs[] = {
	&vmbus_chan_ring_attr,
	NULL,
};

static umode_t vmbus_chan_bin_attr_visible(struct kobject *kobj,
					   struct bin_attribute *attr, int n)
{
	struct vmbus_channel *ch = container_of(kobj, struct vmbus_channel, kobj);

	lockdep_assert_held(&vmbus_ring_attr_lock);
	if (attr != &vmbus_chan_ring_attr || !READ_ONCE(ch->ring_sysfs_visible))
		return 0;
	attr->size = (size_t)ch->ringbuffer_pagecount << PAGE_SHIFT;
	return attr->attr.mode;
}
#endif

static const struct attribute_group vmbus_chan_group = {
	.attrs = vmbus_chan_attrs,
	.is_visible = vmbus_chan_attr_visible,
#ifdef VMBUS_CHAN_RING_SYSFS
	.bin_attrs = vmbus_chan_bin_attrs,
	.is_bin_visible = vmbus_chan_bin_attr_visible,
#endif
};

const struct attribute_group *vmbus_chan_groups[] = {
	&vmbus_chan_group,
	NULL,
};

/**
 * vmbus_chan_sysfs_add() - show a channel as channels/<relid>
 * @ch: a channel whose device (its own or its primary's) has a channels kset
 *
 * Context: holds channel_mutex.
 * Return: 0 or -errno.
 */
int vmbus_chan_sysfs_add(struct vmbus_channel *ch)
{
	struct vmbus_channel *primary = ch->primary_channel ?: ch;
	struct hv_device *hdev = primary->device_obj;

	lockdep_assert_held(&vmbus_connection.channel_mutex);
	if (!hdev || !hdev->channels_kset)
		return -ENODEV;
	ch->kobj.kset = hdev->channels_kset;
#ifdef VMBUS_CHAN_RING_SYSFS
	guard(mutex)(&vmbus_ring_attr_lock);
#endif
	return kobject_add(&ch->kobj, NULL, "%u", ch->offermsg.child_relid);
}

/**
 * vmbus_chan_sysfs_del() - remove channels/<relid>; no-op if not shown
 * @ch: the channel
 *
 * Waits for sysfs readers of the channel's files.
 *
 * Context: holds channel_mutex.
 */
void vmbus_chan_sysfs_del(struct vmbus_channel *ch)
{
	struct vmbus_chan *vc = to_vmbus_chan(ch);

	lockdep_assert_held(&vmbus_connection.channel_mutex);
	if (!vc->kobj_added)
		return;
	kobject_del(&ch->kobj);
	vc->kobj_added = false;
}

#ifdef VMBUS_CHAN_RING_SYSFS
/* Show or hide channels/<relid>/ring after a change of ring_sysfs_visible. */
static int vmbus_chan_ring_update(struct vmbus_channel *ch)
{
	lockdep_assert_held(&vmbus_ring_attr_lock);
	/* Not shown yet: vmbus_chan_sysfs_add() makes the file if visible. */
	if (!ch->kobj.state_in_sysfs)
		return 0;
	return sysfs_update_group(&ch->kobj, &vmbus_chan_group);
}

/**
 * hv_create_ring_sysfs() - show a channel's rings as channels/<relid>/ring
 * @channel: the channel, opened or about to be
 * @hv_mmap_ring_buffer: maps the rings into a user's vma on mmap() of the file
 *
 * For a driver that hands the channel to user space (uio_hv_generic): the
 * file exists only while such a driver has the device, not while a kernel
 * driver for the same class does.
 *
 * Context: process context; not under channel_mutex.
 * Return: 0, or the -errno of updating the channel's sysfs group.
 */
int hv_create_ring_sysfs(struct vmbus_channel *channel,
			 int (*hv_mmap_ring_buffer)(struct vmbus_channel *channel,
						    struct vm_area_struct *vma))
{
	int ret;

	if (!hv_mmap_ring_buffer)
		return -EINVAL;
	mutex_lock(&vmbus_ring_attr_lock);
	WRITE_ONCE(channel->mmap_ring_buffer, hv_mmap_ring_buffer);
	WRITE_ONCE(channel->ring_sysfs_visible, true);
	ret = vmbus_chan_ring_update(channel);
	if (ret) {
		WRITE_ONCE(channel->ring_sysfs_visible, false);
		WRITE_ONCE(channel->mmap_ring_buffer, NULL);
	}
	mutex_unlock(&vmbus_ring_attr_lock);
	return ret;
}

/**
 * hv_remove_ring_sysfs() - hide channels/<relid>/ring again
 * @channel: a channel given to hv_create_ring_sysfs()
 *
 * Returns after mmap() calls on the file in progress have finished; the
 * mmap callback is forgotten then.  Mappings already made stay.
 *
 * Context: process context; not under channel_mutex.
 * Return: 0, or the -errno of updating the channel's sysfs group.
 */
int hv_remove_ring_sysfs(struct vmbus_channel *channel)
{
	int ret;

	mutex_lock(&vmbus_ring_attr_lock);
	WRITE_ONCE(channel->ring_sysfs_visible, false);
	ret = vmbus_chan_ring_update(channel);
	WRITE_ONCE(channel->mmap_ring_buffer, NULL);
	mutex_unlock(&vmbus_ring_attr_lock);
	return ret;
}
#endif
