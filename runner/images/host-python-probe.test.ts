import { chmodSync, mkdtempSync, readFileSync, writeFileSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { findHostPythonCached } from "./host-venv.js";

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
