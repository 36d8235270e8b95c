"""Prefect 3: N deployed jobs for the idle bench (bench/idle-jobs.ts --system prefect), the shape of
Sluice's side: N/2 deployments on daily crons, N/4 every 6 hours, and N/4 follow-ups, each with a
deployment trigger on its 6-hourly deployment's completed flow runs (Prefect's way to run a
deployment when another one succeeded; an automation in the server). All served by one `serve`
process against `prefect server`, none due while the bench samples (daily at 03:xx, 6-hourly at
00/06/12/18:xx UTC).
"""

import os

from prefect import flow, serve
from prefect.events import DeploymentEventTrigger

COUNT = int(os.environ.get("BENCH_JOBS", "500"))
QUARTER = COUNT // 4


@flow
def noop() -> None:
    pass


if __name__ == "__main__":
    deployments = [noop.to_deployment(name=f"daily_{i}", cron=f"{i % 60} 3 * * *") for i in range(COUNT - 2 * QUARTER)]
    for i in range(QUARTER):
        deployments.append(noop.to_deployment(name=f"six_hourly_{i}", cron=f"{i % 60} */6 * * *"))
        after_success = DeploymentEventTrigger(
            expect={"prefect.flow-run.Completed"},
            match_related={"prefect.resource.role": "deployment", "prefect.resource.name": f"six_hourly_{i}"},
        )
        deployments.append(noop.to_deployment(name=f"after_{i}", triggers=[after_success]))
    serve(*deployments)
