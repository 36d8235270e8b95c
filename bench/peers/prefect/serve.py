"""Prefect 3: the bench chain as a user writes it, a flow on a cron calling three subflows in order
(a subflow raising stops the ones after it), served by `flow.serve` against a `prefect server`.
Each scheduled flow run is a process of its own started by the serve process; the subflows run in it.
"""

from prefect import flow

from stamp import stamp


@flow
def ingest() -> None:
    stamp("prefect", "ingest")


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
