// SPDX-License-Identifier: GPL-2.0
/*
 * Exports of the symbols that the target kernel's ring_buffer.c exports.
 *
 * With modversions a symbol's CRC covers every type definition its
 * declaration reaches in the exporting file, so this file includes exactly
 * the headers that the target kernel's exporting file includes, and nothing
 * else of its own but hyperv_vmbus.h (which mirrors the kernel's private
 * header).  Do not add includes here: the CRC check in `make check` fails
 * when a CRC drifts from the target's Module.symvers.
 */
#include <linux/kernel.h>
#include <linux/mm.h>
#include <linux/hyperv.h>
#include <linux/uio.h>
#include <linux/vmalloc.h>
#include <linux/slab.h>
#include <linux/prefetch.h>
#include <linux/io.h>
#include <asm/mshyperv.h>

#include "hyperv_vmbus.h"

EXPORT_SYMBOL_GPL(hv_ringbuffer_get_debuginfo);
EXPORT_SYMBOL_GPL(hv_ringbuffer_spinlock_busy);
EXPORT_SYMBOL_GPL(hv_pkt_iter_first);
EXPORT_SYMBOL_GPL(__hv_pkt_iter_next);
EXPORT_SYMBOL_GPL(hv_pkt_iter_close);
