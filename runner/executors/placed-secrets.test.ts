import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { placeSecretsFile } from "./placed-secrets.js";

let root: string;
let workspace: string;
let stored: string;
const target = () => join(workspace, ".dlt", "prod.secrets.toml");
/** `null`: nothing stored for the profile. */
const place = (secretsFile: string | null = stored) => placeSecretsFile({ profile: "prod", workspace: { dir: workspace }, ...(secretsFile ? { secretsFile } : {}) });

beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), "sluice-placed-"));
  workspace = join(root, "ws");
  mkdirSync(workspace);
  stored = join(root, "prod.secrets.toml");
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

describe("placeSecretsFile", () => {
  it("copies the stored file into .dlt/ readable by the owner only, replaces its copy after the store changes, and removes it when the store has none", () => {
    writeFileSync(stored, 'token = "one"\n');
    expect(place()).toBeUndefined();
    expect(readFileSync(target(), "utf8")).toBe('token = "one"\n');
    expect(statSync(target()).mode & 0o777).toBe(0o600);

    writeFileSync(stored, 'token = "two"\n');
    expect(place()).toBeUndefined();
    expect(readFileSync(target(), "utf8")).toBe('token = "two"\n');
    expect(place(), "unchanged: nothing to do").toBeUndefined();

    expect(place(null)).toBeUndefined();
    expect(existsSync(target())).toBe(false);
    expect(readdirSync(join(workspace, ".dlt")), "no copy, marker or staged file left").toEqual([]);
  });

  it("never touches a file the workspace brought itself: a differing one is kept and reported, an equal one is kept silently, and removing the stored secrets leaves it", () => {
    mkdirSync(join(workspace, ".dlt"));
    writeFileSync(target(), 'token = "the workspace\'s"\n');
    writeFileSync(stored, 'token = "stored"\n');
    expect(place()).toBe("the workspace has its own .dlt/prod.secrets.toml; the stored secrets were not placed");
    expect(readFileSync(target(), "utf8")).toBe('token = "the workspace\'s"\n');
    writeFileSync(stored, 'token = "the workspace\'s"\n');
    expect(place()).toBeUndefined();
    expect(place(null)).toBeUndefined();
    expect(readFileSync(target(), "utf8")).toBe('token = "the workspace\'s"\n');
  });

  it("a copy edited by hand after Sluice placed it counts as the workspace's own from then on", () => {
    writeFileSync(stored, 'token = "stored"\n');
    place();
    writeFileSync(target(), 'token = "edited"\n');
    expect(place()).toMatch(/has its own/);
    expect(readFileSync(target(), "utf8")).toBe('token = "edited"\n');
  });
});
