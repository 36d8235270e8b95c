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
import {
  createLocalManifestExecutor,
  createWarmLocalManifestExecutor,
  generateManifestWith,
  WRAPPER_SCRIPT_PATH,
  type WarmLocalManifestExecutor,
} from "../reconciler/manifest/index.js";
import { defaultCacheDir, ensureHostVenv } from "../runner/images/index.js";
import { waitUntil } from "./support/wait.js";
import { BROKEN_FIXTURES, expectBrokenFailWarmAsCold, expectSameManifest, expectWarmSeesModuleChange, timed } from "./support/manifest-compare.js";

const FIXTURES = resolve(import.meta.dirname, "../fixtures/workspaces");
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



describe("warm manifest generation with a host interpreter", () => {
  for (const fixture of ["usgs_earthquakes_workspace", "jaffle_shop_workspace"]) {
    it(`${fixture}: the warm manifest equals the cold one but for created_at, with the same job and manifest hashes`, async () => {
      const dir = checkout(fixture, `${fixture}-a`);
      const c = await timed(cold, dir);
      const first = await timed(warm, dir); // starts the server
      const w = await timed(warm, dir);
      console.log(`${fixture} (local): cold ${c.ms} ms, warm first ${first.ms} ms, warm ${w.ms} ms`);
      expectSameManifest(w.generated, c.generated);
      expect(w.generated.environment.executor).toBe("local");
      expect(w.generated.environment.pythonPath).toBe(c.generated.environment.pythonPath);
    }, 600_000);
  }

  it("after the workspace's own module changes, the warm server sees the change (equal to a cold generation of the new code)", async () => {
    const dir = checkout("usgs_earthquakes_workspace", "usgs-change");
    await expectWarmSeesModuleChange(warm, cold, dir);
  }, 600_000);

  it("every broken fixture and a module that exits, kills itself, segfaults, hangs or leaves a process running fails warm (twice) with the same code, message, hint and line as cold", async () => {
    const compared = await expectBrokenFailWarmAsCold(warm, cold, join(root, "checkouts"), BROKEN_MODULES);
    expect(compared).toBe(readdirSync(BROKEN_FIXTURES).length + Object.keys(BROKEN_MODULES).length);
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
