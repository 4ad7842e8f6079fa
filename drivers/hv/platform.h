/* SPDX-License-Identifier: GPL-2.0 */
/* Private to vmbus_platform.ko. */
#ifndef _VMBUS_PLATFORM_H
#define _VMBUS_PLATFORM_H

int vmbus_hyperv_init(void);
void vmbus_hyperv_exit(void);

#endif /* _VMBUS_PLATFORM_H */
