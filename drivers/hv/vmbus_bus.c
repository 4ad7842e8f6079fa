// SPDX-License-Identifier: GPL-2.0
/*
 * hv_vmbus: the vmbus bus type.  Matching a device to a driver (id table,
 * new_id, driver_override), probe / remove / shutdown / uevent, the
 * per-device hibernation callbacks, driver registration, and adding and
 * removing the hv_device of a primary channel.
 *
 * The channel state machine (channel_mgmt.c) calls in here from offer_wq
 * to add a device after an offer and to remove it after a rescind; module
 * init (vmbus_drv.c) registers the bus and opens it to drivers once the
 * host connection is up.
 */
#define pr_fmt(fmt) "hv_vmbus: " fmt

#include <linux/device.h>
#include <linux/dma-mapping.h>
#include <linux/kobject.h>
#include <linux/module.h>
#include <linux/pci_ids.h>
#include <linux/pm.h>
#include <linux/slab.h>
#include <linux/string.h>

#include "hyperv_vmbus.h"

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
	int override;

	/*
	 * An hv_sock offer's class is the service it connects, any GUID: the
	 * hv_sock driver binds every one of them without an id table entry
	 * (its table is empty), and no other driver binds any of them.
	 */
	if (is_hvsock_channel(dev->channel))
		return drv->hvsock ? &vmbus_device_null : NULL;
	/* With driver_override set, only the named driver binds. */
	override = vmbus_match_override(dev, &drv->driver);
	if (!override)
		return NULL;
	id = vmbus_dynid_match(drv, &dev->dev_type);
	if (!id)
		id = vmbus_table_match(drv->id_table, &dev->dev_type);
	if (!id && override > 0)
		id = &vmbus_device_null;
	return id;
}

static int vmbus_match(struct device *dev, vmbus_cb_const struct device_driver *drv)
{
	/* Not const: the dynamic ids' lock is taken. */
	struct hv_driver *hdrv = container_of(drv, struct hv_driver, driver);
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
	struct hv_device *hdev = device_to_hv_device(dev);
	struct vmbus_channel *sc;

	if (hdrv->remove)
		hdrv->remove(hdev);
	/*
	 * Drivers do not clear their callbacks when they let go (the
	 * distribution's uio_hv_generic sets both and clears neither, storvsc
	 * and netvsc leave the sub-channel callback set): a sub-channel
	 * offered or a rescind of any of the device's channels arriving from
	 * now on must not call into a driver that is gone.  Under the lock
	 * vmbus_add_subchannel() and the rescind work read the callbacks with
	 * (channel_mgmt.c); sub-channels join sc_list under it too.
	 */
	mutex_lock(&vmbus_connection.channel_mutex);
	hdev->channel->sc_creation_callback = NULL;
	hdev->channel->chn_rescind_callback = NULL;
	list_for_each_entry(sc, &hdev->channel->sc_list, sc_list)
		WRITE_ONCE(sc->chn_rescind_callback, NULL);
	mutex_unlock(&vmbus_connection.channel_mutex);
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

static int vmbus_uevent(vmbus_cb_const struct device *dev,
			struct kobj_uevent_env *env)
{
	vmbus_cb_const struct hv_device *hdev = device_to_hv_device(dev);

	return add_uevent_var(env, "MODALIAS=vmbus:%*phN", UUID_SIZE,
			      &hdev->dev_type);
}

/*
 * Hibernation only (freeze / thaw, poweroff / restore), noirq: a driver's
 * suspend callback closes its channels, its resume callback opens them
 * again.  The PM core runs these for every device before the bus's own
 * callbacks on the root device (vmbus_root_pm in vmbus_drv.c) on the way
 * down, and after them on the way up.
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
	.bus_groups	= vmbus_bus_groups,
	.dev_groups	= vmbus_dev_groups,
	.drv_groups	= vmbus_drv_groups,
#ifdef VMBUS_CORE_DRIVER_OVERRIDE
	.driver_override = true,
#endif
};

static bool vmbus_bus_registered;

/**
 * vmbus_bus_register() - register the vmbus bus type
 *
 * Drivers cannot register yet: see vmbus_bus_ready().
 *
 * Context: module init, process context.
 * Return: 0 or what bus_register() returned.
 */
int vmbus_bus_register(void)
{
	return bus_register(&vmbus_bus);
}

/**
 * vmbus_bus_ready() - open or close the bus to drivers
 * @ready: true once the host connection is up, false at module exit
 *
 * __vmbus_driver_register() fails with -ENODEV while the bus is closed.
 */
void vmbus_bus_ready(bool ready)
{
	WRITE_ONCE(vmbus_bus_registered, ready);
}

/**
 * vmbus_bus_unregister() - unregister the vmbus bus type
 *
 * Context: module exit or init failure, process context; the bus is closed
 * to drivers (vmbus_bus_ready()) and every device is gone.
 */
void vmbus_bus_unregister(void)
{
	bus_unregister(&vmbus_bus);
}

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
 * Return: 0, -ENODEV if the bus is closed to drivers (the module before
 * its connection is up and while it unloads; built in, the bus is open
 * from boot, host or not), or what driver_register() returned.
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
 * Unbinds every device from it, waits for the add and rescind works that
 * may still call one of its callbacks, and frees the ids added through
 * new_id.
 *
 * Context: process context, may sleep.
 */
void vmbus_driver_unregister(struct hv_driver *hv_driver)
{
	struct vmbus_dynid *dynid, *tmp;

	pr_debug("unregistering driver %s\n", hv_driver->name);
	driver_unregister(&hv_driver->driver);
	/*
	 * vmbus_remove() cleared the driver's callbacks, but an add or
	 * rescind work may have read one before and still be calling it
	 * (channel_mgmt.c calls them after dropping channel_mutex): once
	 * these are flushed nothing calls into the driver's module.
	 */
	flush_workqueue(vmbus_conn.offer_wq);
	flush_workqueue(vmbus_conn.subchan_wq);
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
#ifndef VMBUS_CORE_DRIVER_OVERRIDE
	kfree(hdev->driver_override);
#endif
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
 * vmbus_chan_close_all() - close a channel its driver left open
 * @ch: the channel
 *
 * Context: the rescind work, after the driver's remove.
 */
void vmbus_chan_close_all(struct vmbus_channel *ch)
{
	if (ch->state == CHANNEL_OFFER_STATE)
		return;
	pr_warn("relid %u: still open after its driver let go; closing it\n",
		ch->offermsg.child_relid);
	vmbus_close(ch);
}
