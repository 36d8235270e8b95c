import { describe, expect, it } from "vitest";
import { compileJob, type JobDefinition } from "./compiled-job.js";
import { resolveJobName, selectCompiledJobs } from "./job-selection.js";

function job(workspace: string | undefined, ref: string, triggers: string[] = ["tag:ingest"]): JobDefinition {
  return {
    job_ref: ref,
    ...(workspace ? { sluice_workspace: workspace } : {}),
    entry_point: { module: "m", function: ref.split(".").pop(), job_type: "batch" },
    triggers,
    expose: { manual: true },
  };
}

const jobs = [
  compileJob(job("usgs", "jobs.workspace.dashboard", ["http:"])),
  compileJob(job("usgs", "jobs.usgs_pipeline.backfill")),
  compileJob(job("jaffle", "jobs.workspace.dashboard", ["http:"])),
  compileJob(job("jaffle", "jobs.jaffle.ingest")),
  compileJob(job("jaffle", "jobs.jaffle.transform", ["job.success:jobs.jaffle.ingest"])),
];

describe("job names across workspaces", () => {
  it("resolves a name that only one workspace holds to that workspace's job key", () => {
    expect(resolveJobName("backfill", jobs).jobRef).toBe("usgs/jobs.usgs_pipeline.backfill");
  });

  it("reports a name two workspaces hold as ambiguous, listing both keys", () => {
    expect(() => resolveJobName("dashboard", jobs)).toThrow(/exists in 2 workspaces: usgs\/jobs\.workspace\.dashboard, jaffle\/jobs\.workspace\.dashboard/);
  });

  it("picks the <workspace>/<job> form, the -w workspace, or the default workspace on a tie", () => {
    expect(resolveJobName("jaffle/dashboard", jobs).jobRef).toBe("jaffle/jobs.workspace.dashboard");
    expect(resolveJobName("dashboard", jobs, { workspace: "usgs" }).jobRef).toBe("usgs/jobs.workspace.dashboard");
    expect(resolveJobName("dashboard", jobs, { defaultWorkspace: "jaffle" }).jobRef).toBe("jaffle/jobs.workspace.dashboard");
    // the default only breaks ties: a name only another workspace holds still resolves
    expect(resolveJobName("backfill", jobs, { defaultWorkspace: "jaffle" }).jobRef).toBe("usgs/jobs.usgs_pipeline.backfill");
  });

  it("names the known workspaces when the workspace is unknown and the jobs when the name is", () => {
    expect(() => resolveJobName("nope/dashboard", jobs)).toThrow(/No deployed workspace 'nope'/);
    expect(() => resolveJobName("missing", jobs)).toThrow(/No deployed job 'missing'/);
  });

  it("matches selectors per workspace, with follow-ups only inside the upstream's workspace", () => {
    const selection = selectCompiledJobs(jobs, ["tag:ingest"], { workspace: "jaffle" });
    expect(selection.selected.map((s) => s.job.jobRef)).toEqual(["jaffle/jobs.jaffle.ingest"]);
    expect(selection.followUps.map((j) => j.jobRef)).toEqual(["jaffle/jobs.jaffle.transform"]);
    const all = selectCompiledJobs(jobs, ["tag:ingest"]);
    expect(all.selected.map((s) => s.job.jobRef).sort()).toEqual(["jaffle/jobs.jaffle.ingest", "usgs/jobs.usgs_pipeline.backfill"]);
  });

  it("scopes a job's follow-up and freshness upstreams to its own workspace", () => {
    const transform = jobs[4];
    expect(transform?.followUps.map((f) => f.jobRef)).toEqual(["jaffle/jobs.jaffle.ingest"]);
    expect(transform?.ref).toBe("jobs.jaffle.transform");
    expect(transform?.workspace).toBe("jaffle");
  });
});
