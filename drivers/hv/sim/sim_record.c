// SPDX-License-Identifier: GPL-2.0
/*
 * The host record: what the simulated host remembers of its guest across a
 * kexec or a kdump of the guest kernel.
 *
 * A real host outlives the guest kernel; this one is a module of it and dies
 * with it.  With host_record=<physical address> the host keeps the part of
 * its state that matters to the next kernel - is a connection still held, at
 * which version, how did the last one end - in one page that the kernel
 * command line reserves (memmap=4K$<address>) and that survives a kexec or a
 * crash with its contents.  The next kernel's simulator, loaded with the same
 * parameter, starts from that record: a connection that no UNLOAD ended is
 * still there, and with strict_contact 1 it refuses the new kernel's
 * INITIATE_CONTACT, as Hyper-V does (vmbus-sim.rst, "The host record").
 *
 * Read-only view: /sys/kernel/debug/vmbus_sim/host_record.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/debugfs.h>
#include <linux/io.h>
#include <linux/ioport.h>
#include <linux/module.h>
#include <linux/seq_file.h>

#include "sim.h"

#define SIM_RECORD_MAGIC	0x52484d56	/* "VMHR" */

/**
 * struct sim_host_record - the page the host keeps across guest kernels
 * @magic: SIM_RECORD_MAGIC once the page holds a record
 * @held: a connection is up that no UNLOAD ended
 * @version: its version (the last one agreed)
 * @connects: versions agreed, in every kernel that used the record
 * @unloads: UNLOADs answered from the host's work item
 * @unloads_atomic: UNLOADs answered as they were posted with interrupts off
 *	(the guest's crash path: a panic, kexec or reboot)
 * @loads: simulator loads that found the record valid
 * @refused: INITIATE_CONTACTs refused because of a held connection
 *	inherited from an earlier kernel
 *
 * Every field is written with WRITE_ONCE(): the crash path writes
 * @held and @unloads_atomic with interrupts off on a CPU that may be the
 * last one running.
 */
struct sim_host_record {
	u32 magic;
	u32 held;
	u32 version;
	u32 connects;
	u32 unloads;
	u32 unloads_atomic;
	u32 loads;
	u32 refused;
};

static unsigned long host_record;
module_param(host_record, ulong, 0444);
MODULE_PARM_DESC(host_record,
		 "physical address of a page reserved with memmap=4K$<address> that keeps the host's connection state across a kexec or kdump of the guest (0: none)");

static struct sim_host_record *sim_rec;
/* The record held a connection when we loaded, and no contact reset it. */
static bool sim_rec_inherited;

static int sim_record_show(struct seq_file *s, void *unused)
{
	struct sim_host_record *r = sim_rec;

	if (!r) {
		seq_puts(s, "none\n");
		return 0;
	}
	seq_printf(s, "address %#lx\n", host_record);
	seq_printf(s, "held %u\n", READ_ONCE(r->held));
	seq_printf(s, "version %#x\n", READ_ONCE(r->version));
	seq_printf(s, "connects %u\n", READ_ONCE(r->connects));
	seq_printf(s, "unloads %u\n", READ_ONCE(r->unloads));
	seq_printf(s, "unloads_atomic %u\n", READ_ONCE(r->unloads_atomic));
	seq_printf(s, "loads %u\n", READ_ONCE(r->loads));
	seq_printf(s, "refused %u\n", READ_ONCE(r->refused));
	seq_printf(s, "inherited %u\n", READ_ONCE(sim_rec_inherited));
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(sim_record);

/**
 * sim_record_init() - map the host record and take over its connection
 *
 * The page must not be System RAM: only a page the command line reserved
 * is left alone by both kernels.  A page without the magic is a new record.
 *
 * Context: module init, may sleep.
 * Return: 0, or -EINVAL / -ENOMEM with a message saying why.
 */
int sim_record_init(void)
{
	struct sim_host_record *r;

	if (!host_record)
		return 0;
	if (!PAGE_ALIGNED(host_record)) {
		pr_err("host_record=%#lx: not page aligned\n", host_record);
		return -EINVAL;
	}
	if (region_intersects(host_record, PAGE_SIZE, IORESOURCE_SYSTEM_RAM,
			      IORES_DESC_NONE) != REGION_DISJOINT) {
		pr_err("host_record=%#lx: the page is System RAM; reserve it with memmap=4K$%#lx on the kernel command line\n",
		       host_record, host_record);
		return -EINVAL;
	}
	r = memremap(host_record, PAGE_SIZE, MEMREMAP_WB);
	if (!r) {
		pr_err("host_record=%#lx: cannot map the page\n", host_record);
		return -ENOMEM;
	}
	if (READ_ONCE(r->magic) != SIM_RECORD_MAGIC) {
		memset(r, 0, sizeof(*r));
		WRITE_ONCE(r->magic, SIM_RECORD_MAGIC);
		pr_info("host record at %#lx: new\n", host_record);
	} else {
		/* Host-written, but the old kernel's: only @held is acted on. */
		sim_rec_inherited = !!READ_ONCE(r->held);
		pr_info("host record at %#lx: connection %s (version %#x), %u connects, %u UNLOADs answered (%u with interrupts off)\n",
			host_record, sim_rec_inherited ? "held" : "none",
			READ_ONCE(r->version), READ_ONCE(r->connects),
			READ_ONCE(r->unloads), READ_ONCE(r->unloads_atomic));
	}
	WRITE_ONCE(r->loads, READ_ONCE(r->loads) + 1);
	sim_rec = r;
	return 0;
}

/**
 * sim_record_debugfs_init() - the read-only view
 * @dir: the simulator's debugfs directory
 */
void sim_record_debugfs_init(struct dentry *dir)
{
	debugfs_create_file("host_record", 0444, dir, NULL, &sim_record_fops);
}

/**
 * sim_record_exit() - unmap the record; its contents stay for the next load
 */
void sim_record_exit(void)
{
	if (sim_rec)
		memunmap(sim_rec);
	sim_rec = NULL;
}

/**
 * sim_record_refuse_contact() - does an inherited connection refuse a contact?
 * @strict: strict_contact is set
 *
 * A connection that an earlier kernel left without UNLOAD is still held:
 * a strict host refuses the contact (counted in the record); another one
 * drops it and goes on, as it does for its own connection.
 *
 * Context: the host's work item, under sim_lock.
 * Return: true if the contact must be refused.
 */
bool sim_record_refuse_contact(bool strict)
{
	if (!sim_rec || !sim_rec_inherited)
		return false;
	if (strict) {
		WRITE_ONCE(sim_rec->refused, READ_ONCE(sim_rec->refused) + 1);
		return true;
	}
	pr_info("host record: dropping the connection an earlier kernel left without UNLOAD\n");
	WRITE_ONCE(sim_rec_inherited, false);
	WRITE_ONCE(sim_rec->held, 0);
	return false;
}

/**
 * sim_record_connected() - a version was agreed
 * @version: the version
 *
 * Context: the host's work item, under sim_lock.
 */
void sim_record_connected(u32 version)
{
	if (!sim_rec)
		return;
	WRITE_ONCE(sim_rec_inherited, false);
	WRITE_ONCE(sim_rec->version, version);
	WRITE_ONCE(sim_rec->connects, READ_ONCE(sim_rec->connects) + 1);
	WRITE_ONCE(sim_rec->held, 1);
}

/**
 * sim_record_unloaded() - the host answered an UNLOAD; the connection is gone
 * @atomic: answered as it was posted with interrupts off (the crash path);
 *	no work item of the host runs after a crash, so this is the last word
 *
 * Context: any; does not sleep.
 */
void sim_record_unloaded(bool atomic)
{
	if (!sim_rec)
		return;
	if (atomic)
		WRITE_ONCE(sim_rec->unloads_atomic,
			   READ_ONCE(sim_rec->unloads_atomic) + 1);
	else
		WRITE_ONCE(sim_rec->unloads, READ_ONCE(sim_rec->unloads) + 1);
	WRITE_ONCE(sim_rec_inherited, false);
	WRITE_ONCE(sim_rec->held, 0);
}
