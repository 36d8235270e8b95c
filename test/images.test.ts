/**
 * Real dockerd: the base image, workspace environments (pyproject, uv.lock, groups,
 * requirements.txt, no dependency file → pinned dlt) and the host-venv variant.
 */
import { execFileSync } from "node:child_process";
import { readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { randomBytes } from "node:crypto";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ContainerEngine } from "../runner/docker/index.js";
import { createDockerodeEngine, runOneShot } from "../runner/docker/index.js";
import { ensureBaseImage, ensureHostVenv, ensureWorkspaceEnvironment, runInEnvironment } from "../runner/images/index.js";
import { writeFiles } from "./support/workspaces.js";

const engine: ContainerEngine = createDockerodeEngine();
let cacheDir = "";
const createdImages = new Set<string>();
const nonce = randomBytes(4).toString("hex");

function pyproject(dependencies: string[], extra = ""): string {
  return [
    "[project]",
    `name = "sluice-test-${nonce}"`,
    'version = "0.1.0"',
    'requires-python = ">=3.9"',
    `dependencies = [${dependencies.map((d) => JSON.stringify(d)).join(", ")}]`,
    "",
    "[dependency-groups]",
    'extra = ["idna==3.10"]',
    extra,
  ].join("\n");
}

async function workspace(files: Record<string, string>): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "sluice-ws-"));
  writeFiles(dir, files);
  return dir;
}

async function python(image: string, workspaceDir: string, code: string) {
  return runInEnvironment(engine, { image, workspaceDir, cmd: ["python", "-c", code], network: "none", timeoutMs: 60_000 });
}

beforeAll(async () => {
  expect(await engine.ping()).toBe(true);
  cacheDir = await mkdtemp(join(tmpdir(), "sluice-cache-"));
});

afterAll(async () => {
  for (const image of createdImages) await engine.removeImage(image, { force: true }).catch(() => undefined);
  if (cacheDir) await rm(cacheDir, { recursive: true, force: true });
});

describe("base image", () => {
  it("is built or reused and carries python3 and uv", async () => {
    const first = await ensureBaseImage(engine, { cacheDir });
    expect(first.tag).toMatch(/^sluice\/python:[0-9a-f]{12}$/);
    const again = await ensureBaseImage(engine, { cacheDir });
    expect(again).toMatchObject({ tag: first.tag, imageId: first.imageId, built: false });
    const result = await runOneShot(engine, { image: first.tag, cmd: ["sh", "-c", "python3 --version && uv --version"], purpose: "test" });
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toMatch(/^Python 3\.\d+\.\d+\nuv 0\.9\.30/);
  });
});

describe("workspace environments", () => {
  it("builds from pyproject.toml, reuses it after a code-only change, and rebuilds when dependencies change", async () => {
    const dir = await workspace({ "pyproject.toml": pyproject(["six==1.17.0"]), "job.py": "print('v1')\n" });
    const lines: string[] = [];
    const first = await ensureWorkspaceEnvironment(engine, { workspaceDir: dir, cacheDir, ensureDlt: false, onProgress: (l) => lines.push(l) });
    createdImages.add(first.image);
    expect(first).toMatchObject({ reused: false, mode: "uv-sync", fallbackDlt: false });
    expect(first.pythonVersion).toMatch(/^3\.\d+\.\d+$/);
    expect(lines.some((l) => /^\[env \d+\.\ds\] .*six==1\.17\.0/.test(l))).toBe(true);

    const imported = await python(first.image, dir, "import six, sys; print(six.__version__, sys.prefix)");
    expect(imported.stdout.trim()).toBe("1.17.0 /opt/sluice/venv");

    await writeFile(join(dir, "job.py"), "print('v2')\n");
    const afterCodeChange = await ensureWorkspaceEnvironment(engine, { workspaceDir: dir, cacheDir, ensureDlt: false });
    expect(afterCodeChange).toMatchObject({ reused: true, key: first.key, image: first.image });
    // Code is mounted, not baked in: the new code is what runs.
    const ran = await runInEnvironment(engine, { image: first.image, workspaceDir: dir, cmd: ["python", "job.py"], network: "none" });
    expect(ran.stdout.trim()).toBe("v2");

    await writeFile(join(dir, "pyproject.toml"), pyproject(["six==1.17.0", "certifi"]));
    const changed = await ensureWorkspaceEnvironment(engine, { workspaceDir: dir, cacheDir, ensureDlt: false });
    createdImages.add(changed.image);
    expect(changed.reused).toBe(false);
    expect(changed.key).not.toBe(first.key);
    expect((await python(changed.image, dir, "import certifi, six; print('ok')")).stdout.trim()).toBe("ok");
  });

  it("installs exactly the locked versions with uv.lock (frozen) and gives each group set its own image", async () => {
    const dir = await workspace({ "pyproject.toml": pyproject(["six"]) });
    execFileSync("uv", ["lock", "--quiet", "--exclude-newer", "2025-01-01T00:00:00Z"], { cwd: dir, stdio: "pipe" });
    const plain = await ensureWorkspaceEnvironment(engine, { workspaceDir: dir, cacheDir, ensureDlt: false });
    const withGroup = await ensureWorkspaceEnvironment(engine, { workspaceDir: dir, cacheDir, ensureDlt: false, dependencyGroups: ["extra"] });
    createdImages.add(plain.image);
    createdImages.add(withGroup.image);
    expect(withGroup.key).not.toBe(plain.key);
    expect(withGroup.groups).toEqual(["extra"]);
    const probe = "import importlib.util as u, six; print(six.__version__, u.find_spec('idna') is not None)";
    expect((await python(plain.image, dir, probe)).stdout.trim()).toBe("1.17.0 False");
    expect((await python(withGroup.image, dir, probe)).stdout.trim()).toBe("1.17.0 True");
  });

  it("builds only once when two callers ask for the same new environment at the same time", async () => {
    const dir = await workspace({ "requirements.txt": `six==1.16.0\n# ${nonce}\n` });
    const [a, b] = await Promise.all([
      ensureWorkspaceEnvironment(engine, { workspaceDir: dir, cacheDir, ensureDlt: false }),
      ensureWorkspaceEnvironment(engine, { workspaceDir: dir, cacheDir, ensureDlt: false }),
    ]);
    createdImages.add(a.image);
    expect(a.key).toBe(b.key);
    expect([a.reused, b.reused].sort()).toEqual([false, true]);
    expect(a.mode).toBe("requirements-txt");
    expect((await python(a.image, dir, "import six; print(six.__version__)")).stdout.trim()).toBe("1.16.0");
    expect(await engine.listContainers({ "sluice.purpose": "env-build" })).toEqual([]);
  });

  it("installs the pinned dlt when the workspace has no dependency file, and dlt's manifest worker runs on a read-only workspace without network", async () => {
    const dir = await workspace({
      ".dlt/.workspace": "",
      "__deployment__.py": [
        "import dlt",
        "from dlt.hub.run import job",
        "",
        "pipeline = dlt.pipeline('imported_pipeline', destination='duckdb')",
        "",
        "@job",
        "def hello():",
        "    print('hello')",
        "",
        "__all__ = ['hello']",
        "",
      ].join("\n"),
    });
    const lines: string[] = [];
    const env = await ensureWorkspaceEnvironment(engine, { workspaceDir: dir, cacheDir, onProgress: (l) => lines.push(l) });
    expect(env).toMatchObject({ mode: "fallback", fallbackDlt: true });
    if (!env.reused) expect(lines.some((l) => l.includes("dlt[workspace]==1.26.0"))).toBe(true);
    const worker = await runInEnvironment(engine, {
      image: env.image,
      workspaceDir: dir,
      cmd: ["python", "-m", "dlt._workspace.deployment._manifest_worker", "__deployment__"],
      network: "none",
      timeoutMs: 120_000,
    });
    expect(worker.exitCode).toBe(0);
    const payload = JSON.parse(worker.stdout.trim().split("\n").pop() ?? "{}") as { manifest?: { jobs: Array<{ job_ref: string }> } };
    expect(payload.manifest?.jobs.map((j) => j.job_ref)).toContain("jobs.__deployment__.hello");
    const version = await python(env.image, dir, "import dlt; print(dlt.__version__)");
    expect(version.stdout.trim()).toBe("1.26.0");
  });

  it("rejects dependency groups for a workspace without pyproject.toml", async () => {
    const dir = await workspace({ "requirements.txt": "six\n" });
    await expect(ensureWorkspaceEnvironment(engine, { workspaceDir: dir, cacheDir, dependencyGroups: ["etl"] })).rejects.toMatchObject({ code: "env_groups_without_pyproject" });
  });
});

describe("host venv", () => {
  it("builds a venv with the host uv and reuses it for code-only changes", async () => {
    const dir = await workspace({ "pyproject.toml": pyproject(["six==1.17.0"]), "job.py": "print(1)\n" });
    const first = await ensureHostVenv({ workspaceDir: dir, cacheDir, ensureDlt: false, dependencyGroups: ["extra"] });
    expect(first.reused).toBe(false);
    expect(first.venvDir.startsWith(cacheDir)).toBe(true);
    const out = execFileSync(first.pythonPath, ["-c", "import six, idna; print(six.__version__)"]).toString().trim();
    expect(out).toBe("1.17.0");
    await writeFile(join(dir, "job.py"), "print(2)\n");
    const again = await ensureHostVenv({ workspaceDir: dir, cacheDir, ensureDlt: false, dependencyGroups: ["extra"] });
    expect(again).toMatchObject({ reused: true, key: first.key, pythonPath: first.pythonPath });
  });

  it("compiles site-packages to bytecode at build, and a venv built without it once on its next use", async () => {
    const dir = await workspace({ "pyproject.toml": pyproject(["six==1.17.0"]), "job.py": "print(1)\n" });
    const built = await ensureHostVenv({ workspaceDir: dir, cacheDir, ensureDlt: false });
    const sitePackages = join(built.venvDir, "lib", `python${built.pythonVersion.split(".").slice(0, 2).join(".")}`, "site-packages");
    const compiled = () => readdirSync(join(sitePackages, "__pycache__")).filter((f) => f.startsWith("six."));
    expect(compiled()).toHaveLength(1);
    // as a venv from before builds compiled: no bytecode, a marker without the flag
    rmSync(join(sitePackages, "__pycache__"), { recursive: true, force: true });
    const marker = join(built.venvDir, ".sluice-env.json");
    const { bytecode: _dropped, ...old } = JSON.parse(readFileSync(marker, "utf8")) as Record<string, unknown>;
    writeFileSync(marker, JSON.stringify(old));
    const lines: string[] = [];
    const reused = await ensureHostVenv({ workspaceDir: dir, cacheDir, ensureDlt: false, onProgress: (line) => lines.push(line) });
    expect(reused.reused).toBe(true);
    expect(compiled()).toHaveLength(1);
    expect(lines.some((line) => line.includes("compiling the host venv"))).toBe(true);
    const once = await ensureHostVenv({ workspaceDir: dir, cacheDir, ensureDlt: false, onProgress: (line) => lines.push(line) });
    expect(once.reused).toBe(true);
    expect(lines.filter((line) => line.includes("compiling the host venv"))).toHaveLength(1);
  });
});
