import { describe, expect, it } from 'vitest';
import { captureNames, compileRe2, quoteMeta, re2Test, type Re2Compiled } from '../src/match/re2.js';

const R = String.raw;

type RE2JS = Extract<Re2Compiled, { ok: true }>['re'];

function mustCompile(pattern: string, caseInsensitive?: boolean): RE2JS {
  const c: Re2Compiled = compileRe2(pattern, caseInsensitive);
  if (!c.ok) throw new Error(`unexpected compile error for ${JSON.stringify(pattern)}: ${c.reason}`);
  return c.re;
}

function reasonOf(pattern: string): string {
  const c = compileRe2(pattern);
  if (c.ok) throw new Error(`expected ${JSON.stringify(pattern)} to be rejected`);
  return c.reason;
}

/** First match of `pattern` in `value` (whole match text), or null. */
function firstMatch(pattern: string, value: string): string | null {
  const m = mustCompile(pattern).matcher(value);
  return m.find() ? m.group() : null;
}

describe('compileRe2: RE2 / Go syntax that must work', () => {
  it.each<[string, string, boolean]>([
    // (?i)
    ['(?i)hello', 'HeLLo world', true],
    ['hello', 'HeLLo world', false],
    ['(?i:ab)c', 'ABc', true],
    ['(?i:ab)c', 'ABC', false],
    // named groups, both spellings
    ['(?P<user>[a-z]+)@', 'alice@example', true],
    ['(?<user>[a-z]+)@', 'alice@example', true],
    // \A and \z
    [R`\Afoo`, 'foobar', true],
    [R`\Abar`, 'foobar', false],
    [R`bar\z`, 'foobar', true],
    [R`bar\z`, 'foobar\n', false],
    [R`(?m)\Abar`, 'foo\nbar', false],
    [R`(?m)foo\z`, 'foo\nbar', false],
    // Unicode classes
    [R`^\pL+$`, 'héllo', true],
    [R`^\pL+$`, 'hello1', false],
    [R`^\p{L}+$`, '日本語', true],
    [R`\PL`, 'abc', false],
    [R`\p{Greek}`, 'abc αβγ', true],
    [R`\p{Greek}`, 'abc', false],
    [R`^\P{Greek}+$`, 'abc', true],
    [R`\p{Han}`, '中', true],
    [R`\pN`, 'x٣', true],
    // POSIX classes
    ['^[[:alpha:]]+$', 'abcXYZ', true],
    ['^[[:alpha:]]+$', 'abc1', false],
    ['[[:digit:]]', 'a1', true],
    ['[[:^alpha:]]', 'abc', false],
    ['^[[:word:]]+$', 'a_1', true],
    // \Q...\E
    [R`\Qa.b*c\E`, 'xa.b*cx', true],
    [R`\Qa.b*c\E`, 'aXbbbc', false],
    [R`\Q(unclosed`, 'x(unclosed', true],
    // (?s): dot matches newline only with s
    ['a.b', 'a\nb', false],
    ['(?s)a.b', 'a\nb', true],
    // (?m): ^ and $ at line boundaries only with m
    ['^b$', 'a\nb\nc', false],
    ['(?m)^b$', 'a\nb\nc', true],
    // $ is end of text (Go), not "end or before a final \n" (Perl/PCRE)
    ['a$', 'a\n', false],
    ['a$', 'ba', true],
    ['(?m)a$', 'a\n', true],
    ['^a', 'b\na', false],
    // ASCII-only Perl classes, as in Go
    [R`\d`, '٣', false],
    [R`\w`, 'é', false],
    [R`\bé`, 'é', false],
    [R`\s`, '\n', true],
    // misc Go syntax
    [R`\x41\x{1F600}`, 'A😀', true],
    [R`\123`, 'S', true],
    ['(?U)a+', 'aaa', true],
    ['[^a]', '\n', true],
    ['(?i)k', '\u212A', true],
  ])('%s on %j -> %s', (pattern, value, expected) => {
    const re = mustCompile(pattern);
    expect(re2Test(re, value)).toBe(expected);
  });

  it('non-greedy and greedy repetition pick different matches', () => {
    expect(firstMatch('a+?', 'aaa')).toBe('a');
    expect(firstMatch('a+', 'aaa')).toBe('aaa');
    expect(firstMatch('<.*?>', '<a><b>')).toBe('<a>');
    expect(firstMatch('<.*>', '<a><b>')).toBe('<a><b>');
    expect(firstMatch('a??', 'a')).toBe('');
    expect(firstMatch('a{2,3}?', 'aaaa')).toBe('aa');
    // (?U) swaps greediness
    expect(firstMatch('(?U)a+', 'aaa')).toBe('a');
    expect(firstMatch('(?U)a+?', 'aaa')).toBe('aaa');
  });

  it('is leftmost-first (Perl/Go), not leftmost-longest', () => {
    expect(firstMatch('a|ab', 'ab')).toBe('a');
    expect(firstMatch('ab|a', 'ab')).toBe('ab');
  });

  it('(?s) and (?m) can be combined and scoped', () => {
    expect(firstMatch('(?sm)^b.c$', 'a\nb\nc\nd')).toBe('b\nc');
    expect(firstMatch('(?m:^b$)', 'a\nb')).toBe('b');
  });

  it('named groups are exposed by number and name', () => {
    const re = mustCompile('(?P<user>[a-z]+)@(?<host>[a-z]+)');
    expect(re.groupCount()).toBe(2);
    expect(re.namedGroups()).toEqual({ user: 1, host: 2 });
    const m = re.matcher('mail alice@example now');
    expect(m.find()).toBe(true);
    expect(m.group(1)).toBe('alice');
    expect(m.group('host')).toBe('example');
  });

  it('handles surrogate pairs as single characters', () => {
    expect(firstMatch('^.$', '😀')).toBe('😀');
    expect(firstMatch('^..$', '😀')).toBe(null);
    expect(firstMatch(R`\p{So}+`, 'ok 😀😀!')).toBe('😀😀');
    expect(firstMatch('😀+', 'a😀😀b')).toBe('😀😀');
  });

  it('caseInsensitive adds the case-insensitive flag', () => {
    expect(re2Test(mustCompile('secret', true), 'my SeCrEt')).toBe(true);
    expect(re2Test(mustCompile('secret', false), 'my SeCrEt')).toBe(false);
    expect(re2Test(mustCompile('secret'), 'my SeCrEt')).toBe(false);
    // works together with anchors and inline flags
    expect(re2Test(mustCompile('^bearer\\s+', true), 'Bearer abc')).toBe(true);
    expect(re2Test(mustCompile('(?-i:x)y', true), 'xY')).toBe(true);
    expect(re2Test(mustCompile('(?-i:x)y', true), 'XY')).toBe(false);
    // Unicode simple case folding, as in Go
    expect(re2Test(mustCompile('σ', true), 'Σ')).toBe(true);
    expect(re2Test(mustCompile('σ', true), 'ς')).toBe(true);
  });
});

describe('compileRe2: rejected syntax', () => {
  it.each<[string, string]>([
    // backreferences
    [R`(a)\1`, 'invalid escape sequence: `\\1`'],
    [R`(?P<x>a)\k<x>`, 'invalid escape sequence: `\\k`'],
    [R`(?P<n>a)(?P=n)`, 'invalid or unsupported Perl syntax: `(?P`'],
    // lookahead
    ['(?=a)', 'invalid or unsupported Perl syntax: `(?=`'],
    ['(?!a)', 'invalid or unsupported Perl syntax: `(?!`'],
    ['x(?=a)', 'invalid or unsupported Perl syntax: `(?=`'],
    // lookbehind (an opt-in re2js extension that we never enable); Go's error text
    ['(?<=a)b', 'invalid named capture: `(?<=a)b`'],
    ['(?<!a)b', 'invalid named capture: `(?<!a)b`'],
    // other non-RE2 constructs
    ['(?>a)', 'invalid or unsupported Perl syntax: `(?>`'],
    ['a++', 'invalid nested repetition operator: `++`'],
    ['(?x)a b', 'invalid or unsupported Perl syntax: `(?x`'],
    [R`\Z`, 'invalid escape sequence: `\\Z`'],
    [R`\C`, 'invalid escape sequence: `\\C`'],
    // Go's own bad_re table (regexp/all_test.go)
    ['*', 'missing argument to repetition operator: `*`'],
    ['+', 'missing argument to repetition operator: `+`'],
    ['?', 'missing argument to repetition operator: `?`'],
    ['(abc', 'missing closing ): `(abc`'],
    ['abc)', 'unexpected ): `abc)`'],
    ['x[a-z', 'missing closing ]: `[a-z`'],
    ['[z-a]', 'invalid character class range: `z-a`'],
    ['abc\\', 'trailing backslash at end of expression'],
    ['a**', 'invalid nested repetition operator: `**`'],
    ['a*+', 'invalid nested repetition operator: `*+`'],
    [R`\x`, 'invalid escape sequence: `\\x`'],
    // the spec's example of an invalid redact / match regex
    ['([a-z', 'missing closing ]: `[a-z`'],
    ['([bad', 'missing closing ]: `[bad`'],
    // limits
    ['a{1001}', 'invalid repeat count: `{1001}`'],
    ['(?:a{1000}){1000}', 'invalid repeat count: `{1000}`'],
    [R`\p{NotAScript}`, 'invalid character class range: `\\p{NotAScript}`'],
    ['[[:foo:]]', 'invalid character class range: `[:foo:]`'],
    ['(?P<é>x)', 'invalid named capture: `(?P<é>`'],
    ['(?P<>x)', 'invalid named capture: `(?P<>`'],
  ])('%s is rejected with %j', (pattern, reason) => {
    const c = compileRe2(pattern);
    expect(c.ok).toBe(false);
    if (!c.ok) expect(c.reason).toBe(reason);
  });

  it('reasons are short (no "error parsing regexp:" prefix) and fit the caller format', () => {
    const reason = reasonOf('([bad');
    expect(reason).not.toMatch(/^error parsing regexp/);
    expect(`invalid regex "([bad": ${reason}`).toBe('invalid regex "([bad": missing closing ]: `[bad`');
  });

  it('never throws, even on absurd input', () => {
    const deep = '('.repeat(5000) + 'a' + ')'.repeat(5000);
    expect(reasonOf(deep)).toBe('expression nests too deeply');
    expect(compileRe2('x'.repeat(100_000)).ok).toBe(true);
    expect(() => compileRe2(undefined as unknown as string)).not.toThrow();
    expect(compileRe2(undefined as unknown as string).ok).toBe(false);
    expect(compileRe2('').ok).toBe(true);
  });
});

describe('compileRe2: duplicate capture names (Go accepts them, re2js does not)', () => {
  it('compiles and keeps every group number', () => {
    const re = mustCompile('(?P<x>hi)|(?P<x>bye)');
    expect(re.groupCount()).toBe(2);
    expect(captureNames(re)).toEqual(['', 'x', 'x']);
    const m = re.matcher('bye');
    expect(m.find()).toBe(true);
    expect(m.start(1)).toBe(-1);
    expect(m.group(2)).toBe('bye');
  });

  it('matches Go SubexpNames for the regexp test table', () => {
    // regexp/all_test.go subexpCases
    const cases: [string, string[]][] = [
      ['', ['']],
      ['.*', ['']],
      ['ab(b)a', ['', '']],
      ['(.*)ab(.*)a', ['', '', '']],
      ['(.*)((a)b)(.*)a', ['', '', '', '', '']],
      [R`(.*)(\(ab)(.*)a`, ['', '', '', '']],
      [R`(.*)(\(a\)b)(.*)a`, ['', '', '', '']],
      ['(?P<foo>.*)(?P<bar>(a)b)(?P<foo>.*)a', ['', 'foo', 'bar', '', 'foo']],
    ];
    for (const [pattern, names] of cases) expect(captureNames(mustCompile(pattern))).toEqual(names);
  });

  it('is not fooled by look-alikes in classes, escapes and \\Q...\\E', () => {
    const re = mustCompile(R`[(?P<x>]\(?P<x>\Q(?P<x>\E(?<x>a)(b)(?P<x>c)(?P<y>d)`);
    expect(captureNames(re)).toEqual(['', 'x', '', 'x', 'y']);
    const m = re.matcher('(P<x>(?P<x>abcd');
    expect(m.find()).toBe(true);
    expect([m.group(1), m.group(2), m.group(3), m.group(4)]).toEqual(['a', 'b', 'c', 'd']);
  });

  it('still reports other errors in a pattern with duplicate names', () => {
    // quoted as written (Go quotes the whole expression here), not as rewritten
    expect(reasonOf('(?P<a>x)(?P<a>y)(')).toBe('missing closing ): `(?P<a>x)(?P<a>y)(`');
    expect(reasonOf('(?P<a>x)(?P<a>y))')).toBe('unexpected ): `(?P<a>x)(?P<a>y))`');
    expect(reasonOf('(?P<a>x)(?P<a>y)[')).toBe('missing closing ]: `[`');
  });

  it('works with caseInsensitive', () => {
    const re = mustCompile('(?P<v>a)|(?P<v>b)', true);
    expect(re2Test(re, 'B')).toBe(true);
  });
});

describe('captureNames', () => {
  it('follows group numbers for ordinary patterns', () => {
    expect(captureNames(mustCompile('(a)(?P<n>b)(?:c)(d)'))).toEqual(['', '', 'n', '']);
    expect(captureNames(mustCompile('(?<a>x)'))).toEqual(['', 'a']);
    // names that collide with Object.prototype members are plain names
    expect(captureNames(mustCompile('(?P<constructor>a)(?P<toString>b)'))).toEqual(['', 'constructor', 'toString']);
  });
});

describe('quoteMeta (Go regexp.QuoteMeta)', () => {
  it.each<[string, string]>([
    // regexp/all_test.go metaTests
    ['', ''],
    ['foo', 'foo'],
    [R`foo\.\$`, R`foo\\\.\\\$`],
    [R`foo.\$`, R`foo\.\\\$`],
    [R`!@#$%^&*()_+-=[{]}\|,<.>/?~`, R`!@#\$%\^&\*\(\)_\+-=\[\{\]\}\\\|,<\.>/\?~`],
    ['日本語.txt', R`日本語\.txt`],
  ])('QuoteMeta(%j) = %j', (literal, quoted) => {
    expect(quoteMeta(literal)).toBe(quoted);
  });

  it('quoted literals match themselves and nothing else', () => {
    for (const lit of ['a.b', R`!@#$%^&*()_+-=[{]}\|,<.>/?~`, '(?i)X', R`\Q\E`, '^$', '😀+']) {
      const re = mustCompile(quoteMeta(lit));
      expect(re.matches(lit)).toBe(true);
      expect(re2Test(re, `abc${lit}def`)).toBe(true);
    }
    expect(re2Test(mustCompile(quoteMeta('a.b')), 'axb')).toBe(false);
    expect(re2Test(mustCompile(quoteMeta('secret'), true), 'SECRET')).toBe(true);
  });
});

describe('re2Test', () => {
  it('is an unanchored search', () => {
    const re = mustCompile('b+');
    expect(re2Test(re, 'abbbc')).toBe(true);
    expect(re2Test(re, 'ac')).toBe(false);
    expect(re2Test(mustCompile('^b'), 'ab')).toBe(false);
    expect(re2Test(mustCompile(''), '')).toBe(true);
    expect(re2Test(mustCompile('x*'), '')).toBe(true);
    expect(re2Test(mustCompile('.'), '')).toBe(false);
  });

  it('runs in linear time on patterns that are catastrophic for backtracking engines', () => {
    // A backtracking engine needs ~2^30000 steps here; RE2 finishes at once.
    const input = 'a'.repeat(30000) + 'b';
    expect(re2Test(mustCompile('(a+)+$'), input)).toBe(false);
    expect(re2Test(mustCompile('(a|aa)*c'), input)).toBe(false);
    expect(re2Test(mustCompile('(a*)*b$'), input)).toBe(true);
    expect(re2Test(mustCompile('^(a+)+$'), 'a'.repeat(30000))).toBe(true);
    // and with submatch extraction
    const m = mustCompile('(a+)+$').matcher(input);
    expect(m.find()).toBe(false);
    const m2 = mustCompile('(x+x+)+y').matcher('x'.repeat(20000));
    expect(m2.find()).toBe(false);
  });
});
