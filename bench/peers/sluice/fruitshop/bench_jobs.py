"""Sluice, fruitshop variant: `ingest` is the fruitshop fixture's pipeline as a dlt pipeline job
(`@run.pipeline` on a cron), each follow-up on its upstream's success, as in ../bench_jobs.py.

`fruitshop_pipeline.py` is the fixture's own module, put into the deployed workspace by
bench/peers/sluice.ts next to the fixture's `.dlt/` (named destination `fruitshop_destination`,
DuckDB; Sluice keeps it at `<home>/data/<workspace>/prod/local/fruitshop_destination.duckdb`).
"""

import dlt
import dlt.hub.run as run
from dlt.hub.run import trigger

from fruitshop_pipeline import fruitshop
from stamp import stamp

fruitshop_pipeline = dlt.pipeline(
    pipeline_name="fruitshop",
    destination="fruitshop_destination",
    dataset_name="fruitshop_data",
)


def load() -> None:
    print(fruitshop_pipeline.run(fruitshop()), flush=True)


@run.pipeline(fruitshop_pipeline, trigger=trigger.schedule("* * * * *"))
def ingest():
    stamp("sluice", "ingest", load)


@run.job(trigger=ingest.success)
def transform():
    stamp("sluice", "transform")


@run.job(trigger=transform.success)
def report():
    stamp("sluice", "report")
