/** The fake source APIs (GitHub, Jaffle Shop, USGS) on a free loopback port for one test file. */
import { afterAll, beforeAll } from "vitest";
import { startFakeSources, type FakeSources, type FakeSourcesOptions } from "../../fixtures/fake-sources/index.js";

/** Starts the fakes on a free port (port 0), so parallel suites and a running daemon never collide. */
export function startLoopbackSources(options: Omit<FakeSourcesOptions, "port"> = {}): Promise<FakeSources> {
  return startFakeSources({ ...options, port: 0 });
}

/** Registers `beforeAll`/`afterAll` hooks that start and close the fakes; call the result inside tests. */
export function useFakeSources(options: Omit<FakeSourcesOptions, "port"> = {}): () => FakeSources {
  let sources: FakeSources | undefined;
  beforeAll(async () => {
    sources = await startLoopbackSources(options);
  });
  afterAll(async () => {
    await sources?.close();
  });
  return () => {
    if (!sources) throw new Error("the fake sources are not running (use them inside tests or later hooks)");
    return sources;
  };
}
