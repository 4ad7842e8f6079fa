// SPDX-License-Identifier: GPL-2.0
/*
 * vmbus_sim: host -> guest events on offered channels (vmbus-sim.rst, host
 * behaviour 12).
 *
 * `fire <rounds> <cpu> <delay_us>` runs a job (sim_job.c) that,
 * round after round, sets the relid bit of every channel the guest holds
 * in the offered state, in the SINT 2 event flags of one CPU, and raises
 * that CPU's interrupt only when the bit went from 0 to 1.  It counts the
 * 0 -> 1 transitions per channel instance (struct sim_chan.events, reset
 * by each offer) and in total, and the coalesced ones (bit already set).
 * The guest clears the bit with sync_test_and_clear_bit() when it scans,
 * and counts one event per bit it cleared, so for a channel that stays
 * offered the guest's count equals the host's.
 *
 * What races with a rescind: a round holds sim_lock while it looks at a
 * channel's state and sets its bit, and a rescind changes the state and
 * queues the RESCIND under sim_lock too.  So every bit a round set went
 * in before the RESCIND was queued, while the channel was offered, and
 * counts for that instance; after it the channel gets no bit.  Whether the
 * guest takes such a late bit off its page before it unmaps the channel
 * is the guest's business: if it does not, its count for the old instance
 * is short, and it may hand the event to the next instance at that relid
 * (which the host does not count), so counts compare only for channels
 * that stayed offered.
 *
 * A round holds sim_lock (rounds are never longer than SIM_MAX_RELID
 * channels and yield between channels); between rounds the work sleeps
 * delay_us or, with delay_us 0, yields.  `stop`, module exit and the end
 * of the connection stop it.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/cpumask.h>
#include <linux/random.h>
#include <linux/sched.h>

#include "sim.h"

/**
 * struct sim_events - the event source
 * @job: the rounds (sim_job.c)
 * @rounds: how many rounds the current run fires
 * @cpu: the target CPU, or -1 for a random online CPU per event
 * @delay_us: sleep between rounds
 *
 * @rounds, @cpu and @delay_us are written between sim_job_claim() and
 * sim_job_launch(), while no run is active.
 */
struct sim_events {
	struct sim_job job;
	u32 rounds;
	int cpu;
	u32 delay_us;
};

static struct sim_events sim_ev;

static unsigned int sim_event_cpu(int cpu)
{
	/* A CPU going offline now gives nr_cpu_ids: the event is dropped. */
	if (cpu < 0)
		return cpumask_nth(get_random_u32_below(num_online_cpus()),
				   cpu_online_mask);
	return cpu;
}

static void sim_event_fire(struct sim_chan *ch, int cpu)
{
	switch (sim_synic_signal(sim_event_cpu(cpu), ch->relid)) {
	case SIM_EVENT_SET:
		atomic64_inc(&ch->events);
		sim_stat_inc(SIM_STAT_EVENTS_SET);
		break;
	case SIM_EVENT_COALESCED:
		sim_stat_inc(SIM_STAT_EVENTS_COALESCED);
		break;
	case SIM_EVENT_OFF:
		break;
	}
}

/**
 * sim_events_chan_fire() - set @ch's event bit @n times on @cpu
 * @ch: a record the guest was offered in this connection
 * @cpu: the target CPU
 * @n: how many times
 *
 * Counted as event rounds count: a 0 -> 1 transition for the instance and
 * in events_set, a bit found set in events_coalesced.
 *
 * Context: under sim_lock, may sleep.
 */
void sim_events_chan_fire(struct sim_chan *ch, unsigned int cpu, u32 n)
{
	lockdep_assert_held(&sim_lock);
	while (n--) {
		sim_event_fire(ch, cpu);
		cond_resched();
	}
}

/* One event for every channel the guest holds in the offered state. */
static void sim_events_round(int cpu)
{
	struct sim_chan *ch;
	u32 relid;

	mutex_lock(&sim_lock);
	for (relid = 1; relid <= SIM_MAX_RELID; relid++) {
		ch = sim_chan_get(relid);
		if (ch && ch->held && ch->state == SIM_CHAN_OFFERED) {
			sim_event_fire(ch, cpu);
			cond_resched();
		}
	}
	mutex_unlock(&sim_lock);
}

static void sim_events_pause(u32 delay_us)
{
	if (!delay_us) {
		cond_resched();
		return;
	}
	sim_job_sleep(&sim_ev.job, delay_us);
}

static void sim_events_run(struct sim_job *job)
{
	u32 round;

	for (round = 0; round < sim_ev.rounds && !sim_job_stopping(job);
	     round++) {
		sim_events_round(sim_ev.cpu);
		sim_events_pause(sim_ev.delay_us);
	}
}

/**
 * sim_events_fire() - start firing events asynchronously
 * @rounds: how many rounds, at least 1
 * @cpu: a CPU that was online when checked, or -1 (a random online CPU for
 *	every event)
 * @delay_us: sleep between rounds, at most SIM_DELAY_US_MAX
 *
 * Context: process context, may sleep; not under sim_lock.
 * Return: 0; -EBUSY while a run is active; -EINVAL for bad arguments.
 */
int sim_events_fire(u32 rounds, int cpu, u32 delay_us)
{
	int ret;

	if (!rounds || delay_us > SIM_DELAY_US_MAX || cpu < -1 ||
	    (cpu >= 0 && ((unsigned int)cpu >= nr_cpu_ids || !cpu_online(cpu))))
		return -EINVAL;
	ret = sim_job_claim(&sim_ev.job);
	if (ret)
		return ret;
	sim_ev.rounds = rounds;
	sim_ev.cpu = cpu;
	sim_ev.delay_us = delay_us;
	sim_job_launch(&sim_ev.job);
	return 0;
}

/**
 * sim_events_request_stop() - ask a run to end after its current round
 *
 * Does not wait: the caller may hold sim_lock, which a round takes.
 *
 * Context: any process context.
 */
void sim_events_request_stop(void)
{
	sim_job_request_stop(&sim_ev.job);
}

/**
 * sim_events_stop() - end a run and wait until it has ended
 *
 * When this returns no event of the run is set any more.
 *
 * Context: process context, may sleep; not under sim_lock.
 */
void sim_events_stop(void)
{
	sim_job_stop(&sim_ev.job);
}

/**
 * sim_events_active() - whether a run is active
 *
 * Context: any; a snapshot.
 * Return: true from fire until the run ended.
 */
bool sim_events_active(void)
{
	return sim_job_active(&sim_ev.job);
}

/**
 * sim_events_init() - the event source starts idle
 *
 * Context: module init.
 */
void sim_events_init(void)
{
	sim_job_init(&sim_ev.job, sim_events_run);
}

/**
 * sim_events_exit() - stop a run and wait for it
 *
 * The control plane is gone, so nothing starts a new one.
 *
 * Context: module exit, may sleep.
 */
void sim_events_exit(void)
{
	sim_job_exit(&sim_ev.job);
}
