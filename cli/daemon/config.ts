import { readFile } from "node:fs/promises";
import { parse as parseYaml } from "yaml";
import { z } from "zod";
import { SluiceError } from "../../core/index.js";

const DURATION_RE = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)$/;
const UNIT_MS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;
const DURATION_HELP = "a duration such as 30s, 5m, 1h or 500ms (or a number of seconds)";
const LOOPBACK_HELP = "a loopback address: 127.0.0.1 (any 127.x.y.z), ::1 or localhost";

const Duration = z.union([z.string().regex(DURATION_RE, { error: `expected ${DURATION_HELP}` }), z.number().positive({ error: `expected ${DURATION_HELP}` })], { error: `expected ${DURATION_HELP}` });

const ApiSection = z.strictObject({
  host: z.string({ error: `expected ${LOOPBACK_HELP}` }).refine(isLoopback, { error: `must be ${LOOPBACK_HELP}; the API is never exposed beyond this machine` }).default("127.0.0.1"),
  port: z.number({ error: "expected a port number 1–65535" }).int({ error: "expected a whole port number 1–65535" }).min(1, { error: "expected a port number 1–65535" }).max(65535, { error: "expected a port number 1–65535" }).default(7878),
});
const ReposSection = z.strictObject({ pollInterval: Duration.default("30s") });
const ReconcileSection = z.strictObject({ retryAfter: Duration.default("1m"), generateTimeout: Duration.default("10m") });
const ManifestSection = z.strictObject({
  executor: z.enum(["docker", "local"], { error: "expected one of: docker, local" }).default("docker"),
});
const LogSection = z.strictObject({
  level: z.enum(["debug", "info", "warn", "error"], { error: "expected one of: debug, info, warn, error" }).default("info"),
});

const SECTIONS = { api: ApiSection, repos: ReposSection, reconcile: ReconcileSection, manifest: ManifestSection, log: LogSection } as const;

/** `sluice.yaml` as written by the user; every key is optional. */
export const DaemonConfig = z.strictObject({
  api: ApiSection.prefault({}),
  repos: ReposSection.prefault({}),
  reconcile: ReconcileSection.prefault({}),
  manifest: ManifestSection.prefault({}),
  log: LogSection.prefault({}),
});
export type DaemonConfig = z.infer<typeof DaemonConfig>;

/** The config compiled once into the fully required form the daemon uses. */
export interface DaemonOptions {
  api: { host: string; port: number };
  pollIntervalMs: number;
  retryAfterMs: number;
  generateTimeoutMs: number;
  manifestExecutor: "docker" | "local";
  logLevel: "debug" | "info" | "warn" | "error";
}

export function compileDaemonConfig(config: DaemonConfig): DaemonOptions {
  return {
    api: { host: config.api.host, port: config.api.port },
    pollIntervalMs: durationMs(config.repos.pollInterval),
    retryAfterMs: durationMs(config.reconcile.retryAfter),
    generateTimeoutMs: durationMs(config.reconcile.generateTimeout),
    manifestExecutor: config.manifest.executor,
    logLevel: config.log.level,
  };
}

/** Parses and validates config text; every problem is listed, each with its key. */
export function parseDaemonConfig(text: string, source = "sluice.yaml"): DaemonOptions {
  const doc = parseYamlText(text, source);
  const result = DaemonConfig.safeParse(doc ?? {});
  if (!result.success) {
    const lines = result.error.issues.map((issue) => formatIssue(issue));
    throw new SluiceError("config_invalid", `${source} is invalid:\n${lines.map((l) => `  ${l}`).join("\n")}`, {
      hint: `Fix the keys above. Allowed sections: ${Object.keys(SECTIONS).join(", ")}.`,
      details: { file: source },
    });
  }
  return compileDaemonConfig(result.data);
}

/** Reads `file`; a missing file is an error only when the user named it explicitly. */
export async function loadDaemonConfig(file: string, options: { required: boolean }): Promise<DaemonOptions> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT" && !options.required) return parseDaemonConfig("", file);
    throw new SluiceError("config_unreadable", `Cannot read the config file ${file}: ${(error as Error).message}`, {
      hint: "Check the --config path, or leave it out to use the defaults.",
      details: { file },
    });
  }
  return parseDaemonConfig(text, file);
}

export function durationMs(value: string | number): number {
  if (typeof value === "number") return value * 1000;
  const match = DURATION_RE.exec(value.trim());
  if (!match) throw new SluiceError("config_invalid", `'${value}' is not ${DURATION_HELP}.`);
  return Number(match[1]) * UNIT_MS[match[2] as keyof typeof UNIT_MS];
}

export function isLoopback(host: string): boolean {
  return host === "localhost" || host === "::1" || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}

function parseYamlText(text: string, source: string): unknown {
  try {
    return parseYaml(text);
  } catch (error) {
    throw new SluiceError("config_invalid", `${source} is not valid YAML: ${(error as Error).message}`, { details: { file: source } });
  }
}

function formatIssue(issue: z.core.$ZodIssue): string {
  const path = issue.path.map(String).join(".");
  if (issue.code === "unrecognized_keys") {
    const section = path as keyof typeof SECTIONS | "";
    const allowed = section === "" ? Object.keys(SECTIONS) : Object.keys(SECTIONS[section]?.shape ?? {});
    return issue.keys.map((key) => `${path ? `${path}.` : ""}${key}: unknown key; allowed here: ${allowed.join(", ")}`).join("\n  ");
  }
  if (path === "" ) return `(top level): expected a mapping of sections (${Object.keys(SECTIONS).join(", ")})`;
  if (issue.code === "invalid_type" && issue.expected === "object") return `${path}: expected a mapping with keys ${Object.keys(SECTIONS[path as keyof typeof SECTIONS]?.shape ?? {}).join(", ")}`;
  return `${path}: ${issue.message}`;
}
