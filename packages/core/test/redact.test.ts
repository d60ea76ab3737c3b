import { describe, expect, it } from 'vitest';
import { compileRe2, type Re2Compiled } from '../src/match/re2.js';
import { compileTemplate, redactAll } from '../src/actions/redact.js';

const R = String.raw;

type RE2JS = Extract<Re2Compiled, { ok: true }>['re'];

function mustCompile(pattern: string, caseInsensitive?: boolean): RE2JS {
  const c = compileRe2(pattern, caseInsensitive);
  if (!c.ok) throw new Error(`unexpected compile error for ${JSON.stringify(pattern)}: ${c.reason}`);
  return c.re;
}

/** redactAll with a fresh regex and template. */
function redact(pattern: string, template: string, value: string, caseInsensitive?: boolean): string | undefined {
  const re = mustCompile(pattern, caseInsensitive);
  return redactAll(re, compileTemplate(template, re), value);
}

/** Go's Regexp.ReplaceAllString: the input comes back unchanged when nothing matches. */
function goReplaceAll(pattern: string, template: string, value: string): string {
  return redact(pattern, template, value) ?? value;
}

describe('conformance cases logs_transform_redact_regex_*', () => {
  it.each<[string, string, string, string, string]>([
    ['anchored', '^[0-9]{3,4}$', '[REDACTED]', '123', '[REDACTED]'],
    ['attribute', '^([0-9]{9,15})([0-9]{4})$', '[REDACTED]$2', '5555444433332222', '[REDACTED]2222'],
    ['body', 'api_key=[A-Za-z0-9]+', 'api_key=[REDACTED]', 'user login api_key=abc123def456 success', 'user login api_key=[REDACTED] success'],
    ['capture_braced', '(account_)([0-9]+)', '${1}[REDACTED]', 'login by account_98765 from web', 'login by account_[REDACTED] from web'],
    [
      'capture_numbered',
      R`([?&]password=)[^&\s]+(&session_id=)`,
      '$1[REDACTED]$2',
      'GET /login?user=alice&password=hunter2&session_id=xyz HTTP/1.1',
      'GET /login?user=alice&password=[REDACTED]&session_id=xyz HTTP/1.1',
    ],
    ['dollar_literal', 'USD [0-9]+', '$$[REDACTED]', 'price USD 100 today', 'price $[REDACTED] today'],
    ['dollar_zero', 'error-[a-z]+', '[$0]', 'got error-database during checkout', 'got [error-database] during checkout'],
    ['missing_capture', R`(?P<user>\w+)@example`, '${user}@${nonexistent}redacted', 'alice@example wrote message', 'alice@redacted wrote message'],
    ['multiple_matches', '[0-9]+', '#', 'item 12 cost 34 total 56', 'item # cost # total #'],
    ['resource_attr', '[0-9]+', '#', 'node-12345', 'node-#'],
    ['scope_attr', '[0-9]+$', 'N', 'worker-007', 'worker-N'],
  ])('%s', (_name, pattern, replacement, input, expected) => {
    expect(redact(pattern, replacement, input)).toBe(expected);
  });

  it('no_match: a regex that does not match is a no-op (undefined)', () => {
    expect(redact(R`password=\w+`, 'password=[REDACTED]', 'this is a test message')).toBeUndefined();
  });
});

describe('redactAll: ReplaceAllString behaviour', () => {
  it('anchored regex replaces the whole field or nothing', () => {
    expect(redact('^[0-9]{3,4}$', '[REDACTED]', '1234')).toBe('[REDACTED]');
    expect(redact('^[0-9]{3,4}$', '[REDACTED]', '12345')).toBeUndefined();
    expect(redact('^[0-9]{3,4}$', '[REDACTED]', '123\n')).toBeUndefined(); // $ is end of text
    expect(redact(R`(?i)^(bearer\s+).+$`, '${1}[REDACTED]', 'Bearer abc.def')).toBe('Bearer [REDACTED]');
    expect(redact(R`\A.*\z`, 'X', 'line1')).toBe('X');
  });

  it('replaces every non-overlapping match', () => {
    expect(redact('aa', 'X', 'aaaaa')).toBe('XXa');
    expect(redact('[0-9]', '#', '1a2b3')).toBe('#a#b#');
    expect(redact(R`\d{3}-\d{4}`, 'XXX-XXXX', 'call 555-1234 or 555-9876')).toBe('call XXX-XXXX or XXX-XXXX');
  });

  it('keeps context between successive searches (^, \\b, (?m))', () => {
    expect(redact('^a', 'X', 'aaa')).toBe('Xaa');
    expect(redact(R`\ba`, 'X', 'a aa ba')).toBe('X Xa ba');
    expect(redact(R`(?m)^\w`, 'X', 'ab\ncd')).toBe('Xb\nXd');
    expect(redact('a$', 'X', 'aa')).toBe('aX');
  });

  it('returns undefined only when nothing matches', () => {
    expect(redact('x', 'y', 'abc')).toBeUndefined();
    expect(redact('x', 'y', '')).toBeUndefined();
    // a match whose replacement equals the original still counts as a match
    expect(redact('b', '$0', 'abc')).toBe('abc');
    // an empty match is a match
    expect(redact('x*', '-', '')).toBe('-');
    expect(redact('^', '>', 'abc')).toBe('>abc');
    expect(redact('$', '<', 'abc')).toBe('abc<');
  });

  it('is linear on pathological patterns', () => {
    const input = 'a'.repeat(30000) + 'b';
    expect(redact('(a+)+$', 'X', input)).toBeUndefined();
    expect(redact('(a+)+$', '[$1]', 'a'.repeat(30000))).toBe('[' + 'a'.repeat(30000) + ']');
    expect(redact('(a+)+b', 'X', input)).toBe('X');
  });

  it('is case-insensitive when compiled so', () => {
    expect(redact('secret', '***', 'Secret and SECRET', true)).toBe('*** and ***');
    expect(redact('secret', '***', 'Secret and SECRET', false)).toBeUndefined();
  });

  it('a template compiled once can be reused for many values', () => {
    const re = mustCompile('(?P<k>[a-z]+)=(?P<v>[0-9]+)');
    const t = compileTemplate('$k=<$v>', re);
    expect(redactAll(re, t, 'a=1 b=22')).toBe('a=<1> b=<22>');
    expect(redactAll(re, t, 'none')).toBeUndefined();
    expect(redactAll(re, t, 'zz=9')).toBe('zz=<9>');
  });
});

describe('redactAll: empty matches follow Go', () => {
  it.each<[string, string, string, string]>([
    ['a*', 'X', 'baaac', 'XbXcX'],
    ['a*', '-', 'aaa', '-'],
    ['a*', '-', 'b', '-b-'],
    ['', '-', 'abc', '-a-b-c-'],
    ['x*', '-', 'abc', '-a-b-c-'],
    ['b*', '-', 'abc', '-a-c-'],
    ['a|', '-', 'bab', '-b-b-'],
    [R`\b`, '|', 'ab cd', '|ab| |cd|'],
    ['(?m)$', ';', 'a\nb', 'a;\nb;'],
  ])('%s with %j on %j', (pattern, template, input, expected) => {
    expect(redact(pattern, template, input)).toBe(expected);
  });
});

describe('redactAll: Go regexp replaceTests (regexp/all_test.go)', () => {
  it.each<[string, string, string, string]>([
    // Test empty input and/or replacement, with pattern that matches the empty string.
    ['', '', '', ''],
    ['', 'x', '', 'x'],
    ['', '', 'abc', 'abc'],
    ['', 'x', 'abc', 'xaxbxcx'],
    // Test empty input and/or replacement, with pattern that does not match the empty string.
    ['b', '', '', ''],
    ['b', 'x', '', ''],
    ['b', '', 'abc', 'ac'],
    ['b', 'x', 'abc', 'axc'],
    ['y', '', '', ''],
    ['y', 'x', '', ''],
    ['y', '', 'abc', 'abc'],
    ['y', 'x', 'abc', 'abc'],
    // Multibyte characters -- verify that we don't try to match in the middle of a character.
    ['[a-c]*', 'x', '\u65e5', 'x\u65e5x'],
    ['[^\u65e5]', 'x', 'abc\u65e5def', 'xxx\u65e5xxx'],
    // Start and end of a string.
    ['^[a-c]*', 'x', 'abcdabc', 'xdabc'],
    ['[a-c]*$', 'x', 'abcdabc', 'abcdx'],
    ['^[a-c]*$', 'x', 'abcdabc', 'abcdabc'],
    ['^[a-c]*', 'x', 'abc', 'x'],
    ['[a-c]*$', 'x', 'abc', 'x'],
    ['^[a-c]*$', 'x', 'abc', 'x'],
    ['^[a-c]*', 'x', 'dabce', 'xdabce'],
    ['[a-c]*$', 'x', 'dabce', 'dabcex'],
    ['^[a-c]*$', 'x', 'dabce', 'dabce'],
    ['^[a-c]*', 'x', '', 'x'],
    ['[a-c]*$', 'x', '', 'x'],
    ['^[a-c]*$', 'x', '', 'x'],
    ['^[a-c]+', 'x', 'abcdabc', 'xdabc'],
    ['[a-c]+$', 'x', 'abcdabc', 'abcdx'],
    ['^[a-c]+$', 'x', 'abcdabc', 'abcdabc'],
    ['^[a-c]+', 'x', 'abc', 'x'],
    ['[a-c]+$', 'x', 'abc', 'x'],
    ['^[a-c]+$', 'x', 'abc', 'x'],
    ['^[a-c]+', 'x', 'dabce', 'dabce'],
    ['[a-c]+$', 'x', 'dabce', 'dabce'],
    ['^[a-c]+$', 'x', 'dabce', 'dabce'],
    ['^[a-c]+', 'x', '', ''],
    ['[a-c]+$', 'x', '', ''],
    ['^[a-c]+$', 'x', '', ''],
    // Other cases.
    ['abc', 'def', 'abcdefg', 'defdefg'],
    ['bc', 'BC', 'abcbcdcdedef', 'aBCBCdcdedef'],
    ['abc', '', 'abcdabc', 'd'],
    ['x', 'xXx', 'xxxXxxx', 'xXxxXxxXxXxXxxXxxXx'],
    ['abc', 'd', '', ''],
    ['abc', 'd', 'abc', 'd'],
    ['.+', 'x', 'abc', 'x'],
    ['[a-c]*', 'x', 'def', 'xdxexfx'],
    ['[a-c]+', 'x', 'abcbcdcdedef', 'xdxdedef'],
    ['[a-c]*', 'x', 'abcbcdcdedef', 'xdxdxexdxexfx'],
    // Substitutions
    ['a+', '($0)', 'banana', 'b(a)n(a)n(a)'],
    ['a+', '(${0})', 'banana', 'b(a)n(a)n(a)'],
    ['a+', '(${0})$0', 'banana', 'b(a)an(a)an(a)a'],
    ['hello, (.+)', 'goodbye, ${1}', 'hello, world', 'goodbye, world'],
    ['hello, (.+)', 'goodbye, $1x', 'hello, world', 'goodbye, '],
    ['hello, (.+)', 'goodbye, ${1}x', 'hello, world', 'goodbye, worldx'],
    ['hello, (.+)', '<$0><$1><$2><$3>', 'hello, world', '<hello, world><world><><>'],
    ['hello, (?P<noun>.+)', 'goodbye, $noun!', 'hello, world', 'goodbye, world!'],
    ['hello, (?P<noun>.+)', 'goodbye, ${noun}', 'hello, world', 'goodbye, world'],
    ['(?P<x>hi)|(?P<x>bye)', '$x$x$x', 'hi', 'hihihi'],
    ['(?P<x>hi)|(?P<x>bye)', '$x$x$x', 'bye', 'byebyebye'],
    ['(?P<x>hi)|(?P<x>bye)', '$xyz', 'hi', ''],
    ['(?P<x>hi)|(?P<x>bye)', '${x}yz', 'hi', 'hiyz'],
    ['(?P<x>hi)|(?P<x>bye)', 'hello $$x', 'hi', 'hello $x'],
    ['a+', '${oops', 'aaa', '${oops'],
    ['a+', '$$', 'aaa', '$'],
    ['a+', '$', 'aaa', '$'],
    // Substitution when subexpression isn't found
    ['(x)?', '$1', '123', '123'],
    ['abc', '$1', '123', '123'],
    // Substitutions involving a (x){0}
    ['(a)(b){0}(c)', '.$1|$3.', 'xacxacx', 'x.a|c.x.a|c.x'],
    ['(a)(((b))){0}c', '.$1.', 'xacxacx', 'x.a.x.a.x'],
    ['((a(b){0}){3}){5}(h)', 'y caramb$2', 'say aaaaaaaaaaaaaaaah', 'say ay caramba'],
    ['((a(b){0}){3}){5}h', 'y caramb$2', 'say aaaaaaaaaaaaaaaah', 'say ay caramba'],
  ])('%j / %j on %j', (pattern, template, input, expected) => {
    expect(goReplaceAll(pattern, template, input)).toBe(expected);
  });

  it('ExampleRegexp_ReplaceAllString', () => {
    expect(goReplaceAll('a(x*)b', 'T', '-ab-axxb-')).toBe('-T-T-');
    expect(goReplaceAll('a(x*)b', '$1', '-ab-axxb-')).toBe('--xx-');
    expect(goReplaceAll('a(x*)b', '$1W', '-ab-axxb-')).toBe('---');
    expect(goReplaceAll('a(x*)b', '${1}W', '-ab-axxb-')).toBe('-W-xxW-');
    expect(goReplaceAll('a(?P<1W>x*)b', '$1W', '-ab-axxb-')).toBe('--xx-');
    expect(goReplaceAll('a(?P<1W>x*)b', '${1}W', '-ab-axxb-')).toBe('-W-xxW-');
  });

  it('ExampleRegexp_Expand template, applied with ReplaceAll', () => {
    const content = 'option1: value1\noption2: value2';
    expect(goReplaceAll(R`(?m)(?P<key>\w+):\s+(?P<value>\w+)$`, '$key=$value', content)).toBe('option1=value1\noption2=value2');
  });
});

describe('compileTemplate: Go Expand rules', () => {
  const ten = '(a)(b)(c)(d)(e)(f)(g)(h)(i)(j)';

  it('numbered references: $n, ${n}, $0, multi-digit', () => {
    expect(redact(ten, '$10|$1|${1}0|$9', 'abcdefghij')).toBe('j|a|a0|i');
    expect(redact('(a)', '[$10]', 'a')).toBe('[]'); // group 10, not group 1 then "0"
    expect(redact('(a)', '[${1}0]', 'a')).toBe('[a0]');
    expect(redact('(a)(b)', '$2$1', 'ab')).toBe('ba');
    expect(redact('b', '[$0]', 'abc')).toBe('a[b]c');
    expect(redact('b', '[${0}]', 'abc')).toBe('a[b]c');
  });

  it('a name runs as long as possible: $1x is group "1x"', () => {
    expect(redact('(a)', '[$1x]', 'a')).toBe('[]');
    expect(redact('(a)', '[$1_]', 'a')).toBe('[]');
    expect(redact('(a)', '[$1-]', 'a')).toBe('[a-]');
    expect(redact('(a)', '[$1.]', 'a')).toBe('[a.]');
    expect(redact('(?P<n>a)', '[$n.$n-$n_]', 'a')).toBe('[a.a-]');
  });

  it('names use Unicode letters and digits (unicode.IsLetter / IsDigit)', () => {
    expect(redact('(?P<x>a)', '[$xé]', 'a')).toBe('[]'); // é is a letter: name "xé"
    expect(redact('(?P<x>a)', '[$x١]', 'a')).toBe('[]'); // ARABIC-INDIC DIGIT ONE is a digit
    expect(redact('(?P<x>a)', '[$x😀]', 'a')).toBe('[a😀]'); // emoji is neither
    expect(redact('(?P<x>a)', '[$x\u00A0]', 'a')).toBe('[a\u00A0]');
    expect(redact('(?P<x>a)', '[$x𝒜]', 'a')).toBe('[]'); // U+1D49C (astral) is a letter
    expect(redact('(?P<x>a)', '[${x}é]', 'a')).toBe('[aé]');
    expect(redact('(?P<x>a)', '[${é}]', 'a')).toBe('[]'); // valid reference to a missing name
  });

  it('$$ is a literal dollar', () => {
    expect(redact('a', '$$', 'a')).toBe('$');
    expect(redact('(a)', '$$1', 'a')).toBe('$1');
    expect(redact('(a)', '$$$1', 'a')).toBe('$a');
    expect(redact('(a)', '$$$$', 'a')).toBe('$$');
    expect(redact('(a)', '${1}$$', 'a')).toBe('a$');
  });

  it('a $ that does not start a valid reference is copied literally', () => {
    expect(redact('(a)', 'x$', 'a')).toBe('x$');
    expect(redact('(a)', '$-1', 'a')).toBe('$-1');
    expect(redact('(a)', '$ 1', 'a')).toBe('$ 1');
    expect(redact('(a)', '${', 'a')).toBe('${');
    expect(redact('(a)', '${}', 'a')).toBe('${}');
    expect(redact('(a)', '${1', 'a')).toBe('${1');
    expect(redact('(a)', '${1 }', 'a')).toBe('${1 }');
    expect(redact('(a)', '${ 1}', 'a')).toBe('${ 1}');
    expect(redact('(a)', '${1-}', 'a')).toBe('${1-}');
    expect(redact('(a)', '$}', 'a')).toBe('$}');
    expect(redact('(a)', '$😀', 'a')).toBe('$😀');
    // scanning resumes right after the bad $, so a following reference still expands
    expect(redact('(a)', '${$1}', 'a')).toBe('${a}');
    expect(redact('(a)', '$$${1', 'a')).toBe('$${1');
  });

  it('unknown, unmatched and out-of-range groups expand to empty', () => {
    expect(redact('(a)', '[$2][${2}][$nope][${nope}]', 'a')).toBe('[][][][]');
    expect(redact('(?P<a>x)|(?P<b>y)', '[${a}|${b}]', 'x y')).toBe('[x|] [|y]');
    expect(redact('(a)?b', '[$1]', 'b ab')).toBe('[] [a]');
    expect(redact('a', '[$99999999999]', 'a')).toBe('[]');
    expect(redact('a', '[${100000000}]', 'a')).toBe('[]');
  });

  it('leading zeros make a name, not a number', () => {
    expect(redact('(a)', '[$01][$00][${01}]', 'a')).toBe('[][][]');
    expect(redact('(?P<01>a)', '[${01}][$1]', 'a')).toBe('[a][a]');
    expect(redact('(a)', '[$0]', 'a')).toBe('[a]');
  });

  it('duplicate names use the leftmost group that matched', () => {
    expect(redact('(?P<v>[0-9]+)|(?P<v>[a-z]+)', '<$v>', '12 ab')).toBe('<12> <ab>');
    expect(redact('(?P<v>a)(?P<v>b)', '<$v>', 'ab')).toBe('<a>');
  });

  it('drops references the regex cannot satisfy and merges literals', () => {
    const re = mustCompile('(a)(?P<n>b)');
    expect(compileTemplate('x${nope}y${9}z$$', re).parts).toEqual([{ kind: 'literal', text: 'xyz$' }]);
    expect(compileTemplate('<$1|$n|$0>', re).parts).toEqual([
      { kind: 'literal', text: '<' },
      { kind: 'group', index: 1 },
      { kind: 'literal', text: '|' },
      { kind: 'named', indices: [2] },
      { kind: 'literal', text: '|' },
      { kind: 'group', index: 0 },
      { kind: 'literal', text: '>' },
    ]);
    expect(compileTemplate('', re).parts).toEqual([]);
  });
});

describe('redactAll: Unicode', () => {
  it('advances by code point after an empty match (never splits a surrogate pair)', () => {
    expect(redact('x*', '-', '😀')).toBe('-😀-');
    expect(redact('', '-', 'a😀b')).toBe('-a-😀-b-');
    expect(redact('b*', '-', '😀b😀')).toBe('-😀-😀-');
  });

  it('treats a lone surrogate as one character', () => {
    expect(redact('', '-', 'a\uD800b')).toBe('-a-\uD800-b-');
    expect(redact('.', '#', 'a\uDC00')).toBe('##');
  });

  it('replaces non-BMP and multibyte matches and copies them through groups', () => {
    expect(redact(R`\p{Greek}+`, '#', 'abc αβγ def')).toBe('abc # def');
    expect(redact('😀+', '<$0>', 'a😀😀b😀')).toBe('a<😀😀>b<😀>');
    expect(redact('(.)(.)', '$2$1', '😀é')).toBe('é😀');
    expect(redact(R`(?P<w>\pL+)@`, '${w}!', 'naïve@日本@')).toBe('naïve!日本!');
    expect(redact('[^a]', 'x', 'a😀a')).toBe('axa');
  });

  it('case-insensitive Unicode', () => {
    expect(redact('straße', 'X', 'STRAßE strasse', true)).toBe('X strasse');
    expect(redact('σ+', 'S', 'ΣΣς', true)).toBe('S');
  });
});
