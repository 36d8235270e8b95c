import { describe, expect, it } from "vitest";
import { parseDeclaredInstant } from "./parse-instant.js";

describe("parseDeclaredInstant", () => {
  it("keeps whether a declared timestamp was naive", () => {
    expect(parseDeclaredInstant("2026-04-01T00:00:00", "interval.start")).toEqual({ kind: "naive", wallMs: Date.UTC(2026, 3, 1) });
    expect(parseDeclaredInstant("2026-04-01", "interval.start")).toEqual({ kind: "naive", wallMs: Date.UTC(2026, 3, 1) });
    expect(parseDeclaredInstant("2026-04-01 02:30:00", "interval.start")).toEqual({ kind: "naive", wallMs: Date.UTC(2026, 3, 1, 2, 30) });
    expect(parseDeclaredInstant("2026", "interval.start")).toEqual({ kind: "naive", wallMs: Date.UTC(2026, 0, 1) });
  });

  it("reads Z, offsets and Unix seconds as instants", () => {
    expect(parseDeclaredInstant("2026-04-01T00:00:00Z", "f")).toEqual({ kind: "instant", utcMs: Date.UTC(2026, 3, 1) });
    expect(parseDeclaredInstant("2026-04-01T02:00:00+02:00", "f")).toEqual({ kind: "instant", utcMs: Date.UTC(2026, 3, 1) });
    expect(parseDeclaredInstant("2026-03-31T19:00:00-0500", "f")).toEqual({ kind: "instant", utcMs: Date.UTC(2026, 4 - 1, 1) });
    expect(parseDeclaredInstant("1700000000", "f")).toEqual({ kind: "instant", utcMs: 1_700_000_000_000 });
  });

  it("throws a SluiceError naming the field", () => {
    expect(() => parseDeclaredInstant("yesterday", "interval.end")).toThrow(/interval.end 'yesterday'/);
  });
});
