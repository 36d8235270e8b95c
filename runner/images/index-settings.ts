/**
 * uv does not read pip's configuration, but the host reaches its package index through it
 * (index URLs, find-links, trusted hosts, a custom CA bundle). This turns the host's pip
 * settings (read at run time) into uv environment variables, so builds in containers and host
 * venvs resolve packages exactly like the host's pip does.
 */
import { existsSync } from "node:fs";
import { runHostCommand } from "./host-command.js";
import { hostPythonName } from "./paths.js";

export interface IndexSettings {
  /** UV_* and proxy variables for uv. */
  env: Record<string, string>;
  /** CA bundle file to trust (to be mounted read-only into build containers). */
  caBundle: string | undefined;
  /** Local find-links directories (to be mounted read-only at the same path). */
  localPaths: string[];
}

const SECTION_PRIORITY = [":env:", "install", "download", "global"] as const;

/** Parses `pip config list` output (`section.key='value'`) into key → value by section priority. */
export function parsePipConfigList(text: string): Record<string, string> {
  const found = new Map<string, { rank: number; value: string }>();
  for (const line of text.split("\n")) {
    const match = /^([^=]+?)\.([A-Za-z0-9_-]+)=(.*)$/.exec(line.trim());
    if (!match) continue;
    const [, section = "", key = "", raw = ""] = match;
    const rank = SECTION_PRIORITY.indexOf(section as (typeof SECTION_PRIORITY)[number]);
    if (rank < 0) continue;
    const value = raw.replace(/^'(.*)'$/s, "$1").replace(/^"(.*)"$/s, "$1");
    const previous = found.get(key);
    if (!previous || rank < previous.rank) found.set(key, { rank, value });
  }
  return Object.fromEntries([...found].map(([key, entry]) => [key, entry.value]));
}

const UV_PASSTHROUGH = [
  "UV_DEFAULT_INDEX",
  "UV_INDEX",
  "UV_INDEX_URL",
  "UV_EXTRA_INDEX_URL",
  "UV_FIND_LINKS",
  "UV_INSECURE_HOST",
  "UV_HTTP_TIMEOUT",
  "UV_INDEX_STRATEGY",
  "UV_NATIVE_TLS",
] as const;

const PROXY_PASSTHROUGH = ["HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "no_proxy", "all_proxy"] as const;

const SYSTEM_CA_BUNDLE = "/etc/ssl/certs/ca-certificates.crt";

export function indexSettingsFrom(
  pip: Record<string, string>,
  env: NodeJS.ProcessEnv,
  exists: (path: string) => boolean = existsSync,
): IndexSettings {
  const out: Record<string, string> = {};
  const words = (value: string | undefined) => (value ?? "").split(/\s+/).filter((word) => word.length > 0);
  if (pip["index-url"]) out.UV_DEFAULT_INDEX = pip["index-url"];
  const extra = words(pip["extra-index-url"]);
  if (extra.length > 0) out.UV_INDEX = extra.join(" ");
  const localPaths: string[] = [];
  const findLinks = words(pip["find-links"]).filter((link) => {
    if (/^[a-z]+:\/\//i.test(link)) return true;
    if (!link.startsWith("/") || !exists(link)) return false;
    localPaths.push(link);
    return true;
  });
  if (findLinks.length > 0) out.UV_FIND_LINKS = findLinks.join(",");
  const trusted = words(pip["trusted-host"]);
  if (trusted.length > 0) out.UV_INSECURE_HOST = trusted.join(" ");
  const timeout = pip.timeout ?? pip["default-timeout"];
  if (timeout && /^\d+(\.\d+)?$/.test(timeout)) out.UV_HTTP_TIMEOUT = String(Math.ceil(Number(timeout)));
  for (const name of [...UV_PASSTHROUGH, ...PROXY_PASSTHROUGH]) {
    const value = env[name];
    if (value !== undefined && value !== "") out[name] = value;
  }
  const caBundle = [pip.cert, env.SSL_CERT_FILE, SYSTEM_CA_BUNDLE].find((path) => path !== undefined && path !== "" && exists(path));
  return { env: out, caBundle, localPaths };
}

/** Reads the host's pip configuration (`python3 -m pip config list`) and environment. */
export async function readHostIndexSettings(env: NodeJS.ProcessEnv = process.env): Promise<IndexSettings> {
  const listed = await runHostCommand(hostPythonName(env), ["-m", "pip", "config", "list"], { env }).catch(() => ({ exitCode: 1, stdout: "" }));
  return indexSettingsFrom(listed.exitCode === 0 ? parsePipConfigList(listed.stdout) : {}, env);
}
