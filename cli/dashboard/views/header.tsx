// @jsxRuntime automatic
// @jsxImportSource react
/** Top lines: daemon, workspaces (version, commit), last reconcile, run counts, UTC clock; the banner when disconnected. */
import { Box, Text } from "ink";
import type { DashboardJobView, InfoView } from "../../daemon/runtime-types.js";
import { fit } from "../format.js";
import type { DashboardState } from "../store.js";
import { Tint } from "../theme.js";

export function runCounts(jobs: Iterable<DashboardJobView>): { running: number; queued: number; failed: number } {
  const counts = { running: 0, queued: 0, failed: 0 };
  for (const job of jobs) {
    const status = job.lastRun?.status;
    if (status === "running" || status === "starting") counts.running += 1;
    else if (status === "pending") counts.queued += 1;
    else if (status === "failed") counts.failed += 1;
  }
  return counts;
}

function reconcileText(info: InfoView | null): { text: string; failed: boolean } {
  const failed = info?.workspaces.find((w) => w.latestDeployment?.status === "failed");
  if (failed?.latestDeployment) {
    const cause = failed.latestDeployment.cause;
    return { text: `✗ reconcile of ${failed.name} failed: ${cause ? `${cause.message.split("\n")[0]} (${cause.code})` : "no cause recorded"}`, failed: true };
  }
  const latest = [...(info?.workspaces ?? [])].filter((w) => w.latestDeployment).sort((a, b) => (b.latestDeployment?.at ?? "").localeCompare(a.latestDeployment?.at ?? ""))[0];
  if (!latest?.latestDeployment) return { text: "· no reconcile yet", failed: false };
  return { text: `✓ last reconcile: ${latest.name} v${latest.latestDeployment.version ?? "-"} ${latest.latestDeployment.status} at ${latest.latestDeployment.at.slice(0, 19)}Z`, failed: false };
}

export function Header(props: { state: DashboardState; nowMs: number; width: number }) {
  const { state, nowMs, width } = props;
  const counts = runCounts(state.jobs.values());
  const clock = `${new Date(nowMs).toISOString().slice(0, 19).replace("T", " ")} UTC`;
  const daemon = `sluice ${state.info?.daemon.version ?? ""} ${state.url}`;
  const countText = `▶ ${counts.running} running  … ${counts.queued} queued  ✗ ${counts.failed} failed`;
  const repos = (state.info?.workspaces ?? []).map((w) => `${w.name} v${w.version ?? "-"} @${w.commit?.slice(0, 7) ?? "-"}`).join("  ") || "no workspaces";
  const reconcile = reconcileText(state.info);
  return (
    <Box flexDirection="column">
      <Text>
        {fit(daemon, Math.max(10, width - clock.length - 1))} <Tint color="gray">{clock}</Tint>
      </Text>
      <Text>{fit(`${countText}  │ ${repos}`, width)}</Text>
      <Tint color={reconcile.failed ? "red" : undefined}>{fit(reconcile.text, width)}</Tint>
      {state.connection !== "live" && (
        <Tint color="yellow" inverse>
          {fit(state.connection === "connecting" ? "⟳ connecting to the daemon…" : `⚠ daemon unreachable: ${state.problem ?? "?"} — reconnecting automatically`, width)}
        </Tint>
      )}
    </Box>
  );
}
