// SPDX-License-Identifier: GPL-2.0
/*
 * Exports of the symbols that the target kernel's channel_mgmt.c exports.
 *
 * With modversions a symbol's CRC covers every type definition its
 * declaration reaches in the exporting file, so this file includes exactly
 * the headers that the target kernel's exporting file includes, and nothing
 * else of its own but hyperv_vmbus.h (which mirrors the kernel's private
 * header).  Do not add includes here: the CRC check in `make check` fails
 * when a CRC drifts from the target's Module.symvers.
 */
#include <linux/kernel.h>
#include <linux/interrupt.h>
#include <linux/sched.h>
#include <linux/wait.h>
#include <linux/mm.h>
#include <linux/slab.h>
#include <linux/list.h>
#include <linux/module.h>
#include <linux/completion.h>
#include <linux/delay.h>
#include <linux/cpu.h>
#include <linux/hyperv.h>
#include <asm/mshyperv.h>
#include <linux/sched/isolation.h>

#include "hyperv_vmbus.h"

EXPORT_SYMBOL_GPL(vmbus_devs);
EXPORT_SYMBOL_GPL(vmbus_prep_negotiate_resp);
EXPORT_SYMBOL_GPL(vmbus_hvsock_device_unregister);
EXPORT_SYMBOL_GPL(vmbus_set_sc_create_callback);
EXPORT_SYMBOL_GPL(vmbus_set_chn_rescind_callback);
