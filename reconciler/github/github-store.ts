/**
 * The durable side of GitHub reporting: repo bindings (`repo add --github`), the report queue,
 * check run ids per report stream, and webhook deliveries already seen.
 */
import type { Database } from "../../core/index.js";
import { applyMigrations } from "../../core/index.js";
import { GITHUB_MIGRATION_PART, githubMigrations } from "./migrations.js";

export interface QueuedReport {
  id: number;
  stream: string;
  kind: string;
  payload: unknown;
  attempts: number;
  nextAt: number;
}

interface ReportRow {
  id: number;
  stream: string;
  kind: string;
  payload: string;
  attempts: number;
  next_at: number;
}

/** `owner/repo`: GitHub's spelling rules, loosely (letters, digits, '-', '_', '.'). */
export const FULL_NAME_RE = /^[A-Za-z0-9][A-Za-z0-9-]*\/[A-Za-z0-9._-]+$/;

/** `owner/repo` of a github.com URL (https, ssh or scp-like), or null. */
export function githubFullNameOf(url: string): string | null {
  const match = /^(?:https?:\/\/(?:[^@/]+@)?github\.com\/|ssh:\/\/git@github\.com\/|git@github\.com:)([^/]+\/[^/]+?)(?:\.git)?\/?$/.exec(url.trim());
  return match?.[1] && FULL_NAME_RE.test(match[1]) ? match[1] : null;
}

export class GitHubStore {
  constructor(
    private readonly db: Database,
    private readonly now: () => number = Date.now,
  ) {
    applyMigrations(db, GITHUB_MIGRATION_PART, githubMigrations);
  }

  bind(repo: string, fullName: string): void {
    this.db.prepare("INSERT INTO github_bindings (repo, full_name) VALUES (?, ?) ON CONFLICT (repo) DO UPDATE SET full_name = excluded.full_name").run(repo, fullName);
  }

  unbind(repo: string): void {
    this.db.prepare("DELETE FROM github_bindings WHERE repo = ?").run(repo);
  }

  bindingOf(repo: string): string | undefined {
    return (this.db.prepare("SELECT full_name FROM github_bindings WHERE repo = ?").get(repo) as { full_name: string } | undefined)?.full_name;
  }

  /** Sluice repos bound to `owner/repo` (GitHub names are case-insensitive). */
  reposOf(fullName: string): string[] {
    const rows = this.db.prepare("SELECT repo FROM github_bindings WHERE lower(full_name) = lower(?) ORDER BY repo").all(fullName) as { repo: string }[];
    return rows.map((r) => r.repo);
  }

  enqueue(stream: string, kind: string, payload: unknown): number {
    const now = this.now();
    const info = this.db
      .prepare("INSERT INTO github_reports (stream, kind, payload, state, next_at, created_at) VALUES (?, ?, ?, 'pending', ?, ?)")
      .run(stream, kind, JSON.stringify(payload), now, now);
    return Number(info.lastInsertRowid);
  }

  /** The oldest pending report of every stream (a stream is delivered strictly in order). */
  heads(): QueuedReport[] {
    const rows = this.db
      .prepare("SELECT r.* FROM github_reports r JOIN (SELECT MIN(id) AS id FROM github_reports WHERE state = 'pending' GROUP BY stream) h ON r.id = h.id ORDER BY r.id")
      .all() as ReportRow[];
    return rows.map((r) => ({ id: r.id, stream: r.stream, kind: r.kind, payload: JSON.parse(r.payload) as unknown, attempts: r.attempts, nextAt: r.next_at }));
  }

  pendingCount(): number {
    return (this.db.prepare("SELECT COUNT(*) AS n FROM github_reports WHERE state = 'pending'").get() as { n: number }).n;
  }

  markDone(id: number): void {
    this.db.prepare("UPDATE github_reports SET state = 'done', last_error = NULL WHERE id = ?").run(id);
  }

  markDropped(id: number, error: string): void {
    this.db.prepare("UPDATE github_reports SET state = 'dropped', last_error = ? WHERE id = ?").run(error, id);
  }

  markRetry(id: number, nextAt: number, error: string): void {
    this.db.prepare("UPDATE github_reports SET attempts = attempts + 1, next_at = ?, last_error = ? WHERE id = ?").run(nextAt, error, id);
  }

  checkRunId(stream: string): number | undefined {
    return (this.db.prepare("SELECT check_run_id FROM github_check_runs WHERE stream = ?").get(stream) as { check_run_id: number } | undefined)?.check_run_id;
  }

  setCheckRunId(stream: string, id: number): void {
    this.db.prepare("INSERT INTO github_check_runs (stream, check_run_id) VALUES (?, ?) ON CONFLICT (stream) DO UPDATE SET check_run_id = excluded.check_run_id").run(stream, id);
  }

  /** Records a webhook delivery id; false when it was seen before (a redelivery). */
  firstDelivery(id: string): boolean {
    const info = this.db.prepare("INSERT OR IGNORE INTO github_deliveries (id, received_at) VALUES (?, ?)").run(id, this.now());
    if (info.changes > 0) this.db.prepare("DELETE FROM github_deliveries WHERE received_at < ?").run(this.now() - 7 * 86_400_000);
    return info.changes > 0;
  }
}
