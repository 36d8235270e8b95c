import { describe, expect, it } from "vitest";
import { githubFullNameOf } from "./github-store.js";
import { dataWarnings, renderPreviewComment } from "./preview-comment.js";
import { annotationsOf, jobRows, splitToFit } from "./render.js";
import { partMarker } from "./report-queue.js";
import { signWebhook, verifyWebhook } from "./webhook-server.js";

const job = (name: string, triggers: string[], extra: Record<string, unknown> = {}) => ({
  job_ref: `jobs.__deployment__.${name}`,
  entry_point: { module: "__deployment__", function: name, job_type: "batch", launcher: "dlt._workspace.deployment.launchers.job" },
  execute: {},
  triggers,
  ...extra,
});
const change = (name: string) => ({ jobRef: `jobs.__deployment__.${name}`, status: "updated" as const });
const NOW = Date.parse("2026-12-01T10:17:00Z");

describe("GitHub rendering", () => {
  it("annotates the file and line a cause names, under the workspace folder", () => {
    const cause = { code: "manifest_invalid_trigger", message: "invalid trigger 'every:30s' in __deployment__.py line 16: minimum period is 1 minute" };
    expect(annotationsOf(cause, "pipelines/usgs")).toEqual([expect.objectContaining({ path: "pipelines/usgs/__deployment__.py", start_line: 16, end_line: 16, annotation_level: "failure" })]);
    expect(annotationsOf({ code: "x", message: "syntax error in /workspace/jobs.py:6: '(' was never closed" }, "")).toEqual([expect.objectContaining({ path: "jobs.py", start_line: 6 })]);
    expect(annotationsOf({ code: "x", message: "no dlt in the environment" }, "")).toEqual([]);
  });

  it("shows the next run in the job's timezone and the trigger in words", () => {
    const rows = jobRows({ added: [], updated: [change("load")], unchanged: [], archived: [] }, [job("load", ["schedule:0 9 * * *"], { require: { timezone: "Europe/Berlin" } })], [], NOW);
    expect(rows).toEqual([{ job: "jobs.__deployment__.load", change: "updated", triggers: "daily at 09:00 (Europe/Berlin)", nextRun: "2026-12-02 09:00 Europe/Berlin" }]);
  });

  it("warns when an interval start moves or the refresh policy changes", () => {
    const diff = { added: [], updated: [change("load")], unchanged: [], archived: [] };
    const warnings = dataWarnings(diff, [job("load", [], { interval: { start: "2026-01-01" }, refresh: "always" })], [job("load", [], { interval: { start: "2025-01-01" } })]);
    expect(warnings).toEqual([expect.stringContaining("interval start moves from 2025-01-01 to 2026-01-01"), expect.stringContaining("refresh policy changes from default to always")]);
  });

  it("splits a comment over 65,536 characters into parts that each fit with their marker", () => {
    const many = Array.from({ length: 3000 }, (_, i) => job(`job_${i}_${"x".repeat(20)}`, ["every:5m"]));
    const parts = renderPreviewComment({
      fullName: "acme/p", serverUrl: "https://github.com", pr: 1, sha: "a".repeat(40), branch: "main", nowMs: NOW,
      previews: [{ workspace: "p", folder: "", result: { ok: true, diff: { added: many.map((j) => ({ jobRef: j.job_ref, status: "added" as const })), updated: [], unchanged: [], archived: [] }, jobs: many, previous: [], warnings: [] } }],
    });
    expect(parts.length).toBeGreaterThan(1);
    for (const [i, part] of parts.entries()) expect(`${i === 0 ? "<!-- sluice:preview -->" : partMarker("<!-- sluice:preview -->", i + 1)}\n${part}`.length).toBeLessThanOrEqual(65_536);
    expect(parts[0]).toMatch(/^### Sluice preview/);
    expect(splitToFit("a\nb", 10)).toEqual(["a\nb"]);
  });

  it("lists validation errors with file:line links to the PR head, and says the deployed jobs keep running", () => {
    const cause = { code: "manifest_invalid_trigger", message: "invalid trigger 'every:30s' in __deployment__.py line 16: minimum period is 1 minute" };
    const [body] = renderPreviewComment({
      fullName: "acme/p", serverUrl: "https://github.com", pr: 2, sha: "b".repeat(40), branch: "main", nowMs: NOW,
      previews: [{ workspace: "p", folder: "", result: { ok: false, cause, annotations: annotationsOf(cause, "") } }],
    });
    expect(body).toContain(`- [__deployment__.py:16](https://github.com/acme/p/blob/${"b".repeat(40)}/__deployment__.py#L16): invalid trigger 'every:30s'`);
    expect(body).toContain("the deployed jobs keep running");
    expect(body).toMatch(/^### Sluice preview ❌/);
  });

  it("verifies webhook signatures (and only exact ones) and reads owner/repo from github.com URLs", () => {
    const body = Buffer.from('{"zen":"x"}');
    expect(verifyWebhook("s3cret", body, signWebhook("s3cret", body))).toBe(true);
    expect(verifyWebhook("s3cret", body, signWebhook("other", body))).toBe(false);
    expect(verifyWebhook("s3cret", body, undefined)).toBe(false);
    expect(verifyWebhook("s3cret", body, "sha256=short")).toBe(false);
    expect(githubFullNameOf("https://github.com/acme/pipelines.git")).toBe("acme/pipelines");
    expect(githubFullNameOf("git@github.com:acme/pipelines.git")).toBe("acme/pipelines");
    expect(githubFullNameOf("https://gitlab.com/acme/pipelines.git")).toBeNull();
  });
});
