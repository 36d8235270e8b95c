/**
 * Test-only crash points (docs/reliability.md, "Crash points"). `SLUICE_CRASH_AT=<step>` makes the
 * process SIGKILL itself the first time it reaches `crashPoint(<step>)`; `<step>:<n>` the n-th time.
 * Read once at load: without the variable `crashPoint` is an empty function.
 */

/** The steps a test can crash at (each named where it is called). */
export type CrashStep =
  | "manifest-generation"
  | "diff-before-apply"
  | "run-recorded"
  | "container-created"
  | "run-running"
  | "run-finishing"
  | "run-finished"
  | "log-append";

function parseSetting(raw: string | undefined): { step: string; nth: number } | null {
  if (!raw) return null;
  const [step = "", nth] = raw.split(":");
  return { step, nth: nth ? Math.max(1, Number(nth) || 1) : 1 };
}

function armed(setting: { step: string; nth: number }): (step: CrashStep) => void {
  let seen = 0;
  return (step) => {
    if (step !== setting.step) return;
    seen += 1;
    if (seen === setting.nth) process.kill(process.pid, "SIGKILL");
  };
}

const setting = parseSetting(process.env["SLUICE_CRASH_AT"]);

/** SIGKILLs this process when `SLUICE_CRASH_AT` names `step` (test-only; a no-op otherwise). */
export const crashPoint: (step: CrashStep) => void = setting ? armed(setting) : () => undefined;
