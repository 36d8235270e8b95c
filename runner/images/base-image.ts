/**
 * The base image every workspace environment starts from: Debian trixie (minbase) with the
 * distribution's python3, venv support, CA certificates and a pinned uv. No registry is reachable,
 * so it is bootstrapped with debootstrap and `docker import`ed; its tag is the recipe's hash,
 * which makes the tag itself the cache.
 */
import { spawn } from "node:child_process";
import { access, mkdir, mkdtemp, rm } from "node:fs/promises";
import { join } from "node:path";
import { SluiceError } from "../../core/index.js";
import type { ContainerEngine } from "../docker/index.js";
import { labelChanges, managedLabels } from "../docker/index.js";
import { baseImageRecipe, baseImageTag, recipeHash } from "./base-recipe.js";
import { findDebianMirror } from "./debian-mirror.js";
import { withFileLock } from "./file-lock.js";
import { runHostCommand } from "./host-command.js";
import { defaultCacheDir } from "./paths.js";
import type { ProgressSink } from "./progress.js";
import { createProgress } from "./progress.js";
import { removeRootfs } from "./rootfs-cleanup.js";
import { installUvInto } from "./uv-binary.js";

export interface EnsureBaseImageOptions {
  cacheDir?: string;
  onProgress?: ProgressSink;
  /** Build even when the tag exists (the tag then moves to the new image). */
  rebuild?: boolean;
}

export interface BaseImageResult {
  tag: string;
  imageId: string;
  built: boolean;
  seconds: number;
}

export async function ensureBaseImage(engine: ContainerEngine, options: EnsureBaseImageOptions = {}): Promise<BaseImageResult> {
  const progress = createProgress("base", options.onProgress);
  const tag = baseImageTag();
  const cacheDir = options.cacheDir ?? defaultCacheDir();
  const existing = options.rebuild ? undefined : await engine.inspectImage(tag);
  if (existing) return { tag, imageId: existing.id, built: false, seconds: progress.elapsedSeconds() };

  const lockPath = join(cacheDir, "locks", `base-${recipeHash(baseImageRecipe)}.lock`);
  return withFileLock(
    lockPath,
    async () => {
      const afterWait = options.rebuild ? undefined : await engine.inspectImage(tag);
      if (afterWait) return { tag, imageId: afterWait.id, built: false, seconds: progress.elapsedSeconds() };
      const imageId = await buildBaseImage(engine, tag, cacheDir, progress.line);
      progress.line(`built ${tag} (${imageId.slice(0, 19)})`);
      return { tag, imageId, built: true, seconds: progress.elapsedSeconds() };
    },
    { onWait: () => progress.line("another process is building the base image; waiting") },
  );
}

async function buildBaseImage(engine: ContainerEngine, tag: string, cacheDir: string, line: (text: string) => void): Promise<string> {
  await checkPrerequisites();
  const workDir = join(cacheDir, "tmp");
  await mkdir(workDir, { recursive: true });
  const buildDir = await mkdtemp(join(workDir, "base-"));
  const rootfs = join(buildDir, "rootfs");
  try {
    const { suite, variant, packages } = baseImageRecipe.debootstrap;
    const mirror = await findDebianMirror();
    line(`debootstrap ${suite} (${variant}, ${packages.join(", ")}) from ${mirror}`);
    const boot = await runHostCommand(
      "debootstrap",
      [`--variant=${variant}`, `--include=${packages.join(",")}`, suite, rootfs, mirror],
      { onLine: (_stream, text) => line(text) },
    );
    if (boot.exitCode !== 0) {
      throw new SluiceError("base_image_build_failed", `debootstrap exited with ${boot.exitCode}`, {
        hint: `Check the mirror ${mirror} (override with SLUICE_DEBIAN_MIRROR) and ${join(rootfs, "debootstrap", "debootstrap.log")}.`,
      });
    }
    line(`installing uv ${baseImageRecipe.uvVersion}`);
    await installUvInto(join(rootfs, "usr", "local", "bin"), baseImageRecipe.uvVersion, buildDir, line);
    await rm(join(rootfs, "var", "lib", "apt", "lists"), { recursive: true, force: true });
    await mkdir(join(rootfs, "var", "lib", "apt", "lists", "partial"), { recursive: true });
    await removeDebs(rootfs);
    await mkdir(join(rootfs, "workspace"), { recursive: true });
    await mkdir(join(rootfs, "opt", "sluice"), { recursive: true });
    line(`importing ${tag}`);
    const labels = managedLabels("base-image", { "sluice.recipe": recipeHash(baseImageRecipe) });
    return await importRootfs(engine, rootfs, tag, [...baseImageRecipe.changes, ...labelChanges(labels)]);
  } finally {
    await removeRootfs(buildDir);
  }
}

async function checkPrerequisites(): Promise<void> {
  if (process.getuid?.() !== 0) {
    throw new SluiceError("base_image_needs_root", "building the base image runs debootstrap, which needs root", {
      hint: "Run `sluice base-image` (or scripts/setup.sh) as root.",
    });
  }
  const found = await runHostCommand("sh", ["-c", "command -v debootstrap"]).catch(() => ({ exitCode: 1 }));
  if (found.exitCode !== 0) {
    throw new SluiceError("base_image_needs_debootstrap", "debootstrap is not installed", {
      hint: "Install it with `apt-get install -y debootstrap` (scripts/setup.sh does this).",
    });
  }
}

async function removeDebs(rootfs: string): Promise<void> {
  const archives = join(rootfs, "var", "cache", "apt", "archives");
  await access(archives).then(
    () => runHostCommand("find", [archives, "-maxdepth", "1", "-name", "*.deb", "-delete"]),
    () => undefined,
  );
}

async function importRootfs(engine: ContainerEngine, rootfs: string, tag: string, changes: string[]): Promise<string> {
  const tar = spawn("tar", ["--numeric-owner", "-C", rootfs, "-c", "."], { stdio: ["ignore", "pipe", "pipe"] });
  let tarErrors = "";
  tar.stderr.on("data", (chunk: Buffer) => (tarErrors += chunk.toString()));
  const tarExit = new Promise<number>((resolve) => tar.on("close", (code) => resolve(code ?? 1)));
  const imageId = await engine.importImage(tar.stdout, { tag, changes });
  const code = await tarExit;
  if (code !== 0) throw new SluiceError("base_image_build_failed", `tar of the root file system failed (${code}): ${tarErrors.trim()}`);
  return imageId;
}
