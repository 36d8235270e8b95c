/**
 * The one adapter that runs the `git` executable. Everything else in reconciler/git talks to
 * this interface, so tests use real git in temp dirs and nothing else needs child_process.
 */
import { execFile, spawn } from "node:child_process";
import { SluiceError } from "../../core/index.js";

export interface GitRunOptions {
  /** `--git-dir` to use (bare repos, mirrors). */
  gitDir?: string;
  cwd?: string;
  /** Extra environment (merged over a sanitized process env). */
  env?: Record<string, string>;
  timeoutMs?: number;
}

export interface Git {
  /** Runs git and resolves with stdout; rejects with a SluiceError `git_failed` naming the command. */
  run(args: readonly string[], options?: GitRunOptions): Promise<string>;
  /** Runs `git archive` for `treeish` and unpacks it into `destDir` (which must exist). */
  archiveTo(treeish: string, destDir: string, options: GitRunOptions): Promise<void>;
}

const DEFAULT_TIMEOUT_MS = 120_000;

function gitEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return { ...process.env, GIT_TERMINAL_PROMPT: "0", LC_ALL: "C", GIT_CONFIG_NOSYSTEM: "1", ...extra };
}

function fullArgs(args: readonly string[], options: GitRunOptions): string[] {
  return [...(options.gitDir ? [`--git-dir=${options.gitDir}`] : []), ...args];
}

function gitError(args: readonly string[], detail: string, cause?: unknown): SluiceError {
  return new SluiceError("git_failed", `git ${args.join(" ")} failed: ${detail.trim() || "no output"}`, {
    hint: "Check the repository URL, branch and that git can reach it from the daemon.",
    details: { args: [...args] },
    cause,
  });
}

export function createGitCli(binary = "git"): Git {
  return {
    run(args, options = {}) {
      const argv = fullArgs(args, options);
      return new Promise((resolve, reject) => {
        execFile(
          binary,
          argv,
          { cwd: options.cwd, env: gitEnv(options.env), timeout: options.timeoutMs ?? DEFAULT_TIMEOUT_MS, maxBuffer: 64 * 1024 * 1024 },
          (error, stdout, stderr) => {
            if (error) reject(gitError(args, stderr || error.message, error));
            else resolve(stdout);
          },
        );
      });
    },

    archiveTo(treeish, destDir, options) {
      const argv = fullArgs(["archive", "--format=tar", treeish], options);
      return new Promise((resolve, reject) => {
        const git = spawn(binary, argv, { cwd: options.cwd, env: gitEnv(options.env), stdio: ["ignore", "pipe", "pipe"] });
        const tar = spawn("tar", ["-x", "-C", destDir], { stdio: ["pipe", "ignore", "pipe"] });
        let gitErr = "";
        let tarErr = "";
        git.stderr.on("data", (chunk: Buffer) => (gitErr += chunk.toString()));
        tar.stderr.on("data", (chunk: Buffer) => (tarErr += chunk.toString()));
        git.stdout.pipe(tar.stdin);
        let pending = 2;
        let failed: Error | undefined;
        const finish = (error?: Error) => {
          failed ??= error;
          pending -= 1;
          if (pending > 0) return;
          if (failed) reject(failed);
          else resolve();
        };
        git.on("error", (e) => finish(gitError(["archive", treeish], e.message, e)));
        tar.on("error", (e) => finish(gitError(["archive", treeish], `tar: ${e.message}`, e)));
        git.on("close", (code) => finish(code === 0 ? undefined : gitError(["archive", treeish], gitErr)));
        tar.on("close", (code) => finish(code === 0 ? undefined : gitError(["archive", treeish], `tar: ${tarErr}`)));
      });
    },
  };
}
