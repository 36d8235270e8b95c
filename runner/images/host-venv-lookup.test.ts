import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { EnvironmentMode } from "./env-key.js";
import { HOST_VENV_MARKER, createHostVenvLookup, type EnsureHostVenvOptions, type HostVenv } from "./host-venv.js";

/** Builds nothing: makes a venv folder with its marker, like a finished build, and counts the calls. */
function markerOnlyEnsure(root: string): { ensure: (options: EnsureHostVenvOptions) => Promise<HostVenv>; calls: EnsureHostVenvOptions[] } {
  const calls: EnsureHostVenvOptions[] = [];
  const ensure = async (options: EnsureHostVenvOptions): Promise<HostVenv> => {
    calls.push(options);
    const venvDir = join(root, `venv-${calls.length}`);
    mkdirSync(venvDir, { recursive: true });
    writeFileSync(join(venvDir, HOST_VENV_MARKER), "{}");
    return { pythonPath: join(venvDir, "bin", "python"), venvDir, key: `k${calls.length}`, reused: false, seconds: 1, pythonVersion: "3.11", mode: EnvironmentMode.uvSync, groups: [], fallbackDlt: false };
  };
  return { ensure, calls };
}

describe("host venv lookup for runs", () => {
  it("answers an unchanged workspace from memory; a rewritten pyproject.toml, a new uv.lock, other dependency groups or a removed venv marker go to ensureHostVenv again", async () => {
    const root = mkdtempSync(join(tmpdir(), "sluice-venv-lookup-"));
    const ws = join(root, "ws");
    mkdirSync(ws);
    writeFileSync(join(ws, "pyproject.toml"), '[project]\nname = "ws"\n');
    const { ensure, calls } = markerOnlyEnsure(root);
    const lookup = createHostVenvLookup({ python: "python3" }, ensure);

    const first = await lookup(ws, []);
    const second = await lookup(ws, []);
    expect(calls).toHaveLength(1);
    expect(second).toMatchObject({ venvDir: first.venvDir, pythonPath: first.pythonPath, reused: true });

    writeFileSync(join(ws, "pyproject.toml"), '[project]\nname = "ws"\ndependencies = ["dlt"]\n');
    expect((await lookup(ws, [])).venvDir).toBe(join(root, "venv-2"));
    writeFileSync(join(ws, "uv.lock"), "version = 1\n");
    expect((await lookup(ws, [])).venvDir).toBe(join(root, "venv-3"));
    expect((await lookup(ws, ["extra"])).venvDir).toBe(join(root, "venv-4"));
    rmSync(join(root, "venv-3", HOST_VENV_MARKER));
    expect((await lookup(ws, [])).venvDir).toBe(join(root, "venv-5"));
    await lookup(ws, []);
    await lookup(ws, ["extra"]);
    expect(calls.map((call) => call.dependencyGroups)).toEqual([[], [], [], ["extra"], []]);
  });
});
