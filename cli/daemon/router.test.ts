import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { sendJson } from "./http-util.js";
import { createRouter, route, type Route } from "./router.js";

let server: Server | undefined;

afterEach(async () => {
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  server = undefined;
});

/** A real HTTP server answering through a router of `routes`; each handler answers `{ name, params }`. */
async function serve(routes: Route[]): Promise<(path: string, method?: string) => Promise<{ status: number; allow: string | null; body: Record<string, unknown> }>> {
  const router = createRouter(routes);
  server = createServer((req, res) => void router.dispatch(req, res, new URL(req.url ?? "/", "http://localhost")));
  await new Promise<void>((resolve) => server?.listen(0, "127.0.0.1", resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return async (path, method = "GET") => {
    const res = await fetch(`${base}${path}`, { method, signal: AbortSignal.timeout(5_000) });
    return { status: res.status, allow: res.headers.get("allow"), body: (await res.json()) as Record<string, unknown> };
  };
}

const answering = (method: "GET" | "POST" | "DELETE", path: string, name: string): Route =>
  route(method, path, ({ res, params }) => sendJson(res, 200, { name, params: { ...params } }));

describe("the daemon API's router", () => {
  it("sends a static path to its own route even when a :param route of the same shape comes first", async () => {
    const call = await serve([answering("GET", "/v1/runs/:id", "run"), answering("GET", "/v1/runs/latest", "latest")]);
    expect((await call("/v1/runs/latest")).body).toEqual({ name: "latest", params: {} });
    expect((await call("/v1/runs/r-7")).body).toEqual({ name: "run", params: { id: "r-7" } });
  });

  it("gives params by name, percent-decoded (an encoded slash stays inside its param), with or without a trailing slash", async () => {
    const call = await serve([answering("GET", "/v1/jobs/:name", "job"), answering("GET", "/v1/workspaces/:name/deployments", "deployments")]);
    expect((await call("/v1/jobs/usgs%2Fdaily%20run")).body).toEqual({ name: "job", params: { name: "usgs/daily run" } });
    expect((await call("/v1/jobs/usgs%2Fdaily/")).body).toEqual({ name: "job", params: { name: "usgs/daily" } });
    expect((await call("/v1/workspaces/jaffle/deployments/")).body).toEqual({ name: "deployments", params: { name: "jaffle" } });
  });

  it("hands a 300-character param to the route (its own checks refuse bad names, not a 404)", async () => {
    const call = await serve([answering("GET", "/v1/repos/:name", "repo")]);
    const long = "a".repeat(300);
    expect((await call(`/v1/repos/${long}`)).body).toEqual({ name: "repo", params: { name: long } });
  });

  it("answers 405 with an Allow header naming the methods the path has, and 404 for a path no route has", async () => {
    const call = await serve([answering("GET", "/v1/repos/:name", "status"), answering("DELETE", "/v1/repos/:name", "remove"), answering("POST", "/v1/repos", "add")]);
    const wrongMethod = await call("/v1/repos/x", "POST");
    expect(wrongMethod.status).toBe(405);
    expect(wrongMethod.allow).toBe("GET, DELETE");
    expect(wrongMethod.body).toMatchObject({ error: { code: "method_not_allowed", hint: "Use GET or DELETE." } });
    const unknownMethod = await call("/v1/repos", "PUT");
    expect([unknownMethod.status, unknownMethod.allow]).toEqual([405, "POST"]);
    const missing = await call("/v1/nothing/here");
    expect(missing.status).toBe(404);
    expect(missing.body).toMatchObject({ error: { code: "not_found", message: "No endpoint GET /v1/nothing/here." } });
  });

  it("answers 400 bad_request for a path that is not valid percent-encoding, whatever the method", async () => {
    const call = await serve([answering("GET", "/v1/jobs/:name", "job")]);
    for (const method of ["GET", "PUT"]) {
      const bad = await call("/v1/jobs/%zz", method);
      expect(bad.status, method).toBe(400);
      expect(bad.body, method).toMatchObject({ error: { code: "bad_request", message: "The path /v1/jobs/%zz is not valid percent-encoding." } });
    }
  });
});
