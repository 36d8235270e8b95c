/**
 * Watches the refs of a repository on this machine (a bare repo Sluice hosts, or a local
 * working repo given by path) so a push or commit is noticed at once instead of at the next
 * poll. The only file that imports chokidar; the poll stays the source of truth (a missed
 * file event costs one poll interval, never a deploy).
 */
import { existsSync, statSync } from "node:fs";
import { join } from "node:path";
import { watch } from "chokidar";

export interface RefWatch {
  close(): Promise<void>;
}

/** The git dir of a local repository path, or null when the path is not a local repository. */
export function localGitDir(repoPath: string): string | null {
  if (!repoPath.startsWith("/") || !existsSync(repoPath)) return null;
  const dotGit = join(repoPath, ".git");
  if (existsSync(dotGit) && statSync(dotGit).isDirectory()) return dotGit;
  return existsSync(join(repoPath, "HEAD")) && existsSync(join(repoPath, "refs")) ? repoPath : null;
}

/** Calls `onChange` whenever a branch ref (loose or packed) of the git dir changes. */
export function watchRefs(gitDir: string, onChange: () => void): RefWatch {
  const watcher = watch([join(gitDir, "refs", "heads"), join(gitDir, "packed-refs")], {
    ignoreInitial: true,
    // git writes refs through a .lock file and renames it; the rename is the event we want
    ignored: (path) => path.endsWith(".lock"),
  });
  watcher.on("all", () => onChange());
  // a ref that moved while the watch was being set up is caught by one look when it is ready
  watcher.on("ready", () => onChange());
  return { close: () => watcher.close() };
}
