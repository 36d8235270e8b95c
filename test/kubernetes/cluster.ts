/**
 * The real single-node cluster of scripts/cluster.sh for the Kubernetes tests: started when it is
 * not up (a cold build takes 5–15 min, a start from a built cache seconds), images imported into
 * its node (pods use `imagePullPolicy: Never`).
 */
import { execFileSync } from "node:child_process";
import { join } from "node:path";

const SCRIPT = join(import.meta.dirname, "..", "..", "scripts", "cluster.sh");

export interface TestCluster {
  kubeconfig: string;
  /** `kubectl` with the cluster's kubeconfig: argv in, stdout out. */
  kubectl(...args: string[]): string;
  importImage(image: string): void;
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
  };
}
