import { describe, expect, it } from "vitest";
import { bindList, envList, toCreateOptions } from "./container-spec.js";
import { labelChanges } from "./labels.js";
import { splitTag } from "./dockerode-engine.js";

describe("toCreateOptions", () => {
  it("publishes ports on loopback only and maps resource limits", () => {
    const options = toCreateOptions({
      image: "img",
      cmd: ["true"],
      purpose: "run",
      publish: [{ hostIp: "127.0.0.1", hostPort: 41000, containerPort: 41000 }],
      resources: { nanoCpus: 500_000_000, memoryBytes: 256 * 1024 * 1024 },
    });
    expect(options.ExposedPorts).toEqual({ "41000/tcp": {} });
    expect(options.HostConfig?.PortBindings).toEqual({ "41000/tcp": [{ HostIp: "127.0.0.1", HostPort: "41000" }] });
    expect(options.HostConfig?.NanoCpus).toBe(500_000_000);
    expect(options.HostConfig?.Memory).toBe(256 * 1024 * 1024);
    expect(() => toCreateOptions({ image: "i", cmd: [], purpose: "p", publish: [{ hostIp: "0.0.0.0" as "127.0.0.1", hostPort: 1, containerPort: 1 }] })).toThrow(/127.0.0.1/);
  });

  it("labels every container as Sluice-managed with its purpose and keeps extra labels", () => {
    const options = toCreateOptions({ image: "img", cmd: ["true"], purpose: "env-build", labels: { "sluice.env.key": "k1" } });
    expect(options.Labels).toEqual({ "sluice.managed": "true", "sluice.purpose": "env-build", "sluice.env.key": "k1" });
  });

  it("defaults to no network and an init process, never auto-removes unless asked", () => {
    const options = toCreateOptions({ image: "img", cmd: ["true"], purpose: "p" });
    expect(options.HostConfig?.NetworkMode).toBe("none");
    expect(options.HostConfig?.Init).toBe(true);
    expect(options.HostConfig?.AutoRemove).toBe(false);
    expect(options.HostConfig?.Tmpfs).toBeUndefined();
  });

  it("forbids gaining privileges in every container and never mounts the Docker socket", () => {
    const options = toCreateOptions({ image: "img", cmd: ["true"], purpose: "p", binds: [{ source: "/data", target: "/d", readOnly: false }] });
    expect(options.HostConfig?.SecurityOpt).toEqual(["no-new-privileges"]);
    expect(options.HostConfig?.Privileged).toBeUndefined();
    expect((options.HostConfig?.Binds ?? []).some((bind) => bind.includes("docker.sock"))).toBe(false);
  });

  it("maps mounts, env, tmpfs, user and working dir", () => {
    const options = toCreateOptions({
      image: "img",
      cmd: ["python", "-V"],
      purpose: "p",
      env: { B: "2", A: "x=y" },
      binds: [
        { source: "/src", target: "/workspace", readOnly: true },
        { source: "/cache", target: "/c", readOnly: false },
      ],
      tmpfs: [{ target: "/tmp", options: "rw,size=1m" }],
      network: "host",
      user: "1000:1000",
      workingDir: "/workspace",
    });
    expect(options.Env).toEqual(["A=x=y", "B=2"]);
    expect(options.HostConfig?.Binds).toEqual(["/src:/workspace:ro", "/cache:/c:rw"]);
    expect(options.HostConfig?.Tmpfs).toEqual({ "/tmp": "rw,size=1m" });
    expect(options.HostConfig?.NetworkMode).toBe("host");
    expect(options.User).toBe("1000:1000");
    expect(options.WorkingDir).toBe("/workspace");
  });

  it("rejects relative or colon-containing bind paths", () => {
    expect(() => bindList([{ source: "src", target: "/w", readOnly: true }])).toThrow(/absolute/);
    expect(() => bindList([{ source: "/a:b", target: "/w", readOnly: true }])).toThrow(/':'/);
  });

  it("sorts env entries", () => {
    expect(envList({ Z: "1", A: "2" })).toEqual(["A=2", "Z=1"]);
  });
});

describe("labelChanges and splitTag", () => {
  it("quotes label instructions and sorts them", () => {
    expect(labelChanges({ b: "two words", a: "1" })).toEqual(['LABEL "a"="1"', 'LABEL "b"="two words"']);
  });

  it("splits repo and tag, including registry ports", () => {
    expect(splitTag("sluice/env:abc")).toEqual(["sluice/env", "abc"]);
    expect(splitTag("sluice/env")).toEqual(["sluice/env", "latest"]);
    expect(splitTag("localhost:5000/x")).toEqual(["localhost:5000/x", "latest"]);
  });
});
