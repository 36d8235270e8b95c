/**
 * A temp Sluice home for executor tests: the clock, secret store, log store, data and overlay
 * dirs an executor and `prepareRun` need, all under one fresh temp dir.
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SystemClock } from "../../core/index.js";
import { createDockerExecutor, type DockerExecutor, type DockerExecutorOptions, type PrepareContext } from "../../runner/executors/index.js";
import { createLogStore, type LogStore } from "../../runner/logs/index.js";
import { createSecretStore, type SecretStore } from "../../runner/secrets/index.js";

export interface RunHome {
  home: string;
  clock: SystemClock;
  secretStore: SecretStore;
  logStore: LogStore;
  dataRoot: string;
  overlayRoot: string;
  /** What `prepareRun` needs from the home. */
  context: PrepareContext;
  /** Every stored log line of a run (text only), joined. */
  logText(runId: string): string;
  /** A Docker executor on this home's clock, stores and overlay dir. */
  dockerExecutor(options: Pick<DockerExecutorOptions, "engine" | "environmentFor" | "network" | "instance" | "engineReconnectMs" | "warm">): DockerExecutor;
}

export function createRunHome(prefix: string): RunHome {
  const home = mkdtempSync(join(tmpdir(), prefix));
  const clock = new SystemClock();
  const secretStore = createSecretStore(join(home, "secrets"));
  const logStore = createLogStore({ dir: join(home, "logs") });
  const dataRoot = join(home, "data");
  const overlayRoot = join(home, "overlays");
  return {
    home,
    clock,
    secretStore,
    logStore,
    dataRoot,
    overlayRoot,
    context: { secretStore, dataRoot },
    logText: (runId) =>
      logStore
        .read(runId)
        .lines.map((line) => line.text)
        .join("\n"),
    dockerExecutor: (options) => createDockerExecutor({ clock, logStore, secretStore, overlayRoot, ...options }),
  };
}
