/**
 * Regex redaction with Go `Regexp.ReplaceAllString` semantics, the replacement
 * being expanded by Go's `Regexp.Expand` template rules.
 *
 * Template rules (Go regexp.go `expand` / `extract`), mirrored exactly:
 * - `$$` is a literal `$`.
 * - `$name` / `${name}`: name is the longest run of Unicode letters, Unicode
 *   decimal digits and `_` (so `$1x` names the group "1x", which usually does
 *   not exist, and `$10` is group 10).
 * - A name made only of ASCII digits, without a leading zero (or exactly "0"),
 *   and below 1e9, is a group number; `$0` is the whole match. Anything else
 *   (`$01`, `${1x}`) is looked up as a group name.
 * - An unknown group number or name, or a group that did not take part in the
 *   match, expands to "".
 * - A `$` that does not start a valid reference (`$` at the end, `$!`, `${`
 *   without a closing `}`, `${}`) is copied literally, and scanning resumes
 *   right after that `$`.
 * - With duplicate group names (accepted by Go), the leftmost group of that
 *   name that took part in the match is used.
 */
import type { RE2JS, Matcher } from 're2js';
import { re2js } from '../match/re2js-module.js';
import { captureNames } from '../match/re2.js';

/** One piece of a parsed template. */
export type TemplatePart =
  | { readonly kind: 'literal'; readonly text: string }
  /** A numbered group (0 = whole match) that exists in the regex. */
  | { readonly kind: 'group'; readonly index: number }
  /** A named reference: the group numbers carrying that name, in order (never empty). */
  | { readonly kind: 'named'; readonly indices: readonly number[] };

/** A redact template parsed once at compile time. */
export interface CompiledTemplate {
  /** The template text as written in the policy. */
  readonly source: string;
  /** Literal pieces and group references, in order. References to groups the regex does not have are dropped (they expand to ""). */
  readonly parts: readonly TemplatePart[];
}

/** Classifier for Go's unicode.IsLetter || unicode.IsDigit || '_' (matched by re2js, not JS RegExp); compiled on first use, when re2js is loaded. */
let nameChar: RE2JS | undefined;

function isNameChar(ch: string): boolean {
  const c = ch.charCodeAt(0);
  if (c < 0x80) {
    return (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || c === 0x5f;
  }
  nameChar ??= re2js().RE2JS.compile('[\\p{L}\\p{Nd}_]');
  return nameChar.testExact(ch);
}

interface Extracted {
  name: string;
  num: number;
  /** Index in the template just after the reference. */
  next: number;
}

/** Go `extract`: the name from a leading "name" or "{name}" at template[pos:] (the `$` already consumed). */
function extract(template: string, pos: number): Extracted | undefined {
  let i = pos;
  if (i >= template.length) return undefined;
  const brace = template[i] === '{';
  if (brace) i++;
  const nameStart = i;
  while (i < template.length) {
    const cp = template.codePointAt(i) as number;
    const ch = String.fromCodePoint(cp);
    // A lone surrogate is not a letter (Go would see U+FFFD), so it stops the name.
    if (!isNameChar(ch)) break;
    i += ch.length;
  }
  if (i === nameStart) return undefined; // empty name is not okay
  const name = template.slice(nameStart, i);
  if (brace) {
    if (i >= template.length || template[i] !== '}') return undefined; // missing closing brace
    i++;
  }
  // Parse number exactly as Go does (ASCII digits only, give up at >= 1e8 before the next digit).
  let num = 0;
  for (let k = 0; k < name.length; k++) {
    const d = name.charCodeAt(k) - 0x30;
    if (d < 0 || d > 9 || num >= 1e8) {
      num = -1;
      break;
    }
    num = num * 10 + d;
  }
  // Disallow leading zeros.
  if (name[0] === '0' && name.length > 1) num = -1;
  return { name, num, next: i };
}

/** Parse a Go Expand template against `re`'s capture groups. */
export function compileTemplate(template: string, re: RE2JS): CompiledTemplate {
  const names = captureNames(re);
  const groupCount = names.length - 1;
  const parts: TemplatePart[] = [];
  let lit = '';
  const flush = (): void => {
    if (lit !== '') {
      parts.push({ kind: 'literal', text: lit });
      lit = '';
    }
  };
  let pos = 0;
  while (pos < template.length) {
    const dollar = template.indexOf('$', pos);
    if (dollar < 0) break;
    lit += template.slice(pos, dollar);
    pos = dollar + 1;
    if (template[pos] === '$') {
      // Treat $$ as $.
      lit += '$';
      pos++;
      continue;
    }
    const ref = extract(template, pos);
    if (ref === undefined) {
      // Malformed; treat $ as raw text.
      lit += '$';
      continue;
    }
    pos = ref.next;
    if (ref.num >= 0) {
      if (ref.num <= groupCount) {
        flush();
        parts.push({ kind: 'group', index: ref.num });
      }
    } else {
      const indices: number[] = [];
      for (let i = 1; i < names.length; i++) if (names[i] === ref.name) indices.push(i);
      if (indices.length > 0) {
        flush();
        parts.push({ kind: 'named', indices });
      }
    }
  }
  lit += template.slice(pos);
  flush();
  return { source: template, parts };
}

function expand(t: CompiledTemplate, m: Matcher, value: string): string {
  const parts = t.parts;
  if (parts.length === 1 && parts[0].kind === 'literal') return parts[0].text;
  let out = '';
  for (const p of parts) {
    if (p.kind === 'literal') {
      out += p.text;
    } else if (p.kind === 'group') {
      const s = m.start(p.index);
      if (s >= 0) out += value.slice(s, m.end(p.index));
    } else {
      for (const idx of p.indices) {
        const s = m.start(idx);
        if (s >= 0) {
          out += value.slice(s, m.end(idx));
          break;
        }
      }
    }
  }
  return out;
}

/** Width in UTF-16 code units of the code point at `i` (0 at the end, like Go's DecodeRuneInString on ""). */
function runeWidth(value: string, i: number): number {
  if (i >= value.length) return 0;
  const c = value.charCodeAt(i);
  if (c >= 0xd800 && c <= 0xdbff && i + 1 < value.length) {
    const d = value.charCodeAt(i + 1);
    if (d >= 0xdc00 && d <= 0xdfff) return 2;
  }
  return 1;
}

/**
 * Replace every non-overlapping match of re in value with the expanded template
 * (Go `ReplaceAllString`). Returns undefined when there is no match (caller
 * treats that as a no-op).
 *
 * Empty matches follow Go: an empty match right after the previous match is not
 * replaced, and after a match the search advances by at least one code point
 * (so `a*` on "baaac" with "X" gives "XbXcX"). Each search sees the whole
 * input, so `^`, `\b` and `(?m)^` keep their context.
 */
export function redactAll(re: RE2JS, template: CompiledTemplate, value: string): string | undefined {
  const m = re.matcher(value);
  const endPos = value.length;
  let lastMatchEnd = 0;
  let searchPos = 0;
  let matched = false;
  let out = '';
  while (searchPos <= endPos) {
    if (!m.find(searchPos)) break;
    matched = true;
    const a0 = m.start();
    const a1 = m.end();
    // Copy the unmatched characters before this match.
    out += value.slice(lastMatchEnd, a0);
    // Insert the replacement, but not for an empty match immediately after another match.
    if (a1 > lastMatchEnd || a0 === 0) out += expand(template, m, value);
    lastMatchEnd = a1;
    // Advance past this match; always advance at least one character.
    const width = runeWidth(value, searchPos);
    if (searchPos + width > a1) searchPos += width;
    else if (searchPos + 1 > a1) searchPos++;
    else searchPos = a1;
  }
  if (!matched) return undefined;
  return out + value.slice(lastMatchEnd);
}
