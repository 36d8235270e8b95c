import { createHash } from "node:crypto";
import { chmod, mkdir } from "node:fs/promises";
import { homedir } from "node:os";
import { join, resolve } from "node:path";

/** Everything the daemon keeps, under one folder (SLUICE_HOME, default ~/.sluice). */
export interface HomeLayout {
  home: string;
  dbFile: string;
  tokenFile: string;
  configFile: string;
  secretsDir: string;
  logsDir: string;
  checkoutsDir: string;
  /** Bare repos Sluice hosts for `repo add --push`. */
  reposDir: string;
  mirrorsDir: string;
}

export function resolveHome(flag: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  return resolve(flag ?? env.SLUICE_HOME ?? join(homedir(), ".sluice"));
}

/**
 * The label value that marks what this home's daemon starts outside itself (containers, pods,
 * Services, warm workers): recovery adopts, and stops, only its own, never another Sluice's or a test's.
 */
export function homeInstance(home: string): string {
  return createHash("sha256").update(home).digest("hex").slice(0, 16);
}

export function homeLayout(home: string): HomeLayout {
  return {
    home,
    dbFile: join(home, "sluice.db"),
    tokenFile: join(home, "token"),
    configFile: join(home, "sluice.yaml"),
    secretsDir: join(home, "secrets"),
    logsDir: join(home, "logs"),
    checkoutsDir: join(home, "checkouts"),
    reposDir: join(home, "repos"),
    mirrorsDir: join(home, "mirrors"),
  };
}

/** Creates the folders (home and secrets readable by the owner only). Idempotent. */
export async function prepareHome(home: string): Promise<HomeLayout> {
  const layout = homeLayout(home);
  await mkdir(home, { recursive: true, mode: 0o700 });
  await chmod(home, 0o700);
  for (const dir of [layout.logsDir, layout.checkoutsDir, layout.reposDir, layout.mirrorsDir]) await mkdir(dir, { recursive: true });
  await mkdir(layout.secretsDir, { recursive: true, mode: 0o700 });
  await chmod(layout.secretsDir, 0o700);
  return layout;
}
