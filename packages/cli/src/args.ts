/** Minimal `--flag value` / `--flag=value` / positional argument parsing, with the CLI's two kinds of user error. */
export interface ParsedArgs {
  flags: Map<string, string[]>;
  positional: string[];
}

/**
 * @param known the flags the command takes (any other is a usage error); all when absent
 * @param booleanFlags flags that take no value
 */
export function parseArgs(argv: readonly string[], booleanFlags: ReadonlySet<string> = new Set(), known?: ReadonlySet<string>): ParsedArgs {
  const flags = new Map<string, string[]>();
  const positional: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const m = /^--([a-zA-Z0-9-]+)(?:=(.*))?$/s.exec(a);
    if (!m) {
      if (a.startsWith('-') && a !== '-') throw new UsageError(`unknown option ${JSON.stringify(a)}`);
      positional.push(a);
      continue;
    }
    if (known && !known.has(m[1]) && !booleanFlags.has(m[1])) throw new UsageError(`unknown option --${m[1]}`);
    let value: string;
    if (m[2] !== undefined) value = m[2];
    else if (booleanFlags.has(m[1])) value = 'true';
    else if (i + 1 < argv.length) value = argv[++i];
    else throw new UsageError(`--${m[1]} needs a value`);
    const list = flags.get(m[1]) ?? [];
    list.push(value);
    flags.set(m[1], list);
  }
  return { flags, positional };
}

/** A command-line mistake: printed with a pointer to the usage, exit status 2. */
export class UsageError extends Error {}

/** Input the CLI cannot use (a missing or unreadable file, invalid JSON/YAML, a payload of the wrong shape): one line, exit status 2. */
export class InputError extends Error {}

export function flag(args: ParsedArgs, name: string): string | undefined {
  const v = args.flags.get(name);
  return v ? v[v.length - 1] : undefined;
}

export function requireFlag(args: ParsedArgs, name: string): string {
  const v = flag(args, name);
  if (v === undefined) throw new UsageError(`--${name} is required`);
  return v;
}

/** Refuse positional arguments where a command takes none. */
export function noPositional(args: ParsedArgs): void {
  if (args.positional.length > 0) throw new UsageError(`unexpected argument ${JSON.stringify(args.positional[0])}`);
}
