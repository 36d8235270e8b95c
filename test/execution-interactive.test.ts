/**
 * Interactive lifecycle through the daemon's proxy with the local executor: the first request
 * starts the service on an assigned port, an idle service is stopped after its idle timeout
 * (outcome completed), and the next request starts it again.
 */
import { afterAll, describe, expect, it } from "vitest";
import { createLocalExecutor, type RunOutcome, type RunnableJob } from "../runner/executors/index.js";
import { createReverseProxy, type ReverseProxy } from "../runner/proxy/index.js";
import { fakeServiceLauncher } from "./support/fake-launcher.js";
import { httpRequest } from "./support/http.js";
import { createRecordingServices } from "./support/interactive.js";
import { createRunHome } from "./support/run-home.js";
import { delay } from "./support/wait.js";
import { writeFiles } from "./support/workspaces.js";

let proxy: ReverseProxy | undefined;
afterAll(async () => {
  await proxy?.close();
});

describe("interactive services behind the proxy", () => {
  it("starts on first request, stops when idle, starts again on the next request", async () => {
    const { home, clock, logStore, context } = createRunHome("sluice-interactive-");
    writeFiles(home, { "fake_service.py": fakeServiceLauncher("127.0.0.1") });
    const executor = createLocalExecutor({ clock, logStore, pythonFor: () => "python3" });
    const job: RunnableJob = {
      job_ref: "jobs.svc",
      entry_point: { module: "svc", function: null, job_type: "interactive", launcher: "fake_service" },
      execute: { timeout: { timeout: 1, grace_period: 2 } },
    };
    let counter = 0;
    const outcomes: RunOutcome[] = [];
    const services = createRecordingServices(
      {
        clock,
        context,
        executor,
        lookup: (w, j) => (w === "ws" && j === "svc" ? { job, workspace: { name: "ws", dir: home } } : undefined),
        newRunId: () => `svc-${++counter}`,
      },
      outcomes,
    );
    proxy = createReverseProxy(services);
    const port = await proxy.listen(0);

    const first = await httpRequest(port, "/w/ws/svc/hello?x=1");
    expect(first.status).toBe(200);
    expect(JSON.parse(first.body)).toEqual({ run: "svc-1", path: "/hello?x=1", base: null, profile: "prod" });
    expect(JSON.parse((await httpRequest(port, "/w/ws/svc/again")).body).run).toBe("svc-1");
    expect(services.list()).toHaveLength(1);
    expect((await httpRequest(port, "/w/ws/nothing/")).status).toBe(404);

    const lastRequest = Date.now();
    while (outcomes.length === 0) await delay(50);
    expect(outcomes[0]).toMatchObject({ runId: "svc-1", status: "completed", stopCause: "idle", reason: "stopped after the idle timeout" });
    const idleFor = (outcomes[0]?.termSentMs ?? 0) - lastRequest;
    expect(idleFor).toBeGreaterThanOrEqual(900);
    expect(idleFor).toBeLessThan(2500);
    expect(services.list()).toHaveLength(0);

    const again = await httpRequest(port, "/w/ws/svc/");
    expect(JSON.parse(again.body).run).toBe("svc-2");
    await services.stopAll();
    expect(outcomes.map((o) => o.runId)).toEqual(["svc-1", "svc-2"]);
  });
});
