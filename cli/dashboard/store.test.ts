import { afterEach, describe, expect, it } from "vitest";
import type { DaemonEventMessage } from "./api.js";
import { SseParser } from "./api.js";
import { graphLines } from "./graph.js";
import { InMemoryDashboardApi, makeJob, makeRun } from "./memory-api.js";
import { DashboardStore } from "./store.js";
import { until } from "./test-support.js";

let store: DashboardStore | undefined;
afterEach(() => store?.stop());

async function started(api: InMemoryDashboardApi, batchMs = 20): Promise<DashboardStore> {
  store = new DashboardStore(api, { batchMs, backoffMs: [20] });
  store.start();
  await until(() => store?.getState().connection === "live", () => "store live");
  return store;
}

describe("SseParser", () => {
  it("turns event/data blocks split across chunks into messages and skips heartbeats and bad JSON", () => {
    const seen: DaemonEventMessage[] = [];
    const parser = new SseParser((e) => seen.push(e));
    parser.push("retry: 2000\n: connected\n\nid: 1\nevent: run.started\nda");
    parser.push('ta: {"workspace":"usgs","data":{"n":1}}\n\n: heartbeat\n\nevent: x\ndata: {broken\n\n');
    parser.push('id: 2\r\nevent: log.line\r\ndata: {"data":{"text":"hi"}}\r\n\r\n');
    expect(seen).toEqual([
      { type: "run.started", workspace: "usgs", data: { n: 1 } },
      { type: "log.line", workspace: undefined, data: { text: "hi" } },
    ]);
  });
});

describe("DashboardStore", () => {
  it("coalesces a burst of 1000 run events into one or two notifications and keeps the newest run per job", async () => {
    const api = new InMemoryDashboardApi();
    api.jobList = [makeJob("ws", "a"), makeJob("ws", "b")];
    const s = await started(api, 50);
    let notified = 0;
    s.subscribe(() => (notified += 1));
    for (let n = 1; n <= 1000; n++) api.emit({ type: "run.started", workspace: "ws", data: makeRun(n % 2 ? "ws/jobs.a" : "ws/jobs.b", n, "running") });
    api.emit({ type: "run.finished", workspace: "ws", data: makeRun("ws/jobs.a", 3, "completed") });
    await until(() => notified > 0, () => "a notification");
    await new Promise((done) => setTimeout(done, 120));
    expect(notified).toBeLessThanOrEqual(2);
    expect(s.getState().jobs.get("ws/jobs.a")?.lastRun?.number).toBe(999);
    expect(s.getState().jobs.get("ws/jobs.b")?.lastRun).toMatchObject({ number: 1000, status: "running" });
  });

  it("re-fetches the snapshot after a deployment event (new jobs appear)", async () => {
    const api = new InMemoryDashboardApi();
    api.jobList = [makeJob("ws", "a")];
    const s = await started(api);
    api.jobList = [makeJob("ws", "a"), makeJob("ws", "new_job")];
    api.emit({ type: "deployment.applied", workspace: "ws", data: {} });
    await until(() => s.getState().jobs.has("ws/jobs.new_job"), () => "new job after reload");
  });

  it("streams a run's log into the state and marks it complete; opening another run drops the first one's lines", async () => {
    const api = new InMemoryDashboardApi();
    const s = await started(api);
    api.writeLog("r1", "before open");
    s.openLogs("r1");
    api.writeLog("r1", "live line");
    await until(() => s.getState().logs?.lines.length === 2, () => "two lines");
    s.openLogs("r2");
    api.writeLog("r1", "late r1 line");
    api.writeLog("r2", "r2 line");
    await until(() => s.getState().logs?.lines.map((l) => l.text).join() === "r2 line", () => `only r2's line, got ${JSON.stringify(s.getState().logs)}`);
    expect(s.getState().logs?.ended).toBe(false);
  });

  it("goes down with the reason when the daemon stops and comes back live on its own", async () => {
    const api = new InMemoryDashboardApi();
    const s = await started(api);
    api.stopDaemon();
    await until(() => s.getState().connection === "down", () => "down");
    expect(s.getState().problem).toBeTruthy();
    api.down = false;
    await until(() => s.getState().connection === "live", () => "live again");
  });
});

describe("DashboardStore retries", () => {
  it("retries when the snapshot fails and keeps exactly one event stream open afterwards", async () => {
    const api = new InMemoryDashboardApi();
    api.jobList = [makeJob("ws", "a")];
    api.failJobs = 2;
    const s = await started(api);
    expect(s.getState().jobs.has("ws/jobs.a")).toBe(true);
    expect(api.failJobs).toBe(0);
    expect(api.openEventStreams).toBe(1);
  });
});

describe("DashboardStore holds", () => {
  it("re-reads the jobs after a run finishes, so a job another run held shows as fresh again", async () => {
    const api = new InMemoryDashboardApi();
    api.jobList = [makeJob("ws", "up"), makeJob("ws", "down", { held: "freshness: up is not fresh" })];
    const s = await started(api);
    api.jobList = [makeJob("ws", "up", { lastRun: makeRun("ws/jobs.up", 1, "completed") }), makeJob("ws", "down")];
    api.emit({ type: "run.finished", workspace: "ws", data: makeRun("ws/jobs.up", 1, "completed") });
    await until(() => s.getState().jobs.get("ws/jobs.down")?.held === null, () => "hold released", 4000);
    expect(s.getState().jobs.get("ws/jobs.up")?.lastRun?.status).toBe("completed");
  });
});

describe("graphLines", () => {
  it("draws chains from jobs without upstreams, labels edges, draws a second upstream's node once, and still shows jobs in a cycle", () => {
    const jobs = [
      makeJob("w", "a"),
      makeJob("w", "b", { upstreams: [{ key: "w/jobs.a", kind: "success" }] }),
      makeJob("w", "c", { upstreams: [{ key: "w/jobs.a", kind: "fail" }, { key: "w/jobs.b", kind: "fresh" }] }),
      makeJob("w", "x", { upstreams: [{ key: "w/jobs.y", kind: "success" }] }),
      makeJob("w", "y", { upstreams: [{ key: "w/jobs.x", kind: "success" }] }),
    ];
    const text = graphLines(jobs).map((l) => (l.key ? `${l.prefix}${l.edge ? `(${l.edge}) ` : ""}${l.key}${l.repeated ? " ↑" : ""}` : `# ${l.title}`));
    expect(text).toEqual([
      "# w",
      "└─ w/jobs.a",
      "   ├─ (on success) w/jobs.b",
      "   │  └─ (freshness) w/jobs.c",
      "   └─ (on failure) w/jobs.c ↑",
      "└─ w/jobs.x",
      "   └─ (on success) w/jobs.y",
      "      └─ (on success) w/jobs.x ↑",
    ]);
  });
});
