import { readFile } from "node:fs/promises";
import { parse as parseYaml } from "yaml";
import { z } from "zod";
import { SluiceError } from "../../core/index.js";
import type { GitHubSettings } from "../../reconciler/github/index.js";

const DURATION_RE = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)$/;
const UNIT_MS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;
const DURATION_HELP = "a duration such as 30s, 5m, 1h or 500ms (or a number of seconds)";
const LOOPBACK_HELP = "a loopback address: 127.0.0.1 (any 127.x.y.z), ::1 or localhost";

const Duration = z.union([z.string().regex(DURATION_RE, { error: `expected ${DURATION_HELP}` }), z.number().positive({ error: `expected ${DURATION_HELP}` })], { error: `expected ${DURATION_HELP}` });

const ApiSection = z.strictObject({
  host: z.string({ error: `expected ${LOOPBACK_HELP}` }).refine(isLoopback, { error: `must be ${LOOPBACK_HELP}; the API is never exposed beyond this machine` }).default("127.0.0.1"),
  /** 0 picks a free port (tests); clients find it in daemon.json. */
  port: z.number({ error: "expected a port number 1–65535 (0: any free port)" }).int({ error: "expected a whole port number 1–65535" }).min(0, { error: "expected a port number 1–65535 (0: any free port)" }).max(65535, { error: "expected a port number 1–65535" }).default(7878),
});
const ReposSection = z.strictObject({ pollInterval: Duration.default("30s") });
const ReconcileSection = z.strictObject({ retryAfter: Duration.default("1m"), generateTimeout: Duration.default("10m") });
const Executor = z.enum(["docker", "local"], { error: "expected one of: docker, local" });
const RunExecutor = z.enum(["docker", "local", "kubernetes"], { error: "expected one of: docker, local, kubernetes" });
const ManifestSection = z.strictObject({
  /** Defaults to the top-level `executor` (docker when that is kubernetes). */
  executor: Executor.optional(),
  /** Generate pushed commits in a warm worker per environment (Docker: a container per image; local: a process per host venv; dlt imported once, a fork per generation); `false` starts a fresh process or container per generation. */
  warm: z.boolean({ error: "expected true or false" }).default(true),
});
const KubernetesImageSection = z.strictObject({
  /** Registry-less single node: images are imported into the node's containerd through this socket. */
  containerd: z.string({ error: "expected the path of the node's containerd socket" }).min(1).optional(),
  /** `host[:port][/path]`: run images (environment + checkout) are pushed there and pulled by digest. */
  registry: z
    .string({ error: "expected a registry address, e.g. 127.0.0.1:5050 or registry.example.com/team" })
    .regex(/^[a-z0-9]([a-z0-9.-]*[a-z0-9])?(:\d+)?(\/[a-z0-9]([a-z0-9._-]*[a-z0-9])?)*$/, { error: "expected a registry address, e.g. 127.0.0.1:5050 or registry.example.com/team (lowercase, no scheme)" })
    .optional(),
  pullPolicy: z.enum(["IfNotPresent", "Never", "Always"], { error: "expected one of: IfNotPresent, Never, Always" }).optional(),
});
const KubernetesSection = z
  .strictObject({
    /** Absent: $KUBECONFIG, then ~/.kube/config. */
    kubeconfig: z.string({ error: "expected a file path" }).min(1).optional(),
    context: z.string({ error: "expected a context name of the kubeconfig" }).min(1).optional(),
    namespace: z.string().regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, { error: "expected a namespace name (lowercase letters, digits, '-')" }).default("default"),
    serviceAccount: z.string({ error: "expected a service account name" }).min(1).optional(),
    image: KubernetesImageSection.prefault({}),
    /** Data and dlt's global dir on one PersistentVolumeClaim per workspace+profile of this class; absent: the node's disk (hostPath). */
    storageClass: z.string({ error: "expected a storage class name" }).min(1).optional(),
    storageSize: z.string().regex(/^\d+(Ki|Mi|Gi|Ti)$/, { error: "expected a size such as 1Gi or 500Mi" }).default("1Gi"),
  })
  .refine((k) => (k.image.containerd === undefined) !== (k.image.registry === undefined), {
    error: "set exactly one of image.registry (push run images there, pulled by digest) and image.containerd (import them into a single node's containerd)",
    path: ["image"],
  });
/** `runs.warm` as an object: the sizes of the warm pools. */
const WarmPools = z.strictObject({
  perTarget: z.number().int().min(1, { error: "expected at least 1" }).max(64, { error: "expected at most 64" }).optional(),
  maxIdle: z.number().int().min(1, { error: "expected at least 1" }).max(256, { error: "expected at most 256" }).optional(),
});
const RunsSection = z.strictObject({
  network: z.enum(["bridge", "host", "none"], { error: "expected one of: bridge, host, none" }).default("bridge"),
  /**
   * Hand batch runs to a waiting interpreter (local) or container (Docker) with dlt imported;
   * `false`: every run starts from nothing; `{ perTarget, maxIdle }`: how many wait per
   * workspace+profile+environment (default 3) and in all (default 6).
   */
  warm: z
    .union(
      [
        z.boolean(),
        WarmPools,
      ],
      { error: "expected true, false or { perTarget: N, maxIdle: N }" },
    )
    .default(true),
  /** Extra environment for every run (tests point sources at fake APIs with it). */
  env: z.record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, { error: "expected an environment variable name" }), z.string({ error: "expected a string value" })).default({}),
});
const ProxySection = z.strictObject({
  port: z.number({ error: "expected a port number 0–65535" }).int().min(0).max(65535, { error: "expected a port number 0–65535" }).default(7879),
});
const Machine = z.strictObject({
  cpus: z.number({ error: "expected a number of CPUs, e.g. 0.5" }).positive().optional(),
  memoryMb: z.number({ error: "expected megabytes, e.g. 512" }).int().positive().optional(),
});
const Port = z.number({ error: "expected a port number 0–65535 (0: any free port)" }).int({ error: "expected a whole port number" }).min(0).max(65535, { error: "expected a port number 0–65535" });
const FilePath = z.string({ error: "expected a file path" }).min(1, { error: "expected a file path" });
const GitHubSection = z
  .strictObject({
    apiUrl: z.url({ error: "expected the API URL, e.g. https://api.github.com or https://ghe.example.com/api/v3" }).default("https://api.github.com"),
    app: z.strictObject({ id: z.number({ error: "expected the App's numeric id" }).int().positive(), privateKeyFile: FilePath }).optional(),
    tokenFile: FilePath.optional(),
    /** Reachable by GitHub (or a tunnel), so not restricted to loopback. */
    webhook: z.strictObject({ host: z.string().default("127.0.0.1"), port: Port.default(7880), secretFile: FilePath }).optional(),
    /** First retry delay of a failed report; doubles up to `maxBackoff`. */
    backoff: Duration.default("2s"),
    maxBackoff: Duration.default("1m"),
    runReports: z.enum(["failures", "off"], { error: "expected one of: failures, off" }).default("failures"),
  })
  .refine((g) => (g.app === undefined) !== (g.tokenFile === undefined), { error: "give exactly one of app { id, privateKeyFile } (a GitHub App) or tokenFile (a plain token)" });
const LogSection = z.strictObject({
  level: z.enum(["debug", "info", "warn", "error"], { error: "expected one of: debug, info, warn, error" }).default("info"),
});

/** Mappings below a section, for the keys an unknown-key error lists. */
const NESTED: Record<string, z.ZodObject> = { "runs.warm": WarmPools };

const SECTIONS = {
  api: ApiSection,
  repos: ReposSection,
  reconcile: ReconcileSection,
  manifest: ManifestSection,
  log: LogSection,
  executor: RunExecutor,
  kubernetes: KubernetesSection,
  runs: RunsSection,
  proxy: ProxySection,
  machines: z.record(z.string(), Machine),
  github: GitHubSection,
} as const;

/** `sluice.yaml` as written by the user; every key is optional. */
export const DaemonConfig = z.strictObject({
  api: ApiSection.prefault({}),
  repos: ReposSection.prefault({}),
  reconcile: ReconcileSection.prefault({}),
  manifest: ManifestSection.prefault({}),
  log: LogSection.prefault({}),
  /** Where runs (and, unless `manifest.executor` says otherwise, manifest generation) execute. */
  executor: RunExecutor.default("docker"),
  /** The cluster of `executor: kubernetes` (docs/kubernetes.md). */
  kubernetes: KubernetesSection.optional(),
  runs: RunsSection.prefault({}),
  proxy: ProxySection.prefault({}),
  /** `require.machine` names → limits; a `default` entry applies to jobs that name none. */
  machines: z.record(z.string(), Machine).default({}),
  /** GitHub reporting and webhooks (docs/github.md); off when absent. */
  github: GitHubSection.optional(),
});
export type DaemonConfig = z.infer<typeof DaemonConfig>;

/** Where runs go with `executor: kubernetes`, how their images reach the nodes, where their data lives. */
export interface KubernetesSettings {
  kubeconfig?: string;
  context?: string;
  namespace: string;
  serviceAccount?: string;
  /** Import into one node's containerd, or push to a registry (the checkout then travels in the image). */
  images: { kind: "containerd"; socket: string } | { kind: "registry"; registry: string };
  pullPolicy: "IfNotPresent" | "Never" | "Always";
  /** `hostPath`: the node's disk (the daemon's machine); otherwise a claim per workspace+profile. */
  volumes: "hostPath" | { storageClass: string; size: string };
}

/** The config compiled once into the fully required form the daemon uses. */
export interface DaemonOptions {
  api: { host: string; port: number };
  pollIntervalMs: number;
  retryAfterMs: number;
  generateTimeoutMs: number;
  manifestExecutor: "docker" | "local";
  /** `manifest.warm`: pushes are generated by a warm worker (reconciler/manifest/warm-worker.ts). */
  manifestWarm: boolean;
  runExecutor: "docker" | "local" | "kubernetes";
  /** Set when `runExecutor` is kubernetes. */
  kubernetes: KubernetesSettings | null;
  runNetwork: "bridge" | "host" | "none";
  runEnv: Record<string, string>;
  /** `runs.warm`: batch runs go to warm interpreters (local) or warm containers (Docker), with these pool sizes. */
  runWarm: boolean | { perTarget?: number; maxIdle?: number };
  /** Loopback port of the interactive-job proxy (`/w/<workspace>/<job>/`); 0 picks a free one. */
  proxyPort: number;
  machines: Record<string, { cpus?: number; memoryMb?: number }>;
  logLevel: "debug" | "info" | "warn" | "error";
  github: GitHubSettings | null;
}

export function compileDaemonConfig(config: DaemonConfig): DaemonOptions {
  return {
    api: { host: config.api.host, port: config.api.port },
    pollIntervalMs: durationMs(config.repos.pollInterval),
    retryAfterMs: durationMs(config.reconcile.retryAfter),
    generateTimeoutMs: durationMs(config.reconcile.generateTimeout),
    manifestExecutor: config.manifest.executor ?? (config.executor === "kubernetes" ? "docker" : config.executor),
    manifestWarm: config.manifest.warm,
    runExecutor: config.executor,
    kubernetes: config.executor === "kubernetes" ? kubernetesSettings(config.kubernetes) : null,
    runNetwork: config.runs.network,
    runEnv: config.runs.env,
    runWarm: config.runs.warm,
    proxyPort: config.proxy.port,
    machines: config.machines,
    logLevel: config.log.level,
    github: config.github ? githubSettings(config.github) : null,
  };
}

function kubernetesSettings(k: DaemonConfig["kubernetes"]): KubernetesSettings {
  if (!k) {
    throw new SluiceError("config_invalid", "executor: kubernetes needs a `kubernetes:` section (at least image.registry or image.containerd).", {
      hint: "See docs/kubernetes.md, \"Running a daemon's batch runs on a cluster\".",
    });
  }
  return {
    ...(k.kubeconfig ? { kubeconfig: k.kubeconfig } : {}),
    ...(k.context ? { context: k.context } : {}),
    namespace: k.namespace,
    ...(k.serviceAccount ? { serviceAccount: k.serviceAccount } : {}),
    images: k.image.registry !== undefined ? { kind: "registry", registry: k.image.registry } : { kind: "containerd", socket: k.image.containerd ?? "" },
    pullPolicy: k.image.pullPolicy ?? (k.image.registry !== undefined ? "IfNotPresent" : "Never"),
    volumes: k.storageClass !== undefined ? { storageClass: k.storageClass, size: k.storageSize } : "hostPath",
  };
}

function githubSettings(g: NonNullable<DaemonConfig["github"]>): GitHubSettings {
  const auth: GitHubSettings["auth"] = g.app ? { kind: "app", appId: g.app.id, privateKeyFile: g.app.privateKeyFile } : { kind: "token", tokenFile: g.tokenFile ?? "" };
  return {
    apiUrl: g.apiUrl,
    auth,
    webhook: g.webhook ? { host: g.webhook.host, port: g.webhook.port, secretFile: g.webhook.secretFile } : null,
    backoffMs: durationMs(g.backoff),
    maxBackoffMs: durationMs(g.maxBackoff),
    runReports: g.runReports,
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
    const schema = section === "" ? undefined : (SECTIONS[section] ?? NESTED[path]);
    const allowed = section === "" ? Object.keys(SECTIONS) : Object.keys(schema && "shape" in schema ? schema.shape : {});
    return issue.keys.map((key) => `${path ? `${path}.` : ""}${key}: unknown key; allowed here: ${allowed.join(", ")}`).join("\n  ");
  }
  if (path === "" ) return `(top level): expected a mapping of sections (${Object.keys(SECTIONS).join(", ")})`;
  const section = SECTIONS[path as keyof typeof SECTIONS];
  if (issue.code === "invalid_type" && issue.expected === "object" && section && "shape" in section) return `${path}: expected a mapping with keys ${Object.keys(section.shape).join(", ")}`;
  return `${path}: ${issue.message}`;
}
