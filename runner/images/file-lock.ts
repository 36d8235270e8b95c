/**
 * An exclusive lock between processes (and callers in one process) on one machine: a file
 * created with O_EXCL holding the owner's pid. A lock whose owner is dead is taken over.
 */
import { mkdir, open, readFile, unlink } from "node:fs/promises";
import { dirname } from "node:path";

export interface FileLockOptions {
  pollMs?: number;
  timeoutMs?: number;
  /** Called once when the lock is held by someone else and we start waiting. */
  onWait?: (holder: string) => void;
}

export async function withFileLock<T>(lockPath: string, work: () => Promise<T>, options: FileLockOptions = {}): Promise<T> {
  const token = await acquire(lockPath, options);
  try {
    return await work();
  } finally {
    const current = await readFile(lockPath, "utf8").catch(() => "");
    if (current === token) await unlink(lockPath).catch(() => {});
  }
}

async function acquire(lockPath: string, options: FileLockOptions): Promise<string> {
  const pollMs = options.pollMs ?? 200;
  const deadline = Date.now() + (options.timeoutMs ?? 60 * 60 * 1000);
  const token = `${process.pid} ${Date.now()} ${Math.random().toString(36).slice(2)}`;
  await mkdir(dirname(lockPath), { recursive: true });
  let announced = false;
  for (;;) {
    try {
      const handle = await open(lockPath, "wx");
      await handle.writeFile(token);
      await handle.close();
      return token;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    }
    const holder = await readFile(lockPath, "utf8").catch(() => "");
    const pid = Number(holder.split(" ")[0]);
    if (holder !== "" && !isAlive(pid)) {
      // Take over only if the file still holds the dead owner's token.
      const again = await readFile(lockPath, "utf8").catch(() => "");
      if (again === holder) await unlink(lockPath).catch(() => {});
      continue;
    }
    if (!announced) {
      options.onWait?.(holder);
      announced = true;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for lock ${lockPath} held by ${holder}`);
    await new Promise((resolve) => setTimeout(resolve, pollMs));
  }
}

function isAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}
