// `pnpm run pack`: build, then pack every public package into dist-packages/
// (workspace: dependencies become the packages' versions), for installing
// with npm into an application outside this repository.
import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { packPackages, root } from './pack-packages.js';

const out = path.join(root, 'dist-packages');
rmSync(out, { recursive: true, force: true });
mkdirSync(out);
const build = spawnSync(process.execPath, [path.join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-b'], { cwd: root, stdio: 'inherit' });
if (build.status !== 0) process.exit(build.status ?? 1);
try {
  await packPackages(out);
} catch (err) {
  console.error(err.message);
  process.exit(1);
}
for (const f of readdirSync(out).sort()) console.log(path.join('dist-packages', f));
