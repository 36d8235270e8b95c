/**
 * Cron expressions as dlt accepts them (croniter 6 `is_valid`, spec triggers.md §2), expanded
 * the way croniter expands them (`croniter._expand`), for the tick search in cron-calc.ts.
 *
 * croniter's syntax, beyond plain cron: a 6th field is SECONDS AS THE LAST field, a 7th is a
 * year (1970-2099); `L`/`l` alone or as a range end in day-of-month; `15W`/`W15` (nearest
 * weekday, alone in its field); `l5` (last Friday) and `5#3`/`mon-wed#2` (nth weekday, any
 * number of them, not mixed with plain weekdays); wrapping ranges such as `fri-mon`; `?` in the
 * day fields; `R`/`R(a-b)`/`R/n` (random, see expandHash); macros `@yearly` … `@hourly`.
 * Not accepted (croniter rejects them too): `H` (needs a hash id), `5L`, `LW`, `L-2`, `@reboot`.
 */

export class CronSyntaxError extends Error {
  override readonly name = "CronSyntaxError";
}

const DAY = 2;
const MONTH = 3;
const DOW = 4;

const RANGES: ReadonlyArray<readonly [number, number]> = [
  [0, 59],
  [0, 23],
  [1, 31],
  [1, 12],
  [0, 6],
  [0, 59],
  [1970, 2099],
];
const LEN_MEANS_ALL = [60, 24, 31, 12, 7, 60, 130] as const;

const MONTH_NAMES = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"];
const DOW_NAMES = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"];

const MACROS: Readonly<Record<string, string>> = {
  "@midnight": "0 0 * * *",
  "@hourly": "0 * * * *",
  "@daily": "0 0 * * *",
  "@weekly": "0 0 * * 0",
  "@monthly": "0 0 1 * *",
  "@yearly": "0 0 1 1 *",
  "@annually": "0 0 1 1 *",
};

const WEEKDAYS_RE = DOW_NAMES.join("|");
const MONTHS_RE = MONTH_NAMES.join("|");
const STEP_RE = /^([^-]+)-([^-/]+)(\/(\d+))?$/;
const INT_RE = /^\d+$/;
const STAR_OR_INT_RE = /^(\d+|\*)$/;
const SPECIAL_DOW_RE = new RegExp(
  `^(?<pre>((?<he>((${WEEKDAYS_RE})(-(${WEEKDAYS_RE}))?)|((${MONTHS_RE})(-(${MONTHS_RE}))?)|\\w+)#)|l)(?<last>\\d+)$`,
);
const NEAREST_WEEKDAY_RE = /^(?:(\d+)w|w(\d+))$/;
const HASH_RE = /^(?<type>h|r)(\((?<begin>\d+)-(?<end>\d+)\))?(\/(?<divisor>\d+))?$/;

export type CronFieldValue = number | "l" | "*";

/** A croniter expression expanded to value sets, fields in croniter order (seconds at index 5). */
export interface ExpandedCron {
  fieldCount: 5 | 6 | 7;
  fields: CronFieldValue[][];
  /** Day-of-week value → nth occurrences (1-5) or "l" for the last one in the month. */
  nthWeekday: Map<number, Set<number | "l">>;
  /** Days of month written with `W` (nearest weekday). */
  nearestWeekday: Set<number>;
  /** True when an `R` (random) field was seen (drawn once, see expandHash). */
  random: boolean;
  /** CRC-32 of the expression text: the seed of `R` draws. */
  crc: number;
}

function alphaconv(field: number, key: string, expr: string): number | "l" {
  if (field === DAY && key === "l") return "l";
  const names = field === MONTH ? MONTH_NAMES : field === DOW ? DOW_NAMES : [];
  const index = names.indexOf(key);
  if (index < 0) throw new CronSyntaxError(`[${expr}] is not acceptable`);
  return field === MONTH ? index + 1 : index;
}

/** croniter's LOWMAP (day/month 0 → 1, weekday 7 → 0), which applies only for some field counts. */
function valueAlias(value: number, field: number, count: number): number {
  if (field === DAY || field === MONTH) {
    if (value !== 0) return value;
    const blocked = field === MONTH || count === 5 || count === 7;
    return blocked ? value : 1;
  }
  if (field === DOW && value === 7 && count === 5) return 0;
  return value;
}

function fieldRange(field: number): readonly [number, number] {
  const range = RANGES[field];
  if (!range) throw new CronSyntaxError(`no field ${field}`);
  return range;
}

const CRC_TABLE = Uint32Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

/** zlib CRC-32 (Python `binascii.crc32`). */
function crc32(bytes: Uint8Array): number {
  let crc = 0xffffffff;
  for (const byte of bytes) crc = (CRC_TABLE[(crc ^ byte) & 0xff] as number) ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

/**
 * croniter's hash/random expander. `H` needs a hash id, which dlt never passes, so it is invalid.
 * `R` draws a fresh random value on every croniter construction (dlt constructs one per
 * computation); a schedule needs one stable draw, so `R` is drawn like croniter's `H` with the
 * expression text as hash id: deterministic, and within the range croniter draws from.
 */
function expandHash(token: string, field: number, state: { random: boolean; crc: number }): string {
  const match = HASH_RE.exec(token);
  if (!match?.groups) return token;
  const { type, begin, end, divisor } = match.groups;
  if (type === "h") throw new CronSyntaxError("Hashed definitions must include hash_id");
  state.random = true;
  const [min, max] = fieldRange(field);
  const draw = (low: number, high: number): number => ((state.crc >>> field) % (high - low + 1)) + low;
  if (begin !== undefined && end !== undefined) {
    if (Number(begin) >= Number(end)) throw new CronSyntaxError("Range end must be greater than range begin");
    if (divisor !== undefined) {
      if (Number(divisor) === 0) throw new CronSyntaxError(`Bad expression: ${token}`);
      return `${draw(Number(begin), Number(divisor) - 1 + Number(begin))}-${Number(end)}/${Number(divisor)}`;
    }
    return String(draw(Number(begin), Number(end)));
  }
  if (divisor !== undefined) {
    if (Number(divisor) === 0) throw new CronSyntaxError(`Bad expression: ${token}`);
    return `${draw(min, Number(divisor) - 1 + min)}-${max}/${Number(divisor)}`;
  }
  return String(draw(min, max));
}

function pyRange(start: number, stop: number, step: number): number[] {
  const out: number[] = [];
  for (let v = start; v < stop; v += step) out.push(v);
  return out;
}

/** Values of `low-high/step`, including croniter's wrap-around and "low == high means all". */
function rangeValues(field: number, low: number, high: number, step: number): number[] {
  const [min, max] = fieldRange(field);
  if (low === high) return pyRange(min, max + 1, step);
  if (low < high) return pyRange(low, high + 1, step);
  const first = pyRange(low, max + 1, step);
  let skip = 0;
  const last = first[first.length - 1];
  if (last !== undefined) {
    if (last < min) throw new CronSyntaxError("invalid range");
    const alreadySkipped = max - last;
    const position = last - min;
    if (position + step > max - min + 1 && alreadySkipped < step) skip = step - alreadySkipped;
  }
  return [...first, ...pyRange(min + skip, high + 1, step)];
}

interface FieldResult {
  values: CronFieldValue[];
}

function expandField(
  token: string,
  field: number,
  tokens: readonly string[],
  source: string,
  acc: ExpandedCron,
): FieldResult {
  const count = tokens.length;
  const [min, max] = fieldRange(field);
  let expr = expandHash(token, field, acc);
  if (expr.includes("?")) {
    if (expr !== "?") throw new CronSyntaxError(`[${source}] question mark can not be used with other characters`);
    if (field !== DAY && field !== DOW) throw new CronSyntaxError(`[${source}] question mark only in day fields`);
    expr = "*";
  }
  // croniter treats the comma list as a stack; expanded range values are pushed back and re-checked.
  const stack: Array<string | number> = expr.split(",");
  const seen = new Set<string | number>();
  const values: CronFieldValue[] = [];
  while (stack.length > 0) {
    let element = String(stack.pop());
    let nth: number | "l" | null = null;
    if (field === DOW) {
      const special = SPECIAL_DOW_RE.exec(element);
      if (special?.groups) {
        const { he, last, pre } = special.groups;
        if (he) {
          element = he;
          nth = Number(last);
          if (!(nth >= 1 && nth <= 5)) throw new CronSyntaxError(`[${source}] invalid day_of_week value: '${nth}'`);
        } else if (last) {
          element = last;
          nth = pre === "l" ? "l" : null;
        }
      }
    }
    if (field === DAY) {
      const w = NEAREST_WEEKDAY_RE.exec(element);
      if (w) {
        const day = Number(w[1] ?? w[2]);
        if (day < 1 || day > 31) throw new CronSyntaxError(`[${source}] nearest weekday out of range`);
        if (stack.length > 0 || values.length > 0) {
          throw new CronSyntaxError(`[${source}] 'W' can only be used with a single day value`);
        }
        acc.nearestWeekday.add(day);
        values.push(day);
        continue;
      }
    }
    let t = element.replace(/^\*(\/.+)$/, `${min}-${max}$1`);
    let m = STEP_RE.exec(t);
    if (!m) {
      t = element.replace(/^(.+)\/(.+)$/, `$1-${max}/$2`);
      m = STEP_RE.exec(t);
    }
    if (m) {
      let lowText: string | number = m[1] ?? "";
      let highText: string | number = m[2] ?? "";
      const step = Number(m[4] ?? 1);
      if (field === DAY && highText === "l") highText = "31";
      if (!INT_RE.test(lowText)) lowText = alphaconv(field, lowText, source);
      if (!INT_RE.test(String(highText))) highText = alphaconv(field, highText, source);
      if (step === 0) throw new CronSyntaxError(`[${source}] step '0' in field ${field} is not acceptable`);
      if (!INT_RE.test(String(lowText)) || !INT_RE.test(String(highText))) {
        throw new CronSyntaxError(`[${source}] bands '${lowText}-${highText}' in field ${field} are not acceptable`);
      }
      const low = valueAlias(Number(lowText), field, count);
      const high = valueAlias(Number(highText), field, count);
      if (Math.max(low, high) > max) throw new CronSyntaxError(`${source} is out of bands`);
      const range = rangeValues(field, low, high, step);
      for (const v of range) {
        const item = field === DOW && nth !== null && nth !== "l" ? `${v}#${nth}` : v;
        if (!seen.has(item)) stack.push(item);
      }
      for (const v of range) seen.add(field === DOW && nth !== null && nth !== "l" ? `${v}#${nth}` : v);
      continue;
    }
    if (t.startsWith("-")) throw new CronSyntaxError(`[${source}] negative numbers not allowed`);
    let value: CronFieldValue;
    if (t === "*") value = "*";
    else if (STAR_OR_INT_RE.test(t)) value = Number(t);
    else value = alphaconv(field, t, source);
    if (typeof value === "number") {
      value = valueAlias(value, field, count);
      if (value < min || value > max) throw new CronSyntaxError(`[${source}] is not acceptable, out of range`);
    }
    values.push(value);
    if (field === DOW && nth !== null && typeof value === "number") {
      const set = acc.nthWeekday.get(value) ?? new Set<number | "l">();
      set.add(nth);
      acc.nthWeekday.set(value, set);
    }
  }
  const unique = [...new Set(values)].sort((a, b) => sortKey(a).localeCompare(sortKey(b)));
  if (unique.length === LEN_MEANS_ALL[field as 0]) {
    const keepList =
      (field === DAY && !(tokens[DOW] ?? "").includes("*")) || (field === DOW && !(tokens[DAY] ?? "").includes("*"));
    if (!keepList) return { values: ["*"] };
  }
  if (unique.length === 1 && unique[0] === "*") return { values: ["*"] };
  return { values: unique };
}

function sortKey(value: CronFieldValue): string {
  return typeof value === "number" ? String(value).padStart(2, "0") : value;
}

/** Expands a croniter expression; throws CronSyntaxError where croniter's `is_valid` says false. */
export function expandCron(expression: string): ExpandedCron {
  const lowered = expression.toLowerCase();
  const text = MACROS[lowered] ?? lowered;
  const tokens = text.split(/\s+/).filter((token) => token.length > 0);
  if (tokens.length < 5 || tokens.length > 7) {
    throw new CronSyntaxError("Exactly 5, 6 or 7 columns has to be specified for iterator expression.");
  }
  const acc: ExpandedCron = {
    fieldCount: tokens.length as 5 | 6 | 7,
    fields: [],
    nthWeekday: new Map(),
    nearestWeekday: new Set(),
    random: false,
    crc: crc32(new TextEncoder().encode(expression)),
  };
  tokens.forEach((token, field) => {
    acc.fields.push(expandField(token, field, tokens, expression, acc).values);
  });
  if (acc.nthWeekday.size > 0) {
    const dow = new Set(acc.fields[DOW]);
    const plain = [...dow].filter((v) => v !== "*" && !(typeof v === "number" && acc.nthWeekday.has(v)));
    if (plain.length > 0 && dow.size !== LEN_MEANS_ALL[DOW]) {
      throw new CronSyntaxError(`day-of-week field does not support mixing literal values and nth day of week syntax`);
    }
  }
  return acc;
}

/** croniter 6 `is_valid(expr)` with dlt's arguments (no hash id, seconds as the last field). */
export function isValidCron(expression: string): boolean {
  try {
    expandCron(expression);
    return true;
  } catch (error) {
    if (error instanceof CronSyntaxError) return false;
    throw error;
  }
}
