/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The hypervisor boundary of the VMBus guest core.
 *
 * The guest core (hv_vmbus.ko) never issues a hypercall or touches an MSR.
 * Everything it needs from the hypervisor goes through one registered
 * struct vmbus_hypervisor.  Two back ends exist: the real Hyper-V one
 * (hv_hyperv.c, built into vmbus_platform.ko) and the simulated host
 * (vmbus_sim.ko).
 *
 * The registration lives in vmbus_platform.ko, which neither the guest core
 * nor the simulator owns: the simulated host can stay loaded while
 * hv_vmbus.ko is unloaded and loaded again, exactly as a real host outlives
 * a kexec of its guest.  The guest takes a reference on the back end's
 * module with vmbus_hv_get() for as long as it is attached, so a back end
 * cannot go away under a connected guest.
 *
 * Interrupt entry goes the other way: the guest installs its handler with
 * vmbus_hv_set_handler(), and a back end calls vmbus_hv_interrupt() in
 * hard-IRQ context on the CPU whose SynIC the interrupt targets.  The handler
 * pointer is RCU-protected, so vmbus_hv_clear_handler() returning means no
 * CPU still runs the old handler.
 *
 * The crash path goes the same way: the guest installs the function that
 * ends its connection without sleeping with vmbus_hv_set_crash_handler(),
 * and the platform layer calls it (vmbus_hv_crash()) from its panic and
 * reboot notifiers and, on Hyper-V, from the kernel's kexec and crash
 * shutdown hooks, so that the host drops the old connection before the
 * next kernel contacts it.
 *
 * Built into the kernel (CONFIG_HYPERV=y), the guest core initializes
 * before a back end that is a module can register: it names the function
 * that attaches it with vmbus_hv_set_attach(), and vmbus_hv_register()
 * calls it once the back end is in place.
 */
#ifndef _LINUX_HYPERV_VMBUS_HV_H
#define _LINUX_HYPERV_VMBUS_HV_H

#include <linux/types.h>
#include <asm/hyperv-tlfs.h>

struct module;

/* Protocol constants that <linux/hyperv.h> does not name. */
enum vmbus_proto_ids {
	VMBUS_MESSAGE_SINT		= 2,	/* SINT for all VMBus messages and events */
	VMBUS_MESSAGE_CONNECTION_ID	= 1,	/* INITIATE_CONTACT before 5.0 */
	VMBUS_MESSAGE_CONNECTION_ID_4	= 4,	/* INITIATE_CONTACT from 5.0 on */
	VMBUS_MESSAGE_PORT_ID		= 1,
	VMBUS_EVENT_CONNECTION_ID	= 2,
	VMBUS_EVENT_PORT_ID		= 2,
	VMBUS_MONITOR_CONNECTION_ID	= 3,
	VMBUS_MONITOR_PORT_ID		= 3,
};

/* Hypercall status codes the 6.1 TLFS header does not define. */
enum vmbus_hv_status_extra {
	VMBUS_HV_STATUS_TIME_OUT	= 0x78,
};

/**
 * struct vmbus_hv_version - what the hypervisor says about itself
 * @major: major version
 * @minor: minor version
 * @build: build number
 */
struct vmbus_hv_version {
	u32 major;
	u32 minor;
	u32 build;
};

/**
 * struct vmbus_hypervisor - operations a hypervisor back end provides
 * @name: short name for log lines ("hyperv", "sim")
 * @owner: module that implements the ops; pinned while a guest is attached
 * @post_message: HvPostMessage.  Post @size bytes of @payload with
 *	@message_type to @connection_id.  Any context; must not sleep.
 *	Returns an HV_STATUS_* code (HV_STATUS_SUCCESS on success).
 * @signal_event: HvSignalEvent on @connection_id, flag @flag.  Any context.
 *	Returns an HV_STATUS_* code.
 * @synic_enable: enable the SynIC of @cpu with the guest's message page
 *	(SIMP) and event-flag page (SIEFP: %HV_SYNIC_SINT_COUNT consecutive
 *	&union hv_synic_event_flags, one per SINT) and unmask SINT
 *	%VMBUS_MESSAGE_SINT.  Called on @cpu
 *	itself from a context pinned to it; may sleep.  Returns 0 or -errno.
 * @synic_disable: mask the SINT and detach the pages of @cpu.  Called on
 *	@cpu itself from a context pinned to it; may sleep.  After it returns
 *	the back end no longer writes to that CPU's pages.
 * @eom: end of message on the current CPU (write to the EOM register): the
 *	host may deliver the next pending message into the now free slot.
 *	Called with interrupts disabled.
 * @vp_index: the hypervisor's virtual processor index of @cpu.
 * @version: fill in the hypervisor's version.
 * @synic_disable_atomic: optional; what @synic_disable does, from any CPU
 *	with interrupts off and without sleeping (the crash path).  Returns
 *	false if the back end cannot reach the SynIC of @cpu from the current
 *	CPU (Hyper-V's SynIC registers are per-CPU MSRs: only the current
 *	CPU's can be written).
 */
struct vmbus_hypervisor {
	const char *name;
	struct module *owner;
	u64 (*post_message)(u32 connection_id, u32 message_type,
			    const void *payload, u32 size);
	u64 (*signal_event)(u32 connection_id, u16 flag);
	int (*synic_enable)(unsigned int cpu, struct hv_message_page *msg_page,
			    union hv_synic_event_flags *event_pages);
	void (*synic_disable)(unsigned int cpu);
	void (*eom)(void);
	u32 (*vp_index)(unsigned int cpu);
	void (*version)(struct vmbus_hv_version *ver);
	bool (*synic_disable_atomic)(unsigned int cpu);
};

/* Back end side (vmbus_platform.ko). */
int vmbus_hv_register(const struct vmbus_hypervisor *hv);
void vmbus_hv_unregister(const struct vmbus_hypervisor *hv);
void vmbus_hv_interrupt(void);
void vmbus_hv_crash(bool crash);

/* Guest side. */
const struct vmbus_hypervisor *vmbus_hv_get(void);
void vmbus_hv_put(const struct vmbus_hypervisor *hv);
void vmbus_hv_set_attach(void (*attach)(void));
int vmbus_hv_set_handler(void (*handler)(void));
void vmbus_hv_clear_handler(void);
int vmbus_hv_set_crash_handler(void (*handler)(bool crash));
void vmbus_hv_clear_crash_handler(void);

#endif /* _LINUX_HYPERV_VMBUS_HV_H */
