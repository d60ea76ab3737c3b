/**
 * FilePolicyProvider: what a policy file or directory delivers and when.
 * The safety property under test is that a reload never applies a file
 * caught half written (a partial YAML can parse and lack its redact
 * transform); the liveness properties are that a file renamed into place is
 * taken promptly, that a missing file or directory is picked up by the watch
 * once it appears, and that `loadSync` and `start` agree on what was loaded.
 */
import { closeSync, mkdirSync, mkdtempSync, openSync, renameSync, rmSync, unlinkSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { parsePolicyText, type PolicySet } from '@otel-policy/core';
import { FilePolicyProvider, type FileProviderOptions } from '@otel-policy/providers';

const work = mkdtempSync(path.join(tmpdir(), 'otel-policy-file-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

let n = 0;
/** A fresh path under the work directory. */
const fresh = (name = 'policies.yaml') => path.join(mkdtempSync(path.join(work, `t${n++}-`)), name);

const providers: FilePolicyProvider[] = [];
afterEach(async () => {
  await Promise.all(providers.splice(0).map((p) => p.shutdown()));
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function waitFor(cond: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

/** A log policy that drops records whose body contains `id`. */
const dropPolicy = (id: string) => `  - id: ${id}\n    log:\n      match:\n        - log_field: body\n          contains: ${id}\n      keep: none\n`;

/** The policy whose loss would let secrets out. */
const REDACT =
  '  - id: redact-secrets\n' +
  '    log:\n' +
  '      match:\n' +
  '        - log_field: body\n' +
  '          contains: "secret="\n' +
  '      transform:\n' +
  '        redact:\n' +
  '          - log_field: body\n' +
  "            regex: 'secret=\\S+'\n" +
  '            replacement: "secret=<redacted>"\n';

/** A file of drop policies followed by the redact policy, and the prefix of it a slow writer leaves on disk first. */
function withRedact(...ids: string[]): { full: string; partial: string } {
  const head = `policies:\n${ids.map(dropPolicy).join('')}`;
  const full = head + REDACT;
  // Cut inside the redact policy, just before its transform: still valid YAML, still valid policies.
  const partial = full.slice(0, full.indexOf('      transform:'));
  return { full, partial };
}

const plain = (...ids: string[]) => `policies:\n${ids.map(dropPolicy).join('')}`;

const ids = (set: PolicySet) => set.policies.map((p) => p.id);
const hasRedact = (set: PolicySet) => set.policies.some((p) => p.id === 'redact-secrets' && (p.log?.transform?.redact?.length ?? 0) > 0);

/** Records what a provider delivers, with when. */
class Recorder {
  readonly sets: { at: number; ids: string[]; set: PolicySet }[] = [];
  readonly errors: Error[] = [];
  readonly listener = {
    onPolicies: (set: PolicySet) => this.sets.push({ at: Date.now(), ids: ids(set), set }),
    onError: (error: Error) => this.errors.push(error),
  };
  get last(): string[] | undefined {
    return this.sets.at(-1)?.ids;
  }
  has(...want: string[]): boolean {
    return this.sets.some((s) => JSON.stringify(s.ids) === JSON.stringify(want));
  }
}

function provider(options: FileProviderOptions): FilePolicyProvider {
  const p = new FilePolicyProvider(options);
  providers.push(p);
  return p;
}

/** Write `text` in place (truncate, then write in pieces with pauses), as a slow writer or a stalled pipe does. */
async function slowWrite(file: string, pieces: string[], pauseMs: number): Promise<void> {
  const fd = openSync(file, 'w');
  try {
    for (let i = 0; i < pieces.length; i++) {
      if (i > 0) await sleep(pauseMs);
      writeSync(fd, pieces[i]);
    }
  } finally {
    closeSync(fd);
  }
}

/** Write to a temporary name in the same directory, then rename over the target: readers never see a partial file. */
function atomicWrite(file: string, text: string): void {
  const tmp = `${file}.${process.pid}.${n++}.tmp`;
  writeFileSync(tmp, text);
  renameSync(tmp, file);
}

describe('FilePolicyProvider: no half-written file is ever taken', () => {
  it('never delivers a valid but partial YAML written in place with a 300 ms pause (default settle interval)', async () => {
    const file = fresh();
    const v1 = withRedact('one');
    const v2 = withRedact('two', 'three');
    // The partial file is a valid policy set without the redact transform: exactly what must never apply.
    expect(hasRedact(parsePolicyText(v2.partial))).toBe(false);
    writeFileSync(file, v1.full);
    const rec = new Recorder();
    await provider({ path: file, pollIntervalSecs: 0.1 }).start(rec.listener);
    expect(rec.sets.map((s) => s.ids)).toEqual([['one', 'redact-secrets']]);

    // Half, pause, rest; then the same again for a further edit, pausing twice.
    await slowWrite(file, [v2.partial, v2.full.slice(v2.partial.length)], 300);
    await waitFor(() => rec.has('two', 'three', 'redact-secrets'), 10_000, 'the complete second version');
    const v3 = withRedact('four');
    const third = Math.floor(v3.partial.length / 2);
    await slowWrite(file, [v3.partial.slice(0, third), v3.partial.slice(third), v3.full.slice(v3.partial.length)], 300);
    await waitFor(() => rec.has('four', 'redact-secrets'), 10_000, 'the complete third version');

    for (const s of rec.sets) expect(hasRedact(s.set), `delivered ${s.ids.join(',')}`).toBe(true);
    expect(rec.sets.map((s) => s.ids)).toEqual([
      ['one', 'redact-secrets'],
      ['two', 'three', 'redact-secrets'],
      ['four', 'redact-secrets'],
    ]);
    expect(rec.errors).toEqual([]);
  });

  it('never delivers a partial file in a directory: the whole set must hold still', async () => {
    const dir = path.dirname(fresh());
    const a = path.join(dir, 'a.yaml');
    const b = path.join(dir, 'b.yaml');
    writeFileSync(a, plain('alpha'));
    writeFileSync(b, withRedact('beta').full);
    const rec = new Recorder();
    await provider({ path: dir, pollIntervalSecs: 0.1, settleMs: 700 }).start(rec.listener);
    expect(rec.last).toEqual(['alpha', 'beta', 'redact-secrets']);

    const v2 = withRedact('gamma');
    await slowWrite(b, [v2.partial, v2.full.slice(v2.partial.length)], 300);
    await waitFor(() => rec.has('alpha', 'gamma', 'redact-secrets'), 10_000, 'the complete directory');
    for (const s of rec.sets) expect(hasRedact(s.set), `delivered ${s.ids.join(',')}`).toBe(true);
    expect(rec.sets.length).toBe(2);
  });

  it('takes a file renamed into place without waiting for the settle interval, and holds an in-place write for it', async () => {
    const file = fresh();
    writeFileSync(file, plain('one'));
    const rec = new Recorder();
    // Polling off and a long settle interval: only the rename path can deliver quickly.
    await provider({ path: file, pollIntervalSecs: 0, settleMs: 5000 }).start(rec.listener);
    expect(rec.last).toEqual(['one']);

    // An in-place write is held (it might be half of something) ...
    writeFileSync(file, plain('two'));
    await sleep(600);
    expect(rec.sets.length).toBe(1);

    // ... while a file renamed over it is complete by construction and taken promptly.
    const renamedAt = Date.now();
    atomicWrite(file, plain('three'));
    await waitFor(() => rec.last?.[0] === 'three', 4000, 'the renamed file (well before the 5 s settle interval)');
    expect(rec.sets.at(-1)!.at - renamedAt).toBeLessThan(4000);
    // And again: the directory watch survives the rename-over.
    atomicWrite(file, plain('four'));
    await waitFor(() => rec.last?.[0] === 'four', 4000, 'the second renamed file');
    expect(rec.sets.map((s) => s.ids)).toEqual([['one'], ['three'], ['four']]);
  });

  it('does not take a file created in place (delete, create, write slowly) for one renamed into place', async () => {
    const file = fresh();
    const v1 = withRedact('one');
    writeFileSync(file, v1.full);
    const rec = new Recorder();
    await provider({ path: file, pollIntervalSecs: 0, settleMs: 800 }).start(rec.listener);
    const v2 = withRedact('two');
    unlinkSync(file);
    await slowWrite(file, [v2.partial, v2.full.slice(v2.partial.length)], 300);
    await waitFor(() => rec.has('two', 'redact-secrets'), 10_000, 'the recreated file');
    for (const s of rec.sets) expect(hasRedact(s.set), `delivered ${s.ids.join(',')}`).toBe(true);
  });
});

describe('FilePolicyProvider: files and directories that appear later', () => {
  it('picks up a missing file once it is created, from the watch alone (polling off)', async () => {
    const file = fresh();
    const rec = new Recorder();
    await provider({ path: file, pollIntervalSecs: 0, settleMs: 100 }).start(rec.listener);
    expect(rec.sets).toEqual([]);
    expect(rec.errors.length).toBe(1);
    expect(rec.errors[0].message).toContain(file);

    const created = Date.now();
    writeFileSync(file, plain('late'));
    await waitFor(() => rec.last?.[0] === 'late', 3000, 'the created file');
    expect(rec.sets.at(-1)!.at - created).toBeLessThan(3000);
  });

  it('picks up a file renamed into a missing parent directory that appears later (polling off, default settle)', async () => {
    const base = path.dirname(fresh());
    const file = path.join(base, 'later', 'conf', 'policies.yaml');
    const rec = new Recorder();
    await provider({ path: file, pollIntervalSecs: 0 }).start(rec.listener);
    expect(rec.errors.length).toBe(1);
    mkdirSync(path.dirname(file), { recursive: true });
    await sleep(300);
    atomicWrite(file, plain('nested'));
    await waitFor(() => rec.last?.[0] === 'nested', 3000, 'the file in the new directory');
  });

  it('picks up a directory that appears later, and files renamed into it', async () => {
    const dir = path.join(path.dirname(fresh()), 'policies.d');
    const rec = new Recorder();
    await provider({ path: dir, pollIntervalSecs: 0, settleMs: 100 }).start(rec.listener);
    expect(rec.errors.length).toBe(1);
    mkdirSync(dir);
    writeFileSync(path.join(dir, 'a.yaml'), plain('alpha'));
    await waitFor(() => rec.last?.[0] === 'alpha', 3000, 'the new directory');
    atomicWrite(path.join(dir, 'b.yml'), plain('beta'));
    await waitFor(() => rec.last?.join() === 'alpha,beta', 3000, 'a file renamed into the directory');
    expect(rec.errors.length).toBe(1);
  });

  it('reports a deleted file once and picks up its recreation', async () => {
    const file = fresh();
    writeFileSync(file, plain('one'));
    const rec = new Recorder();
    await provider({ path: file, pollIntervalSecs: 0.05, settleMs: 50 }).start(rec.listener);
    unlinkSync(file);
    await waitFor(() => rec.errors.length > 0, 3000, 'the deletion to be reported');
    // Many polls later, still one report; the last good set stays in force (nothing delivered).
    await sleep(500);
    expect(rec.errors.length).toBe(1);
    expect(rec.errors[0].message).toContain(file);
    expect(rec.sets.length).toBe(1);
    writeFileSync(file, plain('two'));
    await waitFor(() => rec.last?.[0] === 'two', 3000, 'the recreated file');
    expect(rec.errors.length).toBe(1);
  });
});

describe('FilePolicyProvider: bad input', () => {
  it('keeps the last good set and reports each distinct error once, not once per poll', async () => {
    const file = fresh();
    writeFileSync(file, plain('good'));
    const rec = new Recorder();
    await provider({ path: file, pollIntervalSecs: 0.05, settleMs: 50 }).start(rec.listener);
    atomicWrite(file, 'policies: [\n');
    await waitFor(() => rec.errors.length > 0, 3000, 'the first error');
    await sleep(500);
    expect(rec.errors.length).toBe(1);
    expect(rec.errors[0].message).toContain(file);
    atomicWrite(file, 'policies:\n  - id: x\n    log: {match: [}\n');
    await waitFor(() => rec.errors.length > 1, 3000, 'the second, different error');
    await sleep(500);
    expect(rec.errors.length).toBe(2);
    expect(rec.sets.map((s) => s.ids)).toEqual([['good']]);
    atomicWrite(file, plain('fixed'));
    await waitFor(() => rec.last?.[0] === 'fixed', 3000, 'the fixed file');
    // Broken again the same way as before: reported again (it is news after a good set).
    atomicWrite(file, 'policies: [\n');
    await waitFor(() => rec.errors.length > 2, 3000, 'the error after the fix');
  });

  it('keeps the last good set when the file is left empty (truncated in place, a writer that crashed)', async () => {
    const file = fresh();
    writeFileSync(file, plain('good'));
    const rec = new Recorder();
    await provider({ path: file, pollIntervalSecs: 0.05, settleMs: 50 }).start(rec.listener);
    writeFileSync(file, '');
    await waitFor(() => rec.errors.length > 0, 3000, 'the error');
    expect(rec.errors[0].message).toMatch(/holds no policies list \(it is empty, or only comments\)/);
    writeFileSync(file, '# policies are coming\n');
    await sleep(400);
    expect(rec.sets.map((s) => s.ids)).toEqual([['good']]);
    writeFileSync(file, 'policies: []\n');
    await waitFor(() => rec.sets.length === 2, 3000, 'the explicit empty set');
    expect(rec.last).toEqual([]);
  });
});

describe('FilePolicyProvider.loadSync', () => {
  it('throws a clear error naming the path when the file is missing, and start still picks the file up when it appears', async () => {
    const file = fresh();
    const p = provider({ path: file, pollIntervalSecs: 0, settleMs: 100 });
    expect(() => p.loadSync()).toThrow(file);
    let message = '';
    try {
      p.loadSync();
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).not.toContain('\n');
    const rec = new Recorder();
    await p.start(rec.listener);
    // The caller of loadSync reported the missing file already.
    expect(rec.errors).toEqual([]);
    expect(rec.sets).toEqual([]);
    atomicWrite(file, plain('appeared'));
    await waitFor(() => rec.last?.[0] === 'appeared', 3000, 'the file that appeared');
  });

  it('returns the set synchronously and start does not deliver it again', async () => {
    const file = fresh();
    writeFileSync(file, withRedact('sync').full);
    const p = provider({ path: file, pollIntervalSecs: 0.05, settleMs: 50 });
    expect(ids(p.loadSync())).toEqual(['sync', 'redact-secrets']);
    const rec = new Recorder();
    await p.start(rec.listener);
    await sleep(300);
    expect(rec.sets).toEqual([]);
    expect(rec.errors).toEqual([]);
    // A later change is delivered as usual.
    atomicWrite(file, plain('next'));
    await waitFor(() => rec.last?.[0] === 'next', 3000, 'the change after start');
  });

  it('delivers from start what changed between loadSync and start', async () => {
    const file = fresh();
    writeFileSync(file, plain('before'));
    const p = provider({ path: file, pollIntervalSecs: 0, settleMs: 100 });
    expect(ids(p.loadSync())).toEqual(['before']);
    writeFileSync(file, plain('after'));
    const rec = new Recorder();
    await p.start(rec.listener);
    await waitFor(() => rec.last?.[0] === 'after', 3000, 'the change made before start');
    expect(rec.sets.map((s) => s.ids)).toEqual([['after']]);
  });

  it('reads a directory synchronously; a parse error names the file and is not reported again by start', async () => {
    const dir = path.dirname(fresh());
    writeFileSync(path.join(dir, 'b.yaml'), plain('beta'));
    writeFileSync(path.join(dir, 'a.json'), JSON.stringify({ policies: [{ id: 'alpha', log: { match: [{ log_field: 'body', contains: 'a' }], keep: 'none' } }] }));
    writeFileSync(path.join(dir, 'notes.txt'), 'not a policy file');
    const p = provider({ path: dir, pollIntervalSecs: 0, settleMs: 100 });
    expect(ids(p.loadSync())).toEqual(['alpha', 'beta']);

    const broken = path.join(path.dirname(fresh()), 'policies.d');
    mkdirSync(broken);
    writeFileSync(path.join(broken, 'bad.yaml'), 'policies: [\n');
    const q = provider({ path: broken, pollIntervalSecs: 0, settleMs: 100 });
    expect(() => q.loadSync()).toThrow(path.join(broken, 'bad.yaml'));
    const rec = new Recorder();
    await q.start(rec.listener);
    expect(rec.errors).toEqual([]);
    atomicWrite(path.join(broken, 'bad.yaml'), plain('repaired'));
    await waitFor(() => rec.last?.[0] === 'repaired', 3000, 'the repaired file');
  });
});
