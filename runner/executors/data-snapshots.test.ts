import { existsSync, mkdirSync, mkdtempSync, readFileSync, readlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { createDataSnapshots } from "./data-snapshots.js";

function liveDir() {
  const dataRoot = mkdtempSync(join(tmpdir(), "sluice-snap-"));
  const live = join(dataRoot, "ws", "prod");
  mkdirSync(join(live, "var", "pipelines", "p"), { recursive: true });
  mkdirSync(join(live, "local"), { recursive: true });
  mkdirSync(join(live, "global"), { recursive: true });
  return { dataRoot, live };
}

describe("data snapshots", () => {
  it("copies var and local (not global) into numbered snapshots, switches current, keeps a used one until released", async () => {
    const { dataRoot, live } = liveDir();
    const snapshots = createDataSnapshots(dataRoot);
    expect(snapshots.hasLiveData("ws", "prod")).toBe(true);
    expect(snapshots.current("ws", "prod")).toBeUndefined();
    writeFileSync(join(live, "local", "w.duckdb"), "v1");
    writeFileSync(join(live, "global", ".anonymous_id"), "id");
    const first = await snapshots.take("ws", "prod");
    expect(first).toBe(join(dataRoot, "ws", "prod.snapshot", "1"));
    expect(readFileSync(join(first, "local", "w.duckdb"), "utf8")).toBe("v1");
    expect(existsSync(join(first, "var", "pipelines", "p"))).toBe(true);
    expect(existsSync(join(first, "global"))).toBe(false);

    const release = snapshots.use(first);
    writeFileSync(join(live, "local", "w.duckdb"), "v2");
    mkdirSync(join(dataRoot, "ws", "prod.snapshot", "7.partial"));
    const second = await snapshots.take("ws", "prod");
    expect(readlinkSync(join(dataRoot, "ws", "prod.snapshot", "current"))).toBe("2");
    expect(snapshots.current("ws", "prod")).toBe(second);
    expect(readFileSync(join(second, "local", "w.duckdb"), "utf8")).toBe("v2");
    expect(readFileSync(join(first, "local", "w.duckdb"), "utf8")).toBe("v1");
    expect(existsSync(join(dataRoot, "ws", "prod.snapshot", "7.partial"))).toBe(false);

    release();
    snapshots.prune("ws", "prod");
    expect(existsSync(first)).toBe(false);
    expect(existsSync(second)).toBe(true);
  });

  it("an empty live dir has no data worth a snapshot", () => {
    const dataRoot = mkdtempSync(join(tmpdir(), "sluice-snap-"));
    mkdirSync(join(dataRoot, "ws", "prod", "var"), { recursive: true });
    expect(createDataSnapshots(dataRoot).hasLiveData("ws", "prod")).toBe(false);
  });
});
