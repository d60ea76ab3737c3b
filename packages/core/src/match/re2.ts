/**
 * Policy regular expressions: RE2 syntax with Go `regexp` semantics, matched in
 * linear time by re2js. JavaScript's RegExp engine never sees a policy pattern.
 *
 * re2js is a port of Go's regexp/syntax parser (via re2j) and compiles with
 * Go's `syntax.Perl` flags by default (ClassNL | OneLine | PerlX |
 * UnicodeGroups): leftmost-first matching, `^`/`$` anchor at the beginning/end
 * of the text unless `(?m)`, `.` excludes `\n` unless `(?s)`, `\d \w \s \b` are
 * ASCII, `\pL`, `\p{Greek}`, `[[:alpha:]]`, `\Q...\E`, `(?P<n>...)`,
 * `(?<n>...)`, `(?U)`, octal `\123`, repeat counts up to 1000 and nesting up to
 * 1000 all behave as in Go, and the error messages use Go's wording
 * ("missing closing ]: `[bad`"). Backreferences (`\1`) and lookahead
 * (`(?=`, `(?!`) are syntax errors, as in Go. Lookbehind (`(?<=`, `(?<!`) is
 * an opt-in re2js extension (`RE2JS.LOOKBEHINDS`); we never pass that flag, so
 * re2js rejects it exactly like Go does ("invalid named capture").
 *
 * Deviation handled here: re2js (like re2j and C++ RE2) rejects duplicate
 * capture group names ("duplicate capture group name"), while Go accepts them
 * (`(?P<x>a)|(?P<x>b)`; SubexpNames lists the name twice and Expand uses the
 * leftmost group of that name that took part in the match). compileRe2
 * rewrites the second and later occurrences to plain capturing groups, which
 * keeps every group number unchanged, and records the original names; read
 * them with {@link captureNames}.
 *
 * Known deviation not worked around: re2js caps a program at 1,398,101
 * instructions where Go allows 3,355,443 ("expression too large"); only
 * patterns far beyond any realistic policy are affected.
 */
import type { RE2JS } from 're2js';
import { re2js } from './re2js-module.js';

/** Result of compiling one policy pattern. */
export type Re2Compiled = { ok: true; re: RE2JS } | { ok: false; reason: string };

/** Original capture names (index = group number, "" for unnamed) of regexes whose pattern compileRe2 rewrote. */
const rewrittenNames = new WeakMap<RE2JS, readonly string[]>();

const GO_ERROR_PREFIX = 'error parsing regexp: ';

/** A short human message from whatever re2js threw, in Go's `code: \`expr\`` form. */
function errorReason(err: unknown): string {
  if (err instanceof re2js().RE2JSSyntaxException) {
    const code = err.error;
    const input = err.input;
    if (typeof code === 'string' && code !== '') {
      return input === null || input === undefined || input === '' ? code : `${code}: \`${input}\``;
    }
  }
  let msg: string;
  if (err instanceof Error) msg = err.message;
  else msg = String(err);
  if (msg.startsWith(GO_ERROR_PREFIX)) msg = msg.slice(GO_ERROR_PREFIX.length);
  return msg === '' ? 'invalid regular expression' : msg;
}

function isDuplicateNameError(err: unknown): boolean {
  return err instanceof re2js().RE2JSSyntaxException && err.error === 'duplicate capture group name';
}

interface CaptureScan {
  /** names[i] is the name of capture group i ("" when unnamed); names[0] is the whole match. */
  names: string[];
  /** The pattern with second and later uses of a capture name turned into plain `(`. */
  rewritten: string;
}

/**
 * Walks a pattern the way Go's parser tokenises it, just far enough to find
 * capturing groups: skips escapes, `\Q...\E` literals and character classes
 * (including `[:name:]` inside them). Only called for patterns re2js already
 * parsed up to a duplicate-name error, and its result is re-validated by
 * compiling the rewritten pattern.
 */
function scanCaptures(pattern: string): CaptureScan {
  const names: string[] = [''];
  const seen = new Set<string>();
  let out = '';
  let copied = 0;
  let inClass = false;
  let i = 0;
  const n = pattern.length;
  while (i < n) {
    const c = pattern[i];
    if (c === '\\') {
      if (!inClass && pattern[i + 1] === 'Q') {
        const e = pattern.indexOf('\\E', i + 2);
        i = e < 0 ? n : e + 2;
      } else {
        i += 2;
      }
      continue;
    }
    if (inClass) {
      if (c === '[' && pattern[i + 1] === ':') {
        const e = pattern.indexOf(':]', i + 2);
        if (e >= 0) {
          i = e + 2;
          continue;
        }
      }
      if (c === ']') inClass = false;
      i++;
      continue;
    }
    if (c === '[') {
      inClass = true;
      i++;
      if (pattern[i] === '^') i++;
      if (pattern[i] === ']') i++; // a leading ']' is a literal
      continue;
    }
    if (c === '(') {
      if (pattern[i + 1] !== '?') {
        names.push('');
        i++;
        continue;
      }
      // Go: startsWithP := len(t) > 4 && t[2] == 'P' && t[3] == '<'; startsWithName := len(t) > 3 && t[2] == '<'
      const rest = n - i;
      const startsWithP = rest > 4 && pattern[i + 2] === 'P' && pattern[i + 3] === '<';
      const startsWithName = rest > 3 && pattern[i + 2] === '<';
      if (startsWithP || startsWithName) {
        const nameStart = i + (startsWithP ? 4 : 3);
        const end = pattern.indexOf('>', i);
        if (end >= 0) {
          const name = pattern.slice(nameStart, end);
          names.push(name);
          if (seen.has(name)) {
            out += pattern.slice(copied, i) + '(';
            copied = end + 1;
          } else {
            seen.add(name);
          }
          i = end + 1;
          continue;
        }
      }
      i++;
      continue;
    }
    i++;
  }
  out += pattern.slice(copied);
  return { names, rewritten: out };
}

/**
 * Compile a policy regex with Go-RE2 semantics. caseInsensitive adds the
 * case-insensitive flag. A bad pattern is a result, not an exception.
 * @throws RegexEngineNotLoadedError before the regex engine is loaded (a browser; see re2js-module.ts).
 */
export function compileRe2(pattern: string, caseInsensitive?: boolean): Re2Compiled {
  if (typeof pattern !== 'string') return { ok: false, reason: 'pattern is not a string' };
  const { RE2JS, RE2JSSyntaxException } = re2js();
  const flags = caseInsensitive ? RE2JS.CASE_INSENSITIVE : 0;
  try {
    return { ok: true, re: RE2JS.compile(pattern, flags) };
  } catch (err) {
    if (!isDuplicateNameError(err)) return { ok: false, reason: errorReason(err) };
    // Go accepts duplicate capture names; re2js does not. See the module comment.
    const scan = scanCaptures(pattern);
    let re: RE2JS;
    try {
      re = RE2JS.compile(scan.rewritten, flags);
    } catch (err2) {
      if (isDuplicateNameError(err2)) return { ok: false, reason: errorReason(err) };
      // Errors that quote the whole expression ("missing closing )", "unexpected )")
      // must quote the pattern as written, not our rewrite of it.
      if (err2 instanceof RE2JSSyntaxException && err2.input === scan.rewritten) {
        return { ok: false, reason: errorReason(new RE2JSSyntaxException(err2.error, pattern)) };
      }
      return { ok: false, reason: errorReason(err2) };
    }
    if (re.groupCount() !== scan.names.length - 1) {
      // The scan disagrees with the parser: refuse rather than guess.
      return { ok: false, reason: errorReason(err) };
    }
    rewrittenNames.set(re, scan.names);
    return { ok: true, re };
  }
}

/**
 * Capture names by group number, like Go's `Regexp.SubexpNames()`: index 0 is
 * the whole match, unnamed groups are "". Duplicate names (accepted by Go) are
 * reported for every group that carries them.
 */
export function captureNames(re: RE2JS): readonly string[] {
  const stored = rewrittenNames.get(re);
  if (stored) return stored;
  const names: string[] = new Array<string>(re.groupCount() + 1).fill('');
  const named = re.namedGroups();
  for (const name of Object.keys(named)) {
    const idx = named[name];
    if (Number.isInteger(idx) && idx > 0 && idx < names.length) names[idx] = name;
  }
  return names;
}

/** Go's regexp.QuoteMeta special bytes: \.+*?()|[]{}^$ */
const SPECIAL = new Set(['\\', '.', '+', '*', '?', '(', ')', '|', '[', ']', '{', '}', '^', '$']);

/** Quote a literal so it matches itself inside an RE2 pattern (like Go regexp.QuoteMeta). */
export function quoteMeta(literal: string): string {
  let out = '';
  for (let i = 0; i < literal.length; i++) {
    const c = literal[i];
    if (SPECIAL.has(c)) out += '\\';
    out += c;
  }
  return out;
}

/** True when `re` matches anywhere in `value` (unanchored search). */
export function re2Test(re: RE2JS, value: string): boolean {
  return re.test(value);
}
