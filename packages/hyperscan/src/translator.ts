/**
 * The RE2 pattern parser that writes the Hyperscan expression as it goes
 * (see translate.ts for what it models and why).
 */
import { Untranslatable } from './untranslatable.js';
import { MAX_RUNE, SURROGATE_LO, SURROGATE_HI, PERL, POSIX, SIMPLE_ESCAPES, normalize, negate, fold, withoutSurrogates, isAlnum, escapeRune, type Ranges } from './ranges.js';
import { caseOrbit } from './case-fold.js';

interface Atom {
  text: string;
  zeroWidth: boolean;
  prefix?: string;
}

interface Flags {
  i: boolean;
  m: boolean;
  s: boolean;
}

export class Translator {
  private readonly runes: number[];
  private pos = 0;
  private depth = 0;
  /** Nothing written so far can match a non-ASCII character (see {@link Translation.utf8}). */
  asciiOnly = true;
  private flags: Flags;

  constructor(
    private readonly pattern: string,
    caseInsensitive: boolean,
  ) {
    this.runes = [];
    for (const ch of pattern) {
      const c = ch.codePointAt(0)!;
      if (c >= SURROGATE_LO && c <= SURROGATE_HI) throw this.fail('lone surrogate in pattern');
      this.runes.push(c);
    }
    this.flags = { i: caseInsensitive, m: false, s: false };
  }

  run(): string {
    const out = this.alternation();
    if (this.pos !== this.runes.length) throw this.fail('unexpected )');
    return out === '' ? '(?:)' : out;
  }

  private fail(reason: string): Untranslatable {
    return new Untranslatable(this.pattern, reason);
  }

  private peek(offset = 0): number | undefined {
    return this.runes[this.pos + offset];
  }

  private peekChar(offset = 0): string {
    const c = this.runes[this.pos + offset];
    return c === undefined ? '' : String.fromCodePoint(c);
  }

  /** branch ( '|' branch )* up to an unmatched ')' or the end. */
  private alternation(): string {
    const branches = [this.concatenation()];
    while (this.peekChar() === '|') {
      this.pos++;
      branches.push(this.concatenation());
    }
    return branches.length === 1 ? branches[0] : branches.map((b) => (b === '' ? '(?:)' : b)).join('|');
  }

  private concatenation(): string {
    let out = '';
    for (;;) {
      const c = this.peekChar();
      if (c === '' || c === '|' || c === ')') return out;
      const atom = this.atom(this.depth === 0 && out === '');
      if (atom === null) continue; // a flag setting such as (?i)
      out += (atom.prefix ?? '') + this.quantified(atom);
    }
  }

  /** One atom, written so that a quantifier may follow it directly. null for a bare flag group. */
  private atom(leading: boolean): Atom | null {
    const c = this.peekChar();
    switch (c) {
      case '(':
        return this.group();
      case '[':
        return { text: this.classText(this.parseClass()), zeroWidth: false };
      case '.':
        this.pos++;
        // RE2's `.` excludes only \n unless (?s); Hyperscan's `.` in UTF-8 mode is the same.
        if (!this.flags.s) {
          this.asciiOnly = false;
          return { text: '.', zeroWidth: false };
        }
        return { text: this.classText([0, MAX_RUNE]), zeroWidth: false };
      case '^':
        this.pos++;
        if (!this.flags.m) return { text: '\\A', zeroWidth: true };
        // RE2's multi-line ^ also matches after a newline that ends the text; Hyperscan's does not.
        // Leading a top-level branch, "at the start or just after a newline" can consume that newline instead.
        if (leading) return { text: '(?:\\A|\\n)', zeroWidth: true };
        throw this.fail('multi-line ^ inside the pattern');
      case '$':
        this.pos++;
        return { text: this.flags.m ? '(?m:$)' : '\\z', zeroWidth: true };
      case '\\':
        return this.escape();
      case '*':
      case '+':
      case '?':
        throw this.fail('missing argument to repetition operator');
      default:
        if (c === '{' && this.repeatAt(this.pos) === null) {
          this.pos++;
          return { text: this.literal(0x7b), zeroWidth: false };
        }
        if (c === '{') throw this.fail('missing argument to repetition operator');
        this.pos++;
        return { text: this.literal(c.codePointAt(0)!), zeroWidth: false };
    }
  }

  private literal(c: number): string {
    if (this.flags.i) {
      const orbit = caseOrbit(c);
      if (orbit.length > 1) return this.classText(orbit.flatMap((f) => [f, f]));
    }
    if (c > 0x7f) this.asciiOnly = false;
    return escapeRune(c);
  }

  /** Parses `{n}`, `{n,}`, `{n,m}` at `at`; null when it is not a repeat (then `{` is a literal, as in Go). */
  private repeatAt(at: number): { min: number; max: number; end: number } | null {
    const r = this.runes;
    if (r[at] !== 0x7b) return null;
    let i = at + 1;
    const num = (): number | null => {
      const start = i;
      while (r[i] !== undefined && r[i] >= 0x30 && r[i] <= 0x39) i++;
      if (i === start) return null;
      return Number(String.fromCodePoint(...r.slice(start, i)));
    };
    const min = num();
    if (min === null) return null;
    let max = min;
    if (r[i] === 0x2c) {
      i++;
      if (r[i] === 0x7d) max = -1;
      else {
        const m = num();
        if (m === null) return null;
        max = m;
      }
    }
    if (r[i] !== 0x7d) return null;
    return { min, max, end: i + 1 };
  }

  private quantified(atom: { text: string; zeroWidth: boolean }): string {
    let text = atom.text;
    let repeated = false;
    for (;;) {
      const c = this.peekChar();
      let q: string;
      if (c === '*' || c === '+' || c === '?') {
        this.pos++;
        q = c;
      } else if (c === '{') {
        const rep = this.repeatAt(this.pos);
        if (rep === null) return text;
        this.pos = rep.end;
        q = rep.max === -1 ? `{${rep.min},}` : rep.min === rep.max ? `{${rep.min}}` : `{${rep.min},${rep.max}}`;
      } else return text;
      // Laziness (`*?`, or any quantifier under (?U)) never changes whether a pattern matches.
      if (this.peekChar() === '?') this.pos++;
      if (repeated) throw this.fail('invalid nested repetition operator');
      repeated = true;
      const min = q === '*' || q === '?' ? 0 : q === '+' ? 1 : Number(q.slice(1).split(/[,}]/)[0]);
      // Hyperscan refuses X{0} and repeated assertions; both mean what RE2 makes of them:
      // X{0} and A* match the empty string, A+ and A{n,} are A itself.
      if (min === 0 && (atom.zeroWidth || q === '{0}' || q === '{0,0}')) text = '(?:)';
      else if (!atom.zeroWidth) text += q;
    }
  }

  private group(): { text: string; zeroWidth: boolean } | null {
    this.pos++; // (
    this.depth++;
    const saved = { ...this.flags };
    if (this.peekChar() === '?') {
      const next = this.peekChar(1);
      if (next === 'P' || next === '<') {
        // Named capture: (?P<name>re) or (?<name>re). Captures do not matter for a match decision.
        const close = this.runes.indexOf(0x3e, this.pos);
        if (close < 0) throw this.fail('invalid named capture');
        this.pos = close + 1;
      } else {
        this.pos++;
        let negated = false;
        let sawFlag = false;
        for (;;) {
          const f = this.peekChar();
          this.pos++;
          if (f === 'i' || f === 'm' || f === 's' || f === 'U') {
            if (f !== 'U') this.flags[f] = !negated;
            sawFlag = true;
          } else if (f === '-') {
            if (negated) throw this.fail('invalid or unsupported Perl syntax');
            negated = true;
            sawFlag = false;
          } else if (f === ')') {
            // (?flags) applies to the rest of the enclosing group.
            if (negated && !sawFlag) throw this.fail('invalid or unsupported Perl syntax');
            this.depth--;
            return null;
          } else if (f === ':') {
            break;
          } else throw this.fail('invalid or unsupported Perl syntax');
        }
      }
    }
    const inner = this.alternation();
    if (this.peekChar() !== ')') throw this.fail('missing closing )');
    this.pos++;
    this.depth--;
    this.flags = saved;
    return { text: `(?:${inner})`, zeroWidth: false };
  }

  private escape(): Atom {
    this.pos++; // backslash
    const c = this.peekChar();
    switch (c) {
      case 'A':
        this.pos++;
        return { text: '\\A', zeroWidth: true };
      case 'z':
        this.pos++;
        return { text: '\\z', zeroWidth: true };
      case 'b':
      case 'B':
        this.pos++;
        if (c === 'B') this.asciiOnly = false;
        return { text: `\\${c}`, zeroWidth: true };
      case 'Q': {
        // \Q...\E: literal text (to the end of the pattern when \E is missing).
        this.pos++;
        const units: string[] = [];
        while (this.pos < this.runes.length) {
          if (this.peekChar() === '\\' && this.peekChar(1) === 'E') {
            this.pos += 2;
            break;
          }
          units.push(this.literal(this.runes[this.pos++]));
        }
        // A quantifier after \E applies to the last character only, as in Go.
        if (units.length === 0) return { text: '(?:)', zeroWidth: true };
        return { prefix: units.slice(0, -1).join(''), text: units[units.length - 1], zeroWidth: false };
      }
      default: {
        const r = this.classEscape();
        if (r.single !== undefined) return { text: this.literal(r.single), zeroWidth: false };
        return { text: this.classText(r.ranges), zeroWidth: false };
      }
    }
  }

  /**
   * An escape that denotes a character or a class (after the backslash).
   * Returns the single rune when it is one.
   */
  private classEscape(): { single?: number; ranges: Ranges } {
    const ch = this.peekChar();
    if (ch === '') throw this.fail('trailing backslash at end of expression');
    const c = this.runes[this.pos];
    this.pos++;
    if (ch === 'd' || ch === 's' || ch === 'w') return { ranges: this.maybeFold(PERL[ch]) };
    if (ch === 'D' || ch === 'S' || ch === 'W') return { ranges: negate(this.maybeFold(PERL[ch.toLowerCase()])) };
    if (ch === 'p' || ch === 'P') throw this.fail('Unicode class');
    if (ch in SIMPLE_ESCAPES) return this.one(SIMPLE_ESCAPES[ch]);
    if (ch >= '0' && ch <= '7') {
      // Octal: \0 or \1-\7 followed by more octal digits (Go refuses \1..\7 alone as a backreference).
      let v = c - 0x30;
      for (let k = 0; k < 2; k++) {
        const d = this.peek();
        if (d === undefined || d < 0x30 || d > 0x37) break;
        v = v * 8 + (d - 0x30);
        this.pos++;
      }
      return this.one(v);
    }
    if (ch === 'x') {
      if (this.peekChar() === '{') {
        const close = this.runes.indexOf(0x7d, this.pos);
        if (close < 0) throw this.fail('invalid escape sequence');
        const hex = String.fromCodePoint(...this.runes.slice(this.pos + 1, close));
        this.pos = close + 1;
        const v = Number.parseInt(hex, 16);
        if (!/^[0-9a-fA-F]+$/.test(hex) || v > MAX_RUNE) throw this.fail('invalid escape sequence');
        return this.one(v);
      }
      const hex = this.peekChar() + this.peekChar(1);
      if (!/^[0-9a-fA-F]{2}$/.test(hex)) throw this.fail('invalid escape sequence');
      this.pos += 2;
      return this.one(Number.parseInt(hex, 16));
    }
    // Any other escaped ASCII punctuation stands for itself.
    if (c < 0x80 && !isAlnum(c)) return this.one(c);
    throw this.fail('invalid escape sequence');
  }

  private one(c: number): { single: number; ranges: Ranges } {
    return { single: c, ranges: [c, c] };
  }

  private maybeFold(r: Ranges): Ranges {
    return this.flags.i ? fold(r) : r;
  }

  /** `[...]` as the set of code points it matches (folded under (?i), negation applied). */
  private parseClass(): Ranges {
    this.pos++; // [
    let negated = false;
    if (this.peekChar() === '^') {
      negated = true;
      this.pos++;
    }
    let ranges: Ranges = [];
    let first = true;
    for (;;) {
      const c = this.peekChar();
      if (c === '') throw this.fail('missing closing ]');
      if (c === ']' && !first) {
        this.pos++;
        break;
      }
      first = false;
      if (c === '[' && this.peekChar(1) === ':') {
        const close = this.findPosixEnd();
        if (close >= 0) {
          let name = String.fromCodePoint(...this.runes.slice(this.pos + 2, close));
          const neg = name.startsWith('^');
          if (neg) name = name.slice(1);
          const cls = POSIX[name];
          if (!cls) throw this.fail('invalid character class range');
          this.pos = close + 2;
          const folded = this.maybeFold(cls);
          ranges = ranges.concat(neg ? negate(folded) : folded);
          continue;
        }
      }
      let lo: number;
      if (c === '\\') {
        this.pos++;
        const e = this.classEscape();
        if (e.single === undefined) {
          ranges = ranges.concat(e.ranges);
          continue;
        }
        lo = e.single;
      } else {
        lo = this.runes[this.pos++];
      }
      let hi = lo;
      if (this.peekChar() === '-' && this.peekChar(1) !== ']' && this.peekChar(1) !== '') {
        this.pos++;
        if (this.peekChar() === '\\') {
          this.pos++;
          const e = this.classEscape();
          if (e.single === undefined) throw this.fail('invalid character class range');
          hi = e.single;
        } else hi = this.runes[this.pos++];
        if (hi < lo) throw this.fail('invalid character class range');
      }
      ranges.push(lo, hi);
    }
    // Folding a fold-closed set (a negated Perl or POSIX class) again adds nothing, so fold once here.
    ranges = this.maybeFold(normalize(ranges));
    return negated ? negate(ranges) : ranges;
  }

  /** Index of the ':' of the ':]' that closes a POSIX class at pos, or -1. */
  private findPosixEnd(): number {
    for (let i = this.pos + 2; i + 1 < this.runes.length; i++) {
      if (this.runes[i] === 0x3a && this.runes[i + 1] === 0x5d) return i;
      if (this.runes[i] === 0x5d) return -1;
    }
    return -1;
  }

  /** A class as Hyperscan text: explicit ranges, surrogates removed. */
  private classText(r: Ranges): string {
    const ranges = withoutSurrogates(normalize(r));
    if (ranges.length === 0) throw this.fail('empty character class');
    if (ranges[ranges.length - 1] > 0x7f) this.asciiOnly = false;
    if (ranges.length === 2 && ranges[0] === ranges[1]) return escapeRune(ranges[0]);
    let out = '[';
    for (let i = 0; i < ranges.length; i += 2) {
      const lo = ranges[i];
      const hi = ranges[i + 1];
      out += escapeRune(lo);
      if (hi > lo) out += (hi > lo + 1 ? '-' : '') + escapeRune(hi);
    }
    return out + ']';
  }
}
