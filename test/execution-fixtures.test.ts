/**
 * The fixture workspaces' batch jobs, end to end the way Sluice runs them: jobs from dlt's own
 * manifest, one container per run from the job's environment image (the `ibis` variant for the
 * usgs transforms), dlt's launchers, the fake APIs on loopback (host networking, see
 * test/support/fixture-runtime.ts), and one shared data dir per workspace+profile so later jobs
 * read what earlier ones loaded. Row counts are asked from the DuckDB files by the workspace's
 * own duckdb inside a container; the run records are the executor's outcomes.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GITHUB_COMMIT_COUNT, GITHUB_CONTRIBUTORS, JAFFLE_COUNTS, jaffleOrders, USGS_FDSN_PATH, USGS_SIGNIFICANT_MAGNITUDE, usgsQuakesBetween } from "../fixtures/fake-sources/index.js";
import { createFixtureRuntime, type BatchResult, type FixtureRuntime } from "./support/fixture-runtime.js";

const FEED_NOW = new Date("2026-04-10T12:00:00Z");

let runtime: FixtureRuntime;

beforeAll(async () => {
  runtime = await createFixtureRuntime({ now: () => FEED_NOW });
});

afterAll(async () => {
  await runtime?.close();
});

function expectCompleted(result: BatchResult): void {
  expect(result.outcome, result.logs).toMatchObject({ status: "completed", exitCode: 0, reason: null, stopCause: null });
  expect(result.outcome.durationMs).toBeGreaterThan(0);
}

describe("fixture workspaces' batch jobs in containers", () => {
  it("fruitshop: the ad-hoc module job loads its four tables", async () => {
    const ws = await runtime.deploy("fruitshop", { script: "fruitshop_pipeline.py" });
    const job = ws.job("jobs.fruitshop_pipeline");
    expect(job.entry_point).toMatchObject({ module: "fruitshop_pipeline", function: null, launcher: "dlt._workspace.deployment.launchers.module" });
    const result = await runtime.runBatch(ws, job);
    expectCompleted(result);
    const counts = await runtime.query(
      ws,
      "prod",
      "fruitshop_destination.duckdb",
      "SELECT (SELECT count(*) FROM fruitshop_data.customers), (SELECT count(*) FROM fruitshop_data.inventory_categories), (SELECT count(*) FROM fruitshop_data.inventory), (SELECT count(*) FROM fruitshop_data.purchases)",
    );
    expect(counts).toEqual([[6, 4, 8, 40]]);
  });

  it("jaffle: ingest_jaffle loads API pages and parquet, transform_jaffle reads them on the follow-up trigger", async () => {
    const ws = await runtime.deploy("jaffle");
    const ingest = await runtime.runBatch(ws, ws.job("jobs.jaffle_ingestion.ingest_jaffle"), { trigger: "schedule:0 * * * *" });
    expectCompleted(ingest);
    const raw = await runtime.query(
      ws,
      "prod",
      "jaffleshop_destination.duckdb",
      "SELECT (SELECT count(*) FROM jaffle_raw.customers), (SELECT count(*) FROM jaffle_raw.products), (SELECT count(*) FROM jaffle_raw.orders), (SELECT count(*) FROM jaffle_raw.payments)",
    );
    expect(raw).toEqual([[JAFFLE_COUNTS.customers, JAFFLE_COUNTS.products, JAFFLE_COUNTS.orders, 72]]);

    const transform = await runtime.runBatch(ws, ws.job("jobs.jaffle_transformations.transform_jaffle"), { trigger: "job.success:jobs.jaffle_ingestion.ingest_jaffle" });
    expectCompleted(transform);
    expect(transform.logs).toContain("Triggered by ingestion");
    expect(transform.outcome.lastLines.join("\n")).toContain("Triggered by ingestion");
    const buyers = new Set(jaffleOrders().map((order) => order.customer_id)).size;
    const total = jaffleOrders().reduce((sum, order) => sum + (order.order_total as number), 0);
    const analytics = await runtime.query(
      ws,
      "prod",
      "jaffleshop_transformation_destination.duckdb",
      "SELECT (SELECT count(*) FROM jaffle_analytics.customer_orders), (SELECT sum(number_of_orders) FROM jaffle_analytics.customer_orders), (SELECT CAST(sum(total_amount) AS BIGINT) FROM jaffle_analytics.customer_payments)",
    );
    expect(analytics).toEqual([[buyers, JAFFLE_COUNTS.orders, total]]);
  });

  it("usgs: backfill, a windowed usgs_daily, then both ibis transforms in the ibis variant image", async () => {
    const ws = await runtime.deploy("usgs");
    const startMs = Date.parse("2026-04-01T00:00:00Z");
    const endMs = Date.parse("2026-04-03T00:00:00Z");
    const window = { startMs, endMs };

    expectCompleted(await runtime.runBatch(ws, ws.job("jobs.usgs_pipeline.backfill_usgs"), { trigger: "manual:jobs.usgs_pipeline.backfill_usgs", refresh: true, interval: window }));
    const daily = await runtime.runBatch(ws, ws.job("jobs.usgs_pipeline.usgs_daily"), { trigger: "job.success:jobs.usgs_pipeline.backfill_usgs", refresh: true, interval: window });
    expectCompleted(daily);
    // the window reaches the API as FDSN bounds in the job's timezone (require.timezone Europe/Berlin)
    const fdsn = runtime.sources.requests.filter((request) => request.path === USGS_FDSN_PATH);
    expect(fdsn.at(-1)?.query).toMatchObject({ starttime: "2026-04-01T02:00:00+02:00", endtime: "2026-04-03T02:00:00+02:00" });
    const quakes = usgsQuakesBetween(startMs, endMs, 2.5).length;
    const significant = usgsQuakesBetween(FEED_NOW.getTime() - 30 * 86_400_000, FEED_NOW.getTime(), USGS_SIGNIFICANT_MAGNITUDE).length;
    expect(quakes).toBeGreaterThan(5);
    expect(await runtime.query(ws, "prod", "warehouse.duckdb", "SELECT (SELECT count(*) FROM usgs_data.earthquakes), (SELECT count(*) FROM usgs_data.feeds_summary)")).toEqual([[quakes, significant]]);

    const transforms = ["jobs.usgs_pipeline.transform_earthquakes", "jobs.usgs_pipeline.transform_feeds_summary"].map((ref) => ws.job(ref));
    for (const job of transforms) expect(job.require?.dependency_groups).toEqual(["ibis"]);
    const earthquakes = await runtime.runBatch(ws, transforms[0]!, { trigger: "schedule:*/5 * * * *", interval: window });
    expectCompleted(earthquakes);
    const feeds = await runtime.runBatch(ws, transforms[1]!, { trigger: "every:5m", interval: window });
    expectCompleted(feeds);
    // the transforms ran in the ibis variant, the ingest in the plain environment
    expect(runtime.imageOf(earthquakes.runId)).toBeDefined();
    expect(runtime.imageOf(earthquakes.runId)).toBe(runtime.imageOf(feeds.runId));
    expect(runtime.imageOf(earthquakes.runId)).not.toBe(runtime.imageOf(daily.runId));
    expect(await runtime.query(ws, "prod", "warehouse.duckdb", "SELECT sum(event_count) FROM usgs_analytics.earthquake_daily_stats")).toEqual([[quakes]]);
    expect(await runtime.query(ws, "prod", "warehouse.duckdb", "SELECT count(*) FROM usgs_analytics.feeds_severity WHERE severity IN ('strong', 'major', 'great')")).toEqual([[significant]]);
  });

  it("github: load_commits then run_dq_checks on what it loaded (token from the secret store)", async () => {
    const ws = await runtime.deploy("github");
    runtime.secretStore.set("github", "prod", `[sources.github]\naccess_token = "ghp_sluice_fixture_token"\n`);
    const ingest = await runtime.runBatch(ws, ws.job("jobs.github_pipeline.load_commits"), { trigger: "every:5m", interval: { startMs: Date.now() - 300_000, endMs: Date.now() } });
    expectCompleted(ingest);
    expect(await runtime.query(ws, "prod", "warehouse.duckdb", "SELECT (SELECT count(*) FROM github_data.commits), (SELECT count(*) FROM github_data.contributors)")).toEqual([
      [GITHUB_COMMIT_COUNT, GITHUB_CONTRIBUTORS.length],
    ]);
    const checks = await runtime.runBatch(ws, ws.job("jobs.github_dq_pipeline.run_dq_checks"), { trigger: "schedule:0 * * * *" });
    expectCompleted(checks);
    expect(checks.outcome.lastLines.join("\n")).toContain("commits_present: ok");
  });
});
