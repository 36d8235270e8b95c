import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { chooseMode, environmentKey, normalizeGroups, readDependencyInputs } from "./env-key.js";
import type { DependencyInputs } from "./env-key.js";

const pyproject = '[project]\nname = "w"\nversion = "0.1.0"\ndependencies = ["six"]\n';

function inputs(overrides: Partial<DependencyInputs> = {}): DependencyInputs {
  return { files: { "pyproject.toml": pyproject }, mode: "uv-sync", groups: [], ...overrides };
}

describe("environmentKey", () => {
  it("is stable for the same inputs and independent of group order and duplicates", () => {
    const a = environmentKey({ inputs: inputs({ groups: ["b", "a"] }), base: "sha256:1", ensureDlt: true });
    const b = environmentKey({ inputs: inputs({ groups: ["a", "b", "a"] }), base: "sha256:1", ensureDlt: true });
    expect(a).toBe(b);
    expect(a).toMatch(/^[0-9a-f]{16}$/);
  });

  it("changes with dependency content, lock file, groups, base image and the dlt fallback flag", () => {
    const reference = environmentKey({ inputs: inputs(), base: "sha256:1", ensureDlt: true });
    const variants = [
      environmentKey({ inputs: inputs({ files: { "pyproject.toml": `${pyproject}# changed\n` } }), base: "sha256:1", ensureDlt: true }),
      environmentKey({ inputs: inputs({ files: { "pyproject.toml": pyproject, "uv.lock": "version = 1\n" } }), base: "sha256:1", ensureDlt: true }),
      environmentKey({ inputs: inputs({ groups: ["etl"] }), base: "sha256:1", ensureDlt: true }),
      environmentKey({ inputs: inputs(), base: "sha256:2", ensureDlt: true }),
      environmentKey({ inputs: inputs(), base: "sha256:1", ensureDlt: false }),
    ];
    expect(new Set([reference, ...variants]).size).toBe(variants.length + 1);
  });
});

describe("chooseMode", () => {
  it("uses uv sync only for a pyproject with a [project] table", () => {
    expect(chooseMode({ "pyproject.toml": pyproject })).toBe("uv-sync");
    expect(chooseMode({ "pyproject.toml": "[tool.ruff]\nline-length = 100\n", "requirements.txt": "six\n" })).toBe("requirements-txt");
    expect(chooseMode({ "requirements.in": "six\n" })).toBe("requirements-in");
    expect(chooseMode({})).toBe("fallback");
  });
});

describe("readDependencyInputs", () => {
  it("reads only dependency files, so code changes do not touch the inputs", async () => {
    const dir = await mkdtemp(join(tmpdir(), "sluice-env-key-"));
    await writeFile(join(dir, "pyproject.toml"), pyproject);
    await writeFile(join(dir, "job.py"), "print(1)\n");
    const before = await readDependencyInputs(dir, [" etl ", "etl"]);
    await writeFile(join(dir, "job.py"), "print(2)\n");
    const after = await readDependencyInputs(dir, ["etl"]);
    expect(after).toEqual(before);
    expect(before.groups).toEqual(["etl"]);
    expect(Object.keys(before.files)).toEqual(["pyproject.toml"]);
  });

  it("normalizes groups", () => {
    expect(normalizeGroups(["b", "", "a", "b"])).toEqual(["a", "b"]);
  });
});
