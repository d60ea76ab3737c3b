// Packing the public packages (packages/* without "private"), shared by
// scripts/pack.js, scripts/lint-packages.js and test/packaging/install.test.ts.
// Packs with pnpm, which rewrites workspace:* dependencies to the packages'
// versions (npm pack would leave them as they are). Packs what dist/ holds:
// build first (`tsc -b`).
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = fileURLToPath(new URL('..', import.meta.url));

/** pnpm as [command, ...args]: the running pnpm when there is one, else pnpm 10 through npx. */
export function pnpmCommand() {
  const execpath = process.env.npm_execpath;
  if (execpath && /pnpm/.test(path.basename(execpath))) {
    return /\.[cm]?js$/.test(execpath) ? [process.execPath, execpath] : [execpath];
  }
  return ['npx', '-y', 'pnpm@10'];
}

/** The public packages: { dir, name, version, tarball (file name pnpm pack writes), manifest }. */
export function publicPackages() {
  const out = [];
  for (const dir of readdirSync(path.join(root, 'packages')).sort()) {
    const file = path.join(root, 'packages', dir, 'package.json');
    if (!existsSync(file)) continue;
    const manifest = JSON.parse(readFileSync(file, 'utf8'));
    if (manifest.private) continue;
    const tarball = `${manifest.name.replace(/^@/, '').replace('/', '-')}-${manifest.version}.tgz`;
    out.push({ dir: path.join(root, 'packages', dir), name: manifest.name, version: manifest.version, tarball, manifest });
  }
  return out;
}

/** Run a command; resolves { code, stdout, stderr }. */
export function run(cmd, args, options = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { ...options, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code: code ?? (signal ? 1 : 0), signal, stdout, stderr }));
  });
}

/**
 * `pnpm pack` every public package into `dest` (in parallel). Resolves the
 * packages with `path` (the tarball's full path); rejects naming the package
 * whose pack failed.
 */
export async function packPackages(dest) {
  const pnpm = pnpmCommand();
  const pkgs = publicPackages();
  await Promise.all(
    pkgs.map(async (p) => {
      if (!existsSync(path.join(p.dir, 'dist'))) throw new Error(`${p.name}: no dist/ (build first: npx tsc -b)`);
      const r = await run(pnpm[0], [...pnpm.slice(1), 'pack', '--pack-destination', dest], { cwd: p.dir });
      if (r.code !== 0) throw new Error(`${p.name}: pnpm pack failed (${r.code})\n${r.stderr}${r.stdout}`);
      if (!existsSync(path.join(dest, p.tarball))) throw new Error(`${p.name}: pnpm pack did not write ${p.tarball}\n${r.stdout}`);
    }),
  );
  return pkgs.map((p) => ({ ...p, path: path.join(dest, p.tarball) }));
}
