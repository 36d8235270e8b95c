/**
 * The workspace is mounted read-only, and the stored secrets file has no mount point in the
 * checkout (secrets are gitignored), so a file cannot be mounted over `.dlt/<profile>.secrets.toml`
 * directly. Instead each run gets a private copy of the checkout's `.dlt/` (config files from
 * the commit, without `.var`) plus the stored secrets, mounted read-only over `/workspace/.dlt`.
 * The copy lives under Sluice's home (0700/0600) and is removed when the run ends.
 */
import { chmodSync, copyFileSync, cpSync, existsSync, mkdirSync, rmSync } from "node:fs";
import { basename, join } from "node:path";

export interface SettingsOverlay {
  /** Host directory to mount at `<workspace>/.dlt`. */
  dir: string;
  remove(): void;
}

export function overlayDirOf(root: string, runId: string): string {
  return join(root, runId);
}

/** Returns undefined when the checkout has no `.dlt/` (nothing to mount over). */
export function createSettingsOverlay(options: { root: string; runId: string; workspaceDir: string; profile: string; secretsFile?: string }): SettingsOverlay | undefined {
  const source = join(options.workspaceDir, ".dlt");
  if (!existsSync(source)) return undefined;
  mkdirSync(options.root, { recursive: true, mode: 0o700 });
  const dir = overlayDirOf(options.root, options.runId);
  rmSync(dir, { recursive: true, force: true });
  fillSettingsDir(dir, options);
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/**
 * Fills `dir` (created if missing, kept if there: a warm run container has it mounted already)
 * with the checkout's `.dlt/` (without `.var`) and the stored secrets. False when the checkout has
 * no `.dlt/`.
 */
export function fillSettingsDir(dir: string, options: { workspaceDir: string; profile: string; secretsFile?: string }): boolean {
  const source = join(options.workspaceDir, ".dlt");
  if (!existsSync(source)) return false;
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  cpSync(source, dir, { recursive: true, filter: (path) => !(basename(path) === ".var" && path !== source) });
  chmodSync(dir, 0o700);
  if (options.secretsFile) {
    const target = join(dir, `${options.profile}.secrets.toml`);
    copyFileSync(options.secretsFile, target);
    chmodSync(target, 0o600);
  }
  return true;
}

export function removeSettingsOverlay(root: string, runId: string): void {
  rmSync(overlayDirOf(root, runId), { recursive: true, force: true });
}
