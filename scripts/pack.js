// `pnpm run pack`: build, then pack every public package into dist-packages/
// (workspace: dependencies become the packages' versions), for installing
// with npm into an application outside this repository.
import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const out = path.join(root, 'dist-packages');
rmSync(out, { recursive: true, force: true });
mkdirSync(out);
const pnpm = process.env.npm_execpath ? [process.execPath, process.env.npm_execpath] : ['npx', '-y', 'pnpm@10'];
const run = (args, cwd) => {
  const r = spawnSync(pnpm[0], [...pnpm.slice(1), ...args], { cwd, stdio: ['ignore', 'ignore', 'inherit'] });
  if (r.status !== 0) process.exit(r.status ?? 1);
};
run(['run', 'build'], root);
for (const dir of readdirSync(path.join(root, 'packages'))) {
  const pkgDir = path.join(root, 'packages', dir);
  const pkg = JSON.parse(readFileSync(path.join(pkgDir, 'package.json'), 'utf8'));
  if (pkg.private) continue;
  run(['pack', '--pack-destination', out], pkgDir);
}
for (const f of readdirSync(out).sort()) console.log(path.join('dist-packages', f));
