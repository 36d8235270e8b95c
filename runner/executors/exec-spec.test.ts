import { existsSync, mkdirSync, mkdtempSync, readFileSync, utimesSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { createSecretStore } from "../secrets/index.js";
import { prepareExec, removeExecOverlay, sweepExecOverlays } from "./exec-spec.js";
import { Launcher, type RunnableJob } from "./job-shape.js";
import { prepareRun } from "./prepare-run.js";
import { buildRunContainerSpec } from "./run-container-spec.js";

function setup() {
  const base = mkdtempSync(join(tmpdir(), "sluice-exec-spec-"));
  const ws = join(base, "ws");
  mkdirSync(join(ws, ".dlt"), { recursive: true });
  const secretStore = createSecretStore(join(base, "secrets"));
  return { base, ws, secretStore, dataRoot: join(base, "data"), overlayRoot: join(base, "overlays") };
}

const job: RunnableJob = { job_ref: "jobs.gh.ingest", entry_point: { module: "gh", function: "ingest", job_type: "batch", launcher: Launcher.job } };

describe("prepareExec", () => {
  it("gives the exec container the mounts, env, working dir, network and host name of a run of the same workspace+profile", () => {
    const { ws, secretStore, dataRoot, overlayRoot } = setup();
    secretStore.set("gh", "prod", '[runtime]\nlicense = "abcd-licence"\n');
    const exec = prepareExec({ execId: "exec-1", workspace: { name: "gh", dir: ws }, image: "img", network: "none", extraEnv: { EXTRA: "1" }, secretStore, dataRoot, overlayRoot });
    const run = prepareRun(job, { name: "gh", dir: ws }, { runId: "r1", trigger: "manual:x", refresh: false }, { secretStore, dataRoot }, 0);
    const spec = buildRunContainerSpec({ ...run, env: { EXTRA: "1", ...run.env } }, { image: "img", python: "py", network: "none", settingsDir: join(overlayRoot, "exec-1") });
    expect(exec.profile).toBe("prod");
    expect(exec.profileSource).toBe("batch");
    expect({ binds: exec.binds, env: exec.env, workingDir: exec.workingDir, network: exec.network, hostname: exec.hostname, tmpfs: exec.tmpfs }).toEqual({
      binds: spec.binds,
      env: spec.env,
      workingDir: spec.workingDir,
      network: spec.network,
      hostname: spec.hostname,
      tmpfs: spec.tmpfs,
    });
    expect(readFileSync(join(overlayRoot, "exec-1", "prod.secrets.toml"), "utf8")).toContain("abcd-licence");
    expect(exec.labels).toMatchObject({ "sluice.purpose": "exec", "sluice.workspace": "gh", "sluice.profile": "prod" });
  });

  it("uses --profile over the job's required profile, and removes only exec overlays", () => {
    const { ws, secretStore, dataRoot, overlayRoot } = setup();
    const exec = prepareExec({ execId: "exec-2", workspace: { name: "gh", dir: ws }, profile: "dev", requiredProfile: "prod", image: "img", network: "bridge", secretStore, dataRoot, overlayRoot });
    expect([exec.profile, exec.profileSource, exec.hostname]).toEqual(["dev", "trigger", "sluice-gh-dev"]);
    expect(existsSync(join(dataRoot, "gh", "dev", "global"))).toBe(true);
    expect(() => removeExecOverlay(overlayRoot, "run-1")).toThrow(/not an exec id/);
    expect(() => removeExecOverlay(overlayRoot, "exec-../x")).toThrow(/not an exec id/);
    removeExecOverlay(overlayRoot, "exec-2");
    expect(existsSync(join(overlayRoot, "exec-2"))).toBe(false);
  });

  it("sweeps exec overlays older than the limit and keeps fresh ones", () => {
    const { ws, secretStore, dataRoot, overlayRoot } = setup();
    for (const execId of ["exec-old", "exec-new"]) prepareExec({ execId, workspace: { name: "gh", dir: ws }, image: "img", network: "none", secretStore, dataRoot, overlayRoot });
    const old = new Date(Date.now() - 2 * 86_400_000);
    utimesSync(join(overlayRoot, "exec-old"), old, old);
    expect(sweepExecOverlays(overlayRoot, Date.now(), 86_400_000)).toBe(1);
    expect([existsSync(join(overlayRoot, "exec-old")), existsSync(join(overlayRoot, "exec-new"))]).toEqual([false, true]);
  });
});
