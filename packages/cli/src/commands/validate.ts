import { compilePolicies, duplicatePolicyIds } from '@otel-policy/core';
import { InputError, UsageError, type ParsedArgs } from '../args.js';
import { readPolicyFile } from '../input.js';

export const VALIDATE_USAGE = `otel-policy validate FILE... (or --policies FILE, as eval takes it)

Parse and compile policy files; print every invalid policy's errors and every
id defined more than once (only its last definition is used), and every key
no policy field has (ignored; a typo, most likely). Exits 1 when a policy is
invalid, an id is repeated or a key unknown, 2 when a file cannot be read or
parsed at all.`;

export async function runValidate(args: ParsedArgs): Promise<number> {
  const files = [...(args.flags.get('policies') ?? []), ...args.positional];
  if (files.length === 0) throw new UsageError('give at least one policy file');
  let invalid = 0;
  let unreadable = 0;
  let duplicated = 0;
  let warned = 0;
  for (const file of files) {
    let set;
    try {
      set = await readPolicyFile(file);
    } catch (err) {
      if (!(err instanceof InputError)) throw err;
      process.stdout.write(`${err.message}\n`);
      unreadable++;
      continue;
    }
    const duplicates = duplicatePolicyIds(set);
    for (const [id, n] of duplicates) process.stdout.write(`${file}: ${id}: defined ${n} times; only the last definition is used\n`);
    for (const p of set.policies) for (const w of p.warnings ?? []) process.stdout.write(`${file}: ${p.id}: ${w}\n`);
    warned += set.policies.filter((p) => p.warnings?.length).length;
    const compiled = compilePolicies(set);
    for (const p of compiled.policies) {
      if (p.errors.length === 0) continue;
      invalid++;
      for (const e of p.errors) process.stdout.write(`${file}: ${p.id}: ${e}\n`);
    }
    const ok = compiled.policies.filter((p) => p.errors.length === 0).length;
    duplicated += duplicates.size;
    process.stdout.write(
      `${file}: ${ok} valid, ${compiled.policies.length - ok} invalid${duplicates.size > 0 ? `, ${duplicates.size} id${duplicates.size === 1 ? '' : 's'} defined more than once` : ''}\n`,
    );
  }
  return unreadable > 0 ? 2 : invalid > 0 || duplicated > 0 || warned > 0 ? 1 : 0;
}
