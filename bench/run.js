// `pnpm bench`: every benchmark, one after the other (each prints a table and
// JSON to bench/results). A benchmark that misses a target says so, and the
// run exits non-zero after the others have run.
const only = process.argv[2];
const suites = ['engine', 'regex-backend', 'sdk', 'collector', 'service', 'browser-size', 'browser'];
const missed = [];
for (const name of suites) {
  if (only && only !== name) continue;
  const mod = await import(`./${name}.bench.js`);
  const results = await mod.run();
  const targets = [...(Array.isArray(results?.targets) ? results.targets : []), ...(results?.target ? [{ name: 'target', ...results.target }] : [])];
  for (const t of targets) if (t.met === false) missed.push(`${name}: ${t.name} = ${t.actual} (${t.limit ?? JSON.stringify(t)})`);
}
if (missed.length) {
  console.log(`\nTARGETS MISSED:\n  ${missed.join('\n  ')}`);
  process.exitCode = 1;
} else {
  console.log('\nevery benchmark target met');
}
