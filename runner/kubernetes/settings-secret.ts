/**
 * The run's settings overlay as a Kubernetes Secret. The overlay is the one the Docker executor
 * mounts over `/workspace/.dlt` (runner/secrets `createSettingsOverlay`: the checkout's `.dlt/`
 * without `.var`, plus the stored `<profile>.secrets.toml`); on Kubernetes its files become the
 * data of one Secret per run, named like the run's Job, labelled like it and owned by it, mounted
 * read-only at the same path. Values never reach the Job spec or environment variables: the pod
 * only names the Secret and its keys.
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative, sep } from "node:path";
import { SluiceError } from "../../core/index.js";
import type { KubeJob } from "./job-spec.js";

export interface SettingsFile {
  /** Path inside the overlay, `/`-separated (`config.toml`, `prod.secrets.toml`, …). */
  path: string;
  content: Buffer;
}

/** One file of the Secret as the pod's volume projects it. */
export interface SettingsItem {
  key: string;
  path: string;
  mode: number;
}

export interface KubeSecret {
  apiVersion: "v1";
  kind: "Secret";
  metadata: { name: string; namespace: string; labels: Record<string, string> };
  type: "Opaque";
  /** base64 of each file. */
  data: Record<string, string>;
}

/** Kubernetes refuses Secrets over 1 MiB; this leaves room for the object's metadata. */
export const MAX_SETTINGS_BYTES = 1024 * 1024 - 16 * 1024;
/** Secrets files are readable by their owner only, as in the Docker overlay; config files by all. */
const SECRET_MODE = 0o400;
const CONFIG_MODE = 0o444;

/** Every file under the staged overlay directory (sorted, so the Secret is the same for the same files). */
export function readSettingsFiles(dir: string): SettingsFile[] {
  const files: SettingsFile[] = [];
  const walk = (current: string) => {
    for (const name of readdirSync(current).sort()) {
      const path = join(current, name);
      if (statSync(path).isDirectory()) walk(path);
      else files.push({ path: relative(dir, path).split(sep).join("/"), content: readFileSync(path) });
    }
  };
  walk(dir);
  return files;
}

/** Secret keys (`[-._a-zA-Z0-9]+`, unique) and the paths and modes they are projected to. */
export function settingsItems(files: SettingsFile[]): SettingsItem[] {
  const used = new Set<string>();
  return files.map((file) => {
    const base = file.path.replace(/\//g, "__").replace(/[^-._a-zA-Z0-9]/g, "_").replace(/^\.{1,2}$/, "_");
    let key = base;
    for (let n = 2; used.has(key); n += 1) key = `${base}-${n}`;
    used.add(key);
    return { key, path: file.path, mode: /(^|\/)([^/]*\.)?secrets\.toml$/.test(file.path) ? SECRET_MODE : CONFIG_MODE };
  });
}

/** The Secret of the run's Job: same name, namespace and labels; one key per overlay file. */
export function buildSettingsSecret(job: KubeJob, files: SettingsFile[]): KubeSecret {
  const size = files.reduce((total, file) => total + file.content.length, 0);
  if (size > MAX_SETTINGS_BYTES) {
    throw new SluiceError("kubernetes_settings_too_large", `The run's settings (.dlt/ with its secrets) are ${size} bytes; a Kubernetes Secret holds at most ${MAX_SETTINGS_BYTES}.`, {
      hint: "Keep large files out of the workspace's .dlt/ folder (data belongs in the data dir), then run again.",
    });
  }
  const items = settingsItems(files);
  const data = Object.fromEntries(items.map((item, index) => [item.key, files[index]!.content.toString("base64")]));
  const { name, namespace, labels } = job.metadata;
  return { apiVersion: "v1", kind: "Secret", metadata: { name, namespace, labels: { ...labels } }, type: "Opaque", data };
}
