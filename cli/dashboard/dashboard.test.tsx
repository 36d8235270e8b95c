// @jsxRuntime automatic
// @jsxImportSource react
import { afterEach, describe, expect, it } from "vitest";
import { SluiceError } from "../../core/index.js";
import { makeJob, makeRun } from "./memory-api.js";
import { requireTerminal } from "./run.js";
import { colorsWanted } from "./theme.js";
import { KEYS as HELP_KEYS } from "./views/help.js";
import { KEYS, mount, sampleApi, until } from "./test-support.js";

const ESC = String.fromCharCode(27);
type Mounted = Awaited<ReturnType<typeof mount>>;
let current: Mounted | undefined;
async function open(options: Parameters<typeof mount>[0] = {}): Promise<Mounted> {
  current = await mount(options);
  return current;
}
afterEach(() => {
  current?.close();
  current = undefined;
});

describe("dashboard header", () => {
  it("shows the daemon, each workspace's version and commit, the failed reconcile with its cause, run counts and the UTC clock within 80×24", async () => {
    const d = await open();
    const screen = d.frame();
    expect(screen).toContain("http://127.0.0.1:7070");
    expect(screen).toContain("usgs v4 @abc1234");
    expect(screen).toContain("✗ reconcile of usgs failed: ModuleNotFoundError: no module named foo");
    expect(screen).toContain("▶ 1 running");
    expect(screen).toContain("2026-04-14 10:02:00 UTC");
    const lines = screen.split("\n");
    expect(lines.length).toBeLessThanOrEqual(24);
    for (const line of lines) expect([...line].length).toBeLessThanOrEqual(80);
  });
});

describe("jobs view", () => {
  it("lists active jobs with last run status symbol, age, duration and freshness; archived jobs only after `a`", async () => {
    const d = await open();
    expect(d.frame()).toMatch(/ingest\s.*✓ completed 1m47s ago \(12s\)/);
    expect(d.frame()).toMatch(/transform\s.*▶ running/);
    expect(d.frame()).toContain("⏸ held: freshness");
    expect(d.frame()).toContain("Quake notebook");
    expect(d.frame()).not.toContain("old_loader");
    await d.press("a");
    await d.waitFor("old_loader (archived)");
    await d.press("a");
    await until(() => !d.frame().includes("old_loader"), () => "archived job hidden again");
  });

  it("uses a wide terminal for triggers in words, tags and the next run in the job's timezone", async () => {
    const d = await open({ columns: 200 });
    expect(d.frame()).toContain("every 5 minutes");
    expect(d.frame()).toContain("after ingest succeeds");
    expect(d.frame()).toContain("nightly");
    expect(d.frame()).toContain("04-14 12:05 Europe/Berlin");
  });

  it("names the workspace beside a job name that several workspaces share (each has a dashboard)", async () => {
    const api = sampleApi();
    api.jobList = [...api.jobList, makeJob("usgs", "dashboard", { type: "interactive" }), makeJob("jaffle", "dashboard", { type: "interactive" })];
    const d = await open({ api });
    await d.waitFor("dashboard · usgs");
    expect(d.frame()).toContain("dashboard · jaffle");
    expect(d.frame()).not.toContain("ingest · usgs");
  });

  it("`/` matches job names, not the workspace, unless the filter names the workspace (usgs/)", async () => {
    const api = sampleApi();
    api.jobList = [...api.jobList, makeJob("ingest_ws", "loader")];
    const d = await open({ api });
    await d.press("/");
    await d.type("ingest");
    await d.press(KEYS.enter);
    await d.waitFor("filter: ingest");
    expect(d.frame()).toContain("ingest");
    expect(d.frame()).not.toContain("loader");
    await d.press(KEYS.escape);
    await d.press("/");
    await d.type("ingest_ws/");
    await d.press(KEYS.enter);
    await d.waitFor("filter: ingest_ws/");
    expect(d.frame()).toContain("loader");
  });

  it("moves the selection with j/k and the arrow keys", async () => {
    const d = await open();
    await d.waitFor(/› \S+ ingest/);
    await d.press("j");
    await d.waitFor(/› \S+ Quake notebook/);
    await d.press(KEYS.down);
    await d.waitFor(/› \S+ report/);
    await d.press("k", KEYS.up);
    await d.waitFor(/› \S+ ingest/);
  });

  it("counts every key of a chunk (fast typing, paste, a busy machine): jj moves two rows, k plus an arrow sequence two back", async () => {
    const d = await open();
    await d.waitFor(/› \S+ ingest/);
    d.ui.stdin.write("jj");
    await d.waitFor(/› \S+ report/);
    d.ui.stdin.write(`k${KEYS.up}`);
    await d.waitFor(/› \S+ ingest/);
    d.ui.stdin.write(`${KEYS.down}${KEYS.down}${KEYS.down}`);
    await d.waitFor(/› \S+ transform/);
  });

  it("`/` filters by name locally and by a selector (tag:x) through the daemon; esc clears the filter", async () => {
    const d = await open();
    await d.press("/");
    await d.type("trans");
    await d.waitFor("/trans█");
    await d.press(KEYS.enter);
    await d.waitFor("(1/4) filter: trans");
    expect(d.frame()).not.toContain("report");
    await d.press(KEYS.escape);
    await d.waitFor("Jobs (4/4)");
    await d.press("/");
    await d.type("tag:nightly");
    await d.press(KEYS.enter);
    await d.waitFor("(1/4) filter: tag:nightly");
    expect(d.frame()).toContain("ingest");
    expect(d.frame()).not.toContain("transform");
  });

  it("`d` describes the selected job: triggers in words, tags, freshness, upstream edges", async () => {
    const d = await open();
    await d.press("j", "j", "d");
    await d.waitFor("Describe: usgs/jobs.report");
    expect(d.frame()).toContain("freshness:  ⏸ held: freshness: transform is not fresh");
    expect(d.frame()).toContain("upstreams:  usgs/jobs.transform (fresh)");
    await d.press(KEYS.escape);
    await d.waitFor("Jobs (4/4)");
  });
});

describe("runs view", () => {
  it("enter shows the job's runs (number, trigger, status, duration, refresh, reason) and run events update it live", async () => {
    const d = await open({ columns: 160 });
    await d.press(KEYS.enter);
    await d.waitFor("Runs: usgs/jobs.ingest");
    expect(d.frame()).toMatch(/✓ 7\s+completed\s+schedule:\*\/5 \* \* \* \*\s+12s\s+⟳ yes/);
    expect(d.frame()).toMatch(/↷ 6\s+skipped.*held: upstream not fresh/);
    expect(d.frame()).toContain("04-14 09:55 → 10:00 UTC");
    d.api.emit({ type: "run.started", workspace: "usgs", data: makeRun("usgs/jobs.ingest", 8, "running", { trigger: "manual:jobs.ingest", finishedAt: null }) });
    await d.waitFor(/▶ 8\s+running\s+manual:jobs.ingest/);
    d.api.emit({ type: "run.finished", workspace: "usgs", data: makeRun("usgs/jobs.ingest", 8, "completed", { trigger: "manual:jobs.ingest" }) });
    await d.waitFor(/✓ 8\s+completed\s+manual:jobs.ingest/);
    await d.press(KEYS.escape);
    await d.waitFor(/ingest\s.*✓ completed/);
  });
});

describe("runs view commands", () => {
  it("`:runs` opens the selected job's runs; enter on a finished run shows its full log, marked complete; esc goes back", async () => {
    const d = await open();
    await d.press(":");
    await d.type("runs");
    await d.press(KEYS.enter);
    await d.waitFor("Runs: usgs/jobs.ingest");
    await d.press(KEYS.enter);
    await d.waitFor("Log: ingest #7");
    await d.waitFor("ingest finished: 42 rows");
    await d.waitFor("■ log complete");
    await d.press(KEYS.escape);
    await d.waitFor("Runs: usgs/jobs.ingest");
  });
});

describe("logs view", () => {
  it("`l` tails the run's log live with follow on; k pauses follow, G resumes; `/` searches and n jumps to the next match", async () => {
    const d = await open({ rows: 12 });
    await d.press("j", "j", "j", "l");
    await d.waitFor("Log: transform #3");
    await d.waitFor("loading chunk 3");
    expect(d.frame()).toContain("follow ✓");
    const runId = "run_usgs_jobs_transform_3";
    for (let i = 4; i <= 20; i++) d.api.writeLog(runId, `loading chunk ${i}`);
    await d.waitFor("loading chunk 20");
    await d.press("k");
    await d.waitFor("follow paused");
    await d.press("k", "k", "k", "k", "k");
    await until(() => !d.frame().includes("loading chunk 20"), () => "scrolled away from the tail");
    d.api.writeLog(runId, "loading chunk 21");
    await d.waitFor("21 lines");
    expect(d.frame()).not.toContain("loading chunk 21");
    await d.press("G");
    await d.waitFor("loading chunk 21");
    expect(d.frame()).toContain("follow ✓");
    await d.press("/");
    await d.type("chunk 2");
    await d.press(KEYS.enter);
    await d.waitFor("» loading chunk 2");
    await d.press("n");
    await d.waitFor(/» loading chunk 20\s/);
  });
});

describe("graph view", () => {
  it("`:graph` draws follow-up and freshness edges with each node's status; enter jumps to the job", async () => {
    const d = await open();
    await d.press(":");
    await d.type("graph");
    await d.press(KEYS.enter);
    await d.waitFor("Graph");
    expect(d.frame()).toMatch(/├─ ✓ ingest/);
    expect(d.frame()).toMatch(/└─ \(on success\) ▶ transform/);
    expect(d.frame()).toMatch(/└─ \(freshness\) · report ⏸ held/);
    await d.press("j", "j", "j", KEYS.enter);
    await d.waitFor(/Jobs \(4\/4\)/);
    await d.waitFor(/› \S+ report/);
  });
});

describe("keys arriving in one chunk", () => {
  it("`:graph⏎` written at once (fast typing, paste, tmux send-keys) switches to the graph; `/trans⏎` filters", async () => {
    const d = await open();
    d.ui.stdin.write(":graph\r");
    await d.waitFor(/├─ ✓ ingest/);
    d.ui.stdin.write(":jobs\r");
    await d.waitFor("Jobs (4/4)");
    d.ui.stdin.write("/trans\r");
    await d.waitFor("(1/4) filter: trans");
  });
});

describe("deployments view", () => {
  it("`:deployments` lists versions with commit, author and diff summary; r rolls back after y", async () => {
    const d = await open();
    await d.press(":");
    await d.type("deployments");
    await d.press(KEYS.enter);
    await d.waitFor("Deployments: usgs");
    expect(d.frame()).toMatch(/v4\s+applied\s+abc1234\s+Ada Lovelace.*\+1 ~2 -0 =0/);
    await d.press("j", "r");
    await d.waitFor("roll usgs back to version 3 (commit 0123456)?");
    await d.press("y");
    await d.waitFor("↶ usgs: now version 5");
    expect(d.api.calls).toEqual([{ action: "rollback", args: ["usgs", 3] }]);
  });
});

describe("actions", () => {
  it("t asks first, r toggles refresh, y triggers; n leaves the job alone", async () => {
    const d = await open();
    await d.press("t");
    await d.waitFor("trigger ingest (usgs/jobs.ingest)?  refresh: off");
    await d.press("n");
    await until(() => !d.frame().includes("refresh: off"), () => "confirm closed");
    expect(d.api.calls).toEqual([]);
    await d.press("t", "r");
    await d.waitFor("refresh: on");
    await d.press("y");
    await d.waitFor("▶ triggered ingest: run #8 pending (refresh)");
    expect(d.api.calls).toEqual([{ action: "trigger", args: ["usgs/jobs.ingest", true] }]);
  });

  it("c cancels the job's open run after y; a finished run has nothing to cancel", async () => {
    const d = await open();
    await d.press("c");
    await d.waitFor("run #7 is completed: nothing to cancel");
    await d.press("j", "j", "j", "c");
    await d.waitFor("cancel run #3 of transform?");
    await d.press("y");
    await d.waitFor("⊘ run #3 of transform: cancelled");
    expect(d.api.calls).toEqual([{ action: "cancel", args: ["run_usgs_jobs_transform_3"] }]);
  });

  it("o opens an interactive job after y and prints its URL; a batch job is refused", async () => {
    const d = await open();
    await d.press("o");
    await d.waitFor("ingest is a batch job; o opens interactive jobs");
    await d.press("j", "o", "y");
    await d.waitFor("↗ Quake notebook: http://127.0.0.1:7071/w/usgs/jobs/jobs.notebook/");
  });
});

describe("help, quit, colour, terminal", () => {
  it("? lists every key the dashboard handles", async () => {
    const d = await open({ rows: 30 });
    await d.press("?");
    await d.waitFor("Keys (esc closes)");
    for (const [key] of HELP_KEYS) expect(d.frame()).toContain(`  ${key} `);
    for (const handled of ["k/j", "enter", "esc", ":jobs :runs :graph :deployments", "/", "n", "l", "d", "t", "c", "o", "r", "a", "G / f", "g", "?", "q, ctrl-c"]) expect(HELP_KEYS.map(([k]) => k)).toContain(handled === "k/j" ? "↑/↓, k/j" : handled);
  });

  it("q quits the dashboard", async () => {
    let quit = 0;
    const d = await open({ onQuit: () => (quit += 1) });
    await d.press("q");
    await until(() => quit === 1, () => "onQuit called once");
  });

  it("with colour off (NO_COLOR) the screen has no colour codes and statuses keep their symbols", async () => {
    expect(colorsWanted({ NO_COLOR: "1" })).toBe(false);
    expect(colorsWanted({})).toBe(true);
    const plain = await open({ color: false });
    expect(plain.ui.lastFrame()).not.toContain(`${ESC}[3`);
    expect(plain.frame()).toContain("✓ completed");
  });

  it("refuses to start without a terminal and points at `sluice info`", () => {
    let caught: unknown;
    try {
      requireTerminal({ stdin: { isTTY: true }, stdout: { isTTY: false } });
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(SluiceError);
    expect((caught as SluiceError).code).toBe("not_a_tty");
    expect((caught as SluiceError).hint).toContain("sluice info");
  });
});

describe("connection", () => {
  it("shows a banner when the daemon goes away and reconnects on its own, reloading the jobs", async () => {
    const d = await open();
    d.api.stopDaemon();
    await d.waitFor("⚠ daemon unreachable");
    d.api.jobList = d.api.jobList.filter((j) => j.name !== "report");
    d.api.down = false;
    await until(() => !d.frame().includes("daemon unreachable"), () => `banner gone; screen:\n${d.frame()}`);
    await d.waitFor("Jobs (3/3)");
    expect(d.api.reconnects).toBeGreaterThan(0);
  });
});
