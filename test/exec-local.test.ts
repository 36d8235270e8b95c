/**
 * `sluice exec` with `executor: local` against a `sluice up` child (real git, dlt 1.26.0, host
 * venvs): the command runs on this machine as a local run of the workspace does (same venv, working
 * dir, data dirs, dlt global dir, anonymous id, host name, runs.env, stored secrets of its profile),
 * with the command's exit code, stdin, a missing command's 127, and --dry-run without values. A trial
 * licence issued with `sluice exec … dlt license issue` (into dlt's global dir of this machine's
 * user, which local runs share) makes a licensed transformation's later local run succeed.
 */
import { cpSync, existsSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DaemonProcess, execCli } from "./daemon-e2e-support.js";
import { copyFixtureWorkspace, FIXTURES_DIR, writeFiles } from "./support/workspaces.js";

const FIELDS = ["data_dir", "local_dir", "global_dir", "anonymous_id", "host", "prefix", "cwd", "profile", "from_runs_env", "token"] as const;
const SECRET = "s3cr3t-for-exec-only";
const TOTALS = "totals=ana:2:90;ben:2:50;cy:2:70";
/** dlt's global dir for root, which local runs (and this test's daemon) are: dlt/common/runtime/run_context.py, global_dir(). */
const GLOBAL_SECRETS = "/var/dlt/secrets.toml";

/** Prints what a process sees of its run environment, as `key=value` lines. */
const PROBE = `
import os, platform, sys
import dlt
from dlt.common.runtime import run_context
from dlt.common.runtime.anon_tracker import get_anonymous_id

def report():
    print("data_dir=" + os.environ.get("DLT_DATA_DIR", ""))
    print("local_dir=" + os.environ.get("DLT_LOCAL_DIR", ""))
    print("global_dir=" + run_context.active().global_dir)
    print("anonymous_id=" + get_anonymous_id())
    print("host=" + platform.node())
    print("prefix=" + sys.prefix)
    print("cwd=" + os.getcwd())
    print("profile=" + os.environ.get("WORKSPACE__PROFILE", ""))
    print("from_runs_env=" + os.environ.get("SLUICE_TEST_RUNS_ENV", ""))
    token = dlt.secrets.get("probe.token")
    # reversed: stored logs mask the stored values themselves
    print("token=" + (token[::-1] if token else "none"))

if __name__ == "__main__":
    report()
`;

function fields(text: string): Record<string, string> {
  const found: Record<string, string> = {};
  for (const line of text.split("\n")) {
    const match = new RegExp(`\\b(${FIELDS.join("|")})=(.*)$`).exec(line);
    if (match) found[match[1] ?? ""] = match[2] ?? "";
  }
  return found;
}

const reversed = (text: string) => [...text].reverse().join("");

/** `sluice secrets …`: it takes no --home, the shell's SLUICE_HOME is the daemon's. */
const secretsCli = (...args: string[]) => daemon.at(root).plain("secrets", ...args);

let root: string;
let daemon: DaemonProcess;
let dir: string;

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), "sluice-exec-local-"));
  daemon = new DaemonProcess(join(root, "home"));
  await daemon.start("executor: local\napi: { port: 0 }\nproxy: { port: 0 }\nruns: { env: { SLUICE_TEST_RUNS_ENV: from-sluice-yaml } }\n");
  dir = join(root, "fruitshop");
  copyFixtureWorkspace("fruitshop", dir);
  writeFiles(dir, { "probe.py": PROBE });
  // a secret of profile dev only: exec --profile dev must place it as a local run would
  const secrets = join(root, "dev.secrets.toml");
  writeFileSync(secrets, `[probe]\ntoken = "${SECRET}"\n`);
  const stored = await secretsCli("set", "fruitshop", "dev", "--file", secrets);
  expect(stored.code, stored.stderr).toBe(0);
}, 600_000);
afterAll(async () => {
  await daemon?.stop();
  rmSync(root, { recursive: true, force: true });
});

describe("sluice exec with executor: local", () => {
  it("runs the command in the checkout with the run's venv, data dirs, global dir, anonymous id, host name and runs.env: every probed field equals a local run's", async () => {
    const launched = await daemon.cli("launch", "probe.py", "-f", "--dir", dir);
    expect(launched.code, launched.stdout + launched.stderr).toBe(0);
    const run = fields((await daemon.cli("logs", "probe")).stdout);
    expect(Object.keys(run).sort()).toEqual([...FIELDS].sort());
    expect(run).toMatchObject({ data_dir: join(daemon.home, "data", "fruitshop", "prod", "var"), local_dir: join(daemon.home, "data", "fruitshop", "prod", "local"), profile: "prod", from_runs_env: "from-sluice-yaml", token: "none" });

    const inExec = await execCli(daemon.home, ["fruitshop", "--", "python", "probe.py"]);
    expect(inExec.code, inExec.stderr).toBe(0);
    expect(fields(inExec.stdout)).toEqual(run);

    const tools = await execCli(daemon.home, ["fruitshop", "--", "sh", "-c", 'command -v dlt; echo "$VIRTUAL_ENV"']);
    expect(tools.code, tools.stderr).toBe(0);
    expect(tools.stdout.trim().split("\n")).toEqual([join(run.prefix ?? "", "bin", "dlt"), run.prefix]);
  }, 1_200_000);

  it("with --profile dev the command gets that profile's variables, data dir and stored secrets (placed in the checkout's .dlt/ as for a run); a local run gets prod's stored value, the new one after `secrets set`, none after `secrets remove`", async () => {
    const dev = await execCli(daemon.home, ["fruitshop", "--profile", "dev", "--", "python", "probe.py"]);
    expect(dev.code, dev.stderr).toBe(0);
    expect(fields(dev.stdout)).toMatchObject({ profile: "dev", data_dir: join(daemon.home, "data", "fruitshop", "dev", "var"), token: reversed(SECRET) });

    // a local run's own placement of prod's secrets: set, rotated, removed
    const secrets = join(root, "prod.secrets.toml");
    const runToken = async () => {
      const launched = await daemon.cli("launch", "probe", "-f");
      expect(launched.code, launched.stdout + launched.stderr).toBe(0);
      return fields((await daemon.cli("logs", "probe")).stdout).token;
    };
    for (const value of ["first-value", "rotated-value"]) {
      writeFileSync(secrets, `[probe]\ntoken = "${value}"\n`);
      expect((await secretsCli("set", "fruitshop", "prod", "--file", secrets)).code).toBe(0);
      expect(await runToken()).toBe(reversed(value));
    }
    expect((await secretsCli("remove", "fruitshop", "prod")).code).toBe(0);
    expect(await runToken()).toBe("none");
  }, 600_000);

  it("returns the command's exit code, attaches stdin, exits 127 naming the venv for a missing command, and --dry-run prints the directory and variable names, never values", async () => {
    expect((await execCli(daemon.home, ["fruitshop", "--", "sh", "-c", "exit 7"])).code).toBe(7);
    const echoed = await execCli(daemon.home, ["fruitshop", "--", "cat"], { input: "through stdin\n" });
    expect(echoed.stdout).toBe("through stdin\n");

    const missing = await execCli(daemon.home, ["fruitshop", "--", "no-such-program-here"]);
    expect(missing.code).toBe(127);
    expect(missing.stderr).toMatch(/`no-such-program-here` is neither in the workspace's venv \(\/\S+\/bin\) nor on PATH/);

    const dry = await execCli(daemon.home, ["fruitshop", "--profile", "dev", "--dry-run", "--", "dlt", "--version"]);
    expect(dry.code, dry.stderr).toBe(0);
    const [command, variables] = dry.stdout.trimEnd().split("\n");
    expect(command).toMatch(/^cd \/\S+ && PATH=\/\S+\/bin:"\$PATH" dlt --version$/);
    expect(variables).toMatch(/^# with the run's variables \(values not shown\): .*\bDLT_DATA_DIR\b.*\bWORKSPACE__PROFILE\b/);
    expect(dry.stdout).not.toContain("from-sluice-yaml");
    expect(dry.stdout).not.toContain("=dev");
  }, 600_000);

  it("a licence issued with `sluice exec … dlt license issue` lands in the machine user's dlt global dir, and a licensed transformation that failed without it succeeds in a later local run", async () => {
    // the machine's own global secrets are moved aside for the test and put back after it
    const aside = join(root, "global-secrets.toml");
    const had = existsSync(GLOBAL_SECRETS);
    if (had) renameSync(GLOBAL_SECRETS, aside);
    try {
      const licensed = join(root, "licensed");
      cpSync(join(FIXTURES_DIR, "workspaces", "licensed_transform_workspace"), licensed, { recursive: true });
      const unlicensed = await daemon.cli("launch", "transform_pipeline.py", "-f", "--dir", licensed);
      expect(unlicensed.code, unlicensed.stdout + unlicensed.stderr).toBe(1);
      expect((await daemon.cli("logs", "transform_pipeline")).stdout).toMatch(/licen[cs]e/i);

      const issued = await execCli(daemon.home, ["licensed", "--", "dlt", "license", "issue", "dlthub.transformation"]);
      expect(issued.code, issued.stdout + issued.stderr).toBe(0);
      expect(issued.stdout).toContain(`License saved to ${GLOBAL_SECRETS}`);
      expect(readFileSync(GLOBAL_SECRETS, "utf8")).toMatch(/license\s*=\s*"[^"]{100,}"/);

      const later = await daemon.cli("launch", "transform_pipeline", "-f");
      expect(later.code, later.stdout + later.stderr).toBe(0);
      expect((await daemon.cli("logs", "transform_pipeline")).stdout).toContain(TOTALS);
    } finally {
      rmSync(GLOBAL_SECRETS, { force: true });
      if (had) renameSync(aside, GLOBAL_SECRETS);
    }
  }, 1_200_000);
});
