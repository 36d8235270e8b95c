import { defineConfig } from "vitest/config";

// Three projects: fast unit tests next to the code, integration tests in test/ that use real
// dockerd, git and dlt (run one file at a time: the machine has 2 cores), and the Kubernetes
// tests in test/kubernetes/ against the real cluster of scripts/cluster.sh.
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
          // everything in test/ but test/kubernetes/ (its own project below)
          include: ["test/*.test.ts", "test/!(kubernetes)/**/*.test.ts"],
          testTimeout: 600_000,
          hookTimeout: 900_000,
          fileParallelism: false,
        },
      },
      {
        test: {
          name: "kubernetes",
          include: ["test/kubernetes/**/*.test.ts"],
          testTimeout: 600_000,
          // the first run may build the cluster (5–15 min cold)
          hookTimeout: 1_800_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
