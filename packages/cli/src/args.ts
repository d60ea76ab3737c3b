/** Minimal `--flag value` / `--flag=value` / positional argument parsing. */
export interface ParsedArgs {
  flags: Map<string, string[]>;
  positional: string[];
}

export function parseArgs(argv: readonly string[], booleanFlags: ReadonlySet<string> = new Set()): ParsedArgs {
  const flags = new Map<string, string[]>();
  const positional: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const m = /^--([a-zA-Z0-9-]+)(?:=(.*))?$/.exec(a);
    if (!m) {
      positional.push(a);
      continue;
    }
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

/** A command-line mistake: printed with usage, exit status 2. */
export class UsageError extends Error {}

export function flag(args: ParsedArgs, name: string): string | undefined {
  const v = args.flags.get(name);
  return v ? v[v.length - 1] : undefined;
}

export function requireFlag(args: ParsedArgs, name: string): string {
  const v = flag(args, name);
  if (v === undefined) throw new UsageError(`--${name} is required`);
  return v;
}
