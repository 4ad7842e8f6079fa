// SPDX-License-Identifier: GPL-2.0
/*
 * The simulated host's controls: modes (each remembered at its first change)
 * and `devices` commands, and restoring both to what they were at setup.
 *
 * Return convention: 0 on success, a negative errno on failure, after a
 * diagnostic.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vmbus_util.h"

enum { VM_MODES_MAX = 16 };

static struct {
	struct {
		char mode[32];
		char value[64];
	} mode[VM_MODES_MAX];
	unsigned int modes;
	char *devices;		/* the device list found at setup */
} sim;

static int sim_save_mode(const char *mode)
{
	unsigned int i;
	char *value;
	int err;

	for (i = 0; i < sim.modes; i++)
		if (!strcmp(sim.mode[i].mode, mode))
			return 0;
	if (sim.modes == VM_MODES_MAX || strlen(mode) >= sizeof(sim.mode[0].mode)) {
		ksft_print_msg("FAIL: too many or too long sim modes to restore (%s)\n",
			       mode);
		return -ENOSPC;
	}
	err = vm_read(VM_SIM, mode, &value);
	if (err)
		return err;
	value[strcspn(value, "\n")] = '\0';
	snprintf(sim.mode[sim.modes].mode, sizeof(sim.mode[0].mode), "%s", mode);
	snprintf(sim.mode[sim.modes].value, sizeof(sim.mode[0].value), "%s", value);
	sim.modes++;
	free(value);
	return 0;
}

/* Sets a sim mode; the first change of each remembers its value for teardown. */
int vm_sim_set(const char *mode, const char *fmt, ...)
{
	char value[64];
	va_list ap;
	int err;

	va_start(ap, fmt);
	vsnprintf(value, sizeof(value), fmt, ap);
	va_end(ap);
	err = sim_save_mode(mode);
	return err ? err : vm_write(VM_SIM, mode, "%s", value);
}

/* Every mode back to its saved value; the first error, after trying them all. */
static int sim_restore_modes(void)
{
	int err = 0, e;

	while (sim.modes) {
		sim.modes--;
		e = vm_write(VM_SIM, sim.mode[sim.modes].mode, "%s",
			     sim.mode[sim.modes].value);
		err = err ? err : e;
	}
	return err;
}

int vm_sim_reset_stats(void)
{
	return vm_write(VM_SIM, "reset_stats", "1");
}

int vm_sim_devices_add_test(unsigned int count)
{
	return vm_write(VM_SIM, "devices", "add_test %u", count);
}

int vm_sim_devices_clear(void)
{
	return vm_write(VM_SIM, "devices", "clear");
}

/* Sub-channel lines of @instance in the saved list (`relid class instance sub_index state`). */
static unsigned int saved_subchannels(const char *instance)
{
	char *copy = strdup(sim.devices), *line, *save, class[64], inst[64];
	unsigned int relid, sub, n = 0;

	for (line = copy ? strtok_r(copy, "\n", &save) : NULL; line;
	     line = strtok_r(NULL, "\n", &save))
		n += sscanf(line, "%u %63s %63s %u", &relid, class, inst, &sub) == 4 &&
		     sub && !strcmp(inst, instance);
	free(copy);
	return n;
}

/*
 * Re-adds the devices found at setup (their relids may differ): lines
 * `relid class instance`, or `relid class instance sub_index state`, where
 * a primary brings its sub-channels back and a rescinded one stays away.
 */
static int sim_restore_devices(void)
{
	char *line, *save, class[64], instance[64], state[16];
	int err = vm_sim_devices_clear(), e;
	unsigned int relid, sub, nsub;
	int n;

	if (!sim.devices)
		return err;
	for (line = strtok_r(sim.devices, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		n = sscanf(line, "%u %63s %63s %u %15s", &relid, class, instance,
			   &sub, state);
		if (n != 3 && n != 5) {
			ksft_print_msg("FAIL: cannot parse saved device line '%s'\n", line);
			err = err ? err : -EINVAL;
			continue;
		}
		if (n == 5 && (sub || strcmp(state, "offered")))
			continue;
		nsub = n == 5 ? saved_subchannels(instance) : 0;
		if (nsub)
			e = vm_write(VM_SIM, "devices", "add %s %s %u", class,
				     instance, nsub);
		else
			e = vm_write(VM_SIM, "devices", "add %s %s", class, instance);
		err = err ? err : e;
	}
	free(sim.devices);
	sim.devices = NULL;
	return err;
}

/* Remembers the sim's device list and clears it (vm_setup()). */
int vm_sim_save_devices(void)
{
	int err = vm_read(VM_SIM, "devices", &sim.devices);

	return err ? err : vm_sim_devices_clear();
}

/* The modes and the device list as they were before the test changed them. */
int vm_sim_restore(void)
{
	int err = sim_restore_modes(), e = sim_restore_devices();

	return err ? err : e;
}

/* One command to the `devices` file (add, rescind, reoffer, burst, ...). */
int vm_sim_devices_cmd(const char *fmt, ...)
{
	char cmd[200];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	return vm_write(VM_SIM, "devices", "%s", cmd);
}
