// SPDX-License-Identifier: GPL-2.0
/*
 * Exports of the symbols that the target kernel's channel.c exports.
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
#include <linux/mm.h>
#include <linux/slab.h>
#include <linux/module.h>
#include <linux/hyperv.h>
#include <linux/uio.h>
#include <linux/interrupt.h>
#include <linux/set_memory.h>
#include <asm/page.h>
#include <asm/mshyperv.h>

#include "hyperv_vmbus.h"

EXPORT_SYMBOL_GPL(vmbus_setevent);
EXPORT_SYMBOL_GPL(vmbus_free_ring);
EXPORT_SYMBOL_GPL(vmbus_alloc_ring);
EXPORT_SYMBOL_GPL(vmbus_send_tl_connect_request);
EXPORT_SYMBOL_GPL(vmbus_send_modifychannel);
EXPORT_SYMBOL_GPL(vmbus_establish_gpadl);
EXPORT_SYMBOL_GPL(vmbus_connect_ring);
EXPORT_SYMBOL_GPL(vmbus_open);
EXPORT_SYMBOL_GPL(vmbus_teardown_gpadl);
EXPORT_SYMBOL_GPL(vmbus_disconnect_ring);
EXPORT_SYMBOL_GPL(vmbus_close);
EXPORT_SYMBOL_GPL(vmbus_sendpacket_getid);
EXPORT_SYMBOL_GPL(vmbus_sendpacket);
EXPORT_SYMBOL_GPL(vmbus_sendpacket_mpb_desc);
EXPORT_SYMBOL_GPL(vmbus_recvpacket);
EXPORT_SYMBOL_GPL(vmbus_recvpacket_raw);
EXPORT_SYMBOL_GPL(vmbus_next_request_id);
EXPORT_SYMBOL_GPL(__vmbus_request_addr_match);
EXPORT_SYMBOL_GPL(vmbus_request_addr_match);
EXPORT_SYMBOL_GPL(vmbus_request_addr);
