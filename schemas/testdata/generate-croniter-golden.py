"""Regenerates croniter-golden.json: `croniter.is_valid` verdicts and ticks from croniter.

Run with croniter 6.2.4 installed: python schemas/testdata/generate-croniter-golden.py
schemas/cron.test.ts compares the validity verdicts, runner/scheduler/time/croniter-golden.test.ts
compares the ticks of EVERY valid expression below (the first MAX_TICKED of them) with the
scheduler's: from each start, 6 x `get_next`, 6 x `get_prev` (each from the previous result, as an
iterator does) and dlt's `cron_floor` (`get_prev` from start + 1 microsecond). A sequence that
ends in "error" is where croniter raised CroniterBadDateError (no tick within 50 years).
`R` (random) fields are ticked as croniter's `H` with the expression text as hash id, the one
stable draw the scheduler uses (see expandHash in schemas/cron.ts).
"""

import json
import random
import re
from datetime import datetime, timedelta
from pathlib import Path

from croniter import CroniterBadDateError, croniter

HAND = [
    "* * * * *", "*/5 * * * *", "0 8 * * mon-fri", "0 0 1 jan *", "0 0 * * 7", "0 0 * * 0-7",
    "0 0 0 * *", "0 0 1 0 *", "* * * * * *", "* * * * * 30", "0 0 0 * * 0", "0 0 1 1 * 0 2030",
    "0 0 1 1 * 0 1969", "@yearly", "@annually", "@monthly", "@weekly", "@daily", "@midnight",
    "@hourly", "@reboot", "@DAILY", "@daily ", "H * * * *", "h * * * *", "R * * * *",
    "r(0-5) * * * *", "5m", "* * * *", "* * * * * * * *", "0 0 L * *", "0 0 l * *", "0 0 15W * *",
    "0 0 w15 * *", "0 0 1,15w * *", "0 0 * * 5#3", "0 0 * * 5#6", "0 0 * * L5", "0 0 * * 5L",
    "0 0 * * 1,2#3", "0 0 * * mon#2", "0 0 * * mon-wed#2", "0 0 ? * *", "0 0 * * ?", "? 0 * * *",
    "0 0 1-l * *", "0 0 l-5 * *", "0 0 * * fri-mon", "0 0 * nov-feb *", "0 0 * * sun-sun",
    "0 0 5-5 * *", "0 0 0-0 * *", "0 0 31 2 *", "60 * * * *", "* 24 * * *", "-1 * * * *",
    "1-2-3 * * * *", "*/0 * * * *", "5/15 * * * *", "*/abc * * * *", "1/2/3 * * * *", ", * * * *",
    "1,,2 * * * *", "05 * * * *", "0 0 * * MON", "0 0 * JAN-MAR *", "0 0 1,l * *",
    "* * * * * * *", "0 0 1 1 * 0 2099-2100", "0 0 * * 6-7", "0 0 * * * 7", "0 0 * 0 * *",
    "0 0 1-31 * mon", "0 0 */2 * 0-6", "\t0 0 * * *\n", "0  0  *  *  *", "0 2 * * *",
    "30 9 1,15 * 1", "*/15 9-17 * * 1-5", "0 0 13 * fri", "0 12 * * 0#1", "0 12 l * *",
    "0 0 * * l0", "10-50/20 * * * *", "0 0 * dec-jan/2 *", "0 0 */10 * *", "0 */3 * * * */20",
    # nearest weekday
    "0 0 1w * *", "0 0 w1 * *", "0 0 31w * *", "0 0 30w 2 *", "0 9 15w * mon", "0 0 15W * * 30",
    "0 0 15w,1 * *", "0 0 lw * *", "0 0 l-2 * *", "0 0 5l * *",
    # several nth weekdays, last weekdays, and their mixes
    "0 0 * * 1#1,3#2", "0 0 * * 5#5", "0 0 * * mon#5,fri#1", "0 0 * * l1,l5", "0 0 * * l0,1#1",
    "0 0 * * 1#1,*", "0 0 13 * 5#2", "0 0 1 * 1#2", "0 0 ? * 1#1", "0 0 * 2 1#5", "0 0 * * 5L",
    "0 0 * * mon#l", "0 0 * * 1-5#1", "0 0 * * l", "0 0 * * 1#1,2",
    # never matching, or only through one half of the day-of-month OR day-of-week rule
    "0 0 31 2 *", "0 0 30 2 mon", "0 0 31 4,6 *", "0 0 l 2 *", "0 0 1,l * *", "0 0 l * 1",
    # year field
    "0 0 1 1 * 0 2030", "0 0 29 2 * 0 2028-2040", "*/30 * * * * 0 2026-2027", "0 0 * * 1#1 0 2027",
    "0 0 15w * * 0 */2", "0 0 l * * 0 2026", "0 0 * * * 0 1970-2099", "0 0 1 1 * 0 2099", "0 0 * * 5#3 0 2026,2031",
    # random: one stable draw per expression
    "R * * * *", "r(0-5) * * * *", "0 r * * *", "0 0 r(1-5)/2 * *", "r/15 * * * *", "0 0 * * r",
    "0 0 1 r * * r(10-20)", "0 0 * * * 0 r(2026-2030)",
]
COMMON = ["*", "*/5", "0", "5", "1-5", "5-1", "1-5/2", "*/7", "3/4", "0-0", "1,2-4", "?", "7", "0-7",
          "*/0", "*,5", "r", "r/5", "r(1-5)", "r(1-5)/2", "1-5/0", "2-2/3"]
PER_FIELD = {
    0: ["59", "60", "30-10", "*/13", "0-59/7"],
    1: ["23", "24", "22-2", "*/5"],
    2: ["l", "1-l", "15w", "w3", "0", "31", "32", "l,1", "1,15w", "15w,1", "0-5", "5-0", "l-l", "31w", "0w"],
    3: ["jan", "nov-feb", "jan-jan", "0", "12", "13", "dec-jan/2", "feb,mar"],
    4: ["mon", "mon-fri", "fri-mon", "l5", "5#2", "mon#2", "mon-wed#2", "1,2#3", "1#1,1#2", "5#6",
        "l7", "sun-sun", "6-7", "0-6", "7-0", "1#2,l3"],
    5: ["59", "60", "*/15", "0-0", "7"],
    6: ["2030", "1969", "2099", "2100", "2020-2030", "2030-2020", "5-3", "*/10", "1970-1969"],
}
TICK_STARTS = [
    datetime(2026, 1, 30, 22, 59, 30), datetime(2028, 2, 27, 0, 0, 0), datetime(2024, 2, 29, 12, 30, 0),
    datetime(2029, 12, 31, 23, 59, 59),
]
MAX_TICKED = 700
COUNT = 6
RANDOM_TOKEN = re.compile(r"^r(\(\d+-\d+\))?(/\d+)?$")


def random_cases(count):
    rnd = random.Random(11)
    cases = []
    for _ in range(count):
        n = rnd.choice([5, 5, 6, 7])
        cases.append(" ".join(rnd.choice(COMMON + PER_FIELD[i] * 2) for i in range(n)))
    return cases


def iterator(expr, start):
    """croniter as dlt builds it; `R` drawn as `H` hashed on the expression text."""
    tokens = expr.lower().split()
    if any(RANDOM_TOKEN.match(t) for t in tokens):
        hashed = " ".join("h" + t[1:] if RANDOM_TOKEN.match(t) else t for t in tokens)
        return croniter(hashed, start, hash_id=expr)
    return croniter(expr, start)


def sequence(step):
    out = []
    try:
        for _ in range(COUNT):
            out.append(step(datetime).isoformat())
    except CroniterBadDateError:
        out.append("error")
    return out


def ticks(expr):
    out = []
    for start in TICK_STARTS:
        floor = sequence(iterator(expr, start + timedelta(microseconds=1)).get_prev)[:1]
        out.append({"next": sequence(iterator(expr, start).get_next),
                    "prev": sequence(iterator(expr, start).get_prev), "floor": floor})
    return out


def main():
    validity = [[c, croniter.is_valid(c)] for c in HAND + random_cases(1500)]
    ticked = [c for c, ok in validity if ok][:MAX_TICKED]
    data = {"croniter": "6.2.4", "starts": [s.isoformat() for s in TICK_STARTS],
            "validity": validity, "ticks": [[c, ticks(c)] for c in ticked]}
    text = json.dumps(data, separators=(",", ":"))
    Path(__file__).with_name("croniter-golden.json").write_text(text.replace("],[", "],\n[") + "\n")


if __name__ == "__main__":
    main()
