export type { JobView, KubeApi, LogFollow } from "./api.js";
export { createKubeApi } from "./client-node-api.js";
export type { KubeConnection } from "./client-node-api.js";
export { assertRunnableOnKubernetes, buildRunJob, DEADLINE_BACKSTOP_SECONDS, EXIT_FINALIZER, IMAGE_ANNOTATION, KubeLabel, labelValue, RUN_CONTAINER, runJobName } from "./job-spec.js";
export type { KubeJob, PullPolicy, RunJobOptions } from "./job-spec.js";
export { createKubernetesExecutor } from "./kubernetes-executor.js";
export type { AdoptedKubernetesRun, KubernetesExecutor, KubernetesExecutorOptions } from "./kubernetes-executor.js";
export { kubernetesFailureReason, podState } from "./pod-state.js";
export type { PodState, PodView } from "./pod-state.js";
