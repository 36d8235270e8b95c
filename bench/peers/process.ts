/** Processes the peers bench starts: each in a process group of its own, output to a log file, stopped by group. */
import { spawn } from "node:child_process";
import { closeSync, existsSync, openSync, readFileSync } from "node:fs";
import { createServer } from "node:net";

export function sleep(ms: number): Promise<void> {
  return new Promise((done) => setTimeout(done, ms));
}

/** Groups started and not stopped yet: an interrupted bench stops them (they are detached, so nothing else would). */
const started = new Set<number>();
let stopsOnSignals = false;

function stopStartedOn(signal: NodeJS.Signals): void {
  process.once(signal, () => {
    process.stderr.write(`[peers] ${signal}: stopping ${started.size} started process group(s)\n`);
    void stopGroups([...started], 10_000).finally(() => process.exit(130));
  });
}

/** Starts `command` as the leader of a new process group, stdout and stderr appended to `log`; returns its pid. */
export function startGroup(command: string, args: string[], options: { cwd: string; env: NodeJS.ProcessEnv; log: string }): number {
  const fd = openSync(options.log, "a");
  const child = spawn(command, args, { cwd: options.cwd, env: options.env, detached: true, stdio: ["ignore", fd, fd] });
  closeSync(fd);
  child.unref();
  if (child.pid === undefined) throw new Error(`could not start ${command}: see ${options.log}`);
  if (!stopsOnSignals) {
    stopsOnSignals = true;
    stopStartedOn("SIGINT");
    stopStartedOn("SIGTERM");
  }
  started.add(child.pid);
  return child.pid;
}

function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch {
    return false;
  }
}

/** SIGTERM to each group, SIGKILL to the ones still alive after `graceMs`. */
export async function stopGroups(pgids: number[], graceMs = 20_000): Promise<void> {
  for (const pgid of pgids) if (groupAlive(pgid)) process.kill(-pgid, "SIGTERM");
  const deadline = Date.now() + graceMs;
  while (Date.now() < deadline && pgids.some(groupAlive)) await sleep(250);
  for (const pgid of pgids) if (groupAlive(pgid)) process.kill(-pgid, "SIGKILL");
  for (const pgid of pgids) started.delete(pgid);
}

/** Polls `check` every 500 ms; throws after `timeoutMs` with what was awaited and the end of `log`. */
export async function waitFor(what: string, check: () => boolean | Promise<boolean>, timeoutMs: number, log: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      if (await check()) return;
    } catch {
      // not answering yet
    }
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs / 1000} s. End of ${log}:\n${tail(log, 2500)}`);
    await sleep(500);
  }
}

export function tail(file: string, chars: number): string {
  return existsSync(file) ? readFileSync(file, "utf8").slice(-chars) : "(no log)";
}

export function freePort(): Promise<number> {
  return new Promise((done, fail) => {
    const server = createServer();
    server.once("error", fail);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => (typeof address === "object" && address ? done(address.port) : fail(new Error("no port"))));
    });
  });
}

/** GET `url` and its JSON body; throws on a non-2xx answer. */
export async function getJson(url: string): Promise<unknown> {
  const answer = await fetch(url, { signal: AbortSignal.timeout(3000) });
  if (!answer.ok) throw new Error(`${url}: ${answer.status}`);
  return answer.json();
}
