import { describe, expect, it } from 'vitest';
import { Registry } from './registry.js';
import { TypedEmitter } from './events.js';

describe('Registry', () => {
  it('stores entries by name and refuses duplicates', () => {
    const r = new Registry<() => string>('runtime');
    r.add('process', () => 'p');
    expect(r.get('process')()).toBe('p');
    expect(() => r.add('process', () => 'q')).toThrow('runtime "process" is already registered');
    expect(r.names()).toEqual(['process']);
  });

  it('lists known names when asked for an unknown one', () => {
    const r = new Registry<number>('scheduler plugin');
    r.add('NodeName', 1);
    r.add('TaintToleration', 2);
    expect(() => r.get('Nodename')).toThrow('unknown scheduler plugin "Nodename" (known: NodeName, TaintToleration)');
  });

  it('removes an entry through the function add returns', () => {
    const r = new Registry<number>('x');
    const remove = r.add('a', 1);
    remove();
    expect(r.has('a')).toBe(false);
    r.add('a', 2);
    expect(r.get('a')).toBe(2);
  });
});

describe('TypedEmitter', () => {
  it('delivers typed arguments to listeners', () => {
    const e = new TypedEmitter<{ podStarted: [name: string, attempt: number] }>();
    const got: [string, number][] = [];
    e.on('podStarted', (name, attempt) => got.push([name, attempt]));
    e.emit('podStarted', 'web', 2);
    expect(got).toEqual([['web', 2]]);
  });
});
