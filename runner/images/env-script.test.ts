import { describe, expect, it } from "vitest";
import { envFileText, environmentScript, installCommands, parseScriptMarkers, shQuote } from "./env-script.js";
import type { DependencyInputs } from "./env-key.js";

const base = { srcDir: "/src", venvDir: "/opt/sluice/venv", python: "/usr/bin/python3", ensureDlt: false };

function inputs(overrides: Partial<DependencyInputs>): DependencyInputs {
  return { files: {}, mode: "fallback", groups: [], ...overrides };
}

describe("installCommands", () => {
  it("syncs frozen when a lock exists, never installing the project", () => {
    const commands = installCommands({ ...base, inputs: inputs({ mode: "uv-sync", files: { "pyproject.toml": "", "uv.lock": "" } }) });
    expect(commands[1]).toBe("UV_PROJECT_ENVIRONMENT='/opt/sluice/venv' uv sync --frozen --no-install-project --python '/usr/bin/python3'");
  });

  it("syncs only the requested groups pyproject.toml defines (the helper picks them; uv never sees dlt's own groups)", () => {
    const commands = installCommands({ ...base, groupsHelper: "/b/env_groups.py", inputs: inputs({ mode: "uv-sync", files: { "pyproject.toml": "", "uv.lock": "" }, groups: ["etl", "jobs.workspace.dashboard"] }) });
    expect(commands[0]).toBe("SLUICE_SYNC_GROUPS=$('/usr/bin/python3' '/b/env_groups.py' split pyproject.toml 'etl' 'jobs.workspace.dashboard')");
    expect(commands[2]).toBe("UV_PROJECT_ENVIRONMENT='/opt/sluice/venv' uv sync --frozen --no-install-project --python '/usr/bin/python3' $SLUICE_SYNC_GROUPS");
  });

  it("syncs without --frozen when there is no lock", () => {
    const commands = installCommands({ ...base, inputs: inputs({ mode: "uv-sync", files: { "pyproject.toml": "" } }) });
    expect(commands.join("\n")).not.toContain("--frozen");
  });

  it("installs requirements.txt into a fresh venv", () => {
    const commands = installCommands({ ...base, inputs: inputs({ mode: "requirements-txt", files: { "requirements.txt": "six" } }) });
    expect(commands.slice(1)).toEqual(["uv venv --python '/usr/bin/python3' '/opt/sluice/venv'", "uv pip install --python '/opt/sluice/venv'/bin/python -r requirements.txt"]);
  });

  it("installs the pinned dlt when there is no dependency file", () => {
    expect(installCommands({ ...base, inputs: inputs({}) }).join("\n")).toContain("'dlt[workspace]==1.26.0'");
  });
});

describe("environmentScript", () => {
  it("sources the env file, checks dlt only when asked and prints the python marker", () => {
    const withDlt = environmentScript({ ...base, ensureDlt: true, envFile: "/b/build.env", inputs: inputs({ mode: "uv-sync", files: { "pyproject.toml": "" } }) });
    expect(withDlt).toContain("set -a\n. '/b/build.env'\nset +a");
    expect(withDlt).toContain("import dlt");
    expect(withDlt).toContain("SLUICE_PYTHON_VERSION=");
    const without = environmentScript({ ...base, inputs: inputs({ mode: "uv-sync", files: { "pyproject.toml": "" } }) });
    expect(without).not.toContain("import dlt");
    expect(without).not.toContain("dlt-specs");
  });

  it("after dlt is ensured, installs the specs dlt gives for requested groups on top, under constraints", () => {
    const script = environmentScript({ ...base, ensureDlt: true, groupsHelper: "/b/env_groups.py", inputs: inputs({ mode: "requirements-txt", files: { "requirements.txt": "" }, groups: ["jobs.workspace.dashboard"] }) });
    const specs = script.indexOf("'/opt/sluice/venv'/bin/python '/b/env_groups.py' dlt-specs '.sluice-dlt-groups' - 'jobs.workspace.dashboard'");
    expect(specs).toBeGreaterThan(script.indexOf("import dlt"));
    expect(script).toContain("uv pip install --python '/opt/sluice/venv'/bin/python -r '.sluice-dlt-groups'/requirements.txt -c '.sluice-dlt-groups'/constraints.txt");
  });
});

describe("helpers", () => {
  it("quotes for sh, including single quotes", () => {
    expect(shQuote("it's")).toBe("'it'\\''s'");
  });

  it("writes an env file with quoted values and rejects bad names", () => {
    expect(envFileText({ B: "x y", A: "https://u:p@h/simple" })).toBe("A='https://u:p@h/simple'\nB='x y'\n");
    expect(() => envFileText({ "BAD-NAME": "1" })).toThrow();
  });

  it("parses markers", () => {
    expect(parseScriptMarkers("noise\nSLUICE_FALLBACK_DLT=1\nSLUICE_PYTHON_VERSION=3.13.5\n")).toEqual({ pythonVersion: "3.13.5", fallbackDlt: true });
    expect(parseScriptMarkers("")).toEqual({ pythonVersion: undefined, fallbackDlt: false });
  });
});
