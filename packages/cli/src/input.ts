/**
 * Reading the CLI's input files, with one clear line per problem: which file,
 * and for JSON/YAML the line and column (`policies.yaml:3:5: invalid YAML:
 * ...`). Every failure here is an {@link InputError} (exit status 2).
 */
import { readFile, writeFile } from 'node:fs/promises';
import { JsonSyntaxError, parseJsonText, parsePolicyText, PolicyParseError, type PolicySet, type Signal } from '@otel-policy/core';
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

/** A text file's content, or an InputError naming it. */
export async function readTextFile(file: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (err) {
    throw new InputError(`${file}: cannot read: ${fsReason(err)}`);
  }
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
    if (!(err instanceof PolicyParseError)) throw err;
    const where = err.position ? `${file}:${err.position.line}:${err.position.col}` : file;
    throw new InputError(`${where}: ${err.reason}`);
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
