import { mkdirSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { buildRunContainerSpec, Launcher, prepareRun, type RunnableJob } from "../executors/index.js";
import { createSecretStore } from "../secrets/index.js";
import { EXIT_FINALIZER, KubeLabel, runJobName } from "./job-spec.js";
import { buildRunService, buildServicePod, buildServiceSecret, HOST_PORT_ANNOTATION, SERVICE_LABEL, serviceSelector } from "./service-spec.js";
import { settingsItems } from "./settings-secret.js";

function setup() {
  const base = mkdtempSync(join(tmpdir(), "sluice-ksvc-"));
  const ws = join(base, "ws");
  mkdirSync(join(ws, ".dlt"), { recursive: true });
  const secretStore = createSecretStore(join(base, "secrets"));
  return { ws, context: { secretStore, dataRoot: join(base, "data"), machines: { small: { cpus: 0.5, memoryMb: 256 } } } };
}

const notebook: RunnableJob = {
  job_ref: "jobs.gh.explore",
  entry_point: { module: "gh", function: null, job_type: "interactive", launcher: Launcher.marimo },
  require: { machine: "small" },
};
const options = { image: "sluice/env:k", python: "/opt/sluice/venv/bin/python", namespace: "runs", pullPolicy: "Never" as const, instance: "abc123" };

function prepared(runArgs?: { port: number; base_path?: string }) {
  const { ws, context } = setup();
  return prepareRun(notebook, { name: "gh", dir: ws }, { runId: "run-9", trigger: "http:", refresh: false, ...(runArgs ? { runArgs } : {}) }, context, 1_000);
}

describe("buildServicePod", () => {
  it("is the Docker container (argv with run_args.port and base_path, env, mounts, limits) as a Pod declaring the port", () => {
    const run = prepared({ port: 8123, base_path: "/w/gh/explore" });
    const docker = buildRunContainerSpec(run, { image: options.image, python: options.python, network: "bridge" });
    const pod = buildServicePod(run, { ...options, hostPort: 41000 });
    const container = pod.spec.containers[0]!;
    expect(container.command).toEqual(docker.cmd);
    expect(container.command.join(" ")).toContain('"run_args":{"port":8123,"base_path":"/w/gh/explore"}');
    expect(Object.fromEntries(container.env.map((entry) => [entry.name, entry.value]))).toEqual(docker.env);
    expect(container.ports).toEqual([{ name: "http", containerPort: 8123, protocol: "TCP" }]);
    expect(container.resources).toEqual({ requests: { cpu: "500m", memory: String(256 * 1024 * 1024) }, limits: { cpu: "500m", memory: String(256 * 1024 * 1024) } });
    expect(pod.spec).toMatchObject({ restartPolicy: "Never", shareProcessNamespace: true, hostname: "sluice-gh-prod" });
  });

  it("names and labels the pod like a run Job of the instance, marks it interactive, keeps the exit finalizer and the host port", () => {
    const pod = buildServicePod(prepared({ port: 8123 }), { ...options, hostPort: 41000 });
    expect(pod.metadata.name).toBe(runJobName("run-9", "abc123"));
    expect(pod.metadata.labels).toMatchObject({ [KubeLabel.runId]: "run-9", [KubeLabel.instance]: "abc123", [KubeLabel.workspace]: "gh", [SERVICE_LABEL]: "true" });
    expect(pod.metadata.annotations[HOST_PORT_ANNOTATION]).toBe("41000");
    expect(pod.metadata.finalizers).toEqual([EXIT_FINALIZER]);
    expect(buildServicePod(prepared({ port: 8123 }), options).metadata.annotations[HOST_PORT_ANNOTATION]).toBe("8123");
  });

  it("refuses an interactive run without run_args.port", () => {
    expect(() => buildServicePod(prepared(), options)).toThrow(/no.*run_args\.port|with a port \(run_args\.port\)/);
  });
});

describe("buildRunService", () => {
  it("is a ClusterIP Service named like the pod, selecting only its run of this instance on the service port, owned by the pod", () => {
    const pod = buildServicePod(prepared({ port: 8123 }), options);
    const service = buildRunService(pod, { uid: "u-1" });
    expect(service.metadata.name).toBe(pod.metadata.name);
    expect(service.spec).toEqual({
      type: "ClusterIP",
      selector: { [KubeLabel.managed]: "true", [KubeLabel.purpose]: "run", [KubeLabel.runId]: "run-9", [KubeLabel.instance]: "abc123", [SERVICE_LABEL]: "true" },
      ports: [{ name: "http", port: 8123, targetPort: 8123, protocol: "TCP" }],
    });
    expect(Object.entries(service.spec.selector).every(([key, value]) => pod.metadata.labels[key] === value)).toBe(true);
    expect(service.metadata.ownerReferences).toEqual([{ apiVersion: "v1", kind: "Pod", name: pod.metadata.name, uid: "u-1", blockOwnerDeletion: false }]);
    expect(serviceSelector({ [KubeLabel.managed]: "true" }, "run-9")).toEqual({ [KubeLabel.managed]: "true", [SERVICE_LABEL]: "true", [KubeLabel.runId]: "run-9" });
  });

  it("mounts the settings Secret named like the pod, which carries the pod's labels", () => {
    const files = [{ path: "config.toml", content: Buffer.from("a = 1") }];
    const pod = buildServicePod(prepared({ port: 8123 }), { ...options, settings: settingsItems(files) });
    const secret = buildServiceSecret(pod, files);
    expect(secret.metadata).toMatchObject({ name: pod.metadata.name, namespace: "runs", labels: pod.metadata.labels });
    expect(pod.spec.volumes.find((volume) => volume.secret)?.secret?.secretName).toBe(pod.metadata.name);
  });
});
