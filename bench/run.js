// `pnpm bench`: every benchmark, one after the other (each prints a table and JSON).
const only = process.argv[2];
const suites = ['engine', 'regex-backend', 'sdk', 'collector'];
for (const name of suites) {
  if (only && only !== name) continue;
  const mod = await import(`./${name}.bench.js`);
  await mod.run();
}
