// SPDX-License-Identifier: GPL-2.0
/*
 * hv_vmbus: module entry, the vmbus bus type, the per-CPU SynIC, the
 * interrupt entry and the host message path, debugfs.
 *
 * Host message path.  The host puts one message at a time into the SINT 2
 * slot of the connect CPU's message page and interrupts that CPU.  The ISR
 * copies the message into a per-CPU ring, frees the slot and signals EOM if
 * the host marked another message pending; the CPU's message work then
 * validates and dispatches the copies in arrival order.  If the ring is full
 * the ISR leaves the message in the slot (the host waits, nothing is lost)
 * and the work harvests it once it has made room.
 */
#define pr_fmt(fmt) "hv_vmbus: " fmt

#include <linux/cpu.h>
#include <linux/cpuhotplug.h>
#include <linux/debugfs.h>
#include <linux/dma-mapping.h>
#include <linux/gfp.h>
#include <linux/interrupt.h>
#include <linux/module.h>
#include <linux/pci_ids.h>
#include <linux/percpu.h>
#include <linux/pm.h>
#include <linux/pm_domain.h>
#include <linux/seq_file.h>
#include <linux/smp.h>
#include <linux/string.h>
#include <linux/syscore_ops.h>
#include <asm/sync_bitops.h>

#include "hyperv_vmbus.h"

struct vmbus_conn vmbus_conn;
static enum cpuhp_state vmbus_cpuhp_state;
static struct dentry *vmbus_debugfs_dir;

/* The id that binds a device to a driver through driver_override alone. */
static const struct hv_vmbus_device_id vmbus_device_null;

static const struct hv_vmbus_device_id *
vmbus_dynid_match(struct hv_driver *drv, const guid_t *guid)
{
	const struct hv_vmbus_device_id *id = NULL;
	struct vmbus_dynid *dynid;

	spin_lock(&drv->dynids.lock);
	list_for_each_entry(dynid, &drv->dynids.list, node) {
		if (guid_equal(&dynid->id.guid, guid)) {
			id = &dynid->id;
			break;
		}
	}
	spin_unlock(&drv->dynids.lock);
	return id;
}

static const struct hv_vmbus_device_id *
vmbus_table_match(const struct hv_vmbus_device_id *id, const guid_t *guid)
{
	for (; id && !guid_is_null(&id->guid); id++)
		if (guid_equal(&id->guid, guid))
			return id;
	return NULL;
}

static const struct hv_vmbus_device_id *
vmbus_get_id(struct hv_driver *drv, struct hv_device *dev)
{
	const struct hv_vmbus_device_id *id;

	/* With driver_override set, only the named driver binds. */
	if (dev->driver_override && strcmp(dev->driver_override, drv->name))
		return NULL;
	id = vmbus_dynid_match(drv, &dev->dev_type);
	if (!id)
		id = vmbus_table_match(drv->id_table, &dev->dev_type);
	if (!id && dev->driver_override)
		id = &vmbus_device_null;
	return id;
}

static int vmbus_match(struct device *dev, struct device_driver *drv)
{
	struct hv_driver *hdrv = drv_to_hv_drv(drv);
	struct hv_device *hdev = device_to_hv_device(dev);

	/* hv_sock offers belong to the hv_sock driver alone. */
	if (hdrv->hvsock != is_hvsock_channel(hdev->channel))
		return 0;
	return vmbus_get_id(hdrv, hdev) ? 1 : 0;
}

static int vmbus_probe(struct device *dev)
{
	struct hv_driver *hdrv = drv_to_hv_drv(dev->driver);
	struct hv_device *hdev = device_to_hv_device(dev);
	const struct hv_vmbus_device_id *id = vmbus_get_id(hdrv, hdev);
	int ret;

	if (!id || !hdrv->probe)
		return -ENODEV;
	ret = hdrv->probe(hdev, id);
	if (ret)
		dev_err(dev, "probe by %s failed: %d\n", hdrv->name, ret);
	return ret;
}

static void vmbus_remove(struct device *dev)
{
	struct hv_driver *hdrv = drv_to_hv_drv(dev->driver);

	if (hdrv->remove)
		hdrv->remove(device_to_hv_device(dev));
}

static void vmbus_shutdown(struct device *dev)
{
	struct hv_driver *hdrv;

	if (!dev->driver)
		return;
	hdrv = drv_to_hv_drv(dev->driver);
	if (hdrv->shutdown)
		hdrv->shutdown(device_to_hv_device(dev));
}

static int vmbus_uevent(struct device *dev, struct kobj_uevent_env *env)
{
	struct hv_device *hdev = device_to_hv_device(dev);

	return add_uevent_var(env, "MODALIAS=vmbus:%*phN", UUID_SIZE,
			      &hdev->dev_type);
}

/*
 * Hibernation only (freeze / thaw, poweroff / restore), noirq: a driver's
 * suspend callback closes its channels, its resume callback opens them
 * again.  The PM core runs these for every device before the bus's own
 * callbacks on the root device (vmbus_root_pm below) on the way down, and
 * after them on the way up.
 */
static int vmbus_dev_suspend(struct device *dev)
{
	struct hv_driver *hdrv = dev->driver ? drv_to_hv_drv(dev->driver) : NULL;

	if (!hdrv || !hdrv->suspend)
		return 0;
	return hdrv->suspend(device_to_hv_device(dev));
}

static int vmbus_dev_resume(struct device *dev)
{
	struct hv_driver *hdrv = dev->driver ? drv_to_hv_drv(dev->driver) : NULL;

	if (!hdrv || !hdrv->resume)
		return 0;
	return hdrv->resume(device_to_hv_device(dev));
}

static const struct dev_pm_ops vmbus_dev_pm = {
	.freeze_noirq	= vmbus_dev_suspend,
	.thaw_noirq	= vmbus_dev_resume,
	.poweroff_noirq	= vmbus_dev_suspend,
	.restore_noirq	= vmbus_dev_resume,
};

static struct bus_type vmbus_bus = {
	.name		= "vmbus",
	.pm		= &vmbus_dev_pm,
	.match		= vmbus_match,
	.probe		= vmbus_probe,
	.remove		= vmbus_remove,
	.shutdown	= vmbus_shutdown,
	.uevent		= vmbus_uevent,
	.dev_groups	= vmbus_dev_groups,
	.drv_groups	= vmbus_drv_groups,
};

static bool vmbus_bus_registered;

/**
 * __vmbus_driver_register() - register a VMBus driver
 * @hv_driver: the driver; name, id_table and probe are set by the caller
 * @owner: the driver's module
 * @mod_name: the driver's module name
 *
 * Use the vmbus_driver_register() macro.  Devices whose class GUID is in
 * @hv_driver's id_table (or was added through new_id) bind to it.
 *
 * Context: process context, may sleep (probes matching devices).
 * Return: 0, -ENODEV if hv_vmbus is not connected to a host, or what
 * driver_register() returned.
 */
int __vmbus_driver_register(struct hv_driver *hv_driver, struct module *owner,
			    const char *mod_name)
{
	if (!READ_ONCE(vmbus_bus_registered))
		return -ENODEV;
	pr_debug("registering driver %s\n", hv_driver->name);
	hv_driver->driver.name = hv_driver->name;
	hv_driver->driver.owner = owner;
	hv_driver->driver.mod_name = mod_name;
	hv_driver->driver.bus = &vmbus_bus;
	spin_lock_init(&hv_driver->dynids.lock);
	INIT_LIST_HEAD(&hv_driver->dynids.list);
	return driver_register(&hv_driver->driver);
}

/**
 * vmbus_driver_unregister() - unregister a VMBus driver
 * @hv_driver: a driver registered with vmbus_driver_register()
 *
 * Unbinds every device from it and frees the ids added through new_id.
 *
 * Context: process context, may sleep.
 */
void vmbus_driver_unregister(struct hv_driver *hv_driver)
{
	struct vmbus_dynid *dynid, *tmp;

	pr_debug("unregistering driver %s\n", hv_driver->name);
	driver_unregister(&hv_driver->driver);
	spin_lock(&hv_driver->dynids.lock);
	list_for_each_entry_safe(dynid, tmp, &hv_driver->dynids.list, node) {
		list_del(&dynid->node);
		kfree(dynid);
	}
	spin_unlock(&hv_driver->dynids.lock);
}

/**
 * vmbus_allocate_mmio() - claim guest physical address space for a device
 * @new: set to the claimed resource
 * @device_obj: the device asking
 * @min: lowest acceptable start
 * @max: highest acceptable end
 * @size: bytes wanted
 * @align: alignment
 * @fb_overlap_ok: whether the range may overlap the boot framebuffer
 *
 * The MMIO ranges come from the VMBus ACPI device on Hyper-V.  This guest
 * core learns of none (neither the simulated host nor a bus without ACPI
 * offers any), so every request fails cleanly.
 *
 * Context: process context.
 * Return: -ENODEV.
 */
int vmbus_allocate_mmio(struct resource **new, struct hv_device *device_obj,
			resource_size_t min, resource_size_t max,
			resource_size_t size, resource_size_t align,
			bool fb_overlap_ok)
{
	*new = NULL;
	dev_warn(&device_obj->device, "no VMBus MMIO range to allocate %pa bytes from\n",
		 &size);
	return -ENODEV;
}

/**
 * vmbus_free_mmio() - release what vmbus_allocate_mmio() claimed
 * @start: start of the range
 * @size: its size
 *
 * Nothing is ever claimed (see vmbus_allocate_mmio()), so nothing is freed.
 *
 * Context: process context.
 */
void vmbus_free_mmio(resource_size_t start, resource_size_t size)
{
}

static void vmbus_device_release(struct device *dev)
{
	struct hv_device *hdev = device_to_hv_device(dev);

	pr_debug("device %pUl destroyed\n", &hdev->dev_instance);
	kfree(hdev->driver_override);
	kfree(hdev);
}

/*
 * channels/<relid> of every channel of @primary's device.  Sub-channels
 * added while the device was being probed found no kset and are shown now.
 */
static void vmbus_device_add_channels(struct vmbus_channel *primary,
				      struct kset *kset)
{
	struct vmbus_channel *sc;

	mutex_lock(&vmbus_connection.channel_mutex);
	primary->device_obj->channels_kset = kset;
	if (!vmbus_chan_sysfs_add(primary))
		to_vmbus_chan(primary)->kobj_added = true;
	list_for_each_entry(sc, &primary->sc_list, sc_list)
		if (!to_vmbus_chan(sc)->kobj_added && !vmbus_chan_sysfs_add(sc))
			to_vmbus_chan(sc)->kobj_added = true;
	mutex_unlock(&vmbus_connection.channel_mutex);
}

/**
 * vmbus_device_create() - register the hv_device of a primary channel
 * @ch: the channel
 *
 * Context: the add work on offer_wq; may sleep (drivers probe).
 * Return: 0 or -errno.
 */
int vmbus_device_create(struct vmbus_channel *ch)
{
	struct hv_device *hdev = kzalloc(sizeof(*hdev), GFP_KERNEL);
	struct device *dev;
	struct kset *kset;
	int ret;

	if (!hdev)
		return -ENOMEM;
	hdev->dev_type = ch->offermsg.offer.if_type;
	hdev->dev_instance = ch->offermsg.offer.if_instance;
	hdev->vendor_id = PCI_VENDOR_ID_MICROSOFT;
	hdev->device_id = ch->device_id;
	hdev->channel = ch;
	hdev->dma_mask = DMA_BIT_MASK(64);
	dev = &hdev->device;
	dev->bus = &vmbus_bus;
	dev->parent = vmbus_conn.root;
	dev->release = vmbus_device_release;
	dev->dma_parms = &hdev->dma_parms;
	dev->dma_mask = &hdev->dma_mask;
	dev->coherent_dma_mask = DMA_BIT_MASK(64);
	dev_set_name(dev, "%pUl", &hdev->dev_instance);

	/* Drivers reach the device from the channel during probe. */
	ch->device_obj = hdev;
	ret = device_register(dev);
	if (ret) {
		ch->device_obj = NULL;
		put_device(dev);
		return ret;
	}
	pr_debug("device %pUl created\n", &hdev->dev_instance);
	kset = kset_create_and_add("channels", NULL, &dev->kobj);
	if (kset)
		vmbus_device_add_channels(ch, kset);
	else
		dev_err(dev, "no memory for the channels directory\n");
	return 0;
}

/**
 * vmbus_device_remove() - unregister the hv_device of a primary channel
 * @ch: the channel; nothing happens if it has no device
 *
 * Context: offer_wq or module exit; may sleep (drivers' remove runs).
 */
void vmbus_device_remove(struct vmbus_channel *ch)
{
	struct vmbus_channel *sc;
	struct hv_device *hdev;
	struct kset *kset;

	/* The rescind work and hv_sock may both get here: one removes. */
	hdev = xchg(&ch->device_obj, NULL);
	if (!hdev)
		return;
	/* Keeps @hdev for the kset below; its release may run at unregister. */
	get_device(&hdev->device);
	device_unregister(&hdev->device);
	/*
	 * channels/<relid> go before the kset that holds them; a sub-channel
	 * added from now on finds no kset and stays out of sysfs.
	 */
	mutex_lock(&vmbus_connection.channel_mutex);
	list_for_each_entry(sc, &ch->sc_list, sc_list)
		vmbus_chan_sysfs_del(sc);
	vmbus_chan_sysfs_del(ch);
	kset = hdev->channels_kset;
	hdev->channels_kset = NULL;
	mutex_unlock(&vmbus_connection.channel_mutex);
	kset_unregister(kset);
	put_device(&hdev->device);
}

/**
 * vmbus_device_unregister() - remove a device on its driver's request
 * @device_obj: the device
 *
 * Used by hv_sock when a connection's channel goes away.
 *
 * Context: process context, may sleep.
 */
void vmbus_device_unregister(struct hv_device *device_obj)
{
	vmbus_device_remove(device_obj->channel);
}

/**
 * vmbus_chan_deliver() - run or schedule a channel's callback for an event
 * @ch: the channel, reachable from the relid map
 *
 * The callback tasklet never runs twice at once, and scheduling it while it
 * runs makes it run again, so an event during the callback is not lost.
 *
 * Context: hard-IRQ, or interrupts disabled.
 */
void vmbus_chan_deliver(struct vmbus_channel *ch)
{
	void (*cb)(void *context);

	atomic64_inc(&to_vmbus_chan(ch)->events);
	vmbus_stat_inc(VMBUS_STAT_EVENTS);
	/* A rescinded channel's host side is gone: nothing to read. */
	if (READ_ONCE(ch->rescind)) {
		vmbus_stat_inc(VMBUS_STAT_EVENTS_DROPPED);
		return;
	}
	/*
	 * sched_lock pairs with vmbus_reset_cb(): once close cleared the
	 * callback, no ISR calls it or touches the rings it is about to free.
	 */
	spin_lock(&ch->sched_lock);
	cb = READ_ONCE(ch->onchannel_callback);
	if (!cb)
		goto out;
	switch (ch->callback_mode) {
	case HV_CALL_ISR:
		cb(ch->channel_callback_context);
		break;
	case HV_CALL_BATCHED:
		/* Masked until the tasklet drained the ring: hv_end_read(). */
		hv_begin_read(&ch->inbound);
		fallthrough;
	case HV_CALL_DIRECT:
		tasklet_schedule(&ch->callback_event);
	}
out:
	spin_unlock(&ch->sched_lock);
}

/*
 * Take every set relid off this CPU's event page.  sync_test_and_clear_bit()
 * is a full barrier between clearing the bit and loading the relid map
 * (step 4 of the publication argument in connection.c).
 */
static void vmbus_event_scan(struct vmbus_synic *s)
{
	unsigned long *flags = s->event_page[VMBUS_MESSAGE_SINT].flags;
	unsigned long word;
	unsigned int i, bit, relid;

	for (i = 0; i < HV_EVENT_FLAGS_LONG_COUNT; i++) {
		word = READ_ONCE(flags[i]);
		for_each_set_bit(bit, &word, BITS_PER_LONG) {
			relid = i * BITS_PER_LONG + bit;
			if (!sync_test_and_clear_bit(relid, flags))
				continue;
			if (relid == 0) {	/* never a channel */
				vmbus_stat_inc(VMBUS_STAT_EVENTS_DROPPED);
				continue;
			}
			vmbus_chan_event(relid);
		}
	}
}

/* Frees the slot; the host may then deliver the next message. */
static void vmbus_slot_free(struct hv_message *slot)
{
	union hv_message_flags flags;

	WRITE_ONCE(slot->header.message_type, HVMSG_NONE);
	/*
	 * Order the free slot before the msg_pending load: pairs with the
	 * host's barrier between setting msg_pending and re-checking the slot.
	 * Either we see msg_pending and signal EOM, or the host sees the slot
	 * free and delivers without one.
	 */
	virt_mb();
	flags.asu8 = READ_ONCE(slot->header.message_flags.asu8);
	if (flags.msg_pending) {
		vmbus_stat_inc(VMBUS_STAT_EOMS);
		vmbus_conn.hv->eom();
	}
}

/*
 * Copy every message the slot holds into the ring.  Returns true if one was
 * copied.  Runs on the owning CPU with interrupts off (the ISR, or the
 * re-harvest IPI), so it is the ring's only producer.
 */
static bool vmbus_msg_harvest(struct vmbus_synic *s)
{
	struct hv_message *slot = &s->msg_page->sint_message[VMBUS_MESSAGE_SINT];
	struct vmbus_msg_ring *r = &s->ring;
	bool copied = false;
	unsigned int head;

	while (READ_ONCE(slot->header.message_type) != HVMSG_NONE) {
		head = r->head;
		/* Pairs with the release of the tail in vmbus_msg_work(). */
		if (head - smp_load_acquire(&r->tail) == VMBUS_MSG_RING_SIZE) {
			WRITE_ONCE(s->stalled, true);
			break;
		}
		/* The type is read before the body: pairs with the host's write. */
		virt_rmb();
		memcpy(&r->msgs[head % VMBUS_MSG_RING_SIZE], slot, sizeof(*slot));
		/* Pairs with the acquire of the head in vmbus_msg_work(). */
		smp_store_release(&r->head, head + 1);
		vmbus_slot_free(slot);
		copied = true;
	}
	return copied;
}

static void vmbus_isr(void)
{
	struct vmbus_synic *s = this_cpu_ptr(vmbus_conn.synic);

	if (!READ_ONCE(s->enabled))
		return;
	/*
	 * Channels are being moved to new relids (hibernation resume): leave
	 * the bits on the page; vmbus_events_release() scans every page once
	 * the count is 0.  The host raises no second interrupt for a bit that
	 * is still set, so that scan is what delivers them.
	 */
	if (!atomic_read(&vmbus_conn.fixups))
		vmbus_event_scan(s);
	if (vmbus_msg_harvest(s))
		queue_work_on(s->cpu, vmbus_conn.msg_wq, &s->msg_work);
}

static void vmbus_msg_reharvest(void *arg)
{
	vmbus_isr();
}

static void vmbus_events_rescan(void *arg)
{
	struct vmbus_synic *s = this_cpu_ptr(vmbus_conn.synic);

	if (READ_ONCE(s->enabled))
		vmbus_event_scan(s);
}

/**
 * vmbus_events_release() - the fix-up count reached 0: scan every event page
 *
 * Every ISR that runs after the count reached 0 scans its page; one that
 * read the count before and left its page alone ran on a CPU that this
 * scan reaches after it (an IPI, with interrupts off, cannot overtake the
 * ISR on that CPU).  So every bit set during the hold-off is taken.
 *
 * Context: process context, may sleep.
 */
void vmbus_events_release(void)
{
	cpus_read_lock();
	on_each_cpu(vmbus_events_rescan, NULL, 1);
	cpus_read_unlock();
}

static void vmbus_msg_work(struct work_struct *work)
{
	struct vmbus_synic *s = container_of(work, struct vmbus_synic, msg_work);
	struct vmbus_msg_ring *r = &s->ring;
	unsigned int tail = r->tail;

	/* Pairs with the release of the head in vmbus_msg_harvest(). */
	while (tail != smp_load_acquire(&r->head)) {
		vmbus_msg_dispatch(&r->msgs[tail % VMBUS_MSG_RING_SIZE]);
		/* Pairs with the acquire of the tail in vmbus_msg_harvest(). */
		smp_store_release(&r->tail, ++tail);
	}
	/* A message left in the slot while the ring was full: fetch it now. */
	if (READ_ONCE(s->stalled)) {
		WRITE_ONCE(s->stalled, false);
		smp_call_function_single(s->cpu, vmbus_msg_reharvest, NULL, 1);
	}
}

static int vmbus_synic_online(unsigned int cpu)
{
	struct vmbus_synic *s = per_cpu_ptr(vmbus_conn.synic, cpu);
	int ret;

	ret = vmbus_conn.hv->synic_enable(cpu, s->msg_page, s->event_page);
	if (ret) {
		pr_err("cpu%u: enabling the SynIC failed: %d\n", cpu, ret);
		return ret;
	}
	WRITE_ONCE(s->enabled, true);
	return 0;
}

/* Is @cpu the target of an open channel? */
static bool vmbus_cpu_has_channels(unsigned int cpu)
{
	struct vmbus_chan *vc;
	bool busy = false;

	mutex_lock(&vmbus_connection.channel_mutex);
	list_for_each_entry(vc, &vmbus_conn.channels, node) {
		if (vc->ch.state != CHANNEL_OFFER_STATE &&
		    READ_ONCE(vc->ch.target_cpu) == cpu) {
			busy = true;
			break;
		}
	}
	mutex_unlock(&vmbus_connection.channel_mutex);
	return busy;
}

static int vmbus_synic_offline(unsigned int cpu)
{
	struct vmbus_synic *s = per_cpu_ptr(vmbus_conn.synic, cpu);

	/* The host sends every message to the connect CPU. */
	if (cpu == vmbus_conn.connect_cpu && READ_ONCE(vmbus_conn.version))
		return -EBUSY;
	/* Its events would land on a page nobody scans. */
	if (vmbus_cpu_has_channels(cpu))
		return -EBUSY;
	WRITE_ONCE(s->enabled, false);
	vmbus_conn.hv->synic_disable(cpu);
	return 0;
}

static void vmbus_synic_free(void)
{
	struct vmbus_synic *s;
	unsigned int cpu;

	for_each_possible_cpu(cpu) {
		s = per_cpu_ptr(vmbus_conn.synic, cpu);
		free_page((unsigned long)s->msg_page);
		free_page((unsigned long)s->event_page);
	}
	free_percpu(vmbus_conn.synic);
}

static int vmbus_synic_alloc(void)
{
	struct vmbus_synic *s;
	unsigned int cpu;

	vmbus_conn.synic = alloc_percpu(struct vmbus_synic);
	if (!vmbus_conn.synic)
		return -ENOMEM;
	for_each_possible_cpu(cpu) {
		s = per_cpu_ptr(vmbus_conn.synic, cpu);
		s->cpu = cpu;
		INIT_WORK(&s->msg_work, vmbus_msg_work);
		s->msg_page = (void *)get_zeroed_page(GFP_KERNEL);
		s->event_page = (void *)get_zeroed_page(GFP_KERNEL);
		if (!s->msg_page || !s->event_page) {
			vmbus_synic_free();
			return -ENOMEM;
		}
	}
	return 0;
}

static const char * const vmbus_stat_names[VMBUS_NR_STATS] = {
	[VMBUS_STAT_POSTS]		 = "posts",
	[VMBUS_STAT_POST_RETRIES]	 = "post_retries",
	[VMBUS_STAT_POST_FAILURES]	 = "post_failures",
	[VMBUS_STAT_MSGS_IN]		 = "msgs_in",
	[VMBUS_STAT_MSGS_BAD]		 = "msgs_bad",
	[VMBUS_STAT_EOMS]		 = "eoms",
	[VMBUS_STAT_OFFERS]		 = "offers",
	[VMBUS_STAT_OFFERS_AT_ALLOFFERS] = "offers_at_alloffers",
	[VMBUS_STAT_RESCINDS]		 = "rescinds",
	[VMBUS_STAT_RELIDS_RELEASED]	 = "relids_released",
	[VMBUS_STAT_EVENTS]		 = "events",
	[VMBUS_STAT_EVENTS_LATCHED]	 = "events_latched",
	[VMBUS_STAT_EVENTS_DROPPED]	 = "events_dropped",
	[VMBUS_STAT_SUSPENDS]		 = "suspends",
	[VMBUS_STAT_RESUMES]		 = "resumes",
	[VMBUS_STAT_FIXUPS]		 = "fixups",
	[VMBUS_STAT_DEVICES_MISSING]	 = "devices_missing",
	[VMBUS_STAT_IGNORED_SUSPENDED]	 = "ignored_suspended",
};

static int vmbus_stats_show(struct seq_file *m, void *v)
{
	int i;

	seq_printf(m, "version 0x%x\n", READ_ONCE(vmbus_conn.version));
	seq_printf(m, "msg_conn_id %u\n", READ_ONCE(vmbus_conn.msg_conn_id));
	seq_printf(m, "connect_cpu %u\n", vmbus_conn.connect_cpu);
	seq_printf(m, "fixups_pending %d\n", atomic_read(&vmbus_conn.fixups));
	for (i = 0; i < VMBUS_NR_STATS; i++)
		seq_printf(m, "%s %lld\n", vmbus_stat_names[i],
			   atomic64_read(&vmbus_conn.stats[i]));
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(vmbus_stats);

static void vmbus_debugfs_init(void)
{
	vmbus_debugfs_dir = debugfs_create_dir("hv_vmbus", NULL);
	debugfs_create_file("stats", 0400, vmbus_debugfs_dir, NULL,
			    &vmbus_stats_fops);
	vmbus_msglog_debugfs(vmbus_msglog_in, "msg_in_log", vmbus_debugfs_dir);
	vmbus_msglog_debugfs(vmbus_msglog_out, "msg_out_log", vmbus_debugfs_dir);
}

static void vmbus_msglogs_free(void)
{
	vmbus_msglog_free(vmbus_msglog_in);
	vmbus_msglog_free(vmbus_msglog_out);
}

static int vmbus_msglogs_alloc(void)
{
	vmbus_msglog_in = vmbus_msglog_alloc();
	vmbus_msglog_out = vmbus_msglog_alloc();
	if (vmbus_msglog_in && vmbus_msglog_out)
		return 0;
	vmbus_msglogs_free();
	return -ENOMEM;
}

static void vmbus_conn_init(const struct vmbus_hypervisor *hv)
{
	vmbus_conn.hv = hv;
	vmbus_conn.connect_cpu = VMBUS_CONNECT_CPU;
	mutex_init(&vmbus_conn.post_lock);
	spin_lock_init(&vmbus_conn.req_lock);
	INIT_LIST_HEAD(&vmbus_conn.requests);
	init_completion(&vmbus_conn.alloffers);
	INIT_LIST_HEAD(&vmbus_conn.channels);
	WRITE_ONCE(vmbus_conn.unloading, false);
}

/* Stops the message path: no ISR, no SynIC, no message work any more. */
static void vmbus_msg_path_stop(void)
{
	cpuhp_remove_state(vmbus_cpuhp_state);
	vmbus_hv_clear_handler();
	/* Nothing queues message work any more; let what is queued finish. */
	flush_workqueue(vmbus_conn.msg_wq);
}

static int vmbus_msg_path_start(void)
{
	int ret;

	ret = vmbus_hv_set_handler(vmbus_isr);
	if (ret)
		return ret;
	ret = cpuhp_setup_state(CPUHP_AP_ONLINE_DYN, "hv/vmbus:online",
				vmbus_synic_online, vmbus_synic_offline);
	if (ret < 0) {
		vmbus_hv_clear_handler();
		return ret;
	}
	vmbus_cpuhp_state = ret;
	return 0;
}

static void vmbus_log_backend(const struct vmbus_hypervisor *hv)
{
	struct vmbus_hv_version ver;

	hv->version(&ver);
	pr_info("hypervisor back end %s, version %u.%u build %u\n",
		hv->name, ver.major, ver.minor, ver.build);
}

static void vmbus_wqs_destroy(void)
{
	if (vmbus_conn.msg_wq)
		destroy_workqueue(vmbus_conn.msg_wq);
	if (vmbus_conn.offer_wq)
		destroy_workqueue(vmbus_conn.offer_wq);
	if (vmbus_conn.subchan_wq)
		destroy_workqueue(vmbus_conn.subchan_wq);
}

/*
 * Message work must never wait behind a driver; a primary's probe may wait
 * for its sub-channels' offers, so those are added on a queue of their own.
 */
static int vmbus_wqs_alloc(void)
{
	vmbus_conn.msg_wq = alloc_workqueue("hv_vmbus_msg", WQ_MEM_RECLAIM, 0);
	vmbus_conn.offer_wq = alloc_ordered_workqueue("hv_vmbus_offer", 0);
	vmbus_conn.subchan_wq = alloc_ordered_workqueue("hv_vmbus_subchan", 0);
	if (vmbus_conn.msg_wq && vmbus_conn.offer_wq && vmbus_conn.subchan_wq)
		return 0;
	vmbus_wqs_destroy();
	return -ENOMEM;
}

/* Every channel gone; the message path must be stopped already. */
static void vmbus_channels_stop(void)
{
	flush_workqueue(vmbus_conn.offer_wq);
	flush_workqueue(vmbus_conn.subchan_wq);
	vmbus_channels_remove_all();
}

/*
 * The bus's hibernation callbacks, on the root device that parents every
 * hv_device: the PM core runs them after every device's noirq suspend
 * callback and before every device's noirq resume callback.
 */
static int vmbus_bus_suspend(struct device *dev)
{
	int ret;

	ret = vmbus_channels_suspend();
	if (ret)
		return ret;
	vmbus_conn.suspend_version = READ_ONCE(vmbus_conn.version);
	vmbus_disconnect();
	WRITE_ONCE(vmbus_conn.pm_suspended, true);
	return 0;
}

static int vmbus_bus_resume(struct device *dev)
{
	int ret;

	ret = vmbus_reconnect(vmbus_conn.suspend_version);
	if (!ret) {
		vmbus_channels_resume_begin();
		ret = vmbus_request_offers_timeout(VMBUS_RESUME_TIMEOUT_S);
		if (ret)
			pr_err("resume: re-offers incomplete (%d); devices not re-offered are removed\n",
			       ret);
	}
	/* Also without a connection: nothing may stay held off. */
	vmbus_channels_resume_end();
	WRITE_ONCE(vmbus_conn.pm_suspended, false);
	return ret;
}

static struct dev_pm_domain vmbus_root_pm = {
	.ops = {
		.freeze_noirq	= vmbus_bus_suspend,
		.thaw_noirq	= vmbus_bus_resume,
		.poweroff_noirq	= vmbus_bus_suspend,
		.restore_noirq	= vmbus_bus_resume,
	},
};

/*
 * The connect CPU's SynIC, after the bus suspended for hibernation: the
 * other CPUs go offline (vmbus_synic_offline()) before syscore suspend and
 * come back online after syscore resume.
 */
static int vmbus_syscore_suspend(void)
{
	struct vmbus_synic *s = per_cpu_ptr(vmbus_conn.synic,
					    vmbus_conn.connect_cpu);

	if (!READ_ONCE(vmbus_conn.pm_suspended) || !s->enabled ||
	    smp_processor_id() != vmbus_conn.connect_cpu)
		return 0;
	WRITE_ONCE(s->enabled, false);
	vmbus_conn.hv->synic_disable(s->cpu);
	vmbus_conn.synic_suspended = true;
	return 0;
}

static void vmbus_syscore_resume(void)
{
	struct vmbus_synic *s = per_cpu_ptr(vmbus_conn.synic,
					    vmbus_conn.connect_cpu);

	if (!vmbus_conn.synic_suspended)
		return;
	vmbus_conn.synic_suspended = false;
	if (vmbus_conn.hv->synic_enable(s->cpu, s->msg_page, s->event_page))
		pr_err("cpu%u: enabling the SynIC after hibernation failed\n",
		       s->cpu);
	else
		WRITE_ONCE(s->enabled, true);
}

static struct syscore_ops vmbus_syscore_ops = {
	.suspend	= vmbus_syscore_suspend,
	.resume		= vmbus_syscore_resume,
};

static int vmbus_bus_init(void)
{
	int ret;

	vmbus_conn.root = root_device_register("vmbus");
	if (IS_ERR(vmbus_conn.root))
		return PTR_ERR(vmbus_conn.root);
	dev_pm_domain_set(vmbus_conn.root, &vmbus_root_pm);
	ret = bus_register(&vmbus_bus);
	if (ret) {
		dev_pm_domain_set(vmbus_conn.root, NULL);
		root_device_unregister(vmbus_conn.root);
		return ret;
	}
	register_syscore_ops(&vmbus_syscore_ops);
	return 0;
}

static void vmbus_bus_exit(void)
{
	WRITE_ONCE(vmbus_bus_registered, false);
	unregister_syscore_ops(&vmbus_syscore_ops);
	bus_unregister(&vmbus_bus);
	dev_pm_domain_set(vmbus_conn.root, NULL);
	root_device_unregister(vmbus_conn.root);
}

static int __init vmbus_init(void)
{
	const struct vmbus_hypervisor *hv;
	int ret;

	hv = vmbus_hv_get();
	if (IS_ERR(hv)) {
		pr_err("no hypervisor back end: not on Hyper-V and vmbus_sim not loaded (%ld)\n",
		       PTR_ERR(hv));
		return PTR_ERR(hv);
	}
	vmbus_log_backend(hv);
	vmbus_conn_init(hv);

	ret = vmbus_msglogs_alloc();
	if (ret)
		goto err_put_hv;
	ret = vmbus_conn_pages_alloc();
	if (ret)
		goto err_free_logs;
	ret = vmbus_synic_alloc();
	if (ret)
		goto err_free_conn_pages;
	ret = vmbus_wqs_alloc();
	if (ret)
		goto err_free_synic;
	ret = vmbus_bus_init();
	if (ret)
		goto err_destroy_wqs;
	vmbus_debugfs_init();
	ret = vmbus_msg_path_start();
	if (ret)
		goto err_remove_debugfs;
	ret = vmbus_connect();
	if (ret)
		goto err_stop_msg_path;
	WRITE_ONCE(vmbus_bus_registered, true);
	return 0;

err_stop_msg_path:
	WRITE_ONCE(vmbus_conn.unloading, true);
	vmbus_msg_path_stop();
	vmbus_channels_stop();
err_remove_debugfs:
	debugfs_remove_recursive(vmbus_debugfs_dir);
	vmbus_bus_exit();
err_destroy_wqs:
	vmbus_wqs_destroy();
err_free_synic:
	vmbus_synic_free();
err_free_conn_pages:
	vmbus_conn_pages_free();
err_free_logs:
	vmbus_msglogs_free();
err_put_hv:
	vmbus_hv_put(hv);
	return ret;
}

static void __exit vmbus_exit(void)
{
	/* No new channels; the host forgets every channel at UNLOAD. */
	WRITE_ONCE(vmbus_conn.unloading, true);
	vmbus_disconnect();
	vmbus_msg_path_stop();
	vmbus_channels_stop();
	debugfs_remove_recursive(vmbus_debugfs_dir);
	vmbus_bus_exit();
	vmbus_wqs_destroy();
	vmbus_synic_free();
	vmbus_conn_pages_free();
	vmbus_msglogs_free();
	vmbus_hv_put(vmbus_conn.hv);
}

module_init(vmbus_init);
module_exit(vmbus_exit);
MODULE_DESCRIPTION("Microsoft Hyper-V VMBus driver");
MODULE_LICENSE("GPL");
