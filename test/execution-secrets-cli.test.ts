import { mkdtempSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Command } from "commander";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { registerSecretsCommands } from "../cli/commands/secrets.js";

describe("sluice secrets", () => {
  let home: string;
  let out: string[];
  const previousHome = process.env.SLUICE_HOME;

  beforeEach(() => {
    home = mkdtempSync(join(tmpdir(), "sluice-cli-home-"));
    process.env.SLUICE_HOME = home;
    out = [];
    vi.spyOn(process.stdout, "write").mockImplementation((chunk) => {
      out.push(String(chunk));
      return true;
    });
  });

  afterEach(() => {
    vi.restoreAllMocks();
    if (previousHome === undefined) delete process.env.SLUICE_HOME;
    else process.env.SLUICE_HOME = previousHome;
  });

  const run = async (...args: string[]) => {
    const program = new Command("sluice").exitOverride();
    registerSecretsCommands(program);
    await program.parseAsync(["node", "sluice", ...args]);
  };

  it("stores a file 0600 under the home, lists names only, removes it", async () => {
    const file = join(home, "prod.secrets.toml");
    writeFileSync(file, '[sources.github]\naccess_token = "ghp_verysecret"\n');
    await run("secrets", "set", "github_ws", "prod", "--file", file);
    const stored = join(home, "secrets", "github_ws", "prod.secrets.toml");
    expect(statSync(stored).mode & 0o777).toBe(0o600);
    expect(readFileSync(stored, "utf8")).toContain("ghp_verysecret");
    await run("secrets", "list", "-o", "json");
    const listed = JSON.parse(out.at(-1) ?? "[]") as Array<{ workspace: string; profile: string }>;
    expect(listed.map((e) => `${e.workspace}/${e.profile}`)).toEqual(["github_ws/prod"]);
    await run("secrets", "list");
    expect(out.join("")).not.toContain("ghp_verysecret");
    await run("secrets", "remove", "github_ws", "prod");
    await expect(run("secrets", "remove", "github_ws", "prod")).rejects.toThrow(/No secrets stored/);
  });
});
