import { defineConfig } from "vitest/config";

// Two projects: fast unit tests next to the code, and integration tests in test/
// that use real dockerd, git and dlt (run one file at a time: the machine has 2 cores).
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: "unit",
          include: ["{schemas,core,runner,reconciler,cli}/**/*.test.ts", "cli/**/*.test.tsx"],
          testTimeout: 60_000,
        },
      },
      {
        test: {
          name: "integration",
          include: ["test/**/*.test.ts"],
          testTimeout: 600_000,
          hookTimeout: 900_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
