"""Regenerates croniter-golden.json: `croniter.is_valid` verdicts and next ticks from croniter.

Run with croniter 6.2.4 installed: python schemas/testdata/generate-croniter-golden.py
The table is what schemas/cron.test.ts compares the TypeScript port against.
"""

import json
import random
from datetime import datetime
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
TICK_STARTS = [datetime(2026, 1, 30, 22, 59, 30), datetime(2028, 2, 27, 0, 0, 0)]


def random_cases(count):
    rnd = random.Random(11)
    cases = []
    for _ in range(count):
        n = rnd.choice([5, 5, 6, 7])
        cases.append(" ".join(rnd.choice(COMMON + PER_FIELD[i] * 2) for i in range(n)))
    return cases


def ticks(expr):
    out = []
    for start in TICK_STARTS:
        it = croniter(expr, start)
        try:
            out.append([it.get_next(datetime).isoformat() for _ in range(6)])
        except CroniterBadDateError:
            return None
    return out


def main():
    validity = [[c, croniter.is_valid(c)] for c in HAND + random_cases(1500)]
    tickable = [c for c, ok in validity if ok and "r" not in c.lower().replace("mar", "").replace("apr", "")
                and "w" not in c.lower().replace("wed", "") and len(c.split()) < 7][:400]
    data = {"croniter": "6.2.4", "starts": [s.isoformat() for s in TICK_STARTS],
            "validity": validity, "ticks": [[c, t] for c in tickable if (t := ticks(c)) is not None]}
    Path(__file__).with_name("croniter-golden.json").write_text(json.dumps(data, indent=0))


if __name__ == "__main__":
    main()
