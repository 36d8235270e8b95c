/**
 * Licensed dlt features in runs (real Docker, dlt 1.26.0, dlthub 0.22.1): a `@dlt.hub.transformation`
 * job fails without a licence; a self-issued trial licence issued with `sluice exec` (kept in the
 * workspace+profile's dlt global dir, bound to its host name and anonymous id) makes later runs
 * succeed; the same licence stored as a secret (`[runtime] license`) reaches runs through the
 * settings overlay.
 */
import { cpSync, mkdtempSync, readFileSync, rmSync, unlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DaemonProcess, execCli } from "./daemon-e2e-support.js";
import { FIXTURES_DIR } from "./support/workspaces.js";

const TOTALS = "totals=ana:2:90;ben:2:50;cy:2:70";


let root: string;
let daemon: DaemonProcess;
let dir: string;

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), "sluice-licence-"));
  daemon = new DaemonProcess(join(root, "home"));
  await daemon.start("api: { port: 0 }\nproxy: { port: 0 }\nruns: { network: none }\n");
  dir = join(root, "licensed");
  cpSync(join(FIXTURES_DIR, "workspaces", "licensed_transform_workspace"), dir, { recursive: true });
}, 120_000);
afterAll(async () => {
  await daemon?.stop();
  rmSync(root, { recursive: true, force: true });
});

describe("licensed dlthub transformation", () => {
  it("fails without a licence, succeeds after `sluice exec … dlt license issue`, and with the licence stored as a secret", async () => {
    const unlicensed = await daemon.cli("launch", "transform_pipeline.py", "-f", "--dir", dir);
    expect(unlicensed.code, unlicensed.stdout + unlicensed.stderr).toBe(1);
    expect((await daemon.cli("logs", "transform_pipeline")).stdout).toMatch(/licen[cs]e/i);

    const issued = await execCli(daemon.home, ["licensed", "--", "dlt", "license", "issue", "dlthub.transformation"]);
    expect(issued.code, issued.stdout + issued.stderr).toBe(0);
    expect(issued.stdout).toContain("License saved to /var/dlt/secrets.toml");
    const globalSecrets = join(daemon.home, "data", "licensed", "prod", "global", "secrets.toml");
    const licence = /license\s*=\s*"([^"]+)"/.exec(readFileSync(globalSecrets, "utf8"))?.[1] ?? "";
    expect(licence.length).toBeGreaterThan(100);

    const licensed = await daemon.cli("launch", "transform_pipeline", "-f");
    expect(licensed.code, licensed.stdout + licensed.stderr).toBe(0);
    expect((await daemon.cli("logs", "transform_pipeline")).stdout).toContain(TOTALS);
    const info = await execCli(daemon.home, ["licensed", "--", "dlt", "license", "info"]);
    expect(info.code, info.stderr).toBe(0);
    expect(info.stdout).toContain("self-issued-trial");

    // the same licence as a stored secret: the global file is gone, the overlay's prod.secrets.toml carries it
    unlinkSync(globalSecrets);
    const secrets = join(root, "licence.toml");
    writeFileSync(secrets, `[runtime]\nlicense = "${licence}"\n`);
    // the secrets verbs read the home from SLUICE_HOME (they take no --home)
    const stored = await daemon.at(root).plain("secrets", "set", "licensed", "prod", "--file", secrets);
    expect(stored.code, stored.stderr).toBe(0);
    expect(stored.stdout).not.toContain(licence.slice(0, 40));
    const fromSecret = await daemon.cli("launch", "transform_pipeline", "-f");
    expect(fromSecret.code, fromSecret.stdout + fromSecret.stderr).toBe(0);
    expect((await daemon.cli("logs", "transform_pipeline")).stdout).toContain(TOTALS);
  }, 1_800_000);
});
