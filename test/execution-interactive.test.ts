/**
 * Interactive lifecycle through the daemon's proxy with the local executor: the first request
 * starts the service on an assigned port, an idle service is stopped after its idle timeout
 * (outcome completed), and the next request starts it again.
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import { request } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { SystemClock } from "../core/index.js";
import { createLocalExecutor, type RunOutcome, type RunnableJob } from "../runner/executors/index.js";
import { createLogStore } from "../runner/logs/index.js";
import { createInteractiveServices, createInteractiveStarter, createReverseProxy, type ReverseProxy } from "../runner/proxy/index.js";
import { createSecretStore } from "../runner/secrets/index.js";

const SERVICE = `
import argparse, json, os
from http.server import BaseHTTPRequestHandler, HTTPServer
p = argparse.ArgumentParser()
for name in ("--run-id", "--trigger", "--entry-point"):
    p.add_argument(name, required=True)
a = p.parse_args()
e = json.loads(a.entry_point)
class H(BaseHTTPRequestHandler):
    def do_GET(self):
        body = json.dumps({"run": a.run_id, "path": self.path, "base": e["run_args"].get("base_path"), "profile": os.environ["WORKSPACE__PROFILE"]}).encode()
        self.send_response(200)
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
print("serving on", e["run_args"]["port"], flush=True)
HTTPServer(("127.0.0.1", e["run_args"]["port"]), H).serve_forever()
`;

let proxy: ReverseProxy | undefined;
afterAll(async () => {
  await proxy?.close();
});

function get(port: number, path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    request({ host: "127.0.0.1", port, path }, (res) => {
      let body = "";
      res.on("data", (chunk: Buffer) => (body += chunk.toString()));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
    })
      .on("error", reject)
      .end();
  });
}

describe("interactive services behind the proxy", () => {
  it("starts on first request, stops when idle, starts again on the next request", async () => {
    const home = mkdtempSync(join(tmpdir(), "sluice-interactive-"));
    writeFileSync(join(home, "fake_service.py"), SERVICE);
    const clock = new SystemClock();
    const logStore = createLogStore({ dir: join(home, "logs") });
    const executor = createLocalExecutor({ clock, logStore, pythonFor: () => "python3" });
    const job: RunnableJob = {
      job_ref: "jobs.svc",
      entry_point: { module: "svc", function: null, job_type: "interactive", launcher: "fake_service" },
      execute: { timeout: { timeout: 1, grace_period: 2 } },
    };
    let counter = 0;
    const outcomes: RunOutcome[] = [];
    const services = createInteractiveServices({
      clock,
      start: async (workspace, name) => {
        const started = await createInteractiveStarter({
          clock,
          context: { secretStore: createSecretStore(join(home, "secrets")), dataRoot: join(home, "data") },
          executor,
          lookup: (w, j) => (w === "ws" && j === "svc" ? { job, workspace: { name: "ws", dir: home } } : undefined),
          newRunId: () => `svc-${++counter}`,
        })(workspace, name);
        void started?.run.outcome.then((outcome) => outcomes.push(outcome));
        return started;
      },
    });
    proxy = createReverseProxy(services);
    const port = await proxy.listen(0);

    const first = await get(port, "/w/ws/svc/hello?x=1");
    expect(first.status).toBe(200);
    expect(JSON.parse(first.body)).toEqual({ run: "svc-1", path: "/hello?x=1", base: null, profile: "prod" });
    expect(JSON.parse((await get(port, "/w/ws/svc/again")).body).run).toBe("svc-1");
    expect(services.list()).toHaveLength(1);
    expect((await get(port, "/w/ws/nothing/")).status).toBe(404);

    const lastRequest = Date.now();
    while (outcomes.length === 0) await new Promise((resolve) => setTimeout(resolve, 50));
    expect(outcomes[0]).toMatchObject({ runId: "svc-1", status: "completed", stopCause: "idle", reason: "stopped after the idle timeout" });
    const idleFor = (outcomes[0]?.termSentMs ?? 0) - lastRequest;
    expect(idleFor).toBeGreaterThanOrEqual(900);
    expect(idleFor).toBeLessThan(2500);
    expect(services.list()).toHaveLength(0);

    const again = await get(port, "/w/ws/svc/");
    expect(JSON.parse(again.body).run).toBe("svc-2");
    await services.stopAll();
    expect(outcomes.map((o) => o.runId)).toEqual(["svc-1", "svc-2"]);
  });
});
