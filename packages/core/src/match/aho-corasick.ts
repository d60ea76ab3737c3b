/**
 * An Aho-Corasick automaton over UTF-16 code units, compiled to a dense
 * transition table: one pass over a value finds every occurrence of every
 * literal, with no allocation. Used for the literal match kinds
 * (exact/starts_with/ends_with/contains) and for regex prefilter literals.
 */

/** Case folding applied to the value before stepping a case-insensitive automaton. */
export function foldChar(c: number): number {
  if (c >= 65 && c <= 90) return c + 32;
  // The only non-ASCII characters whose simple case folding reaches ASCII letters.
  if (c === 0x212a) return 107; // KELVIN SIGN -> k
  if (c === 0x017f) return 115; // LATIN SMALL LETTER LONG S -> s
  return c;
}

/** Fold a literal for a case-insensitive automaton; undefined when it has non-ASCII characters. */
export function foldLiteral(s: string): string | undefined {
  let out = '';
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 128) return undefined;
    out += String.fromCharCode(foldChar(c));
  }
  return out;
}

/** Shortest literal length for which the Wu-Manber pre-check pays (its largest shift is length - 2). */
const WM_MIN_LENGTH = 5;

const trigram = (a: number, b: number, c: number): number => ((a << 10) ^ (b << 5) ^ c) & 0xffff;

/** From this many literals on, a 64 KiB class map replaces the ASCII table + map lookups. */
const FULL_MAP_MIN_LITERALS = 8;

export class AhoCorasick {
  /** Literal count. */
  readonly size: number;
  /** Length of each literal. */
  readonly lengths: Int32Array;
  private readonly ascii: Int32Array;
  private readonly wide: Map<number, number>;
  private readonly classes: number;
  /** Class of every UTF-16 unit (folding included), for automata big enough to be worth 64 KiB. */
  private readonly full: Uint8Array | Uint16Array | null = null;
  /** 1 for every UTF-16 unit that leaves the root (starts some literal). */
  private readonly starts: Uint8Array | null = null;
  /**
   * Wu-Manber shift table over hashed trigrams, for large case-sensitive sets
   * of literals no shorter than {@link WM_MIN_LENGTH}: a value in which no
   * window is a candidate contains no literal, which settles most values after
   * looking at a fraction of their characters. Otherwise the automaton runs.
   */
  private readonly shift: Uint8Array | null = null;
  private readonly minLength: number = 0;
  private readonly delta: Int32Array;
  /** Literal ending exactly at each state, or -1. */
  private readonly own: Int32Array;
  /** Next state on the failure chain that has an output, or -1. */
  private readonly dict: Int32Array;

  /**
   * @param literals non-empty, distinct strings (already folded when `fold`).
   * @param fold step on folded characters (case-insensitive automaton).
   */
  constructor(
    literals: readonly string[],
    readonly fold: boolean,
  ) {
    this.size = literals.length;
    this.lengths = Int32Array.from(literals, (l) => l.length);
    // Alphabet: only characters that occur in some literal get a class; every other
    // character is class 0 and sends the automaton back to the root.
    this.ascii = new Int32Array(128);
    this.wide = new Map();
    let classes = 1;
    for (const lit of literals) {
      for (let i = 0; i < lit.length; i++) {
        const c = lit.charCodeAt(i);
        if (c < 128) {
          if (this.ascii[c] === 0) this.ascii[c] = classes++;
        } else if (!this.wide.has(c)) this.wide.set(c, classes++);
      }
    }
    this.classes = classes;

    // Trie.
    const children: Map<number, number>[] = [new Map()];
    const own: number[] = [-1];
    literals.forEach((lit, id) => {
      let s = 0;
      for (let i = 0; i < lit.length; i++) {
        const cls = this.classOf(lit.charCodeAt(i));
        let next = children[s].get(cls);
        if (next === undefined) {
          next = children.length;
          children.push(new Map());
          own.push(-1);
          children[s].set(cls, next);
        }
        s = next;
      }
      own[s] = id;
    });
    const n = children.length;
    const delta = new Int32Array(n * classes);
    const fail = new Int32Array(n);
    const dict = new Int32Array(n).fill(-1);
    // Breadth-first: failure links, dictionary links, and the full transition table.
    const queue: number[] = [];
    for (let cls = 0; cls < classes; cls++) {
      const child = children[0].get(cls);
      if (child !== undefined) {
        delta[cls] = child;
        fail[child] = 0;
        queue.push(child);
      }
    }
    for (let q = 0; q < queue.length; q++) {
      const s = queue[q];
      const f = fail[s];
      dict[s] = own[f] >= 0 ? f : dict[f];
      for (let cls = 0; cls < classes; cls++) {
        const child = children[s].get(cls);
        if (child !== undefined) {
          delta[s * classes + cls] = child;
          fail[child] = delta[f * classes + cls];
          queue.push(child);
        } else delta[s * classes + cls] = delta[f * classes + cls];
      }
    }
    // Transitions hold the target's row offset (state * classes), negated
    // (bitwise NOT) when the target reports a literal: the scan loop then needs
    // no multiply and no second table read. Root is row 0 and never reports.
    const hasOutput = (t: number) => own[t] >= 0 || dict[t] >= 0;
    for (let k = 0; k < delta.length; k++) {
      const t = delta[k];
      delta[k] = hasOutput(t) ? ~(t * classes) : t * classes;
    }
    this.delta = delta;
    if (literals.length >= FULL_MAP_MIN_LITERALS) {
      const full = classes <= 256 ? new Uint8Array(65536) : new Uint16Array(65536);
      for (let c = 0; c < 65536; c++) {
        const f = fold ? foldChar(c) : c;
        full[c] = f < 128 ? this.ascii[f] : (this.wide.get(f) ?? 0);
      }
      this.full = full;
      const starts = new Uint8Array(65536);
      for (let c = 0; c < 65536; c++) if (delta[full[c]] !== 0) starts[c] = 1;
      this.starts = starts;
    }
    this.own = Int32Array.from(own);
    const minLength = literals.reduce((m, l) => Math.min(m, l.length), Infinity);
    if (!fold && literals.length >= FULL_MAP_MIN_LITERALS && minLength >= WM_MIN_LENGTH) {
      const shift = new Uint8Array(65536).fill(Math.min(255, minLength - 2));
      for (const lit of literals) {
        for (let j = 2; j < minLength; j++) {
          const h = trigram(lit.charCodeAt(j - 2), lit.charCodeAt(j - 1), lit.charCodeAt(j));
          const sh = minLength - 1 - j;
          if (sh < shift[h]) shift[h] = sh;
        }
      }
      this.shift = shift;
      this.minLength = minLength;
    }
    this.dict = dict;
  }

  private classOf(c: number): number {
    return c < 128 ? this.ascii[c] : (this.wide.get(c) ?? 0);
  }

  /**
   * Scan `value`, calling `onMatch(literalId, endIndex)` for every occurrence
   * (endIndex is the index of its last character).
   */
  scan(value: string, onMatch: (id: number, end: number) => void): void {
    const delta = this.delta;
    const ascii = this.ascii;
    const len = value.length;
    let r = 0;
    const shift = this.shift;
    if (shift !== null) {
      const m = this.minLength;
      if (len < m) return;
      // Windows end at i; a shift of 0 marks a window that may end a literal's first m characters.
      let i = m - 1;
      for (;;) {
        const sh = shift[trigram(value.charCodeAt(i - 2), value.charCodeAt(i - 1), value.charCodeAt(i))];
        if (sh === 0) break;
        i += sh;
        if (i >= len) return;
      }
    }
    const full = this.full;
    if (full !== null) {
      // Large automata: one table read maps any UTF-16 unit to its class. At
      // the root, skip characters that start no literal with a lighter loop.
      const starts = this.starts!;
      for (let i = 0; i < len; i++) {
        let c = value.charCodeAt(i);
        if (r === 0) {
          while (starts[c] === 0) {
            if (++i === len) return;
            c = value.charCodeAt(i);
          }
        }
        r = delta[r + full[c]];
        if (r < 0) {
          r = ~r;
          this.report(r, i, onMatch);
        }
      }
      return;
    }
    if (!this.fold && this.wide.size === 0) {
      // The common case, kept free of branches that do not apply to it.
      for (let i = 0; i < len; i++) {
        const c = value.charCodeAt(i);
        r = delta[r + (c < 128 ? ascii[c] : 0)];
        if (r < 0) {
          r = ~r;
          this.report(r, i, onMatch);
        }
      }
      return;
    }
    const wide = this.wide;
    const fold = this.fold;
    for (let i = 0; i < len; i++) {
      let c = value.charCodeAt(i);
      if (fold) c = foldChar(c);
      r = delta[r + (c < 128 ? ascii[c] : (wide.get(c) ?? 0))];
      if (r < 0) {
        r = ~r;
        this.report(r, i, onMatch);
      }
    }
  }

  private report(row: number, end: number, onMatch: (id: number, end: number) => void): void {
    const own = this.own;
    const dict = this.dict;
    const s = row / this.classes;
    for (let t = own[s] >= 0 ? s : dict[s]; t >= 0; t = dict[t]) onMatch(own[t], end);
  }
}
