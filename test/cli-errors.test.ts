/**
 * The CLI over broken input, through the real binary: every user error is
 * one or two lines naming the file (and, for JSON/YAML, the line and
 * column), exit status 2, and no stack trace unless asked for.
 */
import { execFile, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { internalErrorText } from '../packages/cli/src/main.js';

const BIN = fileURLToPath(new URL('../packages/cli/bin/otel-policy.js', import.meta.url));
const built = existsSync(fileURLToPath(new URL('../packages/cli/dist/main.js', import.meta.url)));
const dir = mkdtempSync(path.join(tmpdir(), 'otel-policy-cli-errors-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// Written whole, then renamed into place: the cases run concurrently and several write the same file (ok.yaml), and
// a CLI reading it mid-write would see an empty file, which is refused as a policy file.
let written = 0;
const file = (name: string, content: string | Buffer) => {
  const f = path.join(dir, name);
  const tmp = `${f}.${process.pid}.${written++}.tmp`;
  writeFileSync(tmp, content);
  renameSync(tmp, f);
  return f;
};

function cli(args: string[], env: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], { cwd: dir, env: { ...process.env, OTEL_POLICY_DEBUG: '', ...env }, timeout: 30_000 }, (err, stdout, stderr) =>
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

const OK_POLICIES = 'policies:\n  - id: drop-debug\n    name: drop debug\n    log:\n      match:\n        - log_field: severity_text\n          equals: DEBUG\n      keep: none\n';
const OK_INPUT = JSON.stringify({ resourceLogs: [{ scopeLogs: [{ logRecords: [{ severityText: 'DEBUG', body: { stringValue: 'x' } }] }] }] });

/** [what, argv builder, text the one line must contain] */
const CASES: [string, () => string[], RegExp][] = [
  ['truncated JSON policies', () => ['eval', '--policies', file('trunc.json', '{"policies": [{"id": "a"'), '--input', file('in.json', OK_INPUT)], /trunc\.json:1:\d+: invalid JSON: expected/],
  ['YAML indented with tabs', () => ['eval', '--policies', file('tabs.yaml', 'policies:\n\t- id: x\n'), '--input', file('in.json', OK_INPUT)], /tabs\.yaml:2:1: invalid YAML: Tabs/],
  [
    'a list of numbers as policies',
    () => ['eval', '--policies', file('nums.json', '[1, 2, 3]'), '--input', file('in.json', OK_INPUT)],
    /nums\.json: policies\[0\] must be a policy object, got a number/,
  ],
  ['"policies" not a list', () => ['eval', '--policies', file('notlist.yaml', 'policies: 7\n'), '--input', file('in.json', OK_INPUT)], /notlist\.yaml: "policies" must be a list, got a number/],
  [
    'a scalar as the policy document',
    () => ['eval', '--policies', file('scalar.yaml', 'hello\n'), '--input', file('in.json', OK_INPUT)],
    /scalar\.yaml: the document must be an object with a "policies" list, got a string/,
  ],
  ['a missing policy file', () => ['eval', '--policies', path.join(dir, 'nope.yaml'), '--input', file('in.json', OK_INPUT)], /nope\.yaml: cannot read: no such file/],
  [
    'a directory as the policy file',
    () => ['eval', '--policies', (mkdirSync(path.join(dir, 'd'), { recursive: true }), path.join(dir, 'd')), '--input', file('in.json', OK_INPUT)],
    /d: cannot read: is a directory/,
  ],
  ['a missing input', () => ['eval', '--policies', file('ok.yaml', OK_POLICIES), '--input', path.join(dir, 'none.json')], /none\.json: cannot read: no such file/],
  ['an empty input', () => ['eval', '--policies', file('ok.yaml', OK_POLICIES), '--input', file('empty.json', '')], /empty\.json: the file is empty/],
  ['a truncated input', () => ['eval', '--policies', file('ok.yaml', OK_POLICIES), '--input', file('tin.json', OK_INPUT.slice(0, 40))], /tin\.json:1:\d+: invalid JSON: unterminated string/],
  ['binary garbage as input', () => ['eval', '--policies', file('ok.yaml', OK_POLICIES), '--input', file('bin.json', Buffer.from([0xff, 0x00, 0x13, 0x37, 0x7b]))], /bin\.json:1:1: not UTF-8 text/],
  [
    'binary garbage as policies',
    () => ['eval', '--policies', file('bin.yaml', Buffer.from('policies:\n  - id: caf\xe9\n', 'latin1')), '--input', file('in.json', OK_INPUT)],
    /bin\.yaml:2:12: not UTF-8 text/,
  ],
  [
    'a UTF-16 policy file',
    () => ['eval', '--policies', file('utf16.yaml', Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(OK_POLICIES, 'utf16le')])), '--input', file('in.json', OK_INPUT)],
    /utf16\.yaml: the file is UTF-16 text; save it as UTF-8/,
  ],
  ['a NUL character in the input', () => ['eval', '--policies', file('ok.yaml', OK_POLICIES), '--input', file('nul.json', '{"resourceLogs": [\n  \u0000]}')], /nul\.json:2:3: a NUL character/],
  ['an input of only whitespace', () => ['eval', '--policies', file('ok.yaml', OK_POLICIES), '--input', file('ws.json', ' \n\t\n')], /ws\.json: the file is empty/],
  [
    'an empty object as input, no --signal',
    () => ['eval', '--policies', file('ok.yaml', OK_POLICIES), '--input', file('obj.json', '{}')],
    /obj\.json: expected an OTLP\/JSON payload with resourceLogs, resourceMetrics or resourceSpans, got an empty object/,
  ],
  [
    'snake_case keys in the input',
    () => ['eval', '--policies', file('ok.yaml', OK_POLICIES), '--input', file('snake.json', '{"resourceLogs": [{"scopeLogs": [{"logRecords": [{"severity_text": "DEBUG"}]}]}]}')],
    /snake\.json: resourceLogs\[0\]\.scopeLogs\[0\]\.logRecords\[0\]\.severity_text: OTLP\/JSON keys are lowerCamelCase: write "severityText"/,
  ],
  [
    'two signals in one payload',
    () => ['eval', '--policies', file('ok.yaml', OK_POLICIES), '--input', file('two.json', '{"resourceLogs": [], "resourceSpans": []}')],
    /two\.json: resourceSpans: a logs payload \(resourceLogs\) cannot hold traces/,
  ],
  [
    '--signal naming another signal than the payload',
    () => ['eval', '--policies', file('ok.yaml', OK_POLICIES), '--input', file('in.json', OK_INPUT), '--signal', 'trace'],
    /in\.json: resourceLogs: a traces payload \(resourceSpans\) cannot hold logs/,
  ],
  [
    'a number too large for its field',
    () => ['eval', '--policies', file('ok.yaml', OK_POLICIES), '--input', file('huge.json', '{"resourceLogs": [{"scopeLogs": [{"logRecords": [{"droppedAttributesCount": 1e999}]}]}]}')],
    /huge\.json: .*droppedAttributesCount: expected a non-negative integer, got Infinity/,
  ],
  [
    'YAML policies nested 100k deep',
    () => ['eval', '--policies', file('deep.yaml', `policies: ${'['.repeat(100_000)}`), '--input', file('in.json', OK_INPUT)],
    /deep\.yaml:1:211: invalid YAML: nested more than 200 levels deep/,
  ],
  [
    'truncated JSON policies nested 100k deep',
    () => ['eval', '--policies', file('deep-policies.json', `{"policies": [${'{"a": ['.repeat(100_000)}`), '--input', file('in.json', OK_INPUT)],
    /deep-policies\.json:1:\d+: invalid JSON: nested more than 1000 levels deep/,
  ],
  ['no command', () => [], /no command given/],
  ['a top-level list as input', () => ['eval', '--policies', file('ok.yaml', OK_POLICIES), '--input', file('list.json', '[]')], /list\.json: expected an OTLP\/JSON object/],
  [
    'resourceLogs not a list',
    () => ['eval', '--policies', file('ok.yaml', OK_POLICIES), '--input', file('nope.json', '{"resourceLogs": "nope"}')],
    /nope\.json: resourceLogs: expected a list, got a string/,
  ],
  [
    'records that are numbers',
    () => ['eval', '--policies', file('ok.yaml', OK_POLICIES), '--input', file('num.json', '{"resourceLogs": [{"scopeLogs": [{"logRecords": [1]}]}]}')],
    /resourceLogs\[0\]\.scopeLogs\[0\]\.logRecords\[0\]: expected an object \(LogRecord\), got a number/,
  ],
  [
    'null records list entries are fine, a wrong field type is not',
    () => ['eval', '--policies', file('ok.yaml', OK_POLICIES), '--input', file('typ.json', '{"resourceSpans": [{"scopeSpans": [{"spans": [{"name": 5}]}]}]}')],
    /resourceSpans\[0\]\.scopeSpans\[0\]\.spans\[0\]\.name: expected a string, got a number/,
  ],
  [
    'a malformed int64',
    () => ['eval', '--policies', file('ok.yaml', OK_POLICIES), '--input', file('int.json', '{"resourceLogs": [{"scopeLogs": [{"logRecords": [{"timeUnixNano": "12abc"}]}]}]}')],
    /timeUnixNano: expected an integer/,
  ],
  [
    'nesting 100k deep',
    () => [
      'eval',
      '--policies',
      file('ok.yaml', OK_POLICIES),
      '--input',
      file('deep.json', `{"resourceLogs": [{"scopeLogs": [{"logRecords": [{"body": ${'{"arrayValue": {"values": ['.repeat(20_000)}${']}}'.repeat(20_000)}}]}]}]}`),
    ],
    /nested more than 1000 levels deep/,
  ],
  ['unknown option', () => ['eval', '--policy', 'x'], /unknown option --policy/],
  ['a bad --signal', () => ['eval', '--policies', file('ok.yaml', OK_POLICIES), '--input', file('in.json', OK_INPUT), '--signal', 'bogus'], /--signal must be log, metric or trace/],
  ['an unknown command', () => ['frobnicate'], /unknown command "frobnicate"/],
  [
    'an unwritable --output',
    () => ['eval', '--policies', file('ok.yaml', OK_POLICIES), '--input', file('in.json', OK_INPUT), '--output', path.join(dir, 'no', 'such', 'dir.json')],
    /dir\.json: cannot write: no such file/,
  ],
];

describe.skipIf(!built)('CLI errors', () => {
  it.concurrent.each(CASES)('%s: one clear line, exit 2, no stack trace', async (_what, argv, message) => {
    const r = await cli(argv());
    expect(r.code).toBe(2);
    const lines = r.stderr.trimEnd().split('\n');
    expect(lines.length).toBeLessThanOrEqual(2);
    expect(lines[0]).toMatch(/^otel-policy: /);
    expect(lines[0]).toMatch(message);
    expect(r.stderr).not.toMatch(/^\s+at /m);
  });

  it('validate reports every file, exit 2 when one cannot be parsed and 1 when only policies are invalid', async () => {
    const bad = await cli(['validate', file('v-trunc.json', '{"policies": ['), file('v-ok.yaml', OK_POLICIES)]);
    expect(bad.code).toBe(2);
    expect(bad.stdout).toMatch(/v-trunc\.json:1:15: invalid JSON/);
    expect(bad.stdout).toContain('v-ok.yaml: 1 valid, 0 invalid');
    const invalid = await cli(['validate', file('v-regex.yaml', 'policies:\n  - id: r\n    name: r\n    log:\n      match:\n        - log_field: body\n          regex: "([bad"\n      keep: none\n')]);
    expect(invalid.code).toBe(1);
    expect(invalid.stdout).toContain('v-regex.yaml: r: ');
    // An id defined twice: only the last definition would be used, silently. Said, and exit 1.
    const twice = 'policies:\n  - { id: a, log: { match: [{ log_field: body, contains: x }], keep: none } }\n  - { id: a, log: { match: [{ log_field: body, contains: y }], keep: none } }\n';
    const dup = await cli(['validate', file('v-dup.yaml', twice)]);
    expect(dup.code).toBe(1);
    expect(dup.stdout).toContain('v-dup.yaml: a: defined 2 times; only the last definition is used');
    expect(dup.stdout).toContain('v-dup.yaml: 1 valid, 0 invalid, 1 id defined more than once');
    // A key no policy field has (a typo) is named, where it is.
    const typo = await cli(['validate', file('v-typo.yaml', 'policies:\n  - { id: t, log: { match: [{ log_field: body, contains: x }], kepp: none } }\n')]);
    expect(typo.code).toBe(1);
    expect(typo.stdout).toContain('v-typo.yaml: t: log: unknown key "kepp" (ignored)');
    // An empty file is no policy list (a truncated file must not read as "no policies").
    const empty = await cli(['validate', file('v-empty.yaml', '# nothing\n')]);
    expect(empty.code).toBe(2);
    expect(empty.stdout).toMatch(/v-empty\.yaml: the file holds no policies list \(it is empty, or only comments\); write "policies: \[\]" for none/);
  });

  it('names the policy file in warnings about invalid policies, and still evaluates (fail-open)', async () => {
    const r = await cli([
      'eval',
      '--policies',
      file('one-bad.yaml', OK_POLICIES + '  - id: broken\n    name: broken\n    log:\n      match:\n        - log_field: body\n          regex: "([bad"\n      keep: none\n'),
      '--input',
      file('in.json', OK_INPUT),
    ]);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/one-bad\.yaml: policy "broken" is invalid/);
    // The only record is DEBUG: dropped by the valid policy, so nothing is left.
    expect(JSON.parse(r.stdout).resourceLogs).toEqual([]);
  });

  it('accepts what only looks odd: byte order marks, "__proto__" keys, a policy nested too deeply (inert, reported)', async () => {
    const bom = await cli(['eval', '--policies', file('bom.yaml', `\uFEFF${OK_POLICIES}`), '--input', file('bom.json', `\uFEFF${OK_INPUT}`)]);
    expect(bom).toMatchObject({ code: 0, stderr: '' });
    expect(JSON.parse(bom.stdout).resourceLogs).toEqual([]);
    const proto = await cli([
      'eval',
      '--policies',
      file('ok.yaml', OK_POLICIES),
      '--input',
      file('proto.json', '{"resourceLogs": [{"__proto__": {"a": 1}, "constructor": "x", "scopeLogs": [{"logRecords": [{"severityText": "INFO", "toString": 1}]}]}]}'),
    ]);
    expect(proto).toMatchObject({ code: 0, stderr: '' });
    expect(JSON.parse(proto.stdout).resourceLogs[0].scopeLogs[0].logRecords).toHaveLength(1);
    const deep = `${'{"a": '.repeat(100_000)}1${'}'.repeat(100_000)}`;
    const r = await cli([
      'eval',
      '--policies',
      file('deep-value.json', `{"policies": [{"id": "deep", "name": "d", "log": {"match": [{"log_field": "body", "regex": ${deep}}], "keep": "none"}}]}`),
      '--input',
      file('in.json', OK_INPUT),
    ]);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/^otel-policy: \S*deep-value\.json: policy "deep" is invalid and inert: policy nested more than 64 levels deep \(at log\.match\[0\]\.regex\.a\.a/);
    expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
  });

  it('prints the stack only when asked (--debug or OTEL_POLICY_DEBUG=1)', async () => {
    const argv = ['eval', '--policies', path.join(dir, 'nope.yaml'), '--input', file('in.json', OK_INPUT)];
    expect((await cli([...argv, '--debug'])).stderr).toMatch(/^\s+at /m);
    expect((await cli(argv, { OTEL_POLICY_DEBUG: '1' })).stderr).toMatch(/^\s+at /m);
    expect((await cli(argv)).stderr).not.toMatch(/^\s+at /m);
  });

  it('an internal error: one line and exit 1; the stack with --debug (anywhere) or OTEL_POLICY_DEBUG=1', async () => {
    const hook = { OTEL_POLICY_TEST_INTERNAL_ERROR: '1' };
    const plain = await cli(['eval', '--policies', file('ok.yaml', OK_POLICIES), '--input', file('in.json', OK_INPUT)], hook);
    expect(plain.code).toBe(1);
    expect(plain.stderr).toBe('otel-policy: internal error: a test of the internal-error path (OTEL_POLICY_TEST_INTERNAL_ERROR=1) (run with --debug for details)\n');
    for (const [argv, env] of [
      [['--debug', 'eval'], hook],
      [['eval', '--debug'], hook],
      [['eval'], { ...hook, OTEL_POLICY_DEBUG: '1' }],
    ] as const) {
      const r = await cli([...argv], env);
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/^otel-policy: internal error: Error: a test of the internal-error path/);
      expect(r.stderr).toMatch(/^\s+at main /m);
    }
  });

  it('a reader that closes the pipe early (| head) is no error: exit 0, nothing on stderr, --stats still written', async () => {
    const records = Array.from({ length: 5000 }, () => ({ severityText: 'INFO', body: { stringValue: 'x'.repeat(100) } }));
    const stats = path.join(dir, 'epipe-stats.json');
    const child = spawn(
      process.execPath,
      [BIN, 'eval', '--policies', file('ok.yaml', OK_POLICIES), '--input', file('big.json', JSON.stringify({ resourceLogs: [{ scopeLogs: [{ logRecords: records }] }] })), '--stats', stats],
      { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, OTEL_POLICY_DEBUG: '' } },
    );
    child.stdout.destroy();
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d));
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
    expect(JSON.parse(readFileSync(stats, 'utf8'))).toHaveProperty('policies');
  });

  it('says an internal error in one line with a pointer to --debug, and gives the stack with it', () => {
    const err = new Error('boom\nsecond line');
    expect(internalErrorText(err, false)).toBe('otel-policy: internal error: boom (run with --debug for details)\n');
    expect(internalErrorText(err, true)).toContain('    at ');
  });

  it("prints a command's usage with --help, exit 0", async () => {
    const r = await cli(['eval', '--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('otel-policy eval (--policies FILE');
    expect(r.stdout).toContain('Exit status: 0 done, 1 a runtime or internal failure, 2 a usage or input');
  });
});
