import { mkdirSync, mkdtempSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { checkoutFingerprint, codeImageTag } from "./registry-images.js";

describe("code images for a registry", () => {
  it("tags them <registry>/sluice-run-<workspace slug>:<key of the identity>", () => {
    expect(codeImageTag("127.0.0.1:5050", "jaffle_shop_workspace", "env\nfp")).toMatch(/^127\.0\.0\.1:5050\/sluice-run-jaffle-shop-workspace:[0-9a-f]{20}$/);
    expect(codeImageTag("r.example.com/team/", "ws", "a")).toMatch(/^r\.example\.com\/team\/sluice-run-ws:/);
    expect(codeImageTag("r", "ws", "a")).not.toBe(codeImageTag("r", "ws", "b"));
  });

  it("fingerprints the checkout by its files (an edit changes it) and leaves the root's .git and .dlt out", () => {
    const dir = mkdtempSync(join(tmpdir(), "sluice-fingerprint-"));
    mkdirSync(join(dir, ".dlt"));
    mkdirSync(join(dir, ".git"));
    mkdirSync(join(dir, "pkg"));
    writeFileSync(join(dir, "pkg", "jobs.py"), "print(1)\n");
    const first = checkoutFingerprint(dir);
    writeFileSync(join(dir, ".dlt", "secrets.toml"), "token = 'x'\n");
    writeFileSync(join(dir, ".git", "HEAD"), "ref: refs/heads/main\n");
    expect(checkoutFingerprint(dir)).toBe(first);
    writeFileSync(join(dir, "pkg", "jobs.py"), "print(2)\n");
    utimesSync(join(dir, "pkg", "jobs.py"), new Date(2030, 0, 1), new Date(2030, 0, 1));
    expect(checkoutFingerprint(dir)).not.toBe(first);
  });
});
