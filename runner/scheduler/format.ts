/** Text helpers for reasons and records: UTC ISO-8601 with Z, short durations. */
export function iso(ms: number): string {
  return new Date(ms).toISOString();
}

/** 90_000 → "1m30s", 7_200_000 → "2h", 500 → "500ms". */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${ms}ms`;
  const parts: string[] = [];
  let rest = Math.round(ms / 1000);
  for (const [unit, size] of [["d", 86_400], ["h", 3600], ["m", 60], ["s", 1]] as const) {
    if (rest >= size) {
      parts.push(`${Math.floor(rest / size)}${unit}`);
      rest %= size;
    }
  }
  return parts.join("");
}
