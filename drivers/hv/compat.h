/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The differences between the kernels the modules build for, Debian's 6.1
 * and 6.12 (Documentation/virt/hyperv/testing.rst, "Target kernels"), kept
 * in this one header so that the .c files read the same on both.  The
 * tests' drivers under tools/testing/vmbus/ include it too.
 */
#ifndef _VMBUS_COMPAT_H
#define _VMBUS_COMPAT_H

#include <linux/device.h>
#include <linux/hyperv.h>
#include <linux/syscore_ops.h>
#include <asm/hyperv-tlfs.h>

/*
 * 6.12 or 6.1, told by a macro that 6.12's <asm/hyperv-tlfs.h> has and
 * 6.1's lacks (a test of the headers, not of LINUX_VERSION_CODE, and one
 * that sparse understands, unlike __has_include).
 */
#ifdef HV_MSR_SIMP
#define VMBUS_KERNEL_612 1
#endif

#ifdef VMBUS_KERNEL_612

#include <linux/unaligned.h>

/* The driver core hands bus callbacks const devices, drivers and buses. */
#define vmbus_cb_const const

/*
 * The driver core keeps driver_override in struct device, shows and stores
 * it in sysfs itself (bus_type.driver_override) and frees it on release.
 */
#define VMBUS_CORE_DRIVER_OVERRIDE 1
/* > 0 matches, 0 does not, < 0 when no override is set. */
#define vmbus_match_override(hdev, drv) \
	device_match_driver_override(&(hdev)->device, drv)
#define vmbus_has_override(hdev) device_has_driver_override(&(hdev)->device)

/*
 * channels/<relid>/ring exists, hidden until a driver calls
 * hv_create_ring_sysfs() (vmbus_sysfs.c).
 */
#define VMBUS_CHAN_RING_SYSFS 1

/* SynIC registers: HV_MSR_* through hv_get_msr()/hv_set_msr(). */
#define VMBUS_SYNIC_REG(r)		HV_MSR_##r
#define vmbus_synic_read(reg)		hv_get_msr(reg)
#define vmbus_synic_write(reg, val)	hv_set_msr(reg, val)

/* syscore ops take a data pointer and register through struct syscore. */
#define VMBUS_SYSCORE_ARG		void *data
#define VMBUS_SYSCORE_DEFINE(name, o)	static struct syscore name = { .ops = &(o) }
#define vmbus_syscore_register(name)	register_syscore(&(name))
#define vmbus_syscore_unregister(name)	unregister_syscore(&(name))

/*
 * kernel_kexec() runs the syscore shutdown callbacks after
 * device_shutdown(), as a reboot does (platform.c, vmbus_hv_shutdown()).
 */
#define VMBUS_KEXEC_RUNS_SYSCORE	true

/*
 * vfs_iter_write() takes the file system's freeze protection itself
 * (file_start_write()); the caller must not.
 */
#define vmbus_file_start_write(file)	do { } while (0)
#define vmbus_file_end_write(file)	do { } while (0)

/* hv_driver.remove returns nothing: "return VMBUS_REMOVE_OK;" */
#define vmbus_remove_ret	void
#define VMBUS_REMOVE_OK

#else /* 6.1 */

#include <asm/unaligned.h>

/* vfs_iter_write()'s caller takes the freeze protection. */
#define vmbus_file_start_write(file)	file_start_write(file)
#define vmbus_file_end_write(file)	file_end_write(file)

#define vmbus_cb_const

/* hv_device.driver_override, kept and shown by hv_vmbus. */
static inline int vmbus_match_override(struct hv_device *hdev,
				       const struct device_driver *drv)
{
	if (!hdev->driver_override)
		return -1;
	return !strcmp(hdev->driver_override, drv->name);
}

#define vmbus_has_override(hdev) (!!(hdev)->driver_override)

#define VMBUS_SYNIC_REG(r)		HV_REGISTER_##r
#define vmbus_synic_read(reg)		hv_get_register(reg)
#define vmbus_synic_write(reg, val)	hv_set_register(reg, val)

#define VMBUS_SYSCORE_ARG		void
#define VMBUS_SYSCORE_DEFINE(name, o)	static struct syscore_ops *const name = &(o)
#define vmbus_syscore_register(name)	register_syscore_ops(name)
#define vmbus_syscore_unregister(name)	unregister_syscore_ops(name)

/* kernel_kexec() runs no syscore shutdown: platform.c's reboot notifier. */
#define VMBUS_KEXEC_RUNS_SYSCORE	false

/* hv_driver.remove returns int. */
#define vmbus_remove_ret	int
#define VMBUS_REMOVE_OK		0

#endif

#endif /* _VMBUS_COMPAT_H */
