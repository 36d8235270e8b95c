import { readCommitInfo, workspaceTree } from "../git/index.js";
import { checkoutCommit, checkoutDirFor } from "../git/index.js";
import type { BranchSource, Git } from "../git/index.js";
import type { WorkspaceGitPort } from "./ports.js";

/** The git side of one workspace: its folder (`path`) in a branch source. */
export function gitWorkspacePort(options: { git: Git; source: BranchSource; path: string; workspace: string; checkoutsDir: string }): WorkspaceGitPort {
  const { git, source, path } = options;
  return {
    treeOf: (sha) => workspaceTree(git, source.gitDir, sha, path),
    async commitMeta(sha) {
      const info = await readCommitInfo(git, source.gitDir, sha);
      return { sha: info.sha, authorName: info.authorName, authorEmail: info.authorEmail, committedAt: info.committedAt, subject: info.subject };
    },
    checkout: (sha) =>
      checkoutCommit(git, { gitDir: source.gitDir, sha, path, destDir: checkoutDirFor(options.checkoutsDir, options.workspace, sha) }),
  };
}
