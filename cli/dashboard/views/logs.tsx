// @jsxRuntime automatic
// @jsxImportSource react
/** A run's log: follows the tail by default; scrolling up pauses follow; `/` searches. */
import { Box, Text } from "ink";
import type { LogLineView } from "../../daemon/runtime-types.js";
import { fit } from "../format.js";
import type { LogState } from "../store.js";
import { Tint } from "../theme.js";

export interface LogCursor {
  follow: boolean;
  /** Index of the first line shown when not following. */
  top: number;
  search: string;
}

/** The first line index shown: the tail when following. */
export function logTop(cursor: LogCursor, total: number, visible: number): number {
  const max = Math.max(0, total - visible);
  return cursor.follow ? max : Math.min(Math.max(0, cursor.top), max);
}

/** Index of the next line at or after `from` that contains `search` (wraps), or -1. */
export function nextMatch(lines: readonly LogLineView[], search: string, from: number): number {
  if (!search) return -1;
  const needle = search.toLowerCase();
  for (let i = 0; i < lines.length; i++) {
    const index = (from + i) % lines.length;
    if (lines[index]?.text.toLowerCase().includes(needle)) return index;
  }
  return -1;
}

export function LogsView(props: { logs: LogState | null; title: string; cursor: LogCursor; height: number; width: number }) {
  const { logs, cursor, height, width } = props;
  const lines = logs?.lines ?? [];
  const visible = Math.max(1, height - 1);
  const top = logTop(cursor, lines.length, visible);
  const state = !logs ? "no run selected" : logs.ended ? "■ log complete" : "● live";
  const mode = cursor.follow ? "follow ✓ (k/↑ scrolls and pauses)" : "follow paused (G or f resumes)";
  const needle = cursor.search.toLowerCase();
  return (
    <Box flexDirection="column">
      <Text bold>{fit(`${props.title}  ${state}  ${lines.length} lines  ${mode}${cursor.search ? `  search: ${cursor.search} (n next)` : ""}`, width)}</Text>
      {lines.slice(top, top + visible).map((line) => {
        const text = `${line.stream === "system" ? "[sluice] " : line.stream === "stderr" ? "! " : ""}${line.text}`;
        const hit = needle !== "" && line.text.toLowerCase().includes(needle);
        return (
          <Tint key={line.seq} color={hit ? "yellow" : line.stream === "stderr" ? "red" : undefined} inverse={hit}>
            {fit(`${hit ? "» " : ""}${text}`, width)}
          </Tint>
        );
      })}
      {logs && lines.length === 0 && <Text>{logs.ended ? "(the log is empty)" : "waiting for the first line…"}</Text>}
    </Box>
  );
}
