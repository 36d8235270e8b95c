import { createServer, request, type Server } from "node:http";
import { connect } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { createReverseProxy, parseProxyPath, type ReverseProxy, type ServiceRouter } from "./index.js";

/** Upstream that echoes the path it saw; on upgrade, answers 101 and echoes bytes back. */
async function startUpstream(): Promise<{ server: Server; port: number }> {
  const server = createServer((req, res) => res.end(`path=${req.url}`));
  server.on("upgrade", (req, socket) => {
    socket.write(`HTTP/1.1 101 Switching Protocols\r\nupgrade: websocket\r\nconnection: Upgrade\r\nx-path: ${req.url}\r\n\r\n`);
    socket.on("data", (chunk: Buffer) => socket.write(Buffer.concat([Buffer.from("echo:"), chunk])));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  return { server, port: typeof address === "object" && address ? address.port : 0 };
}

function get(port: number, path: string): Promise<{ status: number; body: string; location?: string }> {
  return new Promise((resolve, reject) => {
    request({ host: "127.0.0.1", port, path }, (res) => {
      let body = "";
      res.on("data", (chunk: Buffer) => (body += chunk.toString()));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body, location: res.headers.location }));
    })
      .on("error", reject)
      .end();
  });
}

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

describe("parseProxyPath", () => {
  it("splits workspace, job and the rest with the query", () => {
    expect(parseProxyPath("/w/gh/notebook/static/app.js?v=1")).toEqual({ workspace: "gh", job: "notebook", prefix: "/w/gh/notebook", rest: "/static/app.js?v=1" });
    expect(parseProxyPath("/w/gh/notebook")?.rest).toBe("/");
    expect(parseProxyPath("/other")).toBeUndefined();
  });
});

describe("reverse proxy", () => {
  async function setup(stripPrefix: boolean) {
    const upstream = await startUpstream();
    const activity: number[] = [];
    const router: ServiceRouter = {
      resolve: async (workspace, job) => (workspace === "gh" && job === "nb" ? { port: upstream.port, stripPrefix } : undefined),
      activity: (_w, _j, delta) => activity.push(delta),
    };
    const proxy: ReverseProxy = createReverseProxy(router);
    const port = await proxy.listen(0);
    cleanups.push(() => proxy.close(), () => void upstream.server.close());
    return { port, activity };
  }

  it("forwards HTTP keeping the prefix for base-path aware services, stripping it otherwise", async () => {
    const kept = await setup(false);
    expect(await get(kept.port, "/w/gh/nb/api/x?y=1")).toMatchObject({ status: 200, body: "path=/w/gh/nb/api/x?y=1" });
    expect(await get(kept.port, "/w/gh/nb")).toMatchObject({ status: 308, location: "/w/gh/nb/" });
    expect(await get(kept.port, "/w/gh/missing/")).toMatchObject({ status: 404 });
    expect(kept.activity.filter((d) => d === 1)).toHaveLength(1);
    const stripped = await setup(true);
    expect(await get(stripped.port, "/w/gh/nb/mcp")).toMatchObject({ status: 200, body: "path=/mcp" });
  });

  it("tunnels websocket upgrades and counts the open connection until it closes", async () => {
    const { port, activity } = await setup(false);
    const socket = connect({ host: "127.0.0.1", port });
    const received: string[] = [];
    socket.on("data", (chunk: Buffer) => received.push(chunk.toString()));
    await new Promise<void>((resolve) => socket.once("connect", () => resolve()));
    socket.write("GET /w/gh/nb/ws HTTP/1.1\r\nhost: x\r\nupgrade: websocket\r\nconnection: Upgrade\r\n\r\n");
    await until(() => received.join("").includes("101 Switching Protocols"));
    expect(received.join("")).toContain("x-path: /w/gh/nb/ws");
    socket.write("ping");
    await until(() => received.join("").includes("echo:ping"));
    expect(activity).toEqual([1]);
    socket.destroy();
    await until(() => activity.length === 2);
    expect(activity).toEqual([1, -1]);
  });
});

async function until(predicate: () => boolean): Promise<void> {
  const deadline = Date.now() + 5000;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error("condition not reached");
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
