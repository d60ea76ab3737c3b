// `pnpm run lint:packages`: build, pack every public package into a temp
// directory (as they would be published: workspace:* rewritten by pnpm pack)
// and check each tarball with publint and @arethetypeswrong/cli, plus a few
// checks of what the tarball holds. Exits 1 when anything is reported.
//
//   node scripts/lint-packages.js [--no-build] [--keep]
//     --no-build  pack dist/ as it is (default: `tsc -b` first)
//     --keep      keep the temp directory with the tarballs (printed)
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { publint } from 'publint';
import { formatMessage } from 'publint/utils';
import { packPackages, root, run } from './pack-packages.js';

const args = new Set(process.argv.slice(2));
const attwBin = path.join(root, 'node_modules', '@arethetypeswrong', 'cli', 'dist', 'index.js');

// The packages are ESM only ("type": "module", `exports` without a `require`
// condition). CommonJS consumers load them with require(esm), unflagged since
// Node 20.19 and 22.12 (hence engines "^20.19.0 || >=22.12.0"), and TypeScript
// (>= 5.8, module node20/nodenext) types such a require() too. So for attw:
// - `--ignore-rules cjs-resolves-to-esm`: "a require() resolves to ESM" is
//   the supported path on those Node versions, not an error. Everything else
//   about the CommonJS view (types found, format of the types) is still checked.
// - `--profile node16`: leaves out TypeScript's `node10` resolution, which
//   predates `exports` and cannot reach subpaths like
//   `@otel-policy/sdk-processor/register` (nor load ESM at all); consumers of
//   an ESM-only package use node16/nodenext or bundler resolution.
const ATTW_ARGS = ['--profile', 'node16', '--ignore-rules', 'cjs-resolves-to-esm', '--format', 'table', '--no-color', '--no-emoji'];

if (!args.has('--no-build')) {
  console.log('building (tsc -b)');
  try {
    execFileSync(process.execPath, [path.join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-b'], { cwd: root, stdio: 'inherit' });
  } catch {
    console.error('lint:packages: the build failed');
    process.exit(1);
  }
}

const dest = mkdtempSync(path.join(tmpdir(), 'otel-policy-lint-'));
const rootLicense = readFileSync(path.join(root, 'LICENSE'), 'utf8');
let problems = 0;
const problem = (pkg, text) => {
  problems++;
  console.log(`  ✗ ${pkg.name}: ${text}`);
};

/** What the tarball holds beyond what publint and attw look at. */
function checkContents(pkg) {
  const files = execFileSync('tar', ['-tzf', pkg.path], { encoding: 'utf8' })
    .split('\n')
    .filter(Boolean)
    .map((f) => f.replace(/^package\//, ''));
  for (const f of ['package.json', 'README.md', 'LICENSE']) if (!files.includes(f)) problem(pkg, `${f} is not in the tarball`);
  const tests = files.filter((f) => /(^|\/)(test|tests|__tests__)\/|\.test\.[cm]?[jt]s$|\.tsbuildinfo$/.test(f));
  if (tests.length > 0) problem(pkg, `tests or build state in the tarball: ${tests.slice(0, 5).join(', ')}${tests.length > 5 ? ', ...' : ''}`);
  const license = execFileSync('tar', ['-xzOf', pkg.path, 'package/LICENSE'], { encoding: 'utf8' });
  if (license !== rootLicense) problem(pkg, 'LICENSE differs from the repository LICENSE');
  const manifest = JSON.parse(execFileSync('tar', ['-xzOf', pkg.path, 'package/package.json'], { encoding: 'utf8' }));
  for (const field of ['dependencies', 'peerDependencies', 'optionalDependencies']) {
    for (const [name, spec] of Object.entries(manifest[field] ?? {})) {
      if (/^(workspace|link|file):/.test(spec)) problem(pkg, `${field}.${name} is ${spec} in the tarball`);
    }
  }
  for (const field of ['description', 'keywords', 'license', 'repository', 'engines', 'sideEffects', 'publishConfig']) {
    if (manifest[field] === undefined) problem(pkg, `package.json has no ${field}`);
  }
  if (manifest.publishConfig && manifest.publishConfig.access !== 'public') problem(pkg, 'publishConfig.access is not public');
  for (const f of Array.isArray(manifest.sideEffects) ? manifest.sideEffects : []) {
    if (!files.includes(f.replace(/^\.\//, ''))) problem(pkg, `sideEffects names ${f}, which is not in the tarball`);
  }
}

try {
  console.log(`packing into ${dest}`);
  const pkgs = await packPackages(dest);
  // attw runs are independent child processes: start them all, read them in order.
  const attw = new Map(pkgs.map((p) => [p.name, run(process.execPath, [attwBin, p.path, ...ATTW_ARGS], { cwd: dest })]));
  for (const pkg of pkgs) {
    console.log(`\n${pkg.name} (${pkg.tarball})`);
    const buf = readFileSync(pkg.path);
    const { messages, pkg: manifest } = await publint({
      pack: { tarball: buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength) },
      level: 'suggestion',
      strict: true,
    });
    // Every publint message counts, suggestions included.
    if (messages.length === 0) console.log('  publint: ok');
    for (const m of messages) problem(pkg, `publint ${m.type} ${m.code}: ${formatMessage(m, manifest, { color: false })}`);

    const r = await attw.get(pkg.name);
    if (r.code === 0) console.log('  attw: ok');
    else problem(pkg, `attw (exit ${r.code}):\n${`${r.stdout}${r.stderr}`.trimEnd().replace(/^/gm, '      ')}`);

    checkContents(pkg);
  }
} finally {
  if (args.has('--keep')) console.log(`\ntarballs kept in ${dest}`);
  else rmSync(dest, { recursive: true, force: true });
}

console.log(problems === 0 ? '\nlint:packages: no problems' : `\nlint:packages: ${problems} problem(s)`);
process.exitCode = problems === 0 ? 0 : 1;
