import { describe, expect, it } from "vitest";
import { canonicalHash, canonicalJson, fallbackManifestHash, normalizeManifest } from "./normalize.js";

describe("manifest normalization", () => {
  const manifest = { engine_version: 1, created_at: "2026-04-14T09:00:00+00:00", deployment_module: "__deployment__", jobs: [] };

  it("reproduces dlt's canonical bytes and hash for the empty manifest vector (manifest.md §2)", () => {
    expect(canonicalJson(normalizeManifest(manifest))).toBe('{"deployment_module":"__deployment__","engine_version":1,"jobs":[]}');
    expect(fallbackManifestHash(manifest)).toBe("viwXcDVKRO7cLhOSJF2lCnYa0+ejPVugIeW1ixtpuq0=");
  });

  it("ignores created_at and the version fields", () => {
    const later = { ...manifest, created_at: "2026-05-01T00:00:00+00:00", version: 4, version_hash: "x", previous_hashes: ["y"] };
    expect(fallbackManifestHash(later)).toBe(fallbackManifestHash(manifest));
  });

  it("sorts keys recursively and keeps non-ASCII unescaped", () => {
    expect(canonicalJson({ b: { z: 1, a: [2, { y: "é", x: null }] }, a: true })).toBe('{"a":true,"b":{"a":[2,{"x":null,"y":"é"}],"z":1}}');
    expect(canonicalHash({ a: 1 })).not.toBe(canonicalHash({ a: 2 }));
  });
});
