/** Pure translation of a `ContainerSpec` into the body of docker's "create container" call. */
import type { ContainerCreateOptions } from "dockerode";
import type { BindMount, ContainerSpec } from "./engine.js";
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
      ...(Object.keys(tmpfs).length > 0 ? { Tmpfs: tmpfs } : {}),
    },
  };
  if (spec.name !== undefined) options.name = spec.name;
  if (spec.workingDir !== undefined) options.WorkingDir = spec.workingDir;
  if (spec.user !== undefined) options.User = spec.user;
  return options;
}
