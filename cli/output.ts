/** Output helpers shared by commands: every listing supports `--output json`. */
import YAML from "yaml";

export const OUTPUT_FORMATS = ["table", "json", "yaml"] as const;
export type OutputFormat = (typeof OUTPUT_FORMATS)[number];

export function printJson(value: unknown, write: (text: string) => void = (t) => process.stdout.write(t)): void {
  write(`${JSON.stringify(value, null, 2)}\n`);
}

export function printYaml(value: unknown, write: (text: string) => void = (t) => process.stdout.write(t)): void {
  write(YAML.stringify(value, { lineWidth: 0 }));
}

/** Renders rows as aligned columns with a header line. */
export function formatTable(headers: readonly string[], rows: ReadonlyArray<readonly string[]>): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i] ?? 0)))
      .join("  ")
      .trimEnd();
  return [line(headers), ...rows.map(line)].join("\n") + "\n";
}
