import { describe, expect, it } from "vitest";
import { parseDaemonConfig } from "./config.js";

describe("daemon config (sluice.yaml)", () => {
  it("fills every default from an empty file", () => {
    expect(parseDaemonConfig("")).toEqual({
      api: { host: "127.0.0.1", port: 7878 },
      pollIntervalMs: 30_000,
      retryAfterMs: 60_000,
      generateTimeoutMs: 600_000,
      manifestExecutor: "docker",
      manifestWarm: true,
      runExecutor: "docker",
      runNetwork: "bridge",
      runEnv: {},
      runWarm: true,
      proxyPort: 7879,
      machines: {},
      logLevel: "info",
      github: null,
      kubernetes: null,
    });
  });

  it("sends batch runs to Kubernetes with `executor: kubernetes` and its section (manifests stay on Docker); the section is required and checked", () => {
    const yaml = "executor: kubernetes\nkubernetes:\n  kubeconfig: /var/lib/sluice/cluster/kubeconfig\n  namespace: runs\n  image: { containerd: /run/k8s/containerd.sock }\n";
    expect(parseDaemonConfig(yaml)).toMatchObject({
      runExecutor: "kubernetes",
      manifestExecutor: "docker",
      kubernetes: { kubeconfig: "/var/lib/sluice/cluster/kubeconfig", namespace: "runs", images: { kind: "containerd", socket: "/run/k8s/containerd.sock" }, pullPolicy: "Never", volumes: "hostPath" },
    });
    expect(() => parseDaemonConfig("executor: kubernetes\n")).toThrow(/executor: kubernetes needs a `kubernetes:` section/);
    expect(() => parseDaemonConfig("executor: kubernetes\nkubernetes: { namespace: runs }\n")).toThrow(/kubernetes\.image: set exactly one of image\.registry .* and image\.containerd/);
    expect(() => parseDaemonConfig("executor: kubernetes\nkubernetes: { image: { registry: r.example.com, containerd: /s } }\n")).toThrow(/kubernetes\.image: set exactly one of/);
    expect(() => parseDaemonConfig("executor: kubernetes\nkubernetes: { image: { registry: 'https://r.example.com' } }\n")).toThrow(/kubernetes\.image\.registry: expected a registry address/);
    expect(() => parseDaemonConfig("executor: kubernetes\nkubernetes: { image: { registry: r.example.com }, storageClass: fast, storageSize: 1GB }\n")).toThrow(/kubernetes\.storageSize: expected a size such as 1Gi/);
    expect(() => parseDaemonConfig("executor: kubernetes\nkubernetes: { namespace: Bad_Name, image: { containerd: /s } }\n")).toThrow(/kubernetes\.namespace: expected a namespace name/);
    expect(() => parseDaemonConfig("executor: nomad\n")).toThrow(/executor: expected one of: docker, local, kubernetes/);
    expect(parseDaemonConfig("kubernetes: { image: { containerd: /s } }\n")).toMatchObject({ runExecutor: "docker", kubernetes: null });
  });

  it("with image.registry, run images are pushed there (pulled IfNotPresent by digest); storageClass puts data on a claim of storageSize (default 1Gi)", () => {
    const yaml = "executor: kubernetes\nkubernetes:\n  image: { registry: registry.example.com:5000/team }\n  storageClass: fast-ssd\n";
    expect(parseDaemonConfig(yaml).kubernetes).toEqual({
      namespace: "default",
      images: { kind: "registry", registry: "registry.example.com:5000/team" },
      pullPolicy: "IfNotPresent",
      volumes: { storageClass: "fast-ssd", size: "1Gi" },
    });
    expect(parseDaemonConfig(yaml.replace("fast-ssd\n", "fast-ssd\n  storageSize: 20Gi\n")).kubernetes?.volumes).toEqual({ storageClass: "fast-ssd", size: "20Gi" });
  });

  it("reads the github section: an App or a token file (exactly one), the webhook listener, retry backoff", () => {
    const app = "github:\n  apiUrl: http://127.0.0.1:9000\n  app: { id: 12345, privateKeyFile: /etc/sluice/app.pem }\n  webhook: { host: 0.0.0.0, port: 7880, secretFile: /etc/sluice/webhook-secret }\n";
    expect(parseDaemonConfig(app).github).toEqual({
      apiUrl: "http://127.0.0.1:9000",
      auth: { kind: "app", appId: 12345, privateKeyFile: "/etc/sluice/app.pem" },
      webhook: { host: "0.0.0.0", port: 7880, secretFile: "/etc/sluice/webhook-secret" },
      backoffMs: 2_000,
      maxBackoffMs: 60_000,
      runReports: "failures",
    });
    expect(parseDaemonConfig("github:\n  tokenFile: /etc/sluice/github-token\n").github).toMatchObject({ apiUrl: "https://api.github.com", auth: { kind: "token", tokenFile: "/etc/sluice/github-token" }, webhook: null });
    expect(() => parseDaemonConfig("github:\n  apiUrl: https://api.github.com\n")).toThrow(/github: give exactly one of app \{ id, privateKeyFile \} \(a GitHub App\) or tokenFile/);
    expect(() => parseDaemonConfig("github:\n  tokenFile: /t\n  webhook: { port: 7880 }\n")).toThrow(/github\.webhook\.secretFile/);
  });

  it("runs locally with `executor: local`, manifests included unless manifest.executor says otherwise", () => {
    expect(parseDaemonConfig("executor: local\n")).toMatchObject({ runExecutor: "local", manifestExecutor: "local" });
    expect(parseDaemonConfig("executor: local\nmanifest:\n  executor: docker\n")).toMatchObject({ runExecutor: "local", manifestExecutor: "docker" });
    expect(parseDaemonConfig("manifest: { warm: false }\n")).toMatchObject({ manifestExecutor: "docker", manifestWarm: false });
    expect(() => parseDaemonConfig("manifest: { warm: yes please }\n")).toThrow(/manifest\.warm: expected true or false/);
    expect(parseDaemonConfig("runs:\n  network: host\n  env:\n    SOURCES__USGS__BASE_URL: http://127.0.0.1:9\nmachines:\n  small: { cpus: 0.5, memoryMb: 256 }\n")).toMatchObject({
      runNetwork: "host",
      runEnv: { SOURCES__USGS__BASE_URL: "http://127.0.0.1:9" },
      machines: { small: { cpus: 0.5, memoryMb: 256 } },
    });
    expect(() => parseDaemonConfig("runs:\n  env:\n    bad-name: x\n")).toThrow(/runs\.env\.bad-name/);
    expect(parseDaemonConfig("runs: { warm: false }\n")).toMatchObject({ runWarm: false });
    expect(() => parseDaemonConfig("runs: { warm: sometimes }\n")).toThrow(/runs\.warm: expected true, false or \{ perTarget: N, maxIdle: N \}/);
    expect(parseDaemonConfig("runs: { warm: { perTarget: 20, maxIdle: 20 } }\n")).toMatchObject({ runWarm: { perTarget: 20, maxIdle: 20 } });
    expect(() => parseDaemonConfig("runs: { warm: { perTarget: 0 } }\n")).toThrow(/runs\.warm/);
    expect(() => parseDaemonConfig("runs: { warm: { spare: 3 } }\n")).toThrow(/runs\.warm\.spare: unknown key; allowed here: perTarget, maxIdle/);
  });

  it("compiles durations given as text or seconds", () => {
    const options = parseDaemonConfig("repos:\n  pollInterval: 5s\nreconcile:\n  retryAfter: 90\n  generateTimeout: 1.5m\napi:\n  port: 9000\n");
    expect(options).toMatchObject({ pollIntervalMs: 5000, retryAfterMs: 90_000, generateTimeoutMs: 90_000, api: { port: 9000 } });
  });

  it("lists every error with its key and what is allowed", () => {
    const text = "api:\n  host: 0.0.0.0\n  port: 70000\nrepos:\n  pollInterval: soon\n  interval: 5s\nmanifest:\n  executor: podman\nextra: 1\n";
    let message = "";
    try {
      parseDaemonConfig(text, "my.yaml");
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toContain("my.yaml is invalid");
    expect(message).toMatch(/api\.host: must be a loopback address/);
    expect(message).toMatch(/api\.port: expected a port number 1–65535/);
    expect(message).toMatch(/repos\.pollInterval: expected a duration such as 30s/);
    expect(message).toMatch(/repos\.interval: unknown key; allowed here: pollInterval/);
    expect(message).toMatch(/manifest\.executor: expected one of: docker, local/);
    expect(message).toMatch(/extra: unknown key; allowed here: api, repos, reconcile, manifest, log, executor, kubernetes, runs, proxy, machines/);
  });

  it("reports YAML syntax errors and a non-mapping section", () => {
    expect(() => parseDaemonConfig("api: [1, 2")).toThrow(/not valid YAML/);
    expect(() => parseDaemonConfig("api: 5")).toThrow(/api: expected a mapping with keys host, port/);
  });
});
