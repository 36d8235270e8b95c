import { execFileSync } from "node:child_process";
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ensureHostVenv, findHostPythonCached } from "./host-venv.js";

/** An interpreter that counts its starts in a file, then runs the real python3. */
function countingPython(): { python: string; starts: () => number } {
  const dir = mkdtempSync(join(tmpdir(), "sluice-probe-"));
  const counter = join(dir, "starts");
  const python = join(dir, "python-counting");
  writeFileSync(python, `#!/bin/sh\necho x >> "${counter}"\nexec python3 "$@"\n`);
  chmodSync(python, 0o755);
  return { python, starts: () => (existsSync(counter) ? readFileSync(counter, "utf8").split("\n").filter(Boolean).length : 0) };
}

describe("host python probe cache", () => {
  it("probes an interpreter once: a second call within the refresh time starts no python and gives the same executable and version", async () => {
    const { python, starts } = countingPython();
    const first = await findHostPythonCached(python);
    const second = await findHostPythonCached(python);
    expect(starts()).toBe(1);
    expect(second).toEqual(first);
    expect(first.version).toMatch(/^3\.\d+\.\d+/);
  });

  it("does not keep a failed probe: the next call tries the interpreter again and fails with host_python_missing", async () => {
    const missing = join(mkdtempSync(join(tmpdir(), "sluice-probe-")), "no-such-python");
    await expect(findHostPythonCached(missing)).rejects.toMatchObject({ code: "host_python_missing" });
    writeFileSync(missing, "#!/bin/sh\nexec python3 \"$@\"\n");
    chmodSync(missing, 0o755);
    await expect(findHostPythonCached(missing)).resolves.toMatchObject({ version: expect.stringMatching(/^3\./) });
  });
});

/** pyenv's installed 3.x versions other than the one selected outside any project; empty without pyenv. */
function otherPyenvVersions(): string[] {
  try {
    const options = { cwd: tmpdir(), encoding: "utf8" as const };
    const selected = execFileSync("pyenv", ["version-name"], options).trim();
    return execFileSync("pyenv", ["versions", "--bare", "--skip-aliases"], options)
      .split("\n")
      .map((line) => line.trim())
      .filter((version) => /^3\.\d+\.\d+$/.test(version) && version !== selected);
  } catch {
    return [];
  }
}

const others = otherPyenvVersions();

describe("host python chosen per workspace directory", () => {
  it.skipIf(others.length === 0)("a workspace under a .python-version (pyenv) gets that version's python3; a directory outside it keeps the default one", async () => {
    const wanted = others[others.length - 1] ?? "";
    const repo = mkdtempSync(join(tmpdir(), "sluice-pyver-"));
    writeFileSync(join(repo, ".python-version"), `${wanted}\n`);
    const workspace = join(repo, "some_workspace");
    mkdirSync(workspace);
    const outside = mkdtempSync(join(tmpdir(), "sluice-pyver-outside-"));
    const inRepo = await findHostPythonCached("python3", workspace);
    const elsewhere = await findHostPythonCached("python3", outside);
    expect(inRepo.version).toBe(wanted);
    expect(elsewhere.version).not.toBe(wanted);
  });

  it("a workspace whose requires-python the host python does not fit fails its venv build with env_build_failed and a hint naming the python and how to choose another", async () => {
    const workspace = mkdtempSync(join(tmpdir(), "sluice-pyreq-"));
    writeFileSync(join(workspace, "pyproject.toml"), '[project]\nname = "needs-future-python"\nversion = "0.1.0"\nrequires-python = ">=3.99"\ndependencies = []\n');
    const python = await findHostPythonCached("python3", workspace);
    const failure = await ensureHostVenv({ workspaceDir: workspace, cacheDir: join(workspace, ".cache"), ensureDlt: false }).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(failure).toMatchObject({ code: "env_build_failed", message: expect.stringContaining("incompatible with the project's Python requirement") });
    expect((failure as { hint?: string }).hint).toContain(`starts in ${workspace} (${python.executable}, ${python.version})`);
    expect((failure as { hint?: string }).hint).toContain("SLUICE_HOST_PYTHON");
  });
});
