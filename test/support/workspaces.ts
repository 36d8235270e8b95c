/** Workspaces for integration tests: copies of the fixture workspaces, written ones, and temp dirs a suite removes. */
import { cpSync, mkdirSync, writeFileSync } from "node:fs";
import { cp, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { basename, dirname, join, resolve } from "node:path";

export const FIXTURES_DIR = resolve(import.meta.dirname, "../../fixtures");

export const FixtureWorkspace = {
  fruitshop: "fruitshop_simple_workspace",
  github: "github_ingest_workspace",
  jaffle: "jaffle_shop_workspace",
  usgs: "usgs_earthquakes_workspace",
} as const;
export type FixtureName = keyof typeof FixtureWorkspace;

/** Copies a fixture workspace to `dir`, without the local run state (`_local`, `.var`, `__pycache__`) a run in place leaves. */
export function copyFixtureWorkspace(name: FixtureName, dir: string): void {
  cpSync(join(FIXTURES_DIR, "workspaces", FixtureWorkspace[name]), dir, {
    recursive: true,
    filter: (path) => !["_local", ".var", "__pycache__"].includes(basename(path)),
  });
}

/** Writes `files` (path relative to `dir` → content), creating folders as needed. */
export function writeFiles(dir: string, files: Record<string, string>): void {
  for (const [name, content] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, name)), { recursive: true });
    writeFileSync(join(dir, name), content);
  }
}

/** Temp dirs of one suite, all removed by `remove()` (call it in `afterAll`). */
export interface Scratch {
  /** A temp copy of `source`; `filter` as in `fs.cp`. */
  copy(source: string, prefix: string, filter?: (source: string) => boolean): Promise<string>;
  remove(): Promise<void>;
}

export function createScratch(): Scratch {
  const dirs: string[] = [];
  return {
    async copy(source, prefix, filter) {
      const dir = await mkdtemp(join(tmpdir(), prefix));
      dirs.push(dir);
      await cp(source, dir, { recursive: true, ...(filter ? { filter } : {}) });
      return dir;
    },
    async remove() {
      await Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true })));
    },
  };
}
