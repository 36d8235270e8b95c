import { describe, expect, it } from "vitest";
import { wrapperEnv } from "./local-executor.js";

describe("wrapperEnv", () => {
  it("sends bytecode to the cache dir only, even when the caller's environment forbids writing it", () => {
    const env = wrapperEnv({ PATH: "/usr/bin", PYTHONDONTWRITEBYTECODE: "1" }, "/cache/pycache");
    expect(env.PYTHONPYCACHEPREFIX).toBe("/cache/pycache");
    expect(env.PYTHONDONTWRITEBYTECODE).toBeUndefined();
    expect(env.PYTHONIOENCODING).toBe("utf-8");
    expect(env.PATH).toBe("/usr/bin");
  });

  it("writes no bytecode without a cache dir", () => {
    const env = wrapperEnv({ PATH: "/usr/bin" }, undefined);
    expect(env.PYTHONDONTWRITEBYTECODE).toBe("1");
    expect(env.PYTHONPYCACHEPREFIX).toBeUndefined();
  });
});
