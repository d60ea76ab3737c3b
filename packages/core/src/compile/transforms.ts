/** Compiling a log policy's transform stages (remove, redact, rename, add) into ops. */
import type { Policy } from '../policy/types.js';
import { RefKind, type FieldRef, type FieldRefTable } from '../match/field-ref.js';
import { compileRe2 } from '../match/re2.js';
import { compileTemplate } from '../actions/redact.js';
import { TransformKind, type TransformOp } from './types.js';

export function compileTransforms(t: NonNullable<NonNullable<Policy['log']>['transform']>, refs: FieldRefTable, errs: string[]): TransformOp[] {
  const ops: TransformOp[] = [];
  const base = { value: '', to: undefined, upsert: false, regex: undefined, template: undefined };
  const where = (stage: string, i: number) => `log: transform: ${stage}[${i}]`;
  t.remove.forEach((r, i) => {
    const ref = refs.resolve('log', r.field);
    if (typeof ref === 'string') errs.push(`${where('remove', i)}: ${ref}`);
    else ops.push({ ...base, kind: TransformKind.Remove, ref });
  });
  t.redact.forEach((r, i) => {
    const ref = refs.resolve('log', r.field);
    if (typeof ref === 'string') {
      errs.push(`${where('redact', i)}: ${ref}`);
      return;
    }
    if (r.regex === undefined) {
      ops.push({ ...base, kind: TransformKind.Redact, ref, value: r.replacement });
      return;
    }
    const re = compileRe2(r.regex);
    if (!re.ok) {
      errs.push(`${where('redact', i)}: invalid regex ${JSON.stringify(r.regex)}`);
      return;
    }
    ops.push({ ...base, kind: TransformKind.Redact, ref, value: r.replacement, regex: re.re, template: compileTemplate(r.replacement, re.re) });
  });
  t.rename.forEach((r, i) => {
    const ref = refs.resolve('log', r.from);
    if (typeof ref === 'string') {
      errs.push(`${where('rename', i)}: ${ref}`);
      return;
    }
    if (r.to === '') {
      errs.push(`${where('rename', i)}: to is empty`);
      return;
    }
    let to: FieldRef | undefined;
    if (ref.kind === RefKind.RecordAttribute || ref.kind === RefKind.ResourceAttribute || ref.kind === RefKind.ScopeAttribute) {
      const kind = ref.kind === RefKind.ResourceAttribute ? 'resource_attribute' : ref.kind === RefKind.ScopeAttribute ? 'scope_attribute' : 'log_attribute';
      to = refs.resolve('log', { kind, path: [r.to] }) as FieldRef;
    }
    ops.push({ ...base, kind: TransformKind.Rename, ref, to, upsert: r.upsert });
  });
  t.add.forEach((a, i) => {
    const ref = refs.resolve('log', a.field);
    if (typeof ref === 'string') errs.push(`${where('add', i)}: ${ref}`);
    else ops.push({ ...base, kind: TransformKind.Add, ref, value: a.value, upsert: a.upsert });
  });
  return ops;
}
