/** `sluice simulate` end to end: the CLI process, its stable JSON contract, and real dlt generation. */
import { execFile } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { USGS_MANIFEST } from "./scheduler-fixtures.js";

const run = promisify(execFile);
const CLI = ["tsx", "cli/main.ts", "simulate"];

async function simulate(args: string[]): Promise<{ stdout: string; stderr: string }> {
  return run("npx", [...CLI, ...args], { cwd: process.cwd(), maxBuffer: 32 * 1024 * 1024 });
}

describe("sluice simulate", () => {
  it("prints one JSON array of decision records for a manifest file, in time order", async () => {
    const dir = mkdtempSync(join(tmpdir(), "sluice-simulate-"));
    const file = join(dir, "manifest.json");
    writeFileSync(file, JSON.stringify({ manifest: USGS_MANIFEST, warnings: [] }));
    const { stdout } = await simulate([
      "--manifest", file,
      "--from", "2026-04-14T09:58:00Z",
      "--to", "2026-04-14T10:16:00Z",
      "--run-duration", "20s",
      "--trigger", "2026-04-14T09:59:00Z tag:backfill",
      "--fail", "usgs_daily@2026-04-14T10:06:00Z",
      "--output", "json",
    ]);
    const records = JSON.parse(stdout) as Array<Record<string, unknown>>;
    expect(Object.keys(records[0]!)).toEqual(["at", "job", "job_ref", "event", "trigger", "interval_start", "interval_end", "refresh", "reason"]);
    const ats = records.map((r) => r.at as string);
    expect([...ats].sort()).toEqual(ats);
    expect(records.every((r) => /Z$/.test(r.at as string))).toBe(true);
    const daily = records.filter((r) => r.job === "usgs_daily").map((r) => [r.at, r.event, r.interval_start, r.interval_end]);
    expect(daily).toContainEqual(["2026-04-14T10:06:20.000Z", "failed", "2026-04-14T10:03:00.000Z", "2026-04-14T10:06:00.000Z"]);
    // the failed window is folded into the next run: one run, no gap
    expect(daily).toContainEqual(["2026-04-14T10:09:00.000Z", "started", "2026-04-14T10:03:00.000Z", "2026-04-14T10:09:00.000Z"]);
    expect(records.find((r) => r.job === "transform_earthquakes" && r.event === "skipped")?.reason).toMatch(/held by freshness/);
  });

  it("rejects a bad instant with a hint", async () => {
    await expect(simulate(["--manifest", "/nonexistent.json", "--from", "yesterday", "--to", "2026-04-14T10:00:00Z"])).rejects.toMatchObject({
      stderr: expect.stringContaining("--from 'yesterday' is not an ISO-8601 instant"),
    });
  });

  it("generates the manifest with real dlt from a workspace and simulates it", async () => {
    const { stdout } = await simulate([
      "fixtures/workspaces/jaffle_shop_workspace",
      "--executor", "local",
      "--from", "2026-04-14T09:00:00Z",
      "--to", "2026-04-14T11:30:00Z",
      "--output", "json",
    ]);
    const records = JSON.parse(stdout) as Array<Record<string, unknown>>;
    const ingest = records.filter((r) => r.job === "ingest_jaffle" && r.event === "started");
    expect(ingest.map((r) => r.at)).toEqual(["2026-04-14T10:00:00.000Z", "2026-04-14T11:00:00.000Z"]);
    const transform = records.filter((r) => r.job === "transform_jaffle" && r.event === "started");
    expect(transform.map((r) => r.trigger)).toEqual(["job.success:jobs.jaffle_ingestion.ingest_jaffle", "job.success:jobs.jaffle_ingestion.ingest_jaffle"]);
  });
});
