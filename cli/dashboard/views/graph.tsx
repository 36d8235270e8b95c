// @jsxRuntime automatic
// @jsxImportSource react
/** The job graph in text with each node's last run status; enter jumps to the job. */
import { Box, Text } from "ink";
import type { DashboardJobView } from "../../daemon/runtime-types.js";
import { fit, statusLook } from "../format.js";
import type { GraphLine } from "../graph.js";
import { Tint } from "../theme.js";
import { windowStart } from "./table.js";

export function GraphView(props: { lines: readonly GraphLine[]; jobs: ReadonlyMap<string, DashboardJobView>; selected: number; height: number; width: number }) {
  const { lines, selected, height, width } = props;
  const start = windowStart(selected, lines.length, height);
  return (
    <Box flexDirection="column">
      {lines.length === 0 && <Text>no jobs</Text>}
      {lines.slice(start, start + height).map((line, i) => {
        const index = start + i;
        const mark = index === selected ? "› " : "  ";
        if (!line.key) return <Text key={index} bold inverse={index === selected}>{fit(`${mark}${line.title ?? ""}`, width)}</Text>;
        const job = props.jobs.get(line.key);
        const look = statusLook(job?.lastRun?.status);
        const held = job?.held ? " ⏸ held" : "";
        const edge = line.edge ? `(${line.edge}) ` : "";
        return (
          <Text key={index} inverse={index === selected} wrap="truncate">
            {mark}
            {line.prefix}
            {edge}
            <Tint color={look.color}>{look.symbol}</Tint> {fit(`${job?.displayName ?? job?.name ?? line.key}${held}${line.repeated ? " ↑ (drawn above)" : ""}`, Math.max(1, width - mark.length - line.prefix.length - edge.length - 2))}
          </Text>
        );
      })}
    </Box>
  );
}
