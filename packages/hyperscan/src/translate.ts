/**
 * RE2 (Go `regexp/syntax`) to Hyperscan pattern translation.
 *
 * The two dialects look alike but differ where it matters for a match
 * decision: `$` is end-of-text in RE2 but "end or before a final newline" in
 * PCRE-style engines; `\d \w \s \b` are ASCII in RE2; `(?i)` folds with
 * Unicode simple case folding in RE2 (`k` matches KELVIN SIGN) but only ASCII
 * in Hyperscan without `HS_FLAG_UCP`, and turning UCP on would make `\w` and
 * `\b` Unicode. So the translation never relies on Hyperscan's flags or
 * shorthands: it parses the RE2 pattern and writes every construct out
 * explicitly — classes as code point ranges (case folded here, negated here),
 * anchors as `\A`/`\z`, groups as non-capturing. Only `.`, `\b`/`\B` and
 * the multi-line `$` are left to Hyperscan, whose meaning for them matches RE2
 * in UTF-8 mode without UCP (the differential tests hold both to that).
 *
 * Anything the translation does not model (Unicode property classes `\pL`,
 * a multi-line `^` that does not lead a top-level branch, a class that
 * matches nothing, lone surrogates in a pattern) throws
 * {@link Untranslatable}; the backend then runs that one pattern with the
 * default engine. Patterns reach here already validated by re2js, so the
 * parser only needs to be right on valid input and to refuse the rest.
 */
import { Translator } from './translator.js';

export { Untranslatable } from './untranslatable.js';

/**
 * Translate an RE2 pattern (valid for re2js) to a Hyperscan expression with
 * the same match decision on every UTF-8 text, for compilation with
 * `HS_FLAG_UTF8` and no case, dot-all or multi-line flags.
 *
 * @throws {@link Untranslatable} when the pattern uses a construct the
 *   translation does not model.
 */
export function translate(pattern: string, caseInsensitive: boolean): string {
  return new Translator(pattern, caseInsensitive).run();
}

/** A translation, and whether it needs Hyperscan's UTF-8 mode. */
export interface Translation {
  expression: string;
  /**
   * False when the expression matches ASCII only (no `.`, no literal or class
   * beyond U+007F, no `\B`): in valid UTF-8 an ASCII byte is always a whole
   * character and a multi-byte character has no ASCII bytes, so byte mode
   * finds the same matches, faster. `\B` is the exception: between two bytes
   * of one character byte mode sees a non-boundary that UTF-8 mode does not.
   */
  utf8: boolean;
}

/** {@link translate}, saying whether the result needs UTF-8 mode. */
export function translateForHyperscan(pattern: string, caseInsensitive: boolean): Translation {
  const t = new Translator(pattern, caseInsensitive);
  const expression = t.run();
  return { expression, utf8: !t.asciiOnly };
}
