"""Prefect 3: the bench chain as a user writes it, a flow on a cron calling three subflows in order
(a subflow raising stops the ones after it), served by `flow.serve` against a `prefect server`.
Each scheduled flow run is a process of its own started by the serve process; the subflows run in it.
With BENCH_VARIANT=fruitshop, `ingest` runs the fruitshop dlt pipeline (bench/peers/fruitshop_ingest.py),
imported with this module as users import their libraries, so each process that loads it imports dlt.
"""

import os

from prefect import flow

from stamp import stamp

VARIANT = os.environ.get("BENCH_VARIANT", "trivial")
if VARIANT == "fruitshop":
    from fruitshop_ingest import load as fruitshop


@flow
def ingest() -> None:
    stamp("prefect", "ingest", fruitshop if VARIANT == "fruitshop" else None)


@flow
def transform() -> None:
    stamp("prefect", "transform")


@flow
def report() -> None:
    stamp("prefect", "report")


@flow(name="bench-chain")
def bench_chain() -> None:
    ingest()
    transform()
    report()


if __name__ == "__main__":
    bench_chain.serve(name="bench", cron="* * * * *")
