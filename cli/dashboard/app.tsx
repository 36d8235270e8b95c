// @jsxRuntime automatic
// @jsxImportSource react
/** The dashboard: views, k9s-like keys, confirmed actions. State lives in the store; this file only navigates. */
import { Box, Text, useApp, useInput, useStdout, type Key } from "ink";
import { useEffect, useMemo, useRef, useState, useSyncExternalStore } from "react";
import type { DashboardJobView, RunView } from "../daemon/runtime-types.js";
import { actionsFor, moveSelection, onConfirmKey, onKey, onPromptKey, splitKeys, type Confirm, type Filter, type Prompt, type ViewName } from "./app-keys.js";
import { fit } from "./format.js";
import { graphLines } from "./graph.js";
import type { DashboardStore } from "./store.js";
import { ColorContext, Tint } from "./theme.js";
import { DeploymentsView } from "./views/deployments.js";
import { DescribeView } from "./views/describe.js";
import { GraphView } from "./views/graph.js";
import { Header } from "./views/header.js";
import { HelpView } from "./views/help.js";
import { JobsView } from "./views/jobs.js";
import { LogsView, nextMatch, type LogCursor } from "./views/logs.js";
import { RunsView } from "./views/runs.js";

const COMMANDS: Record<string, ViewName> = { jobs: "jobs", job: "jobs", runs: "runs", logs: "logs", graph: "graph", deployments: "deployments", deploy: "deployments", help: "help" };
const TITLES: Record<ViewName, string> = { jobs: "Jobs", runs: "Runs", logs: "Log", graph: "Graph", deployments: "Deployments", help: "Help", describe: "Describe" };

export interface AppProps {
  store: DashboardStore;
  color?: boolean;
  /** Fixed size (tests, bench); otherwise the terminal's, following resizes. */
  size?: { columns: number; rows: number };
  now?: () => number;
  /** Called when the user quits (q, :q), before Ink unmounts. */
  onQuit?: () => void;
}

function useTerminalSize(fixed: AppProps["size"]): { columns: number; rows: number } {
  const { stdout } = useStdout();
  const read = () => fixed ?? { columns: stdout.columns || 80, rows: stdout.rows || 24 };
  const [size, setSize] = useState(read);
  useEffect(() => {
    if (fixed) return;
    const onResize = () => setSize({ columns: stdout.columns || 80, rows: stdout.rows || 24 });
    stdout.on("resize", onResize);
    return () => void stdout.off("resize", onResize);
  }, [fixed, stdout]);
  return size;
}

function useClock(now: () => number): number {
  const [ms, setMs] = useState(now);
  useEffect(() => {
    const timer = setInterval(() => setMs(now()), 1000);
    return () => clearInterval(timer);
  }, [now]);
  return ms;
}

const looksLikeSelector = (text: string) => /[:*?[]/.test(text) || text === "batch" || text === "interactive";

/**
 * What `/` matches: the job's ref and display name; its workspace only when the filter names one
 * (`usgs/`), so `ingest` does not list every job of a workspace called github_ingest_workspace.
 */
function nameText(job: DashboardJobView, needle: string): string {
  return `${needle.includes("/") ? job.key : job.jobRef} ${job.displayName ?? ""}`.toLowerCase();
}

export function visibleJobs(jobs: Iterable<DashboardJobView>, filter: Filter, showArchived: boolean): DashboardJobView[] {
  const needle = filter.text.toLowerCase();
  return [...jobs]
    .filter((j) => showArchived || !j.archived)
    .filter((j) => (filter.keys ? filter.keys.has(j.key) : !needle || nameText(j, needle).includes(needle)))
    .sort((a, b) => a.key.localeCompare(b.key));
}

export function App(props: AppProps) {
  const state = useSyncExternalStore(props.store.subscribe, props.store.getState);
  const size = useTerminalSize(props.size);
  const nowMs = useClock(props.now ?? Date.now);
  const nav = useNavigation(props.store, state, size, props.onQuit);
  const bannerRows = state.connection === "live" ? 0 : 1;
  const bodyHeight = Math.max(3, size.rows - 3 - bannerRows - 2);
  const body = renderBody(nav, state, { height: bodyHeight, width: size.columns, nowMs });
  return (
    <ColorContext.Provider value={props.color ?? true}>
      <Box flexDirection="column" width={size.columns}>
        <Header state={state} nowMs={nowMs} width={size.columns} />
        <Tint color="cyan" bold>
          {fit(` ${TITLES[nav.view]}${nav.title} `, size.columns)}
        </Tint>
        <Box height={bodyHeight} flexDirection="column" overflow="hidden">
          {body}
        </Box>
        <Footer nav={nav} notice={state.notice} width={size.columns} />
      </Box>
    </ColorContext.Provider>
  );
}

function Footer(props: { nav: Navigation; notice: string | null; width: number }) {
  const { prompt, confirm } = props.nav;
  if (confirm) return <Tint color="yellow" inverse>{fit(`[y/N] ${confirm.message}${confirm.refresh === undefined ? "" : `  refresh: ${confirm.refresh ? "on" : "off"} (r toggles)`}`, props.width)}</Tint>;
  if (prompt) return <Text>{fit(`${prompt.kind === "command" ? ":" : "/"}${prompt.text}█`, props.width)}</Text>;
  if (props.notice) return <Text>{fit(props.notice, props.width)}</Text>;
  return <Tint color="gray">{fit("? help  : views  / filter  enter open  l logs  d describe  t trigger  c cancel  o open  q quit", props.width)}</Tint>;
}

function renderBody(nav: Navigation, state: ReturnType<DashboardStore["getState"]>, box: { height: number; width: number; nowMs: number }) {
  switch (nav.view) {
    case "jobs":
      return <JobsView jobs={nav.jobs} selected={nav.jobIndex} {...box} />;
    case "runs":
      return <RunsView runs={nav.jobKey ? state.runs.get(nav.jobKey) : undefined} selected={nav.runIndex} {...box} />;
    case "logs":
      return <LogsView logs={state.logs} title={nav.logTitle} cursor={nav.cursor} height={box.height} width={box.width} />;
    case "graph":
      return <GraphView lines={nav.graph} jobs={state.jobs} selected={nav.graphIndex} height={box.height} width={box.width} />;
    case "deployments":
      return <DeploymentsView workspace={nav.workspace} deployments={nav.workspace ? state.deployments.get(nav.workspace) : undefined} selected={nav.deploymentIndex} height={box.height} width={box.width} />;
    case "help":
      return <HelpView width={box.width} />;
    case "describe":
      return <DescribeView job={nav.job} nowMs={box.nowMs} />;
  }
}

type Navigation = ReturnType<typeof useNavigation>;
type State = ReturnType<DashboardStore["getState"]>;

function useNavigation(store: DashboardStore, state: State, size: { columns: number; rows: number }, onQuit: (() => void) | undefined) {
  const ink = useApp();
  const app = { exit: () => (onQuit?.(), ink.exit()) };
  const [stack, setStack] = useState<ViewName[]>(["jobs"]);
  const view = stack[stack.length - 1] ?? "jobs";
  const [jobKey, setJobKey] = useState<string | null>(null);
  const [runIndex, setRunIndex] = useState(0);
  const [graphIndex, setGraphIndex] = useState(0);
  const [deploymentIndex, setDeploymentIndex] = useState(0);
  const [filter, setFilter] = useState<Filter>({ text: "", keys: null });
  const [showArchived, setShowArchived] = useState(false);
  // prompt and confirm are read by the key handler through refs: keys typed faster than React renders still land in them
  const [prompt, setPromptState] = useState<Prompt | null>(null);
  const [confirm, setConfirmState] = useState<Confirm | null>(null);
  const promptRef = useRef<Prompt | null>(null);
  const confirmRef = useRef<Confirm | null>(null);
  const setPrompt = (p: Prompt | null) => {
    promptRef.current = p;
    setPromptState(p);
  };
  const setConfirm = (c: Confirm | null) => {
    confirmRef.current = c;
    setConfirmState(c);
  };
  const [cursor, setCursor] = useState<LogCursor>({ follow: true, top: 0, search: "" });
  const [logTitle, setLogTitle] = useState("");

  const jobs = useMemo(() => visibleJobs(state.jobs.values(), filter, showArchived), [state.jobs, filter, showArchived]);
  const graph = useMemo(() => graphLines([...state.jobs.values()].filter((j) => showArchived || !j.archived)), [state.jobs, showArchived]);
  const found = jobs.findIndex((j) => j.key === jobKey);
  const job = found >= 0 ? jobs[found] : view === "jobs" || !jobKey ? jobs[0] : state.jobs.get(jobKey);
  const jobIndex = Math.max(0, found);
  const runs = job ? (state.runs.get(job.key) ?? []) : [];
  const run: RunView | undefined = runs[Math.min(runIndex, Math.max(0, runs.length - 1))];
  const workspace = job?.workspace ?? null;
  const deployments = workspace ? (state.deployments.get(workspace) ?? []) : [];
  const logVisible = Math.max(1, size.rows - 3 - 2 - 1 - (state.connection === "live" ? 0 : 1));

  const base = { view, jobs, jobIndex, job, jobKey: job?.key ?? null, runIndex, graph, graphIndex, workspace, deploymentIndex, prompt, confirm, cursor, logTitle };
  const nav = { ...base, title: titleOf(base, filter, showArchived, jobs.length, showArchived ? state.jobs.size : countActive(state.jobs.values())) };
  const notify = (text: string) => store.notify(text);

  const openLog = (target: RunView | undefined) => {
    if (!target) return notify("· this job has not run yet (t triggers it)");
    store.openLogs(target.runId);
    setLogTitle(`${target.job} #${target.number}`);
    setCursor({ follow: true, top: 0, search: "" });
  };
  const go = (next: ViewName, fromRoot = false) => {
    if (next === "jobs") return setStack(["jobs"]);
    if (next === view && !fromRoot) return;
    if (job) setJobKey(job.key);
    if (next === "runs" && job) {
      setRunIndex(0);
      void store.loadRuns(job.key).catch(() => undefined);
    }
    if (next === "deployments" && workspace) void store.loadDeployments(workspace).catch(() => undefined);
    // `:logs` opens the job's latest run when no log is open (`l` and enter open theirs first)
    if (next === "logs" && fromRoot && !state.logs) openLog(job?.lastRun ?? undefined);
    setStack((s) => (fromRoot ? ["jobs", next] : [...s, next]));
  };
  const submitPrompt = usePromptSubmit({ store, state, setPrompt, setCursor, setFilter, go, quit: () => app.exit() });
  const perform = (c: Confirm) => {
    setConfirm(null);
    c.run(c.refresh ?? false)
      .then(notify)
      .catch((error: unknown) => notify(`✗ ${error instanceof Error ? error.message : String(error)}`));
  };
  const actions = actionsFor(store, { job, run, view, deployment: deployments[deploymentIndex], act: setConfirm, notify });
  const move = (delta: number) =>
    moveSelection({ view, delta, jobs, jobIndex, runs, runIndex, graph, graphIndex, deployments, deploymentIndex, setJobKey, setRunIndex, setGraphIndex, setDeploymentIndex, setCursor, cursorTotal: state.logs?.lines.length ?? 0, logVisible });
  const selectJob = (key: string) => {
    setFilter({ text: "", keys: null });
    if (state.jobs.get(key)?.archived) setShowArchived(true);
    setJobKey(key);
  };
  const clearFilter = () => (filter.text ? (setFilter({ text: "", keys: null }), true) : false);
  const back = () => setStack((s) => (s.length > 1 ? s.slice(0, -1) : s));
  const handle = (input: string, key: Key) => {
    if (confirmRef.current) return onConfirmKey(input, key, confirmRef.current, setConfirm, perform);
    if (promptRef.current) return onPromptKey(input, key, promptRef.current, setPrompt, submitPrompt);
    onKey(input, key, { view, state, job, run, graph, graphIndex, move, go, back, openLog, selectJob, toggleArchived: () => setShowArchived((v) => !v), clearFilter, setPrompt, setCursor, actions, quit: () => app.exit() });
  };
  // a terminal delivers keys typed quickly (or pasted, or sent by tmux) as one chunk: one key each
  useInput((input, key) => {
    for (const [char, charKey] of splitKeys(input, key)) handle(char, charKey);
  });
  return nav;
}

function usePromptSubmit(deps: {
  store: DashboardStore;
  state: State;
  setPrompt: (p: Prompt | null) => void;
  setCursor: (c: (c: LogCursor) => LogCursor) => void;
  setFilter: (f: Filter) => void;
  go: (v: ViewName, fromRoot: boolean) => void;
  quit: () => void;
}) {
  const { store, state, setPrompt, setCursor, setFilter } = deps;
  const notify = (text: string) => store.notify(text);
  return (p: Prompt) => {
    setPrompt(null);
    if (p.kind === "command") {
      const command = p.text.trim();
      if (command === "q" || command === "quit") return deps.quit();
      const target = COMMANDS[command];
      if (!target) return notify(`✗ unknown command :${command} (:jobs :runs :graph :deployments :logs :help :q)`);
      return deps.go(target, true);
    }
    if (p.kind === "search") {
      const at = nextMatch(state.logs?.lines ?? [], p.text, 0);
      return setCursor((c) => (at < 0 ? { ...c, search: p.text } : { follow: false, top: at, search: p.text }));
    }
    const text = p.text.trim();
    setFilter({ text, keys: null });
    if (!text || !looksLikeSelector(text)) return;
    store.api
      .select(text)
      .then((keys) => setFilter({ text, keys: new Set(keys) }))
      .catch((error: unknown) => notify(`✗ filter ${text}: ${error instanceof Error ? error.message : String(error)}`));
  };
}

function countActive(jobs: Iterable<DashboardJobView>): number {
  let count = 0;
  for (const job of jobs) if (!job.archived) count += 1;
  return count;
}

function titleOf(nav: { view: ViewName; job: DashboardJobView | undefined; workspace: string | null; logTitle: string }, filter: Filter, showArchived: boolean, shown: number, total: number): string {
  switch (nav.view) {
    case "jobs":
      return ` (${shown}/${total})${filter.text ? ` filter: ${filter.text}` : ""}${showArchived ? " [archived shown]" : ""}`;
    case "runs":
    case "describe":
      return nav.job ? `: ${nav.job.key}` : "";
    case "deployments":
      return nav.workspace ? `: ${nav.workspace}` : "";
    case "logs":
      return nav.logTitle ? `: ${nav.logTitle}` : "";
    default:
      return "";
  }
}
