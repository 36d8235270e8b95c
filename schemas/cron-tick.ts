/** Whether an instant lies exactly on a cron tick, evaluated in UTC wall time (dlt's `cron_floor` check). */
import { CronExpressionParser } from "cron-parser";
import { toCronParserExpression } from "./cron.js";

/** Null when cron-parser cannot express the cron (see toCronParserExpression). */
export function isCronTickUtc(cron: string, atMs: number): boolean | null {
  let expression: string;
  try {
    expression = toCronParserExpression(cron);
  } catch {
    return null;
  }
  const next = CronExpressionParser.parse(expression, { currentDate: new Date(atMs - 1), tz: "UTC" }).next();
  return next.getTime() === atMs;
}
