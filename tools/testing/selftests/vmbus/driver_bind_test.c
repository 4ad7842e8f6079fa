// SPDX-License-Identifier: GPL-2.0
/*
 * driver_bind_test: binding VMBus devices to a driver by hand.
 *
 * vmbus_test_drv has an empty id table, so it binds only where it is told
 * to: through its new_id (a class GUID) or a device's driver_override.  Its
 * module parameters probes / removes count what it saw.  Checked: new_id
 * binds every device of the class and remove_id keeps them bound; unbind;
 * driver_override with drivers_probe and with the driver's bind file, and
 * that clearing it stops the binding; new_id / remove_id refuse malformed
 * GUIDs with EINVAL; rmmod of the driver while it is bound unbinds every
 * device, and a fresh load binds nothing.
 *
 * Sim modes: version_ceiling 5.3, 4 test devices.
 */
#include <errno.h>
#include <inttypes.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "vmbus_util.h"

#define DRV		"vmbus_test_drv"
#define DRV_DIR		VM_VMBUS_DRIVERS "/" DRV
#define DRV_PARAMS	"/sys/module/" DRV "/parameters"
#define DRIVERS_PROBE	"/sys/bus/vmbus/drivers_probe"

enum {
	DEVICES		= 4,
	BIND_MS		= 10000,
	SHOW_LINES	= 10,
};

static struct vm_sim_devs devs;

/* ---- what is bound to what ------------------------------------------------- */

/* The name of the driver bound to @instance, "" when none. */
static void bound_driver(const char *instance, char *name, size_t len)
{
	char link[320], target[320];
	ssize_t n;

	snprintf(link, sizeof(link), "%s/%s/driver", VM_VMBUS_DEVICES, instance);
	n = readlink(link, target, sizeof(target) - 1);
	if (n < 0) {
		name[0] = '\0';
		return;
	}
	target[n] = '\0';
	snprintf(name, len, "%s", basename(target));
}

static bool expect_bound(const char *instance, const char *want)
{
	char got[64];

	bound_driver(instance, got, sizeof(got));
	return vm_expect(!strcmp(got, want), "%s/%s/driver: expected %s, got %s",
			 VM_VMBUS_DEVICES, instance, *want ? want : "none",
			 *got ? got : "none");
}

/* Device @only bound to @drv and every other one unbound (@only -1: all bound). */
static bool expect_binding(int only, const char *drv)
{
	bool ok = true;
	size_t i;

	for (i = 0; i < devs.count; i++)
		ok &= expect_bound(devs.dev[i].instance,
				   only < 0 || (size_t)only == i ? drv : "");
	return ok;
}

struct param_wait {
	const char *name;
	uint64_t want, got;
};

static bool param_reached(void *arg)
{
	struct param_wait *p = arg;
	char path[256];

	snprintf(path, sizeof(path), "%s/%s", DRV_PARAMS, p->name);
	return !vm_read_u64(path, &p->got) && p->got == p->want;
}

/* Module parameter probes or removes reaches @want (sysfs binding is synchronous). */
static bool expect_param(const char *name, uint64_t want)
{
	struct param_wait p = { .name = name, .want = want };

	if (vm_wait_until(param_reached, &p, BIND_MS, "%s/%s == %" PRIu64, DRV_PARAMS,
			  name, want))
		return true;
	ksft_print_msg("%s/%s: expected %" PRIu64 ", got %" PRIu64 "\n", DRV_PARAMS, name, want,
		       p.got);
	return false;
}

static bool expect_counts(uint64_t probes, uint64_t removes)
{
	return expect_param("probes", probes) & expect_param("removes", removes);
}

static bool drv_write(const char *file, const char *text)
{
	char path[256];

	snprintf(path, sizeof(path), "%s/%s", DRV_DIR, file);
	return !vm_write_file(path, text);
}

static bool unbind_all_bound(void)
{
	char drv[64];
	bool ok = true;
	size_t i;

	for (i = 0; i < devs.count; i++) {
		bound_driver(devs.dev[i].instance, drv, sizeof(drv));
		if (!strcmp(drv, DRV))
			ok &= drv_write("unbind", devs.dev[i].instance);
	}
	return ok;
}

/* ---- subtests ------------------------------------------------------------ */

static bool load(void)
{
	if (vm_sim_set("version_ceiling", "5.3") || vm_sim_devices_add_test(DEVICES) ||
	    vm_sim_reset_stats() || !vm_guest_load(VM_MODPROBE_MS) ||
	    !vm_wait_vmbus_devices(DEVICES, VM_MODPROBE_MS) || vm_sim_devices_load(&devs))
		return false;
	if (!vm_expect_eq("vmbus_sim/devices lines", DEVICES, devs.count) ||
	    !vm_expect(!vm_modprobe(DRV, VM_MODPROBE_MS), "`modprobe %s`: expected exit "
		       "status 0", DRV) ||
	    !vm_expect(vm_exists(DRV_DIR), "%s missing after modprobe", DRV_DIR))
		return false;
	/* The empty id table binds nothing by itself. */
	return expect_counts(0, 0) & expect_binding(-1, "");
}

static bool new_id_binds(void)
{
	bool ok;

	if (!drv_write("new_id", VM_TEST_CLASS))
		return false;
	ok = expect_counts(DEVICES, 0) & expect_binding(-1, DRV);
	/* remove_id only stops future matches. */
	ok &= drv_write("remove_id", VM_TEST_CLASS);
	ok &= expect_binding(-1, DRV);
	ok &= unbind_all_bound();
	ok &= expect_counts(DEVICES, DEVICES) & expect_binding(-1, "");
	/* With the id removed, a re-probe of a device finds no driver. */
	ok &= !vm_write_file(DRIVERS_PROBE, devs.dev[0].instance);
	ok &= expect_counts(DEVICES, DEVICES) & expect_binding(-1, "");
	return ok;
}

/*
 * What driver_override reads with no override set: an empty line from
 * hv_vmbus on 6.1; on 6.12 the driver core owns the file
 * (VMBUS_CORE_DRIVER_OVERRIDE in drivers/hv/compat.h) and shows "(null)".
 */
static const char *override_unset(void)
{
	unsigned int major, minor;
	struct utsname u;

	if (uname(&u) || sscanf(u.release, "%u.%u", &major, &minor) != 2)
		return "";
	return major > 6 || (major == 6 && minor >= 12) ? "(null)" : "";
}

static bool set_override(const char *instance, const char *value, const char *want)
{
	char path[256], got[64];

	snprintf(path, sizeof(path), "%s/%s/driver_override", VM_VMBUS_DEVICES, instance);
	return !vm_write_file(path, value) && !vm_read_text(path, got, sizeof(got)) &&
	       vm_expect(!strcmp(got, want), "%s: expected '%s', got '%s'", path,
			 want, got);
}

/*
 * driver_override on device 0, then @how binds it: drivers_probe (the bus
 * finds the driver) or the driver's bind file.  Unbound and cleared after.
 */
static bool override_binds(const char *how, uint64_t probes)
{
	const char *inst = devs.dev[0].instance;
	bool ok;

	if (!set_override(inst, DRV, DRV))
		return false;
	ok = !strcmp(how, "bind") ? drv_write("bind", inst) :
				    !vm_write_file(DRIVERS_PROBE, inst);
	ok = ok && expect_counts(probes + 1, probes) && expect_binding(0, DRV);
	ok &= drv_write("unbind", inst);
	ok &= expect_counts(probes + 1, probes + 1) & expect_binding(-1, "");
	/* A newline clears the override; the device matches nothing again. */
	ok &= set_override(inst, "\n", override_unset());
	ok &= !vm_write_file(DRIVERS_PROBE, inst);
	ok &= expect_counts(probes + 1, probes + 1) & expect_binding(-1, "");
	return ok;
}

static bool expect_einval(const char *file, const char *text)
{
	char path[256];
	int err;

	snprintf(path, sizeof(path), "%s/%s", DRV_DIR, file);
	err = vm_write_errno(path, text);
	return vm_expect(err == -EINVAL, "writing '%s' to %s: expected EINVAL, got %s",
			 text, path, err ? strerror(-err) : "success");
}

static bool bad_guids_refused(uint64_t probes)
{
	bool ok;

	ok = expect_einval("new_id", "not-a-guid");
	ok &= expect_einval("new_id", VM_TEST_CLASS "0");
	ok &= expect_einval("new_id", "14d57429-963f-4abd-9c40-c2eae445a6c");
	ok &= expect_einval("new_id", "14d57429x963f-4abd-9c40-c2eae445a6cd");
	ok &= expect_einval("remove_id", "not-a-guid");
	return ok & expect_counts(probes, probes) & expect_binding(-1, "");
}

static bool rmmod_while_bound(uint64_t probes)
{
	struct vm_kmsg_mark mark;
	bool ok;
	int n;

	if (!drv_write("new_id", VM_TEST_CLASS) ||
	    !expect_counts(probes + DEVICES, probes) || !expect_binding(-1, DRV) ||
	    vm_kmsg_mark(&mark))
		return false;
	ok = vm_expect(!vm_rmmod(DRV, VM_RMMOD_MS), "`rmmod %s` with %u devices "
		       "bound: expected exit status 0", DRV, DEVICES);
	ok &= vm_expect(!vm_exists(DRV_DIR), "%s still there after rmmod", DRV_DIR);
	ok &= expect_binding(-1, "");
	n = vm_kmsg_grep(&mark, DRV " ", ": unbound", SHOW_LINES);
	ok &= vm_expect(n == DEVICES, "kernel log: expected %u `%s ...: unbound` "
			"lines from the driver's remove, got %d", DEVICES, DRV, n);
	/* The ids added through new_id went with the driver. */
	ok &= vm_expect(!vm_modprobe(DRV, VM_MODPROBE_MS), "`modprobe %s` again: "
			"expected exit status 0", DRV);
	ok &= expect_counts(0, 0) & expect_binding(-1, "");
	ok &= vm_expect(!vm_rmmod(DRV, VM_RMMOD_MS), "second `rmmod %s`: expected "
			"exit status 0", DRV);
	return ok;
}

static bool unload(void)
{
	bool ok = vm_guest_unload();

	ok &= !vm_sim_devices_clear();
	return ok;
}

int main(void)
{
	ksft_print_header();
	vm_setup();
	ksft_set_plan(8);
	ksft_test_result(load(), "modprobe hv_vmbus with %u devices and %s: nothing bound\n",
			 DEVICES, DRV);
	ksft_test_result(new_id_binds(), "new_id binds all %u, remove_id keeps them, unbind "
			 "removes them\n", DEVICES);
	ksft_test_result(override_binds("drivers_probe", DEVICES),
			 "driver_override + drivers_probe binds one device; cleared, it does not\n");
	ksft_test_result(override_binds("bind", DEVICES + 1),
			 "driver_override + the driver's bind file binds one device\n");
	ksft_test_result(bad_guids_refused(DEVICES + 2), "new_id / remove_id refuse bad GUIDs "
			 "with EINVAL\n");
	ksft_test_result(rmmod_while_bound(DEVICES + 2), "rmmod %s while bound unbinds every "
			 "device; a new load binds nothing\n", DRV);
	ksft_test_result(unload(), "rmmod hv_vmbus\n");
	ksft_test_result(vm_teardown(), "teardown: %s and hv_vmbus unloaded, sim modes restored\n",
			 DRV);
	vm_sim_devices_free(&devs);
	vm_test_finished();
}
