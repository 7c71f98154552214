// Prints the closing line of a test run from vitest's JSON report:
// "tests: N passed, N failed" (", N skipped" when any were skipped), and exits
// non-zero when no test ran at all.
import { readFileSync } from "node:fs";

const file = process.argv[2] ?? ".vitest-results.json";
let r;
try {
  r = JSON.parse(readFileSync(file, "utf8"));
} catch (e) {
  console.log(`tests: 0 passed, 1 failed`);
  console.error(`no vitest report at ${file}: ${e.message}`);
  process.exit(1);
}
const passed = r.numPassedTests ?? 0;
// Files that failed without a failing test (an import error, a failing hook) count once each.
const brokenFiles = (r.testResults ?? []).filter(
  (f) => f.status === "failed" && !(f.assertionResults ?? []).some((a) => a.status === "failed"),
).length;
const failed =
  (r.numFailedTests ?? 0) +
  brokenFiles +
  (r.success === false && !r.numFailedTests && !brokenFiles ? 1 : 0);
const skipped = (r.numPendingTests ?? 0) + (r.numTodoTests ?? 0);
console.log(`tests: ${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ""}`);
if (passed + failed === 0) process.exit(1);
