/* SPDX-License-Identifier: GPL-2.0 */
/* Private to vmbus_platform.ko: what hv_hyperv.c's module init calls. */
#ifndef _VMBUS_PLATFORM_H
#define _VMBUS_PLATFORM_H

int vmbus_hv_hooks_register(void);
void vmbus_hv_hooks_unregister(void);
void vmbus_hv_hooks_kexec_own(void);

#endif /* _VMBUS_PLATFORM_H */
