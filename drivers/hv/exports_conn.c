// SPDX-License-Identifier: GPL-2.0
/*
 * Exports of the symbols that the target kernel's connection.c exports.
 *
 * With modversions a symbol's CRC covers every type definition its
 * declaration reaches in the exporting file, so this file includes exactly
 * the headers that the target kernel's exporting file includes, and nothing
 * else of its own but hyperv_vmbus.h (which mirrors the kernel's private
 * header).  Do not add includes here: the CRC check in `make check` fails
 * when a CRC drifts from the target's Module.symvers.
 */
#include <linux/kernel.h>
#include <linux/sched.h>
#include <linux/wait.h>
#include <linux/delay.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/vmalloc.h>
#include <linux/hyperv.h>
#include <linux/export.h>
#include <linux/io.h>
#include <linux/set_memory.h>
#include <asm/mshyperv.h>

#include "hyperv_vmbus.h"

EXPORT_SYMBOL_GPL(vmbus_connection);
EXPORT_SYMBOL_GPL(vmbus_proto_version);
EXPORT_SYMBOL_GPL(vmbus_set_event);
