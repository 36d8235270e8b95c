/**
 * `sluice exec` against a `sluice up` child (real Docker, git, dlt 1.26.0): the command sees the
 * same data dir, dlt global dir, anonymous id and host name as the workspace's runs; what it
 * writes to the global dir is visible to a later run; exit codes, stdin and user errors.
 */
import { existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DaemonProcess, execCli } from "./daemon-e2e-support.js";
import { copyFixtureWorkspace, writeFiles } from "./support/workspaces.js";


/** Prints what a process sees of dlt's directories, as `key=value` lines. */
const PROBE = `
import os, platform
from dlt.common.runtime import run_context
from dlt.common.runtime.anon_tracker import get_anonymous_id

def report():
    global_dir = run_context.active().global_dir
    marker = os.path.join(global_dir, "marker.txt")
    print("data_dir=" + os.environ.get("DLT_DATA_DIR", ""))
    print("local_dir=" + os.environ.get("DLT_LOCAL_DIR", ""))
    print("global_dir=" + global_dir)
    print("anonymous_id=" + get_anonymous_id())
    print("host=" + platform.node())
    print("marker=" + (open(marker).read() if os.path.exists(marker) else "none"))

if __name__ == "__main__":
    report()
`;


function fields(text: string): Record<string, string> {
  return Object.fromEntries(
    text
      .split("\n")
      .map((line) => /^(data_dir|local_dir|global_dir|anonymous_id|host|marker)=(.*)$/.exec(line.replace(/^.*?\b(?=(data_dir|local_dir|global_dir|anonymous_id|host|marker)=)/, "")))
      .filter((m): m is RegExpExecArray => m !== null)
      .map((m) => [m[1] ?? "", m[2] ?? ""]),
  );
}

let root: string;
let daemon: DaemonProcess;
let dir: string;

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), "sluice-exec-"));
  daemon = new DaemonProcess(join(root, "home"));
  await daemon.start("api: { port: 0 }\nproxy: { port: 0 }\nruns: { network: none }\n");
  dir = join(root, "fruitshop");
  copyFixtureWorkspace("fruitshop", dir);
  writeFiles(dir, { "probe.py": PROBE });
}, 120_000);
afterAll(async () => {
  await daemon?.stop();
  rmSync(root, { recursive: true, force: true });
});

describe("sluice exec", () => {
  it("sees the data dir, global dir, anonymous id and host name of the workspace's runs, and a file it writes to the global dir is read by a later run", async () => {
    const first = await daemon.cli("launch", "probe.py", "-f", "--dir", dir);
    expect(first.code, first.stdout + first.stderr).toBe(0);
    const run1 = fields((await daemon.cli("logs", "probe")).stdout);
    expect(run1).toMatchObject({ data_dir: "/sluice/data/var", local_dir: "/sluice/data/local", global_dir: "/var/dlt", host: "sluice-fruitshop-prod", marker: "none" });
    expect(run1.anonymous_id).toMatch(/\S{8,}/);

    const inExec = await execCli(daemon.home, ["fruitshop", "--", "sh", "-c", "python probe.py && printf from-exec > /var/dlt/marker.txt"]);
    expect(inExec.code, inExec.stderr).toBe(0);
    expect(fields(inExec.stdout)).toEqual({ ...run1, marker: "none" });
    expect(existsSync(join(daemon.home, "data", "fruitshop", "prod", "global", "marker.txt"))).toBe(true);

    const second = await daemon.cli("launch", "probe", "-f");
    expect(second.code, second.stdout + second.stderr).toBe(0);
    const run2 = fields((await daemon.cli("logs", "probe")).stdout);
    expect(run2).toEqual({ ...run1, marker: "from-exec" });
    expect(readdirSync(join(daemon.home, "overlays")).filter((name) => name.startsWith("exec-"))).toEqual([]);
  }, 1_200_000);

  it("returns the command's exit code, attaches stdin, and uses --profile's data and global dir", async () => {
    const failed = await execCli(daemon.home, ["fruitshop", "--", "sh", "-c", "exit 7"]);
    expect(failed.code, failed.stderr).toBe(7);
    const echoed = await execCli(daemon.home, ["fruitshop", "--", "cat"], { input: "through stdin\n" });
    expect(echoed.stdout).toBe("through stdin\n");
    const dev = await execCli(daemon.home, ["fruitshop", "--profile", "dev", "--", "python", "probe.py"]);
    expect(dev.code, dev.stderr).toBe(0);
    expect(fields(dev.stdout)).toMatchObject({ host: "sluice-fruitshop-dev", marker: "none", global_dir: "/var/dlt" });
    expect(existsSync(join(daemon.home, "data", "fruitshop", "dev", "global", ".anonymous_id"))).toBe(true);
  }, 600_000);

  it("refuses an unknown workspace and lists the known ones; --dry-run prints variable names, never values", async () => {
    const unknown = await execCli(daemon.home, ["nope", "--", "true"]);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain("No workspace 'nope'");
    expect(unknown.stderr).toContain("Known workspaces: fruitshop");
    const dry = await execCli(daemon.home, ["fruitshop", "--dry-run", "--", "dlt", "--version"]);
    expect(dry.code, dry.stderr).toBe(0);
    expect(dry.stdout).toMatch(/^docker run --rm -i --name sluice-exec-\S+ --hostname sluice-fruitshop-prod --init --network none/);
    expect(dry.stdout).toContain("--env WORKSPACE__PROFILE ");
    expect(dry.stdout).not.toContain("WORKSPACE__PROFILE=");
    expect(dry.stdout.trimEnd()).toMatch(/ dlt --version$/);
  }, 600_000);
});
