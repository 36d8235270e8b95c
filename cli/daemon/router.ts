/**
 * The daemon API's route table on find-my-way (the router Fastify uses): static segments win over
 * `:params` whatever the order of the table, a trailing slash is ignored, params come decoded and
 * by name. What it does not decide, answered here as JSON errors: 404 for a path no route has,
 * 405 (with `Allow`) for a path that exists under other methods, 400 for a path that is not valid
 * percent-encoding (checked first, as find-my-way would answer it with no match).
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import FindMyWay, { type HTTPMethod } from "find-my-way";
import { sendError } from "./http-util.js";

export type Method = Extract<HTTPMethod, "GET" | "POST" | "PUT" | "PATCH" | "DELETE">;

export interface HandlerContext {
  req: IncomingMessage;
  res: ServerResponse;
  /** The route's `:name` segments, percent-decoded. */
  params: Readonly<Record<string, string | undefined>>;
  url: URL;
}

export type Handler = (ctx: HandlerContext) => Promise<void> | void;

export interface Route {
  method: Method;
  /** find-my-way syntax: `/v1/runs/:id/logs`. */
  path: string;
  handler: Handler;
}

export const route = (method: Method, path: string, handler: Handler): Route => ({ method, path, handler });

export interface Router {
  /** Answers the request with its route's handler, or with 400 / 404 / 405. */
  dispatch(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void>;
  /** Every route (method and path), for tests that must cover them all. */
  routes: ReadonlyArray<{ method: Method; path: string }>;
}

/** A param may be a whole job key or repo URL-encoded; longer than this is no name Sluice makes. */
const MAX_PARAM_LENGTH = 2048;

export function createRouter(routes: readonly Route[]): Router {
  const table = FindMyWay({ ignoreTrailingSlash: true, maxParamLength: MAX_PARAM_LENGTH });
  for (const entry of routes) table.on(entry.method, entry.path, () => undefined, entry);
  const methods = [...new Set(routes.map((entry) => entry.method))];

  return {
    routes: routes.map(({ method, path }) => ({ method, path })),
    async dispatch(req, res, url) {
      if (!decodes(url.pathname)) {
        sendError(res, 400, "bad_request", `The path ${url.pathname} is not valid percent-encoding.`, "Encode names with encodeURIComponent.");
        return;
      }
      const method = (req.method ?? "GET").toUpperCase() as Method;
      const found = methods.includes(method) ? table.find(method, url.pathname) : null;
      if (found) {
        await (found.store as Route).handler({ req, res, url, params: found.params });
        return;
      }
      const allowed = methods.filter((other) => table.find(other, url.pathname) !== null);
      if (allowed.length === 0) {
        sendError(res, 404, "not_found", `No endpoint ${req.method} ${url.pathname}.`, "See docs/daemon.md for the endpoints.");
        return;
      }
      res.setHeader("allow", allowed.join(", "));
      sendError(res, 405, "method_not_allowed", `${req.method} is not allowed on ${url.pathname}.`, `Use ${allowed.join(" or ")}.`);
    },
  };
}

function decodes(path: string): boolean {
  try {
    decodeURI(path);
    return true;
  } catch {
    return false;
  }
}
