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

/** Resolves once something accepts TCP connections on host:port, or rejects after `timeoutMs` / when `gaveUp()` says so. */
export async function waitForPort(port: number, options: { host?: string; timeoutMs?: number; intervalMs?: number; gaveUp?: () => boolean } = {}): Promise<void> {
  const { connect } = await import("node:net");
  const host = options.host ?? "127.0.0.1";
  const deadline = Date.now() + (options.timeoutMs ?? 60_000);
  for (;;) {
    const open = await new Promise<boolean>((resolve) => {
      const socket = connect({ host, port });
      socket.once("connect", () => {
        socket.destroy();
        resolve(true);
      });
      socket.once("error", () => resolve(false));
    });
    if (open) return;
    if (options.gaveUp?.()) throw new Error(`service on port ${port} ended before it accepted connections`);
    if (Date.now() > deadline) throw new Error(`service on port ${port} did not accept connections in time`);
    await new Promise((resolve) => setTimeout(resolve, options.intervalMs ?? 100));
  }
}
