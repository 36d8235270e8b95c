/**
 * Warm run containers for the Docker executor (docs/performance.md, "Warm run containers"). A
 * batch run's container is created with everything Docker fixes at creation — image, mounts,
 * host name, network, limits — so per workspace, profile, checkout and environment two containers
 * wait with dlt and dlt's launchers imported (`sluice_warm.py --control`). A run is handed to a
 * ready one: its settings folder is filled (the checkout's `.dlt/` and the stored secrets), the
 * run's record is written beside it, and the process becomes `python -m <launcher> <args>` with
 * the run's variables. The executor then follows that container as it follows a cold one.
 *
 * A container is used for one run only, and only when the run's container would have been the
 * same (`warmTargetKey`) and its variables match in everything the interpreter and the imports
 * read (`envMatches`). Anything else starts cold; a hand-off that fails starts cold too.
 */
import { execFileSync } from "node:child_process";
import { closeSync, constants, existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync, writeSync } from "node:fs";
import { Socket } from "node:net";
import { randomBytes } from "node:crypto";
import { join } from "node:path";
import type { ContainerSummary, OutputStreamName } from "../docker/index.js";
import { fillSettingsDir } from "../secrets/index.js";
import { RunLabel, type PreparedRun } from "./prepare-run.js";
import { RunPaths, type RunContainerSpec } from "./run-container-spec.js";
import { WARM_PRELOAD, WARM_SCRIPT_PATH, DEFAULT_MAX_IDLE, DEFAULT_PER_TARGET, earlyOutput, envMatches, isStartupVariable, pickWarm, type EarlyOutput } from "./warm-python.js";
import type { RunContainerEngine } from "./docker-executor.js";
import { refillSize, type RefillCount } from "./warm-refills.js";

export const WARM_RUN_PURPOSE = "run-warm";
/** Host folder of a warm container's slot: its control FIFOs, settings folder and run record. */
export const WARM_SLOT_LABEL = "sluice.warm-slot";
const CONTROL_MOUNT = "/sluice/control";
const SCRIPT_MOUNT = "/sluice/warm/sluice_warm.py";
/** How long a new warm container may take to start and import dlt. */
const READY_TIMEOUT_MS = 120_000;
/** How long a hand-off may take before the run starts cold instead. */
const HANDOFF_MS = 5_000;

export interface WarmContainerOptions {
  engine: RunContainerEngine;
  /** Where the slots' folders go (one per warm container). */
  root: string;
  /** Labels every warm container carries (the executor's instance). */
  scope: Record<string, string>;
  /** Name prefix, e.g. `sluice-warm-<instance>`. */
  namePrefix: string;
  /** Most idle containers kept, the oldest removed first; default 6 (two targets' three). */
  maxIdle?: number;
  /** Containers kept waiting per target; default 3 (each job of a three-job chain finds one, see warm-refills.ts). */
  perTarget?: number;
  /**
   * Aborted when the daemon stops: the containers' output streams are closed (a run's container
   * keeps running for the next daemon; an open stream would keep the stopping process alive).
   */
  signal?: AbortSignal;
}

/** A run's process in a container that was warm: followed like a cold one from here. */
export interface TakenContainer {
  containerId: string;
  /** Forwards the container's output (earlier chunks first); call once. */
  attach(sink: (stream: OutputStreamName, chunk: Buffer) => void): void;
  /** Settles when the container's output stream ends. */
  attached: Promise<void>;
  /** Removes the slot's folder (settings with secrets, run record) once the run is recorded. */
  cleanup(): void;
}

export interface WarmContainers {
  /** The run's container from a ready warm one, or undefined: start it cold. `spec`: the cold container's. */
  take(run: PreparedRun, spec: RunContainerSpec): Promise<TakenContainer | undefined>;
  /** Creates warm containers for runs like this one until `perTarget` wait; `count` 1: at most one now. */
  prepare(run: PreparedRun, spec: RunContainerSpec, count?: RefillCount): void;
  /** How many wait (ready or starting) for a run like this one. */
  waiting(run: PreparedRun, spec: RunContainerSpec): number;
  /** Removes every idle warm container. */
  close(): Promise<void>;
  /** Idle ones, for tests and benches. */
  idle(): Array<{ containerId?: string; ready: boolean; key: string }>;
}

/** What a container that became a run left for a restarted daemon: the run's labels. */
interface SlotRecord {
  labels: Record<string, string>;
}

interface Slot {
  id: string;
  dir: string;
  key: string;
  /** The variables the container was created with (start-up variables of the first run like it). */
  env: Record<string, string>;
  read?: string[];
  state: "starting" | "ready" | "gone";
  settled: Promise<void>;
  containerId?: string;
  control?: { input: number; output: Socket };
  output: EarlyOutput;
  attached: Promise<void>;
  onMessage?: (message: ControlMessage) => void;
}

type ControlMessage = { ready?: boolean; read?: string[]; error?: string; started?: boolean };

/**
 * What makes two runs' containers the same apart from the run itself: everything but the name,
 * labels, command, variables and the settings folder's host path. Runs with a published port
 * (interactive) or a data view (readers) are never warm.
 */
export function warmTargetKey(run: PreparedRun, spec: RunContainerSpec): string | undefined {
  if (run.interactive || run.dataView || spec.publish?.length) return undefined;
  const binds = (spec.binds ?? []).map((bind) => (bind.target === RunPaths.settings ? { ...bind, source: "<settings>" } : bind));
  const { image, workingDir, user, hostname, network, tmpfs, init, resources } = spec;
  return JSON.stringify({ image, python: spec.cmd[0], workingDir, user, hostname, network, binds, tmpfs, init, resources });
}

export function createWarmContainers(options: WarmContainerOptions): WarmContainers {
  const maxIdle = options.maxIdle ?? DEFAULT_MAX_IDLE;
  const perTarget = options.perTarget ?? DEFAULT_PER_TARGET;
  const pool: Slot[] = [];
  /** Images whose preload failed: always cold. */
  const cold = new Set<string>();
  const drop = (slot: Slot) => {
    const index = pool.indexOf(slot);
    if (index >= 0) pool.splice(index, 1);
  };
  const remove = (slot: Slot) => {
    drop(slot);
    void stopSlot(options.engine, slot);
  };
  const waitingFor = (run: PreparedRun, spec: RunContainerSpec) => {
    const key = warmTargetKey(run, spec);
    return key === undefined ? 0 : pool.filter((slot) => slot.state !== "gone" && slot.key === key && envMatches(slot, spec.env ?? {})).length;
  };
  return {
    async take(run, spec) {
      const key = warmTargetKey(run, spec);
      if (key === undefined) return undefined;
      const env = spec.env ?? {};
      const slot = await pickWarm(pool, (candidate) => candidate.key === key && envMatches(candidate, env));
      if (!slot) return undefined;
      drop(slot);
      const taken = await handOff(slot, run, spec);
      if (!taken) void stopSlot(options.engine, slot);
      return taken;
    },
    waiting: waitingFor,
    prepare(run, spec, count = "top-up") {
      const key = warmTargetKey(run, spec);
      if (key === undefined || cold.has(spec.image)) return;
      const env = Object.fromEntries(Object.entries(spec.env ?? {}).filter(([name]) => isStartupVariable(name)));
      for (let i = refillSize(perTarget, waitingFor(run, spec), count); i > 0; i--) {
        const slot = startSlot(options, spec, key, env, {
          onUnusable: () => cold.add(spec.image),
          onGone: () => remove(slot),
        });
        pool.push(slot);
      }
      while (pool.length > maxIdle) {
        const oldest = pool[0];
        if (oldest) remove(oldest);
      }
    },
    async close() {
      await Promise.all(pool.splice(0).map((slot) => stopSlot(options.engine, slot)));
    },
    idle: () => pool.map((slot) => ({ ...(slot.containerId ? { containerId: slot.containerId } : {}), ready: slot.state === "ready", key: slot.key })),
  };
}

interface SlotHooks {
  onUnusable(): void;
  onGone(): void;
}

/** Creates, attaches and starts one warm container; it reports ready over its control FIFO. */
function startSlot(options: WarmContainerOptions, spec: RunContainerSpec, key: string, env: Record<string, string>, hooks: SlotHooks): Slot {
  const id = randomBytes(6).toString("hex");
  const dir = join(options.root, id);
  let markSettled = () => {};
  const slot: Slot = { id, dir, key, env, state: "starting", settled: new Promise<void>((resolve) => (markSettled = resolve)), output: earlyOutput(), attached: Promise.resolve() };
  const gone = () => {
    if (slot.state === "gone") return;
    slot.state = "gone";
    markSettled();
    hooks.onGone();
  };
  const onMessage = (message: ControlMessage) => {
    if (slot.state === "starting" && message.ready === true) {
      slot.read = message.read ?? ["*"];
      slot.state = "ready";
      clearTimeout(readyTimer);
      markSettled();
    } else if (slot.state === "starting" && message.ready === false) {
      hooks.onUnusable();
      gone();
    } else slot.onMessage?.(message);
  };
  const readyTimer = setTimeout(gone, READY_TIMEOUT_MS);
  readyTimer.unref();
  void (async () => {
    try {
      slot.control = openControl(dir, onMessage);
      slot.containerId = await options.engine.createContainer(warmSpec(options, spec, slot));
      // closed or evicted while it was being created
      if (slot.state === "gone") return void (await stopSlot(options.engine, slot));
      const { done } = await options.engine.attach(slot.containerId, slot.output.push, options.signal ? { signal: options.signal } : {});
      // an idle container that ends (its import failed, the engine removed it) is gone
      slot.attached = done;
      void done.then(() => {
        if (slot.state !== "gone" && !slot.onMessage) gone();
      });
      await options.engine.startContainer(slot.containerId);
    } catch {
      clearTimeout(readyTimer);
      gone();
    }
  })();
  return slot;
}

/** The control FIFOs of a slot, held open read-write so neither side's open waits and the container sees EOF only when this process lets go. */
function openControl(dir: string, onMessage: (message: ControlMessage) => void): { input: number; output: Socket } {
  const control = join(dir, "control");
  mkdirSync(control, { recursive: true, mode: 0o700 });
  mkdirSync(join(dir, "settings"), { recursive: true, mode: 0o700 });
  execFileSync("mkfifo", ["-m", "600", join(control, "in"), join(control, "out")]);
  const input = openSync(join(control, "in"), constants.O_RDWR | constants.O_NONBLOCK);
  const output = new Socket({ fd: openSync(join(control, "out"), constants.O_RDWR | constants.O_NONBLOCK), readable: true, writable: false });
  output.unref();
  let pending = "";
  output.on("data", (chunk: Buffer) => {
    pending += chunk.toString("utf8");
    for (let newline = pending.indexOf("\n"); newline >= 0; newline = pending.indexOf("\n")) {
      const line = pending.slice(0, newline);
      pending = pending.slice(newline + 1);
      try {
        onMessage(JSON.parse(line) as ControlMessage);
      } catch {
        // not a control line
      }
    }
  });
  output.on("error", () => undefined);
  return { input, output };
}

function warmSpec(options: WarmContainerOptions, spec: RunContainerSpec, slot: Slot): RunContainerSpec {
  const binds = (spec.binds ?? []).map((bind) => (bind.target === RunPaths.settings ? { ...bind, source: join(slot.dir, "settings") } : bind));
  binds.push({ source: join(slot.dir, "control"), target: CONTROL_MOUNT, readOnly: false }, { source: WARM_SCRIPT_PATH, target: SCRIPT_MOUNT, readOnly: true });
  const python = spec.cmd[0] ?? "python";
  const labels: Record<string, string> = { ...options.scope, [WARM_SLOT_LABEL]: slot.dir };
  for (const name of [RunLabel.workspace, RunLabel.profile]) if (spec.labels?.[name] !== undefined) labels[name] = spec.labels[name];
  return { ...spec, purpose: WARM_RUN_PURPOSE, name: `${options.namePrefix}-${slot.id}`, cmd: [python, SCRIPT_MOUNT, "--control", CONTROL_MOUNT, ...WARM_PRELOAD], env: slot.env, labels, binds };
}

/** Hands `run` to `slot`'s container; resolves once its process has become the run, undefined if it could not. */
async function handOff(slot: Slot, run: PreparedRun, spec: RunContainerSpec): Promise<TakenContainer | undefined> {
  const [argv0, flag, module, ...args] = spec.cmd;
  const { control, containerId } = slot;
  if (flag !== "-m" || !module || !control || !containerId) return undefined;
  if (spec.binds?.some((bind) => bind.target === RunPaths.settings)) {
    fillSettingsDir(join(slot.dir, "settings"), { workspaceDir: run.workspace.dir, profile: run.profile, ...(run.secretsFile ? { secretsFile: run.secretsFile } : {}) });
  }
  writeFileSync(join(slot.dir, "run.json"), JSON.stringify({ labels: spec.labels ?? {} } satisfies SlotRecord));
  const started = new Promise<boolean>((resolve) => {
    const timer = setTimeout(() => resolve(false), HANDOFF_MS);
    slot.onMessage = (message) => {
      if (message.started !== true) return;
      clearTimeout(timer);
      resolve(true);
    };
    void slot.attached.then(() => resolve(false));
  });
  try {
    writeSync(control.input, `${JSON.stringify({ module, args, env: spec.env ?? {}, cwd: spec.workingDir ?? RunPaths.workspace, argv0, merge: true })}\n`);
  } catch {
    return undefined;
  }
  const ok = await started;
  closeControl(slot);
  if (!ok) return undefined;
  return { containerId, attach: slot.output.attach, attached: slot.attached, cleanup: () => rmSync(slot.dir, { recursive: true, force: true }) };
}

function closeControl(slot: Slot): void {
  if (!slot.control) return;
  slot.control.output.destroy();
  try {
    closeSync(slot.control.input);
  } catch {
    // closed already
  }
  delete slot.control;
}

async function stopSlot(engine: RunContainerEngine, slot: Slot): Promise<void> {
  slot.state = "gone";
  closeControl(slot);
  if (slot.containerId) await engine.removeContainer(slot.containerId, { force: true }).catch(() => undefined);
  rmSync(slot.dir, { recursive: true, force: true });
}

/**
 * A warm container as a run container for recovery: the labels of the run it became (from the
 * slot's record), or undefined for one that never became a run (idle, or a hand-off cut short).
 */
export function warmContainerAsRun(container: ContainerSummary): ContainerSummary | undefined {
  const dir = container.labels[WARM_SLOT_LABEL];
  if (!dir || !existsSync(join(dir, "control", "started"))) return undefined;
  try {
    const record = JSON.parse(readFileSync(join(dir, "run.json"), "utf8")) as SlotRecord;
    return { ...container, labels: { ...container.labels, ...record.labels } };
  } catch {
    return undefined;
  }
}

/** Removes the slot folder of a warm container's run (after its outcome is recorded). */
export function removeWarmSlot(container: Pick<ContainerSummary, "labels">): void {
  const dir = container.labels[WARM_SLOT_LABEL];
  if (dir) rmSync(dir, { recursive: true, force: true });
}
