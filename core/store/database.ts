/**
 * The embedded state store: one SQLite file (better-sqlite3 is imported only here).
 * Each part of Sluice brings its own ordered migrations under a name; applied ones are
 * recorded so a restart never re-runs them.
 */
import BetterSqlite3 from "better-sqlite3";

export type Database = BetterSqlite3.Database;

export interface Migration {
  /** Unique within its part, applied in array order. */
  id: string;
  sql: string;
}

export function openDatabase(file: string): Database {
  const db = new BetterSqlite3(file);
  db.pragma("journal_mode = WAL");
  db.pragma("synchronous = NORMAL");
  db.pragma("foreign_keys = ON");
  db.pragma("busy_timeout = 5000");
  return db;
}

export function applyMigrations(db: Database, part: string, migrations: readonly Migration[]): void {
  db.exec(
    "CREATE TABLE IF NOT EXISTS schema_migrations (part TEXT NOT NULL, id TEXT NOT NULL, applied_at TEXT NOT NULL, PRIMARY KEY (part, id))",
  );
  const applied = new Set(
    db
      .prepare("SELECT id FROM schema_migrations WHERE part = ?")
      .all(part)
      .map((row) => (row as { id: string }).id),
  );
  const record = db.prepare("INSERT INTO schema_migrations (part, id, applied_at) VALUES (?, ?, ?)");
  for (const migration of migrations) {
    if (applied.has(migration.id)) continue;
    db.transaction(() => {
      db.exec(migration.sql);
      record.run(part, migration.id, new Date().toISOString());
    })();
  }
}
