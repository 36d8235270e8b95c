"""Airflow 3: the bench chain as a user writes it, one DAG on a cron with three dependent tasks.

Each task runs in its own process (LocalExecutor, the default); `transform` starts when `ingest`
succeeded (default trigger rule all_success), `report` when `transform` did.
"""

import pendulum
from airflow.sdk import dag, task

from stamp import stamp


@dag(
    schedule="* * * * *",
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    catchup=False,
    is_paused_upon_creation=False,
)
def bench_chain():
    @task
    def ingest():
        stamp("airflow", "ingest")

    @task
    def transform():
        stamp("airflow", "transform")

    @task
    def report():
        stamp("airflow", "report")

    ingest() >> transform() >> report()


bench_chain()
