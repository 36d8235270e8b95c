/**
 * Fuzzing sluice.yaml (issue 12, "Bad input"): any text, and any YAML built from the real section
 * and key names with wrong values, either compiles or fails with SluiceError `config_invalid`
 * whose message names the file. Fixed seed and bounded runs.
 */
import fc from "fast-check";
import { stringify } from "yaml";
import { describe, expect, it } from "vitest";
import { isSluiceError } from "../../core/index.js";
import { parseDaemonConfig } from "./config.js";

const KEYS: Record<string, string[]> = {
  api: ["host", "port"],
  repos: ["pollInterval"],
  reconcile: ["retryAfter", "generateTimeout"],
  manifest: ["executor"],
  log: ["level"],
  runs: ["network", "env"],
  proxy: ["port"],
  machines: ["default", "big"],
  github: ["apiUrl", "app", "tokenFile", "webhook", "backoff", "maxBackoff", "runReports"],
};

const leaf = fc.oneof(
  fc.string({ maxLength: 12 }),
  fc.constantFrom("127.0.0.1", "0.0.0.0", "::1", "5m", "30s", "-1s", "1e99h", "docker", "local", "none", "debug", "", "~", "https://x"),
  fc.integer({ min: -70_000, max: 70_000 }),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
);
const value: fc.Arbitrary<unknown> = fc.letrec((tie) => ({
  v: fc.oneof({ depthSize: "small", maxDepth: 3 }, leaf, fc.array(tie("v"), { maxLength: 3 }), fc.dictionary(fc.constantFrom("id", "privateKeyFile", "cpus", "memoryMb", "secretFile", "x", "A_B"), tie("v"), { maxKeys: 3 })),
})).v;
const section = fc.constantFrom(...Object.keys(KEYS), "executor", "nope");
const doc = fc.dictionary(
  section,
  fc.oneof(value, fc.constantFrom(...Object.values(KEYS).flat()).chain((k) => fc.dictionary(fc.constant(k), value, { maxKeys: 1 }))),
  { maxKeys: 4 },
);

function parsesOrConfigInvalid(text: string): void {
  try {
    parseDaemonConfig(text, "sluice.yaml");
  } catch (error) {
    if (!isSluiceError(error) || error.code !== "config_invalid") throw error;
    expect(error.message).toContain("sluice.yaml");
  }
}

describe("fuzzing sluice.yaml (fixed seed 12)", () => {
  it("any text compiles or fails with config_invalid naming the file", () => {
    fc.assert(fc.property(fc.string({ maxLength: 80 }), parsesOrConfigInvalid), { seed: 12, numRuns: 300 });
  });

  it("any mapping of real section and key names with random values compiles or fails with config_invalid", () => {
    fc.assert(
      fc.property(doc, (d) => parsesOrConfigInvalid(stringify(d))),
      { seed: 12, numRuns: 300 },
    );
  });
});
