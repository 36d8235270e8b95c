/** Interactive services for proxy tests, recording how each service run ended. */
import type { RunOutcome } from "../../runner/executors/index.js";
import { createInteractiveServices, createInteractiveStarter, type InteractiveServices, type InteractiveStarterOptions } from "../../runner/proxy/index.js";

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
