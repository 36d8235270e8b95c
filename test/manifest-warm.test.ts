/**
 * Warm manifest generation (reconciler/manifest/warm-docker-executor.ts) against the cold one, with
 * real dlt in the real workspace images: the same manifest (all but `created_at`), the same job and
 * manifest hashes, also after the workspace's own module changes; every kind of broken deployment
 * module fails with the same user-facing error as cold (no process or /tmp file of a previous
 * generation is left); a generation that hangs or eats memory takes only its fork down and the next one is
 * served by the same warm container.
 * Times are printed (bench/push-to-applied.ts measures them end to end), not asserted.
 */
import { cpSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createDockerodeEngine } from "../runner/docker/index.js";
import { ensureBaseImage } from "../runner/images/index.js";
import { createDockerManifestExecutor, createWarmDockerManifestExecutor, generateManifestWith, WARM_PURPOSE, type WarmDockerManifestExecutor } from "../reconciler/manifest/index.js";
import { waitUntil } from "./support/wait.js";
import { BROKEN_FIXTURES, expectBrokenFailWarmAsCold, expectSameManifest, expectWarmSeesModuleChange, timed } from "./support/manifest-compare.js";

const FIXTURES = resolve(import.meta.dirname, "../fixtures/workspaces");
const engine = createDockerodeEngine();
const instance = `warm-test-${process.pid}`;
let root: string;
let warm: WarmDockerManifestExecutor;
const cold = createDockerManifestExecutor({ engine });

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), "sluice-warm-"));
  warm = createWarmDockerManifestExecutor({ engine, controlRoot: join(root, "control"), instance });
});
afterAll(async () => {
  await warm?.close();
  if (root) rmSync(root, { recursive: true, force: true });
});

/** A checkout of `fixture` under `root/checkouts/<name>` (the warm worker mounts their parent). */
function checkout(fixture: string, name: string): string {
  const dir = join(root, "checkouts", name);
  cpSync(join(FIXTURES, fixture), dir, { recursive: true });
  return dir;
}



const warmContainers = async () => (await engine.listContainers({ "sluice.purpose": WARM_PURPOSE, "sluice.instance": instance })).map((c) => c.id);

/** Every broken fixture, and deployment modules that exit, crash, hang, eat memory or leave a process or state in /tmp behind. */
const BROKEN_MODULES: Record<string, string> = {
  sys_exit: "import sys\n\nsys.exit(5)\n",
  os_exit: "import os\n\nos._exit(3)\n",
  kill_self: "import os, signal\n\nos.kill(os.getpid(), signal.SIGKILL)\n",
  segfault: "import ctypes\n\nctypes.string_at(0)\n",
  eats_memory: "blocks = [b'x' * (256 * 1024 * 1024) for _ in range(64)]\n",
  never_returns: "import time\n\nwhile True:\n    time.sleep(60)\n",
  leaves_process: "import os, subprocess\n\n\ndef running(name):\n    n = 0\n    for p in os.listdir('/proc'):\n        try:\n            n += p.isdigit() and open(f'/proc/{p}/cmdline', 'rb').read().split(b'\\0')[0] == name\n        except OSError:\n            pass\n    return n\n\n\nbefore = running(b'sleep')\nsubprocess.Popen(['sleep', '1000'])\nraise RuntimeError(f'{before} sleep processes were running')\n",
  leaves_tmp_state: "import os\n\nif os.path.exists('/tmp/seen'):\n    raise RuntimeError('a previous generation left /tmp/seen')\nopen('/tmp/seen', 'w').write('x')\nraise RuntimeError('first generation')\n",
};



describe("warm manifest generation", () => {
  it("every broken fixture and a module that exits, kills itself, segfaults, eats memory, hangs, leaves a process running or leaves /tmp state fails warm (twice) with the same code, message, hint and line as cold", async () => {
    const compared = await expectBrokenFailWarmAsCold(warm, cold, join(root, "checkouts"), BROKEN_MODULES);
    expect(compared).toBe(readdirSync(BROKEN_FIXTURES).length + Object.keys(BROKEN_MODULES).length);
  }, 900_000);

  for (const fixture of ["usgs_earthquakes_workspace", "jaffle_shop_workspace"]) {
    it(`${fixture}: the warm manifest equals the cold one but for created_at, with the same job and manifest hashes`, async () => {
      const dir = checkout(fixture, `${fixture}-a`);
      const c = await timed(cold, dir);
      await timed(warm, dir); // the first one starts the container
      const w = await timed(warm, dir);
      console.log(`${fixture}: cold ${c.ms} ms, warm ${w.ms} ms`);
      expectSameManifest(w.generated, c.generated);
    }, 600_000);
  }

  it("after the workspace's own module changes, the warm worker sees the change (equal to a cold generation of the new code)", async () => {
    const dir = checkout("usgs_earthquakes_workspace", "usgs-change");
    await expectWarmSeesModuleChange(warm, cold, dir);
  }, 600_000);

  it("a deployment module that never returns or eats memory fails its generation only: the same warm container serves the next one", async () => {
    const good = checkout("usgs_earthquakes_workspace", "good");
    await timed(warm, good);
    const before = await warmContainers();
    expect(before.length).toBeGreaterThan(0);
    const hang = checkout("usgs_earthquakes_workspace", "hang");
    writeFileSync(join(hang, "__deployment__.py"), "import time\n\nwhile True:\n    time.sleep(60)\n");
    await expect(generateManifestWith({ workspaceDir: hang, executor: warm, timeoutMs: 15_000 })).rejects.toThrow(/timed out|did not finish|time/i);
    const eater = checkout("usgs_earthquakes_workspace", "eater");
    writeFileSync(join(eater, "__deployment__.py"), "blocks = [b'x' * (256 * 1024 * 1024) for _ in range(64)]\n");
    await expect(generateManifestWith({ workspaceDir: eater, executor: warm, timeoutMs: 60_000 })).rejects.toThrow();
    const again = await timed(warm, good);
    expect(Object.keys(again.generated.jobHashes).length).toBeGreaterThan(0);
    expect((await warmContainers()).sort()).toEqual(before.sort());
  }, 600_000);

  it("a killed daemon's warm containers go: the server ends itself after its idle exit (auto-removed), and a restarted daemon removes the rest at once", async () => {
    const orphans = `${instance}-orphan`;
    const containersOf = async (label: string) => (await engine.listContainers({ "sluice.purpose": WARM_PURPOSE, "sluice.instance": label })).map((c) => c.id);
    // a daemon that is never closed, whose server ends itself 3 s after its last request
    const killed = createWarmDockerManifestExecutor({ engine, controlRoot: join(root, "control-killed"), instance: orphans, serverIdleExitMs: 3_000 });
    await timed(killed, checkout("usgs_earthquakes_workspace", "killed"));
    expect(await containersOf(orphans)).toHaveLength(1);
    await waitUntil(async () => (await containersOf(orphans)).length === 0, "the orphaned warm container to end and be removed", 60_000);

    // one left running (no idle exit within the test), then a daemon restarts on the same instance
    const leftBehind = createWarmDockerManifestExecutor({ engine, controlRoot: join(root, "control-left"), instance: orphans });
    await timed(leftBehind, checkout("usgs_earthquakes_workspace", "left"));
    expect(await containersOf(orphans)).toHaveLength(1);
    const restarted = createWarmDockerManifestExecutor({ engine, controlRoot: join(root, "control-restarted"), instance: orphans });
    await waitUntil(async () => (await containersOf(orphans)).length === 0, "the restarted daemon to remove the left warm container without a push", 30_000);
    await restarted.close();
  }, 600_000);

  it("a generation container left ended by a killed Sluice is removed when the next manifest executor (cold or warm) is made; a running one stays", async () => {
    const image = (await ensureBaseImage(engine)).tag;
    const left = async (cmd: string[]) => {
      const id = await engine.createContainer({ image, cmd, purpose: "manifest", network: "none" });
      await engine.startContainer(id);
      return id;
    };
    const listed = async () => (await engine.listContainers({ "sluice.purpose": "manifest" })).map((c) => c.id);
    const makers = [
      () => ({ close: async () => undefined, executor: createDockerManifestExecutor({ engine }) }),
      () => {
        const executor = createWarmDockerManifestExecutor({ engine, controlRoot: join(root, "control-sweep"), instance: `${instance}-sweep` });
        return { close: () => executor.close(), executor };
      },
    ];
    for (const make of makers) {
      const ended = await left(["true"]);
      const running = await left(["sleep", "60"]);
      try {
        await waitUntil(async () => (await engine.listContainers({ "sluice.purpose": "manifest" })).some((c) => c.id === ended && c.state === "exited"), "the left container to be exited", 30_000);
        const made = make();
        await waitUntil(async () => !(await listed()).includes(ended), "the ended generation container to be removed", 30_000);
        expect(await listed()).toContain(running);
        await made.close();
      } finally {
        await engine.removeContainer(running, { force: true });
      }
    }
  }, 300_000);
});
