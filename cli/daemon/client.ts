import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { SluiceError } from "../../core/index.js";
import { DAEMON_INFO_FILE } from "./daemon.js";
import { homeLayout } from "./home.js";
import { SCOPE_HEADERS } from "./runtime-routes.js";

/** Which workspace bare job names resolve in (sent as headers on every request). */
export interface ClientScope {
  /** `-w`: only this workspace. */
  workspace?: string | undefined;
  /** The workspace folder the command runs in: breaks ties between workspaces. */
  defaultWorkspace?: string | undefined;
}

/** Talks to a running daemon with the token from its home. */
export class DaemonClient {
  constructor(
    readonly url: string,
    private readonly token: string,
    private readonly scope: ClientScope = {},
  ) {}

  static async fromHome(home: string, scope: ClientScope = {}): Promise<DaemonClient> {
    const layout = homeLayout(home);
    let info: { url?: string };
    let token: string;
    try {
      info = JSON.parse(await readFile(join(home, DAEMON_INFO_FILE), "utf8")) as { url?: string };
      token = (await readFile(layout.tokenFile, "utf8")).trim();
    } catch {
      throw unreachable(home);
    }
    if (!info.url) throw unreachable(home);
    return new DaemonClient(info.url, token, scope);
  }

  async request<T>(method: string, path: string, body?: unknown): Promise<T> {
    const res = await this.send(method, path, body);
    return (await this.parse(res)) as T;
  }

  /** NDJSON streams (`logs -f`): calls `onObject` per line until the server ends the response. */
  async stream(path: string, onObject: (value: unknown) => void, signal?: AbortSignal): Promise<void> {
    const res = await this.send("GET", path, undefined, signal);
    if (!res.ok || !res.body) {
      await this.parse(res);
      return;
    }
    await this.readLines(res, onObject);
  }

  /** A POST answered either with JSON (returned) or with an NDJSON stream (each object to `onObject`; returns undefined). */
  async postMaybeStream<T>(path: string, body: unknown, onObject: (value: unknown) => void): Promise<T | undefined> {
    const res = await this.send("POST", path, body);
    if (!res.ok || !res.body || !(res.headers.get("content-type") ?? "").startsWith("application/x-ndjson")) return (await this.parse(res)) as T;
    await this.readLines(res, onObject);
    return undefined;
  }

  private async readLines(res: Response, onObject: (value: unknown) => void): Promise<void> {
    const decoder = new TextDecoder();
    let buffer = "";
    for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
      buffer += decoder.decode(chunk, { stream: true });
      let newline = buffer.indexOf("\n");
      while (newline >= 0) {
        const text = buffer.slice(0, newline).trim();
        buffer = buffer.slice(newline + 1);
        if (text) onObject(JSON.parse(text));
        newline = buffer.indexOf("\n");
      }
    }
  }

  /** A long-lived GET (the SSE stream `/v1/events`) as the raw response; `signal` ends it. */
  async open(path: string, signal?: AbortSignal): Promise<Response> {
    const res = await this.send("GET", path, undefined, signal);
    if (!res.ok || !res.body) await this.parse(res);
    return res;
  }

  private async send(method: string, path: string, body?: unknown, signal?: AbortSignal): Promise<Response> {
    try {
      return await fetch(`${this.url}${path}`, {
        method,
        ...(signal ? { signal } : {}),
        headers: { authorization: `Bearer ${this.token}`, ...this.scopeHeaders(), ...(body === undefined ? {} : { "content-type": "application/json" }) },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
    } catch (error) {
      throw new SluiceError("daemon_unreachable", `The Sluice daemon at ${this.url} does not answer.`, { hint: "Start it with `sluice up`.", cause: error });
    }
  }

  private scopeHeaders(): Record<string, string> {
    const headers: Record<string, string> = {};
    if (this.scope.workspace) headers[SCOPE_HEADERS.workspace] = encodeURIComponent(this.scope.workspace);
    if (this.scope.defaultWorkspace) headers[SCOPE_HEADERS.defaultWorkspace] = encodeURIComponent(this.scope.defaultWorkspace);
    return headers;
  }

  private async parse(res: Response): Promise<unknown> {
    const payload = (await res.json().catch(() => ({}))) as { error?: { code: string; message: string; hint?: string } };
    if (!res.ok) {
      const error = payload.error ?? { code: "daemon_error", message: `The daemon answered ${res.status}.` };
      throw new SluiceError(error.code, error.message, error.hint ? { hint: error.hint } : {});
    }
    return payload;
  }
}

function unreachable(home: string): SluiceError {
  return new SluiceError("daemon_unreachable", `No running Sluice daemon found for home ${home}.`, {
    hint: "Start it with `sluice up` (same --home / SLUICE_HOME).",
  });
}
