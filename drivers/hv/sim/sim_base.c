// SPDX-License-Identifier: GPL-2.0
/*
 * vmbus_sim: what every file of the simulator shares - the modes the
 * control plane sets, the known protocol versions, the host's workqueues
 * and sim_lock (see sim.h).  It calls no other file of the simulator.
 */
#include <linux/mutex.h>
#include <linux/workqueue.h>

#include "sim.h"

struct sim_modes sim_modes = {
	.version_ceiling	= VERSION_WIN10_V5_3,
	.msg_conn_id		= VMBUS_MESSAGE_CONNECTION_ID_4,
	.post_fail_rate		= 0,
	.post_fail_status	= HV_STATUS_INSUFFICIENT_BUFFERS,
	.eom_delay_us		= 0,
	.unload_delay_ms	= 0,
	.unload_respond		= 1,
	.teardown_respond	= 1,
	.open_status		= 0,
	.open_early_packet	= 0,
	.monitor		= SIM_MONITOR_OFF,
	.monitor_latency	= 1000,
	.resume_relids		= 0,
	.resume_conn_ids	= 0,
	.unload_rescind		= 0,
	.reoffer_events		= 0,
	.strict_contact		= 0,
};

const u32 sim_versions[] = {
	VERSION_WS2008, VERSION_WIN7, VERSION_WIN8, VERSION_WIN8_1,
	VERSION_WIN10, VERSION_WIN10_V4_1, VERSION_WIN10_V5,
	VERSION_WIN10_V5_1, VERSION_WIN10_V5_2, VERSION_WIN10_V5_3,
};

const unsigned int sim_nr_versions = ARRAY_SIZE(sim_versions);

/* Oldest first; vmbus-sim.rst, "Host eras". */
const struct sim_era sim_eras[] = {
	{ "2008",	VERSION_WS2008 },
	{ "2008r2",	VERSION_WIN7 },
	{ "2012",	VERSION_WIN8 },
	{ "2012r2",	VERSION_WIN8_1 },
	{ "2016",	VERSION_WIN10 },
	{ "2019",	VERSION_WIN10_V5_2 },
	{ "2022",	VERSION_WIN10_V5_3 },
};

const unsigned int sim_nr_eras = ARRAY_SIZE(sim_eras);

/**
 * sim_host_has_conn_id_4() - whether this host has message connection id 4
 *
 * Connection id 4 came with protocol 5.0: a host whose ceiling is below
 * 5.0 takes INITIATE_CONTACT only on connection id 1 and answers a post to
 * 4 with HV_STATUS_INVALID_CONNECTION_ID.
 *
 * Context: any; a snapshot of the version_ceiling mode.
 * Return: true if the ceiling is 5.0 or above.
 */
bool sim_host_has_conn_id_4(void)
{
	return READ_ONCE(sim_modes.version_ceiling) >= VERSION_WIN10_V5;
}

struct workqueue_struct *sim_wq;
struct workqueue_struct *sim_async_wq;
struct workqueue_struct *sim_local_wq;

/* Connection state and device table; see sim.h. */
DEFINE_MUTEX(sim_lock);

/**
 * sim_base_init() - create the host's workqueues
 *
 * Context: module init, may sleep.
 * Return: 0 or -ENOMEM.
 */
int sim_base_init(void)
{
	/* Ordered: guest messages are handled one at a time, in order. */
	sim_wq = alloc_ordered_workqueue("vmbus_sim", 0);
	if (!sim_wq)
		return -ENOMEM;
	/* Event rounds and bursts sleep and loop: keep them off sim_wq. */
	sim_async_wq = alloc_workqueue("vmbus_sim_async", WQ_UNBOUND, 0);
	if (!sim_async_wq) {
		destroy_workqueue(sim_wq);
		return -ENOMEM;
	}
	sim_local_wq = alloc_workqueue("vmbus_sim_local", WQ_HIGHPRI, 0);
	if (!sim_local_wq) {
		destroy_workqueue(sim_async_wq);
		destroy_workqueue(sim_wq);
		return -ENOMEM;
	}
	return 0;
}

/**
 * sim_base_exit() - destroy the host's workqueues
 *
 * Context: module exit (or init failure), nothing queues work any more.
 */
void sim_base_exit(void)
{
	destroy_workqueue(sim_local_wq);
	destroy_workqueue(sim_async_wq);
	destroy_workqueue(sim_wq);
}

/* sim_proto_rescind_instead(), set at module init (sim_main.c). */
static bool (*sim_rescind_instead_fn)(enum sim_rescind_instead what, u32 relid);

/**
 * sim_set_rescind_instead() - who rescinds for the rescind_instead mode
 * @fn: rescinds the channel of a relid if the mode names the request
 *
 * Context: module init, before the guest can attach.
 */
void sim_set_rescind_instead(bool (*fn)(enum sim_rescind_instead what, u32 relid))
{
	sim_rescind_instead_fn = fn;
}

/**
 * sim_rescind_instead() - the rescind_instead mode at a guest request
 * @what: the kind of request the host is about to answer
 * @relid: the channel it names
 *
 * For the files below the protocol (sim_gpadl.c, sim_ring.c): the check of
 * the mode is here, the rescind in sim_proto_rescind_instead().
 *
 * Context: under sim_lock, may sleep.
 * Return: true if the host rescinded @relid instead of answering.
 */
bool sim_rescind_instead(enum sim_rescind_instead what, u32 relid)
{
	return READ_ONCE(sim_modes.rescind_instead) == what && sim_rescind_instead_fn &&
	       sim_rescind_instead_fn(what, relid);
}
