// SPDX-License-Identifier: GPL-2.0
/*
 * vmbus_platform: where a hypervisor back end registers and where the guest
 * core finds it.
 *
 * This module is owned by neither side.  The simulated host registers here
 * and stays registered while hv_vmbus.ko unloads and loads again, as a real
 * host outlives a kexec of its guest; the real Hyper-V back end
 * (hv_hyperv.c) registers here at module load when the kernel runs on
 * Hyper-V.  One back end is registered at a time.
 *
 * Contexts that may hold a reference to the registered back end:
 *  - a guest between vmbus_hv_get() and vmbus_hv_put(): it holds a module
 *    reference on the back end, so the back end's module cannot unload and
 *    call vmbus_hv_unregister() meanwhile;
 *  - vmbus_hv_interrupt(), in hard-IRQ context, calls the guest's handler
 *    under RCU; vmbus_hv_clear_handler() waits for those callers, so the
 *    guest's module can go away once it returns;
 *  - vmbus_hv_crash(), from the panic notifier, the syscore shutdown
 *    callback (reboot, power off, halt), the reboot notifier (kexec on
 *    the simulated host) and the Hyper-V kexec and crash hooks, calls
 *    the guest's crash handler under RCU in the same way;
 *    vmbus_hv_clear_crash_handler() waits for those callers.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/notifier.h>
#include <linux/panic_notifier.h>
#include <linux/rcupdate.h>
#include <linux/reboot.h>
#include <linux/string.h>
#include <linux/syscore_ops.h>
#include <linux/hyperv/vmbus_hv.h>

#include "compat.h"
#include "platform.h"

static DEFINE_MUTEX(vmbus_hv_lock);
/* Protected by vmbus_hv_lock. */
static const struct vmbus_hypervisor *vmbus_hv_backend;
static bool vmbus_hv_attached;
/*
 * Written under vmbus_hv_lock, loaded and called under rcu_read_lock() from
 * hard-IRQ context.  It points to code, not to data that must be initialized
 * before it is published, so WRITE_ONCE()/READ_ONCE() are enough for the
 * pointer; synchronize_rcu() in vmbus_hv_clear_handler() covers the callers.
 */
static void (*vmbus_hv_handler)(void);
/* The guest's crash handler; written and read as vmbus_hv_handler is. */
static void (*vmbus_hv_crash_handler)(bool crash);
/*
 * A guest built into the kernel (vmbus_hv_set_attach()): called after a
 * back end registers.  Protected by vmbus_hv_lock.
 */
static void (*vmbus_hv_attach_fn)(void);

static bool vmbus_hv_complete(const struct vmbus_hypervisor *hv)
{
	return hv->name && hv->post_message && hv->signal_event &&
	       hv->synic_enable && hv->synic_disable && hv->eom &&
	       hv->vp_index && hv->version;
}

/**
 * vmbus_hv_register() - make a hypervisor back end available to the guest
 * @hv: the back end; must stay valid until vmbus_hv_unregister()
 *
 * Context: process context, may sleep.
 * Return: 0; -EINVAL if @hv lacks an operation; -EBUSY if another back end
 * is registered.
 */
int vmbus_hv_register(const struct vmbus_hypervisor *hv)
{
	void (*attach)(void) = NULL;
	int ret = 0;

	if (!vmbus_hv_complete(hv))
		return -EINVAL;

	mutex_lock(&vmbus_hv_lock);
	if (vmbus_hv_backend) {
		pr_warn("back end %s refused: %s is registered\n",
			hv->name, vmbus_hv_backend->name);
		ret = -EBUSY;
	} else {
		vmbus_hv_backend = hv;
		attach = vmbus_hv_attach_fn;
		pr_info("hypervisor back end %s registered\n", hv->name);
	}
	mutex_unlock(&vmbus_hv_lock);
	/* The guest takes vmbus_hv_lock itself (vmbus_hv_get()). */
	if (attach)
		attach();
	return ret;
}
EXPORT_SYMBOL_GPL(vmbus_hv_register);

/**
 * vmbus_hv_set_attach() - have a built-in guest attach to back ends as they come
 * @attach: called, in process context, after each vmbus_hv_register()
 *
 * A guest core built into the kernel initializes before any back end that
 * is a module (vmbus_sim) can register; @attach lets it connect when one
 * does, as a module guest would at its load.  @attach serializes against
 * the guest's own attach and detach and calls vmbus_hv_get() itself; its
 * failure is the guest's to report and does not undo the registration.
 *
 * Context: process context, may sleep.
 */
void vmbus_hv_set_attach(void (*attach)(void))
{
	mutex_lock(&vmbus_hv_lock);
	vmbus_hv_attach_fn = attach;
	mutex_unlock(&vmbus_hv_lock);
}
EXPORT_SYMBOL_GPL(vmbus_hv_set_attach);

/**
 * vmbus_hv_unregister() - withdraw a hypervisor back end
 * @hv: the back end passed to vmbus_hv_register()
 *
 * The caller is the back end's module exit (or an error path before any
 * guest could attach), so no guest holds @hv: vmbus_hv_get() pinned the
 * back end's module while a guest is attached.
 *
 * Context: process context, may sleep.
 */
void vmbus_hv_unregister(const struct vmbus_hypervisor *hv)
{
	mutex_lock(&vmbus_hv_lock);
	if (WARN_ON(vmbus_hv_backend != hv || vmbus_hv_attached)) {
		mutex_unlock(&vmbus_hv_lock);
		return;
	}
	vmbus_hv_backend = NULL;
	mutex_unlock(&vmbus_hv_lock);
	pr_info("hypervisor back end %s unregistered\n", hv->name);
}
EXPORT_SYMBOL_GPL(vmbus_hv_unregister);

/**
 * vmbus_hv_get() - attach the guest to the registered back end
 *
 * Takes a reference on the back end's module.  Only one guest attaches at a
 * time.
 *
 * Context: process context, may sleep.
 * Return: the back end, or ERR_PTR(-ENODEV) if none is registered (or its
 * module is going away), ERR_PTR(-EBUSY) if a guest is already attached.
 */
const struct vmbus_hypervisor *vmbus_hv_get(void)
{
	const struct vmbus_hypervisor *hv;

	mutex_lock(&vmbus_hv_lock);
	hv = vmbus_hv_backend;
	if (!hv || !try_module_get(hv->owner)) {
		hv = ERR_PTR(-ENODEV);
	} else if (vmbus_hv_attached) {
		module_put(hv->owner);
		hv = ERR_PTR(-EBUSY);
	} else {
		vmbus_hv_attached = true;
	}
	mutex_unlock(&vmbus_hv_lock);
	return hv;
}
EXPORT_SYMBOL_GPL(vmbus_hv_get);

/**
 * vmbus_hv_put() - detach the guest from its back end
 * @hv: what vmbus_hv_get() returned
 *
 * The guest must have cleared its handler and disabled every SynIC first.
 *
 * Context: process context, may sleep.
 */
void vmbus_hv_put(const struct vmbus_hypervisor *hv)
{
	mutex_lock(&vmbus_hv_lock);
	WARN_ON(!vmbus_hv_attached || hv != vmbus_hv_backend ||
		READ_ONCE(vmbus_hv_handler));
	vmbus_hv_attached = false;
	mutex_unlock(&vmbus_hv_lock);
	module_put(hv->owner);
}
EXPORT_SYMBOL_GPL(vmbus_hv_put);

/*
 * Install @fn in @slot unless a handler is there (-EBUSY); with @fn NULL,
 * clear it.  Callers load @slot under rcu_read_lock(), so a clear returns
 * only once those that loaded the old value are done.
 */
#define vmbus_hv_slot_set(slot, fn) ({					\
	typeof(slot) *__slot = &(slot);					\
	typeof(slot) __fn = (fn);					\
	int __ret = 0;							\
									\
	mutex_lock(&vmbus_hv_lock);					\
	if (__fn && READ_ONCE(*__slot))					\
		__ret = -EBUSY;						\
	else								\
		WRITE_ONCE(*__slot, __fn);				\
	mutex_unlock(&vmbus_hv_lock);					\
	if (!__fn)							\
		synchronize_rcu();					\
	__ret;								\
})

/**
 * vmbus_hv_set_handler() - install the guest's interrupt handler
 * @handler: called in hard-IRQ context for every SINT interrupt
 *
 * Context: process context, may sleep.
 * Return: 0, or -EBUSY if a handler is installed.
 */
int vmbus_hv_set_handler(void (*handler)(void))
{
	return vmbus_hv_slot_set(vmbus_hv_handler, handler);
}
EXPORT_SYMBOL_GPL(vmbus_hv_set_handler);

/**
 * vmbus_hv_clear_handler() - remove the guest's interrupt handler
 *
 * Returns once no CPU runs the old handler any more.
 *
 * Context: process context, may sleep.
 */
void vmbus_hv_clear_handler(void)
{
	vmbus_hv_slot_set(vmbus_hv_handler, NULL);
}
EXPORT_SYMBOL_GPL(vmbus_hv_clear_handler);

/**
 * vmbus_hv_interrupt() - a back end's SINT interrupt entry
 *
 * Calls the guest's handler, if one is installed.
 *
 * Context: hard-IRQ context on the CPU whose SynIC was interrupted.
 */
void vmbus_hv_interrupt(void)
{
	void (*handler)(void);

	rcu_read_lock();
	handler = READ_ONCE(vmbus_hv_handler);
	if (handler)
		handler();
	rcu_read_unlock();
}
EXPORT_SYMBOL_GPL(vmbus_hv_interrupt);

/**
 * vmbus_hv_set_crash_handler() - install the guest's crash handler
 * @handler: ends the guest's connection without sleeping; @crash is true
 *	on a panic or crash (other CPUs may be stopped, interrupts are off),
 *	false on a reboot or kexec
 *
 * Context: process context, may sleep.
 * Return: 0, or -EBUSY if a crash handler is installed.
 */
int vmbus_hv_set_crash_handler(void (*handler)(bool crash))
{
	return vmbus_hv_slot_set(vmbus_hv_crash_handler, handler);
}
EXPORT_SYMBOL_GPL(vmbus_hv_set_crash_handler);

/**
 * vmbus_hv_clear_crash_handler() - remove the guest's crash handler
 *
 * Returns once no CPU runs the old handler any more.
 *
 * Context: process context, may sleep.
 */
void vmbus_hv_clear_crash_handler(void)
{
	vmbus_hv_slot_set(vmbus_hv_crash_handler, NULL);
}
EXPORT_SYMBOL_GPL(vmbus_hv_clear_crash_handler);

/**
 * vmbus_hv_crash() - end the guest's connection before the kernel goes
 * @crash: true on a panic or crash, false on a reboot or kexec
 *
 * Calls the guest's crash handler, if one is installed.  Exported for the
 * back ends, whose own crash hooks end here.
 *
 * Context: any; does not sleep.
 */
void vmbus_hv_crash(bool crash)
{
	void (*handler)(bool crash);

	rcu_read_lock();
	handler = READ_ONCE(vmbus_hv_crash_handler);
	if (handler)
		handler(crash);
	rcu_read_unlock();
}
EXPORT_SYMBOL_GPL(vmbus_hv_crash);

/* panic(): interrupts are off, other CPUs are being stopped. */
static int vmbus_hv_panic_event(struct notifier_block *nb, unsigned long event,
				void *data)
{
	vmbus_hv_crash(true);
	return NOTIFY_DONE;
}

/*
 * The last of the panic notifiers: the guest's connection is needed by
 * nothing that runs after it, and other notifiers may still log through
 * it.
 */
static struct notifier_block vmbus_hv_panic_nb = {
	.notifier_call	= vmbus_hv_panic_event,
	.priority	= INT_MIN,
};

/*
 * Reboot, power off and halt: kernel_restart(), kernel_power_off() and
 * kernel_halt() run the syscore shutdown callbacks after
 * device_shutdown(), on one CPU, so the drivers' last requests (the
 * cache flush sd sends for a root disk on hv_storvsc) are answered before
 * the host forgets the connection.  Kernels whose kernel_kexec() runs
 * them too unload here on kexec as well.
 */
static void vmbus_hv_shutdown(VMBUS_SYSCORE_ARG)
{
	vmbus_hv_crash(false);
}

static struct syscore_ops vmbus_hv_syscore_ops = {
	.shutdown	= vmbus_hv_shutdown,
};

VMBUS_SYSCORE_DEFINE(vmbus_hv_syscore, vmbus_hv_syscore_ops);

/* Set when the back end's own kexec hook runs after device_shutdown(). */
static bool vmbus_hv_kexec_hooked;

/**
 * vmbus_hv_hooks_kexec_own() - the back end unloads on kexec itself
 *
 * The Hyper-V back end's kexec hook (machine_shutdown()) runs after the
 * devices shut down; with it, the reboot notifier below leaves kexec to it.
 *
 * Context: module init, before any kexec can start.
 */
void vmbus_hv_hooks_kexec_own(void)
{
	WRITE_ONCE(vmbus_hv_kexec_hooked, true);
}

/*
 * kexec where nothing later reaches the guest: kernel_kexec() of 6.1 runs
 * the reboot chain (with "kexec reboot" as its command) and then
 * device_shutdown() and machine_shutdown(), but no syscore shutdown, and
 * on the simulated host machine_shutdown() has no hook.  The UNLOAD then
 * comes before the devices shut down; a disk flush after it waits for an
 * answer the host no longer gives (Documentation/virt/hyperv/vmbus-core.rst,
 * "The crash path").  Restart, power off and halt are left to
 * vmbus_hv_shutdown(), and so is kexec on the kernels whose kernel_kexec()
 * runs it (6.12: VMBUS_KEXEC_RUNS_SYSCORE), after device_shutdown().
 */
static int vmbus_hv_reboot_event(struct notifier_block *nb,
				 unsigned long event, void *data)
{
	if (!VMBUS_KEXEC_RUNS_SYSCORE && event == SYS_RESTART && data &&
	    !strcmp(data, "kexec reboot") && !READ_ONCE(vmbus_hv_kexec_hooked))
		vmbus_hv_crash(false);
	return NOTIFY_DONE;
}

static struct notifier_block vmbus_hv_reboot_nb = {
	.notifier_call	= vmbus_hv_reboot_event,
	.priority	= INT_MIN,
};

/**
 * vmbus_hv_hooks_register() - the panic and reboot notifiers, the shutdown callback
 *
 * Called by the module's init (hv_hyperv.c) on every kernel, Hyper-V or
 * not: the simulated host's guest has a crash path too.
 *
 * Context: module init.
 * Return: 0, or the reboot notifier's registration error.
 */
int vmbus_hv_hooks_register(void)
{
	int ret;

	atomic_notifier_chain_register(&panic_notifier_list, &vmbus_hv_panic_nb);
	ret = register_reboot_notifier(&vmbus_hv_reboot_nb);
	if (ret) {
		atomic_notifier_chain_unregister(&panic_notifier_list,
						 &vmbus_hv_panic_nb);
		return ret;
	}
	vmbus_syscore_register(vmbus_hv_syscore);
	return 0;
}

/**
 * vmbus_hv_hooks_unregister() - remove what vmbus_hv_hooks_register() added
 *
 * Context: module exit.
 */
void vmbus_hv_hooks_unregister(void)
{
	vmbus_syscore_unregister(vmbus_hv_syscore);
	unregister_reboot_notifier(&vmbus_hv_reboot_nb);
	atomic_notifier_chain_unregister(&panic_notifier_list,
					 &vmbus_hv_panic_nb);
}

/* The module's init and exit are the Hyper-V back end's, in hv_hyperv.c. */
MODULE_DESCRIPTION("VMBus hypervisor boundary and Hyper-V back end");
MODULE_LICENSE("GPL");
