"""Dagster: N deployed jobs for the idle bench (bench/idle-jobs.ts --system dagster), the shape of
Sluice's side: N/2 jobs on daily crons, N/4 every 6 hours, and N/4 follow-ups, each started by a
run status sensor on its 6-hourly job's success (Dagster's way to run a job when another one
succeeded). One op per job, generated in a loop; schedules and sensors default to RUNNING; none due
while the bench samples (daily at 03:xx, 6-hourly at 00/06/12/18:xx UTC).
"""

import os

import dagster as dg

COUNT = int(os.environ.get("BENCH_JOBS", "500"))
QUARTER = COUNT // 4


@dg.op
def noop() -> None:
    pass


def make_job(name):
    @dg.job(name=name)
    def made():
        noop()

    return made


def follow_up(upstream, downstream):
    @dg.run_status_sensor(
        name=f"{downstream.name}_on_success",
        run_status=dg.DagsterRunStatus.SUCCESS,
        monitored_jobs=[upstream],
        request_job=downstream,
        default_status=dg.DefaultSensorStatus.RUNNING,
    )
    def sensor(context):
        return dg.RunRequest()

    return sensor


jobs, schedules, sensors = [], [], []
for i in range(COUNT - 2 * QUARTER):
    job = make_job(f"daily_{i}")
    jobs.append(job)
    schedules.append(dg.ScheduleDefinition(job=job, cron_schedule=f"{i % 60} 3 * * *", default_status=dg.DefaultScheduleStatus.RUNNING))
for i in range(QUARTER):
    upstream, downstream = make_job(f"six_hourly_{i}"), make_job(f"after_{i}")
    jobs += [upstream, downstream]
    schedules.append(dg.ScheduleDefinition(job=upstream, cron_schedule=f"{i % 60} */6 * * *", default_status=dg.DefaultScheduleStatus.RUNNING))
    sensors.append(follow_up(upstream, downstream))

defs = dg.Definitions(jobs=jobs, schedules=schedules, sensors=sensors)
