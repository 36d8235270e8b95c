"""Airflow 3: the bench chain as a user writes it, one DAG on a cron with three dependent tasks.

Each task runs in its own process (LocalExecutor, the default); `transform` starts when `ingest`
succeeded (default trigger rule all_success), `report` when `transform` did.
With BENCH_VARIANT=fruitshop, `ingest` runs the fruitshop dlt pipeline (bench/peers/fruitshop_ingest.py),
imported inside the task as Airflow's best practices ask of heavy imports (the dag-processor
re-parses this file every 30 s), so `ingest`'s duration includes importing dlt.
"""

import os

import pendulum
from airflow.sdk import dag, task

from stamp import stamp

VARIANT = os.environ.get("BENCH_VARIANT", "trivial")


def fruitshop() -> None:
    from fruitshop_ingest import load

    load()


@dag(
    schedule="* * * * *",
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    catchup=False,
    is_paused_upon_creation=False,
)
def bench_chain():
    @task
    def ingest():
        stamp("airflow", "ingest", fruitshop if VARIANT == "fruitshop" else None)

    @task
    def transform():
        stamp("airflow", "transform")

    @task
    def report():
        stamp("airflow", "report")

    ingest() >> transform() >> report()


bench_chain()
