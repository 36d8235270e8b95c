/**
 * A local workspace directory as a deployable "commit": a content hash of its files (what
 * the git tree is for pushes) and a copy under `<home>/checkouts/<workspace>/local-<hash>`,
 * so later edits of the directory never change the code a deployed job runs.
 */
import { createHash } from "node:crypto";
import { cpSync, existsSync, readFileSync, readdirSync, renameSync, rmSync } from "node:fs";
import { basename, join, relative } from "node:path";

/** Never part of a deployment: local state, caches, venvs, secrets. */
const SKIP_DIRS = new Set([".git", ".venv", "venv", "__pycache__", "_local", "node_modules", ".var"]);
const SKIP_FILE = /(\.duckdb(\.wal)?|\.pyc|secrets\.toml)$/;

export function keepPath(root: string, path: string): boolean {
  const rel = relative(root, path);
  if (rel === "") return true;
  const parts = rel.split("/");
  if (parts.some((p) => SKIP_DIRS.has(p))) return false;
  return !SKIP_FILE.test(basename(rel)) && basename(rel) !== "profile-name";
}

export function snapshotHash(root: string): string {
  const hash = createHash("sha256");
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const path = join(dir, entry.name);
      if (!keepPath(root, path)) continue;
      if (entry.isDirectory()) walk(path);
      else if (entry.isFile()) hash.update(`${relative(root, path)}\0`).update(readFileSync(path)).update("\0");
    }
  };
  walk(root);
  return hash.digest("hex").slice(0, 40);
}

/** Copies the directory once per content hash (via a partial sibling + rename). */
export function snapshotCheckout(root: string, checkoutsDir: string, workspace: string, hash: string): string {
  const target = join(checkoutsDir, workspace, `local-${hash.slice(0, 16)}`);
  if (existsSync(target)) return target;
  const partial = `${target}.partial-${process.pid}`;
  rmSync(partial, { recursive: true, force: true });
  cpSync(root, partial, { recursive: true, filter: (src) => keepPath(root, src) });
  renameSync(partial, target);
  return target;
}

/** `My Workspace_dir` → `my-workspace_dir` (the repo-name rules). */
export function workspaceNameOf(dir: string): string {
  const name = basename(dir).toLowerCase().replace(/[^a-z0-9_-]+/g, "-").replace(/^[-_]+/, "").slice(0, 63);
  return name || "workspace";
}
