/**
 * The CLI over broken input, through the real binary: every user error is
 * one or two lines naming the file (and, for JSON/YAML, the line and
 * column), exit status 2, and no stack trace unless asked for.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { internalErrorText } from '../packages/cli/src/main.js';

const BIN = fileURLToPath(new URL('../packages/cli/bin/otel-policy.js', import.meta.url));
const built = existsSync(fileURLToPath(new URL('../packages/cli/dist/main.js', import.meta.url)));
const dir = mkdtempSync(path.join(tmpdir(), 'otel-policy-cli-errors-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const file = (name: string, content: string | Buffer) => {
  const f = path.join(dir, name);
  writeFileSync(f, content);
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
  ['a list of numbers as policies', () => ['eval', '--policies', file('nums.json', '[1, 2, 3]'), '--input', file('in.json', OK_INPUT)], /nums\.json: policies\[0\] must be a policy object, got a number/],
  ['"policies" not a list', () => ['eval', '--policies', file('notlist.yaml', 'policies: 7\n'), '--input', file('in.json', OK_INPUT)], /notlist\.yaml: "policies" must be a list, got a number/],
  ['a scalar as the policy document', () => ['eval', '--policies', file('scalar.yaml', 'hello\n'), '--input', file('in.json', OK_INPUT)], /scalar\.yaml: the document must be an object with a "policies" list, got a string/],
  ['a missing policy file', () => ['eval', '--policies', path.join(dir, 'nope.yaml'), '--input', file('in.json', OK_INPUT)], /nope\.yaml: cannot read: no such file/],
  ['a directory as the policy file', () => ['eval', '--policies', (mkdirSync(path.join(dir, 'd'), { recursive: true }), path.join(dir, 'd')), '--input', file('in.json', OK_INPUT)], /d: cannot read: is a directory/],
  ['a missing input', () => ['eval', '--policies', file('ok.yaml', OK_POLICIES), '--input', path.join(dir, 'none.json')], /none\.json: cannot read: no such file/],
  ['an empty input', () => ['eval', '--policies', file('ok.yaml', OK_POLICIES), '--input', file('empty.json', '')], /empty\.json: the file is empty/],
  ['a truncated input', () => ['eval', '--policies', file('ok.yaml', OK_POLICIES), '--input', file('tin.json', OK_INPUT.slice(0, 40))], /tin\.json:1:\d+: invalid JSON: unterminated string/],
  ['binary garbage as input', () => ['eval', '--policies', file('ok.yaml', OK_POLICIES), '--input', file('bin.json', Buffer.from([0xff, 0x00, 0x13, 0x37, 0x7b]))], /bin\.json:1:1: invalid JSON/],
  ['a top-level list as input', () => ['eval', '--policies', file('ok.yaml', OK_POLICIES), '--input', file('list.json', '[]')], /list\.json: expected an OTLP\/JSON object/],
  ['resourceLogs not a list', () => ['eval', '--policies', file('ok.yaml', OK_POLICIES), '--input', file('nope.json', '{"resourceLogs": "nope"}')], /nope\.json: resourceLogs: expected a list, got a string/],
  ['records that are numbers', () => ['eval', '--policies', file('ok.yaml', OK_POLICIES), '--input', file('num.json', '{"resourceLogs": [{"scopeLogs": [{"logRecords": [1]}]}]}')], /resourceLogs\[0\]\.scopeLogs\[0\]\.logRecords\[0\]: expected an object \(LogRecord\), got a number/],
  ['null records list entries are fine, a wrong field type is not', () => ['eval', '--policies', file('ok.yaml', OK_POLICIES), '--input', file('typ.json', '{"resourceSpans": [{"scopeSpans": [{"spans": [{"name": 5}]}]}]}')], /resourceSpans\[0\]\.scopeSpans\[0\]\.spans\[0\]\.name: expected a string, got a number/],
  ['a malformed int64', () => ['eval', '--policies', file('ok.yaml', OK_POLICIES), '--input', file('int.json', '{"resourceLogs": [{"scopeLogs": [{"logRecords": [{"timeUnixNano": "12abc"}]}]}]}')], /timeUnixNano: expected an integer/],
  ['nesting 100k deep', () => ['eval', '--policies', file('ok.yaml', OK_POLICIES), '--input', file('deep.json', `{"resourceLogs": [{"scopeLogs": [{"logRecords": [{"body": ${'{"arrayValue": {"values": ['.repeat(20_000)}${']}}'.repeat(20_000)}}]}]}]}`)], /nested more than 1000 levels deep/],
  ['unknown option', () => ['eval', '--policy', 'x'], /unknown option --policy/],
  ['a bad --signal', () => ['eval', '--policies', file('ok.yaml', OK_POLICIES), '--input', file('in.json', OK_INPUT), '--signal', 'bogus'], /--signal must be log, metric or trace/],
  ['an unknown command', () => ['frobnicate'], /unknown command "frobnicate"/],
  ['an unwritable --output', () => ['eval', '--policies', file('ok.yaml', OK_POLICIES), '--input', file('in.json', OK_INPUT), '--output', path.join(dir, 'no', 'such', 'dir.json')], /dir\.json: cannot write: no such file/],
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
  });

  it('names the policy file in warnings about invalid policies, and still evaluates (fail-open)', async () => {
    const r = await cli(['eval', '--policies', file('one-bad.yaml', OK_POLICIES + '  - id: broken\n    name: broken\n    log:\n      match:\n        - log_field: body\n          regex: "([bad"\n      keep: none\n'), '--input', file('in.json', OK_INPUT)]);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/one-bad\.yaml: policy "broken" is invalid/);
    // The only record is DEBUG: dropped by the valid policy, so nothing is left.
    expect(JSON.parse(r.stdout).resourceLogs).toEqual([]);
  });

  it('prints the stack only when asked (--debug or OTEL_POLICY_DEBUG=1)', async () => {
    const argv = ['eval', '--policies', path.join(dir, 'nope.yaml'), '--input', file('in.json', OK_INPUT)];
    expect((await cli([...argv, '--debug'])).stderr).toMatch(/^\s+at /m);
    expect((await cli(argv, { OTEL_POLICY_DEBUG: '1' })).stderr).toMatch(/^\s+at /m);
    expect((await cli(argv)).stderr).not.toMatch(/^\s+at /m);
  });

  it('says an internal error in one line with a pointer to --debug, and gives the stack with it', () => {
    const err = new Error('boom\nsecond line');
    expect(internalErrorText(err, false)).toBe('otel-policy: internal error: boom (run with --debug for details)\n');
    expect(internalErrorText(err, true)).toContain('    at ');
  });

  it('prints a command\'s usage with --help, exit 0', async () => {
    const r = await cli(['eval', '--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('otel-policy eval (--policies FILE');
    expect(r.stdout).toContain('Exit status: 0 done, 1 a runtime or internal failure, 2 a usage or input');
  });
});
