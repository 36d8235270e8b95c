/**
 * Helpers for the reconcile and git integration tests: real git working copies in temp dirs,
 * and a small real manifest generator that reads `manifest.json` from a checkout (it stands
 * in for dlt's worker, which other tests cover; the reconcile loop only sees the port).
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { SluiceError } from "../core/index.js";
import { canonicalHash, fallbackManifestHash } from "../reconciler/diff/index.js";
import type { JobLike } from "../reconciler/diff/index.js";
import type { ManifestPortResult, ManifestPort } from "../reconciler/reconcile/index.js";

export function tempDir(prefix: string): { path: string; cleanup: () => void } {
  const path = mkdtempSync(join(tmpdir(), prefix));
  return { path, cleanup: () => rmSync(path, { recursive: true, force: true }) };
}

const GIT_ENV = {
  ...process.env,
  GIT_AUTHOR_NAME: "Ada Lovelace",
  GIT_AUTHOR_EMAIL: "ada@example.com",
  GIT_COMMITTER_NAME: "Ada Lovelace",
  GIT_COMMITTER_EMAIL: "ada@example.com",
  GIT_CONFIG_NOSYSTEM: "1",
};

export function git(cwd: string, ...args: string[]): string {
  return execFileSync("git", args, { cwd, env: GIT_ENV, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] }).trim();
}

/** A working copy with `remote` configured as `sluice`, on branch main. */
export class WorkingRepo {
  constructor(readonly dir: string) {}

  static init(dir: string, remote?: string): WorkingRepo {
    mkdirSync(dir, { recursive: true });
    git(dir, "init", "--quiet", "--initial-branch=main");
    if (remote) git(dir, "remote", "add", "sluice", remote);
    return new WorkingRepo(dir);
  }

  write(path: string, content: string): this {
    const file = join(this.dir, path);
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, content);
    return this;
  }

  /** Deletes a file or folder of the working copy (the next commit drops it). */
  remove(path: string): this {
    rmSync(join(this.dir, path), { recursive: true, force: true });
    return this;
  }

  /**
   * Writes the test generator's manifest for a workspace folder, and a `__deployment__.py` marker
   * so that workspace discovery (repos added without --path) finds the folder.
   */
  writeManifest(folder: string, jobs: JobLike[], extra: Record<string, unknown> = {}): this {
    this.write(join(folder, "__deployment__.py"), "# test workspace: the jobs are in manifest.json\n");
    return this.write(join(folder, "manifest.json"), JSON.stringify({ engine_version: 1, deployment_module: "__deployment__", jobs, ...extra }, null, 2));
  }

  commit(message: string): string {
    git(this.dir, "add", "-A");
    git(this.dir, "commit", "--quiet", "--allow-empty", "-m", message);
    return git(this.dir, "rev-parse", "HEAD");
  }

  push(): void {
    git(this.dir, "push", "--quiet", "--force", "sluice", "main");
  }
}

export function job(name: string, triggers: string[] = ["every:5m"]): JobLike {
  return {
    job_ref: `jobs.__deployment__.${name}`,
    entry_point: { module: "__deployment__", function: name, job_type: "batch", launcher: "dlt._workspace.deployment.launchers.job" },
    triggers,
  };
}

/**
 * A real ManifestPort over `manifest.json` files: fresh `created_at` on every call (so tests see
 * that regeneration never flags changes), per-job hashes over the canonical JSON.
 */
export class JsonManifestPort implements ManifestPort {
  readonly calls: { workspace: string; workspaceDir: string; commit: string }[] = [];

  constructor(private readonly gate: (workspace: string) => Promise<void> | void = () => {}) {}

  async generate(input: { workspace: string; workspaceDir: string; commit: string }): Promise<ManifestPortResult> {
    this.calls.push(input);
    await this.gate(input.workspace);
    let parsed: { jobs?: JobLike[] };
    try {
      parsed = JSON.parse(readFileSync(join(input.workspaceDir, "manifest.json"), "utf8")) as { jobs?: JobLike[] };
    } catch (error) {
      throw new SluiceError("manifest_generation_failed", `Could not import the workspace: ${(error as Error).message}`, { cause: error });
    }
    const manifest = { ...parsed, created_at: new Date().toISOString(), jobs: parsed.jobs ?? [] };
    const jobHashes = Object.fromEntries(manifest.jobs.map((j) => [j.job_ref, canonicalHash(j)]));
    return { manifest, jobHashes, manifestHash: fallbackManifestHash(manifest), warnings: [], dltVersion: "test" };
  }

  callsFor(workspace: string): number {
    return this.calls.filter((c) => c.workspace === workspace).length;
  }
}

/** A promise with its resolve exposed, for holding a generator or target mid-pass. */
export function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}
