/**
 * Reading the CLI's input files, with one clear line per problem: which file,
 * and for JSON/YAML the line and column (`policies.yaml:3:5: invalid YAML:
 * ...`). Every failure here is an {@link InputError} (exit status 2).
 */
import { readFile, stat, writeFile } from 'node:fs/promises';
import { JsonSyntaxError, parseJsonText, parsePolicyText, PolicyParseError, positionAt, type PolicySet, type Signal } from '@otel-policy/core';
import { checkOtlpJsonShape, OtlpShapeError } from '@otel-policy/adapters';
import { InputError } from './args.js';

/** Why a file operation failed, in words. */
function fsReason(err: unknown): string {
  switch ((err as NodeJS.ErrnoException).code) {
    case 'ENOENT':
      return 'no such file';
    case 'EISDIR':
      return 'is a directory, not a file';
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    case 'ENOTDIR':
      return 'a part of the path is not a directory';
    default:
      return (err as Error).message;
  }
}

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** `:line:col` of the first byte that is not UTF-8 (a U+FFFD from the lenient decoder that the file did not spell), or ''. */
function invalidUtf8At(bytes: Buffer): string {
  const text = new TextDecoder('utf-8', { ignoreBOM: true }).decode(bytes);
  for (let i = text.indexOf('\uFFFD'); i >= 0; i = text.indexOf('\uFFFD', i + 1)) {
    const at = Buffer.byteLength(text.slice(0, i));
    if (!(bytes[at] === 0xef && bytes[at + 1] === 0xbf && bytes[at + 2] === 0xbd)) {
      const { line, col } = positionAt(text, i);
      return `:${line}:${col}`;
    }
  }
  return '';
}

/** A text file's content (UTF-8), or an InputError naming it: unreadable, UTF-16, binary. */
export async function readTextFile(file: string): Promise<string> {
  let bytes: Buffer;
  try {
    bytes = await readFile(file);
  } catch (err) {
    throw new InputError(`${file}: cannot read: ${fsReason(err)}`);
  }
  // Windows tools (PowerShell's `>`) write UTF-16 with a byte order mark.
  if (bytes.length >= 2 && ((bytes[0] === 0xff && bytes[1] === 0xfe) || (bytes[0] === 0xfe && bytes[1] === 0xff))) {
    throw new InputError(`${file}: the file is UTF-16 text; save it as UTF-8`);
  }
  let text: string;
  try {
    text = utf8.decode(bytes);
  } catch {
    throw new InputError(`${file}${invalidUtf8At(bytes)}: not UTF-8 text (another encoding, or a binary file?)`);
  }
  const nul = text.indexOf('\0');
  if (nul >= 0) {
    const { line, col } = positionAt(text, nul);
    throw new InputError(`${file}:${line}:${col}: a NUL character: not a text file`);
  }
  return text;
}

/**
 * A policy path (a file, or a directory of them) for a command that loads it
 * itself: a missing path, or a file that cannot be parsed, is an
 * InputError now, with the file's line and column.
 */
export async function checkPolicyPath(path: string): Promise<void> {
  let isFile: boolean;
  try {
    isFile = (await stat(path)).isFile();
  } catch (err) {
    throw new InputError(`${path}: cannot read: ${fsReason(err)}`);
  }
  if (isFile) await readPolicyFile(path);
}

/** An error loading policies as an InputError (file:line:col: reason), when it is a PolicyParseError; else undefined. */
export function policyInputError(err: unknown): InputError | undefined {
  if (!(err instanceof PolicyParseError)) return undefined;
  const file = err.source ?? 'policies';
  return new InputError(`${err.position ? `${file}:${err.position.line}:${err.position.col}` : file}: ${err.reason}`);
}

/** Write `text` to `file`, or an InputError naming it. */
export async function writeTextFile(file: string, text: string): Promise<void> {
  try {
    await writeFile(file, text);
  } catch (err) {
    throw new InputError(`${file}: cannot write: ${fsReason(err)}`);
  }
}

/** A policy file (JSON or YAML), parsed. Invalid policies inside are kept (reported, inert); an unreadable document is an InputError. */
export async function readPolicyFile(file: string): Promise<PolicySet> {
  const text = await readTextFile(file);
  try {
    return parsePolicyText(text, { source: file });
  } catch (err) {
    throw policyInputError(err) ?? err;
  }
}

/** An OTLP/JSON payload file: a JSON object. Its shape is checked by {@link checkPayloadShape} once the signal is known. */
export async function readPayloadFile(file: string): Promise<Record<string, unknown>> {
  const text = await readTextFile(file);
  if (text.trim() === '') throw new InputError(`${file}: the file is empty (expected an OTLP/JSON payload)`);
  let data: unknown;
  try {
    data = parseJsonText(text);
  } catch (err) {
    if (!(err instanceof JsonSyntaxError)) throw err;
    throw new InputError(`${file}:${err.line}:${err.col}: invalid JSON: ${err.reason}`);
  }
  if (typeof data !== 'object' || data === null || Array.isArray(data)) {
    throw new InputError(`${file}: expected an OTLP/JSON object such as {"resourceLogs": [...]}, got ${Array.isArray(data) ? 'a list' : data === null ? 'null' : `a ${typeof data}`}`);
  }
  return data as Record<string, unknown>;
}

/** Check the payload's OTLP/JSON shape for `signal`; an InputError names the JSON path. */
export function checkPayloadShape(file: string, data: Record<string, unknown>, signal: Signal): void {
  try {
    checkOtlpJsonShape(data, signal);
  } catch (err) {
    if (!(err instanceof OtlpShapeError)) throw err;
    throw new InputError(`${file}: ${err.message}`);
  }
}
