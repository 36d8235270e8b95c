/** Scheduler run events and live log lines → the daemon's SSE hub (`run.*`, `log.line`). */
import type { LogStore } from "../../runner/logs/index.js";
import type { Scheduler } from "../../runner/scheduler/index.js";
import type { EventHub } from "../daemon/event-hub.js";
import { runView } from "./views.js";

export function publishRunEvents(input: { scheduler: Scheduler; hub: EventHub; logStore: LogStore; workspaceOf: (jobRef: string) => string | null; whereOf?: (runId: string) => string | null }): () => void {
  const { scheduler, hub, logStore, workspaceOf } = input;
  const whereOf = input.whereOf ?? (() => null);
  const tails = new Map<string, () => void>();
  const publish = (type: string, run: Parameters<typeof runView>[0]) => {
    const workspace = workspaceOf(run.jobRef);
    hub.publish({ type, ...(workspace ? { workspace } : {}), data: runView(run, workspace, whereOf(run.runId)) });
  };
  const offs = [
    scheduler.events.on("run:queued", ({ run }) => publish("run.queued", run)),
    scheduler.events.on("run:skipped", ({ run }) => publish("run.skipped", run)),
    scheduler.events.on("run:started", ({ run }) => {
      publish("run.started", run);
      const workspace = workspaceOf(run.jobRef);
      const off = logStore.subscribe(run.runId, {
        onLine: (line) => hub.publish({ type: "log.line", ...(workspace ? { workspace } : {}), data: { runId: run.runId, jobRef: run.jobRef, ...line } }),
        onEnd: () => {
          tails.get(run.runId)?.();
          tails.delete(run.runId);
        },
      });
      tails.set(run.runId, off);
    }),
    scheduler.events.on("run:finished", ({ run, outcome }) => {
      const workspace = workspaceOf(run.jobRef);
      hub.publish({ type: "run.finished", ...(workspace ? { workspace } : {}), data: { ...runView(run, workspace, whereOf(run.runId)), outcome } });
    }),
  ];
  return () => {
    offs.forEach((off) => off());
    for (const off of tails.values()) off();
    tails.clear();
  };
}
