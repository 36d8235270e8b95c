/**
 * What interactive runs need from Kubernetes beyond `KubeApi`: create a bare Pod and its Service,
 * tie dependents to the pod, and a port-forward through the API server from a loopback port of the
 * daemon to the pod behind the Service (so the daemon need not run inside the cluster). Besides
 * client-node-api.ts, the only file that imports `@kubernetes/client-node`.
 */
import { createServer, type Server, type Socket } from "node:net";
import { PassThrough } from "node:stream";
import { CoreV1Api, PatchStrategy, PortForward, setHeaderOptions, type V1Pod, type V1Service } from "@kubernetes/client-node";
import { SluiceError } from "../../core/index.js";
import { ignoreNotFound, labelSelector, loadConfig, type KubeConnection } from "./client-node-api.js";
import type { KubePod, KubeService } from "./service-spec.js";

/** The parts of a Service Sluice reads. */
export interface ServiceView {
  name: string;
  selector: Record<string, string>;
  /** `targetPort` of its first port (a number: Sluice's Services never name it). */
  targetPort: number | undefined;
  deleting: boolean;
}

export interface ServiceApi {
  /** Creates a Pod; returns its uid (for owner references). */
  createPod(pod: KubePod): Promise<{ uid: string }>;
  createService(service: KubeService): Promise<void>;
  /** Makes a Secret a dependent of a pod: Kubernetes' garbage collector deletes it with the pod. */
  setSecretOwner(namespace: string, name: string, pod: { name: string; uid: string }): Promise<void>;
  /** Undefined when there is none. */
  readService(namespace: string, name: string): Promise<ServiceView | undefined>;
  listServices(namespace: string, labels: Record<string, string>): Promise<ServiceView[]>;
  /** A missing Service is no error. */
  deleteService(namespace: string, name: string): Promise<void>;
  /** Pipes one TCP connection to `port` of a pod through the API server; settles once the tunnel is open. */
  forward(namespace: string, pod: string, port: number, socket: Socket): Promise<void>;
}

export function createServiceApi(connection: KubeConnection = {}): ServiceApi {
  const config = loadConfig(connection);
  const core = config.makeApiClient(CoreV1Api);
  const forwarder = new PortForward(config, true);
  return {
    async createPod(pod) {
      const created = await core.createNamespacedPod({ namespace: pod.metadata.namespace, body: pod as unknown as V1Pod });
      return { uid: created.metadata?.uid ?? "" };
    },
    async createService(service) {
      await core.createNamespacedService({ namespace: service.metadata.namespace, body: service as unknown as V1Service });
    },
    async setSecretOwner(namespace, name, pod) {
      const owner = { apiVersion: "v1", kind: "Pod", name: pod.name, uid: pod.uid, blockOwnerDeletion: false };
      await core.patchNamespacedSecret({ namespace, name, body: { metadata: { ownerReferences: [owner] } } }, setHeaderOptions("Content-Type", PatchStrategy.MergePatch));
    },
    async readService(namespace, name) {
      const service = await ignoreNotFound(core.readNamespacedService({ namespace, name }));
      return service ? serviceView(service) : undefined;
    },
    async listServices(namespace, labels) {
      return (await core.listNamespacedService({ namespace, labelSelector: labelSelector(labels) })).items.map(serviceView);
    },
    async deleteService(namespace, name) {
      await ignoreNotFound(core.deleteNamespacedService({ namespace, name }));
    },
    async forward(namespace, pod, port, socket) {
      // the client writes the pod's bytes to `output` and sends what `input` reads; errors of the tunnel end the connection
      const errors = new PassThrough();
      errors.on("data", () => socket.destroy());
      const ws = (await forwarder.portForward(namespace, pod, [port], socket, errors, socket)) as unknown as { close(): void; on(event: string, listener: () => void): void };
      ws.on("close", () => socket.destroy());
      socket.on("close", () => ws.close());
    },
  };
}

function serviceView(service: V1Service): ServiceView {
  const target = service.spec?.ports?.[0]?.targetPort;
  return {
    name: service.metadata?.name ?? "",
    selector: service.spec?.selector ?? {},
    targetPort: typeof target === "number" ? target : target !== undefined && /^\d+$/.test(target) ? Number(target) : undefined,
    deleting: service.metadata?.deletionTimestamp !== undefined,
  };
}

export interface LoopbackForward {
  readonly port: number;
  close(): Promise<void>;
}

/**
 * Listens on 127.0.0.1:`port`; every connection is tunnelled to the pod `target()` names (the
 * running pod behind the run's Service). While there is none (the pod still starts) a connection is
 * closed at once, so a readiness probe simply tries again.
 */
export async function listenLoopbackForward(options: {
  api: ServiceApi;
  namespace: string;
  port: number;
  target: () => Promise<{ pod: string; port: number } | undefined>;
  onError?: (message: string) => void;
}): Promise<LoopbackForward> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
    socket.on("error", () => socket.destroy());
    socket.pause();
    void (async () => {
      const target = await options.target().catch(() => undefined);
      if (!target) return void socket.destroy();
      await options.api.forward(options.namespace, target.pod, target.port, socket);
      socket.resume();
    })().catch((error: unknown) => {
      options.onError?.(`port-forward to the run's pod failed: ${String(error)}`);
      socket.destroy();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", (error: NodeJS.ErrnoException) =>
      reject(
        new SluiceError("kubernetes_forward_port", `Cannot listen on 127.0.0.1:${options.port} to forward the service: ${error.code ?? error.message}.`, {
          hint: "Another process holds the port; the proxy picks a free port for the next run.",
        }),
      ),
    );
    server.listen(options.port, "127.0.0.1", () => resolve());
  });
  return {
    port: options.port,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
