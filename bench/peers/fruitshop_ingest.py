"""The fruitshop variant's `ingest` for the peers (bench/peers.ts --variant fruitshop).

Runs the fruitshop fixture's dlt source, imported from the fixture itself ($BENCH_FRUITSHOP_DIR,
fixtures/workspaces/fruitshop_simple_workspace, put on sys.path: its code is never copied), once
into a DuckDB file in $BENCH_OUT. Pipeline name and dataset are the fixture's; the destination is
DuckDB at an explicit path because a peer's project has no `.dlt/config.toml` that would resolve
the fixture's named destination, and the pipelines dir is explicit so no state lands in ~/.dlt.
Importing this module imports dlt (as a user's task module does); Sluice gets the same source
through its workspace (bench/peers/sluice/fruitshop/).
"""

import os
import sys

sys.path.insert(0, os.environ["BENCH_FRUITSHOP_DIR"])

import dlt  # noqa: E402
from fruitshop_pipeline import fruitshop  # noqa: E402


def load() -> None:
    out = os.environ["BENCH_OUT"]
    pipeline = dlt.pipeline(
        pipeline_name="fruitshop",
        destination=dlt.destinations.duckdb(os.path.join(out, "fruitshop.duckdb")),
        dataset_name="fruitshop_data",
        pipelines_dir=os.path.join(out, "dlt-pipelines"),
    )
    print(pipeline.run(fruitshop()), flush=True)
