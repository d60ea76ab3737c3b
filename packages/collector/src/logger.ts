/** The service's own log: leveled lines on stderr (console or JSON encoding), as the Collector writes them. */
import type { EngineLogger } from '@otel-policy/core';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
const RANK: Record<LogLevel, number> = { debug: 0, info: 1, warn: 2, error: 3 };

export type LogFields = Record<string, unknown>;

export interface Logger {
  debug(msg: string, fields?: LogFields): void;
  info(msg: string, fields?: LogFields): void;
  warn(msg: string, fields?: LogFields): void;
  error(msg: string, fields?: LogFields): void;
  /** A logger whose lines carry these fields too (component kind and id). */
  with(fields: LogFields): Logger;
  enabled(level: LogLevel): boolean;
}

export interface LoggerOptions {
  level?: LogLevel;
  encoding?: 'console' | 'json';
  /** Where lines go (default: process.stderr). */
  write?: (line: string) => void;
}

function errorText(v: unknown): unknown {
  return v instanceof Error ? v.message : v;
}

export function createLogger(options: LoggerOptions = {}, base: LogFields = {}): Logger {
  const min = RANK[options.level ?? 'info'];
  const write = options.write ?? ((line: string) => process.stderr.write(line));
  const json = options.encoding === 'json';
  const log = (level: LogLevel, msg: string, fields?: LogFields) => {
    if (RANK[level] < min) return;
    const all: LogFields = { ...base, ...fields };
    for (const k of Object.keys(all)) all[k] = errorText(all[k]);
    const ts = new Date().toISOString();
    if (json) {
      write(`${JSON.stringify({ level, ts, msg, ...all })}\n`);
    } else {
      const extra = Object.keys(all).length > 0 ? `\t${JSON.stringify(all)}` : '';
      write(`${ts}\t${level}\t${msg}${extra}\n`);
    }
  };
  return {
    debug: (m, f) => log('debug', m, f),
    info: (m, f) => log('info', m, f),
    warn: (m, f) => log('warn', m, f),
    error: (m, f) => log('error', m, f),
    with: (fields) => createLogger(options, { ...base, ...fields }),
    enabled: (level) => RANK[level] >= min,
  };
}

/** A logger that drops everything (tests, embedding). */
export const silentLogger: Logger = {
  debug() {},
  info() {},
  warn() {},
  error() {},
  with() {
    return silentLogger;
  },
  enabled() {
    return false;
  },
};

/** The engine's logger interface on top of ours. */
export function engineLogger(log: Logger): EngineLogger {
  return {
    error: (m, ...args) => log.error(m, args.length ? { detail: args.map((a) => String(errorText(a))).join(' ') } : undefined),
    warn: (m) => log.warn(m),
    info: (m) => log.info(m),
    debug: (m) => log.debug(m),
  };
}
