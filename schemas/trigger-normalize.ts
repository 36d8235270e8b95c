/** Normalization of user trigger input (spec triggers.md §7), as dlt's decorators apply it. */
import { isValidCron } from "./cron.js";
import { InvalidTriggerError, isTriggerType, parseTrigger, parseTriggerExpression } from "./triggers.js";

const SYNTHETIC = new Set(["manual", "pipeline_name"]);
const BARE_ALLOWED = new Set(["deployment", "http", "webhook"]);

/** Python's `str.strip()` whitespace set, close enough for trigger text. */
function pyStrip(text: string): string {
  return text.trim();
}

/** One user value to its canonical trigger string; throws InvalidTriggerError. */
export function normalizeTrigger(input: unknown): string {
  const text = pyStrip(String(input));
  const colon = text.indexOf(":");
  if (colon >= 0) {
    const type = text.slice(0, colon);
    if (SYNTHETIC.has(type)) throw new InvalidTriggerError(text, `${type}: triggers are added automatically`);
    if (isTriggerType(type)) return parseTrigger(text).raw;
    throw new InvalidTriggerError(text, `unknown type '${type}'`);
  }
  if (isTriggerType(text)) {
    if (SYNTHETIC.has(text)) throw new InvalidTriggerError(text, `${text}: triggers are added automatically`);
    if (BARE_ALLOWED.has(text)) return parseTriggerExpression(text, "").raw;
    throw new InvalidTriggerError(text, "requires an expression");
  }
  if (isValidCron(text)) return `schedule:${text}`;
  throw new InvalidTriggerError(text, "cannot normalize");
}

/**
 * A trigger argument (null, one string, a list, or a tuple-like nested array) to a list.
 * Nested arrays are flattened one level, which is how `job.completed` (a Python tuple) arrives.
 */
export function normalizeTriggers(input: unknown): string[] {
  if (input === null || input === undefined) return [];
  if (typeof input === "string") return [normalizeTrigger(input)];
  if (!Array.isArray(input)) return [normalizeTrigger(input)];
  const items: unknown[] = [];
  for (const item of input) {
    if (Array.isArray(item)) items.push(...(item as unknown[]));
    else items.push(item);
  }
  return items.map(normalizeTrigger);
}
