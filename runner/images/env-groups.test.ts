import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { checkGroupsResolvable, normalizeGroupName, parseUndefinedGroups, unresolvableGroups } from "./env-groups.js";
import type { DependencyInputs } from "./env-key.js";

const HELPER = join(import.meta.dirname, "env_groups.py");
const dir = mkdtempSync(join(tmpdir(), "sluice-env-groups-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const PYPROJECT = ['[project]', 'name = "ws"', 'version = "0"', "", "[dependency-groups]", 'ibis = ["ibis-framework"]', 'Heavy_ML = ["six"]', ""].join("\n");
writeFileSync(join(dir, "pyproject.toml"), PYPROJECT);

/** env_groups.py run by the host interpreter (real tomllib; no dlt installed there). */
function helper(...args: string[]) {
  return spawnSync(process.env.SLUICE_HOST_PYTHON ?? "python3", [HELPER, ...args], { cwd: dir, encoding: "utf8" });
}

function inputs(mode: DependencyInputs["mode"], groups: string[]): DependencyInputs {
  return { files: {}, mode, groups };
}

describe("env_groups.py split (which requested groups go to uv sync)", () => {
  it("passes only the groups pyproject.toml defines, compared by normalized name, in the requested order", () => {
    const result = helper("split", "pyproject.toml", "jobs.workspace.dashboard", "ibis", "heavy-ml", "main");
    expect(result.status, result.stderr).toBe(0);
    expect(result.stdout.trim()).toBe("--group ibis --group heavy-ml");
  });

  it("passes nothing without a pyproject table ('-')", () => {
    expect(helper("split", "-", "ibis").stdout.trim()).toBe("");
  });

  it("rejects a group name that is not a PEP 735 name (it would split in the shell)", () => {
    const result = helper("split", "pyproject.toml", "x y");
    expect(result.status).toBe(2);
    expect(result.stderr).toContain("invalid dependency group name(s): x y");
  });
});

describe("env_groups.py dlt-specs", () => {
  it("does not need dlt when every requested group is defined in pyproject.toml: nothing to install on top", () => {
    const result = helper("dlt-specs", "out", "pyproject.toml", "ibis", "HEAVY.ml");
    expect(result.status, result.stderr).toBe(0);
    expect(readFileSync(join(dir, "out", "requirements.txt"), "utf8")).toBe("");
  });

  it("asks dlt about a group pyproject.toml does not define and says so when dlt is missing", () => {
    const result = helper("dlt-specs", "out", "pyproject.toml", "ibis", "jobs.workspace.dashboard");
    expect(result.status).toBe(2);
    expect(result.stderr).toContain("resolving dependency groups needs dlt >= 1.26 in the environment");
  });
});

describe("group resolution in TypeScript", () => {
  it("normalizes names as PEP 503/735 do", () => {
    expect(normalizeGroupName("Jobs.Workspace__Dashboard")).toBe("jobs-workspace-dashboard");
  });

  it("without a pyproject [project] table, only dlt's own groups (main, the dashboard's) can resolve", () => {
    expect(unresolvableGroups(inputs("requirements-txt", ["jobs.workspace.dashboard", "main", "etl"]))).toEqual(["etl"]);
    expect(unresolvableGroups(inputs("fallback", ["jobs-workspace-dashboard"]))).toEqual([]);
    expect(unresolvableGroups(inputs("uv-sync", ["anything"]))).toEqual([]);
    expect(() => checkGroupsResolvable(inputs("fallback", ["etl"]), "/ws")).toThrow(expect.objectContaining({ code: "env_groups_without_pyproject" }));
  });

  it("reads the undefined-groups marker of a failed build", () => {
    expect(parseUndefinedGroups("noise\nSLUICE_UNDEFINED_GROUPS=nope,other\n")).toEqual(["nope", "other"]);
    expect(parseUndefinedGroups("noise\n")).toBeUndefined();
  });
});
