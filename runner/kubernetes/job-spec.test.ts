import { mkdirSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { buildRunContainerSpec, Launcher, prepareRun, RunLabel, type RunnableJob } from "../executors/index.js";
import { createSecretStore } from "../secrets/index.js";
import { buildSettingsSecret, settingsItems } from "./settings-secret.js";
import { buildDataClaim, buildRunJob, dataClaimName, EXIT_FINALIZER, IMAGE_ANNOTATION, KubeLabel, labelValue, runJobName } from "./job-spec.js";

function setup() {
  const base = mkdtempSync(join(tmpdir(), "sluice-kjob-"));
  const ws = join(base, "ws");
  mkdirSync(join(ws, ".dlt"), { recursive: true });
  const secretStore = createSecretStore(join(base, "secrets"));
  return { base, ws, context: { secretStore, dataRoot: join(base, "data"), machines: { small: { cpus: 0.5, memoryMb: 256 } } } };
}

const ingest: RunnableJob = {
  job_ref: "jobs.gh.ingest",
  entry_point: { module: "gh", function: "ingest", job_type: "batch", launcher: Launcher.job },
  require: { machine: "small" },
  execute: { timeout: { timeout: 600, grace_period: 45 } },
};

const options = { image: "sluice/env:k", python: "/opt/sluice/venv/bin/python", namespace: "runs", pullPolicy: "IfNotPresent" as const };

describe("buildRunJob", () => {
  it("gives the pod the Docker executor's argv, env, working dir, mounts and host name", () => {
    const { ws, context } = setup();
    const run = prepareRun(ingest, { name: "gh", dir: ws, deploymentVersion: 4 }, { runId: "run-7", trigger: "manual:jobs.gh.ingest", refresh: false }, context, 1_000);
    const docker = buildRunContainerSpec(run, { image: options.image, python: options.python, network: "bridge" });
    const job = buildRunJob(run, options);
    const pod = job.spec.template.spec;
    const container = pod.containers[0]!;
    expect(container.command).toEqual(docker.cmd);
    expect(Object.fromEntries(container.env.map((entry) => [entry.name, entry.value]))).toEqual(docker.env);
    expect(container.workingDir).toBe("/workspace");
    expect(pod.hostname).toBe("sluice-gh-prod");
    const mounts = container.volumeMounts.map((mount) => ({ path: mount.mountPath, readOnly: mount.readOnly, source: pod.volumes.find((volume) => volume.name === mount.name)?.hostPath?.path }));
    expect(mounts).toEqual([...(docker.binds ?? []).map((bind) => ({ path: bind.target, readOnly: bind.readOnly, source: bind.source })), { path: "/tmp", readOnly: false, source: undefined }]);
    expect(pod.volumes.at(-1)).toEqual({ name: "tmpfs-0", emptyDir: { medium: "Memory", sizeLimit: "512Mi" } });
  });

  it("mounts the settings Secret (named like the Job) read-only over /workspace/.dlt, naming keys and paths only", () => {
    const { ws, context } = setup();
    const run = prepareRun(ingest, { name: "gh", dir: ws }, { runId: "run-7", trigger: "manual", refresh: false }, context, 1_000);
    const files = [
      { path: "config.toml", content: Buffer.from('x = "1"') },
      { path: "prod.secrets.toml", content: Buffer.from('token = "tok_spec_secret"') },
    ];
    const job = buildRunJob(run, { ...options, instance: "home1", settings: settingsItems(files) });
    const pod = job.spec.template.spec;
    expect(pod.volumes.find((volume) => volume.name === "settings")).toEqual({
      name: "settings",
      secret: { secretName: "sluice-run-home1-run-7", defaultMode: 0o444, items: [{ key: "config.toml", path: "config.toml", mode: 0o444 }, { key: "prod.secrets.toml", path: "prod.secrets.toml", mode: 0o400 }] },
    });
    expect(pod.containers[0]!.volumeMounts).toContainEqual({ name: "settings", mountPath: "/workspace/.dlt", readOnly: true });
    expect(pod.volumes.some((volume) => volume.hostPath?.path.includes("overlay"))).toBe(false);
    expect(JSON.stringify(job)).not.toContain("tok_spec_secret");
    const secret = buildSettingsSecret(job, files);
    expect(secret.metadata).toEqual({ name: job.metadata.name, namespace: "runs", labels: job.metadata.labels });
    expect(Buffer.from(secret.data["prod.secrets.toml"]!, "base64").toString()).toBe('token = "tok_spec_secret"');
  });

  it("with a data claim, the data dir and dlt's global dir come from it (var, local, global by sub-path) and not from the host", () => {
    const { ws, context } = setup();
    const run = prepareRun(ingest, { name: "gh", dir: ws }, { runId: "run-7", trigger: "manual", refresh: false }, context, 1_000);
    const pod = buildRunJob(run, { ...options, dataClaim: "sluice-data-gh-prod" }).spec.template.spec;
    expect(pod.volumes.find((volume) => volume.name === "data")).toEqual({ name: "data", persistentVolumeClaim: { claimName: "sluice-data-gh-prod" } });
    expect(pod.containers[0]!.volumeMounts.filter((mount) => mount.name === "data")).toEqual([
      { name: "data", mountPath: "/sluice/data", readOnly: false },
      { name: "data", mountPath: "/sluice/data/var", readOnly: false, subPath: "var" },
      { name: "data", mountPath: "/sluice/data/local", readOnly: false, subPath: "local" },
      { name: "data", mountPath: "/var/dlt", readOnly: false, subPath: "global" },
    ]);
    expect(pod.volumes.flatMap((volume) => (volume.hostPath ? [volume.hostPath.path] : []))).toEqual([ws]);
    const hostPaths = buildRunJob(run, options).spec.template.spec.volumes.flatMap((volume) => (volume.hostPath ? [volume.hostPath.path] : []));
    expect(hostPaths).toEqual([ws, run.dataDir, join(run.dataDir, "global")]);
  });

  it("with the checkout in the image and a data claim, the pod has no hostPath volume and nothing mounted at /workspace", () => {
    const { ws, context } = setup();
    const run = prepareRun(ingest, { name: "gh", dir: ws }, { runId: "run-7", trigger: "manual", refresh: false }, context, 1_000);
    const pod = buildRunJob(run, { ...options, image: "127.0.0.1:5050/sluice-run-gh@sha256:" + "a".repeat(64), dataClaim: "sluice-data-gh-prod", checkoutInImage: true }).spec.template.spec;
    expect(pod.volumes.filter((volume) => volume.hostPath !== undefined)).toEqual([]);
    expect(pod.containers[0]!.volumeMounts.map((mount) => mount.mountPath)).not.toContain("/workspace");
    expect(pod.containers[0]!.workingDir).toBe("/workspace");
    const withoutClaim = buildRunJob(run, { ...options, checkoutInImage: true }).spec.template.spec;
    expect(withoutClaim.volumes.flatMap((volume) => (volume.hostPath ? [volume.hostPath.path] : []))).toEqual([run.dataDir, join(run.dataDir, "global")]);
  });

  it("a reader on claims: global from its own claim, local read-only from the claim it reads, var an emptyDir filled by an init container", () => {
    const { ws, context } = setup();
    const run = { ...prepareRun(ingest, { name: "gh", dir: ws }, { runId: "run-7", trigger: "manual", refresh: false }, context, 1_000), dataView: { var: "/host/readers/run-7/var", local: "/host/snap/1/local" } };
    const pod = buildRunJob(run, { ...options, dataClaim: "own", readClaim: "prod" }).spec.template.spec;
    expect(pod.volumes.filter((volume) => volume.hostPath?.path.startsWith("/host"))).toEqual([]);
    expect(pod.containers[0]!.volumeMounts.filter((mount) => mount.mountPath.startsWith("/sluice/data") || mount.mountPath === "/var/dlt")).toEqual([
      { name: "reader-var", mountPath: "/sluice/data/var", readOnly: false },
      { name: "read-data", mountPath: "/sluice/data/local", readOnly: true, subPath: "local" },
      { name: "data", mountPath: "/var/dlt", readOnly: false, subPath: "global" },
    ]);
    expect(pod.initContainers?.[0]).toMatchObject({ image: options.image, command: ["sh", "-c", expect.stringContaining("cp -a /sluice/read/var/. /sluice/data/var/")] });
    expect(pod.volumes.filter((volume) => volume.persistentVolumeClaim).map((volume) => volume.persistentVolumeClaim?.claimName)).toEqual(["own", "prod"]);
    // a reader of its own profile (no `access` settings): the one claim is one volume, its local read-only
    const own = buildRunJob(run, { ...options, dataClaim: "prod", readClaim: "prod" }).spec.template.spec;
    expect(own.volumes.filter((volume) => volume.persistentVolumeClaim).map((volume) => volume.persistentVolumeClaim?.claimName)).toEqual(["prod"]);
    expect(own.containers[0]!.volumeMounts.find((mount) => mount.mountPath === "/sluice/data/local")).toEqual({ name: "data", mountPath: "/sluice/data/local", readOnly: true, subPath: "local" });
    expect(own.initContainers?.[0]?.volumeMounts[0]).toEqual({ name: "data", mountPath: "/sluice/read", readOnly: true });
  });

  it("the data claim of a workspace+profile: deterministic DNS name, labels, ReadWriteOnce, storage class and size", () => {
    const claim = buildDataClaim({ workspace: "gh", profile: "prod", namespace: "runs", instance: "home1", storageClass: "fast" });
    expect(claim).toEqual({
      apiVersion: "v1",
      kind: "PersistentVolumeClaim",
      metadata: { name: dataClaimName("gh", "prod", "home1"), namespace: "runs", labels: { "sluice.managed": "true", "sluice.purpose": "data", [KubeLabel.workspace]: "gh", [KubeLabel.profile]: "prod", [KubeLabel.instance]: "home1" } },
      spec: { accessModes: ["ReadWriteOnce"], storageClassName: "fast", resources: { requests: { storage: "1Gi" } } },
    });
    expect(buildDataClaim({ workspace: "gh", profile: "prod", namespace: "runs", storageClass: "fast", size: "20Gi" }).spec.resources.requests.storage).toBe("20Gi");
    expect(dataClaimName("gh", "prod", "home1")).toMatch(/^sluice-data-home1-gh-prod-[0-9a-f]{8}$/);
    expect(dataClaimName("My_WS", "prod", "home1")).toBe(dataClaimName("My_WS", "prod", "home1"));
    expect(dataClaimName("My_WS", "prod", "home1")).toMatch(/^sluice-data-home1-my-ws-prod-[0-9a-f]{8}$/);
    expect(dataClaimName("w".repeat(80), "prod")).toHaveLength(63);
    expect(dataClaimName("a-b", "c")).not.toBe(dataClaimName("a", "b-c"));
  });

  it("never retries, uses the job's grace, a deadline backstop beyond timeout + grace, and the machine as requests = limits", () => {
    const { ws, context } = setup();
    const run = prepareRun(ingest, { name: "gh", dir: ws }, { runId: "run-7", trigger: "manual:jobs.gh.ingest", refresh: false }, context, 1_000);
    const job = buildRunJob(run, options);
    expect(job.spec.backoffLimit).toBe(0);
    expect(job.spec.template.spec.restartPolicy).toBe("Never");
    expect(job.spec.template.spec.terminationGracePeriodSeconds).toBe(45);
    expect(job.spec.activeDeadlineSeconds).toBe(600 + 45 + 60);
    expect(job.spec.template.spec.shareProcessNamespace).toBe(true);
    expect(job.spec.template.spec.automountServiceAccountToken).toBe(false);
    expect(job.spec.template.spec.containers[0]!.resources).toEqual({ requests: { cpu: "500m", memory: String(256 * 1024 * 1024) }, limits: { cpu: "500m", memory: String(256 * 1024 * 1024) } });
    expect(job.spec.template.metadata.finalizers).toEqual([EXIT_FINALIZER]);
  });

  it("labels Job and pod with run id, job, workspace, profile and instance; keeps full values as annotations", () => {
    const { ws, context } = setup();
    const long: RunnableJob = { ...ingest, job_ref: `jobs.${"very_long_module_name.".repeat(4)}ingest` };
    const run = prepareRun(long, { name: "gh", dir: ws }, { runId: "run-7", trigger: "manual", refresh: false }, context, 1_000);
    const job = buildRunJob(run, { ...options, instance: "home1", serviceAccount: "runner" });
    expect(job.metadata).toMatchObject({ name: "sluice-run-home1-run-7", namespace: "runs" });
    expect(job.metadata.labels).toMatchObject({ [KubeLabel.runId]: "run-7", [KubeLabel.workspace]: "gh", [KubeLabel.profile]: "prod", [KubeLabel.instance]: "home1", "sluice.managed": "true", "sluice.purpose": "run" });
    expect(job.metadata.labels[KubeLabel.job]).toBe(labelValue(long.job_ref));
    expect(job.metadata.labels[KubeLabel.job]!.length).toBeLessThanOrEqual(63);
    expect(job.metadata.annotations).toMatchObject({ [RunLabel.jobRef]: long.job_ref, [RunLabel.startedMs]: "1000", [RunLabel.graceMs]: "45000", [IMAGE_ANNOTATION]: "sluice/env:k" });
    expect(job.spec.template.metadata.labels).toEqual(job.metadata.labels);
    expect(job.spec.template.spec).toMatchObject({ serviceAccountName: "runner", automountServiceAccountToken: true });
  });

  it("refuses interactive jobs with a clear error", () => {
    const { ws, context } = setup();
    const marimo: RunnableJob = { job_ref: "jobs.nb", entry_point: { module: "nb", job_type: "interactive", launcher: Launcher.marimo } };
    const run = prepareRun(marimo, { name: "gh", dir: ws }, { runId: "run-8", trigger: "manual", refresh: false, runArgs: { port: 5000 } }, context, 1_000);
    expect(() => buildRunJob(run, options)).toThrow(/cannot run on Kubernetes yet/);
  });
});

describe("names and label values", () => {
  it("keeps valid values and turns others into valid ones that keep a hash of the original", () => {
    expect(labelValue("jobs.gh.ingest")).toBe("jobs.gh.ingest");
    expect(labelValue("a/b c")).toMatch(/^a-b-c-[0-9a-f]{8}$/);
    expect(labelValue("x".repeat(80))).toMatch(/^x{54}-[0-9a-f]{8}$/);
    expect(labelValue("x".repeat(80))).not.toBe(labelValue(`${"x".repeat(80)}y`));
    expect(labelValue("__")).toMatch(/^[0-9a-f]{8}$/);
  });

  it("makes Job names DNS labels short enough for their pods' names", () => {
    expect(runJobName("run-7")).toBe("sluice-run-run-7");
    expect(runJobName("Run_7", "Home")).toMatch(/^sluice-run-home-run-7-[0-9a-f]{8}$/);
    const long = runJobName("r".repeat(60), "home");
    expect(long.length).toBeLessThanOrEqual(52);
    expect(long).toMatch(/^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/);
  });
});
