/** A bare "GitHub" origin with a working clone, the fake GitHub API, an App key pair and a webhook secret, for test/github-*.test.ts. */
import { execFileSync } from "node:child_process";
import { generateKeyPairSync } from "node:crypto";
import { copyFileSync, mkdirSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { join, resolve } from "node:path";

const BROKEN = resolve(import.meta.dirname, "../fixtures/broken/invalid_trigger");
export const APP_ID = 4242;
export const FULL_NAME = "acme/pipelines";
export const WEBHOOK_SECRET = "webhook-secret-for-tests";

const GIT_ENV = { ...process.env, GIT_AUTHOR_NAME: "Ada", GIT_AUTHOR_EMAIL: "ada@example.com", GIT_COMMITTER_NAME: "Ada", GIT_COMMITTER_EMAIL: "ada@example.com", GIT_CONFIG_NOSYSTEM: "1" };

export function git(cwd: string, ...args: string[]): string {
  return execFileSync("git", args, { cwd, env: GIT_ENV, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] }).trim();
}

export function freePort(): Promise<number> {
  return new Promise((done, fail) => {
    const server = createServer();
    server.once("error", fail);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => done(port));
    });
  });
}

export function appKeys(dir: string): { privateKeyFile: string; publicKey: string } {
  const { privateKey, publicKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
  const privateKeyFile = join(dir, "app.pem");
  writeFileSync(privateKeyFile, privateKey.export({ type: "pkcs1", format: "pem" }), { mode: 0o600 });
  return { privateKeyFile, publicKey: publicKey.export({ type: "spki", format: "pem" }).toString() };
}

/** A dlt workspace's `__deployment__.py` with the given `@job` lines (pinned dlt env of the broken fixtures). */
export function deploymentModule(jobs: { name: string; trigger: string; body?: string }[]): string {
  const defs = jobs.map((j) => `@job(trigger=${JSON.stringify(j.trigger)})\ndef ${j.name}():\n    ${j.body ?? "print('ok')"}\n`);
  return `"""A GitHub test workspace."""\n\nfrom dlt.hub.run import job\n\n\n${defs.join("\n\n")}\n\n__all__ = [${jobs.map((j) => JSON.stringify(j.name)).join(", ")}]\n`;
}

/** origin.git (what GitHub holds) and a working clone that pushes to it. */
export class Origin {
  readonly bare: string;
  readonly work: string;

  constructor(root: string) {
    this.bare = join(root, "origin.git");
    this.work = join(root, "work");
    mkdirSync(this.work, { recursive: true });
    git(root, "init", "--quiet", "--bare", "--initial-branch=main", this.bare);
    git(this.work, "init", "--quiet", "--initial-branch=main");
    git(this.work, "remote", "add", "origin", this.bare);
    copyFileSync(join(BROKEN, "pyproject.toml"), join(this.work, "pyproject.toml"));
    copyFileSync(join(BROKEN, "uv.lock"), join(this.work, "uv.lock"));
  }

  get url(): string {
    return `file://${this.bare}`;
  }

  /** Commits `__deployment__.py` on the current branch and returns the sha. */
  commit(module: string, message: string): string {
    writeFileSync(join(this.work, "__deployment__.py"), module);
    git(this.work, "add", "-A");
    git(this.work, "commit", "--quiet", "-m", message);
    return git(this.work, "rev-parse", "HEAD");
  }

  head(): string {
    return git(this.work, "rev-parse", "HEAD");
  }

  /** Switches the working clone to `branch`, created from the current commit when new. */
  checkout(branch: string): void {
    git(this.work, "checkout", "--quiet", "-B", branch);
  }

  push(branch: string, ...extraRefs: string[]): void {
    git(this.work, "push", "--quiet", "--force", "origin", `HEAD:refs/heads/${branch}`, ...extraRefs.map((r) => `HEAD:${r}`));
  }
}

export function pushPayload(sha: string, branch = "main"): Record<string, unknown> {
  return { ref: `refs/heads/${branch}`, after: sha, repository: { full_name: FULL_NAME }, head_commit: { id: sha } };
}

export function pullRequestPayload(action: string, number: number, sha: string, headRef: string): Record<string, unknown> {
  return { action, number, pull_request: { number, state: action === "closed" ? "closed" : "open", head: { sha, ref: headRef }, base: { ref: "main" } }, repository: { full_name: FULL_NAME } };
}
