/** Pure translation of a `ContainerSpec` into the body of docker's "create container" call. */
import type { ContainerCreateOptions } from "dockerode";
import type { BindMount, ContainerSpec, PublishedPort } from "./engine.js";
import { managedLabels } from "./labels.js";

export function envList(env: Record<string, string> = {}): string[] {
  return Object.keys(env)
    .sort()
    .map((key) => `${key}=${env[key]}`);
}

export function bindList(binds: BindMount[] = []): string[] {
  for (const bind of binds) {
    if (!bind.source.startsWith("/") || !bind.target.startsWith("/")) {
      throw new Error(`bind mount paths must be absolute: ${bind.source} -> ${bind.target}`);
    }
    if (bind.source.includes(":") || bind.target.includes(":")) {
      throw new Error(`bind mount paths must not contain ':' (docker's separator): ${bind.source} -> ${bind.target}`);
    }
  }
  return binds.map((bind) => `${bind.source}:${bind.target}:${bind.readOnly ? "ro" : "rw"}`);
}

export function toCreateOptions(spec: ContainerSpec): ContainerCreateOptions {
  const tmpfs = Object.fromEntries((spec.tmpfs ?? []).map((mount) => [mount.target, mount.options]));
  const options: ContainerCreateOptions = {
    Image: spec.image,
    Cmd: spec.cmd,
    Env: envList(spec.env),
    Labels: managedLabels(spec.purpose, spec.labels),
    AttachStdout: true,
    AttachStderr: true,
    Tty: false,
    OpenStdin: false,
    HostConfig: {
      Binds: bindList(spec.binds),
      NetworkMode: spec.network ?? "none",
      Init: spec.init ?? true,
      AutoRemove: spec.autoRemove ?? false,
      // no process in a Sluice container may gain privileges (setuid binaries, file capabilities)
      SecurityOpt: ["no-new-privileges"],
      ...(Object.keys(tmpfs).length > 0 ? { Tmpfs: tmpfs } : {}),
      ...portBindings(spec.publish),
      ...(spec.resources?.nanoCpus !== undefined ? { NanoCpus: spec.resources.nanoCpus } : {}),
      ...(spec.resources?.memoryBytes !== undefined ? { Memory: spec.resources.memoryBytes } : {}),
    },
  };
  if (spec.publish && spec.publish.length > 0) {
    options.ExposedPorts = Object.fromEntries(spec.publish.map((port) => [`${port.containerPort}/tcp`, {}]));
  }
  if (spec.name !== undefined) options.name = spec.name;
  if (spec.workingDir !== undefined) options.WorkingDir = spec.workingDir;
  if (spec.user !== undefined) options.User = spec.user;
  if (spec.hostname !== undefined) options.Hostname = spec.hostname;
  return options;
}

/** `PortBindings` for published ports; only loopback host addresses are accepted. */
export function portBindings(publish: PublishedPort[] = []): { PortBindings?: Record<string, Array<{ HostIp: string; HostPort: string }>> } {
  if (publish.length === 0) return {};
  for (const port of publish) {
    if (port.hostIp !== "127.0.0.1") throw new Error(`ports are only published on 127.0.0.1, not ${String(port.hostIp)}`);
  }
  return { PortBindings: Object.fromEntries(publish.map((port) => [`${port.containerPort}/tcp`, [{ HostIp: port.hostIp, HostPort: String(port.hostPort) }]])) };
}
