import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { profileConfigured, resolveProfile } from "./index.js";

const batch = { interactive: false };
const notebook = { interactive: true };

describe("resolveProfile", () => {
  const none = () => false;
  const all = () => true;

  it("runs batch jobs on prod and interactive ones on access", () => {
    expect(resolveProfile({ ...batch, isConfigured: all })).toEqual({ profile: "prod", source: "batch" });
    expect(resolveProfile({ ...notebook, isConfigured: all })).toEqual({ profile: "access", source: "interactive" });
  });

  it("falls back to prod when access is not configured", () => {
    expect(resolveProfile({ ...notebook, isConfigured: none })).toEqual({ profile: "prod", source: "access-fallback" });
  });

  it("lets require.profile and a trigger override win", () => {
    const pinned = { ...notebook, required: "reporting" };
    expect(resolveProfile({ ...pinned, isConfigured: none })).toEqual({ profile: "reporting", source: "require" });
    expect(resolveProfile({ ...pinned, override: "prod", isConfigured: none })).toEqual({ profile: "prod", source: "trigger" });
  });
});

describe("profileConfigured", () => {
  it("looks at the checkout's .dlt files and the secret store", () => {
    const dir = mkdtempSync(join(tmpdir(), "sluice-ws-"));
    mkdirSync(join(dir, ".dlt"));
    const stored = new Set<string>();
    const configured = profileConfigured(dir, (profile) => stored.has(profile));
    expect(configured("access")).toBe(false);
    stored.add("access");
    expect(configured("access")).toBe(true);
    writeFileSync(join(dir, ".dlt", "reporting.config.toml"), "");
    expect(configured("reporting")).toBe(true);
    writeFileSync(join(dir, ".dlt", "other.secrets.toml"), "");
    expect(configured("other")).toBe(true);
  });
});
