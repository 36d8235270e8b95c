import { describe, expect, it } from "vitest";
import { fnmatch } from "./fnmatch.js";

describe("fnmatch (Python semantics)", () => {
  it.each([
    ["schedule:0 8 * * *", "schedule:*", true],
    ["schedule:0 8 * * *", "schedule:0 8 *", true],
    ["manual:jobs.a", "schedule:*", false],
    ["tag:backfill", "tag:back*", true],
    ["tag:b", "tag:?", true],
    ["tag:bb", "tag:?", false],
    ["tag:b", "tag:[abc]", true],
    ["tag:d", "tag:[!abc]", true],
    ["tag:a", "tag:[!abc]", false],
    ["tag:]", "tag:[]]", true],
    ["tag:-", "tag:[a-]", true],
    ["tag:m", "tag:[a-z]", true],
    ["tag:m", "tag:[z-a]", false],
    ["tag:[x", "tag:[x", true],
    ["Tag:x", "tag:*", false],
    ["tag:x.y", "tag:x?y", true],
    ["tag:a+b", "tag:a+b", true],
    ["line\nbreak", "line*", true],
    ["tag:x", "tag", false],
  ])("%j vs %j ⇒ %s", (name, pattern, expected) => {
    expect(fnmatch(name, pattern)).toBe(expected);
  });
});
