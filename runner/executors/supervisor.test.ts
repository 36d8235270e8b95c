import { describe, expect, it } from "vitest";
import { VirtualClock } from "../../core/index.js";
import type { ProcessExit } from "./outcome.js";
import { superviseRun, type StopSignal, type SupervisedProcess } from "./supervisor.js";

/** A process double that records signals; exits when told (or on SIGKILL, like a real one). */
function fakeProcess(options: { exitOnTerm?: number } = {}) {
  const signals: Array<{ signal: StopSignal }> = [];
  let finish: (exit: ProcessExit) => void = () => {};
  const exited = new Promise<ProcessExit>((resolve) => (finish = resolve));
  const process: SupervisedProcess = {
    exited,
    async signal(signal) {
      signals.push({ signal });
      if (signal === "SIGKILL") finish({ exitCode: 137 });
      else if (options.exitOnTerm !== undefined) finish({ exitCode: options.exitOnTerm });
    },
  };
  return { process, signals, finish };
}

describe("superviseRun", () => {
  it("on timeout sends one SIGTERM, then SIGKILL exactly one grace period later ⇒ cancelled(timeout)", async () => {
    const clock = new VirtualClock(0);
    const { process, signals } = fakeProcess();
    const sent: Array<[StopSignal, number]> = [];
    const run = superviseRun(process, { runId: "r", clock, startedMs: 0, timeoutMs: 60_000, graceMs: 30_000, onSignal: (s) => sent.push([s, clock.now()]) });
    clock.advanceTo(59_999);
    expect(signals).toHaveLength(0);
    clock.advanceTo(60_000);
    expect(run.stop("user")).toBe(false); // a second stop never sends a second SIGTERM
    clock.advanceTo(89_999);
    expect(signals.map((s) => s.signal)).toEqual(["SIGTERM"]);
    clock.advanceTo(90_000);
    const outcome = await run.outcome;
    expect(sent).toEqual([["SIGTERM", 60_000], ["SIGKILL", 90_000]]);
    expect(outcome).toMatchObject({ status: "cancelled", reason: "timeout", exitCode: 137, termSentMs: 60_000, killSentMs: 90_000 });
  });

  it("a clean exit within grace after a timeout is completed", async () => {
    const clock = new VirtualClock(0);
    const { process } = fakeProcess({ exitOnTerm: 0 });
    const run = superviseRun(process, { runId: "r", clock, startedMs: 0, timeoutMs: 1000, graceMs: 500 });
    clock.advanceTo(1000);
    const outcome = await run.outcome;
    expect(outcome).toMatchObject({ status: "completed", stopCause: "timeout", killSentMs: null });
  });

  it("a user cancel is cancelled and counts a re-attached run's timeout from its real start", async () => {
    const clock = new VirtualClock(10_000);
    const { process, signals } = fakeProcess({ exitOnTerm: 1 });
    const run = superviseRun(process, { runId: "r", clock, startedMs: 0, timeoutMs: 12_000, graceMs: 100 });
    clock.advanceTo(12_000);
    expect(signals.map((s) => s.signal)).toEqual(["SIGTERM"]);
    expect((await run.outcome).status).toBe("cancelled");

    const second = fakeProcess({ exitOnTerm: 0 });
    const cancelled = superviseRun(second.process, { runId: "r2", clock, startedMs: clock.now(), graceMs: 100 });
    let seen: string | undefined;
    cancelled.onExit((outcome) => (seen = outcome.status));
    expect(cancelled.stop("user")).toBe(true);
    expect((await cancelled.outcome).status).toBe("cancelled");
    expect(seen).toBe("cancelled");
  });

  it("ends normally without signals", async () => {
    const clock = new VirtualClock(0);
    const { process, finish, signals } = fakeProcess();
    const run = superviseRun(process, { runId: "r", clock, startedMs: 0, timeoutMs: 1000, graceMs: 10, lastLines: () => ["bye"] });
    finish({ exitCode: 3 });
    const outcome = await run.outcome;
    clock.advanceTo(5000);
    expect(signals).toHaveLength(0);
    expect(outcome).toMatchObject({ status: "failed", reason: "exit code 3", lastLines: ["bye"] });
  });
});
