/** Interactive services for proxy tests, recording how each service run ended. */
import type { RunOutcome } from "../../runner/executors/index.js";
import {
  createInteractiveServices,
  createInteractiveStarter,
  createReverseProxy,
  type InteractiveServices,
  type InteractiveStarterOptions,
  type ReverseProxy,
} from "../../runner/proxy/index.js";

/** Services started by `createInteractiveStarter(options)`; each run's outcome is pushed to `outcomes` when it ends. */
export function createRecordingServices(options: InteractiveStarterOptions, outcomes: RunOutcome[]): InteractiveServices {
  const starter = createInteractiveStarter(options);
  return createInteractiveServices({
    clock: options.clock,
    start: async (workspace, job) => {
      const started = await starter(workspace, job);
      void started?.run.outcome.then((outcome) => outcomes.push(outcome));
      return started;
    },
  });
}

export interface ProxiedServices {
  services: InteractiveServices;
  proxy: ReverseProxy;
  /** The proxy's loopback port. */
  port: number;
  /** Stops every service, then the proxy. */
  close(): Promise<void>;
}

/** Recording services behind a reverse proxy on a free loopback port; run ids `<runIdPrefix>-<pid>-<n>`. */
export async function startProxiedServices(options: Omit<InteractiveStarterOptions, "newRunId"> & { runIdPrefix: string }, outcomes: RunOutcome[]): Promise<ProxiedServices> {
  let counter = 0;
  const { runIdPrefix, ...starter } = options;
  const services = createRecordingServices({ ...starter, newRunId: () => `${runIdPrefix}-${process.pid}-${++counter}` }, outcomes);
  const proxy = createReverseProxy(services);
  const port = await proxy.listen(0);
  return {
    services,
    proxy,
    port,
    async close() {
      await services.stopAll();
      await proxy.close();
    },
  };
}
