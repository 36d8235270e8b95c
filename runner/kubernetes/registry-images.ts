/**
 * Images for a cluster that pulls from a registry: the run's image is the workspace's environment
 * image with the deployed checkout as one more layer (at `/workspace`, without `.git` and `.dlt`:
 * settings reach the pod as its Secret), built by the daemon's Docker engine, pushed to the
 * configured registry and referenced by digest. So a pod needs nothing from the daemon's disk and
 * can run on any node that reaches the registry.
 *
 * The image is keyed by the environment image and a fingerprint of the checkout (paths, sizes,
 * modes, modification times): an unchanged checkout is built and pushed once per daemon; after a
 * restart the build is a cache hit and the push only checks that the registry has the layers.
 */
import { createHash } from "node:crypto";
import { mkdtempSync, readdirSync, lstatSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SluiceError } from "../../core/index.js";
import { runHostCommand } from "../images/host-command.js";
import { lastLines, pipeCommands } from "./commands.js";

export interface RegistryImagesOptions {
  /** `host[:port][/path]` the daemon pushes to and the cluster pulls from, e.g. `127.0.0.1:5050`. */
  registry: string;
  onProgress?: (line: string) => void;
  docker?: string;
  tar?: string;
}

export interface CodeImageInput {
  /** The workspace's environment image (a local Docker image). */
  environmentImage: string;
  workspace: string;
  /** The checkout the run belongs to. */
  checkoutDir: string;
}

/** Resolves to `<registry>/<repository>@sha256:…` once the registry has the image. */
export type ShipCodeImage = (input: CodeImageInput) => Promise<string>;

/** Folders of the checkout root that never go into the image. */
const EXCLUDED = [".git", ".dlt"];
const DOCKERFILE = "Dockerfile";
const CONTEXT_DIR = "workspace";

export function registryImages(options: RegistryImagesOptions): ShipCodeImage {
  const docker = options.docker ?? "docker";
  const shipped = new Map<string, Promise<string>>();
  const ship = async (input: CodeImageInput, tag: string): Promise<string> => {
    const started = Date.now();
    options.onProgress?.(`building ${tag} (${input.environmentImage} + the checkout of ${input.workspace})`);
    await buildCodeImage(input, tag, docker, options.tar ?? "tar");
    options.onProgress?.(`pushing ${tag}`);
    const pushed = await runHostCommand(docker, ["push", tag]).catch((error: Error) => ({ exitCode: -1, stdout: "", stderr: error.message }));
    if (pushed.exitCode !== 0) throw failed(`docker push ${tag} exited with ${pushed.exitCode}`, pushed.stderr || pushed.stdout);
    const digest = /digest: (sha256:[0-9a-f]{64})/.exec(pushed.stdout)?.[1];
    if (!digest) throw failed(`docker push ${tag} printed no digest`, pushed.stdout);
    options.onProgress?.(`pushed ${tag} (${digest}) in ${((Date.now() - started) / 1000).toFixed(1)}s`);
    return `${tag.slice(0, tag.lastIndexOf(":"))}@${digest}`;
  };
  return (input) => {
    const tag = codeImageTag(options.registry, input.workspace, `${input.environmentImage}\n${checkoutFingerprint(input.checkoutDir)}`);
    let pending = shipped.get(tag);
    if (!pending) {
      pending = ship(input, tag).catch((error: unknown) => {
        shipped.delete(tag); // the next run tries again
        throw error;
      });
      shipped.set(tag, pending);
    }
    return pending;
  };
}

/** `<registry>/sluice-run-<workspace>:<key>` (repository names are lowercase letters, digits, `._-`). */
export function codeImageTag(registry: string, workspace: string, identity: string): string {
  const slug = workspace.toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^-+|-+$/g, "").slice(0, 100) || "workspace";
  const key = createHash("sha256").update(identity).digest("hex").slice(0, 20);
  return `${registry.replace(/\/+$/, "")}/sluice-run-${slug}:${key}`;
}

/** Paths, types, sizes, modes and modification times of the checkout's files (root `.git`/`.dlt` left out). */
export function checkoutFingerprint(dir: string): string {
  const hash = createHash("sha256");
  const walk = (relative: string) => {
    for (const name of readdirSync(join(dir, relative)).sort()) {
      const path = relative ? `${relative}/${name}` : name;
      if (!relative && EXCLUDED.includes(name)) continue;
      const stat = lstatSync(join(dir, path));
      hash.update(`${path}\0${stat.mode}\0${stat.size}\0${stat.mtimeMs}\n`);
      if (stat.isDirectory()) walk(path);
    }
  };
  walk("");
  return hash.digest("hex");
}

/** `tar` of the checkout under `workspace/` plus our Dockerfile | `docker build -` (the user's own Dockerfile and .dockerignore stay plain files). */
async function buildCodeImage(input: CodeImageInput, tag: string, docker: string, tar: string): Promise<void> {
  const stage = mkdtempSync(join(tmpdir(), "sluice-code-image-"));
  try {
    writeFileSync(join(stage, DOCKERFILE), [`FROM ${input.environmentImage}`, "LABEL sluice.managed=true sluice.purpose=code", `COPY ${CONTEXT_DIR}/ /workspace/`, ""].join("\n"));
    const excludes = EXCLUDED.map((name) => `--exclude=./${name}`);
    const transform = `--transform=s,^\\./,${CONTEXT_DIR}/,;s,^\\.$,${CONTEXT_DIR},`;
    const built = await pipeCommands([tar, "-c", ...excludes, transform, "-C", input.checkoutDir, ".", "-C", stage, DOCKERFILE], [docker, "build", "-q", "-t", tag, "-"]);
    if (built.codes[0] !== 0 || built.codes[1] !== 0) throw failed(`tar exited with ${built.codes[0]}, docker build with ${built.codes[1]}`, built.stderr);
  } finally {
    rmSync(stage, { recursive: true, force: true });
  }
}

function failed(what: string, detail: string): SluiceError {
  return new SluiceError("image_push_failed", `Could not get the run's image into the registry: ${what}${detail.trim() ? `: ${lastLines(detail)}` : ""}`, {
    hint: "Check kubernetes.image.registry in sluice.yaml, that the daemon's Docker engine can push there (`docker push`), and that the cluster's nodes can pull from it.",
  });
}
