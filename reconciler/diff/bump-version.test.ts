import { describe, expect, it } from "vitest";
import { bumpVersion, MAX_PREVIOUS_HASHES } from "./bump-version.js";

// Hashes from manifest.md §2 test vectors (worked example, then `clock` changed to every:2m).
const EXAMPLE_V0 = "zh+5n/7vk+8tnRQFQ36huNXNHq9hFtWuHMrIilyqQU0=";
const EXAMPLE_V1 = "yYGMY9UuhLFqLcrFLEnQNzv2qXTP/xG/ZTPfJle5XL0=";

describe("bumpVersion (manifest.md §2)", () => {
  it("gives version 0 and no previous_hashes on the first bump", () => {
    expect(bumpVersion(null, EXAMPLE_V0)).toEqual({ version: 0, versionHash: EXAMPLE_V0, changed: true });
  });

  it("bumps to version 1 with the old hash in previous_hashes when the content changes", () => {
    const first = bumpVersion(null, EXAMPLE_V0);
    expect(bumpVersion(first, EXAMPLE_V1)).toEqual({
      version: 1,
      versionHash: EXAMPLE_V1,
      previousHashes: [EXAMPLE_V0],
      changed: true,
    });
  });

  it("leaves the version alone when the hash is equal", () => {
    const v1 = { version: 1, versionHash: EXAMPLE_V1, previousHashes: [EXAMPLE_V0] };
    expect(bumpVersion(v1, EXAMPLE_V1)).toEqual({ ...v1, changed: false });
  });

  it("keeps a previous version when there was no hash yet", () => {
    expect(bumpVersion({ version: 3 }, EXAMPLE_V0)).toEqual({ version: 3, versionHash: EXAMPLE_V0, changed: true });
    expect(bumpVersion({ version: 3, versionHash: "" }, EXAMPLE_V0).version).toBe(3);
  });

  it("keeps previous_hashes most recent first and at most 10", () => {
    let state = bumpVersion(null, "h0");
    for (let i = 1; i <= 12; i += 1) state = bumpVersion(state, `h${i}`);
    expect(state.version).toBe(12);
    expect(state.previousHashes).toHaveLength(MAX_PREVIOUS_HASHES);
    expect(state.previousHashes).toEqual(["h11", "h10", "h9", "h8", "h7", "h6", "h5", "h4", "h3", "h2"]);
  });

  it("going back to an old hash is a change like any other", () => {
    const v1 = bumpVersion(bumpVersion(null, "a"), "b");
    expect(bumpVersion(v1, "a")).toEqual({ version: 2, versionHash: "a", previousHashes: ["b", "a"], changed: true });
  });

  it("does not mutate its input", () => {
    const state = { version: 1, versionHash: "b", previousHashes: ["a"] };
    bumpVersion(state, "c");
    expect(state).toEqual({ version: 1, versionHash: "b", previousHashes: ["a"] });
  });
});
