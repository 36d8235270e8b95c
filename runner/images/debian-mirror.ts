/** The Debian mirror to bootstrap from: `SLUICE_DEBIAN_MIRROR`, else the host's apt sources. */
import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";

export const DEFAULT_DEBIAN_MIRROR = "http://deb.debian.org/debian";

/**
 * Finds the first main-archive Debian URL in apt source files: one-line (`deb URL suite …`)
 * or deb822 (`URIs: URL`) format. Security and update archives are skipped.
 */
export function parseAptMirror(text: string): string | undefined {
  const urls: string[] = [];
  for (const raw of text.split("\n")) {
    const line = raw.trim();
    const oneLine = /^deb\s+(?:\[[^\]]*\]\s+)?(\S+)/.exec(line);
    const deb822 = /^URIs:\s*(.+)$/i.exec(line);
    if (oneLine?.[1]) urls.push(oneLine[1]);
    if (deb822?.[1]) urls.push(...deb822[1].split(/\s+/));
  }
  return urls.find((url) => /^https?:\/\//.test(url) && /\/debian\/?$/.test(url))?.replace(/\/$/, "");
}

export async function findDebianMirror(env: NodeJS.ProcessEnv = process.env, aptDir = "/etc/apt"): Promise<string> {
  if (env.SLUICE_DEBIAN_MIRROR) return env.SLUICE_DEBIAN_MIRROR;
  const files = [join(aptDir, "sources.list")];
  const listDir = join(aptDir, "sources.list.d");
  const entries = await readdir(listDir).catch(() => [] as string[]);
  files.push(...entries.sort().map((name) => join(listDir, name)));
  for (const file of files) {
    const mirror = parseAptMirror(await readFile(file, "utf8").catch(() => ""));
    if (mirror) return mirror;
  }
  return DEFAULT_DEBIAN_MIRROR;
}
