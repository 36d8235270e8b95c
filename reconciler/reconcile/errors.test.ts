import { describe, expect, it } from "vitest";
import { SluiceError } from "../../core/index.js";
import { recordedCause } from "./errors.js";

describe("the cause a failed deployment records", () => {
  it("keeps the error's hint after its message, so `info` and `deployments` show the next step", () => {
    const error = new SluiceError("env_build_failed", "building the host venv failed", { hint: "Set SLUICE_HOST_PYTHON." });
    expect(recordedCause(error)).toEqual({ code: "env_build_failed", message: "building the host venv failed\nhint: Set SLUICE_HOST_PYTHON." });
  });

  it("is the message alone for an error without a hint, and internal_error for a foreign error", () => {
    expect(recordedCause(new SluiceError("checkout_failed", "no folder"))).toEqual({ code: "checkout_failed", message: "no folder" });
    expect(recordedCause(new Error("boom"))).toEqual({ code: "internal_error", message: "boom" });
  });
});
