/**
 * A container's exit learnt from the engine's `die` event (runner/docker/exit-events.ts), with a
 * real dockerd: the event alone gives the exit code, a late waiter still gets it, and the events
 * stream never keeps a process alive after its waits.
 */
import { spawn } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { createDockerodeEngine, createEngineExitEvents, type ContainerEngine } from "../runner/docker/index.js";
import { ensureBaseImage } from "../runner/images/index.js";
import { within } from "./support/wait.js";

let engine: ContainerEngine;
let image: string;
const created: string[] = [];

beforeAll(async () => {
  engine = createDockerodeEngine();
  image = (await ensureBaseImage(engine)).tag;
});

afterEach(async () => {
  for (const id of created.splice(0)) await engine.removeContainer(id, { force: true });
});

async function container(script: string, network: "bridge" | "none" = "bridge"): Promise<string> {
  const id = await engine.createContainer({ image, cmd: ["sh", "-c", script], purpose: "test", network, init: true });
  created.push(id);
  return id;
}

describe("exit events", () => {
  it("gives a container's exit code (3) from its die event alone, without docker wait", async () => {
    const id = await container("exit 3");
    const exits = createEngineExitEvents();
    const { exited } = exits.exitOf(id);
    await engine.startContainer(id);
    expect(await within(exited, "the die event of a container exiting 3", 30_000)).toBe(3);
  });

  it("gives a waiter that arrives after the exit the exit code (5), replayed from the engine", async () => {
    const id = await container("exit 5");
    await engine.startContainer(id);
    expect(await within(engine.waitContainer(id), "docker wait", 30_000)).toBe(5);
    const late = createEngineExitEvents().exitOf(id);
    expect(await within(late.exited, "the replayed die event", 10_000)).toBe(5);
  });

  it("waitContainer reports 137 for a container killed with SIGKILL, and each of 4 containers ending together its own code (10–13)", async () => {
    const killed = await container("sleep 60");
    await engine.startContainer(killed);
    const waiting = engine.waitContainer(killed);
    await engine.killContainer(killed, "SIGKILL");
    expect(await within(waiting, "the killed container's exit", 30_000)).toBe(137);
    const ids = await Promise.all([0, 1, 2, 3].map((code) => container(`sleep 0.3; exit ${10 + code}`)));
    await Promise.all(ids.map((id) => engine.startContainer(id)));
    const codes = ids.map((id) => engine.waitContainer(id));
    expect(await within(Promise.all(codes), "four exits", 30_000)).toEqual([10, 11, 12, 13]);
  });

  it("lets a process that waited on a container exit by itself (the events stream is closed after the wait)", async () => {
    const dir = mkdtempSync(join(tmpdir(), "sluice-exit-events-"));
    const script = join(dir, "wait-one.mts");
    const engineModule = resolve("runner/docker/index.ts");
    writeFileSync(
      script,
      `import { createDockerodeEngine } from ${JSON.stringify(engineModule)};
const engine = createDockerodeEngine();
const id = await engine.createContainer({ image: ${JSON.stringify(image)}, cmd: ["sh", "-c", "exit 4"], purpose: "test", network: "bridge", init: true });
await engine.startContainer(id);
const code = await engine.waitContainer(id);
await engine.removeContainer(id, { force: true });
console.log("exit code", code);
`,
    );
    const child = spawn(resolve("node_modules/.bin/tsx"), [script], { stdio: ["ignore", "pipe", "inherit"] });
    let output = "";
    child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()));
    const status = await within(new Promise<number | null>((done) => child.on("exit", done)), "the waiting process to exit by itself", 30_000).finally(() => child.kill("SIGKILL"));
    expect(output).toContain("exit code 4");
    expect(status).toBe(0);
  });
});
