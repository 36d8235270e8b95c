import type { TypedEvents } from "../../core/index.js";
import type { ReconcilerEventMap } from "../../reconciler/reconcile/index.js";

/** One event on the daemon's stream (`/v1/events`). `workspace` lets clients filter. */
export interface DaemonEvent {
  type: string;
  workspace?: string;
  data: unknown;
}

export interface DaemonEventSource {
  subscribe(listener: (event: DaemonEvent) => void): () => void;
}

/** Fan-out of daemon events; producers (reconciler, scheduler, log tailer) publish, SSE clients subscribe. */
export class EventHub implements DaemonEventSource {
  private readonly listeners = new Set<(event: DaemonEvent) => void>();

  subscribe(listener: (event: DaemonEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  publish(event: DaemonEvent): void {
    for (const listener of [...this.listeners]) {
      try {
        listener(event);
      } catch {
        // a broken client connection must never stop the producer or other clients
      }
    }
  }
}

/** Forwards reconcile events to the hub as `deployment.*` / `reconcile.*` events. */
export function forwardReconcilerEvents(events: TypedEvents<ReconcilerEventMap>, hub: EventHub): () => void {
  const offs = [
    events.on("reconcile:started", (e) => hub.publish({ type: "reconcile.started", workspace: e.workspace, data: e })),
    events.on("reconcile:skipped", (e) => hub.publish({ type: "reconcile.skipped", workspace: e.workspace, data: e })),
    events.on("deployment:applied", (e) => hub.publish({ type: "deployment.applied", workspace: e.workspace, data: e.deployment })),
    events.on("deployment:failed", (e) =>
      hub.publish({ type: "deployment.failed", workspace: e.workspace, data: { ...e.deployment, workspaceStatus: e.status, retryInMs: e.retryInMs } }),
    ),
  ];
  return () => offs.forEach((off) => off());
}
