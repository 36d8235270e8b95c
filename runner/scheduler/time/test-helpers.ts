import type { ParsedTrigger } from "../../../schemas/index.js";

/** Epoch ms of an ISO instant; throws on a typo so a test cannot silently compare NaN. */
export function at(iso: string): number {
  const ms = Date.parse(iso);
  if (Number.isNaN(ms)) throw new Error(`bad test instant ${iso}`);
  return ms;
}

/** Minute-precision ISO text, for readable failures. */
export function hm(ms: number): string {
  return new Date(ms).toISOString().slice(0, 16) + "Z";
}

export function schedule(cron: string): Extract<ParsedTrigger, { type: "schedule" }> {
  return { type: "schedule", raw: `schedule:${cron}`, cron };
}

export function every(periodSeconds: number, raw = `every:${periodSeconds}s`): Extract<ParsedTrigger, { type: "every" }> {
  return { type: "every", raw, periodSeconds };
}

export function once(iso: string): Extract<ParsedTrigger, { type: "once" }> {
  return { type: "once", raw: `once:${iso}`, atMs: at(iso) };
}

export function manual(jobRef: string | null = null): ParsedTrigger {
  return { type: "manual", raw: `manual:${jobRef ?? ""}`, jobRef };
}

export function jobSuccess(jobRef: string): ParsedTrigger {
  return { type: "job.success", raw: `job.success:${jobRef}`, jobRef };
}
