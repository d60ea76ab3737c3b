import { readFile } from 'node:fs/promises';
import { compilePolicies, parsePolicyText, PolicyParseError } from '@otel-policy/core';
import { UsageError, type ParsedArgs } from '../args.js';

export const VALIDATE_USAGE = `otel-policy validate FILE...

Parse and compile policy files; print every invalid policy's errors. Exits 1
when any file or policy is invalid.`;

export async function runValidate(args: ParsedArgs): Promise<number> {
  if (args.positional.length === 0) throw new UsageError('give at least one policy file');
  let bad = 0;
  for (const file of args.positional) {
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (err) {
      process.stdout.write(`${file}: cannot read: ${(err as Error).message}\n`);
      bad++;
      continue;
    }
    try {
      const compiled = compilePolicies(parsePolicyText(text, { source: file }));
      for (const p of compiled.policies) {
        if (p.errors.length === 0) continue;
        bad++;
        for (const e of p.errors) process.stdout.write(`${file}: ${p.id}: ${e}\n`);
      }
      const ok = compiled.policies.filter((p) => p.errors.length === 0).length;
      process.stdout.write(`${file}: ${ok} valid, ${compiled.policies.length - ok} invalid\n`);
    } catch (err) {
      if (!(err instanceof PolicyParseError)) throw err;
      process.stdout.write(`${file}: ${err.message}\n`);
      bad++;
    }
  }
  return bad > 0 ? 1 : 0;
}
