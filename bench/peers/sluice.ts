/**
 * Sluice under the peers bench: a real `sluice up` daemon with a temp home, the chain deployed with
 * `sluice deploy` as a dlt workspace (bench/peers/sluice/), runs on the local or the Docker executor.
 * Runs cannot write to the bench's folder from a container, so stamps are read from the run logs.
 */
import { execFile, execFileSync } from "node:child_process";
import { copyFileSync, cpSync, existsSync, mkdirSync, readdirSync, writeFileSync } from "node:fs";
import { createHash } from "node:crypto";
import { join, resolve } from "node:path";
import { runLogStamps, type Stamp } from "./measure.js";
import { FRUITSHOP_DIR, PEERS_DIR, type BenchSystem, type Running, type Variant } from "./peers.js";
import { startGroup, stopGroups, tail, waitFor } from "./process.js";

const REPO = resolve(PEERS_DIR, "../..");
const BIN = join(REPO, "bin/sluice.js");
/** The workspace's environment: the fruitshop fixture's pinned dlt (its environment is usually built already). */
const ENV_FROM = FRUITSHOP_DIR;

/**
 * The workspace to deploy: the fixture's environment and `.dlt/`, bench/peers/sluice/'s
 * `__deployment__.py`, and the variant's `bench_jobs.py` (fruitshop: bench/peers/sluice/fruitshop/,
 * whose `ingest` imports the fixture's own `fruitshop_pipeline.py`, copied in as a deploy copies it).
 */
function workspace(root: string, variant: Variant): string {
  const dir = join(root, "bench_chain");
  mkdirSync(dir, { recursive: true });
  for (const file of ["pyproject.toml", "uv.lock"]) copyFileSync(join(ENV_FROM, file), join(dir, file));
  cpSync(join(ENV_FROM, ".dlt"), join(dir, ".dlt"), { recursive: true });
  const jobs = variant === "fruitshop" ? join(PEERS_DIR, "sluice", "fruitshop") : join(PEERS_DIR, "sluice");
  copyFileSync(join(PEERS_DIR, "sluice", "__deployment__.py"), join(dir, "__deployment__.py"));
  copyFileSync(join(jobs, "bench_jobs.py"), join(dir, "bench_jobs.py"));
  if (variant === "fruitshop") copyFileSync(join(ENV_FROM, "fruitshop_pipeline.py"), join(dir, "fruitshop_pipeline.py"));
  copyFileSync(join(PEERS_DIR, "stamp.py"), join(dir, "stamp.py"));
  return dir;
}

function logStamps(home: string): Stamp[] {
  const logs = join(home, "logs");
  if (!existsSync(logs)) return [];
  return readdirSync(logs)
    .filter((name) => name.endsWith(".jsonl"))
    .flatMap((name) => runLogStamps(join(logs, name)));
}

function removeRunContainers(home: string): void {
  const instance = createHash("sha256").update(home).digest("hex").slice(0, 16);
  try {
    const ids = execFileSync("docker", ["ps", "-aq", "--filter", `label=sluice.instance=${instance}`], { encoding: "utf8" }).split("\n").filter(Boolean);
    if (ids.length > 0) execFileSync("docker", ["rm", "-f", ...ids], { stdio: "ignore" });
  } catch {
    // no Docker: nothing of ours to remove
  }
}

function cli(home: string, args: string[], log: string): Promise<void> {
  return new Promise((done, fail) => {
    execFile(process.execPath, [BIN, ...args, "--home", home], { timeout: 900_000, maxBuffer: 16 << 20 }, (error, stdout, stderr) => {
      writeFileSync(log, `$ sluice ${args.join(" ")}\n${stdout}${stderr}`, { flag: "a" });
      if (error) fail(new Error(`sluice ${args.join(" ")} failed: ${stderr || stdout}`));
      else done();
    });
  });
}

/** The commit measured, read once (others may commit while the bench runs). */
const COMMIT = execFileSync("git", ["rev-parse", "--short", "HEAD"], { cwd: REPO, encoding: "utf8" }).trim();

function sluiceSystem(executor: "local" | "docker"): BenchSystem {
  return {
    id: `sluice-${executor}`,
    label: () => `Sluice ${COMMIT}, ${executor} executor`,
    config: `\`sluice up\` (\`executor: ${executor}\`${executor === "docker" ? ", `runs: { network: none }`" : ""}, every other key default), workspace deployed with \`sluice deploy\`; three dlt jobs: ingest \`trigger.schedule("* * * * *")\`, transform \`trigger=ingest.success\`, report \`trigger=transform.success\` (dlt 1.26.0)`,
    async start(root: string, variant: Variant = "trivial"): Promise<Running> {
      const home = join(root, `sluice-${executor}-home`);
      const log = join(root, `sluice-${executor}.log`);
      mkdirSync(home, { recursive: true });
      const network = executor === "docker" ? "runs: { network: none }\n" : "";
      writeFileSync(join(home, "sluice.yaml"), `executor: ${executor}\napi: { port: 0 }\nproxy: { port: 0 }\n${network}`);
      const pid = startGroup(process.execPath, [BIN, "up", "--home", home], { cwd: root, env: process.env, log });
      await waitFor("sluice up wrote daemon.json", () => existsSync(join(home, "daemon.json")), 120_000, log);
      await cli(home, ["deploy", workspace(root, variant)], log).catch((error: Error) => {
        throw new Error(`${error.message}\nEnd of ${log}:\n${tail(log, 2500)}`);
      });
      const stop = async () => {
        await stopGroups([pid], 40_000);
        if (executor === "docker") removeRunContainers(home);
      };
      return { roots: [pid], readyAt: Date.now(), stamps: () => logStamps(home), stop };
    },
  };
}

export const sluiceLocal = sluiceSystem("local");
export const sluiceDocker = sluiceSystem("docker");
