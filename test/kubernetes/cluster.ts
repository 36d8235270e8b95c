/**
 * The real single-node cluster of scripts/cluster.sh for the Kubernetes tests: started when it is
 * not up (a cold build takes 5–15 min, a start from a built cache seconds), images imported into
 * its node (pods use `imagePullPolicy: Never`).
 */
import { execFileSync } from "node:child_process";
import { chmodSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const SCRIPT = join(import.meta.dirname, "..", "..", "scripts", "cluster.sh");

export interface TestCluster {
  kubeconfig: string;
  /** `kubectl` with the cluster's kubeconfig: argv in, stdout out. */
  kubectl(...args: string[]): string;
  importImage(image: string): void;
  /** The loopback registry the node pulls from (`scripts/cluster.sh registry`), e.g. 127.0.0.1:5050. */
  registry: string;
}

export interface StaticStorage {
  storageClass: string;
  /** Host directory of each volume, in creation order. */
  dirs: string[];
  remove(): void;
}

/**
 * The test cluster has no volume provisioner: a storage class without one and `count` hostPath
 * PersistentVolumes of it, each bound by the first claim that asks (one claim per volume). Claims
 * are real; dynamic provisioning is not tested here.
 */
export function staticStorage(cluster: TestCluster, name: string, count = 1): StaticStorage {
  const root = mkdtempSync(join(tmpdir(), "sluice-k8s-pv-"));
  const dirs = Array.from({ length: count }, (_, i) => mkdtempSync(join(root, `volume-${i}-`)));
  for (const dir of dirs) chmodSync(dir, 0o777);
  const manifest = join(root, `${name}.yaml`);
  const volume = (dir: string, i: number) =>
    `apiVersion: v1\nkind: PersistentVolume\nmetadata: { name: ${name}-${i} }\nspec:\n  capacity: { storage: 1Gi }\n  accessModes: [ReadWriteOnce]\n  persistentVolumeReclaimPolicy: Retain\n  storageClassName: ${name}\n  hostPath: { path: ${dir}, type: Directory }`;
  writeFileSync(manifest, [`apiVersion: storage.k8s.io/v1\nkind: StorageClass\nmetadata: { name: ${name} }\nprovisioner: kubernetes.io/no-provisioner\nvolumeBindingMode: Immediate`, ...dirs.map(volume)].join("\n---\n"));
  cluster.kubectl("apply", "-f", manifest);
  return { storageClass: name, dirs, remove: () => void cluster.kubectl("delete", "-f", manifest, "--ignore-not-found", "--wait=false") };
}

export function ensureCluster(): TestCluster {
  // `up` prints the kubeconfig's path as its last line; it builds first when the cache is empty
  const output = execFileSync("bash", [SCRIPT, "up"], { encoding: "utf8", timeout: 1_800_000, stdio: ["ignore", "pipe", "inherit"] });
  const kubeconfig = output.trim().split("\n").at(-1) ?? "";
  const kubectlPath = /kubectl: (\S+)\)/.exec(output)?.[1] ?? "kubectl";
  return {
    kubeconfig,
    kubectl: (...args) => execFileSync(kubectlPath, ["--kubeconfig", kubeconfig, ...args], { encoding: "utf8", timeout: 60_000 }),
    importImage: (image) => void execFileSync("bash", [SCRIPT, "import-image", image], { encoding: "utf8", timeout: 300_000, stdio: ["ignore", "pipe", "inherit"] }),
    registry: execFileSync("bash", [SCRIPT, "registry"], { encoding: "utf8" }).trim(),
  };
}
