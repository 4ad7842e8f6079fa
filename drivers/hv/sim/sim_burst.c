// SPDX-License-Identifier: GPL-2.0
/*
 * vmbus_sim: offer -> rescind -> re-offer bursts (vmbus-sim.rst, host
 * behaviour 10).
 *
 * `burst <count> <max_delay_us>` runs a job (sim_job.c) that
 * does count cycles, one after the other:
 *
 *  1. pick a random device whose primary the guest holds in the offered
 *     state, and rescind it (sub-channels first) with a re-offer pending;
 *     the device's @hold keeps that re-offer back;
 *  2. sleep a random 0..max_delay_us;
 *  3. drop @hold: if the guest released every relid by now, the device is
 *     offered again at once, else as soon as it does (sim_proto.c);
 *  4. wait for that re-offer, at most SIM_RELEASE_TIMEOUT_S.  A guest that
 *     keeps a rescinded relid longer is reported, counted as a guest error
 *     and ends the burst (the re-offer stays pending).
 *
 * Every completed cycle counts in bursts_done.  The burst ends early when
 * no device is offered to the guest, on `burst_stop`, at `clear`, at the
 * end of the connection and at module exit.  Step 3 runs even when
 * stopped, so a device is never left held back.
 *
 * `churn <count> <max_delay_us> <pool>` runs a second job, which outlives
 * connections: count steps, each after a random 0..max_delay_us sleep,
 * toggling one of pool test devices picked at random (instance
 * SIM_CHURN_INSTANCE with the slot in its last byte): a device in the
 * table is rescinded (without a guest holding it, it just goes), an absent
 * one is added (offered at once if the guest asked for offers, else at
 * the next REQUEST_OFFERS).  With a guest that hibernates meanwhile the
 * offers and rescinds fall at random moments of its suspend and resume.
 * Counted in churn_adds and churn_rescinds (an add refused because the
 * guest still holds the instance's rescinded relids, in churn_busy); ends
 * on `churn_stop`, at `clear` and at module exit.
 *
 * The device being cycled, @dev, is written under sim_lock: here, and by
 * sim_burst_dev_done() when sim_proto.c re-offers or frees that device.
 * Step 4 reads it locklessly only to decide when to stop waiting.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/jiffies.h>
#include <linux/lockdep.h>
#include <linux/mutex.h>
#include <linux/random.h>
#include <linux/sched.h>
#include <linux/wait.h>

#include "sim.h"

/**
 * struct sim_burst - the burst
 * @job: the cycles (sim_job.c); its @wait also wakes step 4 when @dev was
 *	re-offered or freed
 * @count: cycles of the current run
 * @max_delay_us: upper bound of the delay between rescind and re-offer
 * @dev: the device of the current cycle until it was re-offered or freed;
 *	under sim_lock
 * @relid: its primary's relid when it was rescinded; under sim_lock
 * @reoffered: @dev went because it was re-offered; under sim_lock
 *
 * @count and @max_delay_us are written between sim_job_claim() and
 * sim_job_launch(), while no run is active.
 */
struct sim_burst {
	struct sim_job job;
	u32 count;
	u32 max_delay_us;

	struct sim_device *dev;
	u32 relid;
	bool reoffered;
};

static struct sim_burst sim_bu;

/* The churn's pool: SIM_CHURN_INSTANCE with the slot in the last byte. */
#define SIM_CHURN_INSTANCE \
	GUID_INIT(0x5c4e7d21, 0x9b3a, 0x4f60, 0x8e, 0x17, 0x2d, 0x6b, 0x0a, 0x4c, \
		  0x91, 0x00)

/**
 * struct sim_churn - the churn job
 * @job: the steps (sim_job.c)
 * @count: steps of the current run
 * @max_delay_us: upper bound of the sleep before each step
 * @pool: devices it toggles, 1..SIM_CHURN_POOL_MAX
 *
 * The parameters are written between sim_job_claim() and sim_job_launch().
 */
struct sim_churn {
	struct sim_job job;
	u32 count;
	u32 max_delay_us;
	u32 pool;
};

static struct sim_churn sim_ch;

/**
 * struct sim_late - the late job: one add and one rescind after a delay
 * @job: the run (sim_job.c)
 * @delay_ms: the sleep before both
 * @relid: the relid whose device is rescinded
 * @instance: the echo device added
 *
 * The parameters are written between sim_job_claim() and sim_job_launch().
 */
struct sim_late {
	struct sim_job job;
	u32 delay_ms;
	u32 relid;
	guid_t instance;
};

static struct sim_late sim_la;

/* Step 1.  Returns false if no device is offered to the guest. */
static bool sim_burst_rescind(void)
{
	struct sim_device *dev;

	mutex_lock(&sim_lock);
	dev = sim_dev_pick_held();
	if (dev) {
		sim_bu.relid = dev->chans[0]->relid;
		sim_bu.reoffered = false;
		WRITE_ONCE(sim_bu.dev, dev);
		dev->hold = true;
		sim_proto_dev_rescind(dev, SIM_RESCIND_REOFFER);
	}
	mutex_unlock(&sim_lock);
	return dev;
}

/* Step 2: wakes early on stop. */
static void sim_burst_sleep(void)
{
	u32 us = get_random_u32_below(sim_bu.max_delay_us + 1);

	if (!us)
		return;
	sim_job_sleep(&sim_bu.job, us);
}

/* Step 3. */
static void sim_burst_unhold(void)
{
	struct sim_device *dev;

	mutex_lock(&sim_lock);
	dev = sim_bu.dev;
	if (dev) {
		dev->hold = false;
		sim_proto_dev_settle(dev);
	}
	mutex_unlock(&sim_lock);
}

/*
 * After step 4: true if the cycle completed, false (and the burst ends) if
 * the guest kept the relid too long or the burst was stopped first.
 */
static bool sim_burst_finish(bool timed_out)
{
	bool done;

	mutex_lock(&sim_lock);
	done = !sim_bu.dev;
	if (!done && timed_out)
		sim_guest_error("burst: relid %u not released within %u s, burst stopped\n",
				sim_bu.relid, SIM_RELEASE_TIMEOUT_S);
	if (done && sim_bu.reoffered)
		sim_stat_inc(SIM_STAT_BURSTS_DONE);
	WRITE_ONCE(sim_bu.dev, NULL);
	mutex_unlock(&sim_lock);
	return done;
}

/* One cycle.  Returns false to end the burst. */
static bool sim_burst_cycle(void)
{
	long left;

	if (!sim_burst_rescind()) {
		pr_info("burst: no device offered to the guest, burst ended\n");
		return false;
	}
	sim_burst_sleep();
	sim_burst_unhold();
	/* Pairs with the wake_up() in sim_burst_dev_done() and at stop. */
	left = wait_event_timeout(sim_bu.job.wait,
				  !READ_ONCE(sim_bu.dev) ||
				  sim_job_stopping(&sim_bu.job),
				  SIM_RELEASE_TIMEOUT_S * HZ);
	return sim_burst_finish(!left);
}

static void sim_burst_run(struct sim_job *job)
{
	u32 i;

	for (i = 0; i < sim_bu.count && !sim_job_stopping(job); i++) {
		if (!sim_burst_cycle())
			break;
		/* With max_delay_us 0 nothing else yields. */
		cond_resched();
	}
}

/**
 * sim_burst_dev_done() - a device was re-offered or freed
 * @dev: the device
 * @reoffered: true if it is back in the table, false if it was freed
 *
 * If the burst waits for @dev, the wait is over.
 *
 * Context: under sim_lock.
 */
static void sim_burst_dev_done(struct sim_device *dev, bool reoffered)
{
	lockdep_assert_held(&sim_lock);
	if (dev != sim_bu.dev)
		return;
	sim_bu.reoffered = reoffered;
	WRITE_ONCE(sim_bu.dev, NULL);
	/* Pairs with wait_event_timeout() in sim_burst_cycle(). */
	wake_up(&sim_bu.job.wait);
}

/**
 * sim_burst_start() - start a burst asynchronously
 * @count: how many cycles, at least 1
 * @max_delay_us: upper bound of the delay between a rescind and its
 *	re-offer, at most SIM_DELAY_US_MAX
 *
 * Context: process context, may sleep; not under sim_lock.
 * Return: 0; -EBUSY while a burst is active; -EINVAL for bad arguments.
 */
int sim_burst_start(u32 count, u32 max_delay_us)
{
	int ret;

	if (!count || max_delay_us > SIM_DELAY_US_MAX)
		return -EINVAL;
	ret = sim_job_claim(&sim_bu.job);
	if (ret)
		return ret;
	sim_bu.count = count;
	sim_bu.max_delay_us = max_delay_us;
	sim_job_launch(&sim_bu.job);
	return 0;
}

/**
 * sim_burst_request_stop() - ask the burst to end after its current step
 *
 * Does not wait: the caller may hold sim_lock, which the burst takes.
 *
 * Context: any process context.
 */
static void sim_burst_request_stop(void)
{
	/* Wakes the waits in sim_burst_sleep() and sim_burst_cycle(). */
	sim_job_request_stop(&sim_bu.job);
}

/**
 * sim_burst_stop() - end the burst and wait until it has ended
 *
 * A device rescinded by the last cycle is re-offered once the guest
 * releases it, as after `reoffer`.
 *
 * Context: process context, may sleep; not under sim_lock.
 */
void sim_burst_stop(void)
{
	sim_job_stop(&sim_bu.job);
}

/**
 * sim_burst_active() - whether a burst is active
 *
 * Context: any; a snapshot.
 * Return: true from start until the burst ended.
 */
bool sim_burst_active(void)
{
	return sim_job_active(&sim_bu.job);
}

static void sim_churn_instance(guid_t *instance, u32 slot)
{
	*instance = SIM_CHURN_INSTANCE;
	instance->b[15] = slot;
}

/* One step: rescind the slot's device if it is in the table, else add it. */
static void sim_churn_step(u32 slot)
{
	const guid_t class_id = SIM_TEST_ECHO_GUID;
	struct sim_device *dev, *found = NULL;
	guid_t instance;
	int ret;

	sim_churn_instance(&instance, slot);
	mutex_lock(&sim_lock);
	list_for_each_entry(dev, sim_dev_list(), node)
		if (dev->in_table && guid_equal(&dev->instance, &instance))
			found = dev;
	if (found) {
		sim_proto_dev_rescind(found, SIM_RESCIND);
		sim_stat_inc(SIM_STAT_CHURN_RESCINDS);
	}
	mutex_unlock(&sim_lock);
	if (found)
		return;
	ret = sim_proto_dev_add(&class_id, &instance, 0);
	if (!ret)
		sim_stat_inc(SIM_STAT_CHURN_ADDS);
	else if (ret == -EEXIST)
		sim_stat_inc(SIM_STAT_CHURN_BUSY);
	else
		pr_warn_ratelimited("churn: adding slot %u failed: %d\n", slot, ret);
}

static void sim_churn_run(struct sim_job *job)
{
	u32 i, us;

	for (i = 0; i < sim_ch.count && !sim_job_stopping(job); i++) {
		us = get_random_u32_below(sim_ch.max_delay_us + 1);
		if (us)
			sim_job_sleep(job, us);
		if (sim_job_stopping(job))
			break;
		sim_churn_step(get_random_u32_below(sim_ch.pool));
		cond_resched();
	}
}

/**
 * sim_churn_start() - start the churn asynchronously
 * @count: how many steps, at least 1
 * @max_delay_us: upper bound of the sleep before each, at most
 *	SIM_DELAY_US_MAX
 * @pool: how many devices it toggles, 1..SIM_CHURN_POOL_MAX
 *
 * Context: process context, may sleep; not under sim_lock.
 * Return: 0; -EBUSY while the churn is active; -EINVAL for bad arguments.
 */
int sim_churn_start(u32 count, u32 max_delay_us, u32 pool)
{
	int ret;

	if (!count || max_delay_us > SIM_DELAY_US_MAX || !pool ||
	    pool > SIM_CHURN_POOL_MAX)
		return -EINVAL;
	ret = sim_job_claim(&sim_ch.job);
	if (ret)
		return ret;
	sim_ch.count = count;
	sim_ch.max_delay_us = max_delay_us;
	sim_ch.pool = pool;
	sim_job_launch(&sim_ch.job);
	return 0;
}

/**
 * sim_churn_stop() - end the churn and wait until it has ended
 *
 * Context: process context, may sleep; not under sim_lock.
 */
void sim_churn_stop(void)
{
	sim_job_stop(&sim_ch.job);
}

/**
 * sim_churn_active() - whether the churn is active
 *
 * Context: any; a snapshot.
 * Return: true from start until it ended.
 */
bool sim_churn_active(void)
{
	return sim_job_active(&sim_ch.job);
}

/* Sleep, then add the echo device and rescind the relid's device. */
static void sim_late_run(struct sim_job *job)
{
	const guid_t class_id = SIM_TEST_ECHO_GUID;
	int ret;

	sim_job_sleep(job, sim_la.delay_ms * USEC_PER_MSEC);
	if (sim_job_stopping(job))
		return;
	ret = sim_proto_dev_add(&class_id, &sim_la.instance, 0);
	if (ret)
		pr_warn("late: adding %pUl failed: %d\n", &sim_la.instance, ret);
	else
		sim_stat_inc(SIM_STAT_LATE_ADDS);
	ret = sim_proto_rescind(sim_la.relid, SIM_RESCIND);
	if (ret)
		pr_warn("late: relid %u has no offered channel to rescind\n",
			sim_la.relid);
	else
		sim_stat_inc(SIM_STAT_LATE_RESCINDS);
	pr_info("late: after %u ms, %pUl added, relid %u rescinded\n",
		sim_la.delay_ms, &sim_la.instance, sim_la.relid);
}

/**
 * sim_late_start() - add a device and rescind one after a delay
 * @delay_ms: the delay, at most SIM_LATE_DELAY_MS_MAX
 * @relid: the rescinded channel's relid (its whole device goes)
 * @instance: the instance of the echo device added
 *
 * Lets a test place host messages into a moment at which its own process
 * cannot act, such as the guest's suspend for hibernation.
 *
 * Context: process context, may sleep; not under sim_lock.
 * Return: 0; -EBUSY while a late job is pending; -EINVAL for bad arguments.
 */
int sim_late_start(u32 delay_ms, u32 relid, const guid_t *instance)
{
	int ret;

	if (delay_ms > SIM_LATE_DELAY_MS_MAX || !relid || relid > SIM_MAX_RELID)
		return -EINVAL;
	ret = sim_job_claim(&sim_la.job);
	if (ret)
		return ret;
	sim_la.delay_ms = delay_ms;
	sim_la.relid = relid;
	sim_la.instance = *instance;
	sim_job_launch(&sim_la.job);
	return 0;
}

/**
 * sim_late_stop() - cancel a pending late job, or wait for its end
 *
 * Context: process context, may sleep; not under sim_lock.
 */
void sim_late_stop(void)
{
	sim_job_stop(&sim_la.job);
}

/**
 * sim_burst_init() - no burst and no churn at first
 *
 * Context: module init.
 */
void sim_burst_init(void)
{
	static const struct sim_proto_watcher watcher = {
		.disconnect = sim_burst_request_stop,
		.dev_done = sim_burst_dev_done,
	};

	sim_job_init(&sim_bu.job, sim_burst_run);
	sim_job_init(&sim_ch.job, sim_churn_run);
	sim_job_init(&sim_la.job, sim_late_run);
	sim_proto_watch(&watcher);
}

/**
 * sim_burst_exit() - stop the burst and the churn and wait for them
 *
 * The control plane is gone, so nothing starts a new one.
 *
 * Context: module exit, may sleep.
 */
void sim_burst_exit(void)
{
	sim_job_exit(&sim_bu.job);
	sim_job_exit(&sim_ch.job);
	sim_job_exit(&sim_la.job);
}
