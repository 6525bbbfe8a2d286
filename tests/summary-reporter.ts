// A node:test reporter that ends the run with the plain line CI reads: "N passed, N failed[, N skipped]".
// The spec reporter runs beside it for humans; this one only counts.
import type { TestEvent } from 'node:test/reporters';

export default async function* summary(source: AsyncIterable<TestEvent>): AsyncGenerator<string> {
  let passed = 0;
  let failed = 0;
  let skipped = 0;
  for await (const event of source) {
    // Suites report as tests too; count only leaves (tests with no subtests) so totals match the spec reporter.
    if (event.type === 'test:pass' && event.data.details.type !== 'suite') {
      if (event.data.skip !== undefined || event.data.todo !== undefined) skipped++;
      else passed++;
    } else if (event.type === 'test:fail' && event.data.details.type !== 'suite') {
      failed++;
    }
  }
  yield `${passed} passed, ${failed} failed${skipped > 0 ? `, ${skipped} skipped` : ''}\n`;
}
