// One vitest configuration for the whole monorepo, in two projects:
//  - unit:        pure cores, no root, no network; `*.test.ts` beside the code.
//  - integration: real kernel, real daemons in network namespaces; `*.int.test.ts`.
// Both read each package's `src/` through the `source` export condition, so no
// build is needed before testing.
import { defineConfig } from "vitest/config";

const conditions = ["source", "import", "module", "node", "default"];

export default defineConfig({
  resolve: { conditions },
  ssr: { resolve: { conditions, externalConditions: ["source"] } },
  test: {
    projects: [
      {
        extends: true,
        test: {
          name: "unit",
          include: [
            "packages/*/src/**/*.test.ts",
            "examples/*/src/**/*.test.ts",
            "deploy/test/**/*.test.ts",
            "scripts/**/*.test.ts",
          ],
          exclude: ["**/*.int.test.ts", "**/node_modules/**"],
          testTimeout: 20_000,
          // unit first, then integration (projects with different pools need an order)
          sequence: { groupOrder: 0 },
        },
      },
      {
        extends: true,
        test: {
          name: "integration",
          include: [
            "packages/*/{src,test}/**/*.int.test.ts",
            "examples/*/{src,test}/**/*.int.test.ts",
          ],
          exclude: ["**/node_modules/**"],
          pool: "forks",
          sequence: { groupOrder: 1 },
          maxWorkers: 2,
          testTimeout: 120_000,
          hookTimeout: 120_000,
          globalSetup: ["packages/testbed/src/global-setup.ts"],
        },
      },
    ],
  },
});
