"""Regenerates dlt-golden.json: dlt 1.26.0's schedule maths, evaluated with croniter 6.2.4.

The three functions below restate dlt's rules (dlt/_workspace/deployment/interval.py):
iterate the cron on naive wall-clock time in the zone, attach the zone with fold=0, convert to UTC.
Run: python runner/scheduler/time/testdata/generate-dlt-golden.py  (croniter==6.2.4, tzdata)
"""

import json
import random
from datetime import datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

from croniter import croniter

CRONS = [
    "*/3 * * * *", "30 2 * * *", "0 8 * * *", "0 0 * * *", "15,45 1-3 * * *", "0 */2 * * 1-5",
    "0 0 1 * *", "@daily", "@hourly", "*/5 * * * * 30", "0 3 * * 0", "*/7 2 * * *", "59 23 * * *",
    "0 2 * * *", "0,30 * * * *", "0 0 * * mon-fri", "*/10 * * * * */20",
]
ZONES = [
    "Europe/Berlin", "US/Eastern", "America/New_York", "Australia/Lord_Howe", "Asia/Kolkata", "UTC",
    "America/Sao_Paulo", "Pacific/Auckland", "Europe/London", "America/St_Johns", "Pacific/Chatham",
]
UTC = timezone.utc


def wall(now: datetime, tz: str) -> datetime:
    return now.astimezone(ZoneInfo(tz)).replace(tzinfo=None)


def place(naive: datetime, tz: str) -> datetime:
    return naive.replace(tzinfo=ZoneInfo(tz)).astimezone(UTC)


def next_run(cron: str, now: datetime, tz: str) -> datetime:
    return place(croniter(cron, wall(now, tz)).get_next(datetime), tz)


def run_interval(cron: str, now: datetime, tz: str) -> tuple:
    it = croniter(cron, wall(now, tz) + timedelta(microseconds=1))
    end = it.get_prev(datetime)
    start = it.get_prev(datetime)
    return place(start, tz), place(end, tz)


def ms(dt: datetime) -> int:
    return round(dt.timestamp() * 1000)


def transitions(tz: str) -> list:
    """UTC instants around which the zone's offset changes, 2024-2027 (hourly scan)."""
    out, zone = [], ZoneInfo(tz)
    t = datetime(2024, 1, 1, tzinfo=UTC)
    prev = t.astimezone(zone).utcoffset()
    while t.year < 2028:
        t += timedelta(hours=1)
        off = t.astimezone(zone).utcoffset()
        if off != prev:
            out.append(t)
        prev = off
    return out


def main() -> None:
    rng = random.Random(20261128)
    cases = []
    for tz in ZONES:
        near = transitions(tz)
        for _ in range(60):
            cron = rng.choice(CRONS)
            if near and rng.random() < 0.7:
                base = rng.choice(near)
                now = base + timedelta(milliseconds=rng.randint(-4 * 3600_000, 4 * 3600_000))
            else:
                now = datetime(2024, 1, 1, tzinfo=UTC) + timedelta(milliseconds=rng.randint(0, 4 * 365 * 86400_000))
            if rng.random() < 0.2:
                now = now.replace(second=0, microsecond=0)
            start, end = run_interval(cron, now, tz)
            cases.append({
                "cron": cron, "tz": tz, "nowMs": ms(now),
                "nextMs": ms(next_run(cron, now, tz)), "startMs": ms(start), "endMs": ms(end),
            })
    path = Path(__file__).with_name("dlt-golden.json")
    lines = ",\n".join(json.dumps(case) for case in cases)
    path.write_text('{"generator": "croniter 6.2.4", "cases": [\n' + lines + "\n]}\n")


if __name__ == "__main__":
    main()
