import { existsSync, mkdirSync, mkdtempSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { createSettingsOverlay } from "./index.js";

describe("settings overlay", () => {
  it("copies the checkout's .dlt without .var and adds the stored secrets owner-only", () => {
    const base = mkdtempSync(join(tmpdir(), "sluice-overlay-"));
    const ws = join(base, "ws");
    mkdirSync(join(ws, ".dlt", ".var", "prod"), { recursive: true });
    writeFileSync(join(ws, ".dlt", ".workspace"), "");
    writeFileSync(join(ws, ".dlt", "config.toml"), "a = 1");
    writeFileSync(join(ws, ".dlt", ".var", "prod", "state"), "x");
    writeFileSync(join(base, "stored.toml"), 'token = "abcd"');
    const overlay = createSettingsOverlay({ root: join(base, "overlays"), runId: "r1", workspaceDir: ws, profile: "prod", secretsFile: join(base, "stored.toml") });
    expect(overlay).toBeDefined();
    const dir = overlay?.dir ?? "";
    expect(readFileSync(join(dir, "config.toml"), "utf8")).toBe("a = 1");
    expect(existsSync(join(dir, ".workspace"))).toBe(true);
    expect(existsSync(join(dir, ".var"))).toBe(false);
    expect(statSync(join(dir, "prod.secrets.toml")).mode & 0o777).toBe(0o600);
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    overlay?.remove();
    expect(existsSync(dir)).toBe(false);
    expect(createSettingsOverlay({ root: join(base, "overlays"), runId: "r2", workspaceDir: join(base, "nothing"), profile: "prod" })).toBeUndefined();
  });
});
