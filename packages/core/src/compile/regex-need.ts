/**
 * Whether a policy set needs the regex engine to compile: in a browser,
 * re2js is loaded only for sets that do (see match/re2js-module.ts), and
 * such a set compiles on the asynchronous path. This mirrors where the
 * compiler reaches re2js with the default routing: regex conditions
 * (lower.ts), regex redactions (transforms.ts) and case-insensitive
 * literals beyond ASCII, which need Unicode case folding (PatternSet).
 * Everything else is answered by hash lookup and the Aho-Corasick matcher.
 * Erring towards true only loads re2js early; a set that needs it although
 * this said no fails to compile loudly (RegexEngineNotLoadedError), never
 * silently.
 */
import type { Matcher, Policy } from '../policy/types.js';
import { foldLiteral } from '../match/aho-corasick.js';

const LITERAL_KINDS = new Set(['exact', 'starts_with', 'ends_with', 'contains']);

function matcherNeedsRegex(m: Matcher): boolean {
  const c = m.match;
  if (c === undefined) return false;
  if (c.kind === 'regex') return true;
  if (!m.caseInsensitive) return false;
  if (LITERAL_KINDS.has(c.kind)) return foldLiteral((c as { value: string }).value) === undefined;
  if (c.kind === 'equals' && c.value.type === 'string') return foldLiteral(c.value.value) === undefined;
  return false;
}

/** True when compiling `policies` reaches the regex engine. */
export function needsRegexEngine(policies: readonly Policy[]): boolean {
  for (const p of policies) {
    const target = p.log ?? p.metric ?? p.trace;
    if (target?.match.some(matcherNeedsRegex)) return true;
    if (p.log?.transform?.redact.some((r) => r.regex !== undefined)) return true;
  }
  return false;
}
