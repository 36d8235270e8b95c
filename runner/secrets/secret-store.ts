/**
 * Per-workspace, per-profile secrets (`<profile>.secrets.toml`), kept outside git under Sluice's
 * home with owner-only permissions, and mounted read-only into runs (cli-surface.md §3 DECISION).
 */
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { SluiceError } from "../../core/index.js";

export interface SecretEntry {
  workspace: string;
  profile: string;
  /** Absolute path of the stored file (mounted into containers). */
  path: string;
  sizeBytes: number;
  modifiedMs: number;
}

export interface SecretStore {
  set(workspace: string, profile: string, content: string): SecretEntry;
  /** Path of the stored file, or undefined when none is stored. */
  pathOf(workspace: string, profile: string): string | undefined;
  read(workspace: string, profile: string): string | undefined;
  has(workspace: string, profile: string): boolean;
  list(workspace?: string): SecretEntry[];
  /** True when something was removed. */
  remove(workspace: string, profile: string): boolean;
}

const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;
const SUFFIX = ".secrets.toml";

export function createSecretStore(rootDir: string): SecretStore {
  const fileOf = (workspace: string, profile: string) => {
    checkName("workspace", workspace);
    checkName("profile", profile);
    return join(rootDir, workspace, `${profile}${SUFFIX}`);
  };
  const entryOf = (workspace: string, profile: string, path: string): SecretEntry => {
    const stat = statSync(path);
    return { workspace, profile, path, sizeBytes: stat.size, modifiedMs: stat.mtimeMs };
  };
  return {
    set(workspace, profile, content) {
      const path = fileOf(workspace, profile);
      mkdirSync(rootDir, { recursive: true, mode: 0o700 });
      mkdirSync(join(rootDir, workspace), { recursive: true, mode: 0o700 });
      const temp = `${path}.tmp-${process.pid}`;
      writeFileSync(temp, content, { mode: 0o600 });
      chmodSync(temp, 0o600);
      renameSync(temp, path);
      return entryOf(workspace, profile, path);
    },
    pathOf(workspace, profile) {
      const path = fileOf(workspace, profile);
      return existsSync(path) ? path : undefined;
    },
    read(workspace, profile) {
      const path = fileOf(workspace, profile);
      return existsSync(path) ? readFileSync(path, "utf8") : undefined;
    },
    has(workspace, profile) {
      return existsSync(fileOf(workspace, profile));
    },
    list(workspace) {
      if (!existsSync(rootDir)) return [];
      const workspaces = workspace === undefined ? readdirSync(rootDir).filter((name) => NAME.test(name)) : [workspace];
      const entries: SecretEntry[] = [];
      for (const name of workspaces.sort()) {
        const dir = join(rootDir, name);
        if (!existsSync(dir) || !statSync(dir).isDirectory()) continue;
        for (const file of readdirSync(dir).sort()) {
          if (!file.endsWith(SUFFIX)) continue;
          entries.push(entryOf(name, file.slice(0, -SUFFIX.length), join(dir, file)));
        }
      }
      return entries;
    },
    remove(workspace, profile) {
      const path = fileOf(workspace, profile);
      if (!existsSync(path)) return false;
      rmSync(path);
      return true;
    },
  };
}

/** Longest workspace or profile name: the file name `<profile>.secrets.toml` stays under 255 bytes. */
const MAX_NAME_LENGTH = 200;

function checkName(kind: string, value: string): void {
  if (!NAME.test(value) || value.length > MAX_NAME_LENGTH) {
    throw new SluiceError("invalid_secret_name", `Invalid ${kind} name '${value}' for the secret store`, {
      hint: `Use up to ${MAX_NAME_LENGTH} letters, digits, '.', '_' or '-', starting with a letter or digit.`,
    });
  }
}
