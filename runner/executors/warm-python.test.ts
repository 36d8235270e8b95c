import { describe, expect, it } from "vitest";
import { envMatches, isStartupVariable, plainEnv } from "./warm-python.js";

describe("warm interpreter environment matching", () => {
  const warm = { env: { PATH: "/bin", WORKSPACE__PROFILE: "prod", DLT_USE_JSON: "orjson", FSSPEC_S3: "{}" }, read: ["DLT_USE_JSON", "DLT_CONFIG_FOLDER", "FSSPEC*"] };

  it("matches a run that differs only in variables neither the interpreter nor the imports read (profile, data dirs, config)", () => {
    expect(envMatches(warm, { PATH: "/bin", WORKSPACE__PROFILE: "dev", DLT_USE_JSON: "orjson", FSSPEC_S3: "{}", DLT_DATA_DIR: "/d" })).toBe(true);
  });

  it("refuses a run that differs in a variable the imports read, one that is set on one side only, or one under a scanned prefix", () => {
    expect(envMatches(warm, { PATH: "/bin", DLT_USE_JSON: "simplejson", FSSPEC_S3: "{}" })).toBe(false);
    expect(envMatches(warm, { PATH: "/bin", DLT_USE_JSON: "orjson", FSSPEC_S3: "{}", DLT_CONFIG_FOLDER: "cfg" })).toBe(false);
    expect(envMatches(warm, { PATH: "/bin", DLT_USE_JSON: "orjson", FSSPEC_S3: "{}", FSSPEC_GCS: "{}" })).toBe(false);
  });

  it("refuses a run that differs in a start-up variable (PYTHON*, locale, TZ, HOME, PATH)", () => {
    const changes: Array<Record<string, string>> = [{ PYTHONHASHSEED: "1" }, { LC_ALL: "C" }, { TZ: "UTC" }, { PATH: "/usr/bin" }];
    for (const change of changes) {
      expect(envMatches(warm, { ...warm.env, ...change }), JSON.stringify(change)).toBe(false);
    }
    expect(["PYTHONPATH", "LANG", "LC_CTYPE", "HOME", "PYENV_VERSION"].every(isStartupVariable)).toBe(true);
    expect(isStartupVariable("DLT_DATA_DIR")).toBe(false);
  });

  it("needs the whole environment equal when the imports iterated over all of it", () => {
    const whole = { env: { A: "1" }, read: ["*"] };
    expect(envMatches(whole, { A: "1" })).toBe(true);
    expect(envMatches(whole, { A: "1", B: "2" })).toBe(false);
  });

  it("passes the environment as spawn does: unset values left out", () => {
    expect(plainEnv({ A: "1", B: undefined })).toEqual({ A: "1" });
  });
});
