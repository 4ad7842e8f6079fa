// SPDX-License-Identifier: GPL-2.0
/*
 * vmbus_test_drv: a VMBus driver with an empty id table, for the tests of
 * driver binding.  It binds only through the driver's new_id or a device's
 * driver_override, and counts its probes and removes (module parameters
 * "probes" and "removes", read-only).
 */
#include <linux/atomic.h>
#include <linux/hyperv.h>
#include <linux/module.h>

#include "compat.h"

static atomic_t probes = ATOMIC_INIT(0);
static atomic_t removes = ATOMIC_INIT(0);

static int counter_get(char *buf, const struct kernel_param *kp)
{
	return sysfs_emit(buf, "%d\n", atomic_read(kp->arg));
}

static const struct kernel_param_ops counter_ops = {
	.get = counter_get,
};

module_param_cb(probes, &counter_ops, &probes, 0444);
MODULE_PARM_DESC(probes, "devices bound so far");
module_param_cb(removes, &counter_ops, &removes, 0444);
MODULE_PARM_DESC(removes, "devices unbound so far");

static int test_drv_probe(struct hv_device *dev,
			  const struct hv_vmbus_device_id *id)
{
	atomic_inc(&probes);
	dev_info(&dev->device, "bound to relid %u\n",
		 dev->channel->offermsg.child_relid);
	return 0;
}

static vmbus_remove_ret test_drv_remove(struct hv_device *dev)
{
	atomic_inc(&removes);
	dev_info(&dev->device, "unbound\n");
	return VMBUS_REMOVE_OK;
}

/* Empty: binding happens only through new_id or driver_override. */
static const struct hv_vmbus_device_id test_drv_ids[] = {
	{ },
};
MODULE_DEVICE_TABLE(vmbus, test_drv_ids);

static struct hv_driver test_drv = {
	.name		= "vmbus_test_drv",
	.id_table	= test_drv_ids,
	.probe		= test_drv_probe,
	.remove		= test_drv_remove,
};

static int __init test_drv_init(void)
{
	return vmbus_driver_register(&test_drv);
}

static void __exit test_drv_exit(void)
{
	vmbus_driver_unregister(&test_drv);
}

module_init(test_drv_init);
module_exit(test_drv_exit);
MODULE_DESCRIPTION("VMBus test driver for binding tests");
MODULE_LICENSE("GPL");
