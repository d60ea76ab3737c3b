#!/usr/bin/env node
// Prints the compiler / linker flags needed to build against Hyperscan or
// Vectorscan. Used by binding.gyp (`node native/hs-flags.cjs cflags|libs`)
// and by native/build.cjs (require('./hs-flags.cjs').detect()).
//
// Resolution order:
//   1. OTEL_POLICY_HS_INCLUDE=<dir containing hs.h> [OTEL_POLICY_HS_LIBDIR=<dir>]
//      (explicit override; also handy to test the failure path)
//   2. `pkg-config --cflags/--libs libhs`
//   3. /usr/include/hs/hs.h or /usr/local/include/hs/hs.h with -lhs
// Exits 1 with a one-line message on stderr when nothing is found.
'use strict';

const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const NOT_FOUND = 'Hyperscan/Vectorscan headers not found (apt-get install libhyperscan-dev or libvectorscan-dev)';

function hasHeader(dir) {
  try {
    return fs.statSync(path.join(dir, 'hs.h')).isFile();
  } catch {
    return false;
  }
}

function split(s) {
  return s.trim().split(/\s+/).filter(Boolean);
}

// Non-system -L dirs also get an rpath so the addon finds libhs at runtime.
function withRpath(libs) {
  if (process.platform === 'win32') return libs;
  const system = new Set(['/usr/lib', '/lib', '/usr/lib64', '/lib64']);
  const out = [...libs];
  for (const f of libs) {
    if (!f.startsWith('-L')) continue;
    const dir = f.slice(2);
    if (dir && !system.has(dir) && !dir.startsWith('/usr/lib/')) out.push(`-Wl,-rpath,${dir}`);
  }
  return out;
}

function pkgConfig(args) {
  return execFileSync('pkg-config', args, {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'ignore'],
    timeout: 10000,
  });
}

/** @returns {{ cflags: string[], libs: string[], source: string } | { error: string }} */
function detect() {
  const envInc = process.env.OTEL_POLICY_HS_INCLUDE;
  if (envInc) {
    if (!hasHeader(envInc)) {
      return { error: `${NOT_FOUND}; OTEL_POLICY_HS_INCLUDE=${envInc} has no hs.h` };
    }
    const libDir = process.env.OTEL_POLICY_HS_LIBDIR;
    return {
      cflags: [`-I${envInc}`],
      libs: withRpath(libDir ? [`-L${libDir}`, '-lhs'] : ['-lhs']),
      source: 'OTEL_POLICY_HS_INCLUDE',
    };
  }

  try {
    const cflags = split(pkgConfig(['--cflags', 'libhs']));
    const libs = split(pkgConfig(['--libs', 'libhs']));
    if (libs.length > 0) return { cflags, libs: withRpath(libs), source: 'pkg-config' };
  } catch {
    // pkg-config missing or libhs.pc not installed: fall through.
  }

  for (const dir of ['/usr/include/hs', '/usr/local/include/hs']) {
    if (hasHeader(dir)) {
      const libs = dir.startsWith('/usr/local/') ? ['-L/usr/local/lib', '-lhs'] : ['-lhs'];
      return { cflags: [`-I${dir}`], libs: withRpath(libs), source: dir };
    }
  }
  return { error: NOT_FOUND };
}

module.exports = { detect, NOT_FOUND };

if (require.main === module) {
  const what = process.argv[2];
  if (what !== 'cflags' && what !== 'libs') {
    process.stderr.write('usage: node hs-flags.cjs cflags|libs\n');
    process.exit(2);
  }
  const r = detect();
  if ('error' in r) {
    process.stderr.write(`${r.error}\n`);
    process.exit(1);
  }
  process.stdout.write(`${r[what].join(' ')}\n`);
}
