/**
 * The runtime verbs as a user types them: help and exit codes without a daemon, then deploy
 * (--dry-run exit codes, --show-manifest), `launch file.py -f` (ad-hoc deploy + one run in
 * Docker with real dlt), runs/job/logs listings and user errors against a `sluice up` child.
 */
import { cpSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { JobInfoView, JobView, RunView } from "../cli/daemon/runtime-types.js";
import { DaemonProcess } from "./daemon-e2e-support.js";

const FRUITSHOP = resolve(import.meta.dirname, "../fixtures/workspaces/fruitshop_simple_workspace");
const VERBS: string[][] = [["info"], ["job", "list"], ["runs"], ["logs", "x"], ["trigger", "x"], ["cancel", "x"], ["deploy", "."], ["launch", "x"], ["serve", "x"], ["run-pipeline", "x"]];

let root: string;

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), "sluice-cli-"));
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe("runtime verbs without a daemon", () => {
  it("every verb exits 2 and says to run `sluice up`; every verb has help with exit codes", async () => {
    const nobody = new DaemonProcess(join(root, "no-daemon"));
    mkdirSync(nobody.home, { recursive: true });
    for (const verb of VERBS) {
      const result = await nobody.cli(...verb);
      expect(result.code, verb.join(" ")).toBe(2);
      expect(result.stderr, verb.join(" ")).toContain("sluice up");
      const help = await nobody.cli(verb[0] ?? "", "--help");
      expect(help.code, `${verb[0]} --help`).toBe(0);
      expect(help.stdout, `${verb[0]} --help`).toContain("Exit codes");
      expect(help.stdout, `${verb[0]} --help`).toContain("--home");
    }
    for (const listing of ["info", "job", "runs", "logs", "trigger", "cancel", "deploy"]) {
      expect((await nobody.cli(listing, "--help")).stdout, listing).toContain("--output");
    }
  });
});

describe("runtime verbs against a daemon", () => {
  let daemon: DaemonProcess;
  let dir: string;

  beforeAll(async () => {
    daemon = new DaemonProcess(join(root, "home"));
    await daemon.start("api: { port: 0 }\nproxy: { port: 0 }\nruns: { network: bridge }\n");
    dir = join(root, "fruitshop");
    cpSync(FRUITSHOP, dir, { recursive: true });
  });
  afterAll(async () => daemon?.stop());

  it("deploys a script ad hoc: dry-run exit codes, show-manifest, launch -f, listings, user errors", async () => {
    const dry = await daemon.cli("deploy", dir, "--file", "fruitshop_pipeline.py", "--dry-run");
    expect(dry.code, dry.stderr).toBe(2);
    expect(dry.stdout).toContain("fruitshop: would deploy version 0 (dry run)");
    expect(dry.stdout).toContain("+ jobs.fruitshop_pipeline  added");

    const manifest = await daemon.cli("deploy", dir, "--file", "fruitshop_pipeline.py", "--show-manifest");
    expect(manifest.code, manifest.stderr).toBe(0);
    expect(manifest.stdout).toMatch(/job_ref: jobs\.fruitshop_pipeline/);
    expect(manifest.stdout).toContain("manual:jobs.fruitshop_pipeline");
    expect((await daemon.json<JobView[]>("job", "list"))).toEqual([]);

    const launched = await daemon.cli("launch", "fruitshop_pipeline.py", "-f", "--dir", dir);
    expect(launched.code, launched.stdout + launched.stderr).toBe(0);
    expect(launched.stdout).toContain("fruitshop: deployed version 0");
    expect(launched.stdout).toMatch(/run 1 \(run-\d+\) of fruitshop_pipeline completed/);
    // `sluice jobs` with no words lists every job, as `sluice job list` does
    const listed = await daemon.json<JobView[]>("job", "list");
    expect(listed.map((job) => job.name)).toEqual(["fruitshop_pipeline"]);
    expect(await daemon.json<JobView[]>("jobs")).toEqual(listed);

    const again = await daemon.cli("deploy", dir, "--file", "fruitshop_pipeline.py", "--dry-run");
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toContain("no change (version 0)");

    const runs = await daemon.json<RunView[]>("runs");
    expect(runs.map((r) => [r.job, r.status, r.workspace])).toEqual([["fruitshop_pipeline", "completed", "fruitshop"]]);
    const info = await daemon.json<JobInfoView>("job", "fruitshop_pipeline", "info");
    expect(info.runs[0]?.runId).toBe(runs[0]?.runId);
    const logs = await daemon.cli("logs", "fruitshop_pipeline");
    expect(logs.stdout).toMatch(/load|Pipeline fruitshop/i);
    expect((await daemon.cli("job", "manual:*", "list")).stdout).toContain("fruitshop_pipeline");

    const unknown = await daemon.cli("trigger", "no_such_job");
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain("No deployed job 'no_such_job'");
    expect(unknown.stderr).toContain("Deployed jobs: fruitshop/fruitshop_pipeline");
    const badDir = await daemon.cli("deploy", join(root, "missing"), "--dry-run");
    expect(badDir.code).toBe(1);
    expect(badDir.stderr).toContain("is not a directory");
    const cancelled = await daemon.cli("cancel", "fruitshop_pipeline");
    expect(cancelled.code).toBe(0);
    expect(cancelled.stdout).toContain("no active runs matched");
  });

  it("serves a marimo notebook ad hoc: serve waits until it answers and prints its proxy URL", async () => {
    const served = await daemon.cli("serve", "fruitshop_notebook.py", "--dir", dir);
    expect(served.code, served.stdout + served.stderr).toBe(0);
    const url = /jobs\.fruitshop_notebook is up: (http:\/\/127\.0\.0\.1:\d+\/w\/fruitshop\/fruitshop_notebook\/)/.exec(served.stdout)?.[1];
    expect(url, served.stdout).toBeDefined();
    const page = await fetch(url ?? "");
    expect(page.status).toBe(200);
    expect(await page.text()).toMatch(/marimo/i);
  });
});
