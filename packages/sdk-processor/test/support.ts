/**
 * Test helpers for the SDK processors: a diag logger that records messages,
 * a processor spy, and bounded polling.
 */
import { diag, DiagLogLevel, type DiagLogger } from '@opentelemetry/api';

/** A diag logger that keeps every message; install with {@link captureDiag}. */
export class DiagCapture implements DiagLogger {
  readonly messages: { level: string; message: string; args: unknown[] }[] = [];
  error = (message: string, ...args: unknown[]) => this.push('error', message, args);
  warn = (message: string, ...args: unknown[]) => this.push('warn', message, args);
  info = (message: string, ...args: unknown[]) => this.push('info', message, args);
  debug = (message: string, ...args: unknown[]) => this.push('debug', message, args);
  verbose = (message: string, ...args: unknown[]) => this.push('verbose', message, args);

  private push(level: string, message: string, args: unknown[]): void {
    this.messages.push({ level, message, args });
  }

  /**
   * Messages at `level` whose text contains `text`. A component logger passes
   * its namespace first, so the text is the message joined with its string
   * arguments.
   */
  find(level: string, text: string): { level: string; message: string; args: unknown[] }[] {
    return this.messages.filter((m) => m.level === level && textOf(m).includes(text));
  }
}

const textOf = (m: { message: string; args: unknown[] }): string => [m.message, ...m.args.filter((a) => typeof a === 'string')].join(' ');

/** Route the global diag logger to a fresh capture (undo with `diag.disable()`). */
export function captureDiag(): DiagCapture {
  const capture = new DiagCapture();
  diag.disable();
  diag.setLogger(capture, { logLevel: DiagLogLevel.ALL, suppressOverrideMessage: true });
  return capture;
}

/** Poll `check` until it returns true or `timeoutMs` elapses; returns the last result. */
export async function waitFor(check: () => boolean | Promise<boolean>, timeoutMs = 10_000, stepMs = 50): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return true;
    if (Date.now() >= deadline) return false;
    await new Promise((r) => setTimeout(r, stepMs));
  }
}
