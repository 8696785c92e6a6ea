import { describe, expect, it } from 'vitest';
import { compareQuantities, formatQuantity, parseQuantity, quantityDivide, quantityMilliValue, quantityValue } from './quantity.js';
import { isBadRequest } from './errors.js';

describe('quantity', () => {
  it.each([
    ['100m', 1, 100],
    ['0.1', 1, 100],
    ['1', 1, 1000],
    ['1.5', 2, 1500],
    ['1500m', 2, 1500],
    ['2k', 2000, 2_000_000],
    ['1Ki', 1024, 1_024_000],
    ['1Mi', 1048576, 1_048_576_000],
    ['1.5Gi', 1610612736, 1_610_612_736_000],
    ['1e3', 1000, 1_000_000],
    ['1E-3', 1, 1],
    ['5n', 1, 1],
    ['128974848', 128974848, 128974848000],
    [250, 250, 250_000],
    ['.5', 1, 500],
  ])('%s has value %d and milli value %d (rounded up)', (q, value, milli) => {
    expect(quantityValue(q)).toBe(value);
    expect(quantityMilliValue(q)).toBe(milli);
  });

  it('divides with rounding up, as the downward API divisor does', () => {
    expect(quantityDivide('1Gi', '1Mi')).toBe(1024);
    expect(quantityDivide('500m', '1')).toBe(1);
    expect(quantityDivide('250m', '1m')).toBe(250);
    expect(quantityDivide('129M', '1Mi')).toBe(124);
    expect(() => quantityDivide('1', '0')).toThrow(/divisor must be positive/);
  });

  it('compares across formats', () => {
    expect(compareQuantities('1Gi', '1073741824')).toBe(0);
    expect(compareQuantities('100m', '0.2')).toBe(-1);
    expect(compareQuantities('1k', '999')).toBe(1);
  });

  it('formats canonically', () => {
    expect(formatQuantity('0.1')).toBe('100m');
    expect(formatQuantity('1Ki')).toBe('1024');
    expect(formatQuantity('2e3')).toBe('2000');
  });

  it.each(['', 'abc', '1.2.3', '1Kb', '--1', '1 Gi'])('rejects %j with a 400', (bad) => {
    let err: unknown;
    try { parseQuantity(bad); } catch (e) { err = e; }
    expect(isBadRequest(err)).toBe(true);
  });
});
