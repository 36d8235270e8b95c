/**
 * A minimal MCP client for the streamable HTTP transport (what fastmcp serves with
 * `transport = "http"`): JSON-RPC POSTs to one endpoint, answers as JSON or as an SSE stream,
 * the session in the `mcp-session-id` header. Enough for initialize + tools/call in tests.
 */
import { httpRequest, type HttpAnswer } from "./http.js";

const PROTOCOL = "2025-03-26";

export interface McpHttpSession {
  /** Sends a request and resolves with its JSON-RPC answer. */
  call(method: string, params: Record<string, unknown>): Promise<Record<string, unknown>>;
  /** The JSON a tool returned (fastmcp puts it in the first text content). */
  tool(name: string, args?: Record<string, unknown>): Promise<unknown>;
}

/** The JSON-RPC message with `id` out of a JSON or `text/event-stream` body. */
function answerOf(answer: HttpAnswer, id: number): Record<string, unknown> {
  const type = String(answer.headers["content-type"] ?? "");
  const bodies = type.includes("text/event-stream")
    ? answer.body
        .replace(/\r\n/g, "\n")
        .split("\n\n")
        .map((block) => block.split("\n").filter((line) => line.startsWith("data:")).map((line) => line.slice(5).trimStart()).join("\n"))
        .filter((data) => data !== "")
    : [answer.body];
  for (const body of bodies) {
    const message = JSON.parse(body) as Record<string, unknown>;
    if (message.id === id) return message;
  }
  throw new Error(`no JSON-RPC answer with id ${id} (HTTP ${answer.status}): ${answer.body.slice(0, 2000)}`);
}

/** Initializes a session at `path` on 127.0.0.1:`port` (a trailing-slash redirect is followed once). */
export async function openMcpHttp(port: number, path: string): Promise<McpHttpSession> {
  let endpoint = path;
  let session: string | undefined;
  let nextId = 0;
  const post = async (message: Record<string, unknown>): Promise<HttpAnswer> => {
    const headers: Record<string, string> = { "content-type": "application/json", accept: "application/json, text/event-stream", "mcp-protocol-version": PROTOCOL };
    if (session) headers["mcp-session-id"] = session;
    let answer = await httpRequest(port, endpoint, { method: "POST", body: JSON.stringify(message), headers });
    if ((answer.status === 307 || answer.status === 308) && answer.headers.location) {
      endpoint = new URL(answer.headers.location, `http://127.0.0.1:${port}${endpoint}`).pathname;
      answer = await httpRequest(port, endpoint, { method: "POST", body: JSON.stringify(message), headers });
    }
    return answer;
  };
  const call = async (method: string, params: Record<string, unknown>): Promise<Record<string, unknown>> => {
    const id = ++nextId;
    const answer = await post({ jsonrpc: "2.0", id, method, params });
    if (answer.status !== 200) throw new Error(`MCP ${method} answered HTTP ${answer.status}: ${answer.body.slice(0, 2000)}`);
    const header = answer.headers["mcp-session-id"];
    if (typeof header === "string") session = header;
    return answerOf(answer, id);
  };
  const init = await call("initialize", { protocolVersion: PROTOCOL, capabilities: {}, clientInfo: { name: "sluice-test", version: "0" } });
  if (!init.result) throw new Error(`MCP initialize failed: ${JSON.stringify(init)}`);
  const initialized = await post({ jsonrpc: "2.0", method: "notifications/initialized" });
  if (initialized.status !== 202 && initialized.status !== 200) throw new Error(`notifications/initialized answered HTTP ${initialized.status}: ${initialized.body}`);
  return {
    call,
    async tool(name, args = {}) {
      const answer = await call("tools/call", { name, arguments: args });
      const result = answer.result as { isError?: boolean; content?: Array<{ type: string; text: string }> } | undefined;
      if (!result || result.isError) throw new Error(`tool ${name} failed: ${JSON.stringify(answer)}`);
      const text = result.content?.find((part) => part.type === "text")?.text;
      if (text === undefined) throw new Error(`tool ${name} returned no text content: ${JSON.stringify(answer)}`);
      return JSON.parse(text) as unknown;
    },
  };
}
