/**
 * Images for a cluster without a registry (one node, the daemon's own machine): a workspace's
 * environment image, built by the local Docker engine, is imported into the node's containerd
 * (`docker save IMAGE | ctr -n k8s.io images import -`) before its first run, and pods use it with
 * `imagePullPolicy: Never`. Environment image tags are content keys (a changed environment is a
 * new tag), so an image imported once stays right; each is imported at most once per daemon, and
 * not at all when the node already has it.
 */
import { spawn } from "node:child_process";
import { SluiceError } from "../../core/index.js";

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
    const listed = await run(ctr, [...base, "images", "ls", "-q", `name==${containerdName(image)}`]);
    if (listed.stdout.trim() !== "") return;
    const started = Date.now();
    options.onProgress?.(`importing ${image} into the cluster's node`);
    await pipe([docker, "save", image], [ctr, ...base, "images", "import", "-"]);
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
  return new SluiceError("image_import_failed", `Could not get the run's image into the cluster's node: ${what}${detail ? `: ${detail.trim().split("\n").slice(-3).join(" ")}` : ""}`, {
    hint: "Check kubernetes.image.containerd in sluice.yaml (the node's containerd socket) and that the daemon may use it (root); `scripts/cluster.sh status` shows a test cluster.",
  });
}

function run(command: string, args: string[]): Promise<{ stdout: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    child.on("error", (error) => reject(failed(`${command} could not be started`, error.message)));
    child.on("close", (code) => (code === 0 ? resolve({ stdout }) : reject(failed(`${command} ${args.slice(4).join(" ")} exited with ${code}`, stderr))));
  });
}

/** `from | to`, failing when either side fails. */
function pipe(from: string[], to: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const source = spawn(from[0] ?? "", from.slice(1), { stdio: ["ignore", "pipe", "pipe"] });
    const sink = spawn(to[0] ?? "", to.slice(1), { stdio: ["pipe", "ignore", "pipe"] });
    let errors = "";
    source.stderr.on("data", (chunk: Buffer) => (errors += chunk.toString()));
    sink.stderr.on("data", (chunk: Buffer) => (errors += chunk.toString()));
    source.stdout.pipe(sink.stdin);
    sink.stdin.on("error", () => undefined); // the sink died: its exit code says so
    const exits = [source, sink].map(
      (child, i) =>
        new Promise<number | null>((done) => {
          child.on("error", (error) => {
            errors += `${i === 0 ? from[0] : to[0]}: ${error.message}\n`;
            done(-1);
          });
          child.on("close", (code) => done(code));
        }),
    );
    void Promise.all(exits).then(([saved, imported]) => {
      if (saved === 0 && imported === 0) resolve();
      else reject(failed(`${from.slice(0, 2).join(" ")} exited with ${saved}, ${to[0]} images import with ${imported}`, errors));
    });
  });
}
