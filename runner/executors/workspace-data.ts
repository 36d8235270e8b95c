/**
 * Who touches a workspace's data, and how (docs/workspaces.md, "What `access` sees, and the data
 * lock"). Wraps an executor:
 *
 * - Writers (batch runs) of one workspace+profile pass a FIFO gate before their process starts, so
 *   they never meet on a DuckDB file's lock; a waiting run's log says whom it waits for. The
 *   scheduler arms the timeout when `start` resolves, i.e. from the process start. After a writer
 *   ends `completed`, a snapshot of the data dir is taken while the gate is still held.
 * - Readers (interactive runs) never take the gate: they see the newest snapshot of the profile
 *   they read (`access` reads `prod`), its `local` dir read-only and a private copy of its `var`
 *   dir, and dlt opens DuckDB read-only (`DESTINATION__CREDENTIALS__READ_ONLY`).
 */
import { constants, mkdirSync, readdirSync } from "node:fs";
import { cp, rm } from "node:fs/promises";
import { basename, join } from "node:path";
import { errorText, type Clock } from "../../core/index.js";
import type { LogStore } from "../logs/index.js";
import { createDataGate, type DataGate } from "./data-gate.js";
import { createDataSnapshots, type DataSnapshots } from "./data-snapshots.js";
import { RunLabel, type PreparedRun } from "./prepare-run.js";
import type { RunOutcome, SupervisedRun } from "./supervisor.js";

/** The profile whose data a reader under `profile` sees: `access` reads what `prod` loaded. */
export function readsFrom(profile: string): string {
  return profile === "access" ? "prod" : profile;
}

export function dataKey(workspace: string, profile: string): string {
  return `${workspace}/${profile}`;
}

/** Makes dlt open DuckDB destinations read-only (dlt's `DuckDbCredentials.read_only`, any destination name). */
export const READ_ONLY_ENV = { DESTINATION__CREDENTIALS__READ_ONLY: "true" } as const;

export interface WorkspaceDataOptions {
  inner: { start(run: PreparedRun): Promise<SupervisedRun> };
  dataRoot: string;
  logStore: LogStore;
  clock: Clock;
  /** A snapshot that could not be taken (the run's own outcome is not affected). */
  onError?: (message: string, fields: Record<string, unknown>) => void;
  gate?: DataGate;
  snapshots?: DataSnapshots;
  /**
   * The data is not on this machine (Kubernetes volume claims, mounted by the executor): writers are
   * still one at a time per workspace+profile, but nothing is snapshotted here and a reader only
   * gets the read-only DuckDB setting (the executor mounts the claim it reads).
   */
  dataElsewhere?: boolean;
}

export interface WorkspaceData {
  start(run: PreparedRun): Promise<SupervisedRun>;
  /** After a restart: adopted containers keep holding their data (writers) or their snapshot (readers); stale reader copies go. */
  recovered(runs: Array<{ run: SupervisedRun; labels: Record<string, string> }>): void;
  readonly gate: DataGate;
  readonly snapshots: DataSnapshots;
}

interface DataContext {
  options: WorkspaceDataOptions;
  gate: DataGate;
  snapshots: DataSnapshots;
  readersRoot: string;
  system(runId: string, text: string): void;
}

export function createWorkspaceData(options: WorkspaceDataOptions): WorkspaceData {
  const ctx: DataContext = {
    options,
    gate: options.gate ?? createDataGate(),
    snapshots: options.snapshots ?? createDataSnapshots(options.dataRoot),
    readersRoot: join(options.dataRoot, ".readers"),
    system: (runId, text) => void options.logStore.append(runId, "system", text),
  };
  return {
    gate: ctx.gate,
    snapshots: ctx.snapshots,
    start: (run) => (run.interactive ? (options.dataElsewhere ? options.inner.start({ ...run, env: { ...run.env, ...READ_ONLY_ENV } }) : startReader(ctx, run)) : startWriter(ctx, run)),
    recovered: (runs) => recoverHolders(ctx, runs),
  };
}

/** Snapshot after a completed writer (for `prod`, or a profile some reader already reads), then free the gate. */
async function finishWriter(ctx: DataContext, workspace: string, profile: string, completed: boolean, release: () => void): Promise<void> {
  try {
    if (completed && !ctx.options.dataElsewhere && (profile === "prod" || ctx.snapshots.current(workspace, profile))) await ctx.snapshots.take(workspace, profile);
  } catch (error) {
    ctx.options.onError?.("data snapshot failed", { workspace, profile, error: errorText(error) });
  } finally {
    release();
  }
}

async function startWriter(ctx: DataContext, run: PreparedRun): Promise<SupervisedRun> {
  const key = dataKey(run.workspace.name, run.profile);
  const askedMs = ctx.options.clock.now();
  let waited = false;
  const release = await ctx.gate.acquire(key, run.runId, (holder, ahead) => {
    waited = true;
    ctx.system(run.runId, `sluice: waiting for ${key} data: run ${holder} is writing${ahead > 1 ? ` (${ahead} runs ahead of this one)` : ""}`);
  });
  if (waited) ctx.system(run.runId, `sluice: ${key} data is free after ${Math.round((ctx.options.clock.now() - askedMs) / 1000)}s; starting`);
  let supervised: SupervisedRun;
  try {
    supervised = await ctx.options.inner.start(run);
  } catch (error) {
    release();
    throw error;
  }
  // The data is free once the process has ended: the snapshot and the next writer do not wait for
  // the executor's cleanup (a container's removal waits for the engine to release its network).
  // Data elsewhere (Kubernetes claims) stays with the pod until it is deleted: there the outcome decides.
  let finishing: Promise<void> | undefined;
  const finish = (outcome: RunOutcome) => (finishing ??= finishWriter(ctx, run.workspace.name, run.profile, outcome.status === "completed", release));
  if (!ctx.options.dataElsewhere) supervised.onExit(finish);
  // `outcome` settles once the snapshot is taken and the gate is free
  const settled = supervised.outcome.then(async (outcome) => {
    await finish(outcome);
    return outcome;
  });
  return { ...supervised, outcome: settled };
}

/** The newest snapshot; a first one is taken when there is data and no writer holds it (a reader never waits). */
async function snapshotFor(ctx: DataContext, workspace: string, profile: string, runId: string): Promise<string | undefined> {
  const found = ctx.snapshots.current(workspace, profile);
  if (found || !ctx.snapshots.hasLiveData(workspace, profile)) return found;
  const release = ctx.gate.tryAcquire(dataKey(workspace, profile), runId);
  if (!release) return undefined;
  try {
    return await ctx.snapshots.take(workspace, profile);
  } catch (error) {
    ctx.options.onError?.("data snapshot failed", { workspace, profile, error: errorText(error) });
    return undefined;
  } finally {
    release();
  }
}

async function startReader(ctx: DataContext, run: PreparedRun): Promise<SupervisedRun> {
  const workspace = run.workspace.name;
  const source = readsFrom(run.profile);
  const snapshot = await snapshotFor(ctx, workspace, source, run.runId);
  const unuse = snapshot ? ctx.snapshots.use(snapshot) : () => {};
  const own = join(ctx.readersRoot, run.runId);
  const cleanup = async () => {
    unuse();
    await rm(own, { recursive: true, force: true }).catch(() => undefined);
    ctx.snapshots.prune(workspace, source);
  };
  try {
    await rm(own, { recursive: true, force: true });
    mkdirSync(join(own, "local"), { recursive: true });
    if (snapshot) await cp(join(snapshot, "var"), join(own, "var"), { recursive: true, mode: constants.COPYFILE_FICLONE });
    mkdirSync(join(own, "var"), { recursive: true });
    ctx.system(
      run.runId,
      snapshot
        ? `sluice: reading ${dataKey(workspace, source)} data, read-only, as of snapshot ${basename(snapshot)}`
        : `sluice: no ${dataKey(workspace, source)} data to read yet (nothing loaded, or its first run is still writing); the service starts with empty data`,
    );
    const reader: PreparedRun = {
      ...run,
      env: { ...run.env, ...READ_ONLY_ENV },
      dataView: { var: join(own, "var"), local: snapshot ? join(snapshot, "local") : join(own, "local"), ...(snapshot ? { snapshot } : {}) },
      labels: { ...run.labels, [RunLabel.dataSnapshot]: snapshot ?? "" },
    };
    const supervised = await ctx.options.inner.start(reader);
    void supervised.outcome.then(cleanup);
    return supervised;
  } catch (error) {
    await cleanup();
    throw error;
  }
}

/** After a restart: adopted writers hold the gate until they end, adopted readers keep their snapshot. */
function recoverHolders(ctx: DataContext, runs: Array<{ run: SupervisedRun; labels: Record<string, string> }>): void {
  const readers = new Set<string>();
  for (const { run, labels } of runs) {
    const workspace = labels[RunLabel.workspace];
    const profile = labels[RunLabel.profile];
    const snapshot = labels[RunLabel.dataSnapshot];
    if (!workspace || !profile) continue;
    if (snapshot !== undefined) {
      readers.add(run.runId);
      const unuse = snapshot ? ctx.snapshots.use(snapshot) : () => {};
      void run.outcome.then(() => {
        unuse();
        return rm(join(ctx.readersRoot, run.runId), { recursive: true, force: true }).catch(() => undefined);
      });
      continue;
    }
    const release = ctx.gate.tryAcquire(dataKey(workspace, profile), run.runId);
    if (release) void run.outcome.then((outcome) => finishWriter(ctx, workspace, profile, outcome.status === "completed", release));
  }
  removeStaleReaderCopies(ctx.readersRoot, readers);
}

/** Private `var` copies of readers that are not running any more (left by a daemon that stopped). */
function removeStaleReaderCopies(readersRoot: string, keep: ReadonlySet<string>): void {
  let entries: string[] = [];
  try {
    entries = readdirSync(readersRoot);
  } catch {
    return; // no reader ever ran
  }
  for (const runId of entries) if (!keep.has(runId)) void rm(join(readersRoot, runId), { recursive: true, force: true }).catch(() => undefined);
}
