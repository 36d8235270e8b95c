export type {
  BindMount,
  CommitOptions,
  ContainerEngine,
  ContainerSpec,
  ContainerSummary,
  FollowOptions,
  ImageInfo,
  ImportImageOptions,
  NetworkMode,
  OutputStreamName,
  PublishedPort,
  ResourceLimits,
  TmpfsMount,
} from "./engine.js";
export { bindList, envList, portBindings, toCreateOptions } from "./container-spec.js";
export { createDemuxer, createLineSplitter } from "./demux.js";
export { createDockerodeEngine, createEngineExitEvents, splitTag } from "./dockerode-engine.js";
export type { DockerodeEngineOptions } from "./dockerode-engine.js";
export { labelChanges, managedLabels, SluiceLabel } from "./labels.js";
export { runOneShot } from "./run-one-shot.js";
export type { OneShotOptions, OneShotResult } from "./run-one-shot.js";
export { waitForEngine, type WaitForEngineOptions } from "./wait-for-engine.js";
export type { ExitEvents } from "./exit-events.js";
