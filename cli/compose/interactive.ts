/**
 * Interactive jobs behind the reverse proxy on its own loopback port (`proxy.port`, default
 * 7879): `/w/<workspace>/<job>/…`. The proxy is not behind the API token (browsers open it);
 * it only listens on 127.0.0.1. `serve` starts the service and waits until it answers.
 */
import type { Clock } from "../../core/index.js";
import { SluiceError } from "../../core/index.js";
import type { SchedulerDeploymentTarget } from "../../reconciler/apply/index.js";
import type { PrepareContext, StartsRuns } from "../../runner/executors/index.js";
import { asRunnableJob, isInteractive } from "../../runner/executors/index.js";
import { createInteractiveServices, createInteractiveStarter, createReverseProxy } from "../../runner/proxy/index.js";
import type { Scheduler } from "../../runner/scheduler/index.js";
import { shortJobName } from "../../runner/scheduler/index.js";
import { findJob } from "./job-lookup.js";

export interface InteractiveOptions {
  clock: Clock;
  context: PrepareContext;
  starter: StartsRuns;
  target: SchedulerDeploymentTarget;
  scheduler: Scheduler;
  port: number;
}

export function createInteractive(options: InteractiveOptions) {
  const { target } = options;
  let seq = 0;
  let url: string | null = null;
  const services = createInteractiveServices({
    clock: options.clock,
    start: createInteractiveStarter({
      clock: options.clock,
      context: options.context,
      executor: options.starter,
      newRunId: () => `svc-${options.clock.now()}-${++seq}`,
      lookup(workspace, job) {
        const deployed = target.get(workspace);
        const definition = deployed?.jobs.find((j) => shortJobName(j.job_ref) === job);
        if (!deployed || !definition) return undefined;
        const runnable = asRunnableJob(definition);
        if (!isInteractive(runnable)) return undefined;
        return { job: runnable, workspace: { name: workspace, dir: deployed.checkoutDir, ...(deployed.version === null ? {} : { deploymentVersion: deployed.version }) } };
      },
    }),
  });
  const proxy = createReverseProxy(services);
  return {
    async start() {
      const port = await proxy.listen(options.port, "127.0.0.1");
      url = `http://127.0.0.1:${port}`;
    },
    async stop() {
      await services.stopAll().catch(() => undefined);
      await proxy.close();
    },
    url: () => url,
    async serve(name: string) {
      const job = findJob(options.scheduler, name);
      const deployed = target.workspaceOfJob(job.jobRef);
      if (!isInteractive(asRunnableJob(job.definition)) || !deployed) {
        throw new SluiceError("not_interactive", `Job '${job.shortName}' is not an interactive job.`, { hint: "`sluice job interactive list` lists the interactive jobs; batch jobs start with `sluice launch`." });
      }
      const ready = await services.resolve(deployed.workspace, job.shortName);
      if (!ready) throw new SluiceError("serve_failed", `The service of '${job.shortName}' did not start.`, { hint: `See \`sluice logs ${job.shortName}\`.` });
      return { url: `${url}/w/${deployed.workspace}/${job.shortName}/`, jobRef: job.jobRef, workspace: deployed.workspace };
    },
  };
}
