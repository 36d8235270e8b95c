// @jsxRuntime automatic
// @jsxImportSource react
/** `?`: every key. */
import { Box, Text } from "ink";

export const KEYS: Array<[string, string]> = [
  ["↑/↓, k/j", "move; in logs: scroll (pauses follow)"],
  ["enter", "drill in: job → runs → log; graph node → its job"],
  ["esc", "back / clear the filter / cancel"],
  [":jobs :runs :graph :deployments", "switch view (also :logs, :help, :q)"],
  ["/", "filter jobs (name, tag:x, any selector); in logs: search"],
  ["n", "logs: next search match"],
  ["l", "log of the selected run (of the job's latest run)"],
  ["d", "describe the selected job"],
  ["t", "trigger the selected job (confirm; r toggles refresh)"],
  ["c", "cancel the selected (or the job's open) run (confirm)"],
  ["o", "open an interactive job: prints its URL (confirm)"],
  ["r", "deployments: roll back to the selected version (confirm)"],
  ["a", "show / hide archived jobs"],
  ["G / f", "logs: jump to the end and follow again"],
  ["g", "go to the top"],
  ["?", "this help"],
  ["q, ctrl-c", "quit"],
];

export function HelpView(props: { width: number }) {
  const keyWidth = Math.min(32, Math.floor(props.width / 2.5));
  return (
    <Box flexDirection="column">
      <Text bold>Keys (esc closes)</Text>
      {KEYS.map(([key, what]) => (
        <Text key={key} wrap="truncate">
          {`  ${key.padEnd(keyWidth)} ${what}`}
        </Text>
      ))}
    </Box>
  );
}
