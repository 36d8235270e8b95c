import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { createSecretStore } from "../secrets/index.js";
import { Launcher, type RunnableJob } from "./job-shape.js";
import { prepareRun, RunLabel } from "./prepare-run.js";
import { buildRunContainerSpec, RunPaths, workspaceHostname } from "./run-container-spec.js";

function setup() {
  const base = mkdtempSync(join(tmpdir(), "sluice-spec-"));
  const ws = join(base, "ws");
  mkdirSync(join(ws, ".dlt"), { recursive: true });
  const secretStore = createSecretStore(join(base, "secrets"));
  return { base, ws, secretStore, context: { secretStore, dataRoot: join(base, "data"), machines: { small: { cpus: 0.5, memoryMb: 256 } } } };
}

const ingest: RunnableJob = {
  job_ref: "jobs.gh.ingest",
  entry_point: { module: "gh", function: "ingest", job_type: "batch", launcher: Launcher.job },
  require: { machine: "small" },
  execute: { timeout: { timeout: 600 } },
};

describe("buildRunContainerSpec", () => {
  it("builds the batch container: argv, env, mounts, labels, init, limits", () => {
    const { ws, base, context } = setup();
    const run = prepareRun(ingest, { name: "gh", dir: ws, deploymentVersion: 4 }, { runId: "abc123", trigger: "manual:jobs.gh.ingest", refresh: false }, context, 1_000);
    const spec = buildRunContainerSpec(run, { image: "sluice/env:k", python: "/opt/sluice/venv/bin/python", network: "host", settingsDir: "/home/s/overlays/abc123" });
    expect(spec.cmd.slice(0, 3)).toEqual(["/opt/sluice/venv/bin/python", "-m", Launcher.job]);
    expect(JSON.parse(spec.cmd[8] ?? "")).toMatchObject({ profile: "prod", refresh: false });
    expect(spec.env).toMatchObject({ WORKSPACE__PROFILE: "prod", PYTHONUNBUFFERED: "1", DLT_DATA_DIR: "/sluice/data/var", DLT_LOCAL_DIR: "/sluice/data/local" });
    expect(spec.binds).toEqual([
      { source: ws, target: "/workspace", readOnly: true },
      { source: join(base, "data", "gh", "prod"), target: "/sluice/data", readOnly: false },
      { source: join(base, "data", "gh", "prod", "global"), target: "/var/dlt", readOnly: false },
      { source: "/home/s/overlays/abc123", target: "/workspace/.dlt", readOnly: true },
    ]);
    expect(existsSync(join(base, "data", "gh", "prod", "global"))).toBe(true);
    expect(spec.hostname).toBe("sluice-gh-prod");
    expect(spec.labels).toMatchObject({
      [RunLabel.runId]: "abc123",
      [RunLabel.jobRef]: "jobs.gh.ingest",
      [RunLabel.workspace]: "gh",
      [RunLabel.deploymentVersion]: "4",
      [RunLabel.timeoutMs]: "600000",
      [RunLabel.startedMs]: "1000",
    });
    expect(spec.init).toBe(true);
    expect(spec.workingDir).toBe("/workspace");
    expect(spec.resources).toEqual({ nanoCpus: 500_000_000, memoryBytes: 256 * 1024 * 1024 });
    expect(spec.publish).toBeUndefined();
  });

  it("publishes an interactive service's port on loopback and uses the access profile when configured", () => {
    const { ws, context, secretStore } = setup();
    const notebook: RunnableJob = { job_ref: "jobs.nb", entry_point: { module: "nb", function: null, job_type: "interactive", launcher: Launcher.marimo } };
    expect(prepareRun(notebook, { name: "gh", dir: ws }, { runId: "n0", trigger: "http:", refresh: false }, context, 0).profile).toBe("prod");
    secretStore.set("gh", "access", 'k = "vvvv"');
    writeFileSync(join(ws, ".dlt", "config.toml"), "");
    const run = prepareRun(notebook, { name: "gh", dir: ws }, { runId: "n1", trigger: "http:", refresh: false, runArgs: { port: 8080, base_path: "/w/gh/nb/" } }, context, 0);
    expect(run.profile).toBe("access");
    const spec = buildRunContainerSpec(run, { image: "img", python: "py", network: "bridge", hostPort: 41234 });
    expect(spec.publish).toEqual([{ hostIp: "127.0.0.1", hostPort: 41234, containerPort: 8080 }]);
    expect(spec.network).toBe("bridge");
    expect(spec.env?.WORKSPACE__PROFILE).toBe("access");
    expect(run.redact("key vvvv")).toBe("key ***");
  });

  it("interactive runs follow runs.network: host binds the service's own port on the host with the loopback sitecustomize on PYTHONPATH, none is refused", () => {
    const { ws, context } = setup();
    const notebook: RunnableJob = { job_ref: "jobs.nb", entry_point: { module: "nb", function: null, job_type: "interactive", launcher: Launcher.marimo } };
    const run = prepareRun(notebook, { name: "gh", dir: ws }, { runId: "n2", trigger: "http:", refresh: false, runArgs: { port: 8080 } }, context, 0);
    const host = buildRunContainerSpec({ ...run, env: { ...run.env, PYTHONPATH: "/mine" } }, { image: "img", python: "py", network: "host", hostPort: 8080, loopbackBindDir: "/home/s/overlays/loopback-bind" });
    expect(host.network).toBe("host");
    expect(host.publish).toBeUndefined();
    expect(host.binds).toContainEqual({ source: "/home/s/overlays/loopback-bind", target: RunPaths.loopbackBind, readOnly: true });
    expect(host.env?.PYTHONPATH).toBe(`${RunPaths.loopbackBind}:/mine`);
    expect(() => buildRunContainerSpec(run, { image: "img", python: "py", network: "host", hostPort: 9090 })).toThrow(/listens on the host's port 8080/);
    expect(() => buildRunContainerSpec(run, { image: "img", python: "py", network: "none", hostPort: 8080 })).toThrow(/cannot be served with runs.network: none/);
    // batch runs are not affected
    const batch = prepareRun(ingest, { name: "gh", dir: ws }, { runId: "b1", trigger: "t", refresh: false }, context, 0);
    expect(buildRunContainerSpec(batch, { image: "img", python: "py", network: "none" }).network).toBe("none");
  });

  it("a reader mounts a private var copy and the snapshot's local dir read-only over the data dir", () => {
    const { ws, base, context } = setup();
    const run = prepareRun(ingest, { name: "gh", dir: ws }, { runId: "r1", trigger: "t", refresh: false }, context, 0);
    const spec = buildRunContainerSpec({ ...run, dataView: { var: "/d/.readers/r1/var", local: "/d/gh/prod.snapshot/3/local", snapshot: "/d/gh/prod.snapshot/3" } }, { image: "img", python: "py", network: "bridge" });
    expect(spec.binds).toEqual(
      expect.arrayContaining([
        { source: join(base, "data", "gh", "prod"), target: "/sluice/data", readOnly: false },
        { source: "/d/.readers/r1/var", target: "/sluice/data/var", readOnly: false },
        { source: "/d/gh/prod.snapshot/3/local", target: "/sluice/data/local", readOnly: true },
      ]),
    );
  });

  it("fails the run preparation on an unknown machine", () => {
    const { ws, context } = setup();
    expect(() => prepareRun({ ...ingest, require: { machine: "xl" } }, { name: "gh", dir: ws }, { runId: "x", trigger: "t", refresh: false }, context, 0)).toThrow(/machine 'xl'/);
  });

  it("names the host after workspace and profile so a trial licence bound to it holds across containers", () => {
    expect(workspaceHostname("GitHub_Ingest", "prod")).toBe("sluice-github-ingest-prod");
    expect(workspaceHostname("w".repeat(80), "access")).toMatch(/^sluice-w+$/);
    expect(workspaceHostname("w".repeat(80), "access").length).toBeLessThanOrEqual(63);
  });
});
