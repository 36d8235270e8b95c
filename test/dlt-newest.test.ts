/**
 * Early warning for when dlt moves: the jaffle fixture, with its dlt pin moved to the newest
 * release on PyPI, goes through the same manifest generation as a pinned workspace. Sluice must
 * either read the same job graph or refuse with an error that names the unsupported manifest
 * engine — never crash or silently read something else.
 */
import { execFileSync } from "node:child_process";
import { cp, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { isSluiceError } from "../core/index.js";
import { generateManifest } from "../reconciler/manifest/index.js";

const FIXTURE = path.resolve("fixtures/workspaces/jaffle_shop_workspace");
const PINNED_DLT = "dlt[workspace]==1.26.0";

let workspace: string;

/**
 * The newest dlt release on the package index, pinned exactly: environments are cached by
 * dependency content, so an unpinned `dlt[workspace]` would keep the first release it resolved.
 */
function newestDltRelease(): string {
  const out = execFileSync("python3", ["-m", "pip", "index", "versions", "dlt"], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] });
  const version = /^dlt \(([^)]+)\)/m.exec(out)?.[1];
  if (!version) throw new Error(`could not read the newest dlt release from: ${out.slice(0, 200)}`);
  return version;
}

beforeAll(async () => {
  workspace = await mkdtemp(path.join(os.tmpdir(), "sluice-newest-dlt-"));
  await cp(FIXTURE, workspace, { recursive: true, filter: (src) => !/[\\/](_local|\.var)([\\/]|$)/.test(src) });
  const pyproject = await readFile(path.join(workspace, "pyproject.toml"), "utf8");
  expect(pyproject).toContain(PINNED_DLT);
  await writeFile(path.join(workspace, "pyproject.toml"), pyproject.replace(PINNED_DLT, `dlt[workspace]==${newestDltRelease()}`));
  await rm(path.join(workspace, "uv.lock"));
});

afterAll(async () => {
  await rm(workspace, { recursive: true, force: true });
});

describe("the newest dlt on PyPI", () => {
  it("gives the fixture's job graph, or a clear unsupported-engine error naming the field", async () => {
    const pinned = await generateManifest({ workspaceDir: FIXTURE, executor: "local" });
    const pinnedGraph = pinned.manifest.jobs.map((job) => [job.job_ref, job.triggers]);
    try {
      const newest = await generateManifest({ workspaceDir: workspace, executor: "local" });
      console.info(`newest dlt ${newest.dltVersion}: manifest read, same engine`);
      expect(newest.manifest.jobs.map((job) => [job.job_ref, job.triggers])).toEqual(pinnedGraph);
    } catch (error) {
      if (!isSluiceError(error)) throw error;
      console.warn(`newest dlt moved: ${error.message}`);
      expect(error.code).toBe("manifest_schema_invalid");
      expect(error.message).toMatch(/engine_version/);
      expect(error.hint).toMatch(/1\.26\.0/);
    }
  });
});
