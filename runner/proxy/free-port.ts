/** A free TCP port on loopback, asked from the OS (listen on 0, read the port, close). */
import { createServer } from "node:net";

export function findFreePort(host = "127.0.0.1"): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on("error", reject);
    server.listen(0, host, () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => (port > 0 ? resolve(port) : reject(new Error("no port assigned"))));
    });
  });
}

/**
 * Resolves once an HTTP request to 127.0.0.1:port gets any answer. A TCP probe is not enough:
 * docker's port proxy accepts connections on a published port before the service listens.
 * Rejects after `timeoutMs`, or as soon as `gaveUp()` says the service ended.
 */
export async function waitForHttp(port: number, options: { path?: string; timeoutMs?: number; intervalMs?: number; gaveUp?: () => boolean } = {}): Promise<void> {
  const { request } = await import("node:http");
  const deadline = Date.now() + (options.timeoutMs ?? 60_000);
  for (;;) {
    const answered = await new Promise<boolean>((resolve) => {
      const req = request({ host: "127.0.0.1", port, path: options.path ?? "/", method: "GET", timeout: 2000 }, (res) => {
        res.resume();
        resolve(true);
      });
      req.on("timeout", () => req.destroy());
      req.on("error", () => resolve(false));
      req.end();
    });
    if (answered) return;
    if (options.gaveUp?.()) throw new Error(`service on port ${port} ended before it answered`);
    if (Date.now() > deadline) throw new Error(`service on port ${port} did not answer in time`);
    await new Promise((resolve) => setTimeout(resolve, options.intervalMs ?? 100));
  }
}
