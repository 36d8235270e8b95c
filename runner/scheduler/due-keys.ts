/**
 * Keys of the due-queue and of trigger state: `fire|<jobRef>|<trigger>`, `timeout|<runId>`,
 * `kill|<runId>`. A trigger text may contain "|", so only the first one after the job ref splits.
 */
export function triggerKey(jobRef: string, trigger: string): string {
  return `${jobRef}|${trigger}`;
}

export function fireKey(jobRef: string, trigger: string): string {
  return `fire|${triggerKey(jobRef, trigger)}`;
}

export function timeoutKey(runId: string): string {
  return `timeout|${runId}`;
}

export function killKey(runId: string): string {
  return `kill|${runId}`;
}

export type DueEntry =
  | { kind: "fire"; jobRef: string; trigger: string }
  | { kind: "timeout"; runId: string }
  | { kind: "kill"; runId: string }
  | { kind: "unknown"; key: string };

export function parseDueKey(key: string): DueEntry {
  const first = key.indexOf("|");
  const kind = key.slice(0, first);
  const rest = key.slice(first + 1);
  if (kind === "timeout" || kind === "kill") return { kind, runId: rest };
  if (kind !== "fire") return { kind: "unknown", key };
  const second = rest.indexOf("|");
  return { kind: "fire", jobRef: rest.slice(0, second), trigger: rest.slice(second + 1) };
}
