/**
 * Required-literal extraction for RE2 patterns: a cheap test that rejects
 * most values before any regex runs. For a pattern P it finds literals L1..Ln
 * such that every string P matches contains at least one Li. It is
 * conservative: whenever the analysis is unsure it returns null, and the
 * pattern is then always scanned.
 */

/** Shortest literal worth prefiltering on; shorter ones hit too often to pay off. */
export const MIN_LITERAL = 3;

class Unsure extends Error {}

/**
 * The literals one of which every match of `pattern` contains, or null when
 * none can be proven (alternation branches without a literal, case-folding
 * flags inside the pattern, constructs the analysis does not model).
 */
export function requiredLiterals(pattern: string): string[] | null {
  try {
    const branches = analyse(pattern);
    const out = new Set<string>();
    for (const runs of branches) {
      let best = '';
      for (const r of runs) if (r.length > best.length) best = r;
      if (best.length < MIN_LITERAL) return null;
      out.add(best);
    }
    return out.size ? [...out] : null;
  } catch (e) {
    if (e instanceof Unsure) return null;
    throw e;
  }
}

const SIMPLE_ESCAPES: Record<string, string> = { n: '\n', t: '\t', r: '\r', f: '\f', v: '\v', a: '\x07' };

/** Split into top-level branches; for each, the mandatory literal runs. */
function analyse(p: string): string[][] {
  const branches: string[][] = [];
  let runs: string[] = [];
  let run = '';
  // Whether the last atom was a literal char that a quantifier may still make optional.
  let lastWasLiteral = false;
  const endRun = () => {
    if (run) runs.push(run);
    run = '';
    lastWasLiteral = false;
  };
  let i = 0;
  while (i < p.length) {
    const c = p[i];
    if (c === '|') {
      endRun();
      branches.push(runs);
      runs = [];
      i++;
      continue;
    }
    if (c === '*' || c === '+' || c === '?' || c === '{') {
      let min: number;
      let len: number;
      if (c === '{') {
        const m = /^\{(\d+)(,(\d*))?\}/.exec(p.slice(i));
        // RE2 reads a "{" that starts no valid repeat as a literal; stay out of that corner.
        if (!m) throw new Unsure();
        min = Number(m[1]);
        len = m[0].length;
      } else {
        min = c === '+' ? 1 : 0;
        len = 1;
      }
      if (lastWasLiteral && run.length > 0) {
        // The quantifier binds to the last character only: one code point,
        // which is two UTF-16 units outside the BMP.
        const n = run.length;
        const pair = n >= 2 && /[\udc00-\udfff]/.test(run[n - 1]) && /[\ud800-\udbff]/.test(run[n - 2]);
        const last = run.slice(pair ? -2 : -1);
        run = run.slice(0, pair ? -2 : -1);
        endRun();
        if (min >= 1) runs.push(last);
      } else endRun();
      i += len;
      if (p[i] === '?') i++; // non-greedy suffix
      continue;
    }
    if (c === '\\') {
      const n = p[i + 1];
      if (n === undefined) throw new Unsure();
      if (n === 'Q') {
        const end = p.indexOf('\\E', i + 2);
        const lit = end < 0 ? p.slice(i + 2) : p.slice(i + 2, end);
        for (const ch of lit) {
          run += ch;
          lastWasLiteral = true;
        }
        i = end < 0 ? p.length : end + 2;
        continue;
      }
      if (n in SIMPLE_ESCAPES) {
        run += SIMPLE_ESCAPES[n];
        lastWasLiteral = true;
        i += 2;
        continue;
      }
      if (/[!-/:-@[-`{-~]/.test(n)) {
        run += n;
        lastWasLiteral = true;
        i += 2;
        continue;
      }
      if (n === 'p' || n === 'P') {
        endRun();
        i = p[i + 2] === '{' ? p.indexOf('}', i) + 1 || p.length : i + 3;
        continue;
      }
      // \d \w \s \b \A \z \x.. and the like: an atom that is not a literal.
      if (n === 'x' || /[0-7]/.test(n)) throw new Unsure();
      endRun();
      i += 2;
      continue;
    }
    if (c === '[') {
      endRun();
      i = skipClass(p, i);
      continue;
    }
    if (c === '(') {
      if (p[i + 1] === '?') {
        const flags = /^\(\?([a-zA-Z-]*)([:)])/.exec(p.slice(i));
        // A flag group that turns on case folding changes what later literals match.
        if (flags && flags[2] === ')' && /i/.test(flags[1].split('-')[0])) throw new Unsure();
        if (flags && flags[2] === ')') {
          i += flags[0].length;
          continue;
        }
      }
      endRun();
      i = skipGroup(p, i);
      continue;
    }
    if (c === '.' || c === '^' || c === '$' || c === ')') {
      endRun();
      i++;
      continue;
    }
    run += c;
    lastWasLiteral = true;
    i++;
  }
  endRun();
  branches.push(runs);
  return branches;
}

function skipClass(p: string, start: number): number {
  let i = start + 1;
  if (p[i] === '^') i++;
  if (p[i] === ']') i++;
  while (i < p.length) {
    if (p[i] === '\\') {
      i += 2;
      continue;
    }
    if (p[i] === '[' && p[i + 1] === ':') {
      const end = p.indexOf(':]', i + 2);
      if (end >= 0) {
        i = end + 2;
        continue;
      }
    }
    if (p[i] === ']') return i + 1;
    i++;
  }
  throw new Unsure();
}

function skipGroup(p: string, start: number): number {
  let depth = 0;
  let i = start;
  while (i < p.length) {
    const c = p[i];
    if (c === '\\') {
      if (p[i + 1] === 'Q') {
        const end = p.indexOf('\\E', i + 2);
        i = end < 0 ? p.length : end + 2;
        continue;
      }
      i += 2;
      continue;
    }
    if (c === '[') {
      i = skipClass(p, i);
      continue;
    }
    if (c === '(') depth++;
    else if (c === ')') {
      depth--;
      if (depth === 0) return i + 1;
    }
    i++;
  }
  throw new Unsure();
}
