/**
 * Prints one plain closing line, `N passed, N failed, N skipped`, after vitest's own
 * summary, so any CI that reads a run's last lines can count the tests.
 */

import type { Reporter, TestModule } from "vitest/node";

export default class SummaryReporter implements Reporter {
  onTestRunEnd(testModules: ReadonlyArray<TestModule>, unhandledErrors: ReadonlyArray<unknown>): void {
    let passed = 0;
    let failed = 0;
    let skipped = 0;
    for (const module of testModules) {
      const failedBefore = failed;
      for (const test of module.children.allTests()) {
        const state = test.result().state;
        if (state === "passed") passed++;
        else if (state === "failed") failed++;
        else skipped++;
      }
      // a beforeAll or afterAll that threw leaves its tests skipped: its suite counts as a failure
      for (const suite of module.children.allSuites()) if (suite.errors().length > 0) failed++;
      // a file that failed to load (or whose own hooks threw) must still count as a failure
      if (module.state() === "failed" && failed === failedBefore) failed++;
    }
    failed += unhandledErrors.length;
    process.stdout.write(`\n${passed} passed, ${failed} failed, ${skipped} skipped\n`);
  }
}
