/**
 * Warm interpreters for the local executor (docs/performance.md, "Warm interpreters for the local
 * executor"). Per host python and workspace directory one process waits with dlt and dlt's
 * launchers imported (`sluice_warm.py`); a run is handed to it and it becomes the run's process:
 * its own environment, cwd, sys.argv, a fresh `__main__` and `python -m`'s exit semantics. The
 * executor keeps the ChildProcess as it would keep a cold one (pipes, pid for signals, exit).
 *
 * Exactness: a warm process is only used for a run whose environment has the same value as the
 * warm one's in every variable the interpreter reads at start-up (STARTUP_VARIABLES) and every
 * variable dlt's imports read (recorded by the script). Anything else — no warm process yet, one
 * that died, a python whose imports fail — and the executor starts the run cold.
 */
import { spawn, type ChildProcess } from "node:child_process";
import type { Socket } from "node:net";
import { fileURLToPath } from "node:url";
import { Launcher } from "./job-shape.js";
import { refillSize, type RefillCount } from "./warm-refills.js";

export const WARM_SCRIPT_PATH = fileURLToPath(new URL("./sluice_warm.py", import.meta.url));

/**
 * Imported before a run: dlt, the batch launchers (re-run fresh as `__main__` for each run), and,
 * when installed (`?`), croniter: dlt imports it lazily in every run of a workspace that declares a
 * schedule, and its import (regular expressions, and a `file` subprocess it starts to ask whether
 * the interpreter is 32-bit) took 7–13 ms of each run's start (docs/performance.md).
 */
export const WARM_PRELOAD: readonly string[] = ["dlt", Launcher.job, Launcher.module, "?croniter"];

/** Read by the interpreter itself at start-up (flags, sys.path, encodings, time zone, user site, executable lookup). */
export function isStartupVariable(name: string): boolean {
  return /^(PYTHON|LC_|PYENV)/.test(name) || ["LANG", "LANGUAGE", "TZ", "HOME", "PATH"].includes(name);
}

/** How long a hand-off may take before the run is started cold instead. */
const HANDOFF_MS = 5_000;
/** How long a run waits for a matching interpreter that is still importing before it starts cold. */
const READY_WAIT_MS = 5_000;

export type OutputStream = "stdout" | "stderr";
export type OutputSink = (stream: OutputStream, chunk: Buffer) => void;

/** A started run process: the ChildProcess plus its output from the start (a warm one's import output included). */
export interface RunProcess {
  child: ChildProcess;
  /** Forwards all output, earlier chunks first; call once. */
  attach(sink: OutputSink): void;
  warm: boolean;
}

export interface RunSpawn {
  python: string;
  /** `[python, "-m", module, ...args]` (launcherArgv). */
  argv: string[];
  cwd: string;
  env: NodeJS.ProcessEnv;
}

export interface WarmPool {
  /** The run's process from a warm interpreter, or undefined: start it cold. */
  take(run: RunSpawn): Promise<RunProcess | undefined>;
  /** Starts warm interpreters for runs like `run` until `perTarget` wait; `count` 1: at most one now. */
  prepare(run: RunSpawn, count?: RefillCount): void;
  /** How many wait (ready or starting) for a run like `run`. */
  waiting(run: RunSpawn): number;
  /** Ends every idle warm interpreter. */
  close(): void;
  /** Idle ones, for tests and benches: pid and whether it is ready. */
  idle(): Array<{ pid: number | undefined; python: string; cwd: string; ready: boolean }>;
}

export interface WarmPoolOptions {
  /** Most idle interpreters kept (the oldest is ended first); default 6, two targets' three (~110 MB each with dlt imported). */
  maxIdle?: number;
  /**
   * Interpreters kept waiting per python, workspace and start-up environment; default 3, so the
   * jobs of a chain (ingest → transform → report) triggered one after the other each find one
   * ready while the replacements wait for the runs to end (runner/executors/warm-refills.ts).
   */
  perTarget?: number;
  preload?: readonly string[];
}

interface WarmProcess {
  python: string;
  cwd: string;
  env: Record<string, string>;
  child: ChildProcess;
  control: Socket;
  output: Buffered;
  /** Variables that must match; known once ready ("*" = the whole environment). */
  read?: string[];
  state: "starting" | "ready" | "gone";
  /** Settles when the process is no longer starting (ready or gone). */
  settled: Promise<void>;
  onMessage?: (message: ControlMessage) => void;
}

export function createWarmPool(options: WarmPoolOptions = {}): WarmPool {
  const maxIdle = options.maxIdle ?? DEFAULT_MAX_IDLE;
  const perTarget = options.perTarget ?? DEFAULT_PER_TARGET;
  const preload = options.preload ?? WARM_PRELOAD;
  const pool: WarmProcess[] = [];
  /** Pythons whose preload failed: always cold. */
  const cold = new Set<string>();
  const drop = (warm: WarmProcess) => {
    const index = pool.indexOf(warm);
    if (index >= 0) pool.splice(index, 1);
  };
  const waitingFor = (run: RunSpawn) => {
    const env = plainEnv(run.env);
    return pool.filter((warm) => warm.state !== "gone" && sameTarget(warm, run.python, run.cwd) && envMatches(warm, env)).length;
  };
  return {
    waiting: waitingFor,
    async take(run) {
      const env = plainEnv(run.env);
      const warm = await pickWarm(pool, (candidate) => sameTarget(candidate, run.python, run.cwd) && envMatches(candidate, env));
      if (!warm) return undefined;
      drop(warm);
      return handOff(warm, run, env);
    },
    prepare(run, count = "top-up") {
      if (cold.has(run.python)) return;
      const env = plainEnv(run.env);
      for (let i = refillSize(perTarget, waitingFor(run), count); i > 0; i--) {
        const warm = startWarm(run.python, run.cwd, env, preload, {
          onUnusable: () => cold.add(run.python),
          onGone: () => drop(warm),
        });
        pool.push(warm);
      }
      while (pool.length > maxIdle) stopWarm(pool.shift());
    },
    close() {
      for (const warm of pool.splice(0)) stopWarm(warm);
    },
    idle: () => pool.map((warm) => ({ pid: warm.child.pid, python: warm.python, cwd: warm.cwd, ready: warm.state === "ready" })),
  };
}

/** Warm ones kept per target by default (local interpreters and Docker containers alike). */
export const DEFAULT_PER_TARGET = 3;
/** Warm ones kept in all by default. */
export const DEFAULT_MAX_IDLE = 6;
/** What `pickWarm` needs of a waiting interpreter or container. */
export interface Waiting {
  state: "starting" | "ready" | "gone";
  /** Settles when it is no longer starting (ready or gone). */
  settled: Promise<void>;
}

/**
 * A ready one that fits, else one that fits and is still importing, waited for (it has a head
 * start on a cold start and does not compete with it for CPU) at most READY_WAIT_MS; undefined:
 * start cold.
 */
export async function pickWarm<T extends Waiting>(pool: readonly T[], fits: (candidate: T) => boolean): Promise<T | undefined> {
  const ready = pool.find((candidate) => candidate.state === "ready" && fits(candidate));
  if (ready) return ready;
  const starting = pool.find((candidate) => candidate.state === "starting" && fits(candidate));
  if (!starting) return undefined;
  await settledWithin(starting, READY_WAIT_MS);
  return starting.state === "ready" && pool.includes(starting) && fits(starting) ? starting : undefined;
}

/** Waits (a referenced timer: a waiting run keeps the daemon alive) until `warm` is ready or gone, at most `ms`. */
function settledWithin(warm: Waiting, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<void>((resolve) => (timer = setTimeout(resolve, ms)));
  return Promise.race([warm.settled, timeout]).finally(() => clearTimeout(timer));
}

/** The environment as `spawn` passes it: unset values left out, the rest as strings. */
export function plainEnv(env: NodeJS.ProcessEnv): Record<string, string> {
  const result: Record<string, string> = {};
  for (const [name, value] of Object.entries(env)) if (value !== undefined) result[name] = String(value);
  return result;
}

function sameTarget(warm: WarmProcess, python: string, cwd: string): boolean {
  return warm.python === python && warm.cwd === cwd;
}

/**
 * Same value (or both unset) in every start-up variable and every variable the imports read:
 * a name, `PREFIX*` (every variable with that prefix) or `*` (the whole environment).
 */
export function envMatches(warm: { env: Record<string, string>; read?: string[] }, env: Record<string, string>): boolean {
  const read = warm.read ?? [];
  if (read.includes("*")) return sameRecord(warm.env, env);
  const prefixes = read.filter((name) => name.endsWith("*")).map((name) => name.slice(0, -1));
  const compared = (name: string) => isStartupVariable(name) || prefixes.some((prefix) => name.startsWith(prefix));
  const names = new Set([...Object.keys(warm.env), ...Object.keys(env)].filter(compared));
  for (const name of read) if (!name.endsWith("*")) names.add(name);
  for (const name of names) if (warm.env[name] !== env[name]) return false;
  return true;
}

function sameRecord(a: Record<string, string>, b: Record<string, string>): boolean {
  const keys = Object.keys(a);
  return keys.length === Object.keys(b).length && keys.every((key) => a[key] === b[key]);
}

interface Buffered {
  attach(sink: OutputSink): void;
}

/** Output kept until a sink is attached, then forwarded (a warm process's import output belongs to its run). */
export interface EarlyOutput extends Buffered {
  push(stream: OutputStream, chunk: Buffer): void;
}

export function earlyOutput(): EarlyOutput {
  const early: Array<[OutputStream, Buffer]> = [];
  let sink: OutputSink | undefined;
  return {
    push: (stream, chunk) => (sink ? sink(stream, chunk) : void early.push([stream, chunk])),
    attach(next) {
      for (const [stream, chunk] of early.splice(0)) next(stream, chunk);
      sink = next;
    },
  };
}

/** Collects a process's output until a sink is attached, then forwards it. */
export function bufferOutput(child: ChildProcess): Buffered {
  const output = earlyOutput();
  child.stdout?.on("data", (chunk: Buffer) => output.push("stdout", chunk));
  child.stderr?.on("data", (chunk: Buffer) => output.push("stderr", chunk));
  return { attach: output.attach };
}

interface WarmHooks {
  onUnusable(error: string): void;
  onGone(): void;
}

type ControlMessage = { ready?: boolean; read?: string[]; error?: string; started?: boolean };

function startWarm(python: string, cwd: string, env: Record<string, string>, preload: readonly string[], hooks: WarmHooks): WarmProcess {
  const child = spawn(python, [WARM_SCRIPT_PATH, ...preload], { cwd, env, stdio: ["ignore", "pipe", "pipe", "pipe"] });
  const control = child.stdio[3] as Socket;
  let markSettled = () => {};
  const settled = new Promise<void>((resolve) => (markSettled = resolve));
  const warm: WarmProcess = { python, cwd, env, child, control, output: bufferOutput(child), state: "starting", settled };
  // an idle interpreter never keeps the daemon alive; it exits by itself when the control channel closes
  for (const handle of [child, control, child.stdout, child.stderr] as Array<{ unref?: () => void } | null>) handle?.unref?.();
  const gone = () => {
    warm.state = "gone";
    markSettled();
    hooks.onGone();
  };
  child.on("error", gone);
  child.on("exit", gone);
  control.on("error", () => undefined);
  readLines(control, (message) => {
    if (warm.state === "starting" && message.ready === true) {
      warm.read = message.read ?? ["*"];
      warm.state = "ready";
      markSettled();
    } else if (warm.state === "starting" && message.ready === false) {
      hooks.onUnusable(message.error ?? "preload failed");
      stopWarm(warm);
    } else warm.onMessage?.(message);
  });
  return warm;
}

function readLines(socket: Socket, onMessage: (message: ControlMessage) => void): void {
  let pending = "";
  socket.on("data", (chunk: Buffer) => {
    pending += chunk.toString("utf8");
    let newline = pending.indexOf("\n");
    while (newline >= 0) {
      const line = pending.slice(0, newline);
      pending = pending.slice(newline + 1);
      try {
        onMessage(JSON.parse(line) as ControlMessage);
      } catch {
        // not a control message: ignored
      }
      newline = pending.indexOf("\n");
    }
  });
}

/** Sends the run to `warm`; resolves with its process once it has become the run, undefined if it could not. */
function handOff(warm: WarmProcess, run: RunSpawn, env: Record<string, string>): Promise<RunProcess | undefined> {
  const [argv0, flag, module, ...args] = run.argv;
  if (flag !== "-m" || !module) {
    stopWarm(warm);
    return Promise.resolve(undefined);
  }
  const { child, control } = warm;
  return new Promise((resolve) => {
    let settled = false;
    const finish = (started: boolean) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      child.off("exit", failed);
      if (!started) {
        stopWarm(warm);
        resolve(undefined);
        return;
      }
      // from here on the process is the run: kept alive and referenced like a cold one
      for (const handle of [child, child.stdout, child.stderr] as Array<{ ref?: () => void } | null>) handle?.ref?.();
      resolve({ child, attach: warm.output.attach, warm: true });
    };
    const failed = () => finish(false);
    const timer = setTimeout(failed, HANDOFF_MS);
    child.once("exit", failed);
    control.once("close", failed);
    warm.onMessage = (message) => {
      if (message.started === true) finish(true);
    };
    control.write(`${JSON.stringify({ module, args, env, cwd: run.cwd, argv0: argv0 ?? run.python, spawned: warm.env })}\n`);
  });
}

function stopWarm(warm: WarmProcess | undefined): void {
  if (!warm) return;
  warm.state = "gone";
  warm.control.destroy();
  if (warm.child.exitCode === null && warm.child.signalCode === null) warm.child.kill("SIGTERM");
}
