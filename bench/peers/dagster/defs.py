"""Dagster: the bench chain as a user writes it, three assets materialized by one asset job on a
schedule (`dagster-daemon` runs the schedule; the default multiprocess executor runs each asset
step in its own process, `transform` after `ingest` succeeded, `report` after `transform`).
With BENCH_VARIANT=fruitshop, `ingest` runs the fruitshop dlt pipeline (bench/peers/fruitshop_ingest.py),
imported with this module as users import their libraries, so each process that loads it imports dlt.
"""

import os

import dagster as dg

from stamp import stamp

VARIANT = os.environ.get("BENCH_VARIANT", "trivial")
if VARIANT == "fruitshop":
    from fruitshop_ingest import load as fruitshop


@dg.asset
def ingest() -> None:
    stamp("dagster", "ingest", fruitshop if VARIANT == "fruitshop" else None)


@dg.asset(deps=[ingest])
def transform() -> None:
    stamp("dagster", "transform")


@dg.asset(deps=[transform])
def report() -> None:
    stamp("dagster", "report")


chain = dg.define_asset_job("bench_chain", selection=dg.AssetSelection.assets(ingest, transform, report))

defs = dg.Definitions(
    assets=[ingest, transform, report],
    jobs=[chain],
    schedules=[
        dg.ScheduleDefinition(job=chain, cron_schedule="* * * * *", default_status=dg.DefaultScheduleStatus.RUNNING)
    ],
)
