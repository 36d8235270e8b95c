"""Sluice: the bench chain as dlt jobs, `ingest` on a cron, each follow-up on its upstream's success."""

import dlt.hub.run as run
from dlt.hub.run import trigger

from stamp import stamp


@run.job(trigger=trigger.schedule("* * * * *"))
def ingest():
    stamp("sluice", "ingest")


@run.job(trigger=ingest.success)
def transform():
    stamp("sluice", "transform")


@run.job(trigger=transform.success)
def report():
    stamp("sluice", "report")
