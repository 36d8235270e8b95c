import { describe, expect, it } from "vitest";
import { InvalidPeriodError, parsePeriodSeconds, parsePythonFloat } from "./period.js";

describe("parsePeriodSeconds", () => {
  it.each([
    ["30s", 30],
    ["5m", 300],
    ["1h", 3600],
    ["1d", 86400],
    ["1.5h", 5400],
    ["10 m", 600],
    ["  2m  ", 120],
    ["300", 300],
    ["1e3", 1000],
    ["300.0", 300],
    ["1_000", 1000],
    [".5", 0.5],
    ["-5", -5],
  ])("reads %j as %d seconds", (text, seconds) => {
    expect(parsePeriodSeconds(text)).toBe(seconds);
  });

  it.each(["5M", "5 min", "m5", "", "abc", "1..5m", "1_", "5mm", "1.m"])("rejects %j", (text) => {
    expect(() => parsePeriodSeconds(text)).toThrow(InvalidPeriodError);
  });

  it.each(["inf", "nan", "-Infinity", "1e999"])("rejects the non-finite period %j", (text) => {
    expect(() => parsePeriodSeconds(text)).toThrow(/not a finite number/);
  });
});

describe("parsePythonFloat", () => {
  it("follows Python float() for special spellings", () => {
    expect(parsePythonFloat("INF")).toBe(Number.POSITIVE_INFINITY);
    expect(parsePythonFloat("-inf")).toBe(Number.NEGATIVE_INFINITY);
    expect(parsePythonFloat("nan")).toBeNaN();
    expect(parsePythonFloat(" 7 ")).toBe(7);
  });
});
