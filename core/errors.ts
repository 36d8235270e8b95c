/**
 * Domain errors carry a stable `code`, a message that says what failed and where,
 * and a `hint` with the next step. Only cli/ turns them into words and exit codes.
 */
export interface ErrorDetails {
  /** File the error is about, when known. */
  file?: string;
  /** Job the error is about, when known. */
  job?: string;
  /** Line number in `file`, when known. */
  line?: number;
  [key: string]: unknown;
}

export class SluiceError extends Error {
  readonly code: string;
  readonly hint: string | undefined;
  readonly details: ErrorDetails;

  constructor(code: string, message: string, options: { hint?: string; details?: ErrorDetails; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = "SluiceError";
    this.code = code;
    this.hint = options.hint;
    this.details = options.details ?? {};
  }
}

export function isSluiceError(error: unknown): error is SluiceError {
  return error instanceof SluiceError;
}

/** Text of any thrown value, for places that must report an unknown failure. */
export function errorText(error: unknown): string {
  if (error instanceof Error) return error.message;
  return String(error);
}
