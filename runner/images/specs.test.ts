import { describe, expect, it } from "vitest";
import { baseImageRecipe, baseImageTag, recipeHash } from "./base-recipe.js";
import { parseAptMirror } from "./debian-mirror.js";
import { buildEnvironment, envBuildContainerSpec, envImageChanges } from "./env-build-spec.js";
import { mountsBelow } from "./rootfs-cleanup.js";
import { environmentContainerSpec, workspaceMountSpec } from "./run-in-environment.js";

describe("base image recipe", () => {
  it("derives the tag from the recipe content", () => {
    expect(baseImageTag()).toBe(`sluice/python:${recipeHash(baseImageRecipe)}`);
    expect(recipeHash({ ...baseImageRecipe, uvVersion: "0.0.1" })).not.toBe(recipeHash(baseImageRecipe));
  });

  it("finds the Debian mirror in one-line and deb822 apt sources, skipping security archives", () => {
    expect(parseAptMirror("Types: deb\nURIs: http://deb.debian.org/debian\nSuites: bookworm\n")).toBe("http://deb.debian.org/debian");
    expect(parseAptMirror("deb [arch=amd64] http://mirror.example/debian/ bookworm main\n")).toBe("http://mirror.example/debian");
    expect(parseAptMirror("URIs: http://deb.debian.org/debian-security\n")).toBeUndefined();
  });

  it("lists mounts below a root file system, deepest first, decoding escapes", () => {
    const mounts = ["proc /proc proc rw 0 0", "proc /b/root\\040fs/proc proc rw 0 0", "sysfs /b/root\\040fs/proc/sys sysfs rw 0 0", "x /b/rootfs2 x rw 0 0"].join("\n");
    expect(mountsBelow(mounts, "/b/root fs")).toEqual(["/b/root fs/proc/sys", "/b/root fs/proc"]);
  });
});

describe("environment build spec", () => {
  it("runs the build on the host network with the cache writable and the build files read-only", () => {
    const spec = envBuildContainerSpec({ baseImage: "sluice/python:x", key: "k", srcDir: "/s", buildDir: "/b", uvCacheDir: "/c", localPaths: ["/wheels"] });
    expect(spec.network).toBe("host");
    expect(spec.purpose).toBe("env-build");
    expect(spec.binds).toEqual([
      { source: "/s", target: "/opt/sluice/src", readOnly: false },
      { source: "/b", target: "/opt/sluice/build", readOnly: true },
      { source: "/c", target: "/opt/sluice/uv-cache", readOnly: false },
      { source: "/wheels", target: "/wheels", readOnly: true },
    ]);
    // Build settings travel in a file, never in the container config that `commit` would keep.
    expect(spec.env).toBeUndefined();
  });

  it("never lets uv download interpreters and copies files out of the cache", () => {
    const env = buildEnvironment({ UV_DEFAULT_INDEX: "https://i/simple" }, true);
    expect(env).toMatchObject({ UV_PYTHON_DOWNLOADS: "never", UV_LINK_MODE: "copy", SSL_CERT_FILE: "/opt/sluice/build/ca.crt", UV_DEFAULT_INDEX: "https://i/simple" });
    expect(buildEnvironment({}, false).SSL_CERT_FILE).toBeUndefined();
  });

  it("commits the venv on PATH with labels describing the environment", () => {
    const changes = envImageChanges({ key: "k", groups: ["a", "b"], mode: "uv-sync", pythonVersion: "3.13.5", fallbackDlt: false, baseImageId: "sha256:1" });
    expect(changes).toContain("ENV PATH=/opt/sluice/venv/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
    expect(changes).toContain('LABEL "sluice.env.groups"="a,b"');
    expect(changes).toContain('LABEL "sluice.purpose"="workspace-env"');
  });
});

describe("environmentContainerSpec", () => {
  it("mounts the workspace read-only at /workspace with a scratch tmpfs and no bytecode writes", () => {
    const spec = environmentContainerSpec({ image: "sluice/env:k", workspaceDir: "/ws", cmd: ["python", "-V"], network: "none", env: { A: "1" } });
    expect(spec.binds).toEqual([workspaceMountSpec("/ws")]);
    expect(spec.binds?.[0]).toEqual({ source: "/ws", target: "/workspace", readOnly: true });
    expect(spec.workingDir).toBe("/workspace");
    expect(spec.network).toBe("none");
    expect(spec.tmpfs?.[0]?.target).toBe("/tmp");
    expect(spec.env).toMatchObject({ PYTHONDONTWRITEBYTECODE: "1", PYTHONUNBUFFERED: "1", A: "1" });
    expect(spec.init).toBe(true);
  });

  it("can mount the workspace writable", () => {
    const spec = environmentContainerSpec({ image: "i", workspaceDir: "/ws", cmd: ["true"], network: "host", readOnlyWorkspace: false });
    expect(spec.binds?.[0]?.readOnly).toBe(false);
  });
});
