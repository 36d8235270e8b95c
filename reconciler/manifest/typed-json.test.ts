import { describe, expect, it } from "vitest";
import { stripTypedJsonMarkers } from "./typed-json.js";

describe("stripTypedJsonMarkers", () => {
  it("keeps the ISO text of a marked datetime anywhere in the document", () => {
    const raw = { jobs: [{ interval: { start: "\uf0272026-04-01T00:00:00+00:00", end: "2026-05-01" } }], n: 1, x: null };
    expect(stripTypedJsonMarkers(raw)).toEqual({ jobs: [{ interval: { start: "2026-04-01T00:00:00+00:00", end: "2026-05-01" } }], n: 1, x: null });
  });

  it("strips all eight markers and nothing outside the range", () => {
    const markers = Array.from({ length: 8 }, (_, i) => String.fromCharCode(0xf026 + i) + "v");
    expect(stripTypedJsonMarkers(markers)).toEqual(Array(8).fill("v"));
    expect(stripTypedJsonMarkers(["\uf025v", "\uf02ev", "v\uf027"])).toEqual(["\uf025v", "\uf02ev", "v\uf027"]);
  });

  it("follows a moved marker base (DLT_JSON_TYPED_PUA_START)", () => {
    expect(stripTypedJsonMarkers("\ue001x", 0xe000)).toBe("x");
    expect(stripTypedJsonMarkers("\uf027x", 0xe000)).toBe("\uf027x");
  });
});
