#!/usr/bin/env node
// Install script for @otel-policy/hyperscan: builds the optional native
// Hyperscan/Vectorscan addon with node-gyp.
//
//   node native/build.cjs            install mode: never fails the install; on
//                                    failure prints one notice and exits 0
//   node native/build.cjs --strict   exits non-zero on failure and prints the
//                                    full build output (pnpm run build:native)
//   node native/build.cjs --verbose  streams node-gyp output
//
// Environment:
//   OTEL_POLICY_HYPERSCAN=0          skip the build (ignored with --strict)
//   OTEL_POLICY_HS_INCLUDE / OTEL_POLICY_HS_LIBDIR   see native/hs-flags.cjs
'use strict';

const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const { createRequire } = require('node:module');

const PKG = '@otel-policy/hyperscan';
const pkgDir = path.resolve(__dirname, '..');
const args = new Set(process.argv.slice(2));
const strict = args.has('--strict');
const verbose = args.has('--verbose') || process.env.OTEL_POLICY_HYPERSCAN_VERBOSE === '1';
const ADDON = path.join(pkgDir, 'build', 'Release', 'otel_policy_hs.node');

function notice(reason) {
  process.stderr.write(
    `${PKG}: native addon not built (${reason}); the engine will use the default re2js backend. ` +
      'To enable: apt-get install libhyperscan-dev (or libvectorscan-dev), then ' +
      `\`pnpm --filter ${PKG} run build:native\`\n`,
  );
}

function fail(reason, output) {
  if (strict) {
    if (output && !verbose) process.stderr.write(output.endsWith('\n') ? output : `${output}\n`);
    process.stderr.write(`${PKG}: native build failed: ${reason}\n`);
    process.exit(1);
  }
  notice(reason);
  process.exit(0);
}

// Pick the most informative line out of node-gyp / compiler output.
function firstReason(output) {
  const lines = output
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter(Boolean);
  const patterns = [
    /Hyperscan\/Vectorscan headers not found.*/,
    /(?:\S+:\d+(?::\d+)?: )?fatal error: .*/,
    /(?:\S+:\d+(?::\d+)?: )?error: .*/,
    /cannot find -l\S+.*/,
    /undefined reference to .*/,
    /Could not find any Python.*/i,
    /not found: (?:make|g\+\+|gcc|cc|c\+\+).*/,
    /Cannot find module .*/,
  ];
  for (const re of patterns) {
    for (const l of lines) {
      const m = l.match(re);
      if (m) return m[0].replace(/^gyp ERR! \S+ /, '');
    }
  }
  const boring = /^gyp ERR! (?:System|command|cwd|node -v|node-gyp -v|not ok|stack\s+at )/;
  for (const l of lines) {
    if (l.startsWith('gyp ERR!') && !boring.test(l)) {
      return l.replace(/^gyp ERR! (?:\S+ )?/, '').trim();
    }
  }
  return lines.length > 0 ? lines[lines.length - 1] : 'unknown error';
}

function shorten(s, max = 200) {
  return s.length > max ? `${s.slice(0, max - 1)}…` : s;
}

function main() {
  if (!strict && process.env.OTEL_POLICY_HYPERSCAN === '0') {
    process.stderr.write(`${PKG}: native addon build skipped (OTEL_POLICY_HYPERSCAN=0); the engine will use the default re2js backend.\n`);
    return;
  }

  // 1. Library present? (cheap, and gives a clean message)
  let detected;
  try {
    detected = require('./hs-flags.cjs').detect();
  } catch (e) {
    detected = { error: String((e && e.message) || e) };
  }
  if ('error' in detected) return fail(detected.error);

  // 2. node-gyp present?
  let nodeGyp;
  try {
    nodeGyp = createRequire(path.join(pkgDir, 'package.json')).resolve('node-gyp/bin/node-gyp.js');
  } catch {
    return fail('node-gyp not found; run pnpm install first');
  }

  // 3. Build. Use local Node headers when present so nothing is downloaded.
  const gypArgs = [nodeGyp, 'rebuild'];
  const nodedir = path.resolve(process.execPath, '..', '..');
  if (fs.existsSync(path.join(nodedir, 'include', 'node', 'node.h'))) {
    gypArgs.push(`--nodedir=${nodedir}`);
  }
  if (verbose) gypArgs.push('--verbose');

  const res = spawnSync(process.execPath, gypArgs, {
    cwd: pkgDir,
    stdio: verbose ? 'inherit' : ['ignore', 'pipe', 'pipe'],
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
    env: process.env,
  });
  const output = verbose ? '' : `${res.stdout || ''}${res.stderr || ''}`;
  if (res.error) return fail(shorten(`could not run node-gyp: ${res.error.message}`), output);
  if (res.status !== 0) {
    const reason = res.signal ? `node-gyp killed by ${res.signal}` : firstReason(output);
    return fail(shorten(reason), output);
  }

  // 4. Make sure the result actually loads (libhs.so present at runtime,
  //    CPU supported, ...). Done in a child so a crash cannot take us down.
  const check = spawnSync(process.execPath, ['-e', `process.stdout.write(require(${JSON.stringify(ADDON)}).version())`], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  if (check.status !== 0) {
    const msg = (check.stderr || '').split(/\r?\n/).find((l) => /Error/.test(l)) || 'addon failed to load';
    return fail(shorten(`built, but loading failed: ${msg.trim()}`), `${output}${check.stderr || ''}`);
  }
  const ver = (check.stdout || '').trim();
  process.stdout.write(`${PKG}: native addon built (Hyperscan/Vectorscan ${ver.split(' ')[0] || ver})\n`);
}

main();
