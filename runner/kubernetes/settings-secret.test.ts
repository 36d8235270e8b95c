import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { KubeJob } from "./job-spec.js";
import { buildSettingsSecret, MAX_SETTINGS_BYTES, readSettingsFiles, settingsItems } from "./settings-secret.js";

const job = { metadata: { name: "sluice-run-r1", namespace: "runs", labels: { "sluice.run-id": "r1" }, annotations: {} } } as unknown as KubeJob;

describe("settings Secret", () => {
  it("reads every file of the overlay, nested ones with their relative path", () => {
    const dir = mkdtempSync(join(tmpdir(), "sluice-ksettings-"));
    mkdirSync(join(dir, "sub"));
    writeFileSync(join(dir, "config.toml"), "a = 1");
    writeFileSync(join(dir, ".workspace"), "");
    writeFileSync(join(dir, "sub", "x y.toml"), "b = 2");
    expect(readSettingsFiles(dir).map((file) => [file.path, file.content.toString()])).toEqual([
      [".workspace", ""],
      ["config.toml", "a = 1"],
      ["sub/x y.toml", "b = 2"],
    ]);
  });

  it("turns paths into unique valid keys; secrets files get mode 0400, others 0444", () => {
    const files = ["sub/x y.toml", "sub__x_y.toml", "prod.secrets.toml", "secrets.toml", ".."].map((path) => ({ path, content: Buffer.from("") }));
    expect(settingsItems(files)).toEqual([
      { key: "sub__x_y.toml", path: "sub/x y.toml", mode: 0o444 },
      { key: "sub__x_y.toml-2", path: "sub__x_y.toml", mode: 0o444 },
      { key: "prod.secrets.toml", path: "prod.secrets.toml", mode: 0o400 },
      { key: "secrets.toml", path: "secrets.toml", mode: 0o400 },
      { key: "_", path: "..", mode: 0o444 },
    ]);
  });

  it("refuses settings larger than a Secret can hold, saying what to do", () => {
    const big = [{ path: "config.toml", content: Buffer.alloc(MAX_SETTINGS_BYTES + 1) }];
    expect(() => buildSettingsSecret(job, big)).toThrow(/at most .*Secret|Secret holds at most/);
  });
});
