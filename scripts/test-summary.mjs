// Sums the test counts of every tier (vitest JSON reports, pytest JUnit XML) into the one plain
// closing line CI reads: "N passed, N failed, N skipped". Missing reports count as a failure:
// a tier that ran no test must not pass silently.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const dir = process.argv[2];
let passed = 0, failed = 0, skipped = 0;
const expected = ['vitest-unit.json', 'vitest-medium.json', 'vitest-e2e.json', 'pytest-training.xml'];
const missing = expected.filter((f) => !existsSync(join(dir, f)));
for (const file of readdirSync(dir)) {
  const text = readFileSync(join(dir, file), 'utf8');
  if (file.endsWith('.json')) {
    const r = JSON.parse(text);
    // A test file that failed outside its tests (a beforeAll that threw, an import error) reports its
    // tests as skipped and none as failed: count the file itself as a failure, so it cannot read as green.
    const brokenFiles = (r.testResults ?? []).filter((t) => t.status === 'failed' && !(t.assertionResults ?? []).some((a) => a.status === 'failed'));
    passed += r.numPassedTests; failed += r.numFailedTests + brokenFiles.length; skipped += r.numPendingTests + (r.numTodoTests ?? 0);
    const broken = brokenFiles.length ? `, ${brokenFiles.length} test file(s) failed outside their tests: ${brokenFiles.map((t) => t.name.replace(/^.*?\/tests\//, 'tests/')).join(', ')}` : '';
    console.log(`${file}: ${r.numPassedTests} passed, ${r.numFailedTests} failed${broken}`);
  } else if (file.endsWith('.xml')) {
    const attr = (name) => Number((text.match(new RegExp(`<testsuite[^>]*\\s${name}="(\\d+)"`)) ?? [])[1] ?? 0);
    const tests = attr('tests'), failures = attr('failures') + attr('errors'), skips = attr('skipped');
    passed += tests - failures - skips; failed += failures; skipped += skips;
    console.log(`${file}: ${tests - failures - skips} passed, ${failures} failed`);
  }
}
if (missing.length) console.log(`missing reports (tier did not run): ${missing.join(', ')}`);
console.log(`${passed} passed, ${failed + missing.length} failed${skipped ? `, ${skipped} skipped` : ''}`);
process.exit(failed + missing.length > 0 || passed === 0 ? 1 : 0);
