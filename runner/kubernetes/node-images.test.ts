import { describe, expect, it } from "vitest";
import { containerdName } from "./node-images.js";

describe("containerdName", () => {
  it("names images as containerd lists them: docker.io and library/ added, :latest when untagged, registries and digests kept", () => {
    expect(containerdName("sluice/env:abc123")).toBe("docker.io/sluice/env:abc123");
    expect(containerdName("python:3.11")).toBe("docker.io/library/python:3.11");
    expect(containerdName("busybox")).toBe("docker.io/library/busybox:latest");
    expect(containerdName("127.0.0.1:5000/sluice/env:k")).toBe("127.0.0.1:5000/sluice/env:k");
    expect(containerdName("localhost/x")).toBe("localhost/x:latest");
    expect(containerdName("sluice/env@sha256:00")).toBe("docker.io/sluice/env@sha256:00");
  });
});
