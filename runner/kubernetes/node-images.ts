/**
 * Images for a cluster without a registry (one node, the daemon's own machine): a workspace's
 * environment image, built by the local Docker engine, is imported into the node's containerd
 * (`docker save IMAGE | ctr -n k8s.io images import -`) before its first run, and pods use it with
 * `imagePullPolicy: Never`. Environment image tags are content keys (a changed environment is a
 * new tag), so an image imported once stays right; each is imported at most once per daemon, and
 * not at all when the node already has it.
 */
import { SluiceError } from "../../core/index.js";
import { runHostCommand } from "../images/host-command.js";
import { lastLines, pipeCommands } from "./commands.js";

export interface NodeImagesOptions {
  /** The node's containerd socket (e.g. /var/lib/sluice/cluster/run/containerd.sock). */
  containerdSocket: string;
  /** Progress lines (an import of a large image takes tens of seconds). */
  onProgress?: (line: string) => void;
  /** `ctr` and `docker` binaries; default from PATH. */
  ctr?: string;
  docker?: string;
}

/** Makes sure the node has `image`; resolves once it can be used with `imagePullPolicy: Never`. */
export type EnsureNodeImage = (image: string) => Promise<void>;

/** containerd names images fully: `sluice/env:k` is `docker.io/sluice/env:k`. */
export function containerdName(image: string): string {
  const first = image.split("/")[0] ?? "";
  const hasRegistry = image.includes("/") && (first.includes(".") || first.includes(":") || first === "localhost");
  const named = hasRegistry ? image : `docker.io/${image.includes("/") ? image : `library/${image}`}`;
  return named.includes(":", named.lastIndexOf("/")) || named.includes("@") ? named : `${named}:latest`;
}

export function nodeImages(options: NodeImagesOptions): EnsureNodeImage {
  const ctr = options.ctr ?? "ctr";
  const docker = options.docker ?? "docker";
  const base = ["-a", options.containerdSocket, "-n", "k8s.io"];
  const imports = new Map<string, Promise<void>>();
  const ensure = async (image: string): Promise<void> => {
    const listed = await runHostCommand(ctr, [...base, "images", "ls", "-q", `name==${containerdName(image)}`]).catch((error: Error) => ({ exitCode: -1, stdout: "", stderr: error.message }));
    if (listed.exitCode !== 0) throw failed(`${ctr} images ls exited with ${listed.exitCode}`, listed.stderr);
    if (listed.stdout.trim() !== "") return;
    const started = Date.now();
    options.onProgress?.(`importing ${image} into the cluster's node`);
    const imported = await pipeCommands([docker, "save", image], [ctr, ...base, "images", "import", "-"]);
    if (imported.codes[0] !== 0 || imported.codes[1] !== 0) throw failed(`${docker} save exited with ${imported.codes[0]}, ${ctr} images import with ${imported.codes[1]}`, imported.stderr);
    options.onProgress?.(`imported ${image} into the cluster's node in ${((Date.now() - started) / 1000).toFixed(1)}s`);
  };
  return (image) => {
    let pending = imports.get(image);
    if (!pending) {
      pending = ensure(image).catch((error: unknown) => {
        imports.delete(image); // the next run tries again
        throw error;
      });
      imports.set(image, pending);
    }
    return pending;
  };
}

function failed(what: string, detail: string): SluiceError {
  return new SluiceError("image_import_failed", `Could not get the run's image into the cluster's node: ${what}${detail ? `: ${lastLines(detail)}` : ""}`, {
    hint: "Check kubernetes.image.containerd in sluice.yaml (the node's containerd socket) and that the daemon may use it (root); `scripts/cluster.sh status` shows a test cluster.",
  });
}
