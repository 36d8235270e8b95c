/**
 * Warm manifest generation with a host interpreter (reconciler/manifest/warm-local-executor.ts)
 * against the cold local one (a fresh `python sluice_manifest.py` per generation), with real dlt
 * in real host venvs: the same manifest (all but `created_at`) and hashes, also after the
 * workspace's own module changes; broken deployment modules fail with the same user-facing error
 * as cold, twice in a row; a hanging generation is killed and the same server serves the next one;
 * the server ends at close() and when its parent dies.
 * Times are printed (bench/push-to-applied.ts --local measures them end to end), not asserted.
 */
import { spawn, spawnSync } from "node:child_process";
import { cpSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SluiceError } from "../core/index.js";
import {
  createLocalManifestExecutor,
  createWarmLocalManifestExecutor,
  generateManifestWith,
  WRAPPER_SCRIPT_PATH,
  type GeneratedManifest,
  type ManifestExecutor,
  type WarmLocalManifestExecutor,
} from "../reconciler/manifest/index.js";
import { defaultCacheDir, ensureHostVenv } from "../runner/images/index.js";
import { waitUntil } from "./support/wait.js";

const FIXTURES = resolve(import.meta.dirname, "../fixtures/workspaces");
const BROKEN = resolve(import.meta.dirname, "../fixtures/broken");
const hostVenv = {
  ensureInterpreter: (workspaceDir: string) => ensureHostVenv({ workspaceDir, dependencyGroups: [], onProgress: () => {} }),
  pycacheDir: join(defaultCacheDir(), "pycache"),
};
const cold = createLocalManifestExecutor(hostVenv);
let root: string;
let warm: WarmLocalManifestExecutor;

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), "sluice-warm-local-"));
  warm = createWarmLocalManifestExecutor({ ...hostVenv, controlRoot: join(root, "control") });
});
afterAll(async () => {
  await warm?.close();
  if (root) rmSync(root, { recursive: true, force: true });
});

function checkout(fixture: string, name: string): string {
  const dir = join(root, "checkouts", name);
  cpSync(join(FIXTURES, fixture), dir, { recursive: true, filter: (source) => !source.includes(join(".dlt", ".var")) && !source.includes("_local") });
  return dir;
}

const withoutCreatedAt = (m: GeneratedManifest) => ({ ...m.manifest, created_at: null });

async function timed(executor: ManifestExecutor, workspaceDir: string, timeoutMs = 120_000): Promise<{ generated: GeneratedManifest; ms: number }> {
  const started = performance.now();
  const generated = await generateManifestWith({ workspaceDir, executor, timeoutMs });
  return { generated, ms: Math.round(performance.now() - started) };
}

/** Pids of this test's warm servers (their command line names this test's control folder). */
function servers(): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const argv = readFileSync(`/proc/${entry}/cmdline`, "utf8").split("\0");
      if (argv.includes("--serve") && argv.some((a) => a.startsWith(join(root, "control")))) pids.push(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return pids.sort();
}

/** Modules that exit, crash, hang or leave a process running at import (marked, so only this test's count). */
const BROKEN_MODULES: Record<string, string> = {
  sys_exit: "import sys\n\nsys.exit(5)\n",
  os_exit: "import os\n\nos._exit(3)\n",
  kill_self: "import os, signal\n\nos.kill(os.getpid(), signal.SIGKILL)\n",
  segfault: "import ctypes\n\nctypes.string_at(0)\n",
  never_returns: "import time\n\nwhile True:\n    time.sleep(60)\n",
  leaves_process: `import os, subprocess, sys\n\nMARK = "sluice-leftover-${process.pid}"\n\n\ndef running():\n    n = 0\n    for p in os.listdir("/proc"):\n        try:\n            n += p.isdigit() and MARK.encode() in open(f"/proc/{p}/cmdline", "rb").read()\n        except OSError:\n            pass\n    return n\n\n\nbefore = running()\nsubprocess.Popen([sys.executable, "-c", "import time; time.sleep(1000)", MARK])\nraise RuntimeError(f"{before} leftover processes were running")\n`,
};

function brokenCheckout(kind: string): string {
  const dir = join(root, "checkouts", `broken-${kind}`);
  cpSync(join(BROKEN, kind in BROKEN_MODULES ? "invalid_trigger" : kind), dir, { recursive: true });
  if (kind in BROKEN_MODULES) writeFileSync(join(dir, "__deployment__.py"), BROKEN_MODULES[kind] ?? "");
  return dir;
}

async function failureOf(executor: ManifestExecutor, workspaceDir: string): Promise<Record<string, unknown>> {
  const error = await generateManifestWith({ workspaceDir, executor, timeoutMs: 12_000 }).then(
    () => new Error("the generation succeeded"),
    (e: unknown) => e,
  );
  if (!(error instanceof SluiceError)) throw error;
  return { code: error.code, message: error.message, hint: error.hint, file: error.details.file, line: error.details.line };
}

describe("warm manifest generation with a host interpreter", () => {
  for (const fixture of ["usgs_earthquakes_workspace", "jaffle_shop_workspace"]) {
    it(`${fixture}: the warm manifest equals the cold one but for created_at, with the same job and manifest hashes`, async () => {
      const dir = checkout(fixture, `${fixture}-a`);
      const c = await timed(cold, dir);
      const first = await timed(warm, dir); // starts the server
      const w = await timed(warm, dir);
      console.log(`${fixture} (local): cold ${c.ms} ms, warm first ${first.ms} ms, warm ${w.ms} ms`);
      expect(withoutCreatedAt(w.generated)).toEqual(withoutCreatedAt(c.generated));
      expect(w.generated.jobHashes).toEqual(c.generated.jobHashes);
      expect(w.generated.manifestHash).toBe(c.generated.manifestHash);
      expect(w.generated.environment.executor).toBe("local");
      expect(w.generated.environment.pythonPath).toBe(c.generated.environment.pythonPath);
      expect(Object.keys(w.generated.jobHashes).length).toBeGreaterThan(0);
    }, 600_000);
  }

  it("after the workspace's own module changes, the warm server sees the change (equal to a cold generation of the new code)", async () => {
    const dir = checkout("usgs_earthquakes_workspace", "usgs-change");
    const before = await timed(warm, dir);
    const pipeline = join(dir, "usgs_pipeline.py");
    const source = readFileSync(pipeline, "utf8");
    expect(source).toContain('trigger=trigger.every("5m")');
    writeFileSync(pipeline, source.replace('trigger=trigger.every("5m")', 'trigger=trigger.every("10m")'));
    const after = await timed(warm, dir);
    const coldAfter = await timed(cold, dir);
    expect(after.generated.manifestHash).not.toBe(before.generated.manifestHash);
    expect(after.generated.jobHashes).toEqual(coldAfter.generated.jobHashes);
    expect(after.generated.manifestHash).toBe(coldAfter.generated.manifestHash);
  }, 600_000);

  it("every broken fixture and a module that exits, kills itself, segfaults, hangs or leaves a process running fails warm (twice) with the same code, message, hint and line as cold", async () => {
    const kinds = [...readdirSync(BROKEN).sort(), ...Object.keys(BROKEN_MODULES)];
    let compared = 0;
    for (const kind of kinds) {
      const dir = brokenCheckout(kind);
      const expected = await failureOf(cold, dir);
      expect(await failureOf(warm, dir), kind).toEqual(expected);
      if (kind !== "never_returns") expect(await failureOf(warm, dir), `${kind}, second warm generation`).toEqual(expected);
      compared++;
    }
    expect(compared).toBe(readdirSync(BROKEN).length + Object.keys(BROKEN_MODULES).length);
  }, 900_000);

  it("a hanging generation is killed with what it started, and the same server serves the next one", async () => {
    const good = checkout("usgs_earthquakes_workspace", "good");
    await timed(warm, good);
    const before = servers();
    expect(before.length).toBeGreaterThan(0);
    const hang = checkout("usgs_earthquakes_workspace", "hang");
    const marker = `sluice-warm-local-${process.pid}`;
    writeFileSync(join(hang, "__deployment__.py"), `import subprocess, time\n\nsubprocess.Popen(["sleep", "1000", "${marker}"])\nwhile True:\n    time.sleep(60)\n`);
    await expect(generateManifestWith({ workspaceDir: hang, executor: warm, timeoutMs: 15_000 })).rejects.toThrow(/timed out|did not finish|time/i);
    const sleeping = spawnSync("pgrep", ["-f", marker], { encoding: "utf8" }).stdout.trim();
    expect(sleeping, "the hanging generation's child process").toBe("");
    const again = await timed(warm, good);
    expect(Object.keys(again.generated.jobHashes).length).toBeGreaterThan(0);
    expect(servers()).toEqual(before);
  }, 600_000);

  it("close() ends every server; a server whose parent is killed exits by itself", async () => {
    const own = createWarmLocalManifestExecutor({ ...hostVenv, controlRoot: join(root, "control", "own") });
    await timed(own, checkout("usgs_earthquakes_workspace", "own"));
    const mine = servers().filter((pid) => readFileSync(`/proc/${pid}/cmdline`, "utf8").includes(join(root, "control", "own")));
    expect(mine).toHaveLength(1);
    await own.close();
    await waitUntil(() => servers().every((pid) => !mine.includes(pid)), "the server to end at close()", 10_000);

    // the daemon killed with -9: its server (a child of `sh` here) must not poll forever
    const python = (await hostVenv.ensureInterpreter(checkout("usgs_earthquakes_workspace", "orphan"))).pythonPath;
    const control = join(root, "control", "orphan");
    mkdirSync(control, { recursive: true });
    const parent = spawn("sh", ["-c", `"${python}" "${WRAPPER_SCRIPT_PATH}" --serve "${control}" --keep-tmp & wait`], { stdio: "ignore" });
    await waitUntil(() => readdirSync(control).includes("ready"), "the orphaned server to become ready", 60_000);
    const pid = Number(readFileSync(join(control, "ready"), "utf8"));
    expect(servers()).toContain(pid);
    parent.kill("SIGKILL");
    await waitUntil(() => !servers().includes(pid), `server ${pid} to exit after its parent was killed`, 10_000);
  }, 600_000);
});
