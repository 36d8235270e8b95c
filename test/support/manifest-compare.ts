/** Warm against cold manifest generation (test/manifest-warm*.test.ts): timings, broken modules, user-facing failures. */
import { cpSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { expect } from "vitest";
import { join, resolve } from "node:path";
import { SluiceError } from "../../core/index.js";
import { generateManifestWith, type GeneratedManifest, type ManifestExecutor } from "../../reconciler/manifest/index.js";

export const BROKEN_FIXTURES = resolve(import.meta.dirname, "../../fixtures/broken");

export const withoutCreatedAt = (m: GeneratedManifest) => ({ ...m.manifest, created_at: null });

export async function timed(executor: ManifestExecutor, workspaceDir: string, timeoutMs = 120_000): Promise<{ generated: GeneratedManifest; ms: number }> {
  const started = performance.now();
  const generated = await generateManifestWith({ workspaceDir, executor, timeoutMs });
  return { generated, ms: Math.round(performance.now() - started) };
}

/**
 * `<checkouts>/broken-<kind>`: a fixture of fixtures/broken/, or, for a kind in `modules`, the
 * invalid_trigger fixture with that `__deployment__.py`.
 */
export function brokenCheckout(checkouts: string, kind: string, modules: Record<string, string>): string {
  const dir = join(checkouts, `broken-${kind}`);
  cpSync(join(BROKEN_FIXTURES, kind in modules ? "invalid_trigger" : kind), dir, { recursive: true });
  if (kind in modules) writeFileSync(join(dir, "__deployment__.py"), modules[kind] ?? "");
  return dir;
}

/** What a user sees of a failed generation: code, message, hint and location. */
export async function failureOf(executor: ManifestExecutor, workspaceDir: string): Promise<Record<string, unknown>> {
  const error = await generateManifestWith({ workspaceDir, executor, timeoutMs: 12_000 }).then(
    () => new Error("the generation succeeded"),
    (e: unknown) => e,
  );
  if (!(error instanceof SluiceError)) throw error;
  return { code: error.code, message: error.message, hint: error.hint, file: error.details.file, line: error.details.line };
}

/** The warm result equals the cold one but for `created_at`, with the same job and manifest hashes. */
export function expectSameManifest(warm: GeneratedManifest, cold: GeneratedManifest): void {
  expect(withoutCreatedAt(warm)).toEqual(withoutCreatedAt(cold));
  expect(warm.jobHashes).toEqual(cold.jobHashes);
  expect(warm.manifestHash).toBe(cold.manifestHash);
  expect(Object.keys(warm.jobHashes).length).toBeGreaterThan(0);
}

/** Edits the usgs checkout's own module: usgs_daily's trigger every 10 minutes instead of 5. */
export function changeUsgsSchedule(dir: string): void {
  const pipeline = join(dir, "usgs_pipeline.py");
  const source = readFileSync(pipeline, "utf8");
  expect(source).toContain('trigger=trigger.every("5m")');
  writeFileSync(pipeline, source.replace('trigger=trigger.every("5m")', 'trigger=trigger.every("10m")'));
}

/**
 * Every fixture of fixtures/broken/ and every module in `modules` fails warm with what cold says,
 * twice in a row (once for `never_returns`: it costs the whole timeout); returns how many were compared.
 */
export async function expectBrokenFailWarmAsCold(warm: ManifestExecutor, cold: ManifestExecutor, checkouts: string, modules: Record<string, string>): Promise<number> {
  const kinds = [...readdirSync(BROKEN_FIXTURES).sort(), ...Object.keys(modules)];
  let compared = 0;
  for (const kind of kinds) {
    const dir = brokenCheckout(checkouts, kind, modules);
    const expected = await failureOf(cold, dir);
    expect(await failureOf(warm, dir), kind).toEqual(expected);
    if (kind !== "never_returns") expect(await failureOf(warm, dir), `${kind}, second warm generation`).toEqual(expected);
    compared++;
  }
  return compared;
}

/** After the checkout's own module changes, the warm generation differs from before and equals a cold one of the new code. */
export async function expectWarmSeesModuleChange(warm: ManifestExecutor, cold: ManifestExecutor, dir: string): Promise<void> {
  const before = await timed(warm, dir);
  changeUsgsSchedule(dir);
  const after = await timed(warm, dir);
  const coldAfter = await timed(cold, dir);
  expect(after.generated.manifestHash).not.toBe(before.generated.manifestHash);
  expect(after.generated.jobHashes).toEqual(coldAfter.generated.jobHashes);
  expect(after.generated.manifestHash).toBe(coldAfter.generated.manifestHash);
}
