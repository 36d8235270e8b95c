// @jsxRuntime automatic
// @jsxImportSource react
/** `d`: everything about one job on one screen. */
import { Box, Text } from "ink";
import type { DashboardJobView } from "../../daemon/runtime-types.js";
import { lastRunText, nextFireText } from "../format.js";

export function describeLines(job: DashboardJobView, nowMs: number): string[] {
  return [
    `job:        ${job.displayName ? `${job.displayName} (${job.key})` : job.key}${job.archived ? "  [archived]" : ""}`,
    `type:       ${job.type}`,
    `last run:   ${lastRunText(job.lastRun, nowMs)}${job.lastRun ? ` #${job.lastRun.number} ${job.lastRun.runId}` : ""}`,
    ...(job.lastRun?.where ? [`ran in:     ${job.lastRun.where}`] : []),
    `next run:   ${nextFireText(job.nextFire, job.timezone)}`,
    `freshness:  ${job.held ? `⏸ held: ${job.held}` : "✓ fresh"}`,
    `tags:       ${job.tags.join(", ") || "-"}`,
    `triggers:   ${job.humanTriggers.join("; ") || "-"}`,
    `upstreams:  ${job.upstreams.map((u) => `${u.key} (${u.kind})`).join(", ") || "-"}`,
    `selectors:  ${job.triggers.join(" ")}`,
  ];
}

export function DescribeView(props: { job: DashboardJobView | undefined; nowMs: number }) {
  if (!props.job) return <Text>no job selected (esc goes back)</Text>;
  return (
    <Box flexDirection="column">
      {describeLines(props.job, props.nowMs).map((line) => (
        <Text key={line} wrap="wrap">
          {line}
        </Text>
      ))}
    </Box>
  );
}
