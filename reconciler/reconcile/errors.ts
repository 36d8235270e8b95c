import { isSluiceError } from "../../core/index.js";

export const ErrorClass = { terminal: "terminal", transient: "transient" } as const;
export type ErrorClass = (typeof ErrorClass)[keyof typeof ErrorClass];

const TRANSIENT_CODES = new Set(["git_failed", "apply_failed"]);

/**
 * Terminal errors come from the commit's content (bad manifest, import error, missing folder):
 * retrying the same commit cannot help, so the workspace stalls until the next push. Anything
 * else (git unreachable, scheduler busy, unknown exceptions) is retried after a delay.
 */
export function classifyError(error: unknown): ErrorClass {
  if (!isSluiceError(error)) return ErrorClass.transient;
  if (error.details.transient === true || TRANSIENT_CODES.has(error.code)) return ErrorClass.transient;
  return ErrorClass.terminal;
}

export function causeOf(error: unknown): { code: string; message: string } {
  if (isSluiceError(error)) return { code: error.code, message: error.message };
  return { code: "internal_error", message: error instanceof Error ? error.message : String(error) };
}

/** The cause a failed deployment records: the message, then the error's hint (its next step) when it has one. */
export function recordedCause(error: unknown): { code: string; message: string } {
  const cause = causeOf(error);
  return isSluiceError(error) && error.hint ? { ...cause, message: `${cause.message}\nhint: ${error.hint}` } : cause;
}
