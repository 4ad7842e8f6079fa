// SPDX-License-Identifier: GPL-2.0
/*
 * The real Hyper-V back end of the hypervisor boundary: hypercalls, SynIC
 * MSRs and the Hyper-V callback vector, through the kernel's
 * <asm/mshyperv.h> helpers.  Registered only when the kernel runs on
 * Hyper-V; it is compiled on every build so that it keeps building.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/build_bug.h>
#include <linux/irqflags.h>
#include <linux/module.h>
#include <linux/percpu.h>
#include <linux/smp.h>
#include <linux/string.h>
#include <asm/mshyperv.h>
#include <linux/hyperv/vmbus_hv.h>

#include "compat.h"
#include "platform.h"

/* Input of HVCALL_POST_MESSAGE (TLFS: HvPostMessage). */
struct hv_post_message_input {
	u32 connection_id;
	u32 reserved;
	u32 message_type;
	u32 payload_size;
	u64 payload[HV_MESSAGE_PAYLOAD_QWORD_COUNT];
} __packed;
static_assert(sizeof(struct hv_post_message_input) == 256);
static_assert(offsetof(struct hv_post_message_input, payload) == 16);

static bool hyperv_registered;

static u64 hyperv_post_message(u32 connection_id, u32 message_type,
			       const void *payload, u32 size)
{
	struct hv_post_message_input *in;
	unsigned long flags;
	u64 status;

	if (size > HV_MESSAGE_PAYLOAD_BYTE_COUNT)
		return HV_STATUS_INVALID_PARAMETER;

	/* The per-CPU input page is ours until interrupts are enabled again. */
	local_irq_save(flags);
	in = *this_cpu_ptr(hyperv_pcpu_input_arg);
	in->connection_id = connection_id;
	in->reserved = 0;
	in->message_type = message_type;
	in->payload_size = size;
	memcpy(in->payload, payload, size);
	status = hv_do_hypercall(HVCALL_POST_MESSAGE, in, NULL);
	local_irq_restore(flags);

	return status & HV_HYPERCALL_RESULT_MASK;
}

static u64 hyperv_signal_event(u32 connection_id, u16 flag)
{
	/* Fast hypercall: connection id in bits 0-31, flag in bits 32-47. */
	u64 in = connection_id | ((u64)flag << 32);

	return hv_do_fast_hypercall8(HVCALL_SIGNAL_EVENT, in) &
	       HV_HYPERCALL_RESULT_MASK;
}

static int hyperv_synic_enable(unsigned int cpu, struct hv_message_page *msg,
			       union hv_synic_event_flags *events)
{
	union hv_synic_scontrol sctrl;
	union hv_synic_siefp siefp;
	union hv_synic_simp simp;
	union hv_synic_sint sint;

	simp.as_uint64 = vmbus_synic_read(VMBUS_SYNIC_REG(SIMP));
	simp.simp_enabled = 1;
	simp.base_simp_gpa = virt_to_phys(msg) >> HV_HYP_PAGE_SHIFT;
	vmbus_synic_write(VMBUS_SYNIC_REG(SIMP), simp.as_uint64);

	siefp.as_uint64 = vmbus_synic_read(VMBUS_SYNIC_REG(SIEFP));
	siefp.siefp_enabled = 1;
	siefp.base_siefp_gpa = virt_to_phys(events) >> HV_HYP_PAGE_SHIFT;
	vmbus_synic_write(VMBUS_SYNIC_REG(SIEFP), siefp.as_uint64);

	sint.as_uint64 = 0;
	sint.vector = HYPERVISOR_CALLBACK_VECTOR;
	sint.masked = 0;
	sint.auto_eoi = !(ms_hyperv.hints & HV_DEPRECATING_AEOI_RECOMMENDED);
	vmbus_synic_write(VMBUS_SYNIC_REG(SINT0) + VMBUS_MESSAGE_SINT, sint.as_uint64);

	sctrl.as_uint64 = vmbus_synic_read(VMBUS_SYNIC_REG(SCONTROL));
	sctrl.enable = 1;
	vmbus_synic_write(VMBUS_SYNIC_REG(SCONTROL), sctrl.as_uint64);
	return 0;
}

static void hyperv_synic_disable(unsigned int cpu)
{
	union hv_synic_siefp siefp;
	union hv_synic_simp simp;
	union hv_synic_sint sint;

	sint.as_uint64 = vmbus_synic_read(VMBUS_SYNIC_REG(SINT0) + VMBUS_MESSAGE_SINT);
	sint.masked = 1;
	vmbus_synic_write(VMBUS_SYNIC_REG(SINT0) + VMBUS_MESSAGE_SINT, sint.as_uint64);

	simp.as_uint64 = vmbus_synic_read(VMBUS_SYNIC_REG(SIMP));
	simp.simp_enabled = 0;
	simp.base_simp_gpa = 0;
	vmbus_synic_write(VMBUS_SYNIC_REG(SIMP), simp.as_uint64);

	siefp.as_uint64 = vmbus_synic_read(VMBUS_SYNIC_REG(SIEFP));
	siefp.siefp_enabled = 0;
	siefp.base_siefp_gpa = 0;
	vmbus_synic_write(VMBUS_SYNIC_REG(SIEFP), siefp.as_uint64);
	/*
	 * SCONTROL stays enabled: the kernel's stimer code may use other SINTs
	 * of the same SynIC.
	 */
}

/* Only the current CPU's SynIC MSRs can be written. */
static bool hyperv_synic_disable_atomic(unsigned int cpu)
{
	if (cpu != smp_processor_id())
		return false;
	hyperv_synic_disable(cpu);
	return true;
}

static void hyperv_eom(void)
{
	vmbus_synic_write(VMBUS_SYNIC_REG(EOM), 0);
}

static u32 hyperv_vp_index(unsigned int cpu)
{
	return hv_vp_index[cpu];
}

static void hyperv_version(struct vmbus_hv_version *ver)
{
	unsigned int eax, ebx, ecx, edx;

	cpuid(HYPERV_CPUID_VERSION, &eax, &ebx, &ecx, &edx);
	ver->build = eax;
	ver->major = ebx >> 16;
	ver->minor = ebx & 0xffff;
}

static const struct vmbus_hypervisor hyperv_backend = {
	.name		= "hyperv",
	.owner		= THIS_MODULE,
	.post_message	= hyperv_post_message,
	.signal_event	= hyperv_signal_event,
	.synic_enable	= hyperv_synic_enable,
	.synic_disable	= hyperv_synic_disable,
	.eom		= hyperv_eom,
	.vp_index	= hyperv_vp_index,
	.version	= hyperv_version,
	.synic_disable_atomic = hyperv_synic_disable_atomic,
};

/*
 * The kernel's Hyper-V shutdown hooks (arch/x86 mshyperv, exported):
 * machine_shutdown() on kexec calls the kexec handler with the other CPUs
 * still running; machine_crash_shutdown() calls the crash handler on the
 * crashing CPU with interrupts off before kdump's kernel starts (the panic
 * notifiers may not run at all before it).
 */
static void hyperv_kexec(void)
{
	vmbus_hv_crash(false);
}

static void hyperv_crash(struct pt_regs *regs)
{
	vmbus_hv_crash(true);
}

/**
 * vmbus_hyperv_init() - register the Hyper-V back end if running on Hyper-V
 *
 * The init of vmbus_platform.ko: platform.c's panic and reboot notifiers
 * and shutdown callback (on every kernel), then the back end; this file calls into platform.c,
 * never the other way round.
 *
 * Context: module init.
 * Return: 0 (also when not on Hyper-V), or the registration's error.
 */
static int __init vmbus_hyperv_init(void)
{
	int ret;

	ret = vmbus_hv_hooks_register();
	if (ret || !hv_is_hyperv_initialized())
		return ret;

	hv_setup_vmbus_handler(vmbus_hv_interrupt);
	ret = vmbus_hv_register(&hyperv_backend);
	if (ret) {
		hv_remove_vmbus_handler();
		vmbus_hv_hooks_unregister();
		return ret;
	}
	hyperv_registered = true;
	/* Only x86 has the hook: elsewhere hv_setup_kexec_handler() does nothing. */
	if (IS_ENABLED(CONFIG_X86))
		vmbus_hv_hooks_kexec_own();
	hv_setup_kexec_handler(hyperv_kexec);
	hv_setup_crash_handler(hyperv_crash);
	return 0;
}

/**
 * vmbus_hyperv_exit() - withdraw the Hyper-V back end
 *
 * Context: module exit; no guest is attached (it would pin this module).
 */
static void __exit vmbus_hyperv_exit(void)
{
	if (hyperv_registered) {
		hv_remove_crash_handler();
		hv_remove_kexec_handler();
		vmbus_hv_unregister(&hyperv_backend);
		hv_remove_vmbus_handler();
	}
	vmbus_hv_hooks_unregister();
}

module_init(vmbus_hyperv_init);
module_exit(vmbus_hyperv_exit);
