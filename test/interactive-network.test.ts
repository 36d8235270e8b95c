/**
 * Interactive runs follow `runs.network` (docs/workspaces.md, docs/execution.md). Under `host` a
 * marimo notebook (dlt's marimo launcher, served through the proxy by the daemon's run starter)
 * shares the host's network: a cell reaches an API that listens on 127.0.0.1 only, as batch jobs
 * do, and the notebook's own port listens on loopback only although the launcher asks marimo for
 * `--host 0.0.0.0`. Under `none` an interactive run is refused before any container exists.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createRunStarter, type RunStarter } from "../cli/compose/run-starter.js";
import { silentLogger } from "../core/index.js";
import { Launcher, prepareRun, type RunnableJob } from "../runner/executors/index.js";
import { createInteractiveServices, createInteractiveStarter, createReverseProxy, type InteractiveServices, type ReverseProxy } from "../runner/proxy/index.js";
import { startLoopbackSources } from "./support/fake-sources.js";
import { httpRequest, rawUpgrade } from "./support/http.js";
import { createRunHome, type RunHome } from "./support/run-home.js";
import { waitUntil } from "./support/wait.js";
import { copyFixtureWorkspace, writeFiles } from "./support/workspaces.js";
import type { FakeSources } from "../fixtures/fake-sources/index.js";

const PROBE_PATH = "/notebook-probe";

/** A marimo notebook whose one cell calls the URL in NOTEBOOK_PROBE_URL. */
const NOTEBOOK = `import marimo

app = marimo.App()


@app.cell
def _():
    import os
    import urllib.error
    import urllib.request

    try:
        urllib.request.urlopen(os.environ["NOTEBOOK_PROBE_URL"], timeout=10)
    except urllib.error.HTTPError:
        pass  # any answer proves the API was reached
    return


if __name__ == "__main__":
    app.run()
`;

const notebook: RunnableJob = {
  job_ref: "jobs.probe_notebook",
  entry_point: { module: "probe_notebook", function: null, job_type: "interactive", launcher: Launcher.marimo },
  execute: { timeout: { timeout: 300, grace_period: 5 } },
};

let runHome: RunHome;
let sources: FakeSources;
let workspaceDir: string;

beforeAll(async () => {
  runHome = createRunHome("sluice-ixnet-");
  sources = await startLoopbackSources();
  workspaceDir = join(runHome.home, "fruitshop");
  copyFixtureWorkspace("fruitshop", workspaceDir);
  writeFiles(workspaceDir, { "probe_notebook.py": NOTEBOOK });
});

afterAll(async () => {
  await sources?.close();
});

async function starterOn(network: "host" | "none"): Promise<RunStarter> {
  const { clock, logStore, secretStore, home } = runHome;
  return createRunStarter({ kind: "docker", clock, logStore, secretStore, home, network, env: { NOTEBOOK_PROBE_URL: `${sources.url}${PROBE_PATH}` }, logger: silentLogger });
}

/** Local addresses (hex, as in /proc/net/tcp) of the host's listening TCP sockets on `port`. */
function listeningAddresses(port: number): string[] {
  const portHex = port.toString(16).toUpperCase().padStart(4, "0");
  return readFileSync("/proc/net/tcp", "utf8")
    .split("\n")
    .slice(1)
    .map((line) => line.trim().split(/\s+/))
    .filter((fields) => fields[3] === "0A" && fields[1]?.endsWith(`:${portHex}`))
    .map((fields) => fields[1]!.split(":")[0]!);
}

describe("interactive runs follow runs.network", () => {
  let services: InteractiveServices | undefined;
  let proxy: ReverseProxy | undefined;

  afterAll(async () => {
    await services?.stopAll();
    await proxy?.close();
  });

  it("host: a marimo notebook cell reaches a loopback-only API and the notebook listens on 127.0.0.1 only", async () => {
    const starter = await starterOn("host");
    let runId = "";
    services = createInteractiveServices({
      clock: runHome.clock,
      start: createInteractiveStarter({
        clock: runHome.clock,
        context: runHome.context,
        executor: starter,
        lookup: (w, j) => (w === "fruitshop" && j === "probe" ? { job: notebook, workspace: { name: "fruitshop", dir: workspaceDir } } : undefined),
        newRunId: () => (runId = `ixnet-${process.pid}-${Date.now()}`),
      }),
    });
    proxy = createReverseProxy(services);
    const port = await proxy.listen(0);

    const page = await httpRequest(port, "/w/fruitshop/probe/");
    expect(page.status, runHome.logText(runId)).toBe(200);
    const servicePort = services.list().find((service) => service.runId === runId)?.port;
    expect(servicePort).toBeDefined();
    expect(listeningAddresses(servicePort!)).toEqual(["0100007F"]);

    // a websocket session makes marimo (run mode) execute the notebook's cells
    expect(await rawUpgrade(port, "/w/fruitshop/probe/ws?session_id=s-probe-1")).toMatch(/^HTTP\/1\.1 101/);
    await waitUntil(() => sources.requests.some((request) => request.path === PROBE_PATH), `the notebook's request to ${PROBE_PATH}`, 60_000);
  });

  it("none: an interactive run is refused with what to configure instead", async () => {
    const starter = await starterOn("none");
    const run = prepareRun(notebook, { name: "fruitshop", dir: workspaceDir }, { runId: `ixnone-${process.pid}`, trigger: "http:", refresh: false, runArgs: { port: 1 } }, runHome.context, runHome.clock.now());
    await expect(starter.start(run)).rejects.toThrow(/cannot be served with runs.network: none/);
  });
});
