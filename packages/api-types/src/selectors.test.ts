import { describe, expect, it } from 'vitest';
import { isBadRequest } from './errors.js';
import { labelSelectorFromObject, objectField, parseFieldSelector, parseLabelSelector } from './selectors.js';

const badRequestOf = (fn: () => unknown) => {
  try { fn(); } catch (err) { return isBadRequest(err) ? err.message : `not BadRequest: ${String(err)}`; }
  return 'no error';
};

describe('parseLabelSelector', () => {
  const labels = { app: 'web', tier: 'front', env: 'prod', 'example.com/team': 'a', n: '5' };

  it.each([
    ['', true],
    ['app=web', true],
    ['app==web', true],
    ['app=db', false],
    ['app!=db', true],
    ['missing!=x', true],
    ['app,tier', true],
    ['missing', false],
    ['!missing', true],
    ['!app', false],
    ['env in (prod,staging)', true],
    ['env in (staging)', false],
    ['env notin (staging,dev)', true],
    ['env notin (prod)', false],
    ['missing notin (prod)', true],
    ['missing in (prod)', false],
    ['app=web,tier!=back,env in (prod),!canary,example.com/team', true],
    ['app=web,tier=back', false],
    ['n>4', true],
    ['n<5', false],
    ['app=', false],
  ])('%j matches %j: %s', (sel, want) => {
    expect(parseLabelSelector(sel).matches(labels)).toBe(want);
  });

  it('treats an absent label map as having no labels', () => {
    expect(parseLabelSelector('a!=b,!c').matches(undefined)).toBe(true);
    expect(parseLabelSelector('a').matches(undefined)).toBe(false);
    expect(parseLabelSelector('a=').matches({ a: '' })).toBe(true);
  });

  it('prints a canonical form that parses back to the same selector', () => {
    const s = parseLabelSelector(' z = 1 , a in (y, x) ,!b, c notin (q),d');
    expect(s.toString()).toBe('a in (x,y),!b,c notin (q),d,z=1');
    expect(parseLabelSelector(s.toString()).toString()).toBe(s.toString());
    expect(parseLabelSelector('').empty).toBe(true);
  });

  it.each([
    'app=web,', 'a in b', 'a in (b', '=x', 'a b', 'a=b=c', 'in (x)', 'a!!', 'Bad Key=x', 'a=-bad-', 'a>x', `${'k'.repeat(64)}=v`,
    'a in (x y)',
  ])('rejects %j with BadRequest', (sel) => {
    expect(badRequestOf(() => parseLabelSelector(sel))).toMatch(/unable to parse requirement/);
  });
});

describe('labelSelectorFromObject', () => {
  it('ANDs matchLabels and matchExpressions', () => {
    const s = labelSelectorFromObject({
      matchLabels: { app: 'web' },
      matchExpressions: [
        { key: 'env', operator: 'In', values: ['prod', 'qa'] },
        { key: 'canary', operator: 'DoesNotExist' },
        { key: 'tier', operator: 'Exists' },
        { key: 'zone', operator: 'NotIn', values: ['b'] },
      ],
    });
    expect(s.matches({ app: 'web', env: 'qa', tier: 'x' })).toBe(true);
    expect(s.matches({ app: 'web', env: 'qa', tier: 'x', zone: 'b' })).toBe(false);
    expect(s.matches({ app: 'web', env: 'qa', tier: 'x', canary: '1' })).toBe(false);
    expect(s.matches({ app: 'web', env: 'dev', tier: 'x' })).toBe(false);
    expect(s.toString()).toBe('app=web,!canary,env in (prod,qa),tier,zone notin (b)');
  });

  it('selects everything for {} and nothing for a missing selector', () => {
    expect(labelSelectorFromObject({}).matches({ any: 'x' })).toBe(true);
    expect(labelSelectorFromObject(undefined).matches({ any: 'x' })).toBe(false);
    expect(labelSelectorFromObject(null).matches(undefined)).toBe(false);
  });

  it.each([
    [{ matchExpressions: [{ key: 'a', operator: 'In', values: [] }] }, /values set can't be empty/],
    [{ matchExpressions: [{ key: 'a', operator: 'Exists', values: ['x'] }] }, /must be empty/],
    [{ matchExpressions: [{ key: 'a', operator: 'Near' }] }, /not a valid label selector operator/],
    [{ matchLabels: { 'a b': 'x' } }, /invalid label key/],
  ])('rejects %j', (sel, msg) => {
    expect(badRequestOf(() => labelSelectorFromObject(sel))).toMatch(msg);
  });
});

describe('parseFieldSelector', () => {
  const pod = { metadata: { name: 'p1', namespace: 'default' }, spec: { nodeName: 'node-1', priority: 5 }, status: { phase: 'Running' } };
  const fieldOf = (f: string) => objectField(pod, f);

  it.each([
    ['', true],
    ['metadata.name=p1', true],
    ['metadata.name==p1', true],
    ['metadata.name!=p1', false],
    ['spec.nodeName=node-1,status.phase!=Succeeded', true],
    ['spec.nodeName=node-2', false],
    ['spec.priority=5', true],
    ['spec.schedulerName=', true],
    ['spec.schedulerName!=', false],
  ])('%j matches: %s', (sel, want) => {
    expect(parseFieldSelector(sel).matches(fieldOf)).toBe(want);
  });

  it('unescapes values and prints them escaped again', () => {
    const s = parseFieldSelector('metadata.name=a\\,b\\=c');
    expect(s.matches((f) => (f === 'metadata.name' ? 'a,b=c' : undefined))).toBe(true);
    expect(s.toString()).toBe('metadata.name=a\\,b\\=c');
  });

  it.each(['metadata.name', 'a=b=c', '=x', 'a~b', 'a=b\\q'])('rejects %j with BadRequest', (sel) => {
    expect(badRequestOf(() => parseFieldSelector(sel))).toMatch(/invalid field selector/);
  });
});

describe('objectField', () => {
  it('reads scalars along a dotted path and nothing else', () => {
    const o = { a: { b: true, c: { d: 1 }, n: null } };
    expect(objectField(o, 'a.b')).toBe('true');
    expect(objectField(o, 'a.c')).toBeUndefined();
    expect(objectField(o, 'a.n')).toBeUndefined();
    expect(objectField(o, 'a.x.y')).toBeUndefined();
  });
});
