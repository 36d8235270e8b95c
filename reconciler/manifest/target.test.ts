import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { isSluiceError } from "../../core/index.js";
import { resolveManifestTarget } from "./target.js";

let dir: string;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "sluice-target-"));
});

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function failure(promise: Promise<unknown>): Promise<{ code: string; message: string; hint?: string }> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  if (!isSluiceError(error)) throw new Error(`expected a SluiceError, got ${String(error)}`);
  return { code: error.code, message: error.message, ...(error.hint ? { hint: error.hint } : {}) };
}

describe("resolveManifestTarget", () => {
  it("uses __deployment__ when the workspace has one", async () => {
    await writeFile(join(dir, "__deployment__.py"), "");
    expect(await resolveManifestTarget(dir)).toEqual({ workspaceDir: dir, module: "__deployment__", file: "__deployment__.py", adHoc: false });
  });

  it("tells the user to pass --script when there is no __deployment__.py", async () => {
    const error = await failure(resolveManifestTarget(dir));
    expect(error.code).toBe("deployment_module_missing");
    expect(error.hint).toContain("--script file.py");
  });

  it("runs a script in ad-hoc mode with its path relative to the workspace", async () => {
    await mkdir(join(dir, "jobs"));
    await writeFile(join(dir, "jobs", "etl.py"), "");
    expect(await resolveManifestTarget(dir, "jobs/etl.py")).toEqual({ workspaceDir: dir, module: "jobs/etl.py", file: "jobs/etl.py", adHoc: true });
    expect(await resolveManifestTarget(dir, join(dir, "jobs/etl.py"))).toMatchObject({ module: "jobs/etl.py" });
  });

  it("rejects scripts that are missing, outside the workspace or not Python", async () => {
    await writeFile(join(dir, "notes.txt"), "");
    expect((await failure(resolveManifestTarget(dir, "nope.py"))).code).toBe("script_not_found");
    expect((await failure(resolveManifestTarget(dir, "../elsewhere.py"))).code).toBe("script_outside_workspace");
    expect((await failure(resolveManifestTarget(dir, "notes.txt"))).code).toBe("script_not_python");
    expect((await failure(resolveManifestTarget(join(dir, "missing")))).code).toBe("workspace_not_found");
  });
});
