// SPDX-License-Identifier: GPL-2.0
/*
 * vmbus_sim: background jobs started from the control plane.
 *
 * A job is one work item on sim_async_wq that loops until it is done or
 * asked to stop: the event rounds of sim_event.c and the bursts of
 * sim_burst.c.  Starting and stopping are serialized by the job's @ctl;
 * its @stop and @active are read locklessly.  The owner keeps its run's
 * parameters next to the job and writes them between sim_job_claim() and
 * sim_job_launch(), while no run is active; queue_work() orders them
 * before the run reads them.
 */
#include <linux/ktime.h>
#include <linux/mutex.h>
#include <linux/wait.h>
#include <linux/workqueue.h>

#include "sim.h"

static void sim_job_work(struct work_struct *work)
{
	struct sim_job *job = container_of(work, struct sim_job, work);

	job->run(job);
	/* Last: a new run may be started (and this work queued) from here. */
	WRITE_ONCE(job->active, false);
}

/**
 * sim_job_init() - a job starts idle
 * @job: the job
 * @run: its body; should end soon once sim_job_stopping() says so
 *
 * Context: module init.
 */
void sim_job_init(struct sim_job *job, void (*run)(struct sim_job *job))
{
	mutex_init(&job->ctl);
	INIT_WORK(&job->work, sim_job_work);
	init_waitqueue_head(&job->wait);
	job->run = run;
}

/**
 * sim_job_claim() - start setting up a run
 * @job: the job
 *
 * On success @job's @ctl is held and no run is active: write the run's
 * parameters, then call sim_job_launch().
 *
 * Context: process context, may sleep; not under sim_lock.
 * Return: 0; -EBUSY while a run is active (@ctl not held then).
 */
int sim_job_claim(struct sim_job *job)
{
	mutex_lock(&job->ctl);
	if (READ_ONCE(job->active)) {
		mutex_unlock(&job->ctl);
		return -EBUSY;
	}
	return 0;
}

/**
 * sim_job_launch() - queue the run sim_job_claim() set up
 * @job: the job
 *
 * Context: process context, after a successful sim_job_claim().
 */
void sim_job_launch(struct sim_job *job)
{
	WRITE_ONCE(job->stop, false);
	WRITE_ONCE(job->active, true);
	queue_work(sim_async_wq, &job->work);
	mutex_unlock(&job->ctl);
}

/**
 * sim_job_stopping() - whether the run was asked to stop
 * @job: the job
 *
 * Context: any; lockless.
 * Return: true after sim_job_request_stop() until the next launch.
 */
bool sim_job_stopping(struct sim_job *job)
{
	return READ_ONCE(job->stop);
}

/**
 * sim_job_sleep() - sleep in the run, waking early on stop
 * @job: the job
 * @us: how long, in us
 *
 * Context: the run.
 */
void sim_job_sleep(struct sim_job *job, u32 us)
{
	/* Pairs with the wake_up() in sim_job_request_stop(). */
	wait_event_hrtimeout(job->wait, READ_ONCE(job->stop),
			     ns_to_ktime((u64)us * NSEC_PER_USEC));
}

/**
 * sim_job_request_stop() - ask the run to end after its current step
 * @job: the job
 *
 * Does not wait: the caller may hold sim_lock, which a run takes.  Wakes
 * every waiter on @job's @wait.
 *
 * Context: any process context.
 */
void sim_job_request_stop(struct sim_job *job)
{
	WRITE_ONCE(job->stop, true);
	wake_up(&job->wait);
}

/**
 * sim_job_stop() - end the run and wait until it has ended
 * @job: the job
 *
 * Context: process context, may sleep; not under sim_lock.
 */
void sim_job_stop(struct sim_job *job)
{
	mutex_lock(&job->ctl);
	sim_job_request_stop(job);
	flush_work(&job->work);
	mutex_unlock(&job->ctl);
}

/**
 * sim_job_active() - whether a run is active
 * @job: the job
 *
 * Context: any; a snapshot.
 * Return: true from launch until the run ended.
 */
bool sim_job_active(struct sim_job *job)
{
	return READ_ONCE(job->active);
}

/**
 * sim_job_exit() - stop the run and wait for it
 * @job: the job
 *
 * The control plane is gone, so nothing starts a new one.
 *
 * Context: module exit, may sleep.
 */
void sim_job_exit(struct sim_job *job)
{
	sim_job_stop(job);
	mutex_destroy(&job->ctl);
}
