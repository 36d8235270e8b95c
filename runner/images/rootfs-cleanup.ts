/**
 * Deletes a bootstrapped root file system. debootstrap mounts /proc and /sys inside the target
 * and may leave them mounted when it fails; deleting through such a mount would delete host
 * files, so mounts are detached first and deletion is refused if any remain.
 */
import { readFile, rm } from "node:fs/promises";
import { resolve } from "node:path";
import { runHostCommand } from "./host-command.js";

/** Mount points at or below `dir`, deepest first (octal escapes of /proc/mounts decoded). */
export function mountsBelow(mountsText: string, dir: string): string[] {
  const root = resolve(dir);
  return mountsText
    .split("\n")
    .map((line) => line.split(" ")[1])
    .filter((point): point is string => point !== undefined)
    .map((point) => point.replace(/\\([0-7]{3})/g, (_m, octal: string) => String.fromCharCode(parseInt(octal, 8))))
    .filter((point) => point === root || point.startsWith(`${root}/`))
    .sort((a, b) => b.length - a.length);
}

export async function removeRootfs(dir: string): Promise<void> {
  const readMounts = () => readFile("/proc/self/mounts", "utf8").catch(() => "");
  for (const point of mountsBelow(await readMounts(), dir)) {
    await runHostCommand("umount", ["--lazy", point]);
  }
  const left = mountsBelow(await readMounts(), dir);
  if (left.length > 0) throw new Error(`refusing to delete ${dir}: still mounted: ${left.join(", ")}`);
  await rm(dir, { recursive: true, force: true });
}
