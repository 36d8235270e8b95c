/**
 * Where each run's process ran (`container 3f2a… on this machine`, `pod sluice-run-… on node
 * worker-2`), as its executor reports it once known; kept in the state file so `sluice info`,
 * `job info` and `runs --output json` (`where`) still say it after the run and after a restart.
 */
import { applyMigrations, type Database } from "../../core/index.js";
import type { SupervisedRun } from "../../runner/executors/index.js";

const MIGRATIONS = [{ id: "001-run-placements", sql: "CREATE TABLE run_placements (run_id TEXT PRIMARY KEY, placement TEXT NOT NULL)" }] as const;

export interface RunPlacements {
  /** Records the run's placement once its executor knows it (a failed lookup records nothing). */
  follow(runId: string, run: SupervisedRun): void;
  get(runId: string): string | null;
}

export function createRunPlacements(db: Database): RunPlacements {
  applyMigrations(db, "run-placements", MIGRATIONS);
  const insert = db.prepare("INSERT OR REPLACE INTO run_placements (run_id, placement) VALUES (?, ?)");
  const select = db.prepare("SELECT placement FROM run_placements WHERE run_id = ?");
  return {
    follow(runId, run) {
      void run.placement?.then(
        (placement) => void insert.run(runId, placement),
        () => undefined,
      );
    },
    get(runId) {
      const row = select.get(runId) as { placement: string } | undefined;
      return row?.placement ?? null;
    },
  };
}
