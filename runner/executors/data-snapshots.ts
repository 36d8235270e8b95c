/**
 * Consistent copies of a workspace+profile data directory for readers (interactive runs):
 * `<dataRoot>/<workspace>/<profile>.snapshot/<n>/{var,local}`, with `current` a symlink to the
 * newest complete one, switched by an atomic rename. A copy is only taken while the data gate is
 * held, so no writer changes the files during it. Snapshots in use by a running reader are kept;
 * the others are removed when a newer one exists.
 */
import { constants, existsSync, mkdirSync, readdirSync, readlinkSync, renameSync, rmSync, symlinkSync } from "node:fs";
import { cp, rm } from "node:fs/promises";
import { join } from "node:path";

export interface DataSnapshots {
  /** Directory of the newest snapshot of `workspace/profile`, if any. */
  current(workspace: string, profile: string): string | undefined;
  /** Copies the live data dir of `workspace/profile` into a new snapshot and makes it current. Call with the data gate held. */
  take(workspace: string, profile: string): Promise<string>;
  /** Whether the live data dir holds any file (worth a first snapshot). */
  hasLiveData(workspace: string, profile: string): boolean;
  /** Marks a snapshot as in use until the returned function is called. */
  use(snapshotDir: string): () => void;
  /** Removes the snapshots of `workspace/profile` that are neither current nor in use. */
  prune(workspace: string, profile: string): void;
}

const CURRENT = "current";

export function createDataSnapshots(dataRoot: string): DataSnapshots {
  const inUse = new Map<string, number>();
  const rootOf = (workspace: string, profile: string) => join(dataRoot, workspace, `${profile}.snapshot`);
  const numbers = (root: string) =>
    existsSync(root)
      ? readdirSync(root)
          .filter((name) => /^\d+$/.test(name))
          .map(Number)
      : [];
  const current = (workspace: string, profile: string) => {
    const root = rootOf(workspace, profile);
    try {
      const target = readlinkSync(join(root, CURRENT));
      return existsSync(join(root, target)) ? join(root, target) : undefined;
    } catch {
      return undefined;
    }
  };
  const prune = (workspace: string, profile: string) => {
    const root = rootOf(workspace, profile);
    const keep = current(workspace, profile);
    for (const n of numbers(root)) {
      const dir = join(root, String(n));
      if (dir !== keep && !inUse.has(dir)) rmSync(dir, { recursive: true, force: true });
    }
  };
  return {
    current,
    prune,
    hasLiveData(workspace, profile) {
      const live = join(dataRoot, workspace, profile);
      return ["var", "local"].some((part) => existsSync(join(live, part)) && readdirSync(join(live, part)).length > 0);
    },
    async take(workspace, profile) {
      const root = rootOf(workspace, profile);
      mkdirSync(root, { recursive: true });
      const name = String(Math.max(0, ...numbers(root)) + 1);
      // the gate is held: a `.partial` left here is from a copy that was cut short
      for (const stale of readdirSync(root).filter((entry) => entry.endsWith(".partial"))) await rm(join(root, stale), { recursive: true, force: true });
      const partial = join(root, `${name}.partial`);
      for (const part of ["var", "local"]) {
        const source = join(dataRoot, workspace, profile, part);
        if (existsSync(source)) await cp(source, join(partial, part), { recursive: true, mode: constants.COPYFILE_FICLONE });
        else mkdirSync(join(partial, part), { recursive: true });
      }
      renameSync(partial, join(root, name));
      const link = join(root, `${CURRENT}.${name}`);
      rmSync(link, { force: true });
      symlinkSync(name, link);
      renameSync(link, join(root, CURRENT));
      prune(workspace, profile);
      return join(root, name);
    },
    use(snapshotDir) {
      inUse.set(snapshotDir, (inUse.get(snapshotDir) ?? 0) + 1);
      let done = false;
      return () => {
        if (done) return;
        done = true;
        const left = (inUse.get(snapshotDir) ?? 1) - 1;
        if (left > 0) inUse.set(snapshotDir, left);
        else inUse.delete(snapshotDir);
      };
    },
  };
}
