// `pnpm test`: the linter and formatter check (eslint.config.js: the import
// direction rules among them), then the main suite under this Node, then the SDK processor suites
// again against the OpenTelemetry JS SDK 3.x line, which needs Node >= 22.15
// (run through `npx -y node@22` when this Node is older). Totals of both runs
// are printed last.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const vitest = 'node_modules/vitest/vitest.mjs';
const results = ['.lint-results.json', '.vitest-results.json', '.vitest-results-sdk-v3.json'];
for (const f of results) rmSync(new URL(`../${f}`, import.meta.url), { force: true });

const run = (cmd, args) => spawnSync(cmd, args, { cwd: root, stdio: 'inherit' }).status ?? 1;

// Lint counts as one test in the totals: a lint or format finding fails the run.
console.log('lint: eslint and prettier --check');
const lintOk = run(process.execPath, ['node_modules/eslint/bin/eslint.js', '.']) === 0 && run(process.execPath, ['node_modules/prettier/bin/prettier.cjs', '--check', '.']) === 0;
writeFileSync(new URL('../.lint-results.json', import.meta.url), JSON.stringify({ numPassedTests: lintOk ? 1 : 0, numFailedTests: lintOk ? 0 : 1 }));

const main = run(process.execPath, [vitest, 'run', ...process.argv.slice(2)]);

const [major, minor] = process.versions.node.split('.').map(Number);
const modern = major > 22 || (major === 22 && minor >= 15);
console.log(`\nSDK 3.x line: the processor suites under ${modern ? `this Node (${process.version})` : 'Node 22 (npx -y node@22)'}`);
const v3Args = [vitest, 'run', '--config', 'test/sdk-v3/vitest.config.ts'];
const v3 = modern ? run(process.execPath, v3Args) : run('npx', ['-y', 'node@22', ...v3Args]);

let passed = 0;
let failed = 0;
for (const f of results) {
  const file = new URL(`../${f}`, import.meta.url);
  if (!existsSync(file)) {
    failed++;
    console.log(`missing ${f}: that run did not complete`);
    continue;
  }
  const r = JSON.parse(readFileSync(file, 'utf8'));
  passed += r.numPassedTests;
  failed += r.numFailedTests + (r.numRuntimeErrorTests ?? 0);
}
console.log(`\nall suites: ${passed} passed, ${failed} failed`);
process.exitCode = !lintOk || main !== 0 || v3 !== 0 || failed > 0 ? 1 : 0;
