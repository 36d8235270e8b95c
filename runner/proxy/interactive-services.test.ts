import { describe, expect, it } from "vitest";
import { VirtualClock } from "../../core/index.js";
import { superviseRun, type ProcessExit, type SupervisedProcess } from "../executors/index.js";
import { createInteractiveServices, type StartedService } from "./index.js";

/** A service process double: exits 0 on SIGTERM (like a web server), records signals. */
function service(clock: VirtualClock, runId: string, idleTimeoutMs: number) {
  const signals: string[] = [];
  let finish: (exit: ProcessExit) => void = () => {};
  const exited = new Promise<ProcessExit>((resolve) => (finish = resolve));
  const process: SupervisedProcess = {
    exited,
    async signal(signal) {
      signals.push(signal);
      finish({ exitCode: signal === "SIGKILL" ? 137 : 0 });
    },
  };
  const run = superviseRun(process, { runId, clock, startedMs: clock.now(), graceMs: 1000 });
  const started: StartedService = { run, port: 1000 + Number(runId.slice(1)), stripPrefix: true, idleTimeoutMs };
  return { started, signals, finish };
}

describe("interactive services", () => {
  it("keeps a service with an open connection alive past the idle timeout, stops it once idle, restarts on demand", async () => {
    const clock = new VirtualClock(0);
    const made: Array<ReturnType<typeof service>> = [];
    const services = createInteractiveServices({
      clock,
      start: async (workspace, job) => {
        if (workspace !== "ws" || job !== "nb") return undefined;
        const next = service(clock, `r${made.length + 1}`, 60_000);
        made.push(next);
        return next.started;
      },
      waitReady: async () => {},
    });
    expect(await services.resolve("ws", "nb")).toEqual({ port: 1001, stripPrefix: true });
    expect(await services.resolve("ws", "other")).toBeUndefined();
    services.activity("ws", "nb", 1); // a websocket opens at t=0
    clock.advanceTo(10 * 60_000);
    expect(made[0]?.signals).toEqual([]);
    services.activity("ws", "nb", -1); // closes at t=10min
    clock.advanceTo(10 * 60_000 + 59_999);
    expect(made[0]?.signals).toEqual([]);
    clock.advanceTo(11 * 60_000);
    expect(made[0]?.signals).toEqual(["SIGTERM"]);
    expect(await made[0]?.started.run.outcome).toMatchObject({ status: "completed", stopCause: "idle" });
    expect(services.list()).toEqual([]);
    expect(await services.resolve("ws", "nb")).toEqual({ port: 1002, stripPrefix: true });
    await services.stopAll();
    expect(made[1]?.signals).toEqual(["SIGTERM"]);
  });

  it("reports a service that ends before it is ready and starts afresh on the next request", async () => {
    const clock = new VirtualClock(0);
    let attempt = 0;
    const services = createInteractiveServices({
      clock,
      start: async () => {
        attempt += 1;
        const next = service(clock, `r${attempt}`, 1000);
        if (attempt === 1) next.finish({ exitCode: 1 });
        return next.started;
      },
      waitReady: async (started, gaveUp) => {
        await Promise.resolve();
        await Promise.resolve();
        if (gaveUp() || started.run.runId === "r1") throw new Error("service ended before it answered");
      },
    });
    await expect(services.resolve("ws", "nb")).rejects.toThrow(/ended before/);
    expect(services.list()).toEqual([]);
    expect(await services.resolve("ws", "nb")).toEqual({ port: 1002, stripPrefix: true });
  });
});
