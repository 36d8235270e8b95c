/**
 * The stored secrets of a profile in a local run's checkout. dlt reads secrets only from `.dlt/`
 * of the workspace (or the user's global dir), so runs on the host (the local executor, and
 * `sluice exec` with it) find the stored file copied to `.dlt/<profile>.secrets.toml` (0600,
 * gitignored by dlt's templates). Sluice remembers what it placed (a hash next to it), so a later
 * `sluice secrets set` replaces its copy and `sluice secrets rm` removes it, while a file the
 * workspace brought itself is never touched.
 */
import { createHash } from "node:crypto";
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";

export interface SecretsPlacement {
  /** The stored secrets of the profile (SecretStore.pathOf); none when nothing is stored. */
  secretsFile?: string;
  profile: string;
  workspace: { dir: string };
}

/** Places, replaces or removes Sluice's copy; what the user should know when the workspace's own file kept the stored one out. */
export function placeSecretsFile(run: SecretsPlacement): string | undefined {
  const dir = join(run.workspace.dir, ".dlt");
  const target = join(dir, `${run.profile}.secrets.toml`);
  const marker = join(dir, `.${run.profile}.secrets.toml.sluice-placed`);
  const stored = run.secretsFile ? readFileSync(run.secretsFile) : undefined;
  const present = existsSync(target) ? readFileSync(target) : undefined;
  const placed = existsSync(marker) ? readFileSync(marker, "utf8").split("\n").filter(Boolean) : [];
  const ours = present !== undefined && placed.includes(digest(present));
  if (present !== undefined && !ours) {
    return stored !== undefined && !stored.equals(present) ? `the workspace has its own .dlt/${run.profile}.secrets.toml; the stored secrets were not placed` : undefined;
  }
  if (stored === undefined) {
    // removed from the store since Sluice placed its copy
    if (ours) for (const file of [target, marker]) rmSync(file, { force: true });
    return undefined;
  }
  if (present !== undefined && stored.equals(present)) return undefined;
  mkdirSync(dir, { recursive: true });
  // the marker names the old copy and the new one until the new one is in place: whenever this
  // stops, the file there counts as Sluice's, never as the workspace's own
  writeFileSync(marker, [digest(stored), ...(present !== undefined ? [digest(present)] : []), ""].join("\n"));
  const staged = `${target}.${process.pid}.tmp`;
  writeFileSync(staged, stored, { mode: 0o600 });
  chmodSync(staged, 0o600);
  renameSync(staged, target);
  writeFileSync(marker, `${digest(stored)}\n`);
  return undefined;
}

function digest(content: Buffer): string {
  return createHash("sha256").update(content).digest("hex");
}
