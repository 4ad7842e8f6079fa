// SPDX-License-Identifier: GPL-2.0
/*
 * Exports of the symbols that the target kernel's vmbus_drv.c exports.
 *
 * With modversions a symbol's CRC covers every type definition its
 * declaration reaches in the exporting file, so this file includes exactly
 * the headers that the target kernel's exporting file includes, and nothing
 * else of its own but hyperv_vmbus.h (which mirrors the kernel's private
 * header).  Do not add includes here: the CRC check in `make check` fails
 * when a CRC drifts from the target's Module.symvers.
 */
#include <linux/init.h>
#include <linux/module.h>
#include <linux/device.h>
#include <linux/interrupt.h>
#include <linux/sysctl.h>
#include <linux/slab.h>
#include <linux/acpi.h>
#include <linux/completion.h>
#include <linux/hyperv.h>
#include <linux/kernel_stat.h>
#include <linux/clockchips.h>
#include <linux/cpu.h>
#include <linux/sched/isolation.h>
#include <linux/sched/task_stack.h>
#include <linux/delay.h>
#include <linux/panic_notifier.h>
#include <linux/ptrace.h>
#include <linux/screen_info.h>
#include <linux/efi.h>
#include <linux/random.h>
#include <linux/kernel.h>
#include <linux/syscore_ops.h>
#include <linux/dma-map-ops.h>
#include <linux/pci.h>
#include <clocksource/hyperv_timer.h>

#include "hyperv_vmbus.h"

/*
 * What 6.12's vmbus_drv.c includes beyond 6.1's (the order of includes
 * does not change a CRC; VMBUS_KERNEL_612 is from compat.h).
 */
#ifdef VMBUS_KERNEL_612
#include <linux/platform_device.h>
#include <linux/of_address.h>
#include <linux/smpboot.h>
#include <asm/mshyperv.h>
#endif

EXPORT_SYMBOL_GPL(__vmbus_driver_register);
EXPORT_SYMBOL_GPL(vmbus_driver_unregister);
EXPORT_SYMBOL_GPL(vmbus_device_unregister);
EXPORT_SYMBOL_GPL(vmbus_allocate_mmio);
EXPORT_SYMBOL_GPL(vmbus_free_mmio);
#ifdef VMBUS_CHAN_RING_SYSFS
EXPORT_SYMBOL_GPL(hv_create_ring_sysfs);
EXPORT_SYMBOL_GPL(hv_remove_ring_sysfs);
#endif
