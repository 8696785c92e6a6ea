import { isBadRequest } from '@peapod/api-types';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { expand, expandCommandAndArgs, expandSubPathExpr } from './expansion.js';

const vars = new Map([
  ['VAR_A', 'A'],
  ['VAR_B', 'B'],
  ['VAR_EMPTY', ''],
  ['VAR_REF', '$(VAR_A)'],
]);
const lookup = (name: string) => vars.get(name);

describe('expand', () => {
  // Cases from Kubernetes' expansion tests, as a user writing pod specs meets them.
  it.each([
    ['no references at all', 'hello world', 'hello world'],
    ['one reference', '$(VAR_A)', 'A'],
    ['references inside text', 'x$(VAR_A)y$(VAR_B)z', 'xAyBz'],
    ['an empty value is still defined', '[$(VAR_EMPTY)]', '[]'],
    ['an undefined variable stays literally', '$(UNDEFINED)', '$(UNDEFINED)'],
    ['$$ escapes the operator', '$$(VAR_A)', '$(VAR_A)'],
    ['$$$ escapes then expands', '$$$(VAR_A)', '$A'],
    ['$$$$ is two dollars', '$$$$(VAR_A)', '$$(VAR_A)'],
    ['a lone $ at the end is kept', 'cost: 5$', 'cost: 5$'],
    ['$ before another character is kept', '$VAR_A and $x', '$VAR_A and $x'],
    ['an unclosed reference is kept', '$(VAR_A', '$(VAR_A'],
    ['an unclosed reference before a closed one keeps scanning', '$(foo $(VAR_A)', '$(foo $(VAR_A)'],
    ['text after an unclosed $( still expands', '$( $(VAR_B', '$( $(VAR_B'],
    ['empty reference', '$()', '$()'],
    ['nested reference reads up to the first )', '$(VAR_$(VAR_A))', '$(VAR_$(VAR_A))'],
    ['a substituted value is not expanded again', '$(VAR_REF)', '$(VAR_A)'],
    ['a reference after an escaped one', '$$(VAR_A)$(VAR_B)', '$(VAR_A)B'],
    ['unicode passes through', 'é$(VAR_A)😀', 'éA😀'],
  ])('%s', (_why, input, want) => {
    expect(expand(input, lookup)).toBe(want);
  });
});

describe('expand: properties', () => {
  it('writes any literal text when every $ is doubled', () => {
    fc.assert(fc.property(fc.string({ unit: fc.constantFrom('$', '(', ')', 'A', 'B', '_', ' ', 'é') }), (s) => {
      expect(expand(s.replaceAll('$', () => '$$'), lookup)).toBe(s);
    }));
  });

  it('leaves text without references untouched whatever the variables', () => {
    fc.assert(fc.property(fc.string(), (s) => {
      fc.pre(!s.includes('$'));
      expect(expand(s, () => 'X')).toBe(s);
    }));
  });

  it('keeps every reference to an undefined variable literally', () => {
    fc.assert(fc.property(fc.string({ unit: fc.constantFrom('$', '(', ')', 'Q', ' ') }), (s) => {
      const withoutEscapes = s.replaceAll('$$', '');
      expect(expand(withoutEscapes, () => undefined)).toBe(withoutEscapes);
    }));
  });
});

describe('expandCommandAndArgs', () => {
  const env = [
    { name: 'GREETING', value: 'hello' },
    { name: 'LATER', value: 'defined-after' },
  ];

  it('expands command and args from the final environment, escapes kept as Kubernetes does', () => {
    const got = expandCommandAndArgs({ command: ['/bin/echo', '$(GREETING)'], args: ['$(LATER)', '$$(GREETING)', '$(MISSING)'] }, env);
    expect(got).toEqual({ command: ['/bin/echo', 'hello'], args: ['defined-after', '$(GREETING)', '$(MISSING)'] });
  });

  it('leaves absent command and args absent so the image defaults apply', () => {
    expect(expandCommandAndArgs({}, env)).toEqual({});
    expect(expandCommandAndArgs({ command: [], args: ['$(GREETING)'] }, env)).toEqual({ args: ['hello'] });
  });
});

describe('expandSubPathExpr', () => {
  const env = [
    { name: 'POD_NAME', value: 'web-0' },
    { name: 'EMPTY', value: '' },
  ];

  it('expands to a path inside the volume', () => {
    expect(expandSubPathExpr('logs/$(POD_NAME)', env)).toBe('logs/web-0');
  });

  it('refuses a missing or empty variable, naming every one', () => {
    expect(() => expandSubPathExpr('$(NOPE)/$(EMPTY)', env)).toThrow('missing value for EMPTY, NOPE');
  });

  it('refuses a result that leaves the volume', () => {
    for (const expr of ['/etc/$(POD_NAME)', '../$(POD_NAME)', 'a/../../$(POD_NAME)']) {
      let caught: unknown;
      try {
        expandSubPathExpr(expr, env);
      } catch (err) {
        caught = err;
      }
      expect(isBadRequest(caught), expr).toBe(true);
    }
  });
});
