"""The bench's unit of work: a job that writes a timestamp file and records when it ran.

Shared by every system's project in bench/peers/ (copied next to their code). One JSON line per
job: `start` (the job function entered), `end` (it returned), `proc` (its process started, from
/proc/self/stat), all Unix seconds. Lines go to $BENCH_OUT/stamps.jsonl when $BENCH_OUT is set
and writable, and always to stdout prefixed with BENCHSTAMP (Sluice's runs are read from its logs).
`work`, when given, is the job's real work (the fruitshop variant's pipeline run): it runs between
`start` and `end`, so `end - start` is its duration.
"""

import json
import os
import sys
import tempfile
import time
from typing import Callable, Optional


def _process_started() -> float:
    """Wall time this process started, from its start tick in /proc (10 ms resolution)."""
    with open("/proc/self/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    started_after_boot = int(fields[19]) / os.sysconf("SC_CLK_TCK")
    return time.time() - (time.clock_gettime(time.CLOCK_BOOTTIME) - started_after_boot)


def stamp(system: str, job: str, work: Optional[Callable[[], None]] = None) -> None:
    start = time.time()
    out = os.environ.get("BENCH_OUT") or tempfile.gettempdir()
    with open(os.path.join(out, f"{system}-{job}.timestamp"), "w") as f:
        f.write(f"{start}\n")
    if work is not None:
        work()
    row = {"system": system, "job": job, "start": start, "proc": _process_started(), "pid": os.getpid()}
    row["end"] = time.time()
    line = json.dumps(row)
    if os.environ.get("BENCH_OUT"):
        with open(os.path.join(os.environ["BENCH_OUT"], "stamps.jsonl"), "a") as f:
            f.write(line + "\n")
    print("BENCHSTAMP " + line, flush=True)
    sys.stdout.flush()
