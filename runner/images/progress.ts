/** Progress lines with the elapsed time of a long step, e.g. `[env 12.3s] Resolved 5 packages`. */
export type ProgressSink = (line: string) => void;

export interface Progress {
  line(text: string): void;
  elapsedSeconds(): number;
}

export function createProgress(label: string, sink: ProgressSink | undefined, now: () => number = () => performance.now()): Progress {
  const started = now();
  const elapsedSeconds = () => Math.round((now() - started) / 100) / 10;
  return {
    line(text) {
      sink?.(`[${label} ${elapsedSeconds().toFixed(1)}s] ${text}`);
    },
    elapsedSeconds,
  };
}
