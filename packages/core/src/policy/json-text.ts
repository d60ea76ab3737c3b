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
    const problem = jsonSyntaxProblem(body) ?? { line: 1, col: 1, reason: (err as Error).message };
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
