"""Airflow 3: N deployed jobs for the idle bench (bench/idle-jobs.ts --system airflow), the shape of
Sluice's side: N/2 DAGs on daily crons, N/4 every 6 hours, and N/4 follow-ups, each scheduled on an
asset its 6-hourly DAG's task updates (Airflow's way to run a DAG when another one succeeded).
One task per DAG, generated in a loop as users generate many similar DAGs; all unpaused, none due
while the bench samples (start date tomorrow, `catchup=False`).
"""

import os

import pendulum
from airflow.sdk import DAG, Asset, task

COUNT = int(os.environ.get("BENCH_JOBS", "500"))
QUARTER = COUNT // 4
# from tomorrow: with a past start date Airflow runs every cron DAG's latest fire time at once when
# it is unpaused (`catchup=False` skips only the older ones), and the bench would sample 375 runs
# and their asset-triggered follow-ups instead of an idle scheduler (found in the first run)
START = pendulum.today("UTC").add(days=1)


def make(dag_id, schedule, outlets=()):
    with DAG(dag_id=dag_id, schedule=schedule, start_date=START, catchup=False, is_paused_upon_creation=False) as made:

        @task(task_id="run", outlets=list(outlets))
        def run():
            pass

        run()
    return made


for i in range(COUNT - 2 * QUARTER):
    make(f"daily_{i}", f"{i % 60} 3 * * *")
for i in range(QUARTER):
    done = Asset(f"bench://six_hourly_{i}")
    make(f"six_hourly_{i}", f"{i % 60} */6 * * *", outlets=[done])
    make(f"after_{i}", [done])
