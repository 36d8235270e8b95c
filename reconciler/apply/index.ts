export { SchedulerDeploymentTarget, type DeployedWorkspace, type SchedulerTargetOptions } from "./scheduler-target.js";
