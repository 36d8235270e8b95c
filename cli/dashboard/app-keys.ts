/** Key handling of the dashboard (app.tsx): confirm dialog, prompt line, and the k9s-like keys. */
import type { Key } from "ink";
import type { Dispatch, SetStateAction } from "react";
import type { DeploymentRecord } from "../../reconciler/history/index.js";
import type { DashboardJobView, RunView } from "../daemon/runtime-types.js";
import { isOpen } from "./format.js";
import type { GraphLine } from "./graph.js";
import type { DashboardState, DashboardStore } from "./store.js";
import { logTop, nextMatch, type LogCursor } from "./views/logs.js";

export type ViewName = "jobs" | "runs" | "logs" | "graph" | "deployments" | "help" | "describe";

export interface Prompt {
  kind: "filter" | "command" | "search";
  text: string;
}
export interface Confirm {
  message: string;
  /** Present for trigger: `r` toggles it. */
  refresh?: boolean;
  run: (refresh: boolean) => Promise<string>;
}
export interface Filter {
  text: string;
  /** Keys the daemon matched for a selector (`tag:x`, `schedule:*`, …); null = match names locally. */
  keys: Set<string> | null;
}

/** One token per key: CSI/SS3 escape sequences (arrows, page up/down), a lone escape, or one character. */
// escape sequences are what this matches, so the pattern names the ESC control character
// eslint-disable-next-line no-control-regex
const KEY_TOKEN = /\u001B\[[0-9;]*[A-Za-z~]|\u001BO[A-Za-z]|\u001B|[\s\S]/gu;
const ESCAPE_KEYS: Readonly<Record<string, keyof Key>> = {
  "\u001B[A": "upArrow",
  "\u001B[B": "downArrow",
  "\u001B[C": "rightArrow",
  "\u001B[D": "leftArrow",
  "\u001BOA": "upArrow",
  "\u001BOB": "downArrow",
  "\u001BOC": "rightArrow",
  "\u001BOD": "leftArrow",
  "\u001B[5~": "pageUp",
  "\u001B[6~": "pageDown",
  "\u001B": "escape",
};

/**
 * A terminal delivers keys typed quickly (or pasted, or sent by tmux, or read late on a busy
 * machine) as one chunk, escape sequences included: one [input, key] per key. A single key is
 * left as Ink parsed it.
 */
export function splitKeys(input: string, key: Key): Array<[string, Key]> {
  const tokens = input.match(KEY_TOKEN) ?? [];
  if (tokens.length <= 1 || key.ctrl || key.meta) return [[input, key]];
  const none = Object.fromEntries(Object.keys(key).map((name) => [name, false])) as unknown as Key;
  return tokens.flatMap((token): Array<[string, Key]> => {
    const named = ESCAPE_KEYS[token];
    if (named) return [["", { ...none, [named]: true }]];
    if (token.startsWith("\u001B")) return [];
    if (token === "\r" || token === "\n") return [["", { ...none, return: true }]];
    if (token === "\u007F" || token === "\b") return [["", { ...none, backspace: true }]];
    return [[token, { ...none, shift: token !== token.toLowerCase() }]];
  });
}

export function onConfirmKey(input: string, key: Key, confirm: Confirm, setConfirm: (c: Confirm | null) => void, perform: (c: Confirm) => void): void {
  if (input === "y" || input === "Y") perform(confirm);
  else if (input === "r" && confirm.refresh !== undefined) setConfirm({ ...confirm, refresh: !confirm.refresh });
  else if (input === "n" || input === "N" || key.escape || key.return) setConfirm(null);
}

export function onPromptKey(input: string, key: Key, prompt: Prompt, setPrompt: (p: Prompt | null) => void, submit: (p: Prompt) => void): void {
  if (key.escape) setPrompt(null);
  else if (key.return) submit(prompt);
  else if (key.backspace || key.delete) setPrompt({ ...prompt, text: prompt.text.slice(0, -1) });
  else if (input && !key.ctrl && !key.meta && !key.upArrow && !key.downArrow) setPrompt({ ...prompt, text: prompt.text + input });
}

export interface MoveInput {
  view: ViewName;
  delta: number;
  jobs: readonly DashboardJobView[];
  jobIndex: number;
  runs: readonly RunView[];
  runIndex: number;
  graph: readonly GraphLine[];
  graphIndex: number;
  deployments: readonly DeploymentRecord[];
  deploymentIndex: number;
  setJobKey: Dispatch<SetStateAction<string | null>>;
  setRunIndex: Dispatch<SetStateAction<number>>;
  setGraphIndex: Dispatch<SetStateAction<number>>;
  setDeploymentIndex: Dispatch<SetStateAction<number>>;
  setCursor: Dispatch<SetStateAction<LogCursor>>;
  cursorTotal: number;
  logVisible: number;
}

const clamp = (value: number, length: number) => Math.max(0, Math.min(length - 1, value));

/**
 * Moves the selection by `delta` (±1, ±Infinity for top/bottom) in the current view. Updates
 * are relative to the latest state, so several keys handled before a render all count.
 */
export function moveSelection(m: MoveInput): void {
  const target = (index: number, length: number) => clamp(Number.isFinite(m.delta) ? index + m.delta : m.delta < 0 ? 0 : length - 1, length);
  switch (m.view) {
    case "jobs":
      if (m.jobs.length > 0) {
        m.setJobKey((current) => {
          const at = m.jobs.findIndex((job) => job.key === current);
          return m.jobs[target(at < 0 ? m.jobIndex : at, m.jobs.length)]?.key ?? null;
        });
      }
      return;
    case "runs":
      if (m.runs.length > 0) m.setRunIndex((i) => target(i, m.runs.length));
      return;
    case "graph":
      if (m.graph.length > 0) m.setGraphIndex((i) => target(i, m.graph.length));
      return;
    case "deployments":
      if (m.deployments.length > 0) m.setDeploymentIndex((i) => target(i, m.deployments.length));
      return;
    case "logs":
      m.setCursor((c) => scrollLog(c, m.delta, m.cursorTotal, m.logVisible));
      return;
    default:
      return;
  }
}

/** Scrolling up pauses follow; reaching the end (or G) resumes it. */
export function scrollLog(cursor: LogCursor, delta: number, total: number, visible: number): LogCursor {
  const max = Math.max(0, total - visible);
  if (delta === Infinity) return { ...cursor, follow: true, top: max };
  if (delta === -Infinity) return { ...cursor, follow: false, top: 0 };
  const top = Math.min(max, Math.max(0, logTop(cursor, total, visible) + delta));
  return { ...cursor, follow: delta > 0 && top >= max ? cursor.follow : false, top };
}

export interface ActionContext {
  job: DashboardJobView | undefined;
  run: RunView | undefined;
  view: ViewName;
  deployment: DeploymentRecord | undefined;
  act: (c: Confirm) => void;
  notify: (text: string) => void;
}

/** t, c, o, r: each asks first (y confirms). */
export function actionsFor(store: DashboardStore, ctx: ActionContext) {
  const { job, act, notify } = ctx;
  const name = job ? (job.displayName ?? job.name) : "";
  return {
    trigger() {
      if (!job) return notify("· select a job first");
      act({ message: `trigger ${name} (${job.key})?`, refresh: false, run: async (refresh) => triggerText(await store.api.trigger(job.key, refresh), name, refresh) });
    },
    cancel() {
      const target = ctx.view === "runs" ? ctx.run : job?.lastRun;
      if (!target || !isOpen(target.status)) return notify(`· ${target ? `run #${target.number} is ${target.status}` : "no run"}: nothing to cancel`);
      act({ message: `cancel run #${target.number} of ${target.job}?`, run: async () => `⊘ run #${target.number} of ${target.job}: ${(await store.api.cancel(target.runId)).status}` });
    },
    open() {
      if (!job) return notify("· select a job first");
      if (job.type !== "interactive") return notify(`· ${name} is a ${job.type} job; o opens interactive jobs`);
      act({ message: `open ${name} (starts it if it is not running)?`, run: async () => `↗ ${name}: ${(await store.api.serve(job.key)).url}` });
    },
    rollback() {
      const d = ctx.deployment;
      if (ctx.view !== "deployments" || !d || d.version === null) return notify("· select a deployment version in :deployments first");
      act({ message: `roll ${d.workspace} back to version ${d.version} (commit ${d.commit.sha.slice(0, 7)})?`, run: async () => `↶ ${d.workspace}: now version ${(await store.api.rollback(d.workspace, d.version as number)).version}` });
    },
  };
}

function triggerText(result: Awaited<ReturnType<DashboardStore["api"]["trigger"]>>, name: string, refresh: boolean): string {
  const run = result.runs[0];
  const warn = result.warnings.map((w) => w.message).join("; ");
  if (!run) return `· ${name}: no run started${warn ? `: ${warn}` : ""}`;
  return `▶ triggered ${name}: run #${run.number} ${run.status}${refresh ? " (refresh)" : ""}${warn ? ` — ${warn}` : ""}`;
}

export interface KeyHandlers {
  view: ViewName;
  state: DashboardState;
  job: DashboardJobView | undefined;
  run: RunView | undefined;
  graph: readonly GraphLine[];
  graphIndex: number;
  move: (delta: number) => void;
  go: (view: ViewName) => void;
  back: () => void;
  openLog: (run: RunView | undefined) => void;
  selectJob: (key: string) => void;
  toggleArchived: () => void;
  clearFilter: () => boolean;
  setPrompt: (p: Prompt | null) => void;
  setCursor: Dispatch<SetStateAction<LogCursor>>;
  actions: ReturnType<typeof actionsFor>;
  quit: () => void;
}

export function onKey(input: string, key: Key, h: KeyHandlers): void {
  if (input === "q" || (key.ctrl && input === "c")) return h.quit();
  if (key.upArrow || input === "k") return h.move(-1);
  if (key.downArrow || input === "j") return h.move(1);
  if (key.pageUp) return h.move(-10);
  if (key.pageDown) return h.move(10);
  if (input === "g") return h.move(-Infinity);
  if (input === "G" || (input === "f" && h.view === "logs")) return h.move(Infinity);
  if (key.escape) return void (h.view === "jobs" ? h.clearFilter() : h.back());
  if (key.return) return onEnter(h);
  if (input === "?") return h.go("help");
  if (input === ":") return h.setPrompt({ kind: "command", text: "" });
  if (input === "/") return h.setPrompt({ kind: h.view === "logs" ? "search" : "filter", text: "" });
  if (input === "n" && h.view === "logs") return h.setCursor((c) => nextSearch(c, h.state));
  const simple: Record<string, () => void> = {
    l: () => {
      h.openLog(h.view === "runs" ? h.run : (h.job?.lastRun ?? undefined));
      h.go("logs");
    },
    d: () => h.go("describe"),
    t: () => h.actions.trigger(),
    c: () => h.actions.cancel(),
    o: () => h.actions.open(),
    r: () => h.actions.rollback(),
    a: () => h.toggleArchived(),
  };
  simple[input]?.();
}

function onEnter(h: KeyHandlers): void {
  if (h.view === "jobs") return h.go("runs");
  if (h.view === "runs" && h.run) {
    h.openLog(h.run);
    return h.go("logs");
  }
  if (h.view === "graph") {
    const key = h.graph[h.graphIndex]?.key;
    if (key) {
      h.selectJob(key);
      h.go("jobs");
    }
  }
}

function nextSearch(cursor: LogCursor, state: DashboardState): LogCursor {
  const lines = state.logs?.lines ?? [];
  const at = nextMatch(lines, cursor.search, (cursor.follow ? 0 : cursor.top) + 1);
  return at < 0 ? cursor : { ...cursor, follow: false, top: at };
}
