import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts", "infra/**/*.test.ts", "supabase/**/*.test.ts", "monitoring/**/*.test.ts"],
    // Suites start real Postgres, Deno and Prometheus processes: give them room on a 2-core machine.
    testTimeout: 60_000,
    hookTimeout: 120_000,
    fileParallelism: true,
    maxWorkers: 2,
  },
});
