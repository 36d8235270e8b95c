import { describe, expect, it } from "vitest";
import { kubernetesFailureReason, podState, type PodView } from "./pod-state.js";

const pod = (overrides: Partial<PodView>): PodView => ({ name: "p", deleting: false, finalizers: [], labels: {}, annotations: {}, conditions: [], ...overrides });

describe("podState", () => {
  it("reads starting, running and ended containers", () => {
    expect(podState(pod({ phase: "Pending" }))).toEqual({ kind: "pending" });
    expect(podState(pod({ phase: "Pending", container: { waiting: { reason: "ContainerCreating" } } }))).toEqual({ kind: "pending", detail: "ContainerCreating" });
    expect(podState(pod({ phase: "Running", container: { running: {} } }))).toEqual({ kind: "running" });
    expect(podState(pod({ phase: "Failed", container: { terminated: { exitCode: 3, reason: "Error" } } }))).toEqual({ kind: "ended", exitCode: 3, reason: "Error" });
  });

  it("sees image and configuration errors as runs that cannot start", () => {
    for (const reason of ["ErrImageNeverPull", "ImagePullBackOff", "ErrImagePull", "InvalidImageName", "CreateContainerConfigError"]) {
      expect(podState(pod({ container: { waiting: { reason, message: "m" } } }))).toEqual({ kind: "cannot-start", reason, message: "m" });
    }
  });

  it("sees an unschedulable pod, and a pod that ended before its container ran", () => {
    const conditions = [{ type: "PodScheduled", status: "False", reason: "Unschedulable", message: "0/1 nodes are available: 1 Insufficient cpu." }];
    expect(podState(pod({ phase: "Pending", conditions }))).toEqual({ kind: "unschedulable", message: "0/1 nodes are available: 1 Insufficient cpu." });
    expect(podState(pod({ phase: "Failed", reason: "DeadlineExceeded", message: "Pod was active on the node longer than the specified deadline" }))).toEqual({
      kind: "ended",
      exitCode: null,
      reason: "DeadlineExceeded",
      message: "Pod was active on the node longer than the specified deadline",
    });
  });
});

describe("kubernetesFailureReason", () => {
  it("names OOMKilled, image errors, unschedulable and DeadlineExceeded; a plain exit code keeps the common wording", () => {
    expect(kubernetesFailureReason({ kind: "ended", exitCode: 137, reason: "OOMKilled" }, "img")).toMatch(/^out of memory: the container was OOM-killed \(OOMKilled, exit code 137\)/);
    expect(kubernetesFailureReason({ kind: "cannot-start", reason: "ErrImageNeverPull", message: "not present" }, "img:1")).toMatch(/^image img:1 cannot be used on the cluster \(ErrImageNeverPull: not present\)/);
    expect(kubernetesFailureReason({ kind: "unschedulable", message: "Insufficient cpu" }, "img")).toMatch(/^unschedulable: no node can run the pod \(Insufficient cpu\)/);
    expect(kubernetesFailureReason({ kind: "ended", exitCode: null, reason: "DeadlineExceeded" }, "img")).toMatch(/DeadlineExceeded/);
    expect(kubernetesFailureReason({ kind: "ended", exitCode: 3, reason: "Error" }, "img")).toBeNull();
  });
});
