import type { RegexBackend, RegexMatcher } from './regex-backend.js';
import { quoteMeta } from './re2.js';

/** The string match kinds that a match key's pattern set answers. */
export type PatternKind = 'exact' | 'prefix' | 'suffix' | 'contains' | 'regex';

/** One distinct pattern of a match key. */
export interface Pattern {
  readonly kind: PatternKind;
  readonly value: string;
}

/**
 * All string patterns that read one value (one match key), answered together:
 * case-sensitive literals by hash lookup and string tests, everything else by
 * one multi-pattern regex scan. Built once per policy-set compile.
 */
export class PatternSet {
  private readonly exact = new Map<string, number[]>();
  private readonly prefixes: string[] = [];
  private readonly prefixIds: number[] = [];
  private readonly suffixes: string[] = [];
  private readonly suffixIds: number[] = [];
  private readonly contains: string[] = [];
  private readonly containsIds: number[] = [];
  private readonly regex: RegexMatcher | null;
  private readonly regexIds: Int32Array;
  private readonly scratch: Int32Array;

  constructor(patterns: readonly Pattern[], caseInsensitive: boolean, backend: RegexBackend) {
    const regexSources: string[] = [];
    const regexIds: number[] = [];
    patterns.forEach((p, id) => {
      if (!caseInsensitive && p.kind !== 'regex') {
        switch (p.kind) {
          case 'exact': {
            const ids = this.exact.get(p.value);
            if (ids) ids.push(id);
            else this.exact.set(p.value, [id]);
            break;
          }
          case 'prefix':
            this.prefixes.push(p.value);
            this.prefixIds.push(id);
            break;
          case 'suffix':
            this.suffixes.push(p.value);
            this.suffixIds.push(id);
            break;
          case 'contains':
            this.contains.push(p.value);
            this.containsIds.push(id);
            break;
        }
        return;
      }
      regexSources.push(toRegex(p));
      regexIds.push(id);
    });
    this.regex = regexSources.length ? backend.compile(regexSources, caseInsensitive) : null;
    this.regexIds = Int32Array.from(regexIds);
    this.scratch = new Int32Array(Math.max(1, regexIds.length));
  }

  /** Write the ids of the patterns that match `value` into `out`; return the new offset. */
  scan(value: string, out: Int32Array, offset: number): number {
    if (this.exact.size !== 0) {
      const ids = this.exact.get(value);
      if (ids !== undefined) for (let i = 0; i < ids.length; i++) out[offset++] = ids[i];
    }
    for (let i = 0; i < this.prefixes.length; i++) if (value.startsWith(this.prefixes[i])) out[offset++] = this.prefixIds[i];
    for (let i = 0; i < this.suffixes.length; i++) if (value.endsWith(this.suffixes[i])) out[offset++] = this.suffixIds[i];
    for (let i = 0; i < this.contains.length; i++) if (value.includes(this.contains[i])) out[offset++] = this.containsIds[i];
    if (this.regex !== null) {
      const n = this.regex.scan(value, this.scratch, 0);
      for (let i = 0; i < n; i++) out[offset++] = this.regexIds[this.scratch[i]];
    }
    return offset;
  }
}

/** The RE2 pattern equivalent to a literal pattern (used when matching case-insensitively). */
export function toRegex(p: Pattern): string {
  switch (p.kind) {
    case 'regex':
      return p.value;
    case 'exact':
      return `\\A${quoteMeta(p.value)}\\z`;
    case 'prefix':
      return `\\A${quoteMeta(p.value)}`;
    case 'suffix':
      return `${quoteMeta(p.value)}\\z`;
    case 'contains':
      return quoteMeta(p.value);
  }
}
