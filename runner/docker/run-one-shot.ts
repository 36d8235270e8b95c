/** Create, start, wait for and collect the output of a container that runs one command. */
import { createLineSplitter } from "./demux.js";
import type { ContainerEngine, ContainerSpec, OutputStreamName } from "./engine.js";

export interface OneShotOptions {
  /** Kill the container (SIGKILL) after this many milliseconds; `timedOut` is then true. */
  timeoutMs?: number;
  /** Called with every complete output line, as it arrives. */
  onLine?: (stream: OutputStreamName, line: string) => void;
  /** Keep the stopped container (for example to commit it); the caller removes it. */
  keepContainer?: boolean;
  /** Output kept per stream; the head beyond this is dropped (default 16 MiB). */
  maxOutputBytes?: number;
  now?: () => number;
}

export interface OneShotResult {
  containerId: string;
  exitCode: number;
  stdout: string;
  stderr: string;
  durationMs: number;
  timedOut: boolean;
}

/** Output stream that ends once attach closes; waits at most this long after exit. */
const STREAM_DRAIN_MS = 5_000;

export async function runOneShot(engine: ContainerEngine, spec: ContainerSpec, options: OneShotOptions = {}): Promise<OneShotResult> {
  const now = options.now ?? (() => performance.now());
  const started = now();
  const collectors = { stdout: createCollector(options.maxOutputBytes), stderr: createCollector(options.maxOutputBytes) };
  const splitters = {
    stdout: createLineSplitter((line) => options.onLine?.("stdout", line)),
    stderr: createLineSplitter((line) => options.onLine?.("stderr", line)),
  };
  const containerId = await engine.createContainer({ ...spec, autoRemove: false });
  let keep = false;
  try {
    const { done } = await engine.attach(containerId, (stream, chunk) => {
      collectors[stream].push(chunk);
      splitters[stream].push(chunk);
    });
    await engine.startContainer(containerId);
    const { exitCode, timedOut } = await waitWithTimeout(engine, containerId, options.timeoutMs);
    await Promise.race([done, delay(STREAM_DRAIN_MS)]);
    splitters.stdout.flush();
    splitters.stderr.flush();
    keep = options.keepContainer === true;
    return {
      containerId,
      exitCode,
      stdout: collectors.stdout.text(),
      stderr: collectors.stderr.text(),
      durationMs: Math.round(now() - started),
      timedOut,
    };
  } finally {
    if (!keep) await engine.removeContainer(containerId, { force: true });
  }
}

async function waitWithTimeout(engine: ContainerEngine, containerId: string, timeoutMs: number | undefined): Promise<{ exitCode: number; timedOut: boolean }> {
  const waiting = engine.waitContainer(containerId);
  if (timeoutMs === undefined) return { exitCode: await waiting, timedOut: false };
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<"timeout">((resolve) => {
    timer = setTimeout(() => resolve("timeout"), timeoutMs);
  });
  try {
    const first = await Promise.race([waiting, expired]);
    if (first !== "timeout") return { exitCode: first, timedOut: false };
    await engine.killContainer(containerId, "SIGKILL");
    return { exitCode: await waiting, timedOut: true };
  } finally {
    clearTimeout(timer);
  }
}

function createCollector(maxBytes = 16 * 1024 * 1024): { push(chunk: Buffer): void; text(): string } {
  const chunks: Buffer[] = [];
  let size = 0;
  return {
    push(chunk) {
      chunks.push(chunk);
      size += chunk.length;
      while (size > maxBytes && chunks.length > 1) size -= chunks.shift()?.length ?? 0;
    },
    text() {
      return Buffer.concat(chunks).toString("utf8");
    },
  };
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}
