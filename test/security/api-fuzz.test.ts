/**
 * Fuzzing every API request body (issue 12, "Bad input"): POST bodies of trigger, cancel, deploy,
 * serve, repos, rollback and exec, raw non-JSON bodies, malformed percent-escapes in paths and
 * scope headers, and oversized bodies, against an in-process daemon with the real runtime (SQLite
 * scheduler, local executor). Never a 5xx: every refusal is a 4xx with a JSON error code and
 * message. Fixed seeds, bounded runs.
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { composeRuntime } from "../../cli/compose/runtime.js";
import type { RunningDaemon } from "../../cli/daemon/daemon.js";
import { startDaemon } from "../../cli/daemon/daemon.js";
import { MAX_BODY_BYTES } from "../../cli/daemon/http-util.js";
import { silentLogger } from "../../core/index.js";
import { JsonManifestPort, tempDir } from "../reconcile-support.js";

let tmp: ReturnType<typeof tempDir>;
let daemon: RunningDaemon;

beforeAll(async () => {
  tmp = tempDir("sluice-api-fuzz-");
  daemon = await startDaemon({
    home: join(tmp.path, "home"),
    overrides: { api: { host: "127.0.0.1", port: 0 }, pollIntervalMs: 60_000, runExecutor: "local", manifestExecutor: "local", proxyPort: 0 },
    ports: { manifests: new JsonManifestPort(), validator: null },
    runtime: composeRuntime,
    logger: silentLogger,
  });
}, 30_000);
afterAll(async () => {
  await daemon?.stop();
  tmp?.cleanup();
});

const NASTY = ["", " ", "..", "../../etc/passwd", "/etc", "a\u0000b", "x".repeat(300), "%2e%2e", "*", "manual:*", "schedule:*", "jobs..", "\u202e", "a/b"];
const nasty = fc.constantFrom(...NASTY);
/** Any JSON value, nasty path-like strings, and lists of them. */
const anyValue = fc.oneof(fc.jsonValue({ maxDepth: 2 }), nasty, fc.array(fc.oneof(nasty, fc.string({ maxLength: 12 })), { maxLength: 3 }), fc.string({ maxLength: 20 }));

function bodyOf(keys: Record<string, fc.Arbitrary<unknown>>): fc.Arbitrary<string> {
  const known = fc.record(keys, { requiredKeys: [] }).map((o) => JSON.stringify(o));
  return fc.oneof(
    { weight: 4, arbitrary: known },
    { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 2 }).map((v) => JSON.stringify(v)) },
    { weight: 1, arbitrary: fc.string({ maxLength: 30 }) },
    { weight: 1, arbitrary: fc.constantFrom("{", "[]", "null", '{"__proto__":{"x":1}}', '{"constructor":{"prototype":{}}}', "\u0000", "{}".padStart(50, " ")) },
  );
}

const boolish = fc.oneof(fc.boolean(), anyValue);
/** A deploy dir that does not exist, so a fuzzed body can never deploy a real folder. */
const missingDir = fc.oneof(anyValue, fc.string({ maxLength: 12 }).map((s) => join("/nonexistent-sluice-fuzz", s)));
const repoUrl = fc.oneof(anyValue.filter((v) => typeof v !== "string"), fc.constantFrom("", "not a url", "/nonexistent.git", "file:///nonexistent.git", "../x"));

const ENDPOINTS: { path: string; body: fc.Arbitrary<string> }[] = [
  { path: "/v1/trigger", body: bodyOf({ selectors: anyValue, only: anyValue, refresh: boolish, dryRun: boolish, profile: anyValue }) },
  { path: "/v1/cancel", body: bodyOf({ selectors: anyValue, dryRun: boolish }) },
  { path: "/v1/deploy", body: bodyOf({ dir: missingDir, workspace: anyValue, script: anyValue, dryRun: boolish, showManifest: boolish }) },
  { path: "/v1/serve", body: bodyOf({ job: anyValue }) },
  { path: "/v1/exec", body: bodyOf({ workspace: anyValue, profile: anyValue, job: anyValue }) },
  { path: "/v1/repos", body: bodyOf({ name: anyValue, url: repoUrl, push: fc.constantFrom(false, undefined, "yes", 1), branch: anyValue, path: anyValue, github: anyValue }) },
  { path: "/v1/workspaces/shop/rollback", body: bodyOf({ to: fc.oneof(anyValue, fc.integer(), fc.double()) }) },
  { path: "/v1/runs/x/cancel", body: bodyOf({}) },
];

async function post(path: string, body: string, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(`${daemon.url}${path}`, {
    method: "POST",
    headers: { authorization: `Bearer ${daemon.token}`, "content-type": "application/json", ...headers },
    body,
    signal: AbortSignal.timeout(10_000),
  });
}

/** Not a 5xx; a 4xx carries `{ error: { code, message } }`; a 2xx is JSON. */
async function expectClearAnswer(res: Response, what: string): Promise<void> {
  expect(res.status, what).toBeLessThan(500);
  const text = await res.text();
  const json = JSON.parse(text) as { error?: { code?: unknown; message?: unknown } };
  if (res.status >= 400) {
    expect(typeof json.error?.code, `${what}: ${text}`).toBe("string");
    expect(typeof json.error?.message, `${what}: ${text}`).toBe("string");
  }
}

describe("fuzzing API request bodies (fixed seeds, 60 runs per endpoint)", () => {
  for (const [i, endpoint] of ENDPOINTS.entries()) {
    it(`POST ${endpoint.path}: any body gets a clear answer, never a 5xx`, async () => {
      await fc.assert(
        fc.asyncProperty(endpoint.body, async (body) => {
          await expectClearAnswer(await post(endpoint.path, body), `${endpoint.path} ${body}`);
        }),
        { seed: 1200 + i, numRuns: 60 },
      );
    }, 60_000);
  }

  it("malformed percent-escapes in path parts and scope headers are a 400, not a crash", async () => {
    for (const path of ["/v1/repos/%E0%A4%A", "/v1/jobs/%", "/v1/runs/%ZZ", "/v1/workspaces/%/deployments"]) {
      const res = await fetch(`${daemon.url}${path}`, { headers: { authorization: `Bearer ${daemon.token}` }, signal: AbortSignal.timeout(10_000) });
      expect(res.status, path).toBe(400);
      await expectClearAnswer(res, path);
    }
    const res = await post("/v1/trigger", JSON.stringify({ selectors: ["*"], dryRun: true }), { "x-sluice-workspace": "%E0%A4%A" });
    expect(res.status).toBe(400);
    await expectClearAnswer(res, "scope header");
  });

  it("a body over 1 MiB is refused with 413 body_too_large, by Content-Length and when streamed in chunks", async () => {
    const big = JSON.stringify({ selectors: ["x".repeat(MAX_BODY_BYTES)] });
    const res = await post("/v1/trigger", big);
    expect(res.status).toBe(413);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe("body_too_large");
    const chunk = new TextEncoder().encode(" ".repeat(64 * 1024));
    let sent = 0;
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent++ < 20) controller.enqueue(chunk);
        else controller.close();
      },
    });
    const streamed = await fetch(`${daemon.url}/v1/cancel`, {
      method: "POST",
      headers: { authorization: `Bearer ${daemon.token}`, "content-type": "application/json" },
      body: stream,
      duplex: "half",
      signal: AbortSignal.timeout(10_000),
    } as RequestInit);
    expect(streamed.status).toBe(413);
    expect(((await streamed.json()) as { error: { code: string } }).error.code).toBe("body_too_large");
    // the daemon still answers afterwards
    expect((await post("/v1/cancel", JSON.stringify({ selectors: ["*"], dryRun: true }))).status).toBeLessThan(500);
  });

  it("no fuzzed body deployed anything or created a folder outside the daemon home", () => {
    expect(existsSync("/nonexistent-sluice-fuzz")).toBe(false);
    expect(existsSync("/etc/passwd.git")).toBe(false);
  });
});
