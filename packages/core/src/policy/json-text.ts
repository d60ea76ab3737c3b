/**
 * Where JSON text goes wrong, for messages a person can act on: the first
 * syntax error as a 1-based line and column and a short reason.
 * `JSON.parse` reports positions differently per Node version (Node 20 often
 * none at all), so the position comes from jsonc-parser's scanner, run only
 * after `JSON.parse` has failed (never on the hot path).
 */
import { parse as parseJsonc, ParseErrorCode, type ParseError } from 'jsonc-parser';

/** A 1-based line and column in a text. */
export interface TextPosition {
  line: number;
  col: number;
}

/** A syntax error in JSON text: where, and what. */
export interface JsonSyntaxProblem extends TextPosition {
  reason: string;
}

const REASONS: Partial<Record<ParseErrorCode, string>> = {
  [ParseErrorCode.InvalidSymbol]: 'unexpected character',
  [ParseErrorCode.InvalidNumberFormat]: 'invalid number',
  [ParseErrorCode.PropertyNameExpected]: 'expected a property name in double quotes',
  [ParseErrorCode.ValueExpected]: 'expected a value',
  [ParseErrorCode.ColonExpected]: 'expected ":"',
  [ParseErrorCode.CommaExpected]: 'expected ","',
  [ParseErrorCode.CloseBraceExpected]: 'expected "}" (is the text cut short?)',
  [ParseErrorCode.CloseBracketExpected]: 'expected "]" (is the text cut short?)',
  [ParseErrorCode.EndOfFileExpected]: 'unexpected text after the end of the JSON value',
  [ParseErrorCode.InvalidCommentToken]: 'comments are not allowed in JSON',
  [ParseErrorCode.UnexpectedEndOfComment]: 'unterminated comment',
  [ParseErrorCode.UnexpectedEndOfString]: 'unterminated string',
  [ParseErrorCode.UnexpectedEndOfNumber]: 'unterminated number',
  [ParseErrorCode.InvalidUnicode]: 'invalid \\u escape',
  [ParseErrorCode.InvalidEscapeCharacter]: 'invalid escape character',
  [ParseErrorCode.InvalidCharacter]: 'control character in a string',
};

/** The 1-based line and column of `offset` in `text`. */
export function positionAt(text: string, offset: number): TextPosition {
  let line = 1;
  let lineStart = 0;
  const end = Math.min(offset, text.length);
  for (let i = 0; i < end; i++) {
    if (text.charCodeAt(i) === 10) {
      line++;
      lineStart = i + 1;
    }
  }
  return { line, col: end - lineStart + 1 };
}

/**
 * Deepest bracket nesting of invalid JSON text that is handed to jsonc-parser
 * (which recurses) to locate the error; deeper text is reported where it
 * crosses this depth.
 */
export const MAX_LOCATE_DEPTH = 1000;

const isSpace = (c: number): boolean => c === 32 || c === 9 || c === 10 || c === 13;

/**
 * Where `text` first nests deeper than `max` levels, or undefined: a linear
 * scan, no recursion, run before a recursive parser sees hostile text.
 * Counts `[` and `{` outside double-quoted strings; with `yaml`, also
 * single-quoted strings and comments, brackets only where a flow collection
 * may start, and each line's block nesting bounded by its indentation plus
 * its compact `- ` / `? ` indicators. An estimate that errs high for text
 * no policy file comes near (hundreds of levels).
 */
export function nestingBeyond(text: string, max: number, yaml = false): TextPosition | undefined {
  let flow = 0;
  let block = 0;
  let quote = 0; // the open quote character, or 0
  let lineStart = true;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (quote !== 0) {
      if (c === 92 && quote === 34)
        i++; // backslash escape in a double-quoted string
      else if (c === quote) quote = 0;
      continue;
    }
    if (c === 10) {
      lineStart = true;
      continue;
    }
    if (yaml && lineStart) {
      lineStart = false;
      // Block nesting: indentation, then compact "- " / "? " indicators ("- - - x" nests three sequences).
      let j = i;
      while (j < text.length && text.charCodeAt(j) === 32) j++;
      block = j - i;
      for (;;) {
        const d = text.charCodeAt(j);
        if ((d === 45 || d === 63) && (j + 1 >= text.length || isSpace(text.charCodeAt(j + 1)))) {
          block++;
          j++;
          while (j < text.length && text.charCodeAt(j) === 32) j++;
        } else break;
      }
      if (flow + block > max) return positionAt(text, j);
      i = j - 1;
      continue;
    }
    const prev = i === 0 ? 10 : text.charCodeAt(i - 1);
    // In YAML, a quote, comment or flow collection starts only at a token start (not inside "don't" or "a[0]").
    const tokenStart = !yaml || isSpace(prev) || (flow > 0 && (prev === 91 || prev === 123 || prev === 44 || prev === 58));
    if (c === 34 || (yaml && c === 39)) {
      if (tokenStart) quote = c;
    } else if (yaml && c === 35 && isSpace(prev)) {
      while (i + 1 < text.length && text.charCodeAt(i + 1) !== 10) i++;
    } else if (c === 91 || c === 123) {
      // Inside a flow collection every bracket is one (plain scalars there cannot hold brackets).
      if ((tokenStart || flow > 0) && ++flow + block > max) return positionAt(text, i);
    } else if ((c === 93 || c === 125) && flow > 0) {
      flow--;
    }
  }
  return undefined;
}

/** The first syntax error in `text` as strict JSON, or undefined when there is none. */
export function jsonSyntaxProblem(text: string): JsonSyntaxProblem | undefined {
  const errors: ParseError[] = [];
  try {
    parseJsonc(text, errors, { disallowComments: true, allowTrailingComma: false, allowEmptyContent: false });
  } catch (err) {
    // jsonc-parser recurses: text nested deeper than the stack cannot be located.
    if (err instanceof RangeError) return { line: 1, col: 1, reason: 'invalid JSON nested too deeply to locate the error' };
    throw err;
  }
  if (errors.length === 0) return undefined;
  const first = errors[0];
  return { ...positionAt(text, first.offset), reason: REASONS[first.error] ?? 'invalid JSON' };
}

/**
 * `JSON.parse`, with a {@link JsonSyntaxProblem}-carrying error on failure.
 * A leading byte order mark is ignored (editors on Windows write one).
 */
export function parseJsonText(text: string): unknown {
  const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  try {
    return JSON.parse(body);
  } catch (err) {
    // jsonc-parser recurses: invalid text nested deeper than MAX_LOCATE_DEPTH is reported where it crosses that depth instead.
    const deep = nestingBeyond(body, MAX_LOCATE_DEPTH);
    const problem = deep ? { ...deep, reason: `nested more than ${MAX_LOCATE_DEPTH} levels deep` } : (jsonSyntaxProblem(body) ?? { line: 1, col: 1, reason: (err as Error).message });
    throw new JsonSyntaxError(problem);
  }
}

/** Invalid JSON text: `line`, `col` and `reason` say where and what. */
export class JsonSyntaxError extends Error {
  override readonly name = 'JsonSyntaxError';
  readonly line: number;
  readonly col: number;
  readonly reason: string;
  constructor(problem: JsonSyntaxProblem) {
    super(`invalid JSON at line ${problem.line}, column ${problem.col}: ${problem.reason}`);
    this.line = problem.line;
    this.col = problem.col;
    this.reason = problem.reason;
  }
}
